"""The limiter against Harvest's windows as documented (docs/decisions/0008-rate-limit-windows.md),
on a fake clock: the fake Harvest's own window (bot/demo/harvest_server.py `RateWindow`, sliding
for v1, fixed 30 s for v3) answers a stream of requests that asks for more than the budget, with
requests in flight (20-80 ms to reach Greenhouse, 100 ms to answer). The whole budget is used
and nothing goes over it — also for two workers sharing the store's budget — and the waits the
old limiter made (a whole window after `Remaining: 0`, the count restarted after a 429 on a
sliding window) are gone."""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Callable

import pytest

from bot.demo.harvest_server import RateWindow
from bot.greenhouse.ratelimit import RateLimiter

EPOCH = 1_790_000_000.0  # any fixed moment: the fake clock's start, epoch seconds (v3's reset is epoch)


class World:
    """A fake clock whose sleep delivers what happens meanwhile (requests reaching Greenhouse,
    answers coming back), in time order."""

    def __init__(self) -> None:
        self.now = EPOCH
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()

    def clock(self) -> float:
        return self.now

    def at(self, when: float, do: Callable[[], None]) -> None:
        heapq.heappush(self._events, (when, next(self._seq), do))

    def sleep(self, seconds: float) -> None:
        until = self.now + max(seconds, 0.0)
        while self._events and self._events[0][0] <= until:
            when, _, do = heapq.heappop(self._events)
            self.now = max(self.now, when)
            do()
        self.now = until


class Harvest:
    """Admits requests through the fake server's RateWindow and answers with its headers."""

    def __init__(self, world: World, limit: int, window_s: float, *, fixed: bool) -> None:
        self.world = world
        self.window = RateWindow(limit, window_s, world.clock, fixed=fixed, wall=world.clock)
        self.accepted: list[float] = []
        self.refused = 0

    def arrive(self) -> tuple[int, dict[str, str]]:
        accepted, remaining, free_in, reset_at = self.window.admit()
        headers = {"X-RateLimit-Limit": str(self.window.limit), "X-RateLimit-Remaining": str(remaining)}
        if reset_at is not None:
            headers["X-RateLimit-Reset"] = str(int(reset_at))
        if not accepted:
            self.refused += 1
            headers["Retry-After"] = str(max(1, math.ceil(free_in)))
            return 429, headers
        self.accepted.append(self.world.now)
        return 200, headers


def run(world: World, harvest: Harvest, limiters: list[RateLimiter], *, seconds: float, demand_per_s: float,
        seed: int = 7) -> None:
    """Requests wanted at `demand_per_s` for `seconds`, sent round-robin through `limiters` (one
    caller each, as a worker's head of line); a refused one is sent again, as the transport does."""
    rnd = random.Random(seed)
    owed = 0

    def send(lim: RateLimiter) -> None:
        stamp = lim.acquire()

        def reach() -> None:
            status, headers = harvest.arrive()

            def answer() -> None:
                nonlocal owed
                lim.observe(headers, status=status, sent=stamp)
                owed += status == 429

            world.at(world.now + 0.1, answer)

        world.at(world.now + rnd.uniform(0.02, 0.08), reach)

    end = world.now + seconds
    for n in itertools.count():
        if world.now >= end:
            break
        send(limiters[n % len(limiters)])
        while owed:
            owed -= 1
            send(limiters[n % len(limiters)])
        world.sleep(1 / demand_per_s)
    world.sleep(1.0)  # the last answers


def per_minute(harvest: Harvest, start: float, end: float) -> float:
    return sum(1 for t in harvest.accepted if start <= t < end) / ((end - start) / 60)


def test_v1_sliding_window_whole_budget_used_and_nothing_refused():
    world = World()
    harvest = Harvest(world, 50, 10.0, fixed=False)
    lim = RateLimiter(50, 10.0, clock=world.clock, wall=world.clock, sleep=world.sleep, jitter_s=0.0)
    run(world, harvest, [lim], seconds=120, demand_per_s=8)
    assert harvest.refused == 0
    # 300 a minute is the budget; answers take 100 ms, so each slot turns every 10.1 s at best.
    assert per_minute(harvest, EPOCH + 20, EPOCH + 120) >= 0.97 * 300


def test_v3_fixed_window_whole_budget_used_and_nothing_refused():
    world = World()
    harvest = Harvest(world, 75, 30.0, fixed=True)
    # The bot starts at 50 (bot/greenhouse/build.py) and takes 75 from X-RateLimit-Limit.
    lim = RateLimiter(50, 30.0, clock=world.clock, wall=world.clock, sleep=world.sleep, jitter_s=0.0,
                      fixed_window=True)
    run(world, harvest, [lim], seconds=180, demand_per_s=4)
    assert harvest.refused == 0
    assert per_minute(harvest, EPOCH + 30, EPOCH + 180) >= 0.95 * 150


def test_two_workers_sharing_the_stores_budget_use_it_whole_and_stay_under_it(tmp_path):
    from bot.store import Store
    from bot.store.budget import StoreBudget

    world = World()
    harvest = Harvest(world, 50, 10.0, fixed=False)
    stores = [Store(str(tmp_path / "bot.sqlite")) for _ in range(2)]  # as two gunicorn workers open it
    limiters = [RateLimiter(budget=StoreBudget(s, "v1:shared", limit=50, window_s=10.0, clock=world.clock),
                            wall=world.clock, sleep=world.sleep, jitter_s=0.0) for s in stores]
    run(world, harvest, limiters, seconds=60, demand_per_s=8)
    assert harvest.refused == 0
    assert per_minute(harvest, EPOCH + 20, EPOCH + 60) >= 0.97 * 300
    for s in stores:
        s.close()


@pytest.fixture
def clocks() -> World:
    return World()


def stamped(world: World, lim: RateLimiter, at: float, headers: dict[str, str] | None = None) -> None:
    """One request let go at `at` and answered at once (with `headers`)."""
    world.sleep(at - (world.now - EPOCH))
    stamp = lim.acquire()
    lim.observe(headers or {}, sent=stamp)


def test_remaining_0_without_a_reset_waits_until_the_first_counted_request_leaves(clocks):
    world = clocks
    lim = RateLimiter(5, 10.0, clock=world.clock, wall=world.clock, sleep=world.sleep, jitter_s=0.0)
    for i in range(4):
        stamped(world, lim, i, {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": str(4 - i)})
    world.sleep(1.0)
    stamp = lim.acquire()  # at 4 s: the fifth
    assert lim.observe({"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0"}, sent=stamp) == pytest.approx(6.0)
    lim.acquire()
    # The one sent at 0 s leaves the window at 10 s; the old limiter paused until 14 s.
    assert world.now - EPOCH == pytest.approx(10.0)


def test_on_a_sliding_window_a_429_does_not_restart_the_count(clocks):
    """The old limiter counted from zero after a 429's Retry-After (as for a fixed window): all
    its budget went at once into a window still full, and drew the next 429s."""
    world = clocks
    lim = RateLimiter(5, 10.0, clock=world.clock, wall=world.clock, sleep=world.sleep, jitter_s=0.0)
    for i in range(4):
        stamped(world, lim, i)
    world.sleep(1.0)
    stamp = lim.acquire()  # at 4 s; Greenhouse (counting one more than we know of) refuses it
    lim.observe({"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "Retry-After": "6"}, status=429, sent=stamp)
    sent_at = []
    for _ in range(4):
        lim.acquire()
        sent_at.append(round(world.now - EPOCH, 6))
    # At 10 s the oldest (sent at 0) and the one Greenhouse counted for someone else have left;
    # the others go as ours leave the window (1 s, 2 s … after), not all four at 10 s.
    assert sent_at == [10.0, 10.0, 11.0, 12.0]


def test_a_slot_is_held_until_a_window_after_the_answer(clocks):
    world = clocks
    lim = RateLimiter(1, 10.0, clock=world.clock, wall=world.clock, sleep=world.sleep, jitter_s=0.0)
    stamp = lim.acquire()  # sent at 0 s, answered at 0.3 s: Greenhouse counted it somewhere in between
    world.sleep(0.3)
    lim.observe({}, sent=stamp)
    lim.acquire()
    assert world.now - EPOCH == pytest.approx(10.3)


def test_a_refused_request_gives_its_slot_back(clocks):
    world = clocks
    lim = RateLimiter(2, 10.0, clock=world.clock, wall=world.clock, sleep=world.sleep, jitter_s=0.0)
    stamped(world, lim, 0)
    stamp = lim.acquire()
    lim.observe({"Retry-After": "1"}, status=429, sent=stamp)  # not counted by Greenhouse
    lim.acquire()  # after the named second, not after the first request leaves at 10 s
    assert world.now - EPOCH == pytest.approx(1.0)


def test_what_others_used_on_the_key_is_counted_too(clocks):
    world = clocks
    lim = RateLimiter(5, 10.0, clock=world.clock, wall=world.clock, sleep=world.sleep, jitter_s=0.0)
    stamped(world, lim, 0, {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "1"})  # 3 more than ours
    assert lim.budget.sent_in_window() == 4
    lim.acquire()
    before = world.now
    lim.acquire()  # the sixth in the window waits for the first to leave
    assert world.now - before == pytest.approx(10.0)
