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


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


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
)


def latest(migrations: tuple[Migration, ...]) -> int:
    return max((m.version for m in migrations), default=0)
