"""The bot's store: `Store(target)` is PostgreSQL for a DATABASE_URL, else a SQLite file.

See bot/store/base.py for the interface and what each operation promises.
"""

from bot.store import base
from bot.store.base import TABLES, Store, is_postgres_url, target_from

__all__ = ["TABLES", "Store", "is_postgres_url", "target_from"]


def _postgres() -> type[Store]:
    from bot.store.postgres import PostgresStore  # psycopg is imported only when a DATABASE_URL asks for it

    return PostgresStore


def _sqlite() -> type[Store]:
    from bot.store.sqlite import SqliteStore

    return SqliteStore


base.BACKENDS.update(postgres=_postgres, sqlite=_sqlite)
