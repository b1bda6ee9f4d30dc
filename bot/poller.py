"""Polling Greenhouse for jobs that closed: for Socket Mode (no public URL for web
hooks) and as a safety net when web hooks are on too.

State lives in the store's "state" table so it survives restarts:
- "poller:cursor": when the last successful run started (epoch seconds);
- "poller:jobs": the last status and closed_at seen per job ID.
The first run only records them: announcing every job that ever closed would
flood people. Each run asks for jobs updated since the cursor minus an overlap,
because Greenhouse's timestamps are second-grained and clocks drift; seeing a
job twice is harmless since the announcement itself is claimed once per closing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone

from bot.greenhouse.harvest import Harvest
from bot.store import Store

log = logging.getLogger("bot.poller")

CURSOR_KEY = "poller:cursor"
JOBS_KEY = "poller:jobs"
OVERLAP_S = 60.0
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class Poller:
    def __init__(self, store: Store, harvest: Harvest, on_closed: Callable[[int], object], *,
                 clock: Callable[[], float] = time.time, overlap_s: float = OVERLAP_S) -> None:
        self.store = store
        self.harvest = harvest
        self.on_closed = on_closed  # re-reads the job and announces it once (see workflows/autoclose)
        self._clock = clock
        self.overlap_s = overlap_s

    def run_once(self) -> list[int]:
        """One pass; returns the IDs of jobs seen going to closed (handed to on_closed)."""
        started = self._clock()
        cursor = self.store.get("state", CURSOR_KEY)
        first_run = cursor is None
        # The first run lists every job once, so that later a status change is known as one.
        since = EPOCH if first_run else datetime.fromtimestamp(float(cursor) - self.overlap_s, timezone.utc)
        seen: dict[str, dict[str, str | None]] = self.store.get("state", JOBS_KEY) or {}
        jobs = list(self.harvest.iter_jobs_updated_since(since))
        closed_now: list[int] = []
        failed = False
        for job in jobs:
            now = {"status": job.status, "closed_at": job.closed_at.isoformat() if job.closed_at else None}
            before = seen.get(str(job.id))
            if not first_run and job.status == "closed" and before != now:
                # open → closed, closed again at a new time, or a job we never saw (created since).
                closed_now.append(job.id)
                try:
                    self.on_closed(job.id)
                except Exception:  # noqa: BLE001 - retried next run; the announce key prevents doubles
                    log.exception("poller_announce_failed job_id=%s", job.id)
                    failed = True
                    continue
            seen[str(job.id)] = now
        self.store.put("state", JOBS_KEY, seen)
        if not failed:
            self.store.put("state", CURSOR_KEY, started)
        log.info("poller_run first=%s jobs=%s closed=%s", first_run, len(jobs), len(closed_now))
        return closed_now
