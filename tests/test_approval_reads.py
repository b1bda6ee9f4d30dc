"""What an approval and the closing's announcement read from Harvest, on v1 and v3, counted
through the running bot (Slack clicks, Greenhouse's own closing, the poller): the approvers
alone, fresh (v3 `job_owners`, not the job's four lists); the job's status after the writes
(v3 `jobs?ids=` alone), handed to the announcement rather than read again; for a closing still
to announce, the team alone when the bot's own request is the cause, else the whole job (the
openings say whether a hire closed it). And still: someone taken off the team cannot approve,
one announcement per closing, naming the same people."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.poller import Poller
from tests.autoclose_support import WEBHOOK_SECRET, deliver, job_updated, notices, sync_webhooks
from tests.conftest import COORDINATOR, HM, JOB_ID, OPEN_OPENINGS, OUTSIDER, OUTSIDER_ID, RECRUITER, Bot, served_both_ways
from tests.fakes.greenhouse import FakeGreenhouse, close_job
from tests.test_job_view_v3 import V3_SETTINGS

PAGE = {"per_page": "500"}
NAMES = {"/users", "/close_reasons", "/departments", "/offices"}
V1_JOB = ("/jobs/6404", {})
# v3: the job's own fields, its approvers, and the rest of the whole job (openings, team).
V3_STATUS = ("/jobs", {"ids": "6404", **PAGE})
V3_OWNERS = ("/job_owners", {"job_ids": "6404", **PAGE})
V3_OPENINGS = ("/openings", {"job_ids": "6404", **PAGE})
V3_MANAGERS = ("/job_hiring_managers", {"job_ids": "6404", **PAGE})
V3_WHOLE = [V3_STATUS, V3_OPENINGS, V3_OWNERS, V3_MANAGERS]
V3_TEAM = [V3_OWNERS, V3_MANAGERS]  # the hiring team alone (Harvest.with_team)


@pytest.fixture(params=["v1", "v3"])
def world(request: Any, tmp_path: Any, slack: Any) -> Any:
    """(bot, Greenhouse, version): one Greenhouse served both ways, its people mapped."""
    with served_both_ways() as (gh, _v3):
        settings = {"greenhouse_webhook_secret": WEBHOOK_SECRET, **(V3_SETTINGS if request.param == "v3" else {})}
        bot = Bot.build(tmp_path, slack, gh, **settings)
        assert bot.services.harvest.version == request.param
        for person in (HM, RECRUITER, COORDINATOR, OUTSIDER):
            bot.command("whoami", user=person)
        yield bot, gh, request.param


def reads(gh: FakeGreenhouse) -> list[tuple[str, dict[str, str]]]:
    """The job's reads, in order. Left out: what the Home tabs redrawn after each transition
    read (bot/workflows/home_jobs.py: a member's open jobs — `status=open`, v3 `user_ids=` —,
    their open openings — v3 `open=true` — and active applications counted), and the names
    that only decorate, kept for minutes (users — also the notice's DM recipients —, close
    reasons, departments, offices): not what is counted here."""
    return [(c.path, dict(c.params)) for c in gh.reads()
            if c.params.get("status") not in ("open", "active") and "user_ids" not in c.params
            and c.params.get("open") != "true" and c.path not in NAMES]


def ask_close(bot: Bot) -> str:
    bot.command(f"close {JOB_ID} on hold", user=HM)
    [request] = [r for r in bot.services.requests.all() if r.state == "requested"]
    return request.id


def closing_posts(slack: Any) -> list[tuple[str, str]]:
    """Where the closing notice went (a DM: the Slack user; the request's thread) and its text."""
    return [(m["channel"] + ("/thread" if m.get("thread_ts") else ""), m["text"]) for m in notices(slack)
            if "is now closed — its last opening was closed" in m["text"]]


def test_an_approved_close_reads_the_approvers_openings_and_status_then_the_team_alone(world, slack):
    bot, gh, version = world
    request_id = ask_close(bot)
    gh.calls.clear()
    bot.click("request_approve", request_id, RECRUITER)

    opening = (lambda o: f"/jobs/{JOB_ID}/openings/{o}") if version == "v1" else (lambda o: f"/openings/{o}")
    assert [(w.method, w.path) for w in gh.writes()] == [("PATCH", opening(o)) for o in OPEN_OPENINGS]
    if version == "v1":
        # Before: the job 3 times (approvers, status, announcement) + openings = 4 reads.
        # Now the status read's whole job (v1 embeds openings and team) serves the announcement.
        assert reads(gh) == [V1_JOB, (f"/jobs/{JOB_ID}/openings", PAGE), V1_JOB]
    else:
        # Before: 4 (the whole job for its approvers) + 1 + 4 (for its status) + 4 (announcement) = 13,
        # then 7 (the announcement's whole job: 4). Now the request is the cause, known from the
        # store: the announcement reads the team alone (who is told), not the job's fields again
        # nor its openings: approvers 1 + openings 1 + status 1 + team 2 = 5.
        assert reads(gh) == [V3_OWNERS, V3_OPENINGS, V3_STATUS, *V3_TEAM]
    finished = bot.services.requests.get(request_id)
    assert finished.state == "done" and finished.job_status_after == "closed"
    assert finished.job_after is None  # handed on in the process, never stored

    # The announcement as before: the request's thread, and a DM to the hiring manager and the
    # recruiter (not the coordinator), the approved request as the cause.
    posts = closing_posts(slack)
    assert sorted(where for where, _ in posts) == sorted(["CASK/thread", HM, RECRUITER])
    assert all("approved request, approved by <@URC>" in text for _, text in posts)
    [claimed] = [v for _, v in bot.services.store.items("announced")]
    assert claimed["cause"] == "request"

    # A web hook or a poll after it: the status alone (already announced), nothing more said.
    gh.calls.clear()
    assert bot.services.autoclose.announce_if_closed(JOB_ID) is None
    assert reads(gh) == ([V1_JOB] if version == "v1" else [V3_STATUS])
    assert len(closing_posts(slack)) == 3


def test_an_approver_taken_off_the_team_is_refused_after_one_fresh_read(world, slack):
    bot, gh, version = world
    request_id = ask_close(bot)
    gh.jobs[JOB_ID]["hiring_team"]["recruiters"] = []
    gh.jobs[JOB_ID]["hiring_team"]["sourcers"] = [{"id": OUTSIDER_ID}]  # a sourcer approves nothing
    gh.calls.clear()
    for clicker in (RECRUITER, OUTSIDER):
        bot.click("request_approve", request_id, clicker)
        assert "Only the recruiters and coordinators of Archaeologist or a bot admin can approve" in json.dumps(
            slack.responses()[-1])
    assert gh.writes() == [] and bot.services.requests.get(request_id).state == "requested"
    assert reads(gh) == [V1_JOB if version == "v1" else V3_OWNERS] * 2  # read each time: never from a copy

    bot.click("request_approve", request_id, COORDINATOR)  # still on the team
    assert len(gh.writes()) == len(OPEN_OPENINGS)


def test_checking_a_job_still_open_reads_its_status_alone(world, slack):
    bot, gh, version = world
    gh.calls.clear()
    assert bot.services.autoclose.announce_if_closed(JOB_ID) is None
    assert reads(gh) == ([V1_JOB] if version == "v1" else [V3_STATUS])  # v3: 1, not the whole job's 4


def test_a_web_hook_for_a_closing_reads_the_status_then_the_job_once(world, slack):
    bot, gh, version = world
    sync_webhooks(bot)
    close_job(gh, JOB_ID)  # Greenhouse closed it by itself
    gh.calls.clear()
    for event_id in ("evt-1", "evt-2"):  # a second delivery of the same closing (another event)
        assert deliver(bot, job_updated(JOB_ID), event_id=event_id).status_code == 200
    # The first: the status, then the whole job to announce; the second: the status alone.
    assert reads(gh) == ([V1_JOB, V1_JOB] if version == "v1" else [V3_STATUS, *V3_WHOLE, V3_STATUS])
    assert sorted(where for where, _ in closing_posts(slack)) == sorted([HM, RECRUITER])


def test_a_web_hook_after_a_hire_still_reads_the_openings_that_say_so(world, slack):
    bot, gh, version = world
    sync_webhooks(bot)
    close_job(gh, JOB_ID, application_id=11)  # the last opening filled by a hire: Greenhouse closed the job
    gh.calls.clear()
    assert deliver(bot, job_updated(JOB_ID)).status_code == 200
    # No request of the bot's is the cause: the whole job, openings and all (v3: not the team alone).
    assert reads(gh) == ([V1_JOB] if version == "v1" else [V3_STATUS, *V3_WHOLE])
    posts = closing_posts(slack)
    assert sorted(where for where, _ in posts) == sorted([HM, RECRUITER])
    assert all("(after a hire)" in text for _, text in posts)


def test_a_web_hook_for_the_bot_s_own_close_not_yet_announced_reads_the_status_and_team(world, slack):
    # The approval's own announcement did not happen (say its process died after the writes):
    # the web hook finds the closing unannounced, and the request done as its cause.
    bot, gh, version = world
    sync_webhooks(bot)
    request_id = ask_close(bot)
    bot.click("request_approve", request_id, RECRUITER)
    [key] = [k for k, _ in bot.services.store.items("announced")]
    bot.services.store.delete("announced", key)
    slack.calls.clear()
    gh.calls.clear()
    assert deliver(bot, job_updated(JOB_ID)).status_code == 200
    assert reads(gh) == ([V1_JOB] if version == "v1" else [V3_STATUS, *V3_TEAM])
    posts = closing_posts(slack)
    assert sorted(where for where, _ in posts) == sorted(["CASK/thread", HM, RECRUITER])
    assert all("approved request, approved by <@URC>" in text for _, text in posts)


def test_the_poller_hands_over_the_job_it_listed(world, slack):
    bot, gh, version = world
    poller = Poller(bot.services.store, bot.services.harvest, bot.services.autoclose.announce_listed)
    poller.run_once()  # the first run records every job
    close_job(gh, JOB_ID)
    gh.calls.clear()
    assert poller.run_once() == [JOB_ID]
    listing = [r for r in reads(gh) if r[0] == "/jobs" and "ids" not in r[1]]
    assert len(listing) == 1
    # No status read first: the listing said closed. v1's listing embeds openings and team:
    # nothing more (before: the job again); v3's is bare: the whole job is read to announce it
    # (before: the same 4).
    assert [r for r in reads(gh) if r not in listing] == ([] if version == "v1" else V3_WHOLE)
    posts = closing_posts(slack)
    assert sorted(where for where, _ in posts) == sorted([HM, RECRUITER])
    assert all("(closed in Greenhouse)" in text for _, text in posts)
    gh.calls.clear()
    assert poller.run_once() == [] and reads(gh) == listing  # seen: nothing more


def test_an_approved_reject_reads_the_approvers_and_the_status_alone(world, slack):
    bot, gh, version = world
    bot.command("reject 11 missing resume", user=HM)
    [draft] = [r for r in bot.services.requests.all() if r.state == "draft"]
    bot.click("draft_submit", draft.id, HM)
    gh.calls.clear()
    bot.click("request_approve", draft.id, RECRUITER)
    assert [(w.method, w.path) for w in gh.writes()] == [("POST", "/applications/11/reject")]
    # Before: the whole job twice (approvers; the status for the message): 8 on v3, 2 on v1.
    assert reads(gh) == ([V1_JOB, V1_JOB] if version == "v1" else [V3_OWNERS, V3_STATUS])
    finished = bot.services.requests.get(draft.id)
    assert (finished.state, finished.job_status_after) == ("done", "open")
    assert closing_posts(slack) == []
