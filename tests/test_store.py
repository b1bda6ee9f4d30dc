"""The store's atomic operations hold across processes, not just threads."""

from __future__ import annotations

import multiprocessing as mp

from bot.store import Store


def _claim(path: str, key: str, who: str, start, results) -> None:  # type: ignore[no-untyped-def]
    store = Store(path)
    start.wait()

    def take(raw):  # type: ignore[no-untyped-def]
        if raw["state"] != "requested":
            return None
        return {**raw, "state": "executing", "by": who}

    results.put((who, store.update("requests", key, take) is not None))
    store.close()


def test_claim_has_one_winner_across_processes(tmp_path):
    path = str(tmp_path / "bot.sqlite")
    store = Store(path)
    store.put("requests", "req-1", {"state": "requested"})
    ctx = mp.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_claim, args=(path, "req-1", f"p{i}", start, results)) for i in range(6)]
    [p.start() for p in procs]
    start.set()
    [p.join(30) for p in procs]
    outcomes = [results.get(timeout=5) for _ in procs]
    winners = [who for who, won in outcomes if won]
    assert len(winners) == 1
    assert store.get("requests", "req-1") == {"state": "executing", "by": winners[0]}


def test_add_is_insert_once_and_values_are_json(tmp_path):
    path = str(tmp_path / "bot.sqlite")
    store = Store(path)
    assert store.add("announced", "6404:2026-11-20", {"n": 1}) is True
    assert store.add("announced", "6404:2026-11-20", {"n": 2}) is False
    assert store.get("announced", "6404:2026-11-20") == {"n": 1}
    import sqlite3

    raw = sqlite3.connect(path).execute('SELECT value FROM "announced"').fetchone()[0]
    assert (raw if isinstance(raw, str) else raw.decode()) == '{"n":1}'  # JSON, not pickle


def test_update_of_missing_record_writes_nothing(tmp_path):
    store = Store(str(tmp_path / "bot.sqlite"))
    assert store.update("requests", "nope", lambda raw: {"x": 1}) is None
    assert store.get("requests", "nope") is None
