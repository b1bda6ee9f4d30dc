"""The user directory is loaded when the bot starts (bot/background.py), in the background:
the first command after a deploy finds its person without a Harvest request, boot and
GET /readyz do not wait for the read, and processes starting together read it once."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import pytest

from bot import runtime
from tests.conftest import HM, OUTSIDER, RECRUITER, Bot, SyncExecutor, make_settings


def lookups_by_email(gh: Any) -> list[Any]:
    return [c for c in gh.reads("/users") if "email" in c.params]


def directory_reads(gh: Any) -> list[Any]:
    return [c for c in gh.reads("/users") if "email" not in c.params and c.path == "/users"]


def wait_for(check: Any, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def start_bot(slack: Any) -> Any:
    """runtime.start() as gunicorn's worker calls it; stopped after the test."""
    started: list[Any] = []
    root = logging.getLogger()
    saved = root.handlers[:], root.level

    def start(tmp_path: Any, **overrides: Any) -> Any:
        settings = make_settings(tmp_path, slack, bot_poll_interval_s=0, **overrides)
        running = runtime.start("http", settings)
        root.handlers[:], root.level = saved
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop.set()


def command_as(running: Any, slack: Any, gh: Any, text: str, user: str) -> str:
    """A signed command through the started bot's own web app, its after-ack work inline."""
    Bot(running.services, slack, gh, SyncExecutor()).command(text, user=user)
    return json.dumps(slack.responses()[-1])


def test_the_directory_is_loaded_at_start_so_the_first_command_costs_no_look_up(tmp_path, slack, gh, start_bot):
    running = start_bot(tmp_path)
    assert wait_for(lambda: running.services.identity.users.fresh_within(60))
    assert len(directory_reads(gh)) == 1 and gh.reads("/users")[0].params.get("per_page") == "500"
    gh.calls.clear()

    answer = command_as(running, slack, gh, "whoami", HM)

    assert "Hannah Manager" in answer
    assert lookups_by_email(gh) == [] and directory_reads(gh) == []


def test_boot_and_readiness_do_not_wait_for_the_directory(tmp_path, slack, gh, start_bot):
    release = threading.Event()
    real_handle = gh.handle

    def slow_users(method: str, path: str, *args: Any, **kw: Any) -> Any:
        if path == "/users" and not release.wait(10):
            raise AssertionError("never released")
        return real_handle(method, path, *args, **kw)

    gh.handle = slow_users
    try:
        running = start_bot(tmp_path)  # returns while the directory read is held
        assert wait_for(lambda: len(directory_reads(gh)) == 0 and running.services.readiness.run_once())
        web = running.web.test_client()
        assert web.get("/readyz").status_code == 200 and web.get("/healthz").status_code == 200
        assert not running.services.identity.users.fresh_within(60)
    finally:
        release.set()
    assert wait_for(lambda: running.services.identity.users.fresh_within(60))
    assert len(directory_reads(gh)) == 1


def test_processes_starting_together_read_the_directory_once(tmp_path, slack, gh, start_bot):
    # The Procfile's two workers (or replicas) on one store, started in the same instant.
    first, second = start_bot(tmp_path), start_bot(tmp_path)
    assert wait_for(lambda: first.services.identity.users.fresh_within(60))
    time.sleep(1.2)  # past the start jitter: both loops have run once
    assert len(directory_reads(gh)) == 1
    gh.calls.clear()
    for running, person in ((first, RECRUITER), (second, OUTSIDER)):
        command_as(running, slack, gh, "whoami", person)
    assert lookups_by_email(gh) == [] and directory_reads(gh) == []


def test_no_warm_up_when_the_directory_is_off(tmp_path, slack, gh, start_bot):
    start_bot(tmp_path, bot_directory_refresh_s=0)
    time.sleep(1.2)
    assert directory_reads(gh) == []
