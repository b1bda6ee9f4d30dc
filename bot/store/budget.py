"""Harvest's rate-limit budget kept in the store: ONE budget per credential for every
process and host that shares the store (docs/decisions/0004-shared-rate-limit-budget.md).

One record per credential fingerprint in the `ratelimit` table, holding bot/rate_budget.py's
state (`limit`, `sent` stamps, `paused_until`, `restart_at`; the rules are that module's,
the same as a single process's budget). Every change is a `Store.update()`, which runs
under the row's lock (Postgres `SELECT … FOR UPDATE`, SQLite `BEGIN IMMEDIATE`), so two
workers can never both take the last slot. Times are wall-clock seconds (`time.time()`),
the one clock that processes and NTP-synced hosts share. It implements
bot/greenhouse/ratelimit.py's `Budget`; the limiter above it still reads Greenhouse's
headers and does the waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot import rate_budget
from bot.store.base import Store

TABLE = "ratelimit"


class StoreBudget:
    def __init__(self, store: Store, credential_id: str, *, limit: int, window_s: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.key = credential_id
        self.window_s = window_s
        self._initial_limit = limit
        self._clock = clock
        self._ensure()

    def _ensure(self) -> None:
        self.store.add(TABLE, self.key, rate_budget.fresh(self._initial_limit))

    def _change(self, change: Callable[[dict[str, Any], float], dict[str, Any] | None]) -> None:
        now = self._clock()
        for _ in range(2):
            exists: list[bool] = []

            def apply(state: dict[str, Any]) -> dict[str, Any] | None:
                exists.append(True)
                return change({"limit": self._initial_limit, **state}, now)

            self.store.update(TABLE, self.key, apply)
            if exists:
                return
            self._ensure()  # the record was removed (e.g. a store reset): start again

    def _state(self) -> dict[str, Any]:
        return {"limit": self._initial_limit, **(self.store.get(TABLE, self.key) or {})}

    @property
    def limit(self) -> int:
        return int(self._state()["limit"])

    def take(self) -> float:
        return self.claim()[0]

    def claim(self, reserve: int = 0) -> tuple[float, float | None]:
        got: list[tuple[float, float | None]] = []

        def change(state: dict[str, Any], now: float) -> dict[str, Any] | None:
            wait, new = rate_budget.take(state, now, self.window_s, reserve)
            got.append((wait, now if new is not None else None))
            return new

        self._change(change)
        return got[-1]

    def settle(self, stamp: float | None, *, refused: bool = False, limit: int | None = None,
               remaining: int | None = None, others_free_in: float | None = None) -> float:
        wait = [0.0]

        def change(state: dict[str, Any], now: float) -> dict[str, Any] | None:
            new = rate_budget.settle(state, now, self.window_s, stamp, refused=refused, limit=limit,
                                     remaining=remaining, others_free_in=others_free_in)
            wait[0] = rate_budget.wait_for_slot(new, now, self.window_s)
            return new if new != state else None  # nothing to say: spare the write

        self._change(change)
        return wait[0]

    def align(self, limit: int | None, remaining: int | None) -> None:
        self.settle(None, limit=limit, remaining=remaining)

    def pause(self, seconds: float, *, restart: bool = False) -> None:
        self._change(lambda state, now: rate_budget.pause(state, now, seconds, restart=restart))

    def sent_in_window(self) -> int:
        return len(rate_budget.held(self._state(), self._clock(), self.window_s))

    def quiet(self, below: int) -> bool:
        return rate_budget.quiet(self._state(), self._clock(), self.window_s, below)


def budget_factory(store: Store) -> Callable[[str, int, float], StoreBudget]:
    """What bot/greenhouse/build.py asks for: a budget per credential, in this store."""
    return lambda credential_id, limit, window_s: StoreBudget(store, credential_id, limit=limit, window_s=window_s)
