"""Close and reject the rest: a close request may also reject the active candidates
left on the job, with one rejection reason and an optional organization-wide email,
under the same single approval.

Which applications: those active on the job when the close was drafted, stored on
the request (`rest_application_ids`) — what the approver approves, and what a
restart finds again, so none is lost and none is added. Each is rejected once, on
behalf of the approver, after the openings are closed:

- Greenhouse is read first (one list of the job's active applications, 500 a page):
  one that is no longer active on the job changed meanwhile (hired, rejected, moved to
  another job, deleted) — it is read alone to say how, skipped and listed; one whose
  earlier write we may have sent (`sending`, or an error after sending) and that is
  now rejected counts as rejected by us.
- Each write is fenced by the claim's generation (`Execution._fence`), and its answer
  stored at once under `app:<id>` in `results`; a 422 for an application that
  changed between the read and the write is a skip, not a failure.
- Any other refusal stops the run (`failed`): Retry reads again and writes only what
  is still left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.greenhouse.errors import GreenhouseError, NotFound, ValidationFailed
from bot.greenhouse.models import ApplicationRow
from bot.identity import Caller

from ..errors import Refused, UserFacingError
from .execute import Execution, failed_outcome, greenhouse_words, may_have_landed
from .model import Request
from .transitions import RequestRecords

KEY_PREFIX = "app:"  # results keys of the rest: application ids, apart from the openings' ids
SKIPPED = "skipped: "
Progress = Callable[[Request], None]


def rest_key(application_id: int) -> str:
    return f"{KEY_PREFIX}{application_id}"


def rest_fields(applications: Iterable[ApplicationRow], names: Mapping[int, str]) -> dict[str, Any]:
    """What a close draft keeps of the job's active applications, should the requester
    choose to reject them too: their ids, and the names known without a request (a view
    names only the pages it showed). The names only label the ones skipped at execution;
    a skipped one whose name was not known gets it from the read that finds it changed
    (RejectRest._changed), so none is listed by number alone."""
    apps = list(applications)
    return {"rest_application_ids": [a.id for a in apps],
            "rest_candidate_names": {str(a.id): names[a.candidate_id] for a in apps if a.candidate_id in names}}


@dataclass(frozen=True)
class RestTally:
    """Where the rest stands: rejected by this request, skipped (changed meanwhile, with
    how), and still to reject."""

    total: int
    rejected: list[int]
    skipped: list[tuple[int, str]]
    left: list[int]


def rest_tally(r: Request) -> RestTally:
    rejected, skipped, left = [], [], []
    for app_id in r.rest_application_ids:
        outcome = r.results.get(rest_key(app_id), "")
        if outcome == "rejected":
            rejected.append(app_id)
        elif outcome.startswith(SKIPPED):
            skipped.append((app_id, outcome[len(SKIPPED):]))
        else:
            left.append(app_id)
    return RestTally(len(r.rest_application_ids), rejected, skipped, left)


class RestChoices(RequestRecords):
    """The requester's side: opt in (or out), pick the rejection reason and email."""

    def choose_rest(self, request_id: str, caller: Caller, *, reject: bool | None = None,
                    reason_id: int | None = None, template_id: int | None | str = "keep") -> Request:
        request = self.get(request_id)
        if request is None or request.state != "draft" or request.kind != "close_job":
            raise UserFacingError("This draft is no longer open; run the command again.")
        if request.requester != caller.slack_user_id:
            raise Refused("Only the person who asked can change this draft.")
        update: dict[str, Any] = {}
        if reject is not None:
            if reject and not request.rest_application_ids:
                raise UserFacingError("No active candidates are left on this job to reject.")
            update["reject_rest"] = reject
        update.update(self.rejection_fields(reason_id, template_id))
        return self._transition(request.id, ("draft",), "draft", caller.slack_user_id, "choose", **update)

    def check_rest_ready(self, request: Request) -> None:
        """Before posting: a rest to reject needs a reason when Greenhouse requires one (v3)."""
        if request.reject_rest and request.rejection_reason_id is None and self.harvest.rejection_reason_required:
            raise UserFacingError("Pick a rejection reason for the candidates first (Greenhouse requires one).")


class RejectRest(Execution):
    """The execution's side (see the module's docstring)."""

    def _after_close(self, request: Request, progress: Progress | None) -> None:
        if not request.reject_rest:
            return
        fresh = self.get(request.id) or request  # the openings' results are in: show them with the rest
        to_write = self._rest_to_write(fresh)
        tell = progress or (lambda r: None)
        tell(self.get(request.id) or fresh)
        notes = (f"Rejected via Slack when the job was closed: requested by {request.requester_name}, "
                 f"approved by {request.decided_by_name}.")
        for app_id in to_write:
            key = rest_key(app_id)
            try:
                self.harvest.reject_application(
                    app_id, rejection_reason_id=request.rejection_reason_id, notes=notes,
                    email_template_id=request.email_template_id,
                    acting_user_id=request.decided_by_gh,  # type: ignore[arg-type]
                    before_send=self._fence(request.id, request.claim_generation, key),
                )
            except (ValidationFailed, NotFound) as exc:
                # Refused for this application alone? Changed between our read and the write:
                # skipped. Still active here: the refusal is about the request (reason, email).
                changed = self._changed(request, app_id, ours=False)
                if changed is None:
                    self._record(request.id, key, failed_outcome(exc))
                    raise
                self._record(request.id, key, changed)
            except GreenhouseError as exc:
                self._record(request.id, key, failed_outcome(exc))
                raise
            else:
                self._record(request.id, key, "rejected")
            tell(self.get(request.id) or fresh)

    def _rest_to_write(self, request: Request) -> list[int]:
        """Read Greenhouse first: of the rest not yet settled, those still active on the job
        (to write); the others are settled now by what Greenhouse shows (recorded)."""
        if not request.reject_rest:
            return []
        pending = rest_tally(request).left
        if not pending:
            return []
        active = {row.id for row in self.harvest.iter_active_application_rows(request.job_id)}
        to_write = []
        for app_id in pending:
            if app_id in active:
                to_write.append(app_id)
                continue
            # Only the ones that changed cost a read each (usually none or a few).
            sent_before = may_have_landed(request.results.get(rest_key(app_id)))
            outcome = self._changed(request, app_id, ours=sent_before)
            if outcome is None:
                to_write.append(app_id)  # active on the job after all (the list raced a change)
            else:
                self._record(request.id, rest_key(app_id), outcome)
        return to_write

    def _changed(self, request: Request, app_id: int, *, ours: bool) -> str | None:
        """What an application not active on the job is now, as a result: "rejected" when
        our earlier write may have done it (`ours`), else a skip saying how it changed;
        None when it is in fact still active on the job. The read names the candidate: kept
        for the skipped list when the draft did not know the name."""
        job_id = request.job_id
        app = self.harvest.get_application(app_id)
        if app is not None and str(app_id) not in request.rest_candidate_names \
                and app.candidate_name != f"candidate {app.candidate_id or '?'}":  # the look-up's placeholder
            self._name_rest(request.id, app_id, app.candidate_name)
        if app is None:
            return f"{SKIPPED}no longer in Greenhouse"
        if app.status == "rejected":
            return "rejected" if ours else f"{SKIPPED}already rejected"
        if app.status == "active":
            if app.job_id == job_id and not app.prospect:
                return None
            return f"{SKIPPED}moved to another job" if app.job_id != job_id else f"{SKIPPED}now a prospect"
        return f"{SKIPPED}{app.status}"  # hired, converted

    def _name_rest(self, request_id: str, app_id: int, name: str) -> None:
        def put(raw: dict[str, Any]) -> dict[str, Any]:
            raw["rest_candidate_names"] = {**raw.get("rest_candidate_names", {}), str(app_id): name}
            return raw

        self.store.update("requests", request_id, put)
