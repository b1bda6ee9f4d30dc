"""The limiter's line (bot/greenhouse/ratelimit.py): the work that started first goes
first, and a caller who must wait hears about how long, once (bot/waiting.py)."""

from __future__ import annotations

import threading
import time

import pytest

from bot.greenhouse.ratelimit import LocalBudget, RateLimiter
from bot.waiting import WaitEstimate, Waiting, waiting_as
from tests.fakes.clock import GatedClock


def spent_limiter(clock: GatedClock, limit: int = 2, window_s: float = 10.0) -> RateLimiter:
    lim = RateLimiter(budget=LocalBudget(limit, window_s, clock=clock), sleep=clock.sleep, jitter_s=0.0)
    for _ in range(limit):
        lim.acquire()  # the window is spent: everyone below waits
    return lim


def queue_up(lim: RateLimiter, works: dict[str, Waiting], served: list[str]) -> list[threading.Thread]:
    threads = []
    for name, work in works.items():
        def go(name: str = name, work: Waiting = work) -> None:
            with waiting_as(work):
                lim.acquire()
            served.append(name)

        t = threading.Thread(target=go)
        t.start()
        threads.append(t)
        deadline = time.monotonic() + 5
        while len(lim._line) < len(threads) and time.monotonic() < deadline:  # in line before the next one comes
            time.sleep(0.001)
    return threads


def test_the_work_that_started_first_is_served_first():
    clock = GatedClock(100.0, opened=False)
    lim = spent_limiter(clock, limit=1)
    # A command's later request (its work started at 1.0) arrives after two newer commands' first ones.
    works = {"newer": Waiting(clock=lambda: 3.0), "newest": Waiting(clock=lambda: 4.0),
             "older, its second request": Waiting(clock=lambda: 1.0)}
    served: list[str] = []
    threads = queue_up(lim, works, served)
    clock.gate.set()
    for t in threads:
        t.join(10)
    assert served == ["older, its second request", "newer", "newest"]


def test_each_waiting_work_is_told_once_its_place_and_about_how_long():
    clock = GatedClock(100.0, opened=False)
    lim = spent_limiter(clock, limit=2, window_s=10.0)
    told: dict[str, list[WaitEstimate]] = {"first": [], "second": [], "third": []}
    works = {name: Waiting(told[name].append, clock=lambda n=n: float(n)) for n, name in enumerate(told)}
    threads = queue_up(lim, works, [])
    deadline = time.monotonic() + 5
    while not all(told.values()) and time.monotonic() < deadline:
        time.sleep(0.005)
        for w in works.values():
            w.settle()
    clock.gate.set()
    for t in threads:
        t.join(10)
    first, second, third = (told[n][0] for n in ("first", "second", "third"))
    assert all(len(v) == 1 for v in told.values())  # said once, not at every re-check
    assert (first.ahead, second.ahead, third.ahead) == (0, 1, 2)
    assert (first.limit, first.window_s) == (2, 10.0)
    # The head waits for the window (10 s); each request ahead adds its share of it (10 s / 2).
    assert first.seconds == 10.0
    assert second.seconds == pytest.approx(15.0, abs=0.5) and third.seconds == pytest.approx(20.0, abs=0.5)


def test_no_word_when_the_budget_has_room():
    clock = GatedClock(100.0)
    lim = RateLimiter(budget=LocalBudget(50, 10.0, clock=clock), sleep=clock.sleep, jitter_s=0.0)
    told: list[WaitEstimate] = []
    work = Waiting(told.append)
    with waiting_as(work):
        for _ in range(10):
            lim.acquire()
    work.settle()
    assert told == [] and lim.waits == 0


def test_a_shared_read_passes_its_wait_on_to_who_joined_it():
    said: list[tuple[str, int]] = []
    leader = Waiting(lambda e: said.append(("leader", e.ahead)))
    follower = Waiting(lambda e: said.append(("follower", e.ahead)))
    late = Waiting(lambda e: said.append(("late", e.ahead)))
    leader.join(follower)
    leader.must_wait(WaitEstimate(seconds=12.0, ahead=1, limit=50, window_s=10.0))
    leader.join(late)  # joined after the leader was told: told at once
    leader.must_wait(WaitEstimate(seconds=3.0, ahead=0, limit=50, window_s=10.0))  # once only
    for w in (leader, follower, late):
        w.settle()
    assert sorted(said) == [("follower", 1), ("late", 1), ("leader", 1)]
