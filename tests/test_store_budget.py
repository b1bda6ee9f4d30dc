"""Harvest's rate-limit budget in the store: one budget for every process on the store."""

from __future__ import annotations

import multiprocessing as mp
import time

import pytest

from bot.greenhouse.ratelimit import RateLimiter
from bot.store import Store
from bot.store.budget import StoreBudget
from tests.fakes.clock import StepClock


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return str(tmp_path / "bot.sqlite")
    return request.getfixturevalue("pg_url")


def test_the_window_fills_frees_and_pauses(target):  # type: ignore[no-untyped-def]
    store, clock = Store(target), StepClock(1_000_000.0)
    budget = StoreBudget(store, "v1:abc", limit=3, window_s=10.0, clock=clock)
    assert [budget.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    clock.now += 4
    assert budget.take() == pytest.approx(6.0)  # the first send leaves the window in 6 s
    clock.now += 6
    assert budget.take() == 0.0
    budget.pause(30)
    assert budget.take() == pytest.approx(30.0)
    clock.now += 30.5
    # Greenhouse's count started over when the pause ended: only what was sent since counts.
    assert [budget.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert budget.sent_in_window() == 3 and budget.take() > 0
    store.close()


def test_greenhouse_headers_steer_the_shared_budget(target):  # type: ignore[no-untyped-def]
    store, clock = Store(target), StepClock(1_000_000.0)
    limiter = RateLimiter(budget=StoreBudget(store, "v1:abc", limit=50, window_s=10.0, clock=clock), sleep=clock.sleep)
    limiter.acquire()
    # Greenhouse says the key's limit is 10 and only 2 are left: others used 7 more than we sent.
    limiter.observe({"x-ratelimit-limit": "10", "x-ratelimit-remaining": "2"})
    assert limiter.limit == 10 and limiter.budget.sent_in_window() == 8
    limiter.acquire()
    limiter.acquire()
    before = clock.now
    limiter.acquire()  # the eleventh in the window waits for the window to pass
    assert clock.now - before >= 10.0 - 1e-9
    limiter.observe({"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0"})
    before = clock.now
    limiter.acquire()
    assert clock.now - before >= 10.0 - 1e-9
    store.close()


def test_two_stores_on_one_target_share_one_budget_and_one_pause(target):  # type: ignore[no-untyped-def]
    clock = StepClock(1_000_000.0)
    a, b = Store(target), Store(target)  # as two workers would open it
    first = StoreBudget(a, "v1:abc", limit=4, window_s=10.0, clock=clock)
    second = StoreBudget(b, "v1:abc", limit=4, window_s=10.0, clock=clock)
    other_key = StoreBudget(b, "v1:other", limit=4, window_s=10.0, clock=clock)
    assert [first.take(), second.take(), first.take(), second.take()] == [0.0] * 4
    assert first.take() > 0 and second.take() > 0
    assert other_key.take() == 0.0  # each credential has its own budget
    clock.now += 10
    first.pause(5)  # a 429 seen by one worker stops the other too
    assert second.take() == pytest.approx(5.0)
    a.close()
    b.close()


def _take_many(target: str, start, results) -> None:  # type: ignore[no-untyped-def]
    store = Store(target)
    budget = StoreBudget(store, "v1:shared", limit=20, window_s=600.0)
    start.wait()
    results.put(sum(1 for _ in range(15) if budget.take() == 0.0))
    store.close()


def test_four_processes_together_get_exactly_the_limit(target):  # type: ignore[no-untyped-def]
    ctx = mp.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_take_many, args=(target, start, results)) for _ in range(4)]
    [p.start() for p in procs]
    time.sleep(0.5)
    start.set()
    [p.join(60) for p in procs]
    taken = [results.get(timeout=5) for _ in procs]
    assert sum(taken) == 20  # 60 asked for, the window holds 20: one budget, not four


def test_the_running_bot_uses_the_store_budget(tmp_path, slack):  # type: ignore[no-untyped-def]
    from bot.runtime import build_services
    from tests.conftest import make_settings

    services = build_services(make_settings(tmp_path, slack))
    budget = services.harvest.t.limiter.budget
    assert isinstance(budget, StoreBudget) and budget.store is services.store
    services.store.close()
