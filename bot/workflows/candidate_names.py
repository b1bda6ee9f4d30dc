"""Candidate names, paying Harvest only for the names a message shows and the store does
not know yet (issue 17: a view costs what it shows; issue 12 item 4: v3 as frugal as v1).

Names are kept in the store (table `candidate_names`: candidate id → name), so every
process and replica shares them and a restart keeps them. They are kept fresh by one
list call of the candidates changed since the last sync (`updated_after` on v1,
`updated_at=gte|…` on v3), at most every `refresh_s`.

Which path: a job view reads the job's active applications (500 a page, no names on
either version) and asks here only for the names of the page it shows (at most 50:
bot/slack/blocks/job.py pages fit Slack's 50 blocks), so a page costs at most one
`candidates` request by ids (v1 `candidate_ids=`, v3 `ids=`, 50 a request), and none
once its names are known. v1 could also walk the job's whole history
(`/candidates?job_id=`, names embedded, ⌈H/500⌉ for H candidates ever on the job, H ≥ n
active) instead of the ⌈n/500⌉ application pages + ≤ 1 names request: it is never
dearer than the walk by more than that one request (when the job has hardly any history
and the page's names are unknown), while a walk of a job with a long history costs many
times more, and which case holds is only known after walking. So the view never walks (the
Harvest interface keeps the walk, v1's `iter_active_applications`, but no view or draft uses it).
Figures: docs/PERFORMANCE.md ("Job view, v1 vs v3").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

from bot.greenhouse.harvest import Harvest
from bot.store import Store

TABLE = "candidate_names"
STATE = "state"
SYNCED_KEY = "candidate_names.synced_at"  # when the last refresh (or first fill) started
SYNC_OVERLAP = timedelta(minutes=2)  # covers clock skew between us and Greenhouse
RELOAD_S = 30.0  # at most this often a miss re-reads the store for names other processes added


class CandidateNames:
    def __init__(
        self,
        store: Store,
        harvest: Harvest,
        *,
        refresh_s: float = 60.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.harvest = harvest
        self.refresh_s = refresh_s
        self._wall = wall
        self._lock = threading.Lock()
        self._names: dict[int, str] = {}
        self._loaded_at: float | None = None

    def known(self, candidate_ids: Iterable[int]) -> dict[int, str]:
        """The names of these candidates that are known already: no Harvest request (at
        most one read of the store's table, when some are missing from memory)."""
        ids = {int(c) for c in candidate_ids}
        self._unknown(ids)  # fills memory from the store when something is missing
        with self._lock:
            return {c: self._names[c] for c in ids if c in self._names}

    def names(self, candidate_ids: Iterable[int]) -> dict[int, str]:
        """The names of these candidates: those not known are read by id, 50 a request
        (⌈unknown/50⌉), and kept. A refresh of changed names runs first when due. A
        candidate Greenhouse does not return is left out (the caller says "candidate <id>")."""
        ids = {int(c) for c in candidate_ids}
        if not ids:
            return {}
        self.refresh_if_due()
        unknown = self._unknown(ids)
        if unknown:
            self._remember(self.harvest.candidate_names(unknown))
        with self._lock:
            return {c: self._names[c] for c in ids if c in self._names}

    def unread(self, candidate_ids: Iterable[int]) -> list[int]:
        """The candidates whose names no process has read yet, in the order given: memory
        first, then one look in the store for the rest (what another process read is kept
        here too). No Harvest request."""
        ids = list(dict.fromkeys(int(c) for c in candidate_ids))
        with self._lock:
            missing = [c for c in ids if c not in self._names]
        if missing:
            found = self.store.get_many(TABLE, [str(c) for c in missing])
            with self._lock:
                self._names.update({int(k): v for k, v in found.items()})
                missing = [c for c in missing if c not in self._names]
        return missing

    def read_ahead(self, candidate_ids: Iterable[int]) -> int:
        """Read these candidates' names by id (one request per 50) before anyone asks for
        them, and keep them as `names` does; no refresh first (it is no one's view). Returns
        how many Greenhouse gave."""
        found = self.harvest.candidate_names(candidate_ids)
        self._remember(found)
        return len(found)

    # --- the cache --------------------------------------------------------------------------

    def _unknown(self, candidate_ids: set[int]) -> list[int]:
        with self._lock:
            missing = candidate_ids - self._names.keys()
            now = self._wall()
            if missing and (self._loaded_at is None or now - self._loaded_at >= RELOAD_S):
                # One read of the table, not one per candidate: other processes may know them.
                self._names.update({int(k): v for k, v in self.store.items(TABLE)})
                self._loaded_at = now
                missing = candidate_ids - self._names.keys()
        return sorted(missing)

    def _remember(self, names: dict[int, str]) -> None:
        if not names:
            return
        self._mark_synced_if_new()
        with self._lock:
            new = {cid: name for cid, name in names.items() if cid not in self._names}
            renamed = {cid: name for cid, name in names.items() if cid in self._names and self._names[cid] != name}
            self._names.update(names)
        self.store.add_many(TABLE, [(str(cid), name) for cid, name in new.items()])  # one transaction
        for cid, name in renamed.items():
            self.store.put(TABLE, str(cid), name)

    def _mark_synced_if_new(self) -> None:
        if self.store.get(STATE, SYNCED_KEY) is None:
            self.store.add(STATE, SYNCED_KEY, self._wall())

    def refresh_if_due(self) -> bool:
        """Re-read the names changed since the last refresh when `refresh_s` has passed (one
        process of the deployment does: a compare-and-set claim); True if this call did. A view
        asks first whenever it reads names; the names read ahead (bot/workflows/name_read_ahead.py)
        leave views little to read, so that loop asks too."""
        synced = self.store.get(STATE, SYNCED_KEY)
        now = self._wall()
        if synced is None or now - synced < self.refresh_s:
            return False
        # Claim this refresh (compare-and-set) so concurrent views and replicas run it once.
        if self.store.update(STATE, SYNCED_KEY, lambda at: now if at == synced else None) is None:
            return False
        since = datetime.fromtimestamp(synced, timezone.utc) - SYNC_OVERLAP
        known = {cid: name for cid, name in self.harvest.iter_candidate_names_changed_since(since)
                 if cid in self._names or self.store.get(TABLE, str(cid)) is not None}
        self._remember(known)
        return True
