"""What a request is: the stored record, its kinds and states, and the one error
that tells an executor it lost its claim."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field, PrivateAttr

from bot.greenhouse.models import Job

from ..errors import Refused

Kind = Literal["close_job", "reject_application", "move_application"]
OPEN_STATES = ("draft", "posting", "requested")
FINAL_STATES = ("done", "denied", "expired", "discarded", "undone")
APPLICATION_ID_RE = re.compile(r"[0-9]{1,18}")  # ASCII digits only: int() refuses some str.isdigit() digits


class Request(BaseModel):
    id: str
    kind: Kind
    state: str = "draft"
    job_id: int
    job_name: str
    requester: str  # Slack user ID
    requester_gh: int
    requester_name: str
    origin_channel: str
    approver_gh_ids: list[int] = Field(default_factory=list)
    # close_job
    opening_ids: list[int] = Field(default_factory=list)
    active_candidates: int | None = None
    close_reason_id: int | None = None
    close_reason_name: str | None = None
    # close_job, "also reject the rest" (reject_rest.py): the active applications read when the
    # close was drafted — what the approver approves; the rejection reason and email are the fields below
    reject_rest: bool = False
    rest_application_ids: list[int] = Field(default_factory=list)
    rest_candidate_names: dict[str, str] = Field(default_factory=dict)  # application id → candidate name
    # reject_application (and the rest of a close_job)
    application_id: int | None = None
    candidate_name: str | None = None
    candidate_id: int | None = None  # for the link to the candidate's page (bot/app_links.py)
    stage: str | None = None
    rejection_reason_id: int | None = None
    rejection_reason_name: str | None = None
    email_template_id: int | None = None
    email_template_name: str | None = None
    # move_application (also application_id, candidate_name, and `stage`: the stage it moves from);
    # bot/workflows/requests/moves.py
    from_stage_id: int | None = None
    to_stage_id: int | None = None
    to_stage_name: str | None = None
    needs_approval: bool = True  # False: the requester's own confirm click carries it out
    # where it lives in Slack (opaque to this module)
    channel: str | None = None
    message_ts: str | None = None
    thread_ts: str | None = None
    permalink: str | None = None  # Slack's link to the request message (chat.getPermalink at posting)
    # lifecycle
    created_at: float
    expires_at: float
    decided_by: str | None = None
    decided_by_gh: int | None = None
    decided_by_name: str | None = None
    decided_at: float | None = None
    deny_reason: str | None = None
    lease_until: float | None = None
    executor: str | None = None
    claim_generation: int = 0  # fencing token: +1 at every claim or takeover
    attempts: int = 0
    # opening/application id (a close's rest: "app:<id>") → closed|rejected|sending|skipped: …|error: …
    results: dict[str, str] = Field(default_factory=dict)
    error: str | None = None
    job_status_after: str | None = None
    finished_at: float | None = None
    # undo of a rejection the bot made (bot/workflows/requests/undo.py); results["undo"] holds its outcome
    undone_by: str | None = None
    undone_by_gh: int | None = None
    undone_by_name: str | None = None
    undone_at: float | None = None
    undo_error: str | None = None
    undo_offer_closed: bool = False  # the Undo button was taken off the messages once its window passed
    # The job as the execution that finished this request read it after its writes (status,
    # closed_at; on v1 whole): what the closing's announcement starts from instead of reading
    # it again (bot/workflows/autoclose.py). Never stored: a request read back has None.
    _job_after: Job | None = PrivateAttr(default=None)

    @property
    def job_after(self) -> Job | None:
        return self._job_after

    @job_after.setter
    def job_after(self, job: Job | None) -> None:
        self._job_after = job

    @property
    def target(self) -> str:
        if self.kind == "close_job":
            return f"{self.job_name} ({self.job_id})"
        return f"application {self.application_id} ({self.candidate_name}) on {self.job_name} ({self.job_id})"

    def remaining_openings(self) -> list[int]:
        return [o for o in self.opening_ids if self.results.get(str(o)) != "closed"]

    def closed_openings(self) -> list[int]:
        return [o for o in self.opening_ids if self.results.get(str(o)) == "closed"]

    @property
    def wrote_something(self) -> bool:
        """Did Greenhouse accept any of this request's writes?"""
        return any(v in ("closed", "rejected", "moved") for v in self.results.values())


class NotOpen(Refused):
    """The request is no longer in a state that allows this step (decided, expired,
    gone). Carries the request as it is now, or None; the layer that shows it words it
    (in Slack: who decided, as a mention)."""

    def __init__(self, request: Request | None) -> None:
        self.request = request
        super().__init__(f"This request is {request.state}." if request else "That request no longer exists.")


class NotDoable(Exception):
    """Greenhouse, read before a write, shows the request can no longer be done as asked
    (an application moved or closed meanwhile). Nothing was written; the text says why
    (plain text: whoever shows it escapes it)."""


class LostClaim(Refused):
    """This execution's claim was taken over (its generation is no longer the stored
    one): it must not write, nor say anything about the outcome."""


@dataclass(frozen=True)
class Page:
    """One page of a list that may be long (an admin's open requests): what is shown, and how
    many there are in all, counted from the store's indexes rather than by reading them."""

    requests: list[Request] = field(default_factory=list)
    total: int = 0
    number: int = 1  # 1-based
    size: int = 40

    @property
    def first(self) -> int:
        """The 0-based position of this page's first request in the whole list."""
        return (self.number - 1) * self.size

    @property
    def after(self) -> int:
        """How many come after this page."""
        return max(0, self.total - self.first - len(self.requests))

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))
