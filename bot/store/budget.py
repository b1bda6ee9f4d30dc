"""Harvest's rate-limit budget kept in the store: ONE budget per credential for every
process and host that shares the store (docs/decisions/0004-shared-rate-limit-budget.md).

One record per credential fingerprint in the `ratelimit` table:
`{"limit", "sent": [send times within the window], "paused_until"}`. Every change
is a `Store.update()`, which runs under the row's lock (Postgres `SELECT … FOR
UPDATE`, SQLite `BEGIN IMMEDIATE`), so two workers can never both take the last
slot. Times are wall-clock seconds (`time.time()`), the one clock that processes
and NTP-synced hosts share. It implements bot/greenhouse/ratelimit.py's `Budget`;
the limiter above it still reads Greenhouse's headers and does the waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

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
        self.store.add(TABLE, self.key, {"limit": self._initial_limit, "sent": [], "paused_until": 0.0})

    def _change(self, change: Callable[[dict[str, Any], float], dict[str, Any] | None]) -> None:
        now = self._clock()
        for _ in range(2):
            exists: list[bool] = []

            def apply(state: dict[str, Any]) -> dict[str, Any] | None:
                exists.append(True)
                return change(state, now)

            self.store.update(TABLE, self.key, apply)
            if exists:
                return
            self._ensure()  # the record was removed (e.g. a store reset): start again

    def _window(self, state: dict[str, Any], now: float) -> list[float]:
        # After the moment Greenhouse named (a pause's end), its count started over.
        restart = state.get("paused_until", 0.0)
        since = max(now - self.window_s, restart if restart <= now else float("-inf"))
        return [t for t in state.get("sent", []) if t > since]

    @property
    def limit(self) -> int:
        state = self.store.get(TABLE, self.key) or {}
        return int(state.get("limit", self._initial_limit))

    def take(self) -> float:
        wait = [0.0]

        def change(state: dict[str, Any], now: float) -> dict[str, Any] | None:
            sent = self._window(state, now)
            if state.get("paused_until", 0.0) > now:
                wait[0] = state["paused_until"] - now
                return None
            if len(sent) >= state.get("limit", self._initial_limit):
                wait[0] = sent[0] + self.window_s - now
                return None
            return {**state, "sent": [*sent, now]}

        self._change(change)
        return max(wait[0], 0.0)

    def align(self, limit: int | None, remaining: int | None) -> None:
        def change(state: dict[str, Any], now: float) -> dict[str, Any] | None:
            sent = self._window(state, now)
            new = {**state, "sent": sent}
            if limit and limit > 0:
                new["limit"] = limit
            if remaining is not None:
                # Greenhouse counts every caller of this key, ours included: anything it
                # counts beyond our log was used by someone else and is spent for us too.
                missing = new["limit"] - remaining - len(sent)
                if missing > 0:
                    new["sent"] = sent + [now] * missing
            if new.get("limit") == state.get("limit") and new.get("paused_until") == state.get("paused_until") \
                    and len(new["sent"]) == len(sent):
                return None  # nothing to say: spare the write
            return new

        self._change(change)

    def pause(self, seconds: float) -> None:
        def change(state: dict[str, Any], now: float) -> dict[str, Any] | None:
            until = now + max(seconds, 0.0)
            if until <= state.get("paused_until", 0.0):
                return None
            return {**state, "paused_until": until}

        self._change(change)

    def sent_in_window(self) -> int:
        state = self.store.get(TABLE, self.key) or {}
        return len(self._window(state, self._clock()))


def budget_factory(store: Store) -> Callable[[str, int, float], StoreBudget]:
    """What bot/greenhouse/build.py asks for: a budget per credential, in this store."""
    return lambda credential_id, limit, window_s: StoreBudget(store, credential_id, limit=limit, window_s=window_s)
