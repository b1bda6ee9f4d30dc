"""The bot's store: `Store(target)` is PostgreSQL for a DATABASE_URL, else a SQLite file.

See bot/store/base.py for the interface and what each operation promises.
"""

from bot.store.base import TABLES, Store, is_postgres_url, target_from

__all__ = ["TABLES", "Store", "is_postgres_url", "target_from"]
