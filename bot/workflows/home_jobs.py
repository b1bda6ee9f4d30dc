"""*Your jobs* on the App Home: the open jobs whose hiring team the viewer is on in
Greenhouse (every open job for bot admins), a page at a time, each with its open
openings and active candidates. No Slack here (bot/slack/blocks/home.py draws it).

What it costs Greenhouse, and why it stays bounded (figures: docs/PERFORMANCE.md,
`python bench/home_cost.py`):
- the job list, kept `ttl_s` in a bounded cache. v1: ONE list of every open job (500 a
  page, each with its hiring team embedded) serves every viewer of the process, filtered
  here by their place on the team; v3: a list per viewer (admins share one of every open
  job) — the viewer's hiring-team rows, then their jobs and open openings 50 jobs a
  request: 2 + 2·⌈jobs/50⌉.
- the active counts: per job, kept `ttl_s`, shared by every viewer — and, with `shared`
  (bot/workflows/job_counts.py), by every process on the store, and fed by every job
  view's read of the job's active applications. Only the shown page's jobs nobody knows
  are read, all in one `count_active_applications` call — never a request per job per
  open (v3: ⌈jobs/50⌉; v1: the company's active applications 500 a page, when that is no
  more pages than jobs asked, else per job; either way every count read is kept).
Opening the tab again within `ttl_s` costs nothing; a request's writes to a job, or a web
hook saying its applications changed, make the next drawing read again (`forget_job`), so
a closed job leaves the list at once. Someone
taken off a hiring team may still see the job's line (not its candidates: *Show job*
checks the team again) for up to `ttl_s`. A failing read leaves the section
out with a sentence; the rest of the tab is drawn from the store as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.cache import BoundedCache, SingleFlight
from bot.greenhouse.harvest import Harvest
from bot.greenhouse.models import Job, JobListing
from bot.identity import Caller

from .harvest_mirror import HarvestMirror
from .job_counts import JobCounts

log = logging.getLogger("bot.workflows")

JOBS_PER_PAGE = 20  # a Home view holds 100 blocks; a page of jobs takes JOBS_PER_PAGE + 3
EVERY_OPEN_JOB = 0  # the cache key of the admins' list (no Greenhouse user has id 0)


@dataclass(frozen=True)
class JobLine:
    job: JobListing
    active: int | None  # active (non-prospect) applications; None when Greenhouse did not say


@dataclass(frozen=True)
class YourJobs:
    lines: list[JobLine] = field(default_factory=list)  # this page, by name
    total: int = 0  # jobs on every page
    offset: int = 0
    every_open_job: bool = False  # an admin's list, not a hiring team's
    unavailable: str | None = None  # why the list cannot be shown now

    @property
    def next_offset(self) -> int | None:
        after = self.offset + len(self.lines)
        return after if after < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - JOBS_PER_PAGE) if self.offset > 0 else None


class HomeJobs:
    def __init__(
        self,
        harvest: Harvest,
        *,
        ttl_s: float = 300,
        max_viewers: int = 1000,
        max_jobs: int = 20_000,
        clock: Callable[[], float] = time.monotonic,
        shared: JobCounts | None = None,
        mirror: HarvestMirror | None = None,
    ) -> None:
        self.harvest = harvest
        # While fresh, the mirror (decision 0012) gives every open job with its team and
        # every count: no Harvest request but for a job forgotten since its last sync.
        self.mirror = mirror
        self.shared = shared  # counts known to every process on the store (None: this process only)
        # A list of a few hundred job lines is a few hundred KiB at most; counts are ints.
        # Each list with the wall-clock time it was read, to compare with the store's last change.
        self.lists: BoundedCache[int, tuple[float, list[JobListing]]] = BoundedCache(
            ttl_s=ttl_s, max_entries=max_viewers, max_bytes=32 * 1024 * 1024, clock=clock)
        self.counts: BoundedCache[int, int] = BoundedCache(
            ttl_s=ttl_s, max_entries=max_jobs, max_bytes=4 * 1024 * 1024, clock=clock)
        self._reads: SingleFlight[int, list[JobListing]] = SingleFlight()
        # A job the mirror forgot (a write, a web hook), read once after each forgetting:
        # (job id, forgotten at) → (the job or None,); gone when the mirror reads the jobs again.
        self.forgotten_reads: BoundedCache[tuple[int, float], tuple[Job | None]] = BoundedCache(
            ttl_s=ttl_s, max_entries=max_jobs, max_bytes=8 * 1024 * 1024, clock=clock)
        self._job_reads: SingleFlight[tuple[int, float], tuple[Job | None]] = SingleFlight()

    def for_viewer(self, caller: Caller, offset: int = 0) -> YourJobs | None:
        """The viewer's page of jobs; None for someone who may see no job (unmapped)."""
        member = caller.greenhouse_user_id
        if not caller.is_admin and member is None:
            return None
        key = EVERY_OPEN_JOB if caller.is_admin else member
        assert key is not None
        try:
            jobs = self._jobs(key)
        except Exception as exc:  # noqa: BLE001 - the rest of the tab does not need Greenhouse
            log.warning("home_jobs_unavailable error=%s", type(exc).__name__)
            return YourJobs(every_open_job=caller.is_admin,
                            unavailable="Greenhouse did not answer for your jobs just now; open the tab again later.")
        offset = max(0, min(offset, (max(len(jobs), 1) - 1) // JOBS_PER_PAGE * JOBS_PER_PAGE))
        page = jobs[offset : offset + JOBS_PER_PAGE]
        counts = self._active_counts([j.id for j in page])
        return YourJobs(lines=[JobLine(j, counts.get(j.id)) for j in page], total=len(jobs), offset=offset,
                        every_open_job=caller.is_admin)

    def forget_job(self, job_id: int) -> None:
        """The bot just wrote to this job (closed openings, rejected applications): its count
        and every list (any may show it) are read again at the next drawing, not up to
        `ttl_s` later."""
        self.counts.discard(job_id)
        self.lists.clear()
        if self.shared is not None:
            self.shared.forget(job_id)

    def _jobs(self, key: int) -> list[JobListing]:
        mirrored = self._mirrored_jobs(key)
        if mirrored is not None:
            return mirrored
        if key != EVERY_OPEN_JOB and self.harvest.lists_jobs_with_team:
            # The list of every open job carries each job's team: a member's jobs are a filter
            # of it, so one read serves every viewer.
            return [job.model_copy(update={"member_roles": roles})
                    for job in self._jobs(EVERY_OPEN_JOB)
                    if (roles := tuple(dict.fromkeys(role for user, role in job.team if user == key)))]
        cached = self.lists.get(key)
        # A job written to by any process since the list was read: read it again.
        if cached is not None and (self.shared is None or cached[0] > self.shared.changed_at()):
            return cached[1]

        def read() -> list[JobListing]:
            at = self.shared.now() if self.shared is not None else 0.0
            listed = self.harvest.list_open_jobs(None if key == EVERY_OPEN_JOB else key)
            listed.sort(key=lambda j: (j.name.lower(), j.id))
            self.lists.put(key, (at, listed))
            return listed

        jobs, _shared = self._reads.do(key, read)
        return jobs

    def _mirrored_jobs(self, key: int) -> list[JobListing] | None:
        listed = self.mirror.open_jobs() if self.mirror is not None else None
        if listed is None:
            return None
        jobs, forgotten = listed
        # Changed since the mirror read them (a close, a web hook): read now, one by one,
        # those whose team (as last read) had the viewer on it — a closed one leaves their
        # list at once; nobody pays for the jobs of others.
        concern = [(i, at) for i, (team, at) in forgotten.items() if key == EVERY_OPEN_JOB or team is None or key in team]
        jobs += [job for i, at in concern if (job := self._read_since(i, at)) is not None and job.status == "open"]
        lines = [line for job in jobs if (line := _line(job, key)) is not None]
        return sorted(lines, key=lambda j: (j.name.lower(), j.id))

    def _read_since(self, job_id: int, forgotten_at: float) -> Job | None:
        """The job read after it was forgotten, once per forgetting in this process: the tabs
        a request's transition redraws (its requester's and approvers') share one read."""
        key = (job_id, forgotten_at)
        found = self.forgotten_reads.get(key)
        if found is None:
            found, _shared = self._job_reads.do(key, lambda: (self._read_job(job_id),))
            self.forgotten_reads.put(key, found)
        return found[0]

    def _read_job(self, job_id: int) -> Job | None:
        """Read whole now: the mirror answers for the job again (decision 0012), so the next
        tab or view in any process does not read it too."""
        assert self.mirror is not None
        started = self.mirror.now()
        job = self.harvest.get_job(job_id)
        if job is not None:
            self.mirror.fill_job(job, as_of=started)
        return job

    def _active_counts(self, job_ids: list[int]) -> dict[int, int]:
        if self.mirror is not None:
            mirrored = self.mirror.counts(job_ids)
            if mirrored:
                rest = [j for j in job_ids if j not in mirrored]
                return {**mirrored, **(self._active_counts_read(rest) if rest else {})}
        return self._active_counts_read(job_ids)

    def _active_counts_read(self, job_ids: list[int]) -> dict[int, int]:
        counts: dict[int, int] = {}
        missing = []
        for job_id in job_ids:
            # With counts in the store, the store is the one place to ask: another process's
            # write to a job removes its count there, not in this process's memory.
            known = self.counts.get(job_id) if self.shared is None else None
            if known is None:
                missing.append(job_id)
            else:
                counts[job_id] = known
        if missing and self.shared is not None:
            known = self.shared.known(missing)  # read by another process, or by a job view
            for job_id, n in known.items():
                self.counts.put(job_id, n)
            counts.update(known)
            missing = [j for j in missing if j not in known]
        if missing:
            try:
                read = self.harvest.count_active_applications(missing)
            except Exception as exc:  # noqa: BLE001 - counts decorate; the jobs are still shown
                log.warning("home_job_counts_unavailable error=%s", type(exc).__name__)
                return counts
            for job_id, n in read.items():  # v1 may answer for every job: kept for the next viewer
                self.counts.put(job_id, n)
            if self.shared is not None:
                self.shared.remember(read)
            counts.update({j: read[j] for j in missing if j in read})
        return counts


def _line(job: Job, member: int) -> JobListing | None:
    """The job's line on the tab of `member` (EVERY_OPEN_JOB: an admin's), or None when
    they are not on its hiring team."""
    roles = tuple(dict.fromkeys(m.role for m in job.hiring_team if m.user_id == member))
    if member != EVERY_OPEN_JOB and not roles:
        return None
    return JobListing(id=job.id, name=job.name, requisition_id=job.requisition_id, confidential=job.confidential,
                      open_openings=len(job.open_openings), member_roles=roles,
                      team=tuple((m.user_id, m.role) for m in job.hiring_team))
