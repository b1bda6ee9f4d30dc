"""SQLite backend: one file, plain records through sqlitedict, atomic operations as SQL.

sqlitedict keeps one table per kind of record (`key TEXT PRIMARY KEY, value
BLOB`, the value JSON text, never pickle). `add()` and `update()` run raw SQL
on the same tables from a per-thread connection, inside `BEGIN IMMEDIATE` so
the read and the write of a compare-and-set hold SQLite's write lock together:
atomic across every process on the machine.

Opening is serialized across processes by an exclusive `flock` on
`<file>.lock`: switching a new file to WAL needs an exclusive lock that SQLite's
busy handler does not wait for, so two processes opening one new file at the
same instant used to fail with "database is locked" (issue 16). Under the
lock we switch to WAL, apply migrations and create tables, then let go.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlitedict import SqliteDict

from bot.store import migrations
from bot.store.base import TABLES, Store, check_table, decode, encode
from bot.store.indexes import AtLeast, AtMost, Between, Not, Plan, values_of

try:
    import fcntl
except ImportError:  # Windows: one process per file there; the lock is a no-op
    fcntl = None  # type: ignore[assignment]

BUSY_TIMEOUT_MS = 30_000
SCAN_PAGE = 1000


def _condition(path: str, cond: Any) -> tuple[str, list[Any]]:
    if isinstance(cond, AtMost):
        return f"{path} <= ?", [cond.bound]
    if isinstance(cond, AtLeast):
        return f"{path} >= ?", [cond.bound]
    if isinstance(cond, Between):
        return f"{path} BETWEEN ? AND ?", [cond.low, cond.high]
    if isinstance(cond, Not):
        return f"({path} IS NULL OR {path} NOT IN ({', '.join('?' * len(cond.values))}))", list(cond.values)
    values = values_of(cond)
    assert values is not None
    if len(values) == 1:
        return f"{path} = ?", list(values)
    return f"{path} IN ({', '.join('?' * len(values))})", list(values)


def _order_and_page(q: Plan, path: Callable[[str], str]) -> str:
    if q.order_by is None:
        return ""
    sql = f" ORDER BY {path(q.order_by)}{' DESC' if q.newest_first else ''}"
    if q.limit is not None or q.offset:
        sql += f" LIMIT {-1 if q.limit is None else int(q.limit)}"
    if q.offset:
        sql += f" OFFSET {int(q.offset)}"
    return sql


class SqliteStore(Store):
    backend = "sqlite"

    def __init__(self, path: str = "data/bot.sqlite", *, migrate: bool = True) -> None:
        self.path = path
        self._memory = path == ":memory:"
        if not self._memory:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._dicts: dict[str, SqliteDict] = {}
        self._dicts_lock = threading.Lock()
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self.applied: list[int] = []
        with self._file_lock():
            conn = self._conn()
            conn.execute("PRAGMA journal_mode=WAL")
            self._ensure_version_table(conn)
            if migrate:
                self.applied = self._migrate_locked(conn)
            for name in TABLES:
                self._open_dict(name)

    # --- cross-process lock ---------------------------------------------------------------

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if self._memory or fcntl is None:
            yield
            return
        fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    # --- connections ----------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            # A REPLACE then fires DELETE triggers too, so the index tables' triggers see it.
            conn.execute("PRAGMA recursive_triggers=ON")
            self._local.conn = conn
            self._conns.append(conn)
        return conn

    def _open_dict(self, table: str) -> SqliteDict:
        # sqlitedict creates its table and sets the journal mode when it connects.
        table = check_table(table)
        d = self._dicts.get(table)
        if d is None:
            with self._dicts_lock:
                d = self._dicts.get(table)
                if d is None:
                    d = self._dicts[table] = SqliteDict(
                        self.path, tablename=table, autocommit=True, encode=encode, decode=decode,
                        journal_mode="WAL", outer_stack=False,
                    )
        return d

    def _dict(self, table: str) -> SqliteDict:
        d = self._dicts.get(table)
        if d is None:
            with self._file_lock():
                d = self._open_dict(table)
        return d

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds SQLite's write lock from its first statement."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # --- plain records -------------------------------------------------------------------

    def get(self, table: str, key: str, default: Any = None) -> Any:
        return self._dict(table).get(key, default)

    def get_many(self, table: str, keys: Any) -> dict[str, Any]:
        self._dict(table)
        keys, found = list(keys), {}
        for i in range(0, len(keys), 500):  # under SQLite's limit of bound parameters
            chunk = keys[i:i + 500]
            rows = self._conn().execute(
                f'SELECT key, value FROM "{table}" WHERE key IN ({", ".join("?" * len(chunk))})', chunk)
            found.update((k, decode(v)) for k, v in rows)
        return found

    def put(self, table: str, key: str, value: Any) -> None:
        # An upsert rather than sqlitedict's REPLACE: replacing a row fires its UPDATE triggers,
        # which keep the index tables right (bot/store/migrations.py).
        self._dict(table)
        self._conn().execute(
            f'INSERT INTO "{table}" (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
            (key, encode(value)))

    def delete(self, table: str, key: str) -> None:
        # Raw SQL so that a refusal (the audit log's trigger) raises here, in the caller.
        self._dict(table)
        self._conn().execute(f'DELETE FROM "{table}" WHERE key = ?', (key,))

    def _scan(self, table: str) -> Iterator[tuple[str, Any]]:
        # In pages, in key order: a whole table is never held in memory (store copy of the audit log).
        self._dict(table)
        after = None
        while True:
            where, args = ("", ()) if after is None else ("WHERE key > ?", (after,))
            rows = self._conn().execute(
                f'SELECT key, value FROM "{table}" {where} ORDER BY key LIMIT {SCAN_PAGE}', args).fetchall()
            for key, value in rows:
                yield key, decode(value)
            if len(rows) < SCAN_PAGE:
                return
            after = rows[-1][0]

    # --- indexed queries -----------------------------------------------------------------

    def _find(self, q: Plan) -> list[Any]:
        sql, args = self._sql(q)
        return [decode(v) for (v,) in self._conn().execute(sql, args)]

    def _count_where(self, q: Plan) -> int:
        sql, args = self._sql(q, select="COUNT(*)")
        return int(self._conn().execute(sql, args).fetchone()[0])

    def _sql(self, q: Plan, select: str = "r.value") -> tuple[str, list[Any]]:
        t = q.spec.table
        self._dict(t)
        if q.through_member:
            source = f'"{q.spec.member_table()}" AS m JOIN "{t}" AS r ON r.key = m.key'
            clauses, args = ["m.item = ?"], [q.member_item]

            def path(field: str) -> str:
                return f"m.{field}"
        else:
            source, clauses, args = f'"{t}" AS r', [], []

            def path(field: str) -> str:
                # The very expression the index was built on (bot/store/migrations.py), or SQLite ignores it.
                return "r.key" if field == "key" else f"json_extract(value, '$.{field}')"
        for field, cond in q.where.items():
            clause, more = _condition(path(field), cond)
            clauses.append(clause)
            args += more
        sql = f"SELECT {select} FROM {source}"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return sql + _order_and_page(q, path), args

    def _count_by(self, counts_table: str) -> list[tuple[Any, int]]:
        return self._conn().execute(f'SELECT value, n FROM "{counts_table}"').fetchall()

    def count(self, table: str) -> int:
        self._dict(table)
        return self._conn().execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]

    def tables(self) -> list[str]:
        rows = self._conn().execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
        names = []
        for (name,) in rows:
            try:
                names.append(check_table(name))
            except ValueError:
                continue  # SQLite's own and schema_version
        return names

    # --- atomic operations ---------------------------------------------------------------

    def add(self, table: str, key: str, value: Any) -> bool:
        self._dict(table)
        cur = self._conn().execute(
            f'INSERT OR IGNORE INTO "{table}" (key, value) VALUES (?, ?)', (key, encode(value)))
        return cur.rowcount == 1

    def add_many(self, table: str, rows: Any) -> int:
        self._dict(table)
        inserted = 0
        with self._write() as conn:
            for key, value in rows:
                cur = conn.execute(
                    f'INSERT OR IGNORE INTO "{table}" (key, value) VALUES (?, ?)', (key, encode(value)))
                inserted += cur.rowcount
        return inserted

    def update(self, table: str, key: str, change: Callable[[Any], Any | None]) -> Any | None:
        self._dict(table)
        with self._write() as conn:
            row = conn.execute(f'SELECT value FROM "{table}" WHERE key = ?', (key,)).fetchone()
            if row is None:
                return None
            new = change(decode(row[0]))
            if new is None:
                return None
            conn.execute(f'UPDATE "{table}" SET value = ? WHERE key = ?', (encode(new), key))
            return new

    # --- schema and health ---------------------------------------------------------------

    @staticmethod
    def _ensure_version_table(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version "
                     "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)")

    def schema_version(self) -> int:
        row = self._conn().execute("SELECT MAX(version) FROM schema_version").fetchone()
        return row[0] or 0

    def migrate(self) -> list[int]:
        with self._file_lock():
            conn = self._conn()
            self._ensure_version_table(conn)
            return self._migrate_locked(conn)

    def _migrate_locked(self, conn: sqlite3.Connection) -> list[int]:
        applied = []
        done = {v for (v,) in conn.execute("SELECT version FROM schema_version")}
        for m in migrations.SQLITE:
            if m.version in done:
                continue
            with self._write() as tx:
                for statement in m.statements:
                    tx.execute(statement)
                tx.execute("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                           (m.version, m.name, time.time()))
            applied.append(m.version)
        return applied

    def ping(self) -> bool:
        """True only if the file is still there and SQLite can take its write lock."""
        if not self._memory and not os.path.exists(self.path):
            raise FileNotFoundError("the store's file is gone")
        with self._write():
            pass
        return True

    def close(self) -> None:
        for d in self._dicts.values():
            d.close()
        self._dicts.clear()
        for conn in self._conns:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._conns.clear()
        self._local = threading.local()

    def describe(self) -> str:
        return f"sqlite {os.path.abspath(self.path) if not self._memory else ':memory:'}"
