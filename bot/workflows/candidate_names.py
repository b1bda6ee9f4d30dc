"""A job's active applications with candidate names, paying Harvest only for what is
not known yet (issue 17 item 1: a view costs what it shows).

Names are kept in the store (table `candidate_names`: candidate id → name), so every
process and replica shares them and a restart keeps them. They are kept fresh by one
list call of the candidates changed since the last sync (`updated_after` on v1,
`updated_at=gte|…` on v3), at most every `refresh_s`.

Which path a view takes (v1 can walk a job's whole history, `/candidates?job_id=`,
500 a page with names; v3 cannot). n = active applications, H = candidates the last
walk of the job saw, u = active candidates whose names are not known:
1. v1, job walked before and ⌈H/500⌉ ≤ ⌈n/500⌉ (little history): the walk alone.
2. Otherwise the active applications, 500 a page. v1 only: if the first 500 are
   mostly unknown (more than 50), the walk instead (names for all in ⌈H/500⌉ pages
   rather than ⌈u/50⌉ look-ups; one page spent).
3. Then the unknown names: by id, 50 a request (⌈u/50⌉), or on v1 the walk when
   ⌈max(H, n)/500⌉ < ⌈u/50⌉. A refresh of changed names runs first when due.
Figures: docs/PERFORMANCE.md.
"""

from __future__ import annotations

import math
from itertools import islice
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from bot.greenhouse.harvest import Harvest
from bot.greenhouse.models import ActiveApplication, ApplicationRow
from bot.store import Store

TABLE = "candidate_names"
STATE = "state"
SYNCED_KEY = "candidate_names.synced_at"  # when the last refresh (or first fill) started
HISTORY_KEY = "candidate_names.job.{job_id}"  # {"history": candidates the last walk saw, "active": n}
PAGE, IDS_PER_CALL = 500, 50
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
        self.last_path = ""  # which path the last load took (for tests and the benchmark)

    # --- the view's read ------------------------------------------------------------------

    def active_applications(self, job_id: int) -> list[ActiveApplication]:
        walks = self.harvest.walks_job_candidates
        known = self.store.get(STATE, HISTORY_KEY.format(job_id=job_id)) or {}
        history, last_active = known.get("history"), known.get("active", 0)
        if walks and history is not None and _pages(history, PAGE) <= max(_pages(last_active, PAGE), 1):
            return self._walk(job_id, "walk")
        pages = iter(self.harvest.iter_active_application_rows(job_id))
        rows = list(islice(pages, PAGE))  # the first page only: the iterator is lazy
        if walks and len(rows) == PAGE and len(self._unknown({r.candidate_id for r in rows})) > IDS_PER_CALL:
            return self._walk(job_id, "page+walk")
        rows.extend(pages)
        self._refresh_if_due()
        unknown = self._unknown({r.candidate_id for r in rows})
        if not unknown:
            self.last_path = "rows"
        elif walks and _pages(max(history or 0, len(rows)), PAGE) < _pages(len(unknown), IDS_PER_CALL):
            self._walk(job_id, "rows+walk")
        else:
            self.last_path = "rows+ids"
            self._remember(self.harvest.candidate_names(unknown))
        return [self._named(r) for r in rows]

    def _walk(self, job_id: int, path: str) -> list[ActiveApplication]:
        self.last_path = path
        walk = self.harvest.walk_job_candidates(job_id)
        self.store.put(STATE, HISTORY_KEY.format(job_id=job_id),
                       {"history": walk.candidates_seen, "active": len(walk.applications)})
        self._remember({a.candidate_id: a.candidate_name for a in walk.applications})
        return list(walk.applications)

    # --- the cache --------------------------------------------------------------------------

    def _named(self, row: ApplicationRow) -> ActiveApplication:
        name = self._names.get(row.candidate_id) or f"candidate {row.candidate_id}"
        return ActiveApplication(id=row.id, candidate_id=row.candidate_id, candidate_name=name, stage=row.stage,
                                 last_activity_at=row.last_activity_at)

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

    def _refresh_if_due(self) -> None:
        synced = self.store.get(STATE, SYNCED_KEY)
        now = self._wall()
        if synced is None or now - synced < self.refresh_s:
            return
        # Claim this refresh (compare-and-set) so concurrent views and replicas run it once.
        if self.store.update(STATE, SYNCED_KEY, lambda at: now if at == synced else None) is None:
            return
        since = datetime.fromtimestamp(synced, timezone.utc) - SYNC_OVERLAP
        known = {cid: name for cid, name in self.harvest.iter_candidate_names_changed_since(since)
                 if cid in self._names or self.store.get(TABLE, str(cid)) is not None}
        self._remember(known)


def _pages(count: int, per_page: int) -> int:
    return math.ceil(count / per_page) if count > 0 else 0
