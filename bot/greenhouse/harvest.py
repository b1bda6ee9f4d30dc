"""The one interface the workflows use, whichever Harvest version is behind it.

Reads return the version-neutral models of `models.py`. Every write names the
Greenhouse user it acts for: `On-Behalf-Of` in v1, the token's `sub` in v3.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .transport import HarvestTransport

from .models import (
    ActiveApplication, Application, ApplicationChange, ApplicationRow, EmailTemplate, GreenhouseUser, Job, JobListing, JobWalk, Named,
    Opening, RejectionReason, Stage,
)

BeforeSend = Callable[[], None]


class Harvest(ABC):
    version: str

    # users
    @abstractmethod
    def find_user_by_email(self, email: str) -> GreenhouseUser | None: ...

    @abstractmethod
    def get_user(self, user_id: int) -> GreenhouseUser | None: ...

    @abstractmethod
    def list_users(self, updated_after: datetime | None = None) -> Iterator[GreenhouseUser]:
        """Every user, disabled ones included, with all their email addresses, in pages of
        500; only those changed at or after `updated_after` when given (the user directory)."""

    # jobs
    @abstractmethod
    def get_job(self, job_id: int, *, team_max_age_s: float = 0) -> Job | None:
        """The job with its openings and hiring team, or None if there is no such job.
        `team_max_age_s` > 0 (the job view only): a hiring team this process read less
        than that long ago may stand in for a read now — v3 pays two requests for a team
        (v1 embeds it: always read with the job); a job whose team came so says
        `team_cached` (docs/decisions/0006-v3-decoration-cache.md, "Revisited")."""

    def hiring_team_ids(self, job_id: int) -> set[int] | None:
        """The user ids of the job's hiring team, read now; None if there is no such job.
        What the job view asks when a hiring team it kept refuses someone (they may have
        just been added): v1 reads the job (the team is embedded), v3 the team alone."""
        job = self.get_job(job_id)
        return job.team_user_ids() if job is not None else None

    def approver_ids(self, job_id: int) -> set[int]:
        """The user ids of the job's recruiters and coordinators (who approve its requests),
        read now, never from a copy: someone taken off the job since cannot approve. Empty
        when the job has none or does not exist. v1 reads the job (the team is embedded, 1
        request); v3 its `job_owners` alone (1 request, not the job's 4)."""
        job = self.get_job(job_id)
        return job.approver_user_ids() if job is not None else set()

    def with_team(self, job: Job) -> Job:
        """The job as read (its own fields, not read again), with its hiring team read now,
        roles and all. For a bare job whose openings are not needed: the announcement of the
        bot's own approved close, whose cause is its request and which only needs who to tell
        (bot/workflows/autoclose.py). Its openings stay as they were (a bare job's: not read;
        it stays `bare`). v1 reads the job (the team is embedded, 1 request; but v1's status
        read is whole, never bare, so v1 does not come here); v3 the team alone (2 requests)."""
        whole = self.get_job(job.id)
        return job.model_copy(update={"hiring_team": whole.hiring_team if whole is not None else ()})

    def get_job_status(self, job_id: int) -> Job | None:
        """The job read now for its own fields (status, closed_at, name); None if there is
        no such job. A backend that pays extra requests for openings and team leaves them out
        and says so (`Job.bare`: v3, 1 request); v1 gives the whole job (1 request)."""
        return self.get_job(job_id)

    @abstractmethod
    def find_jobs_by_requisition(self, requisition_id: str, *, team_max_age_s: float = 0) -> list[Job]: ...

    @abstractmethod
    def list_openings(self, job_id: int) -> list[Opening]:
        """All of a job's openings, read fresh (used before and after writes)."""

    @abstractmethod
    def iter_jobs_updated_since(self, since: datetime) -> Iterator[Job]:
        """Jobs changed at or after `since`: the job's own fields; a backend that would pay
        extra for openings and team leaves them out (`Job.bare`, v3)."""

    @abstractmethod
    def list_open_jobs(self, member_user_id: int | None = None) -> list[JobListing]:
        """Open jobs with their count of open openings, list calls only: every open job, or
        only those whose hiring team has `member_user_id` (any role), with that member's
        roles. v1: one walk of `jobs?status=open`, 500 a page (openings and team come
        embedded); v3: the member's `job_owners` and `job_hiring_managers` rows, then
        `jobs` and open `openings` by `job_ids`, 50 jobs a request."""

    @abstractmethod
    def iter_open_jobs(self) -> Iterator[Job]:
        """Every open job as `get_job` gives it (openings and hiring team), list calls only —
        the Harvest mirror's jobs (bot/workflows/harvest_mirror.py). v1: `jobs?status=open`,
        500 a page, all embedded; v3: `jobs?status=open`, then openings, job_owners and
        job_hiring_managers by `job_ids`, 50 jobs a request."""

    # v1's list of every open job embeds each job's hiring team (`JobListing.team`): one list
    # then serves every member's *Your jobs*, filtered here, instead of a list per member.
    lists_jobs_with_team: bool = False

    @abstractmethod
    def count_active_applications(self, job_ids: Sequence[int]) -> dict[int, int]:
        """Active (non-prospect) applications per job, 500 a page, never a request per
        application. Every asked job is in the answer (0 if it has none); the answer may
        hold other jobs too (v1 lists applications by one job or company-wide: see v1.py)."""

    def list_job_stages(self, job_id: int) -> list[str]:
        """The names of the job's current interview stages, in its pipeline order (first
        stage first). A backend that cannot tell returns [] (the view then sorts by name)."""
        return [s.name for s in self.list_stages(job_id)]

    def list_stages(self, job_id: int) -> list[Stage]:
        """The job's current interview stages with their ids, in pipeline order (what a
        move's `to_stage_id` names); [] when the backend cannot tell."""
        return []

    def stage_orders(self, job_ids: Sequence[int]) -> dict[int, list[str]] | None:
        """The stage names in pipeline order of many jobs in one list read, for reading them
        ahead (bot/workflows/harvest_mirror.py); None when the backend can only read one job's
        at a time (v1's `jobs/{id}/stages`): then each is read when first shown. Jobs with no
        current stage are left out."""
        return None

    # candidates and applications
    @abstractmethod
    def iter_active_applications(self, job_id: int) -> Iterator[ActiveApplication]:
        """The job's active (non-prospect) applications with candidate names and stages,
        read with list calls only — never one request per candidate."""

    @abstractmethod
    def iter_active_application_rows(self, job_id: int) -> Iterator[ApplicationRow]:
        """The job's active (non-prospect) applications, 500 a page, without candidate names:
        what a view costs grows with the active applications only, not the job's history."""

    @abstractmethod
    def iter_all_active_application_rows(self) -> Iterator[tuple[int, ApplicationRow]]:
        """(job id, application) for every active, non-prospect application of the company,
        500 a page (v1 and v3 `applications?status=active`): the mirror's full sweep."""

    @abstractmethod
    def iter_applications_changed_since(self, since: datetime) -> Iterator[ApplicationChange]:
        """Every application, whatever its status, changed at or after `since`, 500 a page:
        v1 `applications?last_activity_after=` (a reject, a move, a hire are activity),
        v3 `applications?updated_at=gte|…`. The mirror's incremental read."""

    @abstractmethod
    def candidate_names(self, candidate_ids: Iterable[int]) -> dict[int, str]:
        """Names of the given candidates, read with list calls of at most 50 ids each."""

    @abstractmethod
    def iter_candidate_names_changed_since(self, since: datetime) -> Iterator[tuple[int, str]]:
        """(id, name) of every candidate changed at or after `since`, 500 a page
        (v1 `updated_after`, v3 `updated_at=gte|…`): keeps a name cache fresh."""

    # v1 can list a job's candidates (its whole history) with their names and applications in
    # one walk; v3 has no job filter on candidates. A name cache uses it when it is cheaper.
    walks_job_candidates: bool = False

    def walk_job_candidates(self, job_id: int) -> JobWalk:
        """Everyone who ever applied to the job, 500 a page: the active applications with
        names, and how many candidates were walked (only if `walks_job_candidates`)."""
        raise NotImplementedError(f"Harvest {self.version} cannot list a job's candidates")

    @abstractmethod
    def get_application(self, application_id: int, *, names: bool = True) -> Application | None:
        """One application as Greenhouse shows it now. `names=False` leaves out what only
        decorates it (the candidate's and the job's names: one or two more requests) for a
        caller that knows them already, e.g. a draft right after the job's view."""

    # reference lists
    @abstractmethod
    def list_close_reasons(self) -> list[Named]: ...

    def read_ahead_decorations(self) -> None:
        """Read the small company-wide lists that only name things in a job view, once,
        before anyone asks (bot/background.py, at start): the first view of a job then pays
        for none of them. v1 embeds these names in the job: nothing to read."""

    @abstractmethod
    def list_rejection_reasons(self) -> list[RejectionReason]: ...

    @abstractmethod
    def list_rejection_email_templates(self) -> list[EmailTemplate]:
        """Organization-wide candidate rejection templates (the only kind reject accepts)."""

    # writes
    @abstractmethod
    def close_opening(
        self, job_id: int, opening_id: int, close_reason_id: int | None, *, acting_user_id: int,
        before_send: BeforeSend | None = None,
    ) -> None:
        """`before_send` runs immediately before each time the write goes on the wire (again
        after a 429's wait); raising from it stops the write unsent. The approval workflow
        uses it as its fencing check (docs/decisions/0001-atomic-claim.md)."""

    @abstractmethod
    def reject_application(
        self,
        application_id: int,
        *,
        rejection_reason_id: int | None,
        notes: str | None,
        email_template_id: int | None,
        acting_user_id: int,
        before_send: BeforeSend | None = None,
    ) -> None: ...

    @abstractmethod
    def unreject_application(
        self, application_id: int, acting_user_id: int, before_send: BeforeSend | None = None
    ) -> None:
        """Back to active (Greenhouse allows it only for a rejected application: else
        ValidationFailed), on behalf of `acting_user_id`. Not retried: a write."""

    @abstractmethod
    def move_application(
        self, application_id: int, from_stage_id: int, to_stage_id: int, acting_user_id: int,
        before_send: BeforeSend | None = None,
    ) -> None:
        """Move an active application between stages of its job, on behalf of
        `acting_user_id`. `from_stage_id` must be the stage it is in now: Greenhouse
        refuses (ValidationFailed, its words) a move from any other, so a stage that
        changed meanwhile is never moved wrongly. Not retried: a write."""

    @property
    @abstractmethod
    def rejection_reason_required(self) -> bool:
        """v3 requires a rejection reason on every reject; v1 does not."""



class HarvestOverHttp(Harvest, ABC):
    """What both backends share: a HarvestTransport (auth, rate limit, retries, paging)."""

    def __init__(self, transport: HarvestTransport) -> None:
        self.t = transport

    @property
    def requests_sent(self) -> int:
        """Every HTTP request sent, retries included (for the benchmark)."""
        return self.t.requests_sent
