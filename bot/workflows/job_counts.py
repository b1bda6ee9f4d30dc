"""Active candidates per job, known to every process on the store for a while (issue 17:
a company of Home tabs opening does not re-read what one of them, or a job view, just read).

One record (`job_counts`/`active`): {job id: [count, when it was read]}. A count is a number
per job — no candidate data. Counts come from the Home tab's own reads
(`count_active_applications`) and from every job view's read of the job's active
applications (the same set: active, not prospects). They are used for `ttl_s`
(`BOT_CACHE_TTL_S`), and removed at once when the bot writes to the job or Greenhouse
says by web hook that its applications changed (`forget`). Writes go through
`Store.update` (under the row's lock), which also drops expired counts: the record stays
as small as the set of jobs read within the TTL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from bot.store import Store

TABLE = "job_counts"
KEY = "active"
CHANGED = "changed"  # {"at": when a job last changed}: lists of jobs read before are read again


class JobCounts:
    def __init__(self, store: Store, *, ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self._clock = clock

    def known(self, job_ids: Iterable[int]) -> dict[int, int]:
        """The counts read within the TTL, of those jobs that have one: one read of the store."""
        if self.ttl_s <= 0:
            return {}
        record = self.store.get(TABLE, KEY) or {}
        now, found = self._clock(), {}
        for job_id in job_ids:
            entry = record.get(str(job_id))
            if entry is not None and now - entry[1] < self.ttl_s:
                found[job_id] = int(entry[0])
        return found

    def remember(self, counts: dict[int, int]) -> None:
        if not counts or self.ttl_s <= 0:
            return
        now = self._clock()
        fresh = {str(j): [int(n), now] for j, n in counts.items()}

        def change(record: dict[str, Any]) -> dict[str, Any]:
            kept = {k: v for k, v in record.items() if now - v[1] < self.ttl_s}
            return {**kept, **fresh}

        self.store.add(TABLE, KEY, {})
        self.store.update(TABLE, KEY, change)

    def forget(self, job_id: int) -> None:
        """The job changed: its count is read again, and so is any list of jobs read before now
        (it may show the job's openings or status), in every process."""
        key = str(job_id)
        self.store.update(TABLE, KEY, lambda record: {k: v for k, v in record.items() if k != key}
                          if key in record else None)
        self.store.put(TABLE, CHANGED, {"at": self._clock()})

    def changed_at(self) -> float:
        """When a job last changed (wall clock), 0 if never: one read of the store."""
        return float((self.store.get(TABLE, CHANGED) or {}).get("at", 0.0))

    def now(self) -> float:
        return self._clock()
