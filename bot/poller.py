"""Polling Greenhouse for jobs that closed: for Socket Mode (no public URL for web
hooks) and as a safety net when web hooks are on too.

State lives in the store's "state" table so it survives restarts:
- "poller:cursor": when the last successful run started (epoch seconds);
- "poller:jobs": the last status and closed_at seen per job ID.
The first run only records them: announcing every job that ever closed would
flood people. Each run asks for jobs updated since the cursor minus an overlap,
because Greenhouse's timestamps are second-grained and clocks drift; seeing a
job twice is harmless since the announcement itself is claimed once per closing.

Every process the Procfile starts runs a poller. With `lease_s` set, a run first
takes a short lease ("poller:lease", compare-and-set in the store), so that
about one process per interval lists jobs, and another takes over if it dies.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from bot.greenhouse.harvest import Harvest
from bot.greenhouse.models import Job
from bot.store import Store, leases

log = logging.getLogger("bot.poller")

CURSOR_KEY = "poller:cursor"
JOBS_KEY = "poller:jobs"
LEASE_KEY = "poller:lease"
OVERLAP_S = 60.0
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class Poller:
    def __init__(self, store: Store, harvest: Harvest, on_closed: Callable[[Job], object], *,
                 clock: Callable[[], float] = time.time, overlap_s: float = OVERLAP_S, lease_s: float = 0) -> None:
        self.store = store
        self.harvest = harvest
        # Given the job as listed (read just now): announces its closing once, reading more only
        # if the listing left it bare (bot/workflows/autoclose.py).
        self.on_closed = on_closed
        self._clock = clock
        self.overlap_s = overlap_s
        self.lease_s = lease_s
        self.owner = uuid.uuid4().hex

    def run_once(self) -> list[int]:
        """One pass; returns the IDs of jobs seen going to closed (handed to on_closed)."""
        started = self._clock()
        if self.lease_s and not self._take_turn(started):
            return []
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
                    self.on_closed(job)
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

    def _take_turn(self, now: float) -> bool:
        """True if this process holds the lease for the next `lease_s` seconds."""
        return leases.hold(self.store, LEASE_KEY, self.owner, now, self.lease_s)
