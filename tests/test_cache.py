"""bot/cache.py: bounded by count, by bytes and by age; hits and misses counted; one load per key."""

from __future__ import annotations

import threading
import time

import pytest

from bot.cache import BoundedCache, SingleFlight, approx_size
from tests.fakes.clock import StepClock


class Stats:
    def __init__(self) -> None:
        self.hits = self.misses = 0
        self.entries = self.nbytes = -1

    def hit(self) -> None:
        self.hits += 1

    def miss(self) -> None:
        self.misses += 1

    def size(self, entries: int, nbytes: int) -> None:
        self.entries, self.nbytes = entries, nbytes


def test_bounded_by_count_least_recently_used_first():
    stats = Stats()
    cache = BoundedCache(ttl_s=60, max_entries=3, max_bytes=10**9, stats=stats, sizeof=lambda v: 10)
    for key in "abc":
        cache.put(key, key.upper())
    assert cache.get("a") == "A"  # a is now the most recently used
    cache.put("d", "D")
    assert len(cache) == 3 and cache.get("b") is None and cache.get("a") == "A" and cache.get("d") == "D"
    assert (stats.hits, stats.misses) == (3, 1)
    assert (stats.entries, stats.nbytes) == (3, 30)


def test_bounded_by_bytes():
    cache = BoundedCache(ttl_s=60, max_entries=100, max_bytes=1000, sizeof=len)
    cache.put("a", "x" * 400)
    cache.put("b", "y" * 400)
    cache.put("c", "z" * 400)  # 1,200 bytes would not fit: the oldest goes
    assert cache.get("a") is None and cache.get("b") and cache.get("c")
    assert cache.nbytes == 800
    cache.put("huge", "h" * 5000)  # bigger than the whole budget: not kept, nothing evicted for it
    assert cache.get("huge") is None and cache.nbytes == 800


def test_expires_and_max_age():
    clock = StepClock(0.0)
    cache = BoundedCache(ttl_s=300, max_entries=10, max_bytes=10**6, clock=clock)
    cache.put(1, "view")
    clock.now = 29
    assert cache.get(1, max_age=30) == "view"
    clock.now = 31
    assert cache.get(1, max_age=30) is None and cache.get(1) == "view"
    clock.now = 301
    assert cache.get(1) is None


def test_approx_size_grows_with_content():
    small = approx_size({"names": ["Ada Lovelace"] * 1})
    big = approx_size({"names": [f"Person {i}" for i in range(1000)]})
    assert big > 50 * small and big > 1000 * 50


def test_single_flight_shares_one_load_and_its_failure():
    flight: SingleFlight[str, int] = SingleFlight()
    calls = []
    started = threading.Event()
    release = threading.Event()

    def load() -> int:
        calls.append(1)
        started.set()
        release.wait(5)
        return 42

    results: list[tuple[int, bool]] = []
    threads = [threading.Thread(target=lambda: results.append(flight.do("job", load))) for _ in range(10)]
    threads[0].start()
    started.wait(5)
    for t in threads[1:]:
        t.start()
    time.sleep(0.2)  # the followers are waiting on the flight by now
    release.set()
    for t in threads:
        t.join(5)
    assert len(calls) == 1 and sorted(results) == [(42, False)] + [(42, True)] * 9

    def broken() -> int:
        raise ValueError("Greenhouse said no")

    with pytest.raises(ValueError):
        flight.do("job", broken)
    assert flight.do("job", lambda: 7) == (7, False)  # a finished flight is not reused
