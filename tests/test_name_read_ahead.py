"""Candidate names read ahead on spare budget (bot/workflows/name_read_ahead.py,
docs/decisions/0016-names-read-ahead.md): after a pass, a view answered from the Harvest mirror
reads no `/candidates` either; the first pages of every open job come before the rest; requests
of at most 50 ids; nothing sent while the window is busy, the mirror stale, another process
reading, or the setting off. Driven through the bot as Slack drives it, Harvest requests counted,
on v1 and v3; the mirror's clock is the test's (never today's date)."""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from typing import Any

from bot import waiting
from bot.background import name_read_ahead, start_name_read_ahead
from bot.workflows.name_read_ahead import PLAN_S, SHARE
from tests.conftest import HM, HM_ID, JOB_ID, RECRUITER, Bot
from tests.fakes.clock import StepClock
from tests.test_harvest_mirror import START, ready, world  # noqa: F401 - the fixture
from tests.test_user_directory import v3_gh  # noqa: F401 - the v3 fixture

JOBS = {JOB_ID: 3, 7002: 90, 7003: 75}  # open jobs and their active candidates (the seed's job has 3)
STAGES = ("Application Review", "Phone Screen", "Technical Interview", "Onsite", "Offer")


def add_jobs(fake: Any) -> None:
    """Two more open jobs of HM's, candidates spread over stages (pipeline order is not the
    names' order) and over the autumn's days."""
    for jid in (7002, 7003):
        fake.add_job(jid, f"Job {jid}", team={"hiring_managers": [HM_ID]}, openings=[fake.opening(jid * 10)])
        for i in range(JOBS[jid]):
            app = fake.application(jid * 100 + i, jid, stage=STAGES[i % len(STAGES)])
            app["last_activity_at"] = f"2026-10-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"
            fake.add_candidate(jid * 10 + i * 100_000, f"Person{jid}x{i} Example", [app])


def running(world: Any) -> tuple[Bot, Any, Any]:  # noqa: F811
    """The bot running since the morning with three open jobs, their stage orders known to the
    store (views have ordered them), no candidate named yet; Harvest's calls cleared."""
    bot, fake, clock, _version = world
    add_jobs(fake)
    ready(bot.services.job_views.mirror)
    for jid in JOBS:
        assert bot.services.reference.job_stages(jid)  # what the views sort by, in the store
    fake.calls.clear()
    ahead = name_read_ahead(bot.services)
    assert ahead is not None
    return bot, fake, ahead


def name_requests(fake: Any) -> list[list[int]]:
    """The ids of each `candidates` request by ids (v1 `candidate_ids=`, v3 `ids=`), in order."""
    found = []
    for call in fake.calls:
        if call.path == "/candidates":
            ids = call.params.get("candidate_ids") or call.params.get("ids")
            assert ids, call.params  # never the paged list of every candidate
            found.append([int(i) for i in ids.split(",")])
    return found


def active_candidates(fake: Any) -> dict[int, int]:
    """application id → candidate id, for the active applications of the open jobs."""
    return {a["id"]: c["id"] for c in fake.candidates.values() for a in c["applications"]
            if a["status"] == "active" and a["jobs"][0]["id"] in JOBS}


def shown(bot: Bot, jid: int) -> list[int]:
    """The application ids the job's first page shows in Slack."""
    bot.command(f"job {jid}", user=HM)
    return [int(x) for x in re.findall(r"application `(\d+)`", json.dumps(bot.slack.responses()[-1]))]


def test_after_a_pass_every_first_page_is_named_first_and_no_view_reads_names(world):  # noqa: F811
    bot, fake, ahead = running(world)
    ahead.max_requests = 100
    assert ahead.run_once() == math.ceil(sum(JOBS.values()) / 50)  # 168 candidates: 4 requests
    requests = name_requests(fake)
    assert [len(r) for r in requests] == [50, 50, 50, 18]  # at most 50 ids a request
    order = [c for r in requests for c in r]
    apps = active_candidates(fake)
    assert sorted(order) == sorted(apps.values())  # every active candidate once, no one else
    fake.calls.clear()
    first_pages = {jid: shown(bot, jid) for jid in JOBS}
    assert "/candidates" not in [c.path for c in fake.calls]  # every first view: no name read
    on_first = {apps[a] for ids in first_pages.values() for a in ids}
    assert len(on_first) > 50  # (more than one request's worth: the order matters)
    positions = {c: n for n, c in enumerate(order)}
    # Every candidate a first page shows is among the first ones read: their number, plus at
    # most one a job (a view names its page as bot/slack/blocks/job.py `candidates_on_page`
    # counts it, which may be one more than the page then shows beside its links). Job by job
    # instead, the last job's first page would come after the other jobs' later pages.
    assert max(positions[c] for c in on_first) < len(on_first) + len(JOBS)
    assert "Person7002x" in bot.replies_text()  # named, not "candidate <id>"
    more = [el for b in bot.slack.responses()[-1]["blocks"] if b["type"] == "actions" for el in b["elements"]
            if el["action_id"] == "job_view_more"]
    bot.click("job_view_more", more[0]["value"], HM, channel="CASK")  # the rest were read too
    assert "/candidates" not in [c.path for c in fake.calls]
    fake.calls.clear()
    assert ahead.run_once() == 0 and fake.calls == []  # nothing left to read


def test_a_pass_is_bounded_and_goes_last_in_the_line(world):  # noqa: F811
    bot, fake, ahead = running(world)
    seen: list[waiting.Waiting | None] = []
    read = bot.services.harvest.candidate_names

    def candidate_names(ids):  # type: ignore[no-untyped-def]
        seen.append(waiting.current())
        return read(ids)

    bot.services.harvest.candidate_names = candidate_names  # type: ignore[method-assign]
    ahead.max_requests = 2
    assert ahead.run_once() == 2
    assert [len(r) for r in name_requests(fake)] == [50, 50]
    # Behind every command in this process's line, never first, never on the mirror's reserve.
    assert all(w is not None and not w.first and w.since == float("inf") for w in seen)
    fake.calls.clear()
    assert ahead.run_once() == 2 and len(name_requests(fake)) == 2  # the next pass goes on where it stopped


def fill_window(bot: Bot, upto: int) -> None:
    limiter = bot.services.harvest.t.limiter
    while limiter.budget.sent_in_window() < upto:
        assert limiter.budget.claim(0)[0] == 0


def share_of(bot: Bot) -> int:
    limiter = bot.services.harvest.t.limiter
    return int(SHARE * (limiter.limit - limiter.reserve))  # v1 half of 50 − 2, v3 half of 75 − 3


def test_a_busy_window_sends_nothing(world):  # noqa: F811
    bot, fake, ahead = running(world)
    fill_window(bot, share_of(bot))  # commands (any process's) took half the window
    assert ahead.run_once() == 0
    assert fake.calls == []


def test_a_window_that_turns_busy_ends_the_pass_after_one_request(world):  # noqa: F811
    bot, fake, ahead = running(world)
    ahead.max_requests = 100
    read = ahead.names.read_ahead

    def then_busy(ids):  # type: ignore[no-untyped-def]
        found = read(ids)
        fill_window(bot, share_of(bot))  # a burst of commands meanwhile
        return found

    ahead.names.read_ahead = then_busy  # type: ignore[method-assign]
    assert ahead.run_once() == 1  # asked again before the second request: no longer idle
    assert [len(r) for r in name_requests(fake)] == [50]


def test_a_stale_mirror_reads_nothing_ahead(world):  # noqa: F811
    bot, fake, ahead = running(world)
    _bot, _fake, clock, _version = world
    clock.now += bot.services.job_views.mirror.fresh_s + 1  # the turns stopped
    assert ahead.run_once() == 0 and fake.calls == []


def test_a_second_process_on_the_store_does_not_read_the_same_names(tmp_path, slack, gh):
    clock = StepClock(START)
    gh.clock = clock
    add_jobs(gh)
    a, b = (Bot.build(tmp_path, slack, gh) for _ in range(2))
    for bot in (a, b):
        bot.services.job_views.mirror.clock = clock
    ready(a.services.job_views.mirror)
    gh.calls.clear()
    first, second = name_read_ahead(a.services), name_read_ahead(b.services)
    assert first is not None and second is not None
    first.max_requests = second.max_requests = 100
    during: list[int] = []
    read = first.names.read_ahead

    def meanwhile(ids):  # type: ignore[no-untyped-def]
        during.append(second.run_once())  # b's loop comes round while a reads: a holds the lease
        return read(ids)

    first.names.read_ahead = meanwhile  # type: ignore[method-assign]
    assert first.run_once() == 4
    assert during == [0, 0, 0, 0]
    assert len(name_requests(gh)) == 4
    gh.calls.clear()
    clock.now += 1
    assert second.run_once() == 0  # after a's pass: every name is in the store already
    assert gh.calls == []
    b.command("whoami", user=RECRUITER)
    gh.calls.clear()
    b.command(f"job {JOB_ID}", user=RECRUITER)  # b's view: the names a read, from the store
    assert "/candidates" not in [c.path for c in gh.calls]
    assert "Ada Lovelace" in b.replies_text()


def test_turned_off_nothing_is_read_ahead(tmp_path, slack, gh):
    bot = Bot.build(tmp_path, slack, gh, bot_names_ahead=False)
    assert name_read_ahead(bot.services) is None
    assert start_name_read_ahead(bot.services, threading.Event()) == []
    assert name_read_ahead(Bot.build(tmp_path, slack, gh, bot_mirror_s=0).services) is None  # no mirror: none


def test_a_failure_is_logged_by_its_type_only(world, caplog):  # noqa: F811
    bot, fake, ahead = running(world)
    fake.fail("GET", "/candidates", 500, {"message": "boom"}, times=20)
    with caplog.at_level(logging.INFO):
        assert ahead.run_once() == 0
    # The bot's own records, every field (httpx's URL lines are quieted in production: bot/logs.py).
    logged = "\n".join(r.getMessage() + str(vars(r)) for r in caplog.records if r.name.startswith("bot"))
    assert "names_ahead_failed error=" in logged
    ids = {str(c) for c in active_candidates(fake).values() if c > 1000}  # (the seed's 1, 2, 3 match line numbers)
    assert not [i for i in ids if re.search(rf"\b{i}\b", logged)] and "Person" not in logged
    fake.faults.clear()
    fake.calls.clear()
    assert ahead.run_once() == 4  # the next pass reads them (the lease was handed back)


def test_a_plan_is_kept_a_while_and_names_read_meanwhile_are_not_read_again(world):  # noqa: F811
    bot, fake, ahead = running(world)
    _bot, _fake, clock, _version = world
    mirror = bot.services.job_views.mirror
    ahead.max_requests = 1
    assert ahead.run_once() == 1
    fake.calls.clear()
    viewed = shown(bot, 7003)  # a view names its page itself meanwhile (one request)
    [by_view] = name_requests(fake)
    fake.calls.clear()
    ahead.max_requests = 100
    left = sum(JOBS.values()) - 50 - len(by_view)
    assert ahead.run_once() == math.ceil(left / 50)  # the rest of the plan made before the view …
    read = [c for r in name_requests(fake) for c in r]
    assert len(read) == left and not set(read) & set(by_view)  # … without the view's names
    assert viewed
    # A candidate who applies now: not planned before the plan's time is up (nothing was
    # left to read at the last one), then named alone.
    fake.add_candidate(9_999_001, "Late Applicant", [fake.application(9_999_101, 7002, stage="Offer")])
    fake.find_application(9_999_101).update(last_activity_at=fake.stamp())
    clock.now += 10
    assert mirror.sync_once()  # the turn brings the new application
    fake.calls.clear()
    assert ahead.run_once() == 0 and fake.calls == []
    clock.now += PLAN_S
    mirror.jobs_once()  # (the mirror kept fresh meanwhile: v1 reads the jobs again, v3 not yet due)
    assert mirror.sync_once() and mirror.fresh()
    fake.calls.clear()
    assert ahead.run_once() == 1
    assert name_requests(fake) == [[9_999_001]]


def test_the_loop_refreshes_names_changed_in_greenhouse_once_views_no_longer_read_any(world):  # noqa: F811
    bot, fake, ahead = running(world)
    _bot, _fake, clock, version = world
    mirror, names = bot.services.job_views.mirror, bot.services.job_views.names
    names._wall = clock  # the name cache's clock too: the test's (never today's date)
    ahead.max_requests = 100
    assert ahead.run_once() == 4
    fake.candidates[1].update(last_name="King", updated_at=fake.stamp())  # renamed in Greenhouse
    clock.now += names.refresh_s
    mirror.jobs_once()
    assert mirror.sync_once()
    fake.calls.clear()
    assert ahead.run_once() == 1  # the refresh, nothing else: every name is known
    [refresh] = fake.calls
    assert refresh.path == "/candidates" and ("updated_after" in refresh.params if version == "v1"
                                              else refresh.params["updated_at"].startswith("gte|"))
    fake.calls.clear()
    bot.command(f"job {JOB_ID}", user=HM)
    assert "Ada King" in json.dumps(bot.slack.responses()[-1]) and "/candidates" not in [c.path for c in fake.calls]


def test_a_confidential_job_s_candidates_are_not_read_ahead(world):  # noqa: F811
    bot, fake, clock, _version = world
    fake.jobs[JOB_ID]["confidential"] = True  # its 3 candidates: Ada, Grace, Alan
    bot, fake, ahead = running(world)
    ahead.max_requests = 100
    assert ahead.run_once() == math.ceil((sum(JOBS.values()) - JOBS[JOB_ID]) / 50)
    read = {c for r in name_requests(fake) for c in r}
    assert read and not read & {1, 2, 3}
    fake.calls.clear()
    bot.command(f"job {JOB_ID}", user=HM)  # its hiring team looks: names read then, as before
    assert "Ada Lovelace" in json.dumps(bot.slack.responses()[-1]) and len(name_requests(fake)) == 1
