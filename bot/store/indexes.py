"""What the store can be asked besides "the record under this key": indexed queries.

A table listed in `INDEXED` is never read whole on a request path. Callers ask
`Store.find(table, field=condition, …, order_by=, newest_first=, limit=)` for what
they need (requests by state, by requester, by approver, expiring before T; audit
rows by job or request, newest N) and `Store.count_by(table, field)`, and each
backend answers from an index:

- a **scalar field** (`state`, `job_id`, …) is a JSON path of the record,
  indexed as an expression (SQLite: `json_extract(value, '$.f')`; PostgreSQL:
  `value->'f'`, partial on the record kind) in the composite b-trees listed;
- a **member field** (a list: `approver_gh_ids`) has a side table of
  (item, key, copies of some scalar fields), so "requests this person may
  approve, still open" reads only those rows;
- a **counted field** (`state`) has a side table of counts.

Both side tables are written by triggers on the record table, so they change in
the same statement — and transaction — as the record; no writer (sqlitedict's own
connection, `update()`, `store copy`, an older version of the bot) can make them
drift (docs/decisions/0005-indexed-store-queries.md). Expression indexes are kept
by the database itself.

Asking for a field that is not indexed raises `NotIndexed`: a query that would scan
the table fails in tests rather than slowing down in production. Reading a whole
indexed table (`Store.items`) raises too; `Store.dump` is the one explicit
whole-table read (`store copy`, tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SIDE_PREFIX = "index_"  # side tables; `check_table` refuses the prefix for records


@dataclass(frozen=True)
class Indexed:
    table: str
    fields: tuple[str, ...]  # scalar fields: equal, one of, at most; order by
    composites: tuple[tuple[str, ...], ...]  # the b-trees; "key" (time-sorted for audit) may close one
    member: str | None = None  # a list field, queried with Contains(item)
    member_fields: tuple[str, ...] = ()  # scalar fields copied beside each item (indexed after it)
    counted: tuple[str, ...] = ()  # count_by(field) from a table of counts

    def member_table(self) -> str:
        return f"{SIDE_PREFIX}{self.table}_{self.member}"

    def counts_table(self, field: str) -> str:
        return f"{SIDE_PREFIX}{self.table}_{field}_counts"


# Migration 2 creates exactly these; a new field or composite needs a new migration (and a
# new declaration next to these), never an edit: applied migrations are not re-run.
REQUESTS_V2 = Indexed(
    table="requests",
    fields=("state", "requester", "job_id", "created_at", "expires_at"),
    composites=(("state", "created_at"), ("state", "expires_at"), ("requester", "state", "created_at"),
                ("requester", "created_at"), ("job_id", "created_at")),
    member="approver_gh_ids",
    member_fields=("state", "created_at"),
    counted=("state",),
)
AUDIT_V2 = Indexed(
    table="audit",
    fields=("job_id", "request_id"),
    composites=(("job_id", "key"), ("request_id", "key")),
)

INDEXED: dict[str, Indexed] = {i.table: i for i in (REQUESTS_V2, AUDIT_V2)}


class NotIndexed(LookupError):
    """The query needs a field no index covers, or reads a whole indexed table."""


# --- conditions ---------------------------------------------------------------------------------
# A plain value means "equal"; a tuple/list/set means "one of".


@dataclass(frozen=True)
class AtMost:
    """field <= bound (e.g. expires_at at or before now)."""

    bound: float


@dataclass(frozen=True)
class AtLeast:
    """field >= bound."""

    bound: float


@dataclass(frozen=True)
class Between:
    """low <= field <= high (a sweep's next batch: from where the last one ended, up to now)."""

    low: float
    high: float


@dataclass(frozen=True)
class Not:
    """field is none of these (a NULL field matches, as a missing state is none of them)."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class Contains:
    """The list field holds this item (only on the table's member field)."""

    item: Any


@dataclass(frozen=True)
class Plan:
    """A checked query: which table, through the member side table or not."""

    spec: Indexed
    where: dict[str, Any]
    order_by: str | None  # None: no order (a count)
    newest_first: bool
    limit: int | None
    member_item: Any = None
    through_member: bool = False
    offset: int = 0


def plan(table: str, where: dict[str, Any], order_by: str | None, newest_first: bool, limit: int | None,
         offset: int = 0) -> Plan:
    spec = INDEXED.get(table)
    if spec is None:
        raise NotIndexed(f"{table!r} has no indexes: find() cannot query it")
    where = dict(where)
    through_member, item = False, None
    if spec.member is not None and spec.member in where:
        cond = where.pop(spec.member)
        if not isinstance(cond, Contains):
            raise NotIndexed(f"{table}.{spec.member} is a list: ask Contains(item)")
        through_member, item = True, cond.item
    allowed = set(spec.member_fields) if through_member else set(spec.fields)
    for name, cond in where.items():
        if name not in allowed or isinstance(cond, Contains):
            raise NotIndexed(f"{table}.{name} is not indexed{' beside ' + spec.member if through_member else ''}")
    if order_by is not None and order_by != "key" and order_by not in allowed:
        raise NotIndexed(f"cannot order {table} by {order_by!r} from an index")
    if order_by == "key" and through_member:
        raise NotIndexed(f"order {table} found through {spec.member} by one of {spec.member_fields}")
    if (limit is not None and limit < 0) or offset < 0:
        raise ValueError("limit and offset must be ≥ 0")
    return Plan(spec, where, order_by, newest_first, limit, item, through_member, offset)


def values_of(cond: Any) -> tuple[Any, ...] | None:
    """The values of an "equal"/"one of" condition; None for the other kinds."""
    if isinstance(cond, AtMost | AtLeast | Between | Not | Contains):
        return None
    if isinstance(cond, tuple | list | set | frozenset):
        return tuple(cond)
    return (cond,)
