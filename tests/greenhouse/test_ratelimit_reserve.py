"""A few slots of each window are kept for work that goes first (the Harvest mirror's turns:
docs/decisions/0012-harvest-mirror.md): other work stops short of them, first work may take
them, and across processes sharing the store's budget the same holds."""

from __future__ import annotations

from bot import waiting
from bot.greenhouse.ratelimit import LocalBudget, RateLimiter
from bot.store import Store
from bot.store.budget import StoreBudget
from tests.fakes.clock import GatedClock as Clock


def test_other_work_leaves_the_reserve_and_first_work_takes_it():
    clock = Clock()
    budget = LocalBudget(5, 10.0, clock=clock)
    assert [budget.claim(2)[0] for _ in range(3)] == [0.0, 0.0, 0.0]
    wait, stamp = budget.claim(2)
    assert wait == 10.0 and stamp is None  # the 4th ordinary request waits for the window
    assert budget.claim(0)[0] == 0.0 and budget.claim(0)[0] == 0.0  # first work: the two kept
    assert budget.claim(0)[0] == 10.0  # and no more than the limit


def test_the_store_budget_keeps_the_reserve_for_every_process(store: Store):
    clock = Clock()
    a, b = (StoreBudget(store, "key", limit=4, window_s=10.0, clock=clock) for _ in range(2))
    assert a.claim(1)[0] == 0.0 and b.claim(1)[0] == 0.0 and a.claim(1)[0] == 0.0
    assert b.claim(1)[0] > 0  # ordinary work of either process stops at 3 of 4
    assert b.claim(0)[0] == 0.0  # a turn in b still goes


def test_the_limiter_claims_the_reserve_only_for_work_that_goes_first():
    clock = Clock()
    limiter = RateLimiter(limit=3, window_s=10.0, clock=clock, wall=clock, sleep=lambda s: None,
                          budget=LocalBudget(3, 10.0, clock=clock), reserve=1)
    with waiting.waiting_as(waiting.Waiting()):
        limiter.acquire()
        limiter.acquire()
    assert limiter.budget.claim(1)[0] > 0  # ordinary work is out for this window
    with waiting.waiting_as(waiting.Waiting(first=True)):
        assert limiter.acquire() is not None  # the turn goes at once, on the kept slot
