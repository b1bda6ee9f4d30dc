"""Harvest v1: Basic auth with the API key, `On-Behalf-Of` on writes, page-numbered `Link` paging.

v1 embeds a job's openings and hiring team in the job, and a candidate's
applications (with current stage) in the candidate, so a job view costs one job
request plus one request per 500 candidates.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

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
    JobWalk,
    Named,
    Opening,
    RejectionReason,
    Role,
    Stage,
    TeamMember,
)
from .wire import (
    candidate_id_of, close_opening_body, iso_utc, move_body, optional, person_name, reject_body, status_of,
)

PER_PAGE = 500
IDS_PER_CALL = 50  # List Candidates: `candidate_ids` takes at most 50


class V1Auth:
    def __init__(self, api_key: str) -> None:
        token = base64.b64encode(f"{api_key}:".encode()).decode()
        self._basic = f"Basic {token}"

    def headers(self, acting_user_id: int | None) -> dict[str, str]:
        headers = {"Authorization": self._basic}
        if acting_user_id is not None:
            headers["On-Behalf-Of"] = str(acting_user_id)
        return headers

    def refresh(self, acting_user_id: int | None) -> bool:
        return False  # an API key cannot be refreshed

    def __repr__(self) -> str:  # never show the key
        return "V1Auth(<redacted>)"


class HarvestV1(HarvestOverHttp):
    version = "v1"

    @property
    def rejection_reason_required(self) -> bool:
        return False

    # users ------------------------------------------------------------------------------
    def find_user_by_email(self, email: str) -> GreenhouseUser | None:
        # v1 matches primary and secondary emails.
        users = self.t.get("users", {"email": email})
        return user_from_v1(users[0]) if users else None

    def get_user(self, user_id: int) -> GreenhouseUser | None:
        body = self.t.get_or_none(f"users/{int(user_id)}")
        return user_from_v1(body) if body else None

    def list_users(self, updated_after: datetime | None = None) -> Iterator[GreenhouseUser]:
        # v1 users carry `emails[]` (primary and secondary): one list walk has everything.
        params: dict[str, Any] = {"per_page": PER_PAGE}
        if updated_after is not None:
            params["updated_after"] = iso_utc(updated_after)
        for body in self.t.paginate("users", params):
            yield user_from_v1(body)

    # jobs -------------------------------------------------------------------------------
    def get_job(self, job_id: int, *, team_max_age_s: float = 0) -> Job | None:
        # The team comes embedded with the job: nothing to reuse.
        body = self.t.get_or_none(f"jobs/{int(job_id)}")
        return job_from_v1(body) if body else None

    def find_jobs_by_requisition(self, requisition_id: str, *, team_max_age_s: float = 0) -> list[Job]:
        return [job_from_v1(j) for j in self.t.paginate("jobs", {"requisition_id": requisition_id, "per_page": PER_PAGE})]

    def list_openings(self, job_id: int) -> list[Opening]:
        return [opening_from_v1(o) for o in self.t.paginate(f"jobs/{int(job_id)}/openings", {"per_page": PER_PAGE})]

    def iter_jobs_updated_since(self, since: datetime) -> Iterator[Job]:
        params = {"updated_after": iso_utc(since), "per_page": PER_PAGE}
        for body in self.t.paginate("jobs", params):
            yield job_from_v1(body)

    def list_open_jobs(self, member_user_id: int | None = None) -> list[JobListing]:
        # v1 cannot filter jobs by team member: the team comes embedded, so one walk of the
        # open jobs (500 a page) is filtered here.
        listed = []
        for body in self.t.paginate("jobs", {"status": "open", "per_page": PER_PAGE}):
            job = job_from_v1(body)
            if job.status != "open":
                continue
            roles = tuple(dict.fromkeys(m.role for m in job.hiring_team if m.user_id == member_user_id))
            if member_user_id is not None and not roles:
                continue
            listed.append(JobListing(id=job.id, name=job.name, requisition_id=job.requisition_id,
                                     confidential=job.confidential, open_openings=len(job.open_openings),
                                     member_roles=roles, team=tuple((m.user_id, m.role) for m in job.hiring_team)))
        return listed

    lists_jobs_with_team = True

    def iter_open_jobs(self) -> Iterator[Job]:
        for body in self.t.paginate("jobs", {"status": "open", "per_page": PER_PAGE}):
            job = job_from_v1(body)
            if job.status == "open":
                yield job

    def count_active_applications(self, job_ids: Sequence[int]) -> dict[int, int]:
        # v1 filters applications by one `job_id` only. So: one company-wide walk of the active
        # applications when it takes no more pages than there are jobs asked for (the first
        # page's `rel="last"` says how many), else one walk per job. Cost: at most
        # min(⌈company's active/500⌉, 1 + Σ⌈job's active/500⌉).
        wanted = list(dict.fromkeys(int(j) for j in job_ids))
        if not wanted:
            return {}
        counts: Counter[int] = Counter({j: 0 for j in wanted})
        company_wide = True

        def worth_it(pages: int | None) -> bool:
            nonlocal company_wide
            company_wide = pages is not None and pages <= len(wanted)
            return company_wide

        for app in self.t.paginate("applications", {"status": "active", "per_page": PER_PAGE}, pages=worth_it):
            if app.get("status") == "active" and not app.get("prospect"):
                counts.update({j["id"] for j in app.get("jobs") or [] if j and j.get("id")})
        if not company_wide:
            for job_id in wanted:
                counts[job_id] = sum(1 for _ in self.iter_active_application_rows(job_id))
        return dict(counts)

    def list_stages(self, job_id: int) -> list[Stage]:
        # `priority` orders the plan (0 first); `active: false` marks a deleted stage.
        stages = [s for s in self.t.paginate(f"jobs/{int(job_id)}/stages", {"per_page": PER_PAGE})
                  if s.get("active") is not False and s.get("name") and s.get("id")]
        ordered = sorted(stages, key=lambda s: (s.get("priority") is None, s.get("priority") or 0))
        return [Stage(id=s["id"], name=s["name"]) for s in ordered]

    # candidates and applications ---------------------------------------------------------
    def iter_active_applications(self, job_id: int) -> Iterator[ActiveApplication]:
        yield from self.walk_job_candidates(job_id).applications

    walks_job_candidates = True

    def walk_job_candidates(self, job_id: int) -> JobWalk:
        # /candidates?job_id= embeds each candidate's applications (all jobs), so
        # names and stages come in the same pages: nothing is fetched per candidate.
        # It pages through the job's whole history, though (rejected and hired too).
        apps: list[ActiveApplication] = []
        seen = 0
        for cand in self.t.paginate("candidates", {"job_id": int(job_id), "per_page": PER_PAGE}):
            seen += 1
            name = person_name(cand)
            for app in cand.get("applications") or []:
                if app.get("status") != "active" or app.get("prospect"):
                    continue
                if not any((j or {}).get("id") == job_id for j in app.get("jobs") or []):
                    continue
                apps.append(ActiveApplication(
                    id=app["id"],
                    candidate_id=cand["id"],
                    candidate_name=name,
                    stage=(app.get("current_stage") or {}).get("name"),
                    last_activity_at=app.get("last_activity_at") or cand.get("last_activity"),
                ))
        return JobWalk(applications=tuple(apps), candidates_seen=seen)

    def iter_active_application_rows(self, job_id: int) -> Iterator[ApplicationRow]:
        # /applications?job_id= includes prospects (unlike /candidates?job_id=): skip them.
        params = {"job_id": int(job_id), "status": "active", "per_page": PER_PAGE}
        for app in self.t.paginate("applications", params):
            if app.get("status") != "active" or app.get("prospect"):
                continue
            if not any((j or {}).get("id") == job_id for j in app.get("jobs") or []):
                continue
            yield ApplicationRow(
                id=app["id"],
                candidate_id=app["candidate_id"],
                stage=(app.get("current_stage") or {}).get("name"),
                last_activity_at=app.get("last_activity_at"),
            )

    def iter_all_active_application_rows(self) -> Iterator[tuple[int, ApplicationRow]]:
        for app in self.t.paginate("applications", {"status": "active", "per_page": PER_PAGE}):
            change = _change_v1(app)
            if change.active and change.job_id is not None:
                yield change.job_id, change.row

    def iter_applications_changed_since(self, since: datetime) -> Iterator[ApplicationChange]:
        # v1 lists changed applications only by `last_activity_after` (a reject, a move, a
        # hire are activity; the mirror's full sweep bounds what would not be: decision 0012).
        params = {"last_activity_after": iso_utc(since), "per_page": PER_PAGE}
        for app in self.t.paginate("applications", params):
            yield _change_v1(app)

    def candidate_names(self, candidate_ids: Iterable[int]) -> dict[int, str]:
        unique = list(dict.fromkeys(int(c) for c in candidate_ids))
        names: dict[int, str] = {}
        for start in range(0, len(unique), IDS_PER_CALL):
            batch = ",".join(str(c) for c in unique[start : start + IDS_PER_CALL])
            for cand in self.t.paginate("candidates", {"candidate_ids": batch, "per_page": PER_PAGE}):
                names[cand["id"]] = person_name(cand)
        return names

    def iter_candidate_names_changed_since(self, since: datetime) -> Iterator[tuple[int, str]]:
        for cand in self.t.paginate("candidates", {"updated_after": iso_utc(since), "per_page": PER_PAGE}):
            yield cand["id"], person_name(cand)

    def get_application(self, application_id: int, *, names: bool = True) -> Application | None:
        app = self.t.get_or_none(f"applications/{int(application_id)}")
        if not app:
            return None
        # The candidate's name only decorates (the reject draft, the audit): best-effort.
        candidate_id = candidate_id_of(app)
        cand = (optional("candidate name", [], lambda: self.t.get_or_none(f"candidates/{candidate_id}")) or {}) \
            if candidate_id and names else {}
        job = (app.get("jobs") or [{}])[0] or {}
        return Application(
            id=app["id"],
            candidate_id=candidate_id,
            candidate_name=person_name(cand) if cand else f"candidate {candidate_id or '?'}",
            status=status_of(app),
            prospect=bool(app.get("prospect")),
            job_id=job.get("id"),
            job_name=job.get("name"),
            stage=(app.get("current_stage") or {}).get("name"),
            stage_id=(app.get("current_stage") or {}).get("id"),
            last_activity_at=app.get("last_activity_at"),
        )

    # reference lists ---------------------------------------------------------------------
    def list_close_reasons(self) -> list[Named]:
        return [Named(id=r["id"], name=r["name"]) for r in self.t.paginate("close_reasons", {"per_page": PER_PAGE})]

    def list_rejection_reasons(self) -> list[RejectionReason]:
        params = {"include_defaults": "true", "per_page": PER_PAGE}
        return [
            RejectionReason(id=r["id"], name=r["name"], type_name=(r.get("type") or {}).get("name"))
            for r in self.t.paginate("rejection_reasons", params)
        ]

    def list_rejection_email_templates(self) -> list[EmailTemplate]:
        return [
            EmailTemplate(id=t["id"], name=t["name"])
            for t in self.t.paginate("email_templates", {"per_page": PER_PAGE})
            if t.get("type") == "candidate_rejection" and t.get("user") is None
        ]

    # writes -------------------------------------------------------------------------------
    def close_opening(
        self, job_id: int, opening_id: int, close_reason_id: int | None, *, acting_user_id: int,
        before_send: BeforeSend | None = None,
    ) -> None:
        body = close_opening_body(close_reason_id)
        self.t.write("PATCH", f"jobs/{int(job_id)}/openings/{int(opening_id)}", json=body, acting_user_id=acting_user_id, before_send=before_send)

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
        body = reject_body(rejection_reason_id, notes, email_template_id)
        self.t.write("POST", f"applications/{int(application_id)}/reject", json=body, acting_user_id=acting_user_id, before_send=before_send)

    def unreject_application(
        self, application_id: int, acting_user_id: int, before_send: BeforeSend | None = None
    ) -> None:
        # The documented body is an empty object; a non-rejected application answers 422
        # "Application must be 'rejected', is currently '…'" (docs/HARVEST_V3.md §4 row 15).
        self.t.write("POST", f"applications/{int(application_id)}/unreject", json={}, acting_user_id=acting_user_id,
                     before_send=before_send)

    def move_application(
        self, application_id: int, from_stage_id: int, to_stage_id: int, acting_user_id: int,
        before_send: BeforeSend | None = None,
    ) -> None:
        # "Move Application (Same Job)": both ids required; only active applications move
        # (docs/harvest-applications-move.md). The answer is the moved application; callers re-read.
        self.t.write("POST", f"applications/{int(application_id)}/move", json=move_body(from_stage_id, to_stage_id),
                     acting_user_id=acting_user_id, before_send=before_send)


# --- wire → model --------------------------------------------------------------------------


def user_from_v1(d: dict[str, Any]) -> GreenhouseUser:
    return GreenhouseUser(
        id=d["id"],
        name=person_name(d),
        primary_email=d.get("primary_email_address"),
        emails=tuple(d.get("emails") or ()),
        disabled=bool(d.get("disabled")),
        site_admin=bool(d.get("site_admin")),
    )


def opening_from_v1(d: dict[str, Any]) -> Opening:
    reason = d.get("close_reason")
    return Opening(
        id=d["id"],
        opening_id=d.get("opening_id"),
        status=status_of(d),
        opened_at=d.get("opened_at"),
        closed_at=d.get("closed_at"),
        close_reason=Named(id=reason["id"], name=reason["name"]) if reason else None,
        application_id=d.get("application_id"),
    )


_TEAM_KEYS = {
    "hiring_managers": Role.HIRING_MANAGER,
    "recruiters": Role.RECRUITER,
    "coordinators": Role.COORDINATOR,
    "sourcers": Role.SOURCER,
}


def _change_v1(app: dict[str, Any]) -> ApplicationChange:
    jobs = [j["id"] for j in app.get("jobs") or [] if j and j.get("id")]
    return ApplicationChange(
        job_id=jobs[0] if jobs else None,
        active=app.get("status") == "active" and not app.get("prospect"),
        row=ApplicationRow(id=app["id"], candidate_id=app["candidate_id"],
                           stage=(app.get("current_stage") or {}).get("name"),
                           last_activity_at=app.get("last_activity_at")),
    )


def job_from_v1(d: dict[str, Any]) -> Job:
    team = d.get("hiring_team") or {}
    members = [
        TeamMember(
            # The job object names members by `id`; web hook payloads by `user_id`.
            user_id=m.get("id") or m.get("user_id"),
            name=person_name(m),
            role=role,
            responsible=bool(m.get("responsible")),
        )
        for key, role in _TEAM_KEYS.items()
        for m in team.get(key) or []
        if (m.get("id") or m.get("user_id"))
    ]
    return Job(
        id=d["id"],
        name=d.get("name") or f"Job {d['id']}",
        status=status_of(d),
        requisition_id=d.get("requisition_id"),
        confidential=bool(d.get("confidential")),
        opened_at=d.get("opened_at"),
        closed_at=d.get("closed_at"),
        updated_at=d.get("updated_at"),
        departments=tuple(x["name"] for x in d.get("departments") or [] if x and x.get("name")),
        offices=tuple(x["name"] for x in d.get("offices") or [] if x and x.get("name")),
        openings=tuple(opening_from_v1(o) for o in d.get("openings") or []),
        hiring_team=tuple(members),
    )
