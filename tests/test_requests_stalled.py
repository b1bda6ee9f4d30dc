"""A worker that is alive but stalled (here: Greenhouse took a write and its answer never
comes back, the way a socket can hang) must not keep its request `executing` forever:
its heartbeat stops renewing the lease once the run has made no progress for the stall
limit, housekeeping in another worker takes the request over and settles it by reading
Greenhouse, Retry finishes it, and when the stalled worker wakes up it writes nothing.

Two bots on one store stand for two processes; they share a fake clock, which the test
moves past the stall limit instead of waiting for it."""

from __future__ import annotations

import threading
import time

import pytest

from bot import housekeeping
from tests.conftest import COORDINATOR, COORDINATOR_ID, JOB_ID, RECRUITER, RECRUITER_ID
from tests.fakes.clock import StepClock
from tests.test_requests_exactly_once import FIRST, SECOND, ask_close, patches, two_workers

STALL_S = 600.0


@pytest.fixture(params=["sqlite", "postgres"])
def store_settings(request):
    return {} if request.param == "sqlite" else {"database_url": request.getfixturevalue("pg_url")}


def stall_answer_to(gh, method, path):
    """Greenhouse applies the write, then its answer hangs until `release` is set."""
    stalled, release = threading.Event(), threading.Event()
    handle = gh.handle

    def hanging(m, p, *args, **kwargs):
        answer = handle(m, p, *args, **kwargs)
        if (m, p) == (method, path) and not release.is_set():
            stalled.set()
            release.wait(30)
        return answer

    gh.handle = hanging
    return stalled, release


def wait_for(check) -> bool:  # type: ignore[no-untyped-def]
    """Until `check()` holds (another thread's next step), for at most 10 s."""
    deadline = time.monotonic() + 10
    while not check() and time.monotonic() < deadline:
        time.sleep(0.02)
    return check()


def lease_until(bot, request_id: str) -> float:
    return bot.services.requests.get(request_id).lease_until or 0.0


def lease_thread_alive(request_id: str) -> bool:
    return any(t.name == f"lease-{request_id}" for t in threading.enumerate())


def test_a_stalled_worker_stops_renewing_and_the_request_is_resumed_and_written_once(tmp_path, slack, gh,
                                                                                      store_settings):
    a, b = two_workers(tmp_path, slack, gh, store_settings)
    clock = StepClock(time.time())
    for worker in (a, b):
        worker.services.requests._clock = clock
        worker.services.requests.stall_s = STALL_S
    r = ask_close(a)
    stalled, release = stall_answer_to(gh, "PATCH", f"/jobs/{JOB_ID}/openings/{FIRST}")

    approved = threading.Thread(target=a.click, args=("request_approve", r.id, RECRUITER))
    approved.start()
    try:
        assert stalled.wait(10), "the first PATCH never reached Greenhouse"
        # Within the stall limit its heartbeat goes on renewing the lease: nobody takes it over.
        clock.now += STALL_S / 2
        assert wait_for(lambda: lease_until(b, r.id) > clock.now), "the heartbeat stopped within the stall limit"
        housekeeping.run_once(b.services)
        assert b.services.requests.get(r.id).state == "executing"

        # Past the stall limit its heartbeat gives up (on its next beat, a quarter lease away)...
        clock.now += STALL_S
        assert wait_for(lambda: not lease_thread_alive(r.id)), "a stalled worker went on renewing its lease"
        # ...so once its last lease has run out, the other worker takes the request over and
        # settles it by reading Greenhouse: the first opening closed, the second still open.
        clock.now += a.services.requests.lease_s + 1
        housekeeping.run_once(b.services)
        taken = b.services.requests.get(r.id)
        assert taken.state == "failed" and taken.claim_generation == 2
        assert taken.results == {str(FIRST): "closed"}

        b.click("request_retry", r.id, COORDINATOR)
        assert b.services.requests.get(r.id).state == "done"
    finally:
        release.set()  # the stalled worker gets its answer at last
        approved.join(10)
    assert not approved.is_alive()

    # It stored what Greenhouse had done (a fact) and, fenced out, sent nothing more.
    assert [c.headers["on-behalf-of"] for c in patches(gh, FIRST)] == [str(RECRUITER_ID)]
    assert [c.headers["on-behalf-of"] for c in patches(gh, SECOND)] == [str(COORDINATOR_ID)]
    final = a.services.requests.get(r.id)
    assert final.state == "done" and final.claim_generation == 3 and final.decided_by == COORDINATOR
    assert final.results == {str(FIRST): "closed", str(SECOND): "closed"}
    assert "took this request over" in a.replies_text()

