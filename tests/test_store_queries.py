"""Indexed store queries (bot/store/indexes.py), on SQLite and a real PostgreSQL:

- every answer equals filtering the whole table, after any mix of writes (put, add,
  update, delete), so the trigger-kept side tables never drift;
- a store written before the indexes existed is back-filled by the migration;
- state counts stay exact under concurrent transitions from several processes;
- each query the bot makes is served by an index (the plan has no full scan);
- no read path of the bot reads every request (or the whole audit log).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import random
import re
import time
from pathlib import Path
from typing import Any

import pytest

from bot import housekeeping
from bot.store import Store, migrations
from bot.store.indexes import AtMost, Between, Contains, Not, NotIndexed, plan
from tests.conftest import ADMIN, HM, JOB_ID, RECRUITER, RECRUITER_ID, Bot

STATES = ("draft", "posting", "requested", "executing", "failed", "done", "denied", "expired", "discarded")
USERS = ("U1", "U2", "U3", "U4")
APPROVERS = (101, 102, 103, 104, 105)
JOBS = (7, 8, 9)
NOW = 1_000_000.0


def _request(rng: random.Random, n: int) -> dict[str, Any]:
    return {
        "id": f"r{n:04d}", "state": rng.choice(STATES), "requester": rng.choice(USERS), "job_id": rng.choice(JOBS),
        "approver_gh_ids": rng.sample(APPROVERS, rng.randint(0, 3)),
        "created_at": NOW + n + rng.random() / 2,  # distinct: orders are comparable
        "expires_at": NOW + rng.uniform(-500, 500), "lease_until": 0,
    }


def _mess_with(store: Store, rng: random.Random, count: int) -> None:
    """Every kind of write the store has, on the indexed table, in a random mix."""
    for n in range(count):
        store.put("requests", f"r{n:04d}", _request(rng, n))
    store.put("requests", "odd-no-state", {"id": "odd-no-state", "approver_gh_ids": 101, "created_at": NOW - 1})
    store.put("requests", "odd-not-an-object", [1, 2, 3])
    for _ in range(count * 2):
        key = f"r{rng.randrange(count):04d}"
        op = rng.random()
        if op < 0.35:  # a transition (state changes: counts and the approvers' side table move)
            to = rng.choice(STATES)
            store.update("requests", key, lambda raw, to=to: {**raw, "state": to} if isinstance(raw, dict) else None)
        elif op < 0.5:  # a heartbeat (nothing indexed changes)
            store.update("requests", key, lambda raw: {**raw, "lease_until": rng.random()})
        elif op < 0.65:  # a whole new record under an existing key
            store.put("requests", key, _request(rng, int(key[1:])))
        elif op < 0.75:
            store.delete("requests", key)
        elif op < 0.85:
            store.add("requests", key, _request(rng, int(key[1:])))  # ignored when present
        else:
            store.append_audit({"job_id": rng.choice(JOBS), "request_id": key, "to": rng.choice(STATES)})


def _every(store: Store, table: str) -> list[dict[str, Any]]:
    return [v for _, v in store.dump(table) if isinstance(v, dict)]


def _state_in(r: dict[str, Any], states: tuple[str, ...]) -> bool:
    return r.get("state") in states


QUERIES: list[tuple[dict[str, Any], Any]] = [
    (dict(state=("requested", "failed"), order_by="created_at"), lambda r: _state_in(r, ("requested", "failed"))),
    (dict(state="executing"), lambda r: r.get("state") == "executing"),
    (dict(state=("draft", "posting", "requested", "failed"), expires_at=AtMost(NOW), order_by="expires_at"),
     lambda r: _state_in(r, ("draft", "posting", "requested", "failed")) and r["expires_at"] <= NOW),
    (dict(state="requested", created_at=AtMost(NOW + 60), order_by="created_at"),
     lambda r: r.get("state") == "requested" and r["created_at"] <= NOW + 60),
    (dict(requester="U2", state=("requested", "failed"), order_by="created_at"),
     lambda r: r.get("requester") == "U2" and _state_in(r, ("requested", "failed"))),
    (dict(approver_gh_ids=Contains(102), state=("requested", "failed"), order_by="created_at"),
     lambda r: isinstance(r.get("approver_gh_ids"), list) and 102 in r["approver_gh_ids"]
     and _state_in(r, ("requested", "failed"))),
    (dict(job_id=8, order_by="created_at"), lambda r: r.get("job_id") == 8),
    (dict(state="requested", created_at=Between(NOW + 20, NOW + 90), order_by="created_at"),  # a sweep's next batch
     lambda r: r.get("state") == "requested" and NOW + 20 <= r["created_at"] <= NOW + 90),
]


def _check_against_the_whole_table(store: Store) -> None:
    every = _every(store, "requests")
    assert every, "nothing to compare"
    for query, keep in QUERIES:
        order = query.get("order_by", "key")
        expected = sorted((r for r in every if keep(r)), key=lambda r: r[order] if order != "key" else r["id"])
        found = store.find("requests", **query)
        if order == "key":
            found = sorted(found, key=lambda r: r["id"])
        assert [r["id"] for r in found] == [r["id"] for r in expected], query
        where = {k: v for k, v in query.items() if k != "order_by"}
        assert store.count_where("requests", **where) == len(expected), query
        if order != "key":  # a page: the index's order, skipping the first ones
            page = store.find("requests", **query, limit=4, offset=3)
            assert [r["id"] for r in page] == [r["id"] for r in expected[3:7]], query
    for user in USERS:  # the Home tab's "your latest ten"
        mine = sorted((r for r in every if r.get("requester") == user and r.get("state") not in ("draft", "discarded")),
                      key=lambda r: r["created_at"], reverse=True)[:10]
        found = store.find("requests", requester=user, state=Not(("draft", "discarded")), order_by="created_at",
                           newest_first=True, limit=10)
        assert [r["id"] for r in found] == [r["id"] for r in mine]
    counts: dict[Any, int] = {}
    for _, r in store.dump("requests"):
        state = r.get("state") if isinstance(r, dict) else None
        counts[state] = counts.get(state, 0) + 1
    assert store.count_by("requests", "state") == counts
    audit = list(store.dump("audit"))
    for job in JOBS:
        newest = [e for _, e in audit if e["job_id"] == job][::-1][:5]
        assert store.find("audit", job_id=job, order_by="key", newest_first=True, limit=5) == newest


def test_answers_equal_the_whole_table_after_any_mix_of_writes(store):  # type: ignore[no-untyped-def]
    _mess_with(store, random.Random(17), 150)
    _check_against_the_whole_table(store)


def test_a_store_written_before_the_indexes_is_back_filled(target, monkeypatch):  # type: ignore[no-untyped-def]
    backend = "POSTGRES" if target.startswith("postgresql://") else "SQLITE"
    every_migration = getattr(migrations, backend)
    monkeypatch.setattr(migrations, backend, every_migration[:1])  # the schema as it was before indexes
    old = Store(target)
    assert old.schema_version() == 1
    _mess_with(old, random.Random(7), 120)
    old.close()
    monkeypatch.setattr(migrations, backend, every_migration)
    new = Store(target)
    try:
        assert new.applied == [m.version for m in every_migration[1:]]
        _check_against_the_whole_table(new)
    finally:
        new.close()


def _transitions(target: str, seed: int, start, out) -> None:  # type: ignore[no-untyped-def]
    store = Store(target)
    rng = random.Random(seed)
    start.wait()
    for _ in range(40):
        to = rng.choice(STATES)
        store.update("requests", f"r{rng.randrange(8):04d}", lambda raw, to=to: {**raw, "state": to})
    out.put(seed)
    store.close()


def test_counts_stay_exact_under_concurrent_transitions(store, target):  # type: ignore[no-untyped-def]
    # Transitions lock two counts each (PostgreSQL: always in the same order, so no deadlock).
    rng = random.Random(3)
    for n in range(8):
        store.put("requests", f"r{n:04d}", _request(rng, n))
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_transitions, args=(target, seed, start, out)) for seed in range(4)]
    [p.start() for p in procs]
    start.set()
    [p.join(120) for p in procs]
    assert sorted(out.get(timeout=5) for _ in procs) == [0, 1, 2, 3]
    recount: dict[str, int] = {}
    for r in _every(store, "requests"):
        recount[r["state"]] = recount.get(r["state"], 0) + 1
    assert store.count_by("requests", "state") == recount
    assert sum(recount.values()) == 8


def test_unindexed_questions_and_whole_reads_are_refused(store):  # type: ignore[no-untyped-def]
    store.put("requests", "r", {"state": "requested", "kind": "close_job"})
    with pytest.raises(NotIndexed):
        store.find("requests", kind="close_job")  # no index: it would scan
    with pytest.raises(NotIndexed):
        store.find("requests", approver_gh_ids=Contains(1), requester="U1")  # not beside the approvers
    with pytest.raises(NotIndexed):
        store.find("requests", state="requested", order_by="decided_at")
    with pytest.raises(NotIndexed):
        store.find("mappings", slack_user_id="U1")
    with pytest.raises(NotIndexed):
        store.count_by("requests", "requester")
    for table in ("requests", "audit"):
        with pytest.raises(NotIndexed):
            list(store.items(table))
        with pytest.raises(NotIndexed):
            list(store.values(table))
    store.put("watches", "w", {"channel": "C1"})
    assert list(store.items("watches")) == [("w", {"channel": "C1"})]  # small tables read whole still may


def test_index_tables_are_not_records(store):  # type: ignore[no-untyped-def]
    store.put("requests", "r", {"state": "requested", "approver_gh_ids": [1]})
    assert not [t for t in store.tables() if t.startswith("index_")]  # `store copy` and `check` skip them
    with pytest.raises(ValueError):
        store.put("index_requests_state_counts", "k", 1)


# --- what the bot asks, and how each question is answered ---------------------------------------


class Spy:
    """Records the store's indexed questions; a whole read of requests or audit fails the test."""

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        self.asked: list[tuple[str, dict[str, Any]]] = []
        self.counted: list[tuple[str, dict[str, Any]]] = []
        find, scan, count_where = store.find, store._scan, store.count_where

        def spy_find(table: str, **query: Any) -> list[Any]:
            self.asked.append((table, query))
            return find(table, **query)

        def spy_count(table: str, **where: Any) -> int:
            self.counted.append((table, where))
            return count_where(table, **where)

        def no_whole_read(table: str) -> Any:
            if table in ("requests", "audit"):
                raise AssertionError(f"a read path read every record of {table}")
            return scan(table)

        monkeypatch.setattr(store, "find", spy_find)
        monkeypatch.setattr(store, "count_where", spy_count)
        monkeypatch.setattr(store, "_scan", no_whole_read)


def _open_home(bot: Bot, user: str) -> None:
    body = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": f"Ev{time.time_ns()}",
            "event": {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"}}
    assert bot.post_signed(json.dumps(body), content_type="application/json").status_code == 200


def _bot_with_history(tmp_path, slack, gh, target: str) -> Bot:  # type: ignore[no-untyped-def]
    extra = {"database_url": target} if target.startswith("postgresql://") else {"bot_db_path": target}
    bot = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS", bot_remind_after_hours=0.0001, **extra)
    for _ in range(2):
        bot.command(f"close {JOB_ID} on hold", user=HM)
    return bot


def test_no_read_path_reads_every_request(tmp_path, slack, gh, target, monkeypatch):  # type: ignore[no-untyped-def]
    bot = _bot_with_history(tmp_path, slack, gh, target)
    store = bot.services.store
    spy = Spy(store, monkeypatch)
    # Every read path over requests and the audit log, as people and housekeeping reach them.
    for user in (HM, RECRUITER, ADMIN):
        bot.command("pending", user=user)
        _open_home(bot, user)
    bot.command(f"history {JOB_ID}", user=HM)
    time.sleep(0.5)  # past the reminder threshold (BOT_REMIND_AFTER_HOURS above: ~0.4 s)
    housekeeping.run_once(bot.services)  # stuck executions, expiry, reminders
    assert bot.web.get("/metrics").status_code == 200  # requests by state
    bot.services.autoclose.announce_if_closed(JOB_ID)
    assert "2 open request(s)" in bot.replies_text()
    assert "History of Archaeologist" in bot.replies_text()
    assert bot.services.reminders.store.count("reminders") == 2
    asked = {json.dumps([t, sorted(q)]) for t, q in spy.asked}
    assert len(asked) >= 7, asked  # pending ×2 ways, history, Home, expiry, stuck, reminders, metrics
    store.close()


def _plan_text(store: Store, table: str, query: dict[str, Any], *, count: bool = False) -> str:
    q = plan(table, {k: v for k, v in query.items() if k not in ("order_by", "newest_first", "limit", "offset")},
             None if count else query.get("order_by", "key"), query.get("newest_first", False), query.get("limit"),
             query.get("offset", 0))
    sql, args = store._sql(q, **({"select": "COUNT(*)"} if count else {}))  # type: ignore[attr-defined]
    if store.backend == "sqlite":
        rows = store._conn().execute(f"EXPLAIN QUERY PLAN {sql}", args).fetchall()  # type: ignore[attr-defined]
        return "\n".join(str(r[-1]) for r in rows)
    with store.pool.connection() as conn, conn.transaction():  # type: ignore[attr-defined]
        conn.execute("SET LOCAL enable_seqscan = off")  # a seq scan then remains only where no index fits
        return "\n".join(r[0] for r in conn.execute(f"EXPLAIN {sql}", args))


def _history(store: Store, n: int) -> None:
    """Finished requests and their audit rows, with the planner's statistics: plans on an
    empty table say little (any index then looks as good as a scan)."""
    rng = random.Random(5)
    store.add_many("requests", ((f"old-{i}", {**_request(rng, i), "id": f"old-{i}", "state": "done",
                                              "requester": f"W{i % 50}", "job_id": 100 + i % 40}) for i in range(n)))
    store.add_many("audit", ((f"{i:020d}-old", {"job_id": 100 + i % 40, "request_id": f"old-{i}"}) for i in range(n)))
    # PostgreSQL gathers statistics by itself (autovacuum); the bot never runs ANALYZE on SQLite,
    # whose planner then takes an equality on an indexed expression as selective (docs/decisions/0005).
    if store.backend == "postgres":
        with store.pool.connection() as conn:  # type: ignore[attr-defined]
            conn.execute("ANALYZE")


def _unbounded_index_scans(text: str) -> list[str]:
    """PostgreSQL index scans with no condition on the index: a whole (partial) index read."""
    lines = text.splitlines()
    return [line for i, line in enumerate(lines)
            if "Index Scan" in line and not (i + 1 < len(lines) and "Index Cond" in lines[i + 1])]


def test_every_question_the_bot_asks_is_answered_from_an_index(tmp_path, slack, gh, target, monkeypatch):  # type: ignore[no-untyped-def]
    bot = _bot_with_history(tmp_path, slack, gh, target)
    store = bot.services.store
    first = bot.services.requests.all()[0].model_dump()
    store.put("requests", "admins-own", {**first, "id": "admins-own", "requester": ADMIN})  # not theirs to decide
    _history(store, 3000)
    spy = Spy(store, monkeypatch)
    for user in (HM, RECRUITER, ADMIN):
        bot.command("pending", user=user)
        bot.command("pending 2", user=user)
        _open_home(bot, user)
    bot.command(f"history {JOB_ID}", user=HM)
    housekeeping.run_once(bot.services)
    bot.web.get("/metrics")
    bot.services.autoclose.announce_if_closed(JOB_ID)
    assert spy.asked and spy.counted
    assert any(isinstance(q.get("requester"), Not) for _, q in spy.asked)  # the admin's Home: not their own
    for table, query, count in [(t, q, False) for t, q in spy.asked] + [(t, q, True) for t, q in spy.counted]:
        text = _plan_text(store, table, query, count=count)
        if store.backend == "sqlite":
            scans = [line for line in text.splitlines() if line.startswith("SCAN")]
            assert not scans, (query, text)
        else:
            assert "Seq Scan" not in text and not _unbounded_index_scans(text), (query, text)
    assert RECRUITER_ID in {q["approver_gh_ids"].item for _, q in spy.asked if "approver_gh_ids" in q}
    store.close()


def test_no_module_of_the_bot_calls_the_whole_reads():
    """`Requests.all()` and `Store.dump()` are for tests and `store copy`: a new caller in the bot
    would bring back a read that grows with history (the dynamic test above only sees the paths it drives)."""
    root = Path(__file__).resolve().parent.parent / "bot"
    allowed = {"store/cli.py": 1, "workflows/requests/transitions.py": 1}  # copy; all()'s own body
    found = {}
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        n = len(re.findall(r"\.all\(\)|\.dump\(", text))
        if n:
            found[path.relative_to(root).as_posix()] = n
    assert found == allowed


def test_get_many_returns_what_exists_in_one_answer(store):  # type: ignore[no-untyped-def]
    for i in range(3):
        store.put("reminders", f"r{i}", {"at": i})
    assert store.get_many("reminders", ["r0", "r2", "nope"]) == {"r0": {"at": 0}, "r2": {"at": 2}}
    assert store.get_many("reminders", []) == {}
    assert len(store.get_many("reminders", [f"k{i}" for i in range(1200)] + ["r1"])) == 1  # past SQLite's 999 parameters
