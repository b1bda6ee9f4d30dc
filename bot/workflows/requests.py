"""Approval requests: close a job, reject an application — written to Greenhouse
only after an allowed approver's click, exactly once.

State machine (every transition is a compare-and-set in the store, and an audit entry):

    draft ──submit──▶ posting ──posted──▶ requested ──claim──▶ executing ──▶ done
      │                 │                   │                    │
      └──▶ discarded ◀──┘ (cancel, post     ├──▶ denied          └──▶ failed ──Retry (claim)──▶ executing
           failed, TTL)                     └──▶ expired ◀──TTL──────────┤
                                                                         └──deny──▶ denied

The claim (requested|failed → executing) is the single point where a write can
start; of any number of clicks, retries and processes, one wins it. While
executing, each write is recorded before and after it is sent, so a crash
leaves enough to reconcile by reading Greenhouse, never by writing blindly.

A claim carries a generation (the fencing token). A live execution keeps its
lease with a heartbeat however long Greenhouse makes it wait; whoever takes a
request over (housekeeping after a crash, then Retry) bumps the generation, and
every write is preceded, on the wire, by a compare-and-set that its generation
is still the stored one — so a stale executor can never write
(docs/decisions/0001-atomic-claim.md).
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.greenhouse.errors import (
    AuthenticationError,
    GreenhouseError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    Unconfirmed,
    Unreachable,
)
from bot.greenhouse.harvest import Harvest
from bot.greenhouse.models import Job
from bot.identity import Caller, Mapping
from bot.store import Store

from .errors import Refused, UserFacingError
from .jobs import find_job, hiring_team_only, may_see_candidates
from .reference import ReferenceLists, match_by_words

log = logging.getLogger("bot.requests")
ALREADY_POSTED = "This request is already posted for approval (once is enough)."

Kind = Literal["close_job", "reject_application"]
OPEN_STATES = ("draft", "posting", "requested")
FINAL_STATES = ("done", "denied", "expired", "discarded")
APPLICATION_ID_RE = re.compile(r"[0-9]{1,18}")  # ASCII digits only: int() refuses some str.isdigit() digits
# An execution whose lease is not renewed within this is presumed dead. A live one renews
# it every LEASE_S / HEARTBEATS_PER_LEASE seconds, whatever it is waiting for.
LEASE_S = 120.0
HEARTBEATS_PER_LEASE = 4


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
    # reject_application
    application_id: int | None = None
    candidate_name: str | None = None
    stage: str | None = None
    rejection_reason_id: int | None = None
    rejection_reason_name: str | None = None
    email_template_id: int | None = None
    email_template_name: str | None = None
    # where it lives in Slack (opaque to this module)
    channel: str | None = None
    message_ts: str | None = None
    thread_ts: str | None = None
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
    results: dict[str, str] = Field(default_factory=dict)  # opening/application id → closed|rejected|sending|error text
    error: str | None = None
    job_status_after: str | None = None
    finished_at: float | None = None

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
        return any(v in ("closed", "rejected") for v in self.results.values())


class LostClaim(Refused):
    """This execution's claim was taken over (its generation is no longer the stored
    one): it must not write, nor say anything about the outcome."""


def _executor_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(executor: str | None) -> bool:
    host, _, pid = (executor or "").partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine: trust its lease
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed process nobody has reaped yet (a zombie) still answers kill(0)
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return True


class Requests:
    def __init__(
        self,
        store: Store,
        harvest: Harvest,
        reference: ReferenceLists,
        *,
        ttl_hours: float = 72,
        allow_self_approval: bool = False,
        lease_s: float = LEASE_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.harvest = harvest
        self.reference = reference
        self.ttl_s = ttl_hours * 3600
        self.allow_self_approval = allow_self_approval
        self.lease_s = lease_s
        self._clock = clock

    # --- reading ---------------------------------------------------------------------------

    def get(self, request_id: str) -> Request | None:
        raw = self.store.get("requests", request_id)
        return Request(**raw) if raw else None

    def all(self) -> list[Request]:
        return [Request(**raw) for raw in self.store.values("requests")]

    # --- drafting (the requester) --------------------------------------------------------

    def draft_close(self, caller: Caller, ref: str, reason_words: str, channel: str) -> Request:
        actor = caller.mapped()  # a request is made in the requester's name: even admins need a mapping
        job = find_job(self.harvest, ref)
        hiring_team_only(job, caller, "ask to close it")
        openings = [o for o in job.openings if o.is_open] or [o for o in self.harvest.list_openings(job.id) if o.is_open]
        if not openings:
            raise UserFacingError(f"{job.name} ({job.id}) has no open openings; it is {job.status} already.")
        active = sum(1 for _ in self.harvest.iter_active_applications(job.id))
        request = self._new(
            "close_job", job.id, job.name, actor, channel,
            approver_gh_ids=sorted(job.approver_user_ids()),
            opening_ids=[o.id for o in openings],
            active_candidates=active,
        )
        matches = match_by_words(reason_words, self.reference.close_reasons(), lambda r: r.name)
        if len(matches) == 1:
            request.close_reason_id, request.close_reason_name = matches[0].id, matches[0].name
        self._save_new(request)
        return request

    def draft_reject(self, caller: Caller, application_ref: str, reason_words: str, channel: str) -> Request:
        actor = caller.mapped()
        if not APPLICATION_ID_RE.fullmatch(application_ref):
            raise UserFacingError("Give the application ID (a number; `/greenhouse job <job>` lists them).")
        app = self.harvest.get_application(int(application_ref))
        if app is None:
            raise UserFacingError(f"I can't find application {application_ref} in Greenhouse.")
        job = self.harvest.get_job(app.job_id) if app.job_id else None
        if job is None or not may_see_candidates(job, caller):
            # Same answer whether or not it exists for an outsider: no candidate data leaks.
            raise Refused(f"Only the hiring team of the application's job or a bot admin can ask to reject application {application_ref}.")
        if app.status != "active":
            raise UserFacingError(f"Application {app.id} is {app.status}, not active: only active applications can be rejected.")
        request = self._new(
            "reject_application", job.id, job.name, actor, channel,
            approver_gh_ids=sorted(job.approver_user_ids()),
            application_id=app.id, candidate_name=app.candidate_name, stage=app.stage,
        )
        matches = match_by_words(reason_words, self.reference.rejection_reasons(), lambda r: r.name)
        if len(matches) == 1:
            request.rejection_reason_id, request.rejection_reason_name = matches[0].id, matches[0].name
        self._save_new(request)
        return request

    def choose(self, request_id: str, caller: Caller, *, reason_id: int | None = None,
               template_id: int | None | str = "keep") -> Request:
        """The requester picks a reason or an email template on their draft."""
        user = caller.slack_user_id
        request = self._draft_of(request_id, user)
        update: dict[str, Any] = {}
        if reason_id is not None:
            if request.kind == "close_job":
                reason = next((r for r in self.reference.close_reasons() if r.id == reason_id), None)
                if reason is None:
                    raise UserFacingError("That close reason no longer exists in Greenhouse.")
                update.update(close_reason_id=reason.id, close_reason_name=reason.name)
            else:
                rr = next((r for r in self.reference.rejection_reasons() if r.id == reason_id), None)
                if rr is None:
                    raise UserFacingError("That rejection reason no longer exists in Greenhouse.")
                update.update(rejection_reason_id=rr.id, rejection_reason_name=rr.name)
        if template_id != "keep" and request.kind == "reject_application":
            if template_id is None:
                update.update(email_template_id=None, email_template_name=None)
            else:
                tpl = next((t for t in self.reference.rejection_templates() if t.id == template_id), None)
                if tpl is None:
                    raise UserFacingError("That email template is not an organization-wide rejection template.")
                update.update(email_template_id=tpl.id, email_template_name=tpl.name)
        return self._transition(request.id, ("draft",), "draft", user, "choose", **update)

    def ready_to_post(self, request_id: str, caller: Caller) -> Request:
        current = self.get(request_id)
        if current is not None and current.requester == caller.slack_user_id and current.state in ("posting", "requested"):
            raise Refused(ALREADY_POSTED)
        request = self._draft_of(request_id, caller.slack_user_id)
        if request.kind == "close_job" and request.close_reason_id is None:
            raise UserFacingError("Pick a close reason first.")
        if request.kind == "reject_application" and request.rejection_reason_id is None:
            raise UserFacingError("Pick a rejection reason first.")
        return request

    def begin_posting(self, request_id: str) -> Request:
        """draft → posting, atomically: of any number of clicks on *Request approval*
        (or a command and a click), one posts the request; the others are told."""
        try:
            return self._transition(request_id, ("draft",), "posting", "bot", "posting")
        except Refused:
            current = self.get(request_id)
            if current is not None and current.state in ("posting", "requested"):
                raise Refused(ALREADY_POSTED) from None
            raise

    def mark_posted(self, request_id: str, channel: str, message_ts: str, thread_ts: str) -> Request:
        return self._transition(
            request_id, ("posting",), "requested", "bot", "posted",
            channel=channel, message_ts=message_ts, thread_ts=thread_ts,
        )

    def cancel(self, request_id: str, caller: Caller) -> None:
        """The requester drops their own draft."""
        request = self.get(request_id)
        if request is None or request.requester != caller.slack_user_id:
            raise Refused("Only the person who asked can cancel this draft.")
        self.discard(request_id, "cancelled by requester")

    def move_thread_message(self, request_id: str, thread_ts: str) -> None:
        """The thread message was replaced by a new one (its update failed): follow it."""
        self.store.update("requests", request_id, lambda raw: {**raw, "thread_ts": thread_ts})

    def discard(self, request_id: str, why: str, *, posting: bool = False) -> None:
        """A draft cancelled, or a request whose message could not be posted: not left half-made."""
        self._transition(request_id, ("posting",) if posting else ("draft",), "discarded", "bot", why)

    # --- deciding (the approver) -----------------------------------------------------------

    def may_decide(self, request: Request, caller: Caller) -> None:
        if caller.slack_user_id == request.requester and not self.allow_self_approval:
            raise Refused("You asked for this, so someone else has to approve it (a recruiter or coordinator on the job, or a bot admin).")
        if caller.is_admin:
            return
        clicker_gh = caller.team_member_id()
        # Authority is the job's team in Greenhouse now, not when the request was made:
        # someone taken off the job since cannot approve.
        job = self.harvest.get_job(request.job_id)
        approvers = job.approver_user_ids() if job is not None else set()
        if not (clicker_gh is not None and clicker_gh in approvers):
            raise Refused(f"Only the recruiters and coordinators of {request.job_name} or a bot admin can approve or deny this request.")

    def may_deny(self, request: Request, caller: Caller) -> None:
        """The requester may withdraw their own request; otherwise the approvers decide."""
        if caller.slack_user_id != request.requester:
            self.may_decide(request, caller)

    def claim(self, request_id: str, caller: Caller, *, retry: bool = False) -> Request:
        """requested (or failed, for Retry) → executing, atomically. Raises Refused
        with who got there first when the claim is lost."""
        approver = caller.mapped()  # writes go out in the approver's name: even admins need a mapping
        now = self._clock()
        allowed = ("failed",) if retry else ("requested",)

        def take(raw: dict[str, Any]) -> dict[str, Any] | None:
            # A failed request's Retry expires with the request, like its Approve.
            if raw["state"] not in allowed or raw["expires_at"] <= now:
                return None
            raw.update(
                state="executing", decided_by=approver.slack_user_id, decided_by_gh=approver.greenhouse_user_id,
                decided_by_name=approver.name, decided_at=now, lease_until=now + self.lease_s,
                executor=_executor_id(), attempts=raw.get("attempts", 0) + 1, error=None,
                claim_generation=raw.get("claim_generation", 0) + 1,
            )
            return raw

        won = self.store.update("requests", request_id, take)
        if won is None:
            raise Refused(self.explain_state(request_id))
        request = Request(**won)
        self._audit(request, "requested" if not retry else "failed", "executing", approver.slack_user_id, "approved" if not retry else "retry")
        return request

    def explain_state(self, request_id: str) -> str:
        current = self.get(request_id)
        if current is None:
            return "That request no longer exists."
        who = f"<@{current.decided_by}>" if current.decided_by else "someone"
        return {
            "executing": f"Already approved by {who}; it is being carried out now.",
            "done": f"Already approved by {who} and done.",
            "failed": f"Already approved by {who}; it failed — use Retry on the request.",
            "denied": f"Already denied by {who}.",
            "expired": "This request has expired; ask again if it is still needed.",
            "discarded": "This request was never posted; ask again.",
            "posting": "This request is being posted for approval.",
        }.get(current.state, f"This request is {current.state}.")

    def deny(self, request_id: str, caller: Caller, reason: str | None) -> Request:
        clicker = caller.slack_user_id
        now = self._clock()

        def take(raw: dict[str, Any]) -> dict[str, Any] | None:
            if raw["state"] not in ("requested", "failed"):
                return None
            raw.update(state="denied", decided_by=clicker, decided_at=now, deny_reason=(reason or "").strip()[:500] or None, finished_at=now)
            return raw

        before = self.get(request_id)
        won = self.store.update("requests", request_id, take)
        if won is None:
            raise Refused(self.explain_state(request_id))
        request = Request(**won)
        self._audit(request, before.state if before else "?", "denied", clicker, request.deny_reason or "")
        return request

    # --- executing ------------------------------------------------------------------------------

    def execute(self, request: Request) -> Request:
        """Carry out a claimed request. Greenhouse is read first (what is already done
        counts as done); each write is fenced — marked `sending` by a compare-and-set
        on this claim's generation right before it goes on the wire — and its outcome
        is stored as soon as Greenhouse answers. Raises LostClaim if another executor
        took the request over meanwhile (it then owns the outcome)."""
        assert request.state == "executing" and request.decided_by_gh is not None
        generation = request.claim_generation
        with _Heartbeat(self, request.id, generation):
            try:
                if request.kind == "close_job":
                    self._close_openings(request)
                else:
                    self._reject(request)
            except GreenhouseError as exc:
                return self._finish(request.id, generation, "failed", error=_greenhouse_words(exc))
            except LostClaim:
                raise
            except Exception:  # noqa: BLE001 - a bug must not leave the request stuck `executing`
                log.exception("request_execution_crashed request=%s", request.id)
                return self._finish(request.id, generation, "failed", error=(
                    "The bot hit an internal error while carrying this out. Retry reads Greenhouse first."))
            return self._finish(request.id, generation, "done", job_status_after=self._job_status(request.job_id))

    def _job_status(self, job_id: int) -> str | None:
        """The job's status after the writes, for the message; unknown if Greenhouse cannot say now."""
        try:
            job = self.harvest.get_job(job_id)
        except GreenhouseError:
            return None
        return job.status if job else None

    def _close_openings(self, request: Request) -> None:
        still_open = {o.id for o in self.harvest.list_openings(request.job_id) if o.is_open}
        for opening_id in request.remaining_openings():
            key = str(opening_id)
            if opening_id not in still_open:
                self._record(request.id, key, "closed")  # closed meanwhile (or by a lost attempt): counts as done
                continue
            try:
                self.harvest.close_opening(
                    request.job_id, opening_id, request.close_reason_id, acting_user_id=request.decided_by_gh,  # type: ignore[arg-type]
                    before_send=self._fence(request.id, request.claim_generation, key),
                )
            except GreenhouseError as exc:
                self._record(request.id, key, f"error: {_greenhouse_words(exc)}")
                raise
            self._record(request.id, key, "closed")

    def _reject(self, request: Request) -> None:
        key = str(request.application_id)
        if request.results.get(key) == "rejected":
            return
        # A resumed request (Retry, or after a crash) may find Greenhouse already did it.
        if request.results.get(key) is not None or request.attempts > 1:
            app = self.harvest.get_application(request.application_id)  # type: ignore[arg-type]
            if app is not None and app.status == "rejected":
                self._record(request.id, key, "rejected")
                return
        notes = (
            f"Rejected via Slack: requested by {request.requester_name}, approved by {request.decided_by_name}."
        )
        try:
            self.harvest.reject_application(
                request.application_id,  # type: ignore[arg-type]
                rejection_reason_id=request.rejection_reason_id,
                notes=notes,
                email_template_id=request.email_template_id,
                acting_user_id=request.decided_by_gh,  # type: ignore[arg-type]
                before_send=self._fence(request.id, request.claim_generation, key),
            )
        except GreenhouseError as exc:
            self._record(request.id, key, f"error: {_greenhouse_words(exc)}")
            raise
        self._record(request.id, key, "rejected")

    def _fence(self, request_id: str, generation: int, key: str) -> Callable[[], None]:
        """The check the Harvest client runs right before each send of one write: the
        claim is still this execution's (else LostClaim, and nothing is sent), and the
        write is marked `sending` in the same compare-and-set."""

        def check() -> None:
            now = self._clock()

            def mark(raw: dict[str, Any]) -> dict[str, Any] | None:
                if not _holds(raw, generation):
                    return None
                raw["results"] = {**raw.get("results", {}), key: "sending"}
                raw["lease_until"] = now + self.lease_s
                return raw

            if self.store.update("requests", request_id, mark) is None:
                raise LostClaim("Another worker took this request over while Greenhouse kept me waiting; "
                                "its message shows the outcome.")

        return check

    def _record(self, request_id: str, key: str, outcome: str) -> None:
        """Store what Greenhouse answered. A fact about Greenhouse is stored whoever
        holds the claim now: it is what the next executor must not redo."""

        def put(raw: dict[str, Any]) -> dict[str, Any]:
            raw["results"] = {**raw.get("results", {}), key: outcome}
            return raw

        self.store.update("requests", request_id, put)

    def renew(self, request_id: str, generation: int) -> bool:
        """Extend the lease of a live execution; False once it no longer holds the claim."""
        now = self._clock()

        def extend(raw: dict[str, Any]) -> dict[str, Any] | None:
            if not _holds(raw, generation):
                return None
            raw["lease_until"] = now + self.lease_s
            return raw

        return self.store.update("requests", request_id, extend) is not None

    def _finish(self, request_id: str, generation: int, state: str, **fields: Any) -> Request:
        """executing → done|failed, only by the holder of the claim."""
        now = self._clock()

        def change(raw: dict[str, Any]) -> dict[str, Any] | None:
            if not _holds(raw, generation):
                return None
            raw.update(state=state, finished_at=now, lease_until=None, **fields)
            return raw

        won = self.store.update("requests", request_id, change)
        if won is None:
            raise LostClaim("Another worker took this request over; its message shows the outcome.")
        request = Request(**won)
        self._audit(request, "executing", state, "bot", fields.get("error") or state)
        return request

    # --- housekeeping ----------------------------------------------------------------------------

    def expire_due(self) -> list[Request]:
        """Requests not done within the TTL → expired: undecided ones, and failed ones, whose
        Retry expires with the request (drafts → discarded)."""
        now = self._clock()
        expired = []
        for request in self.all():
            if request.state in (*OPEN_STATES, "failed") and request.expires_at <= now:
                new_state = "expired" if request.state in ("requested", "failed") else "discarded"
                try:
                    expired.append(self._transition(request.id, (request.state,), new_state, "bot", "ttl"))
                except Refused:
                    continue  # decided meanwhile
        return [r for r in expired if r.state == "expired"]

    def reconcile_stuck(self) -> list[Request]:
        """Executions whose process died (lease not renewed, or its PID gone): take them
        over (a new generation fences the old executor out) and settle them by reading
        Greenhouse, never by writing."""
        settled = []
        for request in self.all():
            if request.state != "executing":
                continue
            taken = self._take_over(request)
            if taken is None:
                continue
            try:
                settled.append(self._reconcile(taken))
            except GreenhouseError:
                continue  # Greenhouse unreadable now: released, the next round tries again
        return settled

    def _take_over(self, request: Request) -> Request | None:
        now = self._clock()

        def take(raw: dict[str, Any]) -> dict[str, Any] | None:
            if raw["state"] != "executing" or raw.get("claim_generation", 0) != request.claim_generation:
                return None
            if (raw.get("lease_until") or 0) > now and _pid_alive(raw.get("executor")):
                return None  # alive: its heartbeat keeps the lease
            raw.update(claim_generation=request.claim_generation + 1, executor=_executor_id(), lease_until=now + self.lease_s)
            return raw

        won = self.store.update("requests", request.id, take)
        return Request(**won) if won else None

    def _reconcile(self, request: Request) -> Request:
        generation = request.claim_generation
        try:
            if request.kind == "close_job":
                still_open = {o.id for o in self.harvest.list_openings(request.job_id) if o.is_open}
                for opening_id in request.opening_ids:
                    if opening_id not in still_open:
                        self._record(request.id, str(opening_id), "closed")
                fresh = self.get(request.id)
                done = fresh is not None and not fresh.remaining_openings()
            else:
                app = self.harvest.get_application(request.application_id)  # type: ignore[arg-type]
                done = app is not None and app.status == "rejected"
                if done:
                    self._record(request.id, str(request.application_id), "rejected")
            job = self.harvest.get_job(request.job_id) if done else None
        except GreenhouseError:
            # Cannot read Greenhouse now: give the lease up so the next round tries again.
            self._release(request.id, generation)
            raise
        if done:
            return self._finish(request.id, generation, "done", job_status_after=job.status if job else None)
        return self._finish(request.id, generation, "failed",
                            error="The bot stopped while carrying this out; Greenhouse shows it unfinished. Use Retry.")

    def _release(self, request_id: str, generation: int) -> None:
        def expire(raw: dict[str, Any]) -> dict[str, Any] | None:
            return {**raw, "lease_until": 0} if _holds(raw, generation) else None

        self.store.update("requests", request_id, expire)

    # --- listings ----------------------------------------------------------------------------------

    def pending_for(self, caller: Caller) -> list[Request]:
        slack_user, gh_user, is_admin = caller.slack_user_id, caller.team_member_id(), caller.is_admin
        return sorted(
            (
                r for r in self.all()
                if r.state in ("requested", "failed")
                and (is_admin or r.requester == slack_user or (gh_user is not None and gh_user in r.approver_gh_ids))
            ),
            key=lambda r: r.created_at,
        )

    def history(self, job_ref: str, caller: Caller, limit: int = 20) -> tuple[Job, list[dict[str, Any]]]:
        """The job and its latest audit entries: for its hiring team and bot admins."""
        caller.team_member_id()
        job = find_job(self.harvest, job_ref)
        hiring_team_only(job, caller, "see its history")
        entries = [e for _, e in self.store.items("audit") if e.get("job_id") == job.id]
        return job, entries[-limit:]

    # --- internals -------------------------------------------------------------------------------

    def _new(self, kind: Kind, job_id: int, job_name: str, actor: Mapping, channel: str, **fields: Any) -> Request:
        now = self._clock()
        return Request(
            id=f"req-{uuid.uuid4().hex[:16]}", kind=kind, job_id=job_id, job_name=job_name,
            requester=actor.slack_user_id, requester_gh=actor.greenhouse_user_id, requester_name=actor.name,
            origin_channel=channel, created_at=now, expires_at=now + self.ttl_s, **fields,
        )

    def _save_new(self, request: Request) -> None:
        self.store.put("requests", request.id, request.model_dump())
        self._audit(request, "-", "draft", request.requester, "asked")

    def _draft_of(self, request_id: str, user: str) -> Request:
        request = self.get(request_id)
        if request is None or request.state != "draft":
            raise UserFacingError("This draft is no longer open; run the command again.")
        if request.requester != user:
            raise Refused("Only the person who asked can change this draft.")
        return request

    def _transition(self, request_id: str, from_states: tuple[str, ...], to_state: str, who: str, detail: str, **fields: Any) -> Request:
        before: dict[str, str] = {}

        def change(raw: dict[str, Any]) -> dict[str, Any] | None:
            if raw["state"] not in from_states:
                return None
            before["state"] = raw["state"]
            raw.update(state=to_state, **fields)
            return raw

        won = self.store.update("requests", request_id, change)
        if won is None:
            raise Refused(self.explain_state(request_id))
        request = Request(**won)
        if before["state"] != to_state or detail != "choose":
            self._audit(request, before["state"], to_state, who, detail)
        return request

    def _audit(self, request: Request, from_state: str, to_state: str, who: str, detail: str) -> None:
        self.store.append_audit({
            "at": self._clock(), "request_id": request.id, "kind": request.kind, "job_id": request.job_id,
            "application_id": request.application_id, "from": from_state, "to": to_state, "who": who,
            "detail": detail[:500], "results": request.results,
        })


def _holds(raw: dict[str, Any], generation: int) -> bool:
    """Does the stored record still belong to the execution with this claim generation?"""
    return raw["state"] == "executing" and raw.get("claim_generation", 0) == generation


class _Heartbeat:
    """Renews a live execution's lease in the background while it waits (for the rate
    limiter, a Retry-After, a slow answer), and stops once the claim is lost or done."""

    def __init__(self, requests: Requests, request_id: str, generation: int) -> None:
        self._renew = lambda: requests.renew(request_id, generation)
        self._every_s = requests.lease_s / HEARTBEATS_PER_LEASE
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{request_id}", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self._every_s):
            try:
                if not self._renew():
                    return
            except Exception:  # noqa: BLE001 - a store hiccup: the next beat tries again
                continue

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def _greenhouse_words(exc: GreenhouseError) -> str:
    """One voice for what Greenhouse did with a write: "Greenhouse refused: <its words>."
    when it answered with an error, and plain words when it did not answer at all."""
    if isinstance(exc, Unconfirmed | Unreachable):
        return exc.user_message()
    if isinstance(exc, AuthenticationError):
        return "Greenhouse refused: the bot's credentials (401). An admin should check the Harvest API credentials."
    if isinstance(exc, RateLimited):
        return "Greenhouse refused: too many requests (429), even after waiting. Retry in a minute."
    if isinstance(exc, ServerError) or (exc.status or 0) >= 500:
        return f"Greenhouse refused: a server error ({exc.status}). Retry in a few minutes."
    words = exc.details() or exc.message or "no reason given"
    if isinstance(exc, PermissionDenied):
        return (f"Greenhouse refused: {words} (403). The acting Greenhouse user may not change this record, "
                "or the bot's credentials lack permission.")
    if isinstance(exc, NotFound):
        return f"Greenhouse refused: {words} (404)."
    return f"Greenhouse refused: {words}" + ("" if words.endswith(".") else ".")
