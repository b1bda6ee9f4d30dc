"""Harvest v3: OAuth Bearer tokens (acting user = the token's `sub`), cursor paging,
nothing embedded. See docs/harvest-v3-reference.md (§4 is the v1 → v3 map).

v3 objects do not embed related objects, so a job view is assembled from list
calls filtered by parent (`job_ids=`) and resolved by `ids=` in batches of at most
50. Nothing is ever fetched per candidate. Cost of a job view (docs/HARVEST_V3.md):
  jobs 1 + openings 1 + job_owners 1 + job_hiring_managers 1 + users ⌈team/50⌉
  + departments 1 + offices 1 + close_reasons 1 (only if an opening has a reason)
  + applications ⌈n/500⌉ + candidates ⌈n/50⌉.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bot.cache import BoundedCache

from .decorations import DecorationNames
from .errors import GreenhouseError, ValidationFailed
from .harvest import BeforeSend, HarvestOverHttp
from .models import (
    ActiveApplication,
    Application,
    ApplicationChange,
    ApplicationRow,
    EmailTemplate,
    GreenhouseUser,
    Job,
    JobListing,
    Named,
    Opening,
    RejectionReason,
    Role,
    Stage,
    TeamMember,
)
if TYPE_CHECKING:
    from .transport import HarvestTransport
from .wire import (
    candidate_id_of, close_opening_body, iso_utc, move_body, optional, person_name, reject_body, status_of,
)

PER_PAGE = 500  # v3 allows 1..500 (§2)
IDS_PER_CALL = 50  # `ids` and parent-id filters take at most 50 values (§2)
TEAM_KEEP_S = 3600.0  # how long a job's team rows are kept for views asking `team_max_age_s` (they ask less)
TeamRows = tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]  # (job_owners, job_hiring_managers)
# The query says `status=active`; the response says `in_process` (both accepted when read).
# Confirmed: docs/harvest-v3-reference.md §4 row 12 (get_v3-applications' two enums, quoted secondhand)
ACTIVE_STATUSES = frozenset({"active", "in_process"})
_OWNER_ROLES = {"recruiter": Role.RECRUITER, "coordinator": Role.COORDINATOR, "sourcer": Role.SOURCER}
_APPROVER_TYPES = ("recruiter", "coordinator")  # Job.approver_user_ids' roles, as job_owners spells them


class HarvestV3(HarvestOverHttp):
    version = "v3"

    def __init__(self, transport: HarvestTransport, *, decorations: DecorationNames | None = None) -> None:
        super().__init__(transport)
        # Team, department, office and close-reason names, kept for a few minutes (decorations.py).
        self.decorations = decorations if decorations is not None else DecorationNames()
        # Each job's hiring-team rows as last read (every read refreshes them), for a view that
        # accepts a team read a few minutes ago (get_job's `team_max_age_s`).
        self.teams: BoundedCache[int, TeamRows] = BoundedCache(
            ttl_s=TEAM_KEEP_S, max_entries=5_000, max_bytes=4 * 1024 * 1024)

    @property
    def rejection_reason_required(self) -> bool:
        return True  # `rejection_reason_id` is required on v3 reject (§4 row 14)

    # --- list helpers ----------------------------------------------------------------------

    def _list(self, resource: str, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint. Filters and per_page go on the first request
        only; the transport then follows `Link: rel="next"` exactly as given."""
        return self.t.paginate(_with_query(resource, {**filters, "per_page": PER_PAGE}))

    def _batched(self, resource: str, key: str, values: Iterable[int], **filters: Any) -> Iterator[dict[str, Any]]:
        """`resource?<key>=a,b,…` in batches of at most 50 values."""
        unique = list(dict.fromkeys(int(v) for v in values))
        for start in range(0, len(unique), IDS_PER_CALL):
            batch = ",".join(str(v) for v in unique[start : start + IDS_PER_CALL])
            yield from self._list(resource, **{key: batch}, **filters)

    def _first(self, resource: str, **filters: Any) -> dict[str, Any] | None:
        # There is no GET-by-id in v3: `?ids=N` returns 0 or 1 items, so "not found" is
        # an empty list, not a 404. Confirmed: docs/harvest-v3-reference.md §4 (conventions).
        return next(iter(self._list(resource, **filters)), None)

    # --- users -----------------------------------------------------------------------------

    def find_user_by_email(self, email: str) -> GreenhouseUser | None:
        """Primary address first (`users?primary_email=`, one request). Only on a miss, the
        secondary addresses as v1 matched them: `user_emails?email=` (case-insensitive exact
        match) names the `user_id`, read with `users?ids=` (docs/harvest-v3-reference.md
        §4 row 1, confirmed: get_v3-user-emails). So a miss costs 2 requests, a secondary hit 3."""
        user = self._first("users", primary_email=email)
        if user is None:
            row = self._first("user_emails", email=email)
            user = self._first("users", ids=int(row["user_id"])) if row and row.get("user_id") else None
        return user_from_v3(user) if user else None

    def get_user(self, user_id: int) -> GreenhouseUser | None:
        user = self._first("users", ids=int(user_id))
        return user_from_v3(user) if user else None

    def list_users(self, updated_after: datetime | None = None) -> Iterator[GreenhouseUser]:
        """`/users` and `/user_emails` (secondary addresses are rows there), each one list
        walk; a user whose address changed but not the user itself is read by `ids`.
        Service accounts stay hidden (Greenhouse's default): nobody acts as one in Slack."""
        since = {"updated_at": f"gte|{iso_utc(updated_after)}"} if updated_after is not None else {}
        users = {u["id"]: u for u in self._list("users", **since)}
        # user_emails rows are `{id, user_id, email, verified, …}`. Confirmed:
        # docs/harvest-v3-reference.md §4 row 1.
        emails: dict[int, list[str]] = {}
        for row in self._list("user_emails", **since):
            if row.get("user_id") and row.get("email"):
                emails.setdefault(int(row["user_id"]), []).append(row["email"])
        users.update({u["id"]: u for u in self._batched("users", "ids", emails.keys() - users.keys())})
        for raw in users.values():
            user = user_from_v3(raw)
            extra = tuple(e for e in emails.get(user.id, ()) if e not in user.emails)
            yield user.model_copy(update={"emails": user.emails + extra}) if extra else user

    # --- jobs ------------------------------------------------------------------------------

    def get_job(self, job_id: int, *, team_max_age_s: float = 0) -> Job | None:
        job = self._first("jobs", ids=int(job_id))
        return self._hydrate([job], team_max_age_s)[0] if job else None

    def hiring_team_ids(self, job_id: int) -> set[int] | None:
        # The team's two lists for this job (2 requests), not the job with its openings (4).
        owners, managers, _cached = self._team_rows([int(job_id)], 0)
        ids = {m["user_id"] for m in managers if m.get("user_id")}
        ids |= {m["user_id"] for m in owners if m.get("user_id") and m.get("type") in _OWNER_ROLES}
        if ids:
            return ids
        return set() if self._first("jobs", ids=int(job_id)) is not None else None  # no team, or no job

    def approver_ids(self, job_id: int) -> set[int]:
        # Recruiters and coordinators are job_owners rows (`type`); hiring managers, in
        # job_hiring_managers, approve nothing: one request, not the job's four.
        return {int(m["user_id"]) for m in self._list("job_owners", job_ids=int(job_id))
                if m.get("job_id") == int(job_id) and m.get("user_id") and m.get("type") in _APPROVER_TYPES}

    def with_team(self, job: Job) -> Job:
        # job_owners and job_hiring_managers for this job (2 requests): not the job's fields
        # again, not its openings. Names only decorate (who is told goes by user id): not
        # read, and the job says so.
        owners, managers, _cached = self._team_rows([job.id], 0)
        return job.model_copy(update={"hiring_team": tuple(_team_of(job.id, owners, managers, {})),
                                      "left_out": tuple(dict.fromkeys((*job.left_out, "team names")))})

    def get_job_status(self, job_id: int) -> Job | None:
        # `jobs?ids=N` alone (1 request): openings and team would be 3 more.
        job = self._first("jobs", ids=int(job_id))
        return job_from_v3(job, bare=True) if job else None

    def find_jobs_by_requisition(self, requisition_id: str, *, team_max_age_s: float = 0) -> list[Job]:
        return self._hydrate(list(self._list("jobs", requisition_id=requisition_id)), team_max_age_s)

    def list_openings(self, job_id: int) -> list[Opening]:
        raw = list(self._list("openings", job_ids=int(job_id)))
        # Reason names only decorate (this is read before and after approved writes).
        reasons = optional("close reasons", [], lambda: self._close_reason_names(raw)) or {}
        return [opening_from_v3(o, reasons) for o in raw]

    def iter_jobs_updated_since(self, since: datetime) -> Iterator[Job]:
        # Openings and team are not needed here (see the interface), and department and
        # office names are left out too: resolving them would cost requests per page.
        for job in self._list("jobs", updated_at=f"gte|{iso_utc(since)}"):
            yield job_from_v3(job, bare=True)

    def list_open_jobs(self, member_user_id: int | None = None) -> list[JobListing]:
        # No job embeds its team or openings: a member's jobs come from their hiring-team
        # rows (filter `user_ids`, §4 row 5), then the open ones by `ids` and their open
        # openings by `job_ids` (`open=true`, §4 row 6), 50 jobs a request. Every open job:
        # `jobs?status=open` and every open opening, 500 a page each.
        roles: dict[int, list[Role]] = {}
        if member_user_id is None:
            jobs = [j for j in self._list("jobs", status="open")]
            openings = self._list("openings", open="true")
        else:
            for m in self._list("job_hiring_managers", user_ids=int(member_user_id)):
                if m.get("user_id") == member_user_id and m.get("job_id"):
                    roles.setdefault(int(m["job_id"]), []).append(Role.HIRING_MANAGER)
            for m in self._list("job_owners", user_ids=int(member_user_id)):
                if m.get("user_id") == member_user_id and m.get("job_id") and m.get("type") in _OWNER_ROLES:
                    roles.setdefault(int(m["job_id"]), []).append(_OWNER_ROLES[m["type"]])
            jobs = [j for j in self._batched("jobs", "ids", roles, status="open") if j["id"] in roles]
            openings = self._batched("openings", "job_ids", [j["id"] for j in jobs], open="true")
        jobs = [j for j in jobs if status_of(j) == "open"]
        open_count = Counter(o.get("job_id") for o in openings if o.get("open"))
        return [JobListing(id=j["id"], name=j.get("name") or f"Job {j['id']}", requisition_id=j.get("requisition_id"),
                           confidential=bool(j.get("confidential")), open_openings=open_count[j["id"]],
                           member_roles=tuple(dict.fromkeys(roles.get(j["id"], ()))))
                for j in jobs]

    def iter_open_jobs(self) -> Iterator[Job]:
        # What get_job reads for one job, for every open job: ⌈open jobs/500⌉ for the jobs,
        # then openings, owners and hiring managers 50 jobs a request (decision 0012).
        jobs = [j for j in self._list("jobs", status="open") if status_of(j) == "open"]
        for start in range(0, len(jobs), 50):
            yield from self._hydrate(jobs[start:start + 50])

    def count_active_applications(self, job_ids: Sequence[int]) -> dict[int, int]:
        # `job_ids` takes 50 jobs: ⌈jobs/50⌉ requests, more only past 500 active in a batch.
        wanted = list(dict.fromkeys(int(j) for j in job_ids))
        counts: Counter[int] = Counter({j: 0 for j in wanted})
        for app in self._batched("applications", "job_ids", wanted, status="active"):
            if app.get("prospect") or app.get("status") not in ACTIVE_STATUSES or app.get("job_id") not in counts:
                continue
            counts[app["job_id"]] += 1
        return dict(counts)

    def _hydrate(self, jobs: list[dict[str, Any]], team_max_age_s: float = 0) -> list[Job]:
        """Add what v1 embedded in a job: openings and hiring team (plus department
        and office names), with one batched request per resource for all the jobs."""
        if not jobs:
            return []
        ids = [j["id"] for j in jobs]
        openings = list(self._batched("openings", "job_ids", ids))
        owners, managers, cached = self._team_rows(ids, team_max_age_s)
        user_ids = [m["user_id"] for m in managers + owners if m.get("user_id")]
        # Everything below only decorates the job (names): fetched best-effort, so a
        # refused or failing look-up leaves that part out instead of sinking the view or
        # an approved write. The job, its openings and its team's ids are required.
        left_out: list[str] = []
        users = optional("team names", left_out, lambda: self.decorations.names("users", user_ids, lambda missing: {
            u["id"]: person_name(u) for u in self._batched("users", "ids", missing)})) or {}
        reasons = optional("close reasons", left_out, lambda: self._close_reason_names(openings)) or {}
        # /departments and /offices are ordinary v3 list endpoints (confirmed: docs/harvest-v3-reference.md
        # §2). Read whole, as the close reasons are (an organization has a few dozen; one page of 500),
        # and kept: the first view of any other job in this process pays for none of them.
        dept_ids = [j["department_id"] for j in jobs if j.get("department_id")]
        office_ids = [o for j in jobs for o in j.get("office_ids") or []]
        departments = optional("department", left_out, lambda: self.decorations.names(
            "departments", dept_ids, lambda _missing: self._names_of("departments"))) or {}
        offices = optional("office", left_out, lambda: self.decorations.names(
            "offices", office_ids, lambda _missing: self._names_of("offices"))) or {}

        hydrated = []
        for job in jobs:
            hydrated.append(job_from_v3(
                job,
                openings=[opening_from_v3(o, reasons) for o in openings if o.get("job_id") == job["id"]],
                team=_team_of(job["id"], owners, managers, users),
                departments=[departments[job["department_id"]]] if departments.get(job.get("department_id")) else [],
                offices=[offices[o] for o in job.get("office_ids") or [] if offices.get(o)],
                left_out=left_out,
                team_cached=job["id"] in cached,
            ))
        return hydrated

    def _team_rows(self, ids: list[int], max_age_s: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]], set[int]]:
        """The jobs' job_owners and job_hiring_managers rows, and which jobs' came from a read
        younger than `max_age_s` (0: none, all read now). Rows read now are kept."""
        kept = {i: rows for i in ids if max_age_s > 0 and (rows := self.teams.get(i, max_age_s)) is not None}
        missing = [i for i in ids if i not in kept]
        # job_owners `{job_id, user_id, type, responsible}`, job_hiring_managers `{job_id, user_id}`;
        # no v1 `active` flag. Confirmed: docs/harvest-v3-reference.md §4 row 5.
        owners = list(self._batched("job_owners", "job_ids", missing)) if missing else []
        managers = list(self._batched("job_hiring_managers", "job_ids", missing)) if missing else []
        for i in missing:
            self.teams.put(i, (tuple(o for o in owners if o.get("job_id") == i),
                               tuple(m for m in managers if m.get("job_id") == i)))
        for own, manage in kept.values():
            owners.extend(own)
            managers.extend(manage)
        return owners, managers, set(kept)

    def _close_reason_names(self, openings: list[dict[str, Any]]) -> dict[int, Named]:
        # v3 openings carry `close_reason_id` only; read the list only when it is needed.
        wanted = [o["close_reason_id"] for o in openings if o.get("close_reason_id")]
        if not wanted:
            return {}
        names = self.decorations.names("close_reasons", wanted, lambda _missing: {
            r.id: r.name for r in self.list_close_reasons()})  # the whole list: kept for every job
        return {i: Named(id=i, name=name) for i, name in names.items()}

    # --- candidates and applications -------------------------------------------------------

    def iter_active_applications(self, job_id: int) -> Iterator[ActiveApplication]:
        """Applications come 500 a page; names are read with `candidates?ids=` in
        batches of 50 as soon as 50 new candidates are waiting — never one by one."""
        names: dict[int, str] = {}
        pending: list[dict[str, Any]] = []
        for app in self._list("applications", job_ids=int(job_id), status="active"):
            # `job_ids` filters on the current job and may include prospects; `job_id` and
            # `prospect` are application fields (confirmed: docs/harvest-v3-reference.md §4 row 12).
            if app.get("prospect") or app.get("status") not in ACTIVE_STATUSES:
                continue
            if app.get("job_id") is not None and app["job_id"] != job_id:
                continue
            pending.append(app)
            if len({candidate_id_of(a) for a in pending} - names.keys()) >= IDS_PER_CALL:
                yield from self._named(pending, names)
                pending = []
        yield from self._named(pending, names)

    def iter_active_application_rows(self, job_id: int) -> Iterator[ApplicationRow]:
        for app in self._list("applications", job_ids=int(job_id), status="active"):
            if app.get("prospect") or app.get("status") not in ACTIVE_STATUSES:
                continue
            if app.get("job_id") is not None and app["job_id"] != job_id:
                continue
            yield ApplicationRow(id=app["id"], candidate_id=app["candidate_id"], stage=_stage(app),
                                 last_activity_at=app.get("last_activity_at"))

    def iter_all_active_application_rows(self) -> Iterator[tuple[int, ApplicationRow]]:
        for app in self._list("applications", status="active"):
            change = _change_v3(app)
            if change.active and change.job_id is not None:
                yield change.job_id, change.row

    def iter_applications_changed_since(self, since: datetime) -> Iterator[ApplicationChange]:
        # Every v3 resource has `updated_at` and the `gte|` filter; that a reject or a move
        # updates the application's is assumed. UNCONFIRMED: see docs/harvest-v3-reference.md §2.
        # The mirror's full sweep bounds what it would miss (decision 0012).
        for app in self._list("applications", updated_at=f"gte|{iso_utc(since)}"):
            yield _change_v3(app)

    def candidate_names(self, candidate_ids: Iterable[int]) -> dict[int, str]:
        return {c["id"]: person_name(c) for c in self._batched("candidates", "ids", candidate_ids)}

    def iter_candidate_names_changed_since(self, since: datetime) -> Iterator[tuple[int, str]]:
        for cand in self._list("candidates", updated_at=f"gte|{iso_utc(since)}"):
            yield cand["id"], person_name(cand)

    def _named(self, apps: list[dict[str, Any]], names: dict[int, str]) -> Iterator[ActiveApplication]:
        missing = [c for c in {candidate_id_of(a) for a in apps} if c is not None and c not in names]
        for cand in self._batched("candidates", "ids", missing):
            names[cand["id"]] = person_name(cand)
        for app in apps:
            yield ActiveApplication(
                id=app["id"],
                candidate_id=candidate_id_of(app),
                candidate_name=names.get(candidate_id_of(app) or 0, f"candidate {candidate_id_of(app) or '?'}"),
                stage=_stage(app),
                last_activity_at=app.get("last_activity_at"),
            )

    def list_stages(self, job_id: int) -> list[Stage]:
        # v3 renamed the resource to job_interview_stages and `priority` to `sort_order`
        # (docs/HARVEST_V3.md); `active=true` keeps the current plan, not retired stages.
        stages = [s for s in self._list("job_interview_stages", job_ids=int(job_id), active="true")
                  if s.get("name") and s.get("id")]
        ordered = sorted(stages, key=lambda s: (s.get("sort_order") is None, s.get("sort_order") or 0))
        return [Stage(id=s["id"], name=s["name"]) for s in ordered]

    def stage_orders(self, job_ids: Sequence[int]) -> dict[int, list[str]]:
        # The same read as list_stages, `job_ids` holding up to 50 jobs (a parent-id array:
        # docs/harvest-v3-reference.md §2): 200 open jobs' orders in 4 requests.
        stages: dict[int, list[dict[str, Any]]] = {}
        for s in self._batched("job_interview_stages", "job_ids", job_ids, active="true"):
            if s.get("name") and s.get("id") and s.get("job_id"):
                stages.setdefault(int(s["job_id"]), []).append(s)
        return {job_id: [s["name"] for s in sorted(rows, key=lambda s: (s.get("sort_order") is None,
                                                                        s.get("sort_order") or 0))]
                for job_id, rows in stages.items()}

    def get_application(self, application_id: int, *, names: bool = True) -> Application | None:
        app = self._first("applications", ids=int(application_id))
        if not app:
            return None
        # The candidate's and the job's names only decorate: best-effort.
        candidate_id = candidate_id_of(app)
        cand = optional("candidate name", [], lambda: self._first("candidates", ids=candidate_id)) \
            if candidate_id and names else None
        job = optional("job name", [], lambda: self._first("jobs", ids=int(app["job_id"]))) \
            if app.get("job_id") and names else None
        status = status_of(app)
        return Application(
            id=app["id"],
            candidate_id=candidate_id,
            candidate_name=person_name(cand) if cand else f"candidate {candidate_id or '?'}",
            status="active" if status in ACTIVE_STATUSES else status,
            prospect=bool(app.get("prospect")),
            job_id=app.get("job_id"),
            job_name=(job or {}).get("name"),
            stage=_stage(app),
            # The application's `stage_id` names an application-stage record, not the job's
            # interview stage (docs/harvest-v3-reference.md §4 row 12): left unknown, so a move
            # finds the current stage among the job's stages by `stage_name`.
            stage_id=None,
            last_activity_at=app.get("last_activity_at"),
        )

    # --- reference lists -------------------------------------------------------------------

    def _names_of(self, resource: str) -> dict[int, str]:
        """A whole reference list (departments, offices) as id → name."""
        return {item["id"]: item["name"] for item in self._list(resource) if item.get("name")}

    def read_ahead_decorations(self) -> None:
        # Departments and offices: two requests at start instead of two in the first job
        # view (docs/decisions/0006-v3-decoration-cache.md). Close reasons come with the
        # start-up check (bot/readiness.py), which keeps them (list_close_reasons).
        # Each list on its own: one refused or failing leaves that one to the first view.
        failed: GreenhouseError | None = None
        for kind in ("departments", "offices"):
            try:
                self.decorations.remember(kind, self._names_of(kind))
            except GreenhouseError as error:
                failed = error
        if failed is not None:
            raise failed

    def list_close_reasons(self) -> list[Named]:
        reasons = [Named(id=r["id"], name=r["name"]) for r in self._list("close_reasons")]
        # Whoever reads the list — the start-up check (bot/readiness.py), a close draft's reason
        # picker — also names closed openings for the job views that follow: no read of their own.
        self.decorations.remember("close_reasons", {r.id: r.name for r in reasons})
        return reasons

    def list_rejection_reasons(self) -> list[RejectionReason]:
        # `include_defaults` exists on v3 too (confirmed: docs/harvest-v3-reference.md §4 row 9).
        return [
            RejectionReason(id=r["id"], name=r["name"], type_name=(r.get("type") or {}).get("name"))
            for r in self._list("rejection_reasons", include_defaults="true")
        ]

    def list_rejection_email_templates(self) -> list[EmailTemplate]:
        # The filter is `email_type` (confirmed: docs/harvest-v3-reference.md §4 row 10); the
        # type is still checked here, so a filter Greenhouse ignored would cost pages, not correctness.
        return [
            EmailTemplate(id=t["id"], name=t["name"])
            for t in self._list("email_templates", email_type="candidate_rejection")
            if t.get("email_type") == "candidate_rejection" and t.get("user_id") is None
        ]

    # --- writes (token minted with sub = acting user) ---------------------------------------

    def close_opening(
        self, job_id: int, opening_id: int, close_reason_id: int | None, *, acting_user_id: int,
        before_send: BeforeSend | None = None,
    ) -> None:
        # v3 addresses an opening by its own id; the job follows automatically (§4 row 7).
        # UNCONFIRMED: see docs/harvest-v3-reference.md §4 row 7 (the body: two v3 clients send
        # `status: "closed"`, the read side says `open`; no copy of the reference page found).
        self.t.write("PATCH", f"openings/{int(opening_id)}", json=close_opening_body(close_reason_id),
                     acting_user_id=acting_user_id, before_send=before_send)

    def reject_application(
        self,
        application_id: int,
        *,
        rejection_reason_id: int | None,
        notes: str | None,
        email_template_id: int | None,
        acting_user_id: int,
        before_send: BeforeSend | None = None,
    ) -> None:
        if rejection_reason_id is None:
            # Greenhouse would answer 422; say it before sending anything.
            raise ValidationFailed("a rejection reason is required to reject an application in Harvest v3")
        # The same fields as v1, `rejection_email.email_template_id` included (confirmed:
        # docs/harvest-v3-reference.md §4 row 14).
        body = reject_body(rejection_reason_id, notes, email_template_id)
        # 204 No Content (confirmed): there is no application in the answer; callers re-read.
        # A non-active application is expected to answer 422 (→ ValidationFailed).
        # UNCONFIRMED: see docs/harvest-v3-reference.md §4 row 14 (the page lists a generic 422)
        self.t.write("POST", f"applications/{int(application_id)}/reject", json=body, acting_user_id=acting_user_id,
                     before_send=before_send)

    def unreject_application(
        self, application_id: int, acting_user_id: int, before_send: BeforeSend | None = None
    ) -> None:
        # Scope harvest:applications:unreject; the endpoint has no body properties, so `{}`
        # (confirmed secondhand). Any 2xx is success; the code (204 like reject?) is
        # UNCONFIRMED: see docs/harvest-v3-reference.md §4 row 15. Callers re-read the application.
        self.t.write("POST", f"applications/{int(application_id)}/unreject", json={}, acting_user_id=acting_user_id,
                     before_send=before_send)

    def move_application(
        self, application_id: int, from_stage_id: int, to_stage_id: int, acting_user_id: int,
        before_send: BeforeSend | None = None,
    ) -> None:
        # Scope harvest:applications:move; `from_stage_id` required, `to_stage_id` within the
        # job; answers 204, so callers re-read (docs/harvest-v3-reference.md §4 row 17).
        # Both ids are the job's interview-stage ids, as on v1. UNCONFIRMED: see
        # docs/harvest-v3-reference.md §4 row 17 (clients disagree whether `from_stage_id`
        # takes the job_interview_stage id or the application-stage id). A stale or wrong
        # `from_stage_id` is refused by Greenhouse (422), never a wrong move.
        self.t.write("POST", f"applications/{int(application_id)}/move", json=move_body(from_stage_id, to_stage_id),
                     acting_user_id=acting_user_id, before_send=before_send)


# --- wire → model ------------------------------------------------------------------------------


def _with_query(resource: str, params: dict[str, Any]) -> str:
    """The query string built by hand: `,` in id lists and `|` in date filters stay
    literal (httpx would send %2C and %7C); everything else is percent-encoded, colons in
    timestamps too — exactly what Greenhouse's own examples send (confirmed:
    docs/harvest-v3-reference.md §2). Whether %7C would also be accepted is untested and unneeded."""
    return resource + "?" + "&".join(f"{k}={quote(str(v), safe=',|')}" for k, v in params.items())


def _change_v3(app: dict[str, Any]) -> ApplicationChange:
    return ApplicationChange(
        job_id=app.get("job_id"),
        active=app.get("status") in ACTIVE_STATUSES and not app.get("prospect"),
        row=ApplicationRow(id=app["id"], candidate_id=app["candidate_id"], stage=_stage(app),
                           last_activity_at=app.get("last_activity_at")),
    )


def _stage(app: dict[str, Any]) -> str | None:
    # `stage_name` is the current interview stage's display name (confirmed:
    # docs/harvest-v3-reference.md §4 row 12); null for prospects and closed applications,
    # and then the stage stays unknown (shown as "No stage").
    # The documented alternative, /application_stages?application_ids=…&current=true then
    # /job_interview_stages?ids=…, would cost 2 more requests per 50 applications.
    return app.get("stage_name") or None


def user_from_v3(d: dict[str, Any]) -> GreenhouseUser:
    # v3 names: `deactivated`, `primary_email`, `emails[]` (confirmed: docs/harvest-v3-reference.md §2).
    return GreenhouseUser(
        id=d["id"],
        name=person_name(d),
        primary_email=d.get("primary_email"),
        emails=tuple(e for e in d.get("emails") or () if isinstance(e, str)),
        disabled=bool(d.get("deactivated")),
        site_admin=bool(d.get("site_admin")),
    )


def opening_from_v3(d: dict[str, Any], reasons: dict[int, Named]) -> Opening:
    # `open` (bool) and `close_reason_id` (confirmed: docs/harvest-v3-reference.md §4 row 6).
    reason_id = d.get("close_reason_id")
    return Opening(
        id=d["id"],
        opening_id=d.get("opening_id"),
        status="open" if d.get("open") else "closed",
        opened_at=d.get("opened_at"),
        closed_at=d.get("closed_at"),
        close_reason=reasons.get(reason_id) if reason_id else None,
        application_id=d.get("application_id"),
    )


def _team_of(job_id: int, owners: list[dict[str, Any]], managers: list[dict[str, Any]],
             names: dict[int, str]) -> list[TeamMember]:
    """The job's hiring team from its job_hiring_managers and job_owners rows (whose `type`
    is the role); a user whose name is not in `names` is called by id."""
    return [
        TeamMember(user_id=m["user_id"], name=names.get(m["user_id"], f"#{m['user_id']}"), role=Role.HIRING_MANAGER)
        for m in managers if m.get("job_id") == job_id and m.get("user_id")
    ] + [
        TeamMember(user_id=m["user_id"], name=names.get(m["user_id"], f"#{m['user_id']}"),
                   role=_OWNER_ROLES[m["type"]], responsible=bool(m.get("responsible")))
        for m in owners if m.get("job_id") == job_id and m.get("user_id") and m.get("type") in _OWNER_ROLES
    ]


def job_from_v3(
    d: dict[str, Any],
    *,
    openings: list[Opening] | None = None,
    team: list[TeamMember] | None = None,
    departments: list[str] | None = None,
    offices: list[str] | None = None,
    left_out: list[str] | None = None,
    team_cached: bool = False,
    bare: bool = False,
) -> Job:
    # `department_id` (one) and `office_ids[]` (confirmed: docs/harvest-v3-reference.md §4 row 3).
    return Job(
        id=d["id"],
        name=d.get("name") or f"Job {d['id']}",
        status=status_of(d),
        requisition_id=d.get("requisition_id"),
        confidential=bool(d.get("confidential")),
        opened_at=d.get("opened_at"),
        closed_at=d.get("closed_at"),
        updated_at=d.get("updated_at"),
        departments=tuple(departments or ()),
        offices=tuple(offices or ()),
        openings=tuple(openings or ()),
        hiring_team=tuple(team or ()),
        left_out=tuple(left_out or ()),
        team_cached=team_cached,
        bare=bare,
    )
