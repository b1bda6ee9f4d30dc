"""The requester's side: draft a close or a reject from what Greenhouse shows now (a
rejection: or from the fresh Harvest mirror, decision 0018), pick its reason and email,
and hand it over for posting — once, however often *Request approval* is clicked
(draft → posting is a compare-and-set)."""

from __future__ import annotations

import uuid
from typing import Any

from bot.greenhouse.models import ApplicationRow, Job, Opening
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
    or the application (reject) are read again. A rejection of an application the fresh
    Harvest mirror holds on one of the caller's jobs reads neither (decision 0018): the
    write at approval is Greenhouse's own check that it is still active. Approval re-reads
    the team and the openings anyway (decisions.may_decide, execute)."""

    def draft_close(self, caller: Caller, ref: str, reason_words: str, channel: str, *, reject_rest: bool = False) -> Request:
        actor = caller.mapped()  # a request is made in the requester's name: even admins need a mapping
        view = self._recent_view(ref, caller)
        openings: list[Opening] = []
        if view is not None:
            # What the approval will close: read now, not from the view.
            openings = [o for o in self.harvest.list_openings(view.job.id) if o.is_open]
            if not openings:
                # None open any more, and the view already let the caller in: the job's own
                # fields, read now, say what became of it (v3 one request, not the whole job's four).
                status = self.harvest.get_job_status(view.job.id)
                if status is not None:
                    raise _nothing_to_close(status)
        if view is not None and openings:
            job, active, names = view.job, list(view.applications), view.names
        else:
            # No recent view (or its job is no longer in Greenhouse: answered as any job is).
            job = find_job_for(self.harvest, ref, caller, "ask to close")
            openings = [o for o in job.openings if o.is_open] or [o for o in self.harvest.list_openings(job.id) if o.is_open]
            if not openings:
                raise _nothing_to_close(job)
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
        mirrored = self._from_mirror(int(application_ref), caller)
        if mirrored is not None:
            # Active in the fresh mirror, on a job the caller's hiring team holds: no
            # application read, no job read (docs/decisions/0018-drafts-from-the-mirror.md).
            # Greenhouse refuses the write at approval if it is no longer active.
            job, row = mirrored
            names = self.views.names if self.views is not None else None
            known = names.known([row.candidate_id]) if names is not None else {}
            return self._save_reject(
                job, actor, channel, reason_words, application_id=row.id, candidate_id=row.candidate_id,
                candidate_name=known.get(row.candidate_id) or self._candidate_name(row.candidate_id), stage=row.stage)
        # Otherwise the application itself is read now (is it still active?); its names and
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
        return self._save_reject(job, actor, channel, reason_words, application_id=app.id,
                                 candidate_name=candidate_name, candidate_id=app.candidate_id, stage=app.stage)

    def _save_reject(self, job: Job, actor: Mapping, channel: str, reason_words: str, **fields: Any) -> Request:
        request = self._new("reject_application", job.id, job.name, actor, channel,
                            approver_gh_ids=sorted(job.approver_user_ids()), **fields)
        matches = match_by_words(reason_words, self.reference.rejection_reasons(), lambda r: r.name)
        if len(matches) == 1:
            request.rejection_reason_id, request.rejection_reason_name = matches[0].id, matches[0].name
        self._save_new(request)
        return request

    def _from_mirror(self, application_id: int, caller: Caller) -> tuple[Job, ApplicationRow] | None:
        """The application and its job from the Harvest mirror while it is fresh, if it is
        active on a job whose hiring team — as the mirror has it — lists the caller; else None
        (then the draft reads Greenhouse exactly as without the mirror, so whoever the mirror
        does not let in, outsiders first, gets the answer and the reads they always got)."""
        mirror = self.views.mirror if self.views is not None else None
        member = caller.team_member_id()
        if mirror is None or member is None:
            return None
        return mirror.application_for_member(application_id, member)

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


def _nothing_to_close(job: Job) -> UserFacingError:
    """A close asked for a job with no open opening: say what the job is now (an open job
    with none open has nothing to close either; "open already" would read as nonsense)."""
    if job.status == "open":
        return UserFacingError("{job} has no open openings to close.", job=f"{job.name} ({job.id})")
    return UserFacingError("{job} has no open openings; it is {status} already.",
                           job=f"{job.name} ({job.id})", status=job.status)
