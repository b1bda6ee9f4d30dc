"""`RateLimiter.idle(share)`: whether work nobody waits for (names read ahead,
bot/workflows/name_read_ahead.py) may send one request now — nobody in this process's line,
no pause, and the window's count below `share` of what the reserve leaves; across processes
the store's budget counts everyone's requests. It asks and takes nothing."""

from __future__ import annotations

import threading
import time

from bot.greenhouse.ratelimit import LocalBudget, RateLimiter
from bot.store import Store
from bot.store.budget import StoreBudget
from bot.waiting import Waiting, waiting_as
from tests.fakes.clock import GatedClock, StepClock


def limiter(clock: StepClock, limit: int = 10, reserve: int = 0) -> RateLimiter:
    return RateLimiter(budget=LocalBudget(limit, 10.0, clock=clock), sleep=clock.sleep, jitter_s=0.0,
                       reserve=reserve)


def test_idle_until_the_window_holds_the_share_and_again_when_it_slides_on():
    clock = StepClock()
    lim = limiter(clock, limit=10)
    for sent in range(5):
        assert lim.idle(0.5), sent  # 0…4 sent of 10: below half
        lim.acquire()
    assert not lim.idle(0.5)  # 5 of 10: half the window is taken
    assert lim.budget.sent_in_window() == 5  # asking took nothing
    assert lim.idle(0.6)  # a larger share still has room
    clock.now += 10.0  # the five leave the (sliding) window
    assert lim.idle(0.5)


def test_the_reserve_is_left_out_of_the_share():
    clock = StepClock()
    lim = limiter(clock, limit=10, reserve=4)  # half of what the reserve leaves: 3
    for _ in range(3):
        assert lim.idle(0.5)
        lim.acquire()
    assert not lim.idle(0.5)
    assert not limiter(clock, limit=10, reserve=10).idle(1.0)  # nothing left: never idle


def test_a_pause_greenhouse_named_is_not_idle():
    clock = StepClock()
    lim = limiter(clock)
    lim.observe({"Retry-After": "3"}, status=429)
    assert lim.budget.sent_in_window() == 0 and not lim.idle(0.5)
    clock.now += 3.5  # (the jitter is 0)
    assert lim.idle(0.5)


class HeldBudget(LocalBudget):
    """A budget that makes claims wait while `held` is set, its count low: only the line
    can say the limiter is busy."""

    def __init__(self, clock: GatedClock) -> None:
        super().__init__(10, 10.0, clock=clock)
        self.held = threading.Event()
        self.held.set()

    def claim(self, reserve: int = 0) -> tuple[float, float | None]:
        return (0.05, None) if self.held.is_set() else super().claim(reserve)


def test_someone_waiting_in_this_process_s_line_is_not_idle():
    clock = GatedClock()
    budget = HeldBudget(clock)
    lim = RateLimiter(budget=budget, sleep=lambda s: time.sleep(0.001), jitter_s=0.0)
    assert lim.idle(0.5)

    def command() -> None:
        with waiting_as(Waiting()):
            lim.acquire()

    waiter = threading.Thread(target=command)
    waiter.start()
    deadline = time.monotonic() + 5
    while not lim._line and time.monotonic() < deadline:
        time.sleep(0.001)
    assert lim._line and budget.sent_in_window() == 0
    assert not lim.idle(0.5)  # the window is empty, but a command waits: it goes first
    budget.held.clear()
    waiter.join(5)
    assert not waiter.is_alive() and lim.idle(0.5)


def test_the_store_budget_counts_every_process_s_requests(store: Store):
    clock = StepClock()
    a, b = (RateLimiter(budget=StoreBudget(store, "key", limit=10, window_s=10.0, clock=clock), sleep=clock.sleep,
                        jitter_s=0.0) for _ in range(2))
    for _ in range(5):
        a.acquire()
    assert not b.idle(0.5)  # b sent nothing; a's five fill the share of the one budget
    clock.now += 10.0  # a's five have left the window …
    assert a.idle(0.5)
    b.budget.pause(2.0)  # … and another process's pause holds a too
    assert not a.idle(0.5)
