"""At start the bot reads ahead the names that only decorate a job view (bot/background.py):
on Harvest v3 the departments and offices lists, once, so the first job view a process
answers reads neither (issue 12 item 4: a cold v3 view of a small job within 2x v1's cost).
A failure there costs nothing but the read-ahead: the view then reads them itself."""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx

from bot import runtime
from tests.conftest import HM, JOB_ID, Bot, SyncExecutor, make_settings, seed_world
from tests.fakes.greenhouse import FakeGreenhouse
from tests.fakes.greenhouse_v3 import FakeGreenhouseV3
from tests.test_directory_warmup import wait_for
from tests.test_job_view_v3 import V3_SETTINGS


@pytest.fixture
def gh3() -> Any:
    gh = FakeGreenhouse()
    seed_world(gh)
    job = gh.jobs[JOB_ID]
    job["departments"], job["offices"] = [{"id": 71, "name": "Field work"}], [{"id": 72, "name": "Remote"}]
    with respx.mock(assert_all_called=False) as router:
        gh.mount_v1(router)
        FakeGreenhouseV3(gh).mount(router).add_reader()
        yield gh


@pytest.fixture
def start_v3(slack: Any) -> Any:
    started: list[Any] = []

    def start(tmp_path: Any) -> Any:
        # No mirror: its read of the open jobs names departments too (decision 0012), and
        # what is counted here is the read-ahead's and the first view's.
        settings = make_settings(tmp_path, slack, bot_poll_interval_s=0, bot_mirror_s=0, **V3_SETTINGS)
        running = runtime.start("http", settings)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop.set()


def reads_of(gh: Any, path: str) -> list[Any]:
    return [c for c in gh.calls if c.method == "GET" and c.path == path]


def view_as_hm(running: Any, slack: Any, gh: Any) -> str:
    Bot(running.services, slack, gh, SyncExecutor()).command(f"job {JOB_ID}", user=HM)
    return json.dumps(slack.responses()[-1])


def test_v3_reads_departments_and_offices_at_start_and_the_first_view_reads_neither(tmp_path, slack, gh3, start_v3):
    running = start_v3(tmp_path)
    assert running.services.harvest.version == "v3"
    assert wait_for(lambda: reads_of(gh3, "/departments") and reads_of(gh3, "/offices"))
    assert len(reads_of(gh3, "/departments")) == 1 and len(reads_of(gh3, "/offices")) == 1
    gh3.calls.clear()

    answer = view_as_hm(running, slack, gh3)

    assert "Field work" in answer and "Remote" in answer and "Archaeologist" in answer
    assert reads_of(gh3, "/departments") == [] and reads_of(gh3, "/offices") == []


def test_a_failed_read_ahead_leaves_the_names_to_the_first_view(tmp_path, slack, gh3, start_v3):
    gh3.fail("GET", r"/departments", 403, {"message": "Forbidden"})
    running = start_v3(tmp_path)
    assert wait_for(lambda: reads_of(gh3, "/offices"))  # the offices are read though the departments were refused
    gh3.faults.clear()
    gh3.calls.clear()

    answer = view_as_hm(running, slack, gh3)

    assert "Field work" in answer and "Remote" in answer
    assert len(reads_of(gh3, "/departments")) == 1 and reads_of(gh3, "/offices") == []
