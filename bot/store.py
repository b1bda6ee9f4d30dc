"""Persistence: one sqlitedict table per kind of record, JSON-encoded (never pickle).

Plain reads and writes go through sqlitedict. Two operations must hold across
every process the Procfile starts, so they are single SQL statements on the
same tables (sqlitedict's layout is `key TEXT PRIMARY KEY, value BLOB`):

- `update()`: a compare-and-set on the whole stored JSON. The UPDATE only
  matches if the record is still exactly what we read, so of two processes
  racing, one wins and the other re-reads. This is how a request's
  requested → executing claim stays atomic (docs/decisions/0001-atomic-claim.md).
- `add()`: INSERT OR IGNORE, to record a thing once (audit entries, web hook
  deliveries, announcements).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from sqlitedict import SqliteDict

TABLES = ("mappings", "reverse", "requests", "audit", "state", "watches", "announced", "deliveries",
          "gh_users", "gh_emails")  # the Greenhouse user directory (bot/user_directory.py)


def _encode(value: Any) -> str:
    # Deterministic text so that a compare-and-set can compare stored values exactly.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _decode(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        value = bytes(value).decode()
    return json.loads(value)


class Store:
    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._tables: dict[str, SqliteDict] = {}
        for name in TABLES:
            self._tables[name] = SqliteDict(
                path,
                tablename=name,
                autocommit=True,
                encode=_encode,
                decode=_decode,
                journal_mode="WAL",
                outer_stack=False,
            )
        self._local = threading.local()

    # --- sqlitedict access ------------------------------------------------------------

    def table(self, name: str) -> SqliteDict:
        return self._tables[name]

    def get(self, table: str, key: str, default: Any = None) -> Any:
        return self._tables[table].get(key, default)

    def put(self, table: str, key: str, value: Any) -> None:
        self._tables[table][key] = value

    def delete(self, table: str, key: str) -> None:
        self._tables[table].pop(key, None)

    def items(self, table: str) -> Iterator[tuple[str, Any]]:
        yield from self._tables[table].items()

    def values(self, table: str) -> Iterator[Any]:
        yield from self._tables[table].values()

    # --- atomic operations (raw SQL on sqlitedict's tables) -------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    def add(self, table: str, key: str, value: Any) -> bool:
        """Insert if absent; True if this call inserted it."""
        cur = self._conn().execute(
            f'INSERT OR IGNORE INTO "{table}" (key, value) VALUES (?, ?)', (key, _encode(value))
        )
        return cur.rowcount == 1

    def update(self, table: str, key: str, change: Callable[[Any], Any | None]) -> Any | None:
        """Apply `change` to the stored value atomically (optimistic compare-and-set).

        `change` gets a fresh copy and returns the new value, or None to leave the
        record alone (e.g. it is no longer in the state the caller expected).
        Returns the value written, or None if nothing was written.
        """
        conn = self._conn()
        while True:
            row = conn.execute(f'SELECT value FROM "{table}" WHERE key = ?', (key,)).fetchone()
            if row is None:
                return None
            old_text = row[0] if isinstance(row[0], str) else bytes(row[0]).decode()
            new = change(_decode(old_text))
            if new is None:
                return None
            cur = conn.execute(
                f'UPDATE "{table}" SET value = ? WHERE key = ? AND value = ?', (_encode(new), key, old_text)
            )
            if cur.rowcount == 1:
                return new
            # Someone else changed it between our read and write: read again.

    def append_audit(self, entry: dict[str, Any]) -> str:
        """Append-only: keys sort by time and are never rewritten."""
        key = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        self.add("audit", key, entry)
        return key

    def ping(self) -> bool:
        self._conn().execute("SELECT 1").fetchone()
        return True

    def close(self) -> None:
        for t in self._tables.values():
            t.close()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
