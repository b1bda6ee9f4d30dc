"""One read at a time across processes through the store (bot/store/flight.py), on SQLite
and a real PostgreSQL: who reads, who waits and takes the result, what happens when the
reader fails or dies, and what the store holds of the result (sealed, then gone)."""

from __future__ import annotations

import multiprocessing as mp
import threading
import time

import pytest

from bot.store import Store
from bot.store.flight import CLAIMS, ENTRIES, Sealer, StoreFlight
from tests.fakes.clock import StepClock as Clock

SECRET = "harvest-api-key-for-tests"


def flight(store: Store, clock: Clock, **kw) -> StoreFlight:  # type: ignore[no-untyped-def]
    return StoreFlight(store, Sealer(SECRET), reuse_s=kw.pop("reuse_s", 30), clock=clock, sleep=clock.sleep, **kw)


def _view_in_process(target: str, ready, results, loads) -> None:  # type: ignore[no-untyped-def]
    store = Store(target)
    shared = StoreFlight(store, Sealer(SECRET), reuse_s=0, poll_s=0.02)

    def load() -> dict:
        with loads.get_lock():
            loads.value += 1
        time.sleep(0.5)  # a Harvest read: long enough for every process to arrive while it runs
        return {"applications": [{"id": 11, "candidate_name": "Ada Lovelace"}]}

    ready.wait(60)  # every process opened its store: they ask at the same moment
    value, shared_answer = shared.do("walk:6404", load)
    results.put((value["applications"][0]["candidate_name"], shared_answer))
    store.close()


def test_six_processes_one_read(store, target):  # type: ignore[no-untyped-def]
    ctx = mp.get_context("spawn")
    ready, results, loads = ctx.Barrier(6), ctx.Queue(), ctx.Value("i", 0)
    procs = [ctx.Process(target=_view_in_process, args=(target, ready, results, loads)) for _ in range(6)]
    [p.start() for p in procs]
    [p.join(90) for p in procs]
    outcomes = [results.get(timeout=5) for _ in procs]
    assert loads.value == 1  # one process read; five took its result from the store
    assert sorted(shared for _, shared in outcomes) == [False] + [True] * 5
    assert {name for name, _ in outcomes} == {"Ada Lovelace"}


def test_a_fresh_result_answers_without_a_claim_and_an_old_one_is_read_again(store):  # type: ignore[no-untyped-def]
    clock = Clock()
    loads: list[int] = []
    f = flight(store, clock, reuse_s=30)
    assert f.do("jobs:6404", lambda: loads.append(1) or {"n": len(loads)}) == ({"n": 1}, False)
    clock.now += 29
    assert f.do("jobs:6404", lambda: loads.append(1) or {"n": len(loads)}) == ({"n": 1}, True)
    clock.now += 2
    assert f.do("jobs:6404", lambda: loads.append(1) or {"n": len(loads)}) == ({"n": 2}, False)
    # Reuse off: only a read in flight is shared, a finished one is not reused.
    off = flight(store, clock, reuse_s=0)
    assert off.do("jobs:6404", lambda: {"n": 3}) == ({"n": 3}, False)


def test_a_waiter_takes_the_readers_result(store):  # type: ignore[no-untyped-def]
    clock = Clock()
    reader, waiter = flight(store, clock), flight(store, clock)
    reading, release = threading.Event(), threading.Event()
    answers: list = []

    def slow_read() -> dict:
        reading.set()
        release.wait(10)
        return {"rows": [1, 2, 3]}

    t = threading.Thread(target=lambda: answers.append(reader.do("walk:1", slow_read)))
    t.start()
    reading.wait(10)
    # The waiter polls (its sleep is the fake clock's); the read finishes while it waits.
    polls = {"n": 0}

    def sleep(seconds: float) -> None:
        polls["n"] += 1
        if polls["n"] == 3:
            release.set()
            t.join(10)
        clock.sleep(seconds)

    waiter._sleep = sleep
    assert waiter.do("walk:1", lambda: pytest.fail("the waiter must not read")) == ({"rows": [1, 2, 3]}, True)
    assert answers == [({"rows": [1, 2, 3]}, False)]


def test_a_failed_read_releases_the_claim_and_a_waiter_reads(store):  # type: ignore[no-untyped-def]
    clock = Clock()
    f = flight(store, clock)
    with pytest.raises(RuntimeError):
        f.do("walk:1", lambda: (_ for _ in ()).throw(RuntimeError("Harvest 500")))
    # Released at once, not after claim_s: the next caller reads without waiting.
    before = clock.now
    assert f.do("walk:1", lambda: {"ok": True}) == ({"ok": True}, False)
    assert clock.now == before


def test_a_dead_readers_claim_expires_and_nobody_waits_longer(store):  # type: ignore[no-untyped-def]
    clock = Clock()
    f = flight(store, clock, claim_s=60, poll_s=0.5)
    store.add(CLAIMS, "walk:1", {"by": "a process killed mid-read", "until": clock.now + 60})
    start = clock.now
    assert f.do("walk:1", lambda: {"mine": True}) == ({"mine": True}, False)
    assert 59 <= clock.now - start <= 61  # waited for the claim's expiry, not longer
    # An expired claim is taken over at once.
    store.put(CLAIMS, "walk:2", {"by": "long gone", "until": clock.now - 1})
    now = clock.now
    assert f.do("walk:2", lambda: {"mine": 2}) == ({"mine": 2}, False)
    assert clock.now == now


def test_the_store_holds_the_result_sealed_then_not_at_all(store, target):  # type: ignore[no-untyped-def]
    clock = Clock()
    f = flight(store, clock, keep_s=300)
    f.do("walk:6404", lambda: {"applications": [{"candidate_name": "Ada Lovelace", "stage": "Onsite"}]})
    entry = store.get(ENTRIES, "walk:6404")
    assert "Ada" not in str(entry) and "Onsite" not in str(entry)  # in the store: ciphertext only
    if not target.startswith("postgresql://"):
        raw = open(target, "rb").read()
        assert b"Ada Lovelace" not in raw and b"Onsite" not in raw
    # Another key (another credential) opens nothing; a tampered entry opens nothing.
    assert Sealer("another-key").open(entry["sealed"], max_age_s=300, now=clock.now) is None
    assert Sealer(SECRET).open(entry["sealed"][:-4] + "AAAA", max_age_s=300, now=clock.now) is None
    assert Sealer(SECRET).open(entry["sealed"], max_age_s=300, now=clock.now) is not None
    # Past keep_s it is refused even if still there, and the sweep deletes it.
    clock.now += 301
    assert f._open(entry) is None
    assert f.sweep() == 1
    assert store.get(ENTRIES, "walk:6404") is None


def test_forget_makes_the_next_caller_read(store):  # type: ignore[no-untyped-def]
    clock = Clock()
    f = flight(store, clock)
    f.do("walk:1", lambda: {"v": 1})
    f.forget("walk:1")
    assert f.do("walk:1", lambda: {"v": 2}) == ({"v": 2}, False)
