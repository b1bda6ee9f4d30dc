"""Exactly once however long Greenhouse takes: a live execution keeps its claim while it
waits (heartbeat), a stale one can never write (fencing token checked on the wire), and
whoever resumes a request reads what Greenhouse already did before writing.

Two bots on one store file stand for two gunicorn workers; each has its own rate
limiter, as separate processes would. Greenhouse answers the first PATCH with 429 and
a Retry-After several times longer than the claim's lease."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from bot import housekeeping
from bot.greenhouse import ratelimit
from tests.conftest import COORDINATOR, COORDINATOR_ID, HM, JOB_ID, OPEN_OPENINGS, RECRUITER, RECRUITER_ID, Bot

LEASE_S = 1.0  # heartbeats every 0.25 s: a stall of a whole second under load would be needed to miss one
RETRY_AFTER_S = 3.0  # three leases
FIRST, SECOND = sorted(OPEN_OPENINGS)


@pytest.fixture(params=["sqlite", "postgres"])
def store_settings(request, tmp_path):
    """Both stores: the fencing is the public compare-and-set `Store.update` on either."""
    return {} if request.param == "sqlite" else {"database_url": request.getfixturevalue("pg_url")}


def two_workers(tmp_path, slack, gh, store_settings=None):
    settings = {"bot_approvals_channel": "CAPPROVALS", "bot_claim_lease_s": LEASE_S, **(store_settings or {})}
    a = Bot.build(tmp_path, slack, gh, **settings)
    ratelimit._registry.clear()  # the second worker's limiter is its own, as in another process
    b = Bot.build(tmp_path, slack, gh, **settings)
    return a, b


def ask_close(bot):
    bot.command(f"close {JOB_ID} on hold", user=HM)
    [request] = [r for r in bot.services.requests.all() if r.state == "requested"]
    return request


def patches(gh, opening):
    return [c for c in gh.calls if c.method == "PATCH" and c.path == f"/jobs/{JOB_ID}/openings/{opening}"]


def approve_in_background(bot, request_id):
    clicked = threading.Thread(target=bot.click, args=("request_approve", request_id, RECRUITER))
    clicked.start()
    deadline = time.monotonic() + 5
    while not patches(bot.gh, FIRST) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert patches(bot.gh, FIRST), "the first PATCH was never sent"
    return clicked


def test_a_live_execution_keeps_its_claim_through_a_retry_after_longer_than_the_lease(tmp_path, slack, gh, store_settings):
    a, b = two_workers(tmp_path, slack, gh, store_settings)
    r = ask_close(a)
    gh.fail("PATCH", f"/jobs/{JOB_ID}/openings/{FIRST}", 429, {"message": "Rate limit exceeded"},
            headers={"Retry-After": str(RETRY_AFTER_S)})
    clicked = approve_in_background(a, r.id)

    # While A waits out the 429, B's housekeeping runs over and over and an approver clicks Retry on B.
    until = time.monotonic() + RETRY_AFTER_S * 0.75
    while time.monotonic() < until:
        housekeeping.run_once(b.services)
        b.click("request_retry", r.id, COORDINATOR)
        assert b.services.requests.get(r.id).state == "executing"
        time.sleep(LEASE_S / 2)
    assert "being carried out now" in b.replies_text()
    clicked.join(RETRY_AFTER_S * 5)
    assert not clicked.is_alive()

    done = a.services.requests.get(r.id)
    assert done.state == "done" and done.claim_generation == 1 and done.decided_by == RECRUITER
    # One 429 then one accepted PATCH for the first opening, one PATCH for the second: each closed once.
    assert len(patches(gh, FIRST)) == 2 and len(patches(gh, SECOND)) == 1
    assert {c.headers["on-behalf-of"] for c in gh.writes()} == {str(RECRUITER_ID)}


def test_an_executor_that_lost_its_claim_never_writes_after_its_wait(tmp_path, slack, gh, store_settings):
    a, b = two_workers(tmp_path, slack, gh, store_settings)
    r = ask_close(a)
    gh.fail("PATCH", f"/jobs/{JOB_ID}/openings/{FIRST}", 429, {"message": "Rate limit exceeded"},
            headers={"Retry-After": str(RETRY_AFTER_S)})
    # B's clock runs an hour ahead: to B, A's lease looks long expired (as if A were frozen
    # past its heartbeat) — the case the fencing token exists for.
    b.services.requests._clock = lambda: time.time() + 3600
    clicked = approve_in_background(a, r.id)

    housekeeping.run_once(b.services)  # B takes the request over and settles it by reading: still open
    taken = b.services.requests.get(r.id)
    assert taken.state == "failed" and taken.claim_generation == 2
    b.click("request_retry", r.id, COORDINATOR)  # B closes both openings under generation 3
    assert b.services.requests.get(r.id).state == "done"
    clicked.join(RETRY_AFTER_S * 5)
    assert not clicked.is_alive()

    # A woke after Retry-After, checked its token before sending again, and sent nothing.
    assert [c.headers["on-behalf-of"] for c in patches(gh, FIRST)] == [str(RECRUITER_ID), str(COORDINATOR_ID)]
    assert [c.headers["on-behalf-of"] for c in patches(gh, SECOND)] == [str(COORDINATOR_ID)]
    final = a.services.requests.get(r.id)
    assert final.state == "done" and final.decided_by == COORDINATOR and final.claim_generation == 3
    assert "took this request over" in a.replies_text()
    # A said nothing about an outcome it no longer owns: one notice to the requester, from B.
    notices = [m for m in slack.calls_to("chat.postMessage") if m["channel"] == HM and m["text"].startswith("Your request")]
    assert len(notices) == 2 and "Retry" in notices[0]["text"] and "Approved by <@UCO>" in notices[1]["text"]


def test_a_stale_heartbeat_does_not_revive_a_taken_over_claim(tmp_path, slack, gh):
    a, _ = two_workers(tmp_path, slack, gh)
    requests = a.services.requests
    r = ask_close(a)
    claimed = requests.claim(r.id, a.services.identity.caller(RECRUITER))
    assert requests.renew(r.id, claimed.claim_generation)
    requests._clock = lambda: time.time() + 3600
    [settled] = requests.reconcile_stuck()
    assert settled.state == "failed" and settled.claim_generation == claimed.claim_generation + 1
    assert not requests.renew(r.id, claimed.claim_generation)
    assert requests.get(r.id).state == "failed"


@pytest.mark.parametrize("greenhouse_did_it", [True, False])
def test_a_resumed_reject_reads_the_application_before_writing(bot, slack, gh, greenhouse_did_it):
    bot.command("reject 11 missing resume", user=HM)
    [draft] = bot.services.requests.all()
    bot.click("draft_submit", draft.id, HM)
    gh.fail("POST", "/applications/11/reject", httpx.ReadTimeout("timed out"))
    bot.click("request_approve", draft.id, RECRUITER)
    assert bot.services.requests.get(draft.id).state == "failed" and len(gh.writes()) == 1
    if greenhouse_did_it:
        gh.find_application(11)["status"] = "rejected"
    bot.click("request_retry", draft.id, COORDINATOR)
    assert bot.services.requests.get(draft.id).state == "done"
    assert len(gh.writes()) == (1 if greenhouse_did_it else 2)
    assert gh.reads("/applications/11")  # read before deciding whether to write


@pytest.mark.slow
def test_kill9_bench_with_greenhouse_slower_than_the_claim():
    """bench/kill9.py --slow: two bot processes, 429 with Retry-After of three leases, a kill mid-wait."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "bench/kill9.py", "--slow", "--rounds", "2"], cwd=root,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "writes lost in 0, doubled in 0" in run.stdout
