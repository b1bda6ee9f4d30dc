"""A v3 job view may reuse its hiring team read within the "More" window (issue 12 item 4,
docs/decisions/0006-v3-decoration-cache.md "Revisited"): v3 pays two requests for a team that
v1 embeds in the job. The reused team only ever grants — someone just added is checked against
Greenhouse at once —, someone removed keeps seeing for at most the window (as "More" and drafts
off a recent view already allowed), and everything else reads the team fresh."""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx

from bot.cache import BoundedCache
from tests.conftest import HM, JOB_ID, OUTSIDER, OUTSIDER_ID, Bot, seed_world
from tests.fakes.greenhouse import FakeGreenhouse
from tests.fakes.greenhouse_v3 import FakeGreenhouseV3
from tests.test_job_view_v3 import V3_SETTINGS
from tests.fakes.clock import StepClock

TEAM_PATHS = ("/job_owners", "/job_hiring_managers")


@pytest.fixture
def world(tmp_path: Any, slack: Any) -> Any:
    gh = FakeGreenhouse()
    seed_world(gh)
    with respx.mock(assert_all_called=False) as router:
        gh.mount_v1(router)
        FakeGreenhouseV3(gh).mount(router).add_reader()
        bot = Bot.build(tmp_path, slack, gh, bot_view_cache_s=0, **V3_SETTINGS)  # no whole-view reuse
        clock = StepClock(1000.0)
        bot.services.harvest.teams = BoundedCache(ttl_s=3600, max_entries=100, max_bytes=1 << 20, clock=clock)
        bot.command("whoami", user=HM)
        bot.command("whoami", user=OUTSIDER)
        yield bot, gh, clock


def paths_since(gh: FakeGreenhouse, at: int) -> list[str]:
    return [c.path for c in gh.calls[at:]]


def shows_candidates(bot: Bot) -> bool:
    return "Ada Lovelace" in json.dumps(bot.slack.responses()[-1])


def test_a_repeat_view_reuses_the_team_but_reads_the_job_and_openings_again(world):
    bot, gh, clock = world
    bot.command(f"job {JOB_ID}", user=HM)
    clock.now += 299  # within the "More" window (300 s)
    at = len(gh.calls)
    bot.command(f"job {JOB_ID}", user=HM)
    assert shows_candidates(bot)
    paths = paths_since(gh, at)
    assert not set(TEAM_PATHS) & set(paths)
    assert "/jobs" in paths and "/openings" in paths and "/applications" in paths
    clock.now += 2  # past it: read again
    at = len(gh.calls)
    bot.command(f"job {JOB_ID}", user=HM)
    assert set(TEAM_PATHS) <= set(paths_since(gh, at))


def test_someone_just_added_to_the_team_is_let_in_at_once(world):
    bot, gh, clock = world
    bot.command(f"job {JOB_ID}", user=HM)  # the team without Olly is kept
    outsider = gh.users[OUTSIDER_ID]
    gh.jobs[JOB_ID]["hiring_team"]["hiring_managers"].append(
        {"id": OUTSIDER_ID, "first_name": outsider["first_name"], "last_name": outsider["last_name"],
         "name": outsider["name"], "employee_id": None})
    at = len(gh.calls)
    bot.command(f"job {JOB_ID}", user=OUTSIDER)
    assert shows_candidates(bot)
    assert set(TEAM_PATHS) <= set(paths_since(gh, at))  # refused by the kept team: checked against a read now


def test_an_outsider_is_refused_by_a_team_read_now(world):
    bot, gh, clock = world
    bot.command(f"job {JOB_ID}", user=HM)
    at = len(gh.calls)
    bot.command(f"job {JOB_ID}", user=OUTSIDER)
    assert not shows_candidates(bot)
    assert "Candidates are shown only to this job's hiring team" in json.dumps(bot.slack.responses()[-1])
    assert set(TEAM_PATHS) <= set(paths_since(gh, at))
    assert "/candidates" not in paths_since(gh, at)


def test_someone_removed_sees_for_at_most_the_window(world):
    bot, gh, clock = world
    bot.command(f"job {JOB_ID}", user=HM)
    gh.jobs[JOB_ID]["hiring_team"]["hiring_managers"] = []  # Hannah is taken off the job
    clock.now += 120
    bot.command(f"job {JOB_ID}", user=HM)
    assert shows_candidates(bot)  # as "More" on the view she had would for 300 s
    clock.now += 181
    bot.command(f"job {JOB_ID}", user=HM)
    assert not shows_candidates(bot)


def test_everything_but_the_view_reads_the_team_fresh(world):
    bot, gh, clock = world
    bot.command(f"job {JOB_ID}", user=HM)
    at = len(gh.calls)
    job = bot.services.harvest.get_job(JOB_ID)  # approval, execution, auto-close: the default
    assert job is not None and not job.team_cached
    assert set(TEAM_PATHS) <= set(paths_since(gh, at))
