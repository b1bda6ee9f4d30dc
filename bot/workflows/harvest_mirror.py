"""The Harvest mirror: every open job and every active application of the company, kept
in the store by one background sync for the whole deployment, so that a job view or a
Home tab's count costs no Harvest request while the mirror is fresh
(docs/decisions/0012-harvest-mirror.md).

Three loops in every process, each let through by a lease in the store (as the poller's),
so that one process at a time does each for the deployment:
- a turn every `interval_s`: one read of the applications changed since the last turn
  (v1 `last_activity_after`, v3 `updated_at=gte|`), applied to their jobs' records;
- the open jobs every `jobs_s`, as `get_job` gives them (openings, hiring teams: the
  access rule); turns and job reads go first for Harvest's budget (bot/waiting.py);
- a full sweep at start and every `full_s`: every active application of the company
  (⌈active/500⌉ requests), its pages spaced `page_gap_s` apart so that it never takes more
  than a small share of the budget, while the turns go on.

Readers trust the mirror only while the last turn is younger than `fresh_s` and the jobs
(their hiring teams: who may see candidates) younger than `jobs_s + jobs_grace_s` — v1 30 s,
the view reuse window of decision 0010; v3 310 s, its team window of decision 0006 — and the
mirror's team only ever grants; else the view reads Harvest as before. The bot's own
writes and Greenhouse's web hooks `forget` what changed — the job, its applications, or
both: a tombstone, newer than any sync that read before it, so a sync already under way
cannot bring the old rows back; the next view reads from Harvest what was forgotten and
`fill`s the mirror again. A `job_updated` web hook whose payload matches the job's team and
openings is taken in place (`edited`): no read at all. Application rows (candidate ids,
stages) are sealed as shared reads are (bot/store/flight.py); jobs are kept in clear.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from bot import waiting
from bot.greenhouse.harvest import Harvest
from bot.greenhouse.models import ApplicationChange, ApplicationRow, Job, Role
from bot.store import Store, leases
from bot.store.flight import Sealer

from .stage_order import StageOrder

log = logging.getLogger("bot.mirror")

STATE = "state"
STATE_KEY = "mirror:state"  # {"swept_at", "synced_until", "jobs_at", "known": [job ids with rows]}
LEASE_KEY = "mirror:lease"  # whose turn it is
SWEEP_LEASE_KEY = "mirror:sweep"  # who sweeps
JOBS_LEASE_KEY = "mirror:jobs"  # who reads the open jobs
JOBS = "mirror_jobs"  # "job:<id>" → {"job": …, "at": t} | {"forgotten_at": t}; "open" → {"ids": […], "at": t}
APPS = "mirror_apps"  # "<job id>" → {"as_of": t, "rows": sealed […]} | {"forgotten_at": t}
# Greenhouse stamps activity with its clock, we ask with ours: each incremental read
# starts this far before the last one (rows read twice are applied twice, harmlessly).
OVERLAP_S = 60
PAGE = 500  # applications a page (per_page, both versions)
# A sync holds the turn this long at most: one that dies mid-sweep is taken over after it.
WORKING_S = 300
SEALED_FOR_S = 7 * 24 * 3600  # validity is decided by the sync's stamps, not by the token's age


@dataclass(frozen=True)
class JobEdit:
    """What a `job_updated` web hook says of a job (bot/greenhouse_webhook.py reads it):
    its own fields, its hiring team as (user id, role) and the ids of its openings."""

    job_id: int
    status: str | None
    name: str | None
    requisition_id: str | None
    confidential: bool
    team: frozenset[tuple[int, Role]]
    opening_ids: frozenset[int]


class Counter(Protocol):
    def hit(self) -> None: ...

    def miss(self) -> None: ...


class HarvestMirror:
    def __init__(
        self, store: Store, harvest: Harvest, sealer: Sealer, *,
        interval_s: float = 10, full_s: float = 300, jobs_s: float = 20, fresh_s: float = 30,
        jobs_grace_s: float | None = None,
        clock: Callable[[], float] = time.time, stats: Counter | None = None,
        page_gap_s: float = 0, sleep: Callable[[float], None] = time.sleep,
        stage_order: StageOrder | None = None,
    ) -> None:
        self.store = store
        self.harvest = harvest
        self.sealer = sealer
        self.interval_s = interval_s
        self.full_s = full_s
        self.jobs_s = jobs_s
        self.fresh_s = fresh_s
        # How late a read of the open jobs may be before the mirror answers nobody (v3's
        # takes a dozen requests, which a spent budget spreads over windows).
        self.jobs_grace_s = interval_s if jobs_grace_s is None else jobs_grace_s
        self.clock = clock
        self.stats = stats
        self.owner = uuid.uuid4().hex
        # The sweep waits this long between its pages of applications, so that it takes a
        # small share of Harvest's budget instead of a burst that would hold up people's
        # commands behind it for seconds (runtime: v1 1 s, about a fifth of 50 per 10 s).
        self.page_gap_s = page_gap_s
        self.sleep = sleep
        # Every open job's stage order, read ahead with the jobs where Harvest lists many jobs'
        # stages at once (v3: 50 jobs a request), so that no view waits for one.
        self.stage_order = stage_order

    def now(self) -> float:
        """The mirror's clock (epoch seconds): what a reader stamps a read with before `fill`."""
        return self.clock()

    # --- reading (any process) ------------------------------------------------------------

    def open_job(self, job_id: int) -> Job | None:
        """The open job as the last sync read it — or a closed one as a view read it lately,
        within the jobs' window (a job just closed is still looked at: read once, not at every
        view) — or None (unknown, forgotten, or the mirror is not fresh): the caller then
        reads Harvest."""
        state = self._fresh_state()
        if state is None:
            return None
        record = self.store.get(JOBS, f"job:{int(job_id)}")
        if not record or "job" not in record:
            return None
        job = Job.model_validate(record["job"])
        if job.status != "open" and self.clock() - float(record.get("at", 0)) > self.jobs_s + self.jobs_grace_s:
            return None  # the read of the open jobs does not refresh a closed job: its own read ages
        return job

    def active_rows(self, job_id: int) -> tuple[ApplicationRow, ...] | None:
        """The job's active applications as of the last sync, or None."""
        if self._fresh_state() is None:
            self._count(False)
            return None
        record = self.store.get(APPS, str(int(job_id)))
        rows = self._rows(record)
        self._count(rows is not None)
        return None if rows is None else tuple(rows.values())

    def open_jobs(self) -> tuple[list[Job], dict[int, tuple[set[int] | None, float]]] | None:
        """Every open job the mirror answers for, and those forgotten since the last read of
        the jobs, each with the user ids of its hiring team as last read (None: unknown) and
        when it was forgotten — the caller reads from Harvest the ones that may concern its
        viewer, once per forgetting; None when not fresh."""
        if self._fresh_state() is None:
            return None
        ids = (self.store.get(JOBS, "open") or {}).get("ids", [])
        records = self.store.get_many(JOBS, [f"job:{i}" for i in ids])
        held = [Job.model_validate(r["job"]) for r in records.values() if r and "job" in r]
        known = {j.id for j in held}
        jobs = [j for j in held if j.status == "open"]  # one read closed since is listed nowhere
        forgotten = {}
        for i in ids:
            if i not in known:
                record = records.get(f"job:{i}") or {}
                if record.get("closed"):
                    continue  # known closed since the last read of the jobs: listed nowhere
                team = record.get("team")
                forgotten[i] = (set(team) if team is not None else None, float(record.get("forgotten_at", 0)))
        return jobs, forgotten

    def counts(self, job_ids: Iterable[int]) -> dict[int, int]:
        """Active applications of the asked jobs the mirror knows now (others left out)."""
        if self._fresh_state() is None:
            return {}
        wanted = [int(j) for j in job_ids]
        found = self.store.get_many(APPS, [str(j) for j in wanted])
        counts = {}
        for key, record in found.items():
            rows = self._rows(record)
            if rows is not None:
                counts[int(key)] = len(rows)
        return counts

    def fresh(self) -> bool:
        """Whether the mirror answers now (its last turn and read of the jobs recent enough)."""
        return self._fresh_state() is not None

    def rows_of(self, job_ids: Iterable[int]) -> dict[int, tuple[ApplicationRow, ...]]:
        """The asked jobs' active applications the mirror knows now (others left out), in one
        read of the store; not counted as a view's hit or miss (bot/workflows/name_read_ahead.py)."""
        if self._fresh_state() is None:
            return {}
        found = self.store.get_many(APPS, [str(int(j)) for j in job_ids])
        rows = {int(key): self._rows(record) for key, record in found.items()}
        return {job_id: tuple(r.values()) for job_id, r in rows.items() if r is not None}

    # --- told by the bot ------------------------------------------------------------------

    def forget(self, job_id: int, *, job: bool = True, applications: bool = True) -> None:
        """The job changed (a write by the bot, a web hook): until a read newer than now
        fills it again, the mirror does not answer for what changed — the job itself (its
        fields, openings, team), its active applications, or both. Forgetting only what
        changed keeps the rest answering: on v3 a job read is four requests, its
        applications one."""
        now = self.clock()
        if applications:
            self.store.put(APPS, str(int(job_id)), {"forgotten_at": now})
        if job:
            self._tombstone(job_id, {"forgotten_at": now})

    def closed(self, job_id: int) -> None:
        """The job is known closed now (the bot's own close read it back; a signed `job_updated`
        says so): it leaves the open jobs at once, so no Home tab reads it to find that out. A
        tombstone as `forget`'s, marked closed: a read of the jobs that began before now cannot
        bring it back, and a later read that finds it open again (reopened) fills it."""
        self._tombstone(job_id, {"forgotten_at": self.clock(), "closed": True})

    def _tombstone(self, job_id: int, marks: dict[str, Any]) -> None:
        """The job's record replaced by `marks`. The hiring team as last read stays on it (ids
        only): a Home tab then reads the forgotten job only for someone who was on its team."""
        key = f"job:{int(job_id)}"
        if not self.store.add(JOBS, key, marks):
            self.store.update(JOBS, key, lambda old: {**marks, "team": _team_ids(old)})

    def edited(self, edit: JobEdit) -> bool:
        """Greenhouse said the job's own fields changed (`job_updated`, whose signed payload
        carries them): take its name, requisition ID and confidentiality in place, with no
        Harvest request, when the payload's status is open and its hiring team and openings
        are those the mirror holds (the payload's openings carry no status, so the mirror's
        stay, as old as its last read of the jobs at most). Anything else — closed, a team
        or opening changed, a job the mirror does not hold — forgets the job (not its
        applications: a job edit leaves them as they are). True if taken in place."""
        now = self.clock()
        key = f"job:{int(edit.job_id)}"

        def take(old: Any) -> dict[str, Any] | None:
            if not isinstance(old, dict) or "job" not in old or edit.status != "open":
                return None
            job = Job.model_validate(old["job"])
            if job.status != "open":  # a closed job kept for its views, reopened: read it again
                return None
            if (edit.team != frozenset((m.user_id, m.role) for m in job.hiring_team)
                    or edit.opening_ids != frozenset(o.id for o in job.openings)):
                return None
            # Greenhouse retries a failed delivery for hours: a late one must not show outsiders
            # a job made confidential since. Only a read of the job lifts confidentiality.
            if job.confidential and not edit.confidential:
                return None
            fields = {"name": edit.name or job.name, "requisition_id": edit.requisition_id,
                      "confidential": edit.confidential}
            return {**old, "job": job.model_copy(update=fields).model_dump(mode="json"),
                    "at": max(float(old.get("at", 0)), now)}

        if self.store.update(JOBS, key, take) is not None:
            return True
        if edit.status == "closed":
            self.closed(edit.job_id)
        else:
            self.forget(edit.job_id, applications=False)
        return False

    def fill_job(self, job: Job, as_of: float) -> None:
        """A read of the job from Harvest that began at `as_of` (a view, a Home tab): the
        mirror answers for the job again unless it was forgotten after `as_of`."""
        if job.status in ("open", "closed"):  # a closed one is kept for its views (`open_job`)
            self._write(JOBS, f"job:{job.id}", {"job": job.model_dump(mode="json"), "at": as_of}, as_of, "at")

    def fill(self, job: Job, rows: Iterable[ApplicationRow], as_of: float) -> None:
        """A view read the job and its active applications from Harvest, starting at
        `as_of`: the mirror answers for it again (unless forgotten after `as_of`)."""
        if job.status not in ("open", "closed"):
            return
        self.fill_job(job, as_of)
        self._write_rows(job.id, {r.id: r for r in rows}, as_of)

    # --- the sync (one process at a time) -------------------------------------------------

    def sync_once(self) -> bool:
        """One turn (the changes since the last); False when another process holds it."""
        started = self.clock()
        if not self._take(LEASE_KEY, started, WORKING_S):
            return False
        try:
            # First for Harvest's budget — first in this process's line, and the window's
            # reserve across processes (bot/greenhouse/ratelimit.py): a turn is one request
            # that keeps every view and Home tab off Harvest; behind the busy hour's commands
            # it would come too late, the mirror would go stale, and every view would read
            # Harvest again — the line the mirror exists to empty.
            with waiting.waiting_as(waiting.Waiting(first=True)):
                self._turn(started)
            return True
        finally:
            # Hand the turn on at the next interval, not at once: about one turn per interval.
            self._take(LEASE_KEY, started, max(self.interval_s * 0.8, 1.0))

    def jobs_once(self) -> bool:
        """The open jobs again when due (`jobs_s`) and nobody else is reading them; True if
        this one read them. Its own lease and loop, and first for the budget as a turn is:
        the jobs carry the hiring teams, without which the mirror answers nobody."""

        def read(started: float) -> None:
            with waiting.waiting_as(waiting.Waiting(first=True)):
                ids = self._read_jobs(started)
            self._note({"jobs_at": started})
            self._read_stages_ahead(ids)  # in line with everyone: it saves reads, it is not urgent

        return self._when_due("jobs_at", self.jobs_s, JOBS_LEASE_KEY, read)

    def sweep_once(self) -> bool:
        """The full sweep when it is due and nobody else is sweeping; True if this one swept.
        Its own lease and loop: the turns go on meanwhile (a sweep takes tens of seconds,
        its pages spaced out), so the mirror never goes stale while it is swept."""
        return self._when_due("swept_at", self.full_s, SWEEP_LEASE_KEY, self._sweep)

    def _when_due(self, stamp: str, every_s: float, lease: str, work: Callable[[float], None]) -> bool:
        """Run `work(started)` when the state's `stamp` is `every_s` old and this process takes
        `lease`; True if it ran. The lease is freed after: the stamp says when the next is due."""
        started = self.clock()
        if started - (self.store.get(STATE, STATE_KEY) or {}).get(stamp, float("-inf")) < every_s:
            return False
        if not self._take(lease, started, WORKING_S):
            return False
        try:
            work(started)
            return True
        finally:
            self._take(lease, started, 0)

    def _turn(self, started: float) -> None:
        state = self.store.get(STATE, STATE_KEY) or {}
        since = datetime.fromtimestamp(state.get("synced_until", started) - OVERLAP_S, UTC)
        changed: dict[int, list[ApplicationChange]] = defaultdict(list)
        for change in self.harvest.iter_applications_changed_since(since):
            if change.job_id is not None:
                changed[change.job_id].append(change)
        for job_id, changes in changed.items():
            self.store.update(APPS, str(job_id), lambda old, c=changes: self._applied(old, c, started))
        self._note({"synced_until": started})
        log.info("mirror_turn changed=%s jobs=%s", sum(map(len, changed.values())), len(changed))

    def _sweep(self, started: float) -> None:
        rows: dict[int, dict[int, ApplicationRow]] = defaultdict(dict)
        for seen, (job_id, row) in enumerate(self.harvest.iter_all_active_application_rows(), start=1):
            rows[job_id][row.id] = row
            if seen % PAGE == 0 and self.page_gap_s > 0:
                self._take(SWEEP_LEASE_KEY, self.clock(), WORKING_S)  # still at it
                self.sleep(self.page_gap_s)  # before the next page is asked for
        # Every open job gets a record (none active: empty); jobs that had rows at the last
        # sweep and have none now are emptied too. A record a turn or a view wrote after
        # `started`, or forgotten after it, keeps what it has (it is newer).
        open_ids = set((self.store.get(JOBS, "open") or {}).get("ids", []))
        state = self.store.get(STATE, STATE_KEY) or {}
        for job_id in open_ids | set(rows) | set(state.get("known", [])):
            self._write_rows(job_id, rows.get(job_id, {}), started)
        self._note({"swept_at": started, "known": sorted(open_ids | set(rows))})
        log.info("mirror_sweep jobs=%s applications=%s", len(rows), sum(map(len, rows.values())))

    def _note(self, fields: dict[str, Any]) -> None:
        """Merge into the mirror's state (a turn and a sweep may write it at once)."""
        self.store.add(STATE, STATE_KEY, {})
        self.store.update(STATE, STATE_KEY, lambda old: {**(old or {}), **fields})

    def _read_jobs(self, started: float) -> list[int]:
        jobs = list(self.harvest.iter_open_jobs())
        ids = [j.id for j in jobs]
        before = set((self.store.get(JOBS, "open") or {}).get("ids", []))
        for job in jobs:
            self._write(JOBS, f"job:{job.id}", {"job": job.model_dump(mode="json"), "at": started}, started, "at")
        for gone in before - set(ids):  # closed since: a view reads it from Harvest
            self.store.delete(JOBS, f"job:{gone}")
        # Closed jobs views kept (`fill_job`) leave when no longer trusted: the table holds the
        # open jobs and a few closed lately, not every job ever looked at.
        for key, record in list(self.store.items(JOBS)):
            if (key.startswith("job:") and isinstance(record, dict) and "job" in record
                    and record["job"].get("status") != "open"
                    and started - float(record.get("at", 0)) > self.jobs_s + self.jobs_grace_s):
                self.store.delete(JOBS, key)
        self.store.put(JOBS, "open", {"ids": ids, "at": started})
        return ids

    def _read_stages_ahead(self, job_ids: list[int]) -> None:
        """The stage orders of the open jobs that no process holds fresh (decision 0013's
        record), 50 jobs a request on v3 — 4 requests for 200 jobs, then only those due
        again; nothing on v1, which reads one job's stages a request. Best-effort: a view
        whose job's order is missing reads it as before."""
        if self.stage_order is None or not job_ids:
            return
        due = self.stage_order.due(job_ids)
        for start in range(0, len(due), 50):
            try:
                orders = self.harvest.stage_orders(due[start:start + 50])
            except Exception as exc:  # noqa: BLE001 - a saving only
                log.warning("mirror_stage_orders_failed error=%s", type(exc).__name__)
                return
            if orders is None:
                return  # the backend reads one job's stages at a time: left to the views
            for job_id, names in orders.items():
                self.stage_order.remember(job_id, names)

    # --- records ---------------------------------------------------------------------------

    def _write_rows(self, job_id: int, rows: dict[int, ApplicationRow], as_of: float) -> None:
        sealed = self.sealer.seal([r.model_dump(mode="json") for r in rows.values()], as_of)
        self._write(APPS, str(job_id), {"as_of": as_of, "rows": sealed}, as_of, "as_of")

    def _write(self, table: str, key: str, value: dict[str, Any], read_at: float, stamp: str) -> None:
        """Write what was read at `read_at` unless the record knows something newer: a
        forget after that moment, or a read that started later."""
        if self.store.add(table, key, value):
            return
        self.store.update(table, key, lambda old: None if _newer(old, read_at, stamp) else value)

    def _applied(self, old: Any, changes: list[ApplicationChange], read_at: float) -> dict[str, Any] | None:
        rows = self._rows(old)
        if rows is None or _newer(old, read_at, "as_of"):
            return None  # forgotten, or filled by a later read: that read holds these changes
        for change in changes:
            rows.pop(change.row.id, None)
            if change.active:
                rows[change.row.id] = change.row
        return {"as_of": read_at, "rows": self.sealer.seal([r.model_dump(mode="json") for r in rows.values()],
                                                           read_at)}

    def _rows(self, record: Any) -> dict[int, ApplicationRow] | None:
        if not record or "rows" not in record:
            return None
        opened = self.sealer.open(record["rows"], max_age_s=SEALED_FOR_S, now=self.clock())
        if opened is None:
            return None
        return {r["id"]: ApplicationRow.model_validate(r) for r in opened}

    def _fresh_state(self) -> dict[str, Any] | None:
        state = self.store.get(STATE, STATE_KEY)
        now = self.clock()
        if (not state or "swept_at" not in state or now - state.get("synced_until", 0) > self.fresh_s
                or now - state.get("jobs_at", 0) > self.jobs_s + self.jobs_grace_s):
            return None
        return state

    def _count(self, hit: bool) -> None:
        if self.stats is not None:
            self.stats.hit() if hit else self.stats.miss()

    def _take(self, key: str, now: float, hold_s: float) -> bool:
        """True if this process holds `key` for `hold_s` from `now` (as the poller's lease)."""
        return leases.hold(self.store, key, self.owner, now, hold_s)

    def job_read_at(self, job_id: int) -> float | None:
        """When the mirror's record of the job — its hiring team with it — was read from
        Greenhouse (or confirmed by a `job_updated` payload), epoch seconds; None if it holds
        none. Read-only: the job view tells someone its team refused how old that team is."""
        record = self.store.get(JOBS, f"job:{int(job_id)}")
        return float(record["at"]) if isinstance(record, dict) and "job" in record and "at" in record else None

    # --- a rejection's draft (bot/workflows/requests/drafts.py) ---------------------------------

    def application_for_member(self, application_id: int, member_id: int) -> tuple[Job, ApplicationRow] | None:
        """The active application `application_id` with its open job, looked for only among
        the jobs whose hiring team, as the mirror last read it, lists `member_id` (a hiring
        manager is on a few jobs, not 200: one store read of their rows); None when it is not
        there or the mirror is not fresh. The mirror's team only ever grants: None says
        nothing about the application, and the caller reads Greenhouse as it would have
        (docs/decisions/0018-drafts-from-the-mirror.md)."""
        listed = self.open_jobs()
        if listed is None:
            return None
        jobs = {j.id: j for j in listed[0] if member_id in j.team_user_ids()}
        for job_id, rows in self.rows_of(jobs).items():
            for row in rows:
                if row.id == application_id:
                    return jobs[job_id], row
        return None


def _team_ids(record: Any) -> list[int] | None:
    if not isinstance(record, dict):
        return None
    if "job" in record:
        return sorted({m["user_id"] for m in record["job"].get("hiring_team") or []})
    return record.get("team")


def _newer(old: Any, read_at: float, stamp: str) -> bool:
    if not isinstance(old, dict):
        return False
    return old.get("forgotten_at", float("-inf")) > read_at or old.get(stamp, float("-inf")) > read_at
