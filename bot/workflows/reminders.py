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
        # (they expire), not by history; each batch's reminders looked up in one query, and only
        # the ones not reminded yet made into requests.
        for batch in self.requests.walk_records(("requested",), "created_at", upto=now - self.after_s):
            waiting = [raw for raw in batch if now < raw["expires_at"]]
            reminded = self.store.get_many(TABLE, [raw["id"] for raw in waiting])
            for raw in waiting:
                if raw["id"] not in reminded and self.store.add(TABLE, raw["id"], {"at": now}):
                    claimed.append(Request(**raw))
        return claimed
