"""The store contract, run on both backends: SQLite (a file) and a real PostgreSQL.

Atomic operations are checked across processes, not just threads."""

from __future__ import annotations

import multiprocessing as mp
import os
import sqlite3
import threading
import time

import pytest

from bot.store import TABLES, Store
from bot.store import migrations


# --- plain records --------------------------------------------------------------------------


def test_backend_follows_the_target(store, target):  # type: ignore[no-untyped-def]
    assert store.backend == ("postgres" if target.startswith("postgresql://") else "sqlite")
    assert isinstance(store, Store)


def test_put_get_delete_round_trip_json(store):  # type: ignore[no-untyped-def]
    value = {"name": "Zoë <b>", "ids": [1, 2, 3], "nested": {"ok": True, "none": None}, "score": 1.5}
    store.put("requests", "req-1", value)
    assert store.get("requests", "req-1") == value
    assert store.get("requests", "nope") is None
    assert store.get("requests", "nope", {"d": 1}) == {"d": 1}
    store.put("requests", "req-1", {"replaced": 1})
    assert store.get("requests", "req-1") == {"replaced": 1}
    store.delete("requests", "req-1")
    store.delete("requests", "never-there")
    assert store.get("requests", "req-1") is None


def test_items_values_count_and_tables(store):  # type: ignore[no-untyped-def]
    for i in range(3):
        store.put("watches", f"w{i}", {"i": i})
    assert sorted(store.items("watches")) == [("w0", {"i": 0}), ("w1", {"i": 1}), ("w2", {"i": 2})]
    assert sorted(v["i"] for v in store.values("watches")) == [0, 1, 2]
    assert store.count("watches") == 3
    assert store.count("mappings") == 0
    assert "watches" in store.tables()


def test_a_new_table_needs_no_schema_change(store):  # type: ignore[no-untyped-def]
    # Other modules add their own tables (e.g. a name cache) just by using a name.
    assert store.add("candidate_names", "42", {"name": "Ada"}) is True
    store.put("candidate_names", "43", {"name": "Grace"})
    assert store.update("candidate_names", "42", lambda v: {**v, "seen": 2}) == {"name": "Ada", "seen": 2}
    assert store.get("candidate_names", "42") == {"name": "Ada", "seen": 2}
    assert store.count("candidate_names") == 2
    assert "candidate_names" in store.tables()


@pytest.mark.parametrize("bad", ["Requests", "x; DROP TABLE audit", "sqlite_master", "schema_version", ""])
def test_table_names_are_plain_identifiers(store, bad):  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        store.put(bad, "k", 1)


# --- atomic operations ------------------------------------------------------------------------


def test_add_is_insert_once(store):  # type: ignore[no-untyped-def]
    assert store.add("announced", "6404:2026-11-20", {"n": 1}) is True
    assert store.add("announced", "6404:2026-11-20", {"n": 2}) is False
    assert store.get("announced", "6404:2026-11-20") == {"n": 1}


def test_update_writes_what_change_returns_and_nothing_when_it_declines(store):  # type: ignore[no-untyped-def]
    assert store.update("requests", "nope", lambda raw: {"x": 1}) is None
    assert store.get("requests", "nope") is None
    store.put("requests", "r", {"state": "requested"})
    assert store.update("requests", "r", lambda raw: None) is None
    assert store.get("requests", "r") == {"state": "requested"}
    assert store.update("requests", "r", lambda raw: {**raw, "state": "executing"}) == {"state": "executing"}
    assert store.get("requests", "r") == {"state": "executing"}


def test_update_that_raises_leaves_the_record_and_the_store_usable(store):  # type: ignore[no-untyped-def]
    store.put("requests", "r", {"n": 1})

    def boom(raw):  # type: ignore[no-untyped-def]
        raise KeyError("no")

    with pytest.raises(KeyError):
        store.update("requests", "r", boom)
    assert store.update("requests", "r", lambda raw: {"n": raw["n"] + 1}) == {"n": 2}


def test_concurrent_updates_lose_nothing(store):  # type: ignore[no-untyped-def]
    store.put("state", "counter", {"n": 0})

    def bump() -> None:
        for _ in range(25):
            store.update("state", "counter", lambda raw: {"n": raw["n"] + 1})

    threads = [threading.Thread(target=bump) for _ in range(8)]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    assert store.get("state", "counter") == {"n": 200}


def test_audit_is_append_only_and_in_time_order(store):  # type: ignore[no-untyped-def]
    keys = [store.append_audit({"i": i}) for i in range(5)]
    assert [v["i"] for _, v in store.dump("audit")] == [0, 1, 2, 3, 4]
    assert keys == sorted(keys)
    with pytest.raises(Exception, match="append-only"):
        store.update("audit", keys[0], lambda raw: {"i": 99})
    with pytest.raises(Exception, match="append-only"):
        store.delete("audit", keys[0])
    assert store.get("audit", keys[0]) == {"i": 0}


def _claim(target: str, key: str, who: str, start, results) -> None:  # type: ignore[no-untyped-def]
    store = Store(target)
    start.wait()

    def take(raw):  # type: ignore[no-untyped-def]
        if raw["state"] != "requested":
            return None
        return {**raw, "state": "executing", "by": who}

    results.put((who, store.update("requests", key, take) is not None))
    store.close()


def test_claim_has_one_winner_across_processes(store, target):  # type: ignore[no-untyped-def]
    store.put("requests", "req-1", {"state": "requested"})
    ctx = mp.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_claim, args=(target, "req-1", f"p{i}", start, results)) for i in range(6)]
    [p.start() for p in procs]
    start.set()
    [p.join(60) for p in procs]
    outcomes = [results.get(timeout=5) for _ in procs]
    winners = [who for who, won in outcomes if won]
    assert len(winners) == 1
    assert store.get("requests", "req-1") == {"state": "executing", "by": winners[0]}


# --- schema versions ------------------------------------------------------------------------------


def test_a_new_store_is_at_the_latest_version_and_reopening_applies_nothing(target):  # type: ignore[no-untyped-def]
    latest = migrations.latest(migrations.POSTGRES if target.startswith("postgresql://") else migrations.SQLITE)
    first = Store(target)
    assert first.applied == list(range(1, latest + 1))
    assert first.schema_version() == latest
    first.close()
    again = Store(target)
    assert again.applied == [] and again.schema_version() == latest
    again.close()


def test_a_store_opened_without_migrating_migrates_on_request(target):  # type: ignore[no-untyped-def]
    bare = Store(target, migrate=False)
    assert bare.schema_version() == 0
    assert bare.migrate() != []
    assert bare.migrate() == []
    bare.close()


def _open(target: str, start, results) -> None:  # type: ignore[no-untyped-def]
    start.wait()
    try:
        store = Store(target)
        store.put("state", f"hello-{os.getpid()}", {"pid": os.getpid()})
        results.put(("ok", store.applied))
        store.close()
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put(("error", repr(exc)))


def test_replicas_starting_together_migrate_once(target):  # type: ignore[no-untyped-def]
    ctx = mp.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_open, args=(target, start, results)) for _ in range(5)]
    [p.start() for p in procs]
    start.set()
    [p.join(60) for p in procs]
    outcomes = [results.get(timeout=5) for _ in procs]
    assert [o for o, _ in outcomes] == ["ok"] * 5, outcomes
    applied = [a for _, a in outcomes if a]
    every = [m.version for m in (migrations.POSTGRES if target.startswith("postgresql://") else migrations.SQLITE)]
    assert len(applied) == 1 and applied[0] == every
    store = Store(target)
    assert store.count("state") == 5
    store.close()


def test_two_hundred_pairs_open_a_new_sqlite_file_at_the_same_instant(tmp_path):  # type: ignore[no-untyped-def]
    # Issue 16: switching a new file to WAL used to fail with "database is locked" in 151 of 200 pairs.
    ctx = mp.get_context("fork")
    failures = []
    for batch in range(20):
        start, results = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_open, args=(str(tmp_path / f"{batch}-{pair}" / "bot.sqlite"), start, results))
                 for pair in range(10) for _ in range(2)]
        [p.start() for p in procs]
        start.set()
        [p.join(60) for p in procs]
        failures += [detail for outcome, detail in (results.get(timeout=10) for _ in procs) if outcome != "ok"]
    assert failures == []


# --- SQLite specifics ----------------------------------------------------------------------------------


def test_sqlite_values_are_json_text_in_sqlitedict_tables(tmp_path):  # type: ignore[no-untyped-def]
    path = str(tmp_path / "bot.sqlite")
    store = Store(path)
    store.add("announced", "6404:2026-11-20", {"n": 1})
    raw = sqlite3.connect(path).execute('SELECT value FROM "announced"').fetchone()[0]
    assert (raw if isinstance(raw, str) else raw.decode()) == '{"n":1}'  # JSON, not pickle
    assert set(TABLES) <= set(store.tables())


def test_sqlite_ping_fails_when_the_file_is_gone(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "db" / "bot.sqlite"
    store = Store(str(path))
    assert store.ping() is True
    for f in path.parent.iterdir():
        f.unlink()
    path.parent.rmdir()
    with pytest.raises(OSError):
        store.ping()


def test_postgres_values_are_jsonb(pg_url):  # type: ignore[no-untyped-def]
    import psycopg

    store = Store(pg_url)
    store.put("requests", "r", {"state": "requested", "n": 2})
    with psycopg.connect(pg_url) as conn:
        kind, state = conn.execute(
            "SELECT pg_typeof(value)::text, value->>'state' FROM records WHERE kind = 'requests' AND key = 'r'").fetchone()
    assert (kind, state) == ("jsonb", "requested")
    store.close()


def lend_each_connection_once(store) -> None:  # type: ignore[no-untyped-def]
    """Let the pool settle, then lend each of its connections once. The first caller waits for
    the pool's first connection, so psycopg_pool opens a second one beside it; under load that
    one is ready only later, and its first lending (always checked with a round trip) would
    land among the ones the test counts."""
    deadline = time.monotonic() + 30
    while (stats := store.pool.get_stats())["pool_available"] < stats["pool_size"]:
        assert time.monotonic() < deadline, f"the pool never settled: {stats}"
        time.sleep(0.01)
    for _ in range(stats["pool_size"]):  # the pool lends its idle connections in turn
        with store.pool.connection():
            pass


def test_postgres_pool_checks_without_a_round_trip_and_still_survives_ended_sessions(pg_url):  # type: ignore[no-untyped-def]
    """A connection used a moment ago is lent without the empty-query check; one whose session
    the server ended (a restart, pg_terminate_backend) is noticed from its socket, replaced,
    and the caller gets an answer, not an error (bot/store/postgres.py, LivenessCheck)."""
    import psycopg

    # Checked by the socket alone: no connection here idles long enough for the timed check,
    # however slow the machine (the default threshold is measured with the real clock).
    store = Store(pg_url, check_idle_s=3600.0)
    store.put("requests", "r", {"state": "requested", "approver_gh_ids": [1], "created_at": 1.0})
    lend_each_connection_once(store)
    checks = store.liveness.round_trips
    for _ in range(20):
        assert store.get("requests", "r")["state"] == "requested"
    assert store.liveness.round_trips == checks  # hot: no check sent
    pids = set()
    for _ in range(3):
        with store.pool.connection() as conn:
            pids.add(conn.info.backend_pid)
    assert len(pids) == store.pool.get_stats()["pool_size"]  # every connection of the pool
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY(%s)", (list(pids),))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # until the server has ended them
        with psycopg.connect(pg_url, autocommit=True) as admin:
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", (list(pids),)).fetchone():
                break
        time.sleep(0.05)
    assert store.get("requests", "r")["state"] == "requested"  # no error for the caller
    assert [r["state"] for r in store.find("requests", state="requested")] == ["requested"]
    assert store.liveness.round_trips > checks
    store.close()
