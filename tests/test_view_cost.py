"""A view costs what it shows (issue 17 item 1, issue 12 item 4), counted through the
running bot on both Harvest versions: Harvest requests for a job view follow the job's
ACTIVE applications, not its history, and a repeat view pays only for what is not known.

Expected counts are the rule in bot/workflows/candidate_names.py, written out (n active,
any history: the view never walks it):
- v1: the job + its stages (pipeline order, then cached) + ⌈n/500⌉ active applications +
  the first page's names (≤ 50: one request, none once they are known).
- v3: 4 for the job (jobs, openings, job_owners, job_hiring_managers; a repeat view within the
  "More" window reuses the team: 2) + on the process's first view its decorations (close_reasons, departments, offices: then cached, and the team's
  names come from the user directory, not /users — bot/greenhouse/decorations.py), its stages
  on the first view (then cached) + ⌈n/500⌉ + the first page's names (one request, then none).
Identity (/users?email on v1, token and directory on v3) is not counted: it is not the view's."""

from __future__ import annotations

import math
from typing import Any

import pytest
import respx

from tests.conftest import HM, JOB_ID, Bot, seed_world
from tests.fakes.greenhouse import FakeGreenhouse
from tests.fakes.greenhouse_v3 import FakeGreenhouseV3
from tests.test_job_view_v3 import V3_SETTINGS

V3_FIXED = 4  # jobs, openings, job_owners, job_hiring_managers: read for a first view
V3_TEAM = 2  # job_owners, job_hiring_managers: reused by a view within the "More" window (0006, "Revisited")
V3_DECORATIONS = 3  # close_reasons, departments, offices: the first view, then cached (0006)
STAGES = 1  # the job's stages, read once for the pipeline order (bot/workflows/reference.py caches them)


def expected(version: str, active: int, history: int) -> tuple[int, int]:
    """(first view, repeat view) for a job with `active` active applications and
    `history` rejected ones, each its own candidate (3 of the active are the seed's)."""
    page_names = 1  # the first page's names: one request of ≤ 50 ids, then known
    if version == "v3":
        return (V3_FIXED + V3_DECORATIONS + STAGES + math.ceil(active / 500) + page_names,
                V3_FIXED - V3_TEAM + math.ceil(active / 500))
    return 1 + STAGES + math.ceil(active / 500) + page_names, 1 + math.ceil(active / 500)


@pytest.fixture
def world() -> Any:
    gh = FakeGreenhouse()
    seed_world(gh)
    gh.rate_limit = 1_000_000  # counts are under test here, not the limiter
    with respx.mock(assert_all_called=False) as router:
        gh.mount_v1(router)
        v3 = FakeGreenhouseV3(gh).mount(router)
        v3.add_reader()
        yield gh


def fill(gh: FakeGreenhouse, active: int, history: int) -> None:
    for i in range(active - 3):  # the seed has 3 active applications on the job
        gh.add_candidate(10_000 + i, f"Active Person{i}", [gh.application(100_000 + i, JOB_ID, stage="Onsite")])
    for i in range(history):
        gh.add_candidate(50_000 + i, f"Past Person{i}", [gh.application(500_000 + i, JOB_ID, status="rejected")])


def is_identity(call: Any, version: str) -> bool:
    """Requests that resolve who is asking (not the view's): v1 /users?email=, v3 the directory."""
    if version == "v1":
        return call.path == "/users"
    return call.path == "/user_emails" or (call.path == "/users" and "ids" not in call.params)


def view_requests(gh: FakeGreenhouse, since: int, version: str) -> int:
    return sum(1 for c in gh.calls[since:] if not is_identity(c, version))


@pytest.mark.parametrize("version", ["v1", "v3"])
@pytest.mark.parametrize(("active", "history"), [(3, 0), (3, 3000), (1200, 0), (1200, 5000)])
def test_a_job_view_costs_what_it_shows(tmp_path, slack, world, version, active, history):
    gh = world
    fill(gh, active, history)
    settings = {"bot_view_cache_s": 0, **(V3_SETTINGS if version == "v3" else {})}
    bot = Bot.build(tmp_path, slack, gh, **settings)
    bot.command("whoami", user=HM)  # identity first: its requests are not the view's
    first_at = len(gh.calls)
    bot.command(f"job {JOB_ID}", user=HM)
    repeat_at = len(gh.calls)
    bot.command(f"job {JOB_ID}", user=HM)
    first, repeat = view_requests(gh, first_at, version) - view_requests(gh, repeat_at, version), \
        view_requests(gh, repeat_at, version)
    print(f"COST {version} active={active} history={history}: first {first}, repeat {repeat}")
    assert (first, repeat) == expected(version, active, history)
    assert f"of {active}" in str(slack.responses()[-1]) or active <= 100  # every active one was counted
    # Nothing per candidate, ever.
    assert not any(c.path.startswith(("/candidates/", "/applications/")) for c in gh.calls)


@pytest.mark.parametrize("active", [10, 1000, 5000])
def test_bench_v3_within_twice_v1(active):
    """bench/view_cost.py through the running bot: a view on v3 costs at most twice v1's —
    every repeat view (decorations cached, team names from the directory, the team's ids reused
    within the "More" window; 0006), every first view of a job in a bot that has shown another
    (decoration lists read whole, once; only the page shown is named: 0007), and the process's
    very first view too: the departments and offices lists are read ahead at start
    (bot/background.py), as the start-up check reads the close reasons."""
    from bench.view_cost import measure

    v1, v3 = measure("v1", active), measure("v3", active)
    print(f"BENCH active={active}: v1 {v1.first}/{v1.running_first}/{v1.repeat}, "
          f"v3 {v3.first}/{v3.running_first}/{v3.repeat}")
    assert v3.repeat <= 2 * v1.repeat
    assert v3.running_first <= 2 * v1.running_first
    assert v3.first <= 2 * v1.first
    # The process's first view pays no decoration list: the start-up check's close reasons and
    # the read-ahead's departments and offices name the job.
    assert v3.first == v3.running_first
    assert not {"/close_reasons", "/departments", "/offices"} & set(v3.first_by_path)
    assert v3.running_by_path is not None
    assert not {"/close_reasons", "/departments", "/offices"} & set(v3.running_by_path)
    # Names: one request for the first page on both versions, none on the repeat.
    assert v1.first_by_path["/candidates"] == v3.first_by_path["/candidates"] == 1
    # What v3 still pays on every view that v1 does not: its openings.
    assert v3.repeat - v1.repeat <= 1
    assert "/users" not in v3.first_by_path  # the team's names came from the directory
