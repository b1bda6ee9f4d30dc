"""The requester's side: draft a close or a reject from what Greenhouse shows now,
pick its reason and email, and hand it over for posting — once, however often
*Request approval* is clicked (draft → posting is a compare-and-set)."""

from __future__ import annotations

import uuid
from typing import Any

from bot.greenhouse.models import Opening
from bot.greenhouse.wire import optional
from bot.identity import Caller, Mapping

from ..errors import NotVisible, Refused, UserFacingError
from ..job_view import JobView
from ..jobs import check_job_ref, find_job_for, may_see_candidates
from ..reference import match_by_words
from .model import APPLICATION_ID_RE, Kind, Request
from .reject_rest import RestChoices, rest_fields

ALREADY_POSTED = "This request is already posted for approval (once is enough)."


class Drafts(RestChoices):
    """Drafts pay only for what must be fresh when they are made (issue 17 item 5): right
    after a view of the job (within the view cache's TTL, the "More" window) the job, its
    hiring team and its active applications come from that view; only the openings (close)
    or the application (reject) are read again. Approval re-reads the team and the
    openings anyway (decisions.may_decide, execute)."""

    def draft_close(self, caller: Caller, ref: str, reason_words: str, channel: str, *, reject_rest: bool = False) -> Request:
        actor = caller.mapped()  # a request is made in the requester's name: even admins need a mapping
        view = self._recent_view(ref, caller)
        openings: list[Opening] = []
        if view is not None:
            # What the approval will close: read now, not from the view.
            openings = [o for o in self.harvest.list_openings(view.job.id) if o.is_open]
        if view is not None and openings:
            job, active, names = view.job, list(view.applications), view.names
        else:
            # No recent view, or none open any more (then the job's status must be fresh too).
            job = find_job_for(self.harvest, ref, caller, "ask to close")
            openings = [o for o in job.openings if o.is_open] or [o for o in self.harvest.list_openings(job.id) if o.is_open]
            if not openings:
                raise UserFacingError("{job} has no open openings; it is {status} already.",
                                      job=f"{job.name} ({job.id})", status=job.status)
            # The view's own read (what a view costs: active applications, names the store
            # does not know yet), cached: a view or draft right after pays nothing for it.
            if self.views is not None:
                read = self.views.view_of(job)
                active, names = list(read.applications), read.names
            else:
                active, names = list(self.harvest.iter_active_application_rows(job.id)), {}
        # Kept on the request: the candidates the requester may choose to reject too (reject_rest.py).
        request = self._new(
            "close_job", job.id, job.name, actor, channel,
            approver_gh_ids=sorted(job.approver_user_ids()),
            opening_ids=[o.id for o in openings],
            active_candidates=len(active), reject_rest=reject_rest and bool(active), **rest_fields(active, names),
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
        # The application itself is always read now (is it still active?); its names and
        # its job come from a recent view of the job when there is one that lists it.
        app = self.harvest.get_application(int(application_ref), names=False)
        view = self._recent_view(str(app.job_id), caller) if app is not None and app.job_id else None
        listed = next((a for a in view.applications if a.id == app.id), None) if view and app else None
        if listed is not None and view is not None:
            job = view.job
        else:
            job = self.harvest.get_job(app.job_id) if app is not None and app.job_id else None
        if app is None or job is None or not may_see_candidates(job, caller):
            # One answer whether or not it exists: an outsider learns nothing about it.
            raise NotVisible("application", application_ref, "ask to reject", whose="its job's")
        # Only now, for someone who may see it: the candidate's name.
        known = view.names.get(listed.candidate_id) if listed is not None and view is not None else None
        candidate_name = known or self._candidate_name(app.candidate_id)
        if app.status != "active":
            raise UserFacingError(f"Application {app.id} is {app.status}, not active: only active applications can be rejected.")
        request = self._new(
            "reject_application", job.id, job.name, actor, channel,
            approver_gh_ids=sorted(job.approver_user_ids()),
            application_id=app.id, candidate_name=candidate_name, candidate_id=app.candidate_id, stage=app.stage,
        )
        matches = match_by_words(reason_words, self.reference.rejection_reasons(), lambda r: r.name)
        if len(matches) == 1:
            request.rejection_reason_id, request.rejection_reason_name = matches[0].id, matches[0].name
        self._save_new(request)
        return request

    def _candidate_name(self, candidate_id: int | None) -> str:
        """Only decorates the request: a refused or failing look-up leaves a placeholder. Through
        the store's name cache when there is one (no request for a name it knows)."""
        cache = self.views.names if self.views is not None else None
        look_up = cache.names if cache is not None else self.harvest.candidate_names
        names = optional("candidate name", [], lambda: look_up([candidate_id])) if candidate_id else None
        return (names or {}).get(candidate_id or 0) or f"candidate {candidate_id or '?'}"

    def _recent_view(self, ref: str, caller: Caller) -> JobView | None:
        """The job's view read within the view cache's TTL, if the caller may see its
        candidates by the hiring team that view read (the rule "More" follows); else None."""
        ref = check_job_ref(ref)
        caller.team_member_id()  # who is not mapped is told so first, as find_job_for does
        if self.views is None or not ref.isdigit() or len(ref) > 18:
            return None
        view = self.views.recent(int(ref))
        if view is None or not view.may_see_candidates or not may_see_candidates(view.job, caller):
            return None
        return view

    def choose(self, request_id: str, caller: Caller, *, reason_id: int | None = None,
               template_id: int | None | str = "keep") -> Request:
        """The requester picks a reason or an email template on their draft."""
        user = caller.slack_user_id
        request = self._draft_of(request_id, user)
        update: dict[str, Any] = {}
        if request.kind == "close_job":
            if reason_id is not None:
                reason = self.reference.close_reason(reason_id)
                update.update(close_reason_id=reason.id, close_reason_name=reason.name)
        else:  # only an application's rejection sends an email
            update.update(self.rejection_fields(reason_id, template_id if request.kind == "reject_application" else "keep"))
        return self._transition(request.id, ("draft",), "draft", user, "choose", **update)

    def ready_to_post(self, request_id: str, caller: Caller) -> Request:
        current = self.get(request_id)
        if current is not None and current.requester == caller.slack_user_id and current.state in ("posting", "requested"):
            raise Refused(ALREADY_POSTED)
        request = self._draft_of(request_id, caller.slack_user_id)
        if request.kind == "close_job" and request.close_reason_id is None:
            raise UserFacingError("Pick a close reason first.")
        self.check_rest_ready(request)
        if request.kind == "reject_application" and request.rejection_reason_id is None:
            raise UserFacingError("Pick a rejection reason first.")
        if request.kind == "move_application" and request.to_stage_id is None:
            raise UserFacingError("Pick the stage to move it to first.")
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

    def mark_posted(self, request_id: str, channel: str, message_ts: str, thread_ts: str,
                    permalink: str | None = None) -> Request:
        return self._transition(
            request_id, ("posting",), "requested", "bot", "posted",
            channel=channel, message_ts=message_ts, thread_ts=thread_ts, permalink=permalink,
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
