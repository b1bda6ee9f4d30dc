"""Faults seen from Slack: Slack's Web API failing while a request is posted or updated,
and Harvest failing under a command or an approval. The requester always gets one
sentence that says what to do; nothing is left half-made; no write is repeated blindly."""

from __future__ import annotations

import json
import types

import httpx
import pytest
from slack_sdk.http_retry import builtin_handlers

from bot.greenhouse.ratelimit import RateLimiter
from bot.runtime import build_harvest, build_services, build_slack_client
from tests.conftest import HM, JOB_ID, OPEN_OPENINGS, RECRUITER, RECRUITER_ID, Bot, SyncExecutor, make_settings
from tests.fakes.clock import StepClock

APPROVALS = "CAPPROVALS"


@pytest.fixture
def settings_overrides():
    return {"bot_approvals_channel": APPROVALS}


@pytest.fixture
def slack_sleeps(monkeypatch):
    """The Slack client's retry waits, recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr(builtin_handlers, "time", types.SimpleNamespace(sleep=waits.append))
    return waits


@pytest.fixture
def prod(tmp_path, slack, gh):
    """The bot with the Slack client runtime.start builds (its retry handlers included)."""
    settings = make_settings(tmp_path, slack, bot_approvals_channel=APPROVALS)
    services = build_services(settings, slack=build_slack_client(settings),
                              harvest=build_harvest(settings, sleep=lambda s: None))
    return Bot(services, slack, gh, SyncExecutor())


def answer_first(slack, method, answers):
    """Make `method` answer with each (status, body, headers) in turn, then normally."""
    queue = list(answers)
    original = slack._answer

    def answer(name, params):
        if name == method and queue:
            with slack._cond:
                slack.calls.append((name, params))
            return queue.pop(0)
        return original(name, params)

    slack._answer = answer


RATELIMITED = (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3"})


def posts_to(slack, channel):
    return [p for p in slack.calls_to("chat.postMessage") if p["channel"] == channel]


# --- Slack's Web API fails -----------------------------------------------------------------------


def test_ratelimited_post_is_retried_after_retry_after(prod, slack, gh, slack_sleeps):
    answer_first(slack, "chat.postMessage", [RATELIMITED])
    prod.command(f"close {JOB_ID} on hold", user=HM)
    [r] = prod.services.requests.all()
    assert r.state == "requested" and r.message_ts and r.thread_ts
    assert len(posts_to(slack, APPROVALS)) == 3  # main (429), main again, thread
    assert slack_sleeps and slack_sleeps[0] >= 3
    assert f"posted in <#{APPROVALS}>" in prod.replies_text()
    assert gh.writes() == []


def test_ratelimited_beyond_the_retries_tells_the_requester_and_leaves_nothing(prod, slack, gh, slack_sleeps):
    answer_first(slack, "chat.postMessage", [RATELIMITED] * 3)
    prod.command(f"close {JOB_ID} on hold", user=HM)
    [r] = prod.services.requests.all()
    assert r.state == "discarded"
    assert len(slack_sleeps) == 2  # twice at most, as build_slack_client configures
    assert "rate-limiting me" in prod.replies_text() and "was not posted" in prod.replies_text()
    assert slack.calls_to("chat.delete") == []  # no main message was ever made
    assert prod.services.requests.pending_for(prod.services.identity.caller(HM)).requests == []


def test_slack_500_on_the_request_post(bot, slack, gh):
    slack.fail["chat.postMessage"] = (500, {})
    bot.command(f"close {JOB_ID} on hold", user=HM)
    [r] = bot.services.requests.all()
    assert r.state == "discarded"
    assert len(slack.calls_to("chat.postMessage")) == 1  # a 500 may have posted: not sent twice
    [reply] = slack.responses()
    assert "was not posted" in reply["text"] and "Traceback" not in reply["text"]
    assert gh.writes() == []


def test_channel_not_found_says_to_check_the_setting(bot, slack, gh):
    slack.fail["chat.postMessage"] = "channel_not_found"
    bot.command(f"close {JOB_ID} on hold", user=HM)
    [r] = bot.services.requests.all()
    assert r.state == "discarded"
    text = bot.replies_text()
    assert f"can't find the channel <#{APPROVALS}>" in text and "BOT_APPROVALS_CHANNEL" in text
    assert slack.calls_to("chat.delete") == []


def test_not_in_channel_on_a_submitted_reject_draft(bot, slack, gh):
    bot.command("reject 11 missing resume", user=HM)
    [draft] = bot.services.requests.all()
    slack.fail["chat.postMessage"] = "not_in_channel"
    bot.click("draft_submit", draft.id, HM)
    assert bot.services.requests.get(draft.id).state == "discarded"
    last = slack.responses()[-1]
    assert "invite me there" in last["text"] and f"<#{APPROVALS}>" in last["text"]
    # The draft cannot be submitted again nor approved: nothing dangles.
    del slack.fail["chat.postMessage"]
    attempts = len(posts_to(slack, APPROVALS))  # the one refused post
    bot.click("request_approve", draft.id, RECRUITER)
    bot.click("draft_submit", draft.id, HM)
    assert gh.writes() == [] and bot.services.requests.get(draft.id).state == "discarded"
    assert attempts == 1 and len(posts_to(slack, APPROVALS)) == 1
    assert "no longer open" in slack.responses()[-1]["text"]


def test_thread_post_500_deletes_the_main_message(bot, slack, gh):
    answer_first(slack, "chat.postMessage", [(200, {"ok": True, "channel": APPROVALS, "ts": "1700000077.000100"}, {}),
                                             (500, {"ok": False, "error": "internal_error"}, {})])
    bot.command(f"close {JOB_ID} on hold", user=HM)
    [r] = bot.services.requests.all()
    assert r.state == "discarded"
    [deleted] = slack.calls_to("chat.delete")
    assert deleted["channel"] == APPROVALS and deleted["ts"] == "1700000077.000100"
    assert "was not posted" in bot.replies_text()


def test_slack_failing_to_update_after_approval_loses_nothing(bot, slack, gh):
    bot.command(f"close {JOB_ID} on hold", user=HM)
    [r] = bot.services.requests.all()
    slack.fail["chat.update"] = (500, {})
    bot.click("request_approve", r.id, RECRUITER)
    done = bot.services.requests.get(r.id)
    assert done.state == "done" and done.results == {str(o): "closed" for o in OPEN_OPENINGS}
    assert len(gh.writes()) == len(OPEN_OPENINGS)
    # The requester is still told, by DM, even though the messages could not be updated.
    notices = [m["text"] for m in posts_to(slack, HM) if m["text"].startswith("Your request")]
    assert len(notices) == 1 and "Approved by <@URC>" in notices[0]
    bot.click("request_approve", r.id, RECRUITER)
    assert len(gh.writes()) == len(OPEN_OPENINGS)


# --- Harvest fails under Slack -------------------------------------------------------------------


def test_harvest_500_on_the_job_view_is_one_clear_sentence(bot, slack, gh):
    gh.fail("GET", f"/jobs/{JOB_ID}", 500, {"message": "Internal Server Error"}, times=10)
    resp = bot.command(f"job {JOB_ID}", user=HM)
    assert resp.status_code == 200
    [reply] = slack.responses()
    assert reply["text"] == "Greenhouse had a server error (500). Please try again in a few minutes."
    assert reply["response_type"] == "ephemeral"
    assert len([c for c in gh.reads(f"/jobs/{JOB_ID}")]) == bot.services.harvest.t.max_attempts


def test_harvest_timeout_on_the_job_view(bot, slack, gh):
    gh.fail("GET", "/candidates", httpx.ReadTimeout("timed out"), times=10)
    bot.command(f"job {JOB_ID}", user=HM)
    [reply] = slack.responses()
    assert reply["text"] == "Greenhouse did not answer in time. Please try again in a few minutes."
    assert "Ada Lovelace" not in json.dumps(reply)


def test_harvest_429_storm_under_a_command(bot, slack, gh):
    # The limiter waits each Retry-After on a fake clock: the storm costs no real time.
    clock = StepClock()  # seconds that move only when the limiter sleeps
    transport = bot.services.harvest.t
    transport.limiter = RateLimiter(50, 10.0, clock=clock, wall=clock, sleep=clock.sleep)
    gh.fail("GET", f"/jobs/{JOB_ID}", 429, {"message": "Rate limit exceeded"}, times=100, headers={"Retry-After": "5"})
    bot.command(f"job {JOB_ID}", user=HM)
    *told, reply = slack.responses()
    assert [t["text"].split(" ")[0] for t in told] == [":stopwatch:"]  # told once that it waits (issue 17 item 4)
    assert reply["text"] == "Greenhouse is busy right now (rate limit). Please try again in a minute."
    tries = [c for c in gh.calls if c.method == "GET" and c.path == f"/jobs/{JOB_ID}"]
    assert len(tries) == transport.max_rate_limited + 1  # then it gives up, and says so
    assert clock.now - 1_800_000_000.0 >= 5.0 * transport.max_rate_limited  # each Retry-After was waited


def test_harvest_timeout_on_an_approved_patch_fails_without_a_second_patch(bot, slack, gh):
    bot.command(f"close {JOB_ID} on hold", user=HM)
    [r] = bot.services.requests.all()
    first = sorted(OPEN_OPENINGS)[0]
    gh.fail("PATCH", f"/jobs/{JOB_ID}/openings/{first}", httpx.ReadTimeout("timed out"), times=5)
    bot.click("request_approve", r.id, RECRUITER)
    failed = bot.services.requests.get(r.id)
    assert failed.state == "failed"
    assert "may or may not have been made" in failed.error
    assert [w.path for w in gh.writes()] == [f"/jobs/{JOB_ID}/openings/{first}"]  # one PATCH, not repeated
    thread = [u for u in slack.calls_to("chat.update") if u["ts"] == r.thread_ts][-1]
    assert "may or may not have been made" in json.dumps(thread["blocks"])
    assert "request_retry" in json.dumps(thread["blocks"])
    assert "may or may not have been made" in posts_to(slack, HM)[-1]["text"]

    # It had in fact been made. Retry reads Greenhouse first and writes only what is still open.
    next(o for o in gh.jobs[JOB_ID]["openings"] if o["id"] == first)["status"] = "closed"
    gh.calls.clear()
    bot.click("request_retry", r.id, RECRUITER)
    done = bot.services.requests.get(r.id)
    assert done.state == "done" and done.job_status_after == "closed"
    [again] = gh.writes()
    assert again.path == f"/jobs/{JOB_ID}/openings/{sorted(OPEN_OPENINGS)[1]}"
    assert again.headers["on-behalf-of"] == str(RECRUITER_ID)


def test_harvest_timeout_on_an_approved_reject_is_not_repeated(bot, slack, gh):
    bot.command("reject 11 missing resume", user=HM)
    [draft] = bot.services.requests.all()
    bot.click("draft_submit", draft.id, HM)
    gh.fail("POST", "/applications/11/reject", httpx.RemoteProtocolError("peer closed connection"), times=5)
    bot.click("request_approve", draft.id, RECRUITER)
    failed = bot.services.requests.get(draft.id)
    assert failed.state == "failed" and "may or may not have been made" in failed.error
    assert len(gh.writes()) == 1
    bot.click("request_approve", draft.id, RECRUITER)  # a second click on Approve does not send it again
    assert len(gh.writes()) == 1


# --- the store ---------------------------------------------------------------------------------------


def test_healthz_checks_the_store(bot, monkeypatch):
    ok = bot.web.get("/healthz")
    assert ok.status_code == 200 and ok.get_json() == {"ok": True, "store": "ok", "harvest": "v1"}

    def broken():
        raise OSError("disk I/O error")

    monkeypatch.setattr(bot.services.store, "ping", broken)
    down = bot.web.get("/healthz")
    assert down.status_code == 503 and down.get_json() == {"ok": False, "store": "unavailable"}
