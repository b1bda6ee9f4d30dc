"""The Greenhouse user directory, kept in the store: mapping a person to their
Greenhouse user, re-checking that they are still enabled, and finding a
recruiter's emails cost no Harvest request once the directory is loaded.

- Read in full with `Harvest.list_users()` (pages of 500; v3 adds `/user_emails`
  for secondary addresses), then refreshed with only the users changed since the
  last read (`updated_after` on v1, `updated_at=gte|…` on v3), at most once per
  `refresh_s` across every process sharing the store: a refresh first claims the
  "directory:state" record (compare-and-set), so replicas do not each re-read.
- A full re-read every `full_s` drops addresses a user no longer has (an
  incremental read cannot show a removed `/user_emails` row).
- Disabling a user changes their `updated_at`, so the next refresh notices it;
  `fresh_within()` lets callers fall back to a direct read when refreshes fail.

Tables: "gh_users" (user ID → user) and "gh_emails" (lower-cased address → user ID).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

from bot.cache import CacheStats, NoStats
from bot.greenhouse.harvest import Harvest
from bot.greenhouse.models import GreenhouseUser
from bot.store import Store

log = logging.getLogger("bot.directory")

USERS, EMAILS = "gh_users", "gh_emails"
STATE_KEY = "directory:state"
# Greenhouse's timestamps are second-grained and clocks drift: ask for a little more.
OVERLAP_S = 60.0
# After a failed refresh, try again sooner than a whole interval (but not at once).
RETRY_S = 60.0


class UserDirectory:
    def __init__(
        self,
        store: Store,
        harvest: Harvest,
        *,
        refresh_s: float = 300,
        full_s: float = 86400,
        clock: Callable[[], float] = time.time,
        stats: CacheStats | None = None,
    ) -> None:
        self.stats: CacheStats = stats if stats is not None else NoStats()  # by_email: found here (hit) or not (miss)
        self.store = store
        self.harvest = harvest
        self.refresh_s = refresh_s
        self.full_s = full_s
        self._clock = clock
        self.owner = uuid.uuid4().hex

    # --- reading -----------------------------------------------------------------------

    def by_email(self, email: str) -> GreenhouseUser | None:
        """The user with this primary or secondary address, if the directory knows it."""
        self.refresh_if_due()
        user_id = self.store.get(EMAILS, email.strip().lower())
        user = self._user(user_id) if user_id is not None else None
        # An address may have moved to someone else since it was indexed: trust the user record.
        if user is None or email.strip().lower() not in (e.lower() for e in user.all_emails()):
            self.stats.miss()
            return None
        self.stats.hit()
        return user

    def by_id(self, user_id: int) -> GreenhouseUser | None:
        self.refresh_if_due()
        return self._user(user_id)

    def names(self, user_ids: Iterable[int]) -> dict[int, str]:
        """Names of the users the directory holds (no Harvest request): v3 shows a job's
        team by name without reading `/users` for it (bot/greenhouse/decorations.py)."""
        found = {}
        for user_id in user_ids:
            user = self._user(int(user_id))
            if user is not None:
                found[user.id] = user.name
        return found

    def fresh_within(self, seconds: float) -> bool:
        """Did a refresh succeed in the last `seconds`? (Otherwise read Greenhouse directly.)"""
        state = self.store.get("state", STATE_KEY) or {}
        done = state.get("refreshed_at")
        return done is not None and self._clock() - done < seconds

    def remember(self, user: GreenhouseUser) -> None:
        """A user read directly (a person the directory did not know yet)."""
        self._put(user)

    def _user(self, user_id: int) -> GreenhouseUser | None:
        raw = self.store.get(USERS, str(int(user_id)))
        return GreenhouseUser(**raw) if raw else None

    # --- refreshing --------------------------------------------------------------------

    def refresh_if_due(self) -> bool:
        """Refresh if no process did in the last `refresh_s`; True if this call read Greenhouse."""
        if self.refresh_s <= 0:
            return False
        now = self._clock()
        state = self.store.get("state", STATE_KEY)
        if state is not None and state.get("next_at", 0) > now:
            return False  # the common case: one store read, no write
        self.store.add("state", STATE_KEY, {"next_at": 0})

        def claim(current: dict) -> dict | None:
            if current.get("next_at", 0) > now:
                return None  # another process (or thread) took this turn
            return {**current, "next_at": now + self.refresh_s, "owner": self.owner}

        claimed = self.store.update("state", STATE_KEY, claim)
        if claimed is None:
            return False
        try:
            self._refresh(claimed, now)
        except Exception:  # noqa: BLE001 - the caller falls back to a direct look-up
            log.exception("directory_refresh_failed")
            self.store.update("state", STATE_KEY, lambda s: {**s, "next_at": now + min(RETRY_S, self.refresh_s)})
            return True
        return True

    def _refresh(self, state: dict, started: float) -> None:
        cursor = state.get("cursor")
        full = cursor is None or started - state.get("full_at", 0) >= self.full_s
        since = None if full else datetime.fromtimestamp(cursor - OVERLAP_S, timezone.utc)
        count = 0
        for user in self.harvest.list_users(since):
            self._put(user)
            count += 1

        def done(s: dict) -> dict:
            new = {**s, "cursor": started, "refreshed_at": started}
            if full:
                new["full_at"] = started
            return new

        self.store.update("state", STATE_KEY, done)
        log.info("directory_refreshed full=%s users=%s", full, count)

    def _put(self, user: GreenhouseUser) -> None:
        old = self._user(user.id)
        if old == user:
            return  # an overlapping read: nothing changed, nothing to write
        self.store.put(USERS, str(user.id), user.model_dump())
        for email in user.all_emails():
            self.store.put(EMAILS, email.lower(), user.id)
