"""The store interface every backend keeps, and what they share.

Records are JSON values under (table, key). A "table" is a name, not a schema:
other modules add their own (e.g. a cache) just by using a new name. Besides
plain get/put/delete and iteration, three operations must hold across every
process and host that shares the store, so each backend implements them as
real SQL in one transaction:

- `update()`: read-modify-write of one record under a row/database lock
  (Postgres `SELECT … FOR UPDATE`, SQLite `BEGIN IMMEDIATE`). Of two racing
  callers one writes and the other then sees its result. This is how a
  request's requested → executing claim stays atomic
  (docs/decisions/0001-atomic-claim.md).
- `add()`: insert-once (`ON CONFLICT DO NOTHING` / `INSERT OR IGNORE`), to
  record a thing once: audit entries, web hook deliveries, announcements.
- `append_audit()`: the audit log is append-only; a trigger refuses updates
  and deletes of its rows on both backends.

Tables with indexes (requests, audit: bot/store/indexes.py) are asked with
`find()` / `count_by()`, answered from indexes kept in the same transaction as
the records; reading one whole (`items()`) is refused, `dump()` being the one
explicit whole-table read (`store copy`, tests).

`Store(target)` picks the backend: a `postgres://` / `postgresql://` URL opens
PostgreSQL (bot/store/postgres.py), anything else is a SQLite file through
sqlitedict (bot/store/sqlite.py). Opening a store applies pending schema
migrations under a lock that holds across processes (bot/store/migrations.py).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from bot.store.indexes import INDEXED, SIDE_PREFIX, NotIndexed, Plan, plan

# The tables the bot itself uses; others appear when first written.
TABLES = ("mappings", "reverse", "requests", "audit", "state", "watches", "announced", "deliveries",
          "gh_users", "gh_emails")  # the Greenhouse user directory (bot/user_directory.py)
AUDIT = "audit"
_MISSING = object()
_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


def encode(value: Any) -> str:
    # Deterministic text (sorted keys) so a copy or a comparison sees equal records as equal.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def decode(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        value = bytes(value).decode()
    return json.loads(value)


def check_table(name: str) -> str:
    """Table names end up in SQL identifiers (SQLite) or a key column (Postgres): keep them plain."""
    if not _TABLE_NAME.fullmatch(name) or name.startswith(("sqlite_", "schema_", SIDE_PREFIX)):
        raise ValueError(f"not a usable table name: {name!r}")
    return name


def is_postgres_url(target: str) -> bool:
    return target.startswith(("postgres://", "postgresql://"))


def target_from(database_url: str | None, db_path: str) -> str:
    """DATABASE_URL wins (the Heroku convention); else the SQLite file BOT_DB_PATH."""
    return database_url.strip() if database_url and database_url.strip() else db_path


# "postgres" / "sqlite" → a loader of that backend's class. The package (bot/store/__init__.py)
# fills it, so that this interface never imports its own implementations (which import it).
BACKENDS: dict[str, Callable[[], type[Store]]] = {}


class Store(ABC):
    """`Store(target)` returns the backend that fits `target` (see the module doc)."""

    backend = "?"

    def __new__(cls, target: str = "data/bot.sqlite", *args: Any, **kwargs: Any) -> Store:
        if cls is Store:
            cls = BACKENDS["postgres" if is_postgres_url(target) else "sqlite"]()
        return super().__new__(cls)

    # --- plain records -------------------------------------------------------------------

    @abstractmethod
    def get(self, table: str, key: str, default: Any = None) -> Any: ...

    def get_many(self, table: str, keys: Iterable[str]) -> dict[str, Any]:
        """The records under these keys that exist, in one query (backends override this loop)."""
        found = {key: self.get(table, key, _MISSING) for key in keys}
        return {key: value for key, value in found.items() if value is not _MISSING}

    @abstractmethod
    def put(self, table: str, key: str, value: Any) -> None: ...

    @abstractmethod
    def delete(self, table: str, key: str) -> None: ...

    def items(self, table: str) -> Iterator[tuple[str, Any]]:
        """Every record of a table without indexes (mappings, watches, …). An indexed table
        (requests, audit) grows with history: ask it `find()`, or `dump()` it on purpose."""
        if table in INDEXED:
            raise NotIndexed(f"reading every record of {table!r}: use find() (or dump() in tools and tests)")
        return self._scan(table)

    def values(self, table: str) -> Iterator[Any]:
        for _, value in self.items(table):
            yield value

    def dump(self, table: str) -> Iterator[tuple[str, Any]]:
        """Every record of any table, in key order: `store copy` and tests, never a request path."""
        return self._scan(table)

    @abstractmethod
    def _scan(self, table: str) -> Iterator[tuple[str, Any]]: ...

    # --- indexed queries (bot/store/indexes.py) ------------------------------------------

    def find(self, table: str, *, order_by: str = "key", newest_first: bool = False, limit: int | None = None,
             offset: int = 0, **where: Any) -> list[Any]:
        """The records of an indexed table that meet every condition of `where`
        (field=value, field=(one, of), field=AtMost(x) / AtLeast(x) / Between(x, y), field=Not((…)),
        member=Contains(item)),
        ordered by `order_by`, at most `limit` after skipping `offset` (a page: the index walks
        past the skipped entries, so keep offsets to a few pages). Raises NotIndexed for a
        field no index covers."""
        return self._find(plan(table, where, order_by, newest_first, limit, offset))

    @abstractmethod
    def _find(self, query: Plan) -> list[Any]: ...

    def count_where(self, table: str, **where: Any) -> int:
        """How many records `find(table, **where)` would return, counted in the index (no record
        is read): the "and N more" of a page."""
        return self._count_where(plan(table, where, None, False, None))

    @abstractmethod
    def _count_where(self, query: Plan) -> int: ...

    def count_by(self, table: str, field: str) -> dict[Any, int]:
        """How many records hold each value of a counted field (a missing one counts under None)."""
        spec = INDEXED.get(table)
        if spec is None or field not in spec.counted:
            raise NotIndexed(f"{table}.{field} is not counted")
        # The counts tables key a missing value as '' (a primary key cannot hold NULL).
        return {(None if value == "" else value): n for value, n in self._count_by(spec.counts_table(field)) if n}

    @abstractmethod
    def _count_by(self, counts_table: str) -> Iterable[tuple[Any, int]]: ...

    @abstractmethod
    def count(self, table: str) -> int: ...

    @abstractmethod
    def tables(self) -> list[str]:
        """Every table that holds at least one record (or was created)."""

    # --- atomic operations ---------------------------------------------------------------

    @abstractmethod
    def add(self, table: str, key: str, value: Any) -> bool:
        """Insert if absent; True if this call inserted it."""

    def add_many(self, table: str, rows: Iterable[tuple[str, Any]]) -> int:
        """Insert each absent key; how many were inserted (for `store copy`)."""
        return sum(1 for key, value in rows if self.add(table, key, value))

    @abstractmethod
    def update(self, table: str, key: str, change: Callable[[Any], Any | None]) -> Any | None:
        """Apply `change` to the stored value atomically.

        `change` gets a fresh copy and returns the new value, or None to leave the
        record alone (e.g. it is no longer in the state the caller expected). It runs
        while the record is locked: keep it pure and quick (no I/O).
        Returns the value written, or None if nothing was written.
        """

    def append_audit(self, entry: dict[str, Any]) -> str:
        """Append-only: keys sort by time and are never rewritten."""
        key = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        self.add(AUDIT, key, entry)
        return key

    # --- schema and health ---------------------------------------------------------------

    @abstractmethod
    def schema_version(self) -> int: ...

    @abstractmethod
    def migrate(self) -> list[int]:
        """Apply pending migrations under a cross-process lock; the versions applied here."""

    @abstractmethod
    def ping(self) -> bool: ...

    @abstractmethod
    def close(self) -> None: ...

    def describe(self) -> str:
        """Where the store is, without credentials (for logs and `store check`)."""
        return self.backend
