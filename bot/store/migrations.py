"""Schema migrations, numbered, per backend. Append new ones; never edit applied ones.

Each store keeps a `schema_version` table (one row per applied migration). On
open, a store applies what is missing while holding a lock that every process
sharing the store respects (Postgres: `pg_advisory_lock`; SQLite: an exclusive
`flock` on a file beside the database), so replicas that start together
migrate once: the first applies, the others find nothing left to do.
`python -m bot store migrate` runs the same step alone (Heroku's release phase).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.base import AUDIT
from bot.store.indexes import AUDIT_V2, REQUESTS_V2, Indexed


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


# --- indexes (bot/store/indexes.py): the DDL each declaration stands for --------------------------
# Side tables are written by triggers on the records, so they change in the statement that
# changes the record; each migration fills them from the records already there, in the same
# transaction as it creates the triggers (no write can fall between the two).


def _sqlite_path(field: str, row: str = "") -> str:
    return "key" if field == "key" else f"json_extract({row}value, '$.{field}')"


def _sqlite_indexes(spec: Indexed) -> tuple[str, ...]:
    t = spec.table
    out = [f'CREATE INDEX IF NOT EXISTS "{t}_by_{"_".join(c)}" ON "{t}" ({", ".join(_sqlite_path(f) for f in c)})'
           for c in spec.composites]
    if spec.member:
        side, cols = spec.member_table(), ", ".join(spec.member_fields)
        copies = ", ".join(_sqlite_path(f, "NEW.") for f in spec.member_fields)
        fill = (f'INSERT INTO "{side}" (item, key, {cols}) SELECT j.value, NEW.key, {copies} '
                f"FROM json_each(NEW.value, '$.{spec.member}') AS j;")
        changed = " OR ".join(f"{_sqlite_path(f, 'OLD.')} IS NOT {_sqlite_path(f, 'NEW.')}"
                              for f in (spec.member, *spec.member_fields))
        out += [
            f'CREATE TABLE IF NOT EXISTS "{side}" (item, key TEXT NOT NULL, {cols})',
            f'CREATE INDEX IF NOT EXISTS "{side}_by_item" ON "{side}" (item, {cols})',
            f'CREATE INDEX IF NOT EXISTS "{side}_by_key" ON "{side}" (key)',
            f'INSERT INTO "{side}" (item, key, {cols}) SELECT j.value, r.key, '
            f'{", ".join(_sqlite_path(f, "r.") for f in spec.member_fields)} '
            f"FROM \"{t}\" AS r, json_each(r.value, '$.{spec.member}') AS j",
            # INSERT also clears the key: a REPLACE deletes without firing DELETE triggers.
            f'CREATE TRIGGER IF NOT EXISTS "{side}_ins" AFTER INSERT ON "{t}" BEGIN '
            f'DELETE FROM "{side}" WHERE key = NEW.key; {fill} END',
            f'CREATE TRIGGER IF NOT EXISTS "{side}_upd" AFTER UPDATE ON "{t}" WHEN OLD.key IS NOT NEW.key OR {changed} '
            f'BEGIN DELETE FROM "{side}" WHERE key IN (OLD.key, NEW.key); {fill} END',
            f'CREATE TRIGGER IF NOT EXISTS "{side}_del" AFTER DELETE ON "{t}" BEGIN '
            f'DELETE FROM "{side}" WHERE key = OLD.key; END',
        ]
    for field in spec.counted:
        counts = spec.counts_table(field)
        old, new = (f"IFNULL({_sqlite_path(field, r)}, '')" for r in ("OLD.", "NEW."))
        plus = (f'INSERT INTO "{counts}" (value, n) VALUES ({new}, 1) '
                "ON CONFLICT (value) DO UPDATE SET n = n + 1;")
        minus = f'UPDATE "{counts}" SET n = n - 1 WHERE value = {old};'
        out += [
            f'CREATE TABLE IF NOT EXISTS "{counts}" (value TEXT PRIMARY KEY, n INTEGER NOT NULL)',
            f'INSERT INTO "{counts}" (value, n) SELECT IFNULL({_sqlite_path(field)}, \'\'), COUNT(*) FROM "{t}" GROUP BY 1',
            f'CREATE TRIGGER IF NOT EXISTS "{counts}_ins" AFTER INSERT ON "{t}" BEGIN {plus} END',
            f'CREATE TRIGGER IF NOT EXISTS "{counts}_upd" AFTER UPDATE ON "{t}" WHEN {old} IS NOT {new} '
            f"BEGIN {minus} {plus} END",
            f'CREATE TRIGGER IF NOT EXISTS "{counts}_del" AFTER DELETE ON "{t}" BEGIN {minus} END',
        ]
    return tuple(out)


def _pg_path(field: str, row: str = "") -> str:
    return "key" if field == "key" else f"({row}value->'{field}')"


def _postgres_indexes(spec: Indexed) -> tuple[str, ...]:
    t = spec.table
    # Partial on the kind: only this kind's records are in the index (queries name it as a literal).
    out = [f"CREATE INDEX IF NOT EXISTS records_{t}_by_{'_'.join(c)} ON records "
           f"({', '.join(_pg_path(f) for f in c)}) WHERE kind = '{t}'" for c in spec.composites]
    if not (spec.member or spec.counted):
        return tuple(out)
    # Writers still running the version before this one keep writing while we fill the side
    # tables: hold their writes until the triggers exist (the lock ends with the migration).
    out.append("LOCK TABLE records IN SHARE ROW EXCLUSIVE MODE")
    body = ["DECLARE old_on boolean := TG_OP <> 'INSERT' AND OLD.kind = '" + t + "';",
            "new_on boolean := TG_OP <> 'DELETE' AND NEW.kind = '" + t + "';", "BEGIN"]
    if spec.member:
        side, cols = spec.member_table(), ", ".join(spec.member_fields)
        out += [
            f"CREATE TABLE IF NOT EXISTS {side} (item jsonb NOT NULL, key text NOT NULL, "
            + ", ".join(f"{f} jsonb" for f in spec.member_fields) + ")",
            f"CREATE INDEX IF NOT EXISTS {side}_by_item ON {side} (item, {cols})",
            f"CREATE INDEX IF NOT EXISTS {side}_by_key ON {side} (key)",
            f"INSERT INTO {side} (item, key, {cols}) SELECT a.item, r.key, "
            + ", ".join(_pg_path(f, "r.") for f in spec.member_fields)
            + f" FROM records r CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.value->'{spec.member}')"
            f" = 'array' THEN r.value->'{spec.member}' ELSE '[]'::jsonb END) AS a(item) WHERE r.kind = '{t}'",
        ]
        same = " AND ".join(f"{_pg_path(f, 'OLD.')} IS NOT DISTINCT FROM {_pg_path(f, 'NEW.')}"
                            for f in (spec.member, *spec.member_fields))
        body += [
            f"IF NOT (old_on AND new_on AND OLD.key = NEW.key AND {same}) THEN",
            f"  IF old_on THEN DELETE FROM {side} WHERE key = OLD.key; END IF;",
            f"  IF new_on AND jsonb_typeof(NEW.value->'{spec.member}') = 'array' THEN",
            f"    INSERT INTO {side} (item, key, {cols}) SELECT a.item, NEW.key, "
            + ", ".join(_pg_path(f, "NEW.") for f in spec.member_fields)
            + f" FROM jsonb_array_elements(NEW.value->'{spec.member}') AS a(item);",
            "  END IF;", "END IF;",
        ]
    for field in spec.counted:
        counts = spec.counts_table(field)
        out += [
            f"CREATE TABLE IF NOT EXISTS {counts} (value text PRIMARY KEY, n bigint NOT NULL)",
            f"INSERT INTO {counts} (value, n) SELECT COALESCE(value->>'{field}', ''), count(*) FROM records "
            f"WHERE kind = '{t}' GROUP BY 1",
        ]
        # plpgsql ends an IF's condition at the first THEN: the two values go through variables.
        body[2:2] = [f"old_{field} text := CASE WHEN old_on THEN COALESCE(OLD.value->>'{field}', '') END;",
                     f"new_{field} text := CASE WHEN new_on THEN COALESCE(NEW.value->>'{field}', '') END;"]
        old, new = f"old_{field}", f"new_{field}"
        # Both rows in one statement, always in the same order: two transitions that lock
        # the same two counts (requested→executing, executing→requested) cannot deadlock.
        body += [
            f"IF {old} IS DISTINCT FROM {new} THEN",
            f"  INSERT INTO {counts} (value, n) SELECT s, sum(d) FROM (VALUES ({old}, -1), ({new}, 1)) AS c(s, d)",
            f"    WHERE s IS NOT NULL GROUP BY s ORDER BY s ON CONFLICT (value) DO UPDATE SET n = {counts}.n + EXCLUDED.n;",
            "END IF;",
        ]
    body += ["RETURN NULL;", "END"]
    fn = f"records_index_{t}"
    out += [
        f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$\n" + "\n".join(body) + "\n$$",
        f"DROP TRIGGER IF EXISTS {fn}_ins ON records",
        f"DROP TRIGGER IF EXISTS {fn}_upd ON records",
        f"DROP TRIGGER IF EXISTS {fn}_del ON records",
        f"CREATE TRIGGER {fn}_ins AFTER INSERT ON records FOR EACH ROW WHEN (NEW.kind = '{t}') EXECUTE FUNCTION {fn}()",
        f"CREATE TRIGGER {fn}_upd AFTER UPDATE ON records FOR EACH ROW WHEN (OLD.kind = '{t}' OR NEW.kind = '{t}') "
        f"EXECUTE FUNCTION {fn}()",
        f"CREATE TRIGGER {fn}_del AFTER DELETE ON records FOR EACH ROW WHEN (OLD.kind = '{t}') EXECUTE FUNCTION {fn}()",
    ]
    return tuple(out)


# sqlitedict's layout (key TEXT PRIMARY KEY, value BLOB), one table per kind of record;
# files written before versioning existed are already at version 1 but for the triggers.
# (Tables for new kinds of record need no migration: sqlitedict creates them on first use.)
_V1_TABLES = ("mappings", "reverse", "requests", "audit", "state", "watches", "announced", "deliveries")
SQLITE: tuple[Migration, ...] = (
    Migration(1, "tables and append-only audit", (
        *(f'CREATE TABLE IF NOT EXISTS "{t}" (key TEXT PRIMARY KEY, value BLOB)' for t in _V1_TABLES),
        f'CREATE TRIGGER IF NOT EXISTS "{AUDIT}_no_update" BEFORE UPDATE ON "{AUDIT}" '
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        f'CREATE TRIGGER IF NOT EXISTS "{AUDIT}_no_delete" BEFORE DELETE ON "{AUDIT}" '
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    )),
    Migration(2, "indexed queries on requests and audit", (
        *_sqlite_indexes(REQUESTS_V2), *_sqlite_indexes(AUDIT_V2),
    )),
)

# One table for every kind of record: a new kind needs no DDL, and `store copy` and
# `store check` see every kind with one query.
POSTGRES: tuple[Migration, ...] = (
    Migration(1, "records and append-only audit", (
        """CREATE TABLE IF NOT EXISTS records (
               kind  text  NOT NULL,
               key   text  NOT NULL,
               value jsonb NOT NULL,
               PRIMARY KEY (kind, key))""",
        f"""CREATE OR REPLACE FUNCTION records_audit_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.kind = '{AUDIT}' THEN
                    RAISE EXCEPTION 'the audit log is append-only';
                END IF;
                RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
            END $$""",
        "DROP TRIGGER IF EXISTS records_audit_append_only ON records",
        """CREATE TRIGGER records_audit_append_only BEFORE UPDATE OR DELETE ON records
           FOR EACH ROW EXECUTE FUNCTION records_audit_append_only()""",
    )),
    Migration(2, "indexed queries on requests and audit", (
        *_postgres_indexes(REQUESTS_V2), *_postgres_indexes(AUDIT_V2),
    )),
)


def latest(migrations: tuple[Migration, ...]) -> int:
    return max((m.version for m in migrations), default=0)
