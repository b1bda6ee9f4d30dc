"""PostgreSQL backend (DATABASE_URL): psycopg 3 with one connection pool per process.

Every kind of record lives in one table, `records (kind, key, value jsonb)`.
`add()` is `INSERT … ON CONFLICT DO NOTHING`; `update()` reads the row with
`SELECT … FOR UPDATE` and writes it in the same transaction, so of two
replicas (on any hosts) racing for one record, the second waits for the
first's commit and then sees its result: the approval claim, the poller
lease and the shared Harvest budget rest on that.

The pool is created in the process that uses it (gunicorn loads the app in each
worker after the fork). Before lending a connection it checks it without a round trip
when it can (`LivenessCheck`): a server that restarted or ended the session has
written to the socket, which is then readable, and a connection unused for
`CHECK_IDLE_S` gets psycopg_pool's empty-query check — so a restarted server costs a
reconnect, not an error, and a busy worker does not pay a round trip per query
(docs/decisions/0011-pool-checks-without-a-round-trip.md).

No call waits forever on a connection that went silent (a cut network, a frozen
host): TCP keepalives and `tcp_user_timeout` turn a dead peer into an error within
about a minute, and the server ends a session left idle inside a transaction
(`idle_in_transaction_session_timeout`), so a client that stalls between its
`SELECT … FOR UPDATE` and its COMMIT cannot hold a record's row lock — and with it
every other process's update of that record, a takeover included — for long.
"""

from __future__ import annotations

import select
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from bot.store import migrations
from bot.store.base import Store, check_table, encode
from bot.store.indexes import AtLeast, AtMost, Between, Not, Plan, values_of

# Any constant shared by every process of this bot: the key of the migration lock.
MIGRATION_LOCK_KEY = 0x6768_7362  # "ghsb"
POOL_MAX = 8
# A silent peer is an error after keepalives_idle + interval × count ≈ 60 s (30 + 10 × 3),
# or when sent data stays unacknowledged for tcp_user_timeout.
CONNECTION = {"autocommit": True, "connect_timeout": 10, "keepalives": 1, "keepalives_idle": 30,
              "keepalives_interval": 10, "keepalives_count": 3, "tcp_user_timeout": 60_000}
# Our transactions are a read, a change computed in memory and a write: milliseconds.
IDLE_IN_TRANSACTION_S = 60.0
SCAN_PAGE = 1000
CHECK_IDLE_S = 30.0  # a connection unused this long gets a round-trip check before it is lent


class LivenessCheck:
    """The pool's `check`: an empty query (psycopg_pool's `check_connection`) only for a
    connection that was idle `idle_s` or more (`idle_s=0`: every time), or whose socket has
    something to read — an idle session in autocommit receives nothing unless the server
    ended it (restart, `pg_terminate_backend`, idle timeout), so that costs no round trip."""

    def __init__(self, idle_s: float) -> None:
        self.idle_s = idle_s
        self._lent_at: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self.round_trips = 0  # checks that asked the server (bench/pg_checkout.py)

    def __call__(self, conn: psycopg.Connection) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._lent_at.get(conn)
            self._lent_at[conn] = now
        if last is not None and now - last < self.idle_s and not _readable(conn):
            return
        self.round_trips += 1
        ConnectionPool.check_connection(conn)


def _readable(conn: psycopg.Connection) -> bool:
    try:
        return bool(select.select([conn.fileno()], [], [], 0)[0])
    except (OSError, ValueError, psycopg.Error):
        return True  # closed or unusable: let the full check fail it


def _jsonb(value: Any) -> Jsonb:
    return Jsonb(value, dumps=encode)


class PostgresStore(Store):
    backend = "postgres"

    def __init__(self, url: str, *, migrate: bool = True, pool_max: int = POOL_MAX,
                 idle_in_transaction_s: float = IDLE_IN_TRANSACTION_S,
                 check_idle_s: float | None = CHECK_IDLE_S) -> None:
        """`check_idle_s`: see `LivenessCheck` (None: no check at all, for bench/pg_checkout.py)."""
        self.url = url
        self._idle_in_transaction_ms = int(idle_in_transaction_s * 1000)
        self.liveness = None if check_idle_s is None else LivenessCheck(check_idle_s)
        self.pool = ConnectionPool(
            url, min_size=1, max_size=pool_max, kwargs=dict(CONNECTION), configure=self._configure,
            check=self.liveness, open=True, name="bot-store",
        )
        self.applied: list[int] = []
        try:
            with self.pool.connection() as conn:
                self._ensure_version_table(conn)
            if migrate:
                self.applied = self.migrate()
        except BaseException:
            self.pool.close()
            raise

    def _configure(self, conn: psycopg.Connection) -> None:
        # Set on the session (not in the URL's `options`, which may carry a search_path).
        conn.execute("SELECT set_config('idle_in_transaction_session_timeout', %s, false)",
                     (f"{self._idle_in_transaction_ms}ms",))

    # --- plain records -------------------------------------------------------------------

    def get(self, table: str, key: str, default: Any = None) -> Any:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT value FROM records WHERE kind = %s AND key = %s",
                               (check_table(table), key)).fetchone()
        return default if row is None else row[0]

    def get_many(self, table: str, keys: Iterable[str]) -> dict[str, Any]:
        with self.pool.connection() as conn:
            rows = conn.execute("SELECT key, value FROM records WHERE kind = %s AND key = ANY(%s)",
                                (check_table(table), list(keys))).fetchall()
        return dict(rows)

    def put(self, table: str, key: str, value: Any) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO records (kind, key, value) VALUES (%s, %s, %s) "
                "ON CONFLICT (kind, key) DO UPDATE SET value = EXCLUDED.value",
                (check_table(table), key, _jsonb(value)))

    def delete(self, table: str, key: str) -> None:
        with self.pool.connection() as conn:
            conn.execute("DELETE FROM records WHERE kind = %s AND key = %s", (check_table(table), key))

    def _scan(self, table: str) -> Iterator[tuple[str, Any]]:
        # In pages, in key order (the primary key): a whole table is never held in memory.
        kind, after = check_table(table), ""
        while True:
            with self.pool.connection() as conn:
                rows = conn.execute("SELECT key, value FROM records WHERE kind = %s AND key > %s ORDER BY key LIMIT %s",
                                    (kind, after, SCAN_PAGE)).fetchall()
            yield from rows
            if len(rows) < SCAN_PAGE:
                return
            after = rows[-1][0]

    # --- indexed queries -----------------------------------------------------------------

    def _find(self, q: Plan) -> list[Any]:
        sql, args = self._sql(q)
        with self.pool.connection() as conn:
            return [v for (v,) in conn.execute(sql, args)]

    def _count_where(self, q: Plan) -> int:
        sql, args = self._sql(q, select="COUNT(*)")
        with self.pool.connection() as conn:
            return int(conn.execute(sql, args).fetchone()[0])

    def _sql(self, q: Plan, select: str = "r.value") -> tuple[str, list[Any]]:
        t = q.spec.table  # a declared table name: safe as a literal, which the partial indexes need
        if q.through_member:
            source = f"{q.spec.member_table()} AS m JOIN records AS r ON r.kind = '{t}' AND r.key = m.key"
            clauses, args = ["m.item = %s"], [_jsonb(q.member_item)]

            def path(field: str) -> str:
                return f"m.{field}"
        else:
            source, clauses, args = "records AS r", [f"r.kind = '{t}'"], []

            def path(field: str) -> str:
                # The very expression the index was built on (bot/store/migrations.py).
                return "r.key" if field == "key" else f"(r.value->'{field}')"
        for field, cond in q.where.items():
            clause, more = _condition(path(field), cond)
            clauses.append(clause)
            args += more
        sql = f"SELECT {select} FROM {source} WHERE {' AND '.join(clauses)}"
        if q.order_by is not None:
            sql += f" ORDER BY {path(q.order_by)}{' DESC' if q.newest_first else ''}"
            if q.limit is not None:
                sql += f" LIMIT {int(q.limit)}"
            if q.offset:
                sql += f" OFFSET {int(q.offset)}"
        return sql, args

    def _count_by(self, counts_table: str) -> list[tuple[Any, int]]:
        with self.pool.connection() as conn:
            return conn.execute(f"SELECT value, n FROM {counts_table}").fetchall()

    def count(self, table: str) -> int:
        with self.pool.connection() as conn:
            return conn.execute("SELECT COUNT(*) FROM records WHERE kind = %s", (check_table(table),)).fetchone()[0]

    def tables(self) -> list[str]:
        with self.pool.connection() as conn:
            return [k for (k,) in conn.execute("SELECT DISTINCT kind FROM records ORDER BY kind")]

    # --- atomic operations ---------------------------------------------------------------

    def add(self, table: str, key: str, value: Any) -> bool:
        with self.pool.connection() as conn:
            cur = conn.execute(
                "INSERT INTO records (kind, key, value) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (check_table(table), key, _jsonb(value)))
            return cur.rowcount == 1

    def add_many(self, table: str, rows: Iterable[tuple[str, Any]]) -> int:
        kind = check_table(table)
        inserted = 0
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            for key, value in rows:
                cur.execute("INSERT INTO records (kind, key, value) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                            (kind, key, _jsonb(value)))
                inserted += cur.rowcount
        return inserted

    def update(self, table: str, key: str, change: Callable[[Any], Any | None]) -> Any | None:
        kind = check_table(table)
        with self.pool.connection() as conn, conn.transaction():
            row = conn.execute("SELECT value FROM records WHERE kind = %s AND key = %s FOR UPDATE",
                               (kind, key)).fetchone()
            if row is None:
                return None
            new = change(row[0])
            if new is None:
                return None
            conn.execute("UPDATE records SET value = %s WHERE kind = %s AND key = %s", (_jsonb(new), kind, key))
            return new

    # --- schema and health ---------------------------------------------------------------

    @staticmethod
    def _ensure_version_table(conn: psycopg.Connection) -> None:
        # IF NOT EXISTS can still race on the catalog when two servers start together: the
        # loser fails on the table's name, on its index, or on the row type every table gets
        # (DuplicateObject: type "schema_version" already exists). Each means it exists now.
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
                         "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
        except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable, psycopg.errors.DuplicateObject):
            pass

    def schema_version(self) -> int:
        with self.pool.connection() as conn:
            return conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]

    def migrate(self) -> list[int]:
        applied = []
        with self.pool.connection() as conn:
            # A session-level advisory lock: replicas starting together queue here and
            # the ones after the first find every migration applied.
            conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
            try:
                self._ensure_version_table(conn)
                done = {v for (v,) in conn.execute("SELECT version FROM schema_version")}
                for m in migrations.POSTGRES:
                    if m.version in done:
                        continue
                    with conn.transaction():
                        for statement in m.statements:
                            conn.execute(statement)
                        conn.execute("INSERT INTO schema_version (version, name) VALUES (%s, %s)",
                                     (m.version, m.name))
                    applied.append(m.version)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
        return applied

    def ping(self) -> bool:
        with self.pool.connection() as conn:
            if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                raise RuntimeError("the database is a read-only replica")
        return True

    def close(self) -> None:
        self.pool.close()

    def describe(self) -> str:
        parts = conninfo_to_dict(self.url)
        return f"postgres {parts.get('user', '')}@{parts.get('host', '')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


def _condition(path: str, cond: Any) -> tuple[str, list[Any]]:
    # Compared as jsonb, the indexes' type: numbers by value, strings as strings.
    if isinstance(cond, AtMost):
        return f"{path} <= %s", [_jsonb(cond.bound)]
    if isinstance(cond, AtLeast):
        return f"{path} >= %s", [_jsonb(cond.bound)]
    if isinstance(cond, Between):
        return f"{path} BETWEEN %s AND %s", [_jsonb(cond.low), _jsonb(cond.high)]
    if isinstance(cond, Not):
        marks = ", ".join(["%s"] * len(cond.values))
        return f"({path} IS NULL OR {path} NOT IN ({marks}))", [_jsonb(v) for v in cond.values]
    values = values_of(cond)
    assert values is not None
    if len(values) == 1:
        return f"{path} = %s", [_jsonb(values[0])]
    return f"{path} IN ({', '.join(['%s'] * len(values))})", [_jsonb(v) for v in values]


def wait_until_reachable(url: str, timeout_s: float = 30.0) -> None:
    """For scripts that start a server and a bot together."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
