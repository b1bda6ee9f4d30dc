"""`python -m bot store …`: look at, migrate and move the store, without starting the bot.

    python -m bot store check                 # backend, schema version, rows per table
    python -m bot store migrate               # apply pending migrations (Heroku release phase)
    python -m bot store copy --from data/bot.sqlite --to "$DATABASE_URL"

The store is DATABASE_URL if set, else BOT_DB_PATH (environment or .env), as for
the bot; `--db` names another. `copy` inserts only keys the target lacks, so a
second run copies nothing and never duplicates or overwrites.
"""

from __future__ import annotations

import argparse
import sys
from itertools import islice
from typing import TextIO

from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.store import migrations
from bot.store.base import TABLES, Store, is_postgres_url, target_from


COPY_BATCH = 1000


class _StoreSettings(BaseSettings):
    """Only what finding the store needs: these commands run without Slack or Harvest settings."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)
    database_url: str | None = None
    bot_db_path: str = "data/bot.sqlite"


def default_target() -> str:
    s = _StoreSettings()
    return target_from(s.database_url, s.bot_db_path)


def _latest(store: Store) -> int:
    return migrations.latest(migrations.POSTGRES if store.backend == "postgres" else migrations.SQLITE)


def check(target: str, out: TextIO) -> int:
    store = Store(target, migrate=False)
    try:
        version, latest = store.schema_version(), _latest(store)
        print(f"backend: {store.describe()}", file=out)
        print(f"schema version: {version} (latest {latest}{', run: python -m bot store migrate' if version < latest else ''})",
              file=out)
        print("rows:", file=out)
        for table in sorted(set(TABLES) | set(store.tables() if version else ())):
            print(f"  {table:<20} {store.count(table) if version else '-':>8}", file=out)
    finally:
        store.close()
    return 0


def migrate(target: str, out: TextIO) -> int:
    store = Store(target, migrate=False)
    try:
        applied = store.migrate()
        print(f"{store.describe()}: applied {applied or 'nothing'}; schema version {store.schema_version()}", file=out)
    finally:
        store.close()
    return 0


def copy(source: str, target: str, out: TextIO) -> int:
    if source == target:
        print("--from and --to are the same store", file=out)
        return 2
    if not is_postgres_url(source):
        import os

        if not os.path.exists(source):
            print(f"no such SQLite file: {source}", file=out)
            return 2
    src, dst = Store(source), Store(target)
    try:
        print(f"copy {src.describe()} -> {dst.describe()}", file=out)
        print(f"  {'table':<20} {'read':>8} {'copied':>8} {'already there':>14}", file=out)
        totals = [0, 0]
        for table in src.tables():
            read = copied = 0
            rows = src.dump(table)  # the one whole-table read there is; in batches, not all in memory
            while batch := list(islice(rows, COPY_BATCH)):
                read += len(batch)
                copied += dst.add_many(table, batch)
            totals[0] += read
            totals[1] += copied
            print(f"  {table:<20} {read:>8} {copied:>8} {read - copied:>14}", file=out)
        print(f"  {'total':<20} {totals[0]:>8} {totals[1]:>8} {totals[0] - totals[1]:>14}", file=out)
    finally:
        src.close()
        dst.close()
    return 0


def main(argv: list[str], out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot store", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("check", "migrate"):
        p = sub.add_parser(name)
        p.add_argument("--db", help="a SQLite file or a postgres:// URL (default: DATABASE_URL, else BOT_DB_PATH)")
    p = sub.add_parser("copy", help="copy every table from one store into another; idempotent")
    p.add_argument("--from", dest="source", required=True, help="e.g. data/bot.sqlite")
    p.add_argument("--to", dest="target", help="e.g. \"$DATABASE_URL\" (the default)")
    args = parser.parse_args(argv)
    if args.command == "copy":
        return copy(args.source, args.target or default_target(), out)
    target = args.db or default_target()
    return check(target, out) if args.command == "check" else migrate(target, out)
