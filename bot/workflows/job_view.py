"""The job view: a job, its openings, and its active candidates grouped by stage.

Cost: never a request per candidate, and it follows the job's ACTIVE applications,
not its history: the job (v3: plus openings and hiring team), the active applications
500 a page (no names), and the names of the candidates on the page shown only — at most
one `candidates` request per page, none when the store's name cache knows them
(bot/workflows/candidate_names.py; figures in docs/PERFORMANCE.md; decision 0007).
The funnel and the stale flags need stages and last activity only: no names, no request
of their own.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property

from bot.cache import BoundedCache, SingleFlight
from bot.greenhouse.harvest import Harvest
from bot.greenhouse.models import ApplicationRow, Job
from bot.identity import Caller
from bot.store.flight import StoreFlight

from .candidate_names import CandidateNames
from .errors import NotVisible, UserFacingError
from .harvest_mirror import HarvestMirror, JobEdit
from .jobs import check_job_ref, find_jobs, may_see_candidates
from .outsider_asks import OutsiderAsks


# Defaults when the wiring passes no cache: a 5,000-candidate view is about 6 MiB in memory.
VIEW_CACHE_ENTRIES = 200
VIEW_CACHE_BYTES = 64 * 1024 * 1024
NO_STAGE = "No stage"


@dataclass(frozen=True)
class StageCount:
    stage: str
    count: int


@dataclass(frozen=True)
class JobView:
    job: Job
    may_see_candidates: bool
    applications: tuple[ApplicationRow, ...] = field(default=())
    # Candidate id → name, for those known when the view was read or named since
    # (JobViews.named): the page shown is always named; the others may not be.
    names: Mapping[int, str] = field(default_factory=dict)
    stage_order: tuple[str, ...] = ()  # the job's stages, first first; () when unknown
    stale_days: int = 14
    # Applications whose last activity was at least `stale_days` old when the view was read.
    stale_ids: frozenset[int] = frozenset()
    # Seconds since the hiring team that refused the caller was read from Greenhouse, when it
    # was the Harvest mirror's and no read was made now (decision 0017: asking again within
    # outsider_asks.ASK_AGAIN_S reads it now); None when the caller was checked otherwise.
    team_read_ago_s: float | None = None

    def name_of(self, a: ApplicationRow) -> str:
        return self.names.get(a.candidate_id) or f"candidate {a.candidate_id}"

    @cached_property
    def by_stage_order(self) -> list[ApplicationRow]:
        """Grouped by stage in the job's own pipeline order; stages the order does not
        name (or all of them, when it is unknown) follow by name; no stage last. Within a
        stage: most recent activity first, then application id. Not by name: the order
        must be known before any name is, so that only the page shown is named (a view of
        5,000 candidates would otherwise read 5,000 names to show 40). Recent first also
        puts the candidates being worked on at the top and the stale ones (flagged) last;
        an unknown last activity goes after the known ones."""
        return sorted(self.applications, key=lambda a: (*self._stage_key(a.stage), *_recency(a), a.id))

    @property
    def funnel(self) -> list[StageCount]:
        """Active candidates per stage that has any, in the same order as by_stage_order."""
        counts: dict[str | None, int] = {}
        for a in self.applications:
            counts[a.stage] = counts.get(a.stage, 0) + 1
        ordered = sorted(counts.items(), key=lambda kv: self._stage_key(kv[0]))
        return [StageCount(stage or NO_STAGE, n) for stage, n in ordered]

    def _stage_key(self, stage: str | None) -> tuple[bool, int, str]:
        rank = {name: i for i, name in enumerate(self.stage_order)}
        return stage is None, rank.get(stage or "", len(rank)), (stage or "").lower()


class JobViews:
    """Loads job views; keeps recent views in a bounded memory cache (bot/cache.py) so that
    paging through a big job with "More" re-reads nothing (only the new page's unknown
    names: one request at most), and a burst of
    people opening the same job shares one read: concurrent loads of a job in this process
    wait for the one in flight, and with `shared` (bot/store/flight.py) so do the other
    processes and replicas on the store: one of them reads, the others take its result,
    which the store holds sealed for at most a few minutes (docs/decisions/0009-shared-reads-across-replicas.md).
    In clear, the store keeps candidate names and nothing else of a candidate
    (bot/workflows/candidate_names.py)."""

    def __init__(
        self,
        harvest: Harvest,
        *,
        ttl_s: float = 300,
        reuse_s: float = 0,
        clock: Callable[[], float] = time.monotonic,
        stage_order: Callable[[int], list[str]] | None = None,
        names: CandidateNames | None = None,
        cache: BoundedCache[int, JobView] | None = None,
        stale_days: int = 14, now: Callable[[], datetime] = lambda: datetime.now(UTC),
        shared: StoreFlight | None = None,
        counted: Callable[[int, int], None] | None = None,
        mirror: HarvestMirror | None = None,
        outsider_asks: OutsiderAsks | None = None,
    ) -> None:
        self.harvest = harvest
        # Every open job and active application kept in the store by one sync
        # (docs/decisions/0012-harvest-mirror.md): while fresh, a view reads no Harvest.
        self.mirror = mirror
        # Who was refused a job by the mirror's team lately, in the store for every process
        # (decision 0017). None: every such refusal reads the team now.
        self.outsider_asks = outsider_asks
        self.shared = shared  # one read per job across processes (None: per process only)
        # Told (job id, active applications) after each read from Harvest: the Home tab's
        # counts (bot/workflows/job_counts.py) need not read them again.
        self.counted = counted
        self.stale_days = stale_days
        self.now = now  # the wall clock that ages last activities (tests set it)
        # The job's pipeline order (ReferenceLists.job_stages: cached, best-effort).
        self.stage_order = stage_order or (lambda job_id: [])
        self.names = names  # the candidate-name cache; None: names come with every read (the job walk)
        self.ttl_s = ttl_s  # how long "More" pages from a view already shown
        self.reuse_s = reuse_s  # how long a new `/greenhouse job <id>` may reuse a view (0: never)
        self._clock = clock
        self.cache: BoundedCache[int, JobView] = cache if cache is not None else BoundedCache(
            ttl_s=ttl_s, max_entries=VIEW_CACHE_ENTRIES, max_bytes=VIEW_CACHE_BYTES, clock=clock)
        # Everyone asking for a job at the same moment shares one read of it (by reference)
        # and one walk of its candidates (by job ID); each is then checked on their own.
        self._reads: SingleFlight[str, list[Job]] = SingleFlight()
        self._walks: SingleFlight[int, JobView] = SingleFlight()
        # and one read of a page's unknown names (by job and those candidates).
        self._pages: SingleFlight[tuple[int, frozenset[int]], dict[int, str]] = SingleFlight()

    def load(self, ref: str, caller: Caller) -> JobView:
        caller.team_member_id()  # who is not mapped is told so before any job is read
        if self.reuse_s > 0 and ref.isdigit():
            cached = self.cache.get(int(ref), self.reuse_s)
            # With a shared store, a view kept here is reused only while the store still holds
            # the job's read: a write by any process to the job removes it (`forget`).
            if cached is not None and (self.shared is None or self.shared.has(f"walk:{cached.job.id}")):
                # Access is checked against the cached hiring team: at most reuse_s old.
                if may_see_candidates(cached.job, caller):
                    return cached
                return _outsider_view(cached.job, ref)
        if self.mirror is not None and ref.isdigit() and len(ref) <= 18:
            job = self.mirror.open_job(int(ref))
            if job is not None:
                if may_see_candidates(job, caller):
                    return self._view(job, caller, ref)
                # Refused by the mirror's team (at most 30 s old; v3 ~310 s). That team only
                # ever grants, so refusing on it shows nothing it should not: a first refusal
                # is answered from the mirror, no request, saying how old the team is (a
                # confidential job: as no job at all, as always). The same person asking for
                # the job again within ASK_AGAIN_S has the team read now, below (decision 0017).
                refused = self._refused_by_mirror(job, caller, ref)
                if refused is not None:
                    return refused
                # The team alone is read now (v1 the job, one request; v3 two instead of four),
                # so that someone just added is let in and anyone else sees the summary.
                team = self.harvest.hiring_team_ids(job.id)
                if team is not None:
                    if caller.team_member_id() in team:
                        view, _shared = self._walks.do(job.id, lambda: self._walk(job))
                        return view
                    return _outsider_view(job, ref)
        # The hiring team may be one read within the "More" window (ttl_s): v3 pays two
        # requests for it. It only ever grants: refused by it, the caller is checked against
        # a team read now (someone just added is let in; decision 0006, "Revisited").
        jobs, _shared = self._reads.do(ref, lambda: self._find(ref))
        seen = [j for j in jobs if may_see_candidates(j, caller)]
        if not seen and any(j.team_cached for j in jobs):
            jobs = find_jobs(self.harvest, ref)
            seen = [j for j in jobs if may_see_candidates(j, caller)]
        if not seen:
            # An outsider sees a job's summary unless it is confidential; a confidential
            # job is answered exactly as a job that does not exist.
            seen = [j for j in jobs if not j.confidential] or jobs[:1]
        if len(seen) > 1:
            ids = ", ".join(str(j.id) for j in seen[:10])
            raise UserFacingError(f"Several jobs have requisition ID `{ref}` (job IDs {ids}); use the job ID.")
        if not seen:
            raise NotVisible("a job with ID or requisition ID", ref, "see")
        return self._view(seen[0], caller, ref)

    def _refused_by_mirror(self, job: Job, caller: Caller, ref: str) -> JobView | None:
        """The answer to a first refusal by the mirror's team (the outsider's summary, with
        the team's age; for a confidential job NotVisible), or None: read the team now —
        this person was refused this job lately, or there is no mark to keep."""
        mirror, asks = self.mirror, self.outsider_asks
        if mirror is None or asks is None:
            return None
        read_at = mirror.job_read_at(job.id)
        if read_at is None or not asks.first(caller.slack_user_id, job.id):
            return None
        view = _outsider_view(job, ref)  # marked first: a confidential job re-reads at the next ask too
        return replace(view, team_read_ago_s=max(0.0, mirror.now() - read_at))

    def page(self, job_id: int, caller: Caller) -> JobView:
        """For the "More" button: the cached view if fresh, else a new read."""
        cached = self.cache.get(job_id, self.ttl_s)
        if cached is not None:
            if not may_see_candidates(cached.job, caller):
                return _outsider_view(cached.job, str(job_id))
            return cached
        return self.load(str(job_id), caller)

    def recent(self, job_id: int) -> JobView | None:
        """The view of this job read within the view cache's TTL (the "More" window), or the
        mirror's while it is fresh, or None: no Harvest request. A draft made right after a view reuses its read (issue 17
        item 5); the caller checks access against the view's hiring team, as "More" does.
        With every name known by now (the pages shown since were named): no request."""
        view = self.cache.get(job_id)
        if view is None and self.mirror is not None:
            view = self._mirrored(job_id)
        return self._with_known_names(view) if view is not None else None

    def _mirrored(self, job_id: int) -> JobView | None:
        """The job as the mirror has it now (decision 0012), without the stage order (which
        may cost a request; a draft does not show it), or None. Not kept in the view cache:
        a view shown later orders its stages."""
        job = self.mirror.open_job(job_id) if self.mirror is not None else None
        rows = self.mirror.active_rows(job_id) if job is not None and self.mirror is not None else None
        if job is None or rows is None:
            return None
        return JobView(job=job, may_see_candidates=True, applications=rows, stale_days=self.stale_days,
                       stale_ids=stale_application_ids(rows, self.now(), self.stale_days))

    def view_of(self, job: Job) -> JobView:
        """The view of a job its caller was already checked for (a draft found it with
        find_job_for): the same shared, cached read a view makes."""
        view, _shared = self._walks.do(job.id, lambda: self._walk(job))
        return self._with_known_names(view)

    def _with_known_names(self, view: JobView) -> JobView:
        if self.names is None or not view.may_see_candidates:
            return view
        known = self.names.known(a.candidate_id for a in view.applications)
        return replace(view, names={**view.names, **known}) if known.keys() - view.names.keys() else view

    def _view(self, job: Job, caller: Caller, ref: str) -> JobView:
        if not may_see_candidates(job, caller):
            return _outsider_view(job, ref)
        view, _shared = self._walks.do(job.id, lambda: self._walk(job))
        return view

    def named(self, view: JobView, applications: Iterable[ApplicationRow]) -> JobView:
        """The view with these applications' candidates named (the page about to be shown):
        names the store's cache knows cost nothing, the others one `candidates` request per
        50 (a page is at most 50). Only for a view that shows candidates."""
        if not view.may_see_candidates:
            return view
        wanted = {a.candidate_id for a in applications} - view.names.keys()
        if not wanted:
            return view
        found, _shared = self._pages.do((view.job.id, frozenset(wanted)), lambda: self._look_up(view.job.id, wanted))
        return replace(view, names={**view.names, **found})

    def _look_up(self, job_id: int, wanted: set[int]) -> dict[int, str]:
        look_up = self.names.names if self.names is not None else self.harvest.candidate_names
        if self.shared is None:
            return look_up(wanted)
        # Other processes showing the same page at the same moment wait for this one read.
        ids = sorted(wanted)
        key = f"names:{job_id}:" + hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:24]
        found, _shared = self.shared.do(key, lambda: {str(c): n for c, n in look_up(ids).items()}, self.reuse_s)
        return {int(c): n for c, n in found.items()}

    def forget(self, job_id: int, *, job: bool = True, applications: bool = True, closed: bool = False) -> None:
        """The job changed (the bot wrote to it, or Greenhouse said so by web hook): the
        next view reads it again, here and in every process sharing the store — from
        Harvest, what changed (the mirror forgets only that: the job, its applications).
        `closed`: the job is known closed now; it leaves the mirror's open jobs at once."""
        self._forget_reads(job_id)
        if self.mirror is not None:
            if closed:
                self.mirror.closed(job_id)
            self.mirror.forget(job_id, job=job and not closed, applications=applications)

    def edited(self, edit: JobEdit) -> None:
        """Greenhouse's `job_updated`: the mirror takes the payload's fields in place when
        it can (HarvestMirror.edited), else forgets the job; kept views are read again."""
        self._forget_reads(edit.job_id)
        if self.mirror is not None:
            self.mirror.edited(edit)

    def _forget_reads(self, job_id: int) -> None:
        self.cache.discard(job_id)
        if self.shared is not None:
            self.shared.forget(f"walk:{job_id}")
            self.shared.forget(f"jobs:{job_id}")

    def _find(self, ref: str) -> list[Job]:
        if self.shared is None:
            return self._read_jobs(ref)
        check_job_ref(ref)  # a bad reference is refused before any claim
        found, _shared = self.shared.do(
            f"jobs:{ref}", lambda: [j.model_dump(mode="json") for j in self._read_jobs(ref)], self.reuse_s)
        return [Job.model_validate(j) for j in found]

    def _read_jobs(self, ref: str) -> list[Job]:
        started = self.mirror.now() if self.mirror is not None else 0.0
        jobs = find_jobs(self.harvest, ref, team_max_age_s=self.ttl_s)
        if self.mirror is not None:
            for job in jobs:
                if not job.team_cached:  # read whole now: the mirror answers for the job again
                    self.mirror.fill_job(job, as_of=started)
        return jobs

    def _walk(self, job: Job) -> JobView:
        mirrored = self.mirror.active_rows(job.id) if self.mirror is not None else None
        if mirrored is not None:
            applications, stages = mirrored, tuple(self.stage_order(job.id))
        elif self.shared is None:
            applications, stages = self._read_walk(job)
        else:
            def read() -> dict[str, list]:
                rows, order = self._read_walk(job)
                return {"applications": [a.model_dump(mode="json") for a in rows], "stages": list(order)}

            walked, _shared = self.shared.do(f"walk:{job.id}", read, self.reuse_s)
            applications = tuple(ApplicationRow.model_validate(a) for a in walked["applications"])
            stages = tuple(walked["stages"])
        # The names known already come along (no request): a draft made off this view keeps them.
        names = self.names.known(a.candidate_id for a in applications) if self.names is not None else {}
        view = JobView(job=job, may_see_candidates=True, applications=applications, names=names,
                       stage_order=stages, stale_days=self.stale_days,
                       stale_ids=stale_application_ids(applications, self.now(), self.stale_days))
        self.cache.put(job.id, view)
        return view

    def _read_walk(self, job: Job) -> tuple[tuple[ApplicationRow, ...], tuple[str, ...]]:
        started = self.mirror.now() if self.mirror is not None else 0.0
        applications = tuple(self.harvest.iter_active_application_rows(job.id))
        if self.counted is not None:
            self.counted(job.id, len(applications))
        if self.mirror is not None:
            self.mirror.fill(job, applications, as_of=started)  # read now: the mirror answers for it again
        return applications, tuple(self.stage_order(job.id))


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # Greenhouse's times are UTC


def _recency(a: ApplicationRow) -> tuple[bool, float]:
    """Sort key part: most recent activity first, unknown last."""
    if a.last_activity_at is None:
        return True, 0.0
    return False, -_aware(a.last_activity_at).timestamp()


def stale_application_ids(applications: tuple[ApplicationRow, ...], now: datetime, days: int) -> frozenset[int]:
    """Applications with no activity for `days` or more; an unknown last activity is not flagged."""
    cutoff = now - timedelta(days=days)
    stale = set()
    for a in applications:
        moment = a.last_activity_at
        if moment is None:
            continue
        if _aware(moment) <= cutoff:
            stale.add(a.id)
    return frozenset(stale)


def _outsider_view(job: Job, ref: str) -> JobView:
    """What someone off the hiring team sees: the summary of a job that is not
    confidential; of a confidential one, the same answer as for no job at all."""
    if job.confidential:
        raise NotVisible("a job with ID or requisition ID", ref, "see")
    return JobView(job=job, may_see_candidates=False)
