"""The bot's view of Greenhouse objects, the same whichever Harvest version filled them.

Each backend maps its wire format onto these; workflows only ever see these.
Unknown fields are ignored so that Greenhouse adding fields never breaks us.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


# A status Greenhouse did not send: said as such, never guessed ("open" would offer a closed
# job's openings for closing; "closed" would announce a closing that did not happen).
UNKNOWN_STATUS = "unknown"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Named(_Model):
    id: int
    name: str


class GreenhouseUser(_Model):
    id: int
    name: str
    # Greenhouse's own name for it; `primary_email` (how records stored before were spelt) is read too.
    primary_email_address: str | None = Field(
        default=None, validation_alias=AliasChoices("primary_email_address", "primary_email"))
    emails: tuple[str, ...] = ()
    disabled: bool = False
    site_admin: bool = False

    @property
    def primary_email(self) -> str | None:
        return self.primary_email_address

    def all_emails(self) -> list[str]:
        seen: list[str] = []
        for email in (self.primary_email_address, *self.emails):
            if email and email.lower() not in (e.lower() for e in seen):
                seen.append(email)
        return seen


class Role(StrEnum):
    HIRING_MANAGER = "hiring_manager"
    RECRUITER = "recruiter"
    COORDINATOR = "coordinator"
    SOURCER = "sourcer"


class TeamMember(_Model):
    user_id: int
    name: str
    role: Role
    responsible: bool = False


class Opening(_Model):
    id: int
    opening_id: str | None = None
    status: str  # "open" | "closed"
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    close_reason: Named | None = None
    application_id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class Job(_Model):
    id: int
    name: str
    status: str  # "open" | "closed" | "draft"
    requisition_id: str | None = None
    confidential: bool = False
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    departments: tuple[str, ...] = ()
    offices: tuple[str, ...] = ()
    openings: tuple[Opening, ...] = ()
    hiring_team: tuple[TeamMember, ...] = ()
    # Decorations Greenhouse would not give this time ("department", "team names", …):
    # the view says so instead of failing.
    left_out: tuple[str, ...] = ()
    # The hiring team was not read now but reused from a read at most `team_max_age_s` old
    # (v3, the job view only: Harvest.get_job).
    team_cached: bool = False
    # Only the job's own fields (status, closed_at, name…) were read: no openings — not "none" —
    # and no hiring team unless Harvest.with_team added it since. v3 pays a request for each of
    # those (Harvest.get_job_status, and the poller's list of changed jobs); whoever needs the
    # openings reads the job whole (get_job).
    bare: bool = False

    @property
    def open_openings(self) -> list[Opening]:
        return [o for o in self.openings if o.is_open]

    def team_user_ids(self, *roles: Role) -> set[int]:
        return {m.user_id for m in self.hiring_team if not roles or m.role in roles}

    def approver_user_ids(self) -> set[int]:
        """Recruiters and coordinators approve requests about this job."""
        return self.team_user_ids(Role.RECRUITER, Role.COORDINATOR)


class JobListing(_Model):
    """An open job as a list of jobs shows it (the App Home's *Your jobs*): a line, not a view."""

    id: int
    name: str
    requisition_id: str | None = None
    confidential: bool = False
    open_openings: int = 0
    # The roles on the hiring team of the member the list was asked for (empty: listing every job).
    member_roles: tuple[Role, ...] = ()
    # (user id, role) of the whole hiring team, when the list call gives it (v1 embeds the
    # team: see `Harvest.lists_jobs_with_team`); empty otherwise.
    team: tuple[tuple[int, Role], ...] = ()


class ActiveApplication(_Model):
    """One active application on a job, with what the job view shows."""

    id: int
    candidate_id: int | None
    candidate_name: str
    stage: str | None = None
    last_activity_at: datetime | None = None


class ApplicationRow(_Model):
    """An active application on a job as the applications list gives it: no candidate name."""

    id: int
    candidate_id: int
    stage: str | None = None
    last_activity_at: datetime | None = None


class ApplicationChange(_Model):
    """An application as a list of changed applications gives it (the Harvest mirror,
    bot/workflows/harvest_mirror.py): where it is and whether it still belongs there."""

    job_id: int | None  # the job it is on (v1: the first of `jobs[]`); None: none
    active: bool  # active and not a prospect: it belongs in its job's active list
    row: ApplicationRow


class JobWalk(_Model):
    """One walk of all of a job's candidates (v1 `/candidates?job_id=`)."""

    applications: tuple[ActiveApplication, ...]
    candidates_seen: int


class Stage(_Model):
    """One stage of a job's interview plan (v1 job stage, v3 job_interview_stage)."""

    id: int
    name: str


class Application(_Model):
    id: int
    candidate_id: int | None  # None: Greenhouse named no candidate (neither candidate_id nor person_id)
    candidate_name: str
    status: str  # "active" | "rejected" | "hired" | "converted"
    prospect: bool = False
    job_id: int | None = None
    job_name: str | None = None
    stage: str | None = None
    # The current stage's job-stage id, what a move's `from_stage_id` names (v1
    # `current_stage.id`); None when the backend cannot tell it (v3: match `stage` by name).
    stage_id: int | None = None
    last_activity_at: datetime | None = None


class RejectionReason(_Model):
    id: int
    name: str
    type_name: str | None = None


class EmailTemplate(_Model):
    id: int
    name: str
