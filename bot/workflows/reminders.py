"""One reminder per request still waiting after BOT_REMIND_AFTER_HOURS.

"Once" holds across processes and restarts because the reminder is claimed with
an insert-once record (`Store.add`) before anything is said: of several workers
sweeping at the same moment, one wins; a crash after the claim loses that one
reminder rather than sending it twice (a nudge, not a write)."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.store import Store

from .requests import Request, Requests

TABLE = "reminders"


class Reminders:
    def __init__(self, store: Store, requests: Requests, *, after_hours: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.requests = requests
        self.after_s = after_hours * 3600
        self._clock = clock

    def due(self) -> list[Request]:
        """Requests waiting longer than the threshold and not reminded yet, each claimed now."""
        if self.after_s <= 0:
            return []
        now = self._clock()
        claimed = []
        # Still waiting and old enough, oldest first a batch at a time: bounded by the open requests
        # (they expire), not by history; each batch's reminders looked up in one query.
        for batch in self.requests.walk(("requested",), "created_at", upto=now - self.after_s):
            waiting = [r for r in batch if now < r.expires_at]
            reminded = self.store.get_many(TABLE, [r.id for r in waiting])
            for r in waiting:
                if r.id not in reminded and self.store.add(TABLE, r.id, {"at": now}):
                    claimed.append(r)
        return claimed
