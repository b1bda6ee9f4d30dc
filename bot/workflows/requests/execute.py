"""Carrying out a claimed request: read Greenhouse first, then each write fenced by the
claim's generation on the wire, its outcome stored as soon as Greenhouse answers, and
the lease kept alive by a heartbeat however long Greenhouse takes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

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
from bot.greenhouse.models import Job

from ..errors import Refused
from .lease import Heartbeat, holds, progressed
from .model import LostClaim, NotDoable, Request
from .transitions import RequestRecords

log = logging.getLogger("bot.requests")


class Execution(RequestRecords):
    def execute(self, request: Request, progress: Callable[[Request], None] | None = None) -> Request:
        """Carry out a claimed request. Greenhouse is read first (what is already done
        counts as done); each write is fenced — marked `sending` by a compare-and-set
        on this claim's generation right before it goes on the wire — and its outcome
        is stored as soon as Greenhouse answers. Raises LostClaim if another executor
        took the request over meanwhile (it then owns the outcome). `progress` is told the
        request as it stands after each write of a long run (the rest of a close)."""
        assert request.state == "executing" and request.decided_by_gh is not None
        generation = request.claim_generation
        with Heartbeat(lambda: self.renew(request.id, generation), self.lease_s, request.id,
                       stall_s=self.stall_s, clock=self._clock):
            try:
                self._carry_out(request, progress)
            except GreenhouseError as exc:
                return self._finish(request.id, generation, "failed", error=greenhouse_words(exc))
            except NotDoable as exc:
                return self._finish(request.id, generation, "failed", error=str(exc))
            except LostClaim:
                raise
            except Exception:  # noqa: BLE001 - a bug must not leave the request stuck `executing`
                log.exception("request_execution_crashed request=%s", request.id)
                return self._finish(request.id, generation, "failed", error=(
                    "The bot hit an internal error while carrying this out. Retry reads Greenhouse first."))
            job = self._job_after(request.job_id)
            finished = self._finish(request.id, generation, "done", job_status_after=job.status if job else None)
            finished.job_after = job  # handed on, not stored: the closing's announcement starts from it
            return finished

    def _carry_out(self, request: Request, progress: Callable[[Request], None] | None) -> None:
        """The writes of one kind of request. Kinds kept in their own modules override this
        and hand the others on with super() (bot/workflows/requests/moves.py)."""
        if request.kind == "close_job":
            self._close_openings(request)
            self._after_close(request, progress)
        else:
            self._reject(request)

    def _after_close(self, request: Request, progress: Callable[[Request], None] | None) -> None:
        """After the openings: rejecting the rest, when asked (reject_rest.RejectRest)."""

    def _job_after(self, job_id: int) -> Job | None:
        """The job read after the writes, for its status (the message) and closed_at (the
        announcement): its own fields only (v3: one request; v1 gives it whole). None if
        Greenhouse cannot say now."""
        try:
            return self.harvest.get_job_status(job_id)
        except GreenhouseError:
            return None

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
                self._record(request.id, key, failed_outcome(exc))
                raise
            self._record(request.id, key, "closed")

    def _reject(self, request: Request) -> None:
        key = str(request.application_id)
        if request.results.get(key) == "rejected":
            return
        # A resumed request (Retry, or after a crash) may find Greenhouse already did it: ours
        # only if an earlier write of ours may have landed; else someone else rejected it, and
        # saying "rejected" (with Undo) would claim their rejection for this request.
        prior = request.results.get(key)
        if prior is not None or request.attempts > 1:
            app = self.harvest.get_application(request.application_id)  # type: ignore[arg-type]
            if app is not None and app.status == "rejected":
                if may_have_landed(prior):
                    self._record(request.id, key, "rejected")
                    return
                raise NotDoable(f"Application {app.id} was already rejected in Greenhouse, not by this request. "
                                "Nothing was written.")
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
            self._record(request.id, key, failed_outcome(exc))
            raise
        self._record(request.id, key, "rejected")

    def _fence(self, request_id: str, generation: int, key: str) -> Callable[[], None]:
        """The check the Harvest client runs right before each send of one write: the
        claim is still this execution's (else LostClaim, and nothing is sent), and the
        write is marked `sending` in the same compare-and-set."""

        def check() -> None:
            progressed()  # a write attempt begins: whatever the wait before it, the run is alive
            now = self._clock()

            def mark(raw: dict[str, Any]) -> dict[str, Any] | None:
                if not holds(raw, generation):
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
        progressed()

    def renew(self, request_id: str, generation: int) -> bool:
        """Extend the lease of a live execution; False once it no longer holds the claim."""
        now = self._clock()

        def extend(raw: dict[str, Any]) -> dict[str, Any] | None:
            if not holds(raw, generation):
                return None
            raw["lease_until"] = now + self.lease_s
            return raw

        return self.store.update("requests", request_id, extend) is not None

    def _finish(self, request_id: str, generation: int, state: str, **fields: Any) -> Request:
        """executing → done|failed, only by the holder of the claim (its generation)."""
        try:
            return self._transition(request_id, ("executing",), state, "bot", fields.get("error") or state,
                                    only_if=lambda raw: holds(raw, generation),
                                    finished_at=self._clock(), lease_until=None, **fields)
        except Refused:
            raise LostClaim("Another worker took this request over; its message shows the outcome.") from None


def failed_outcome(exc: GreenhouseError) -> str:
    """What a write that raised leaves in `results`. "unconfirmed: …" when it may have landed
    (sent and not answered, or a server error after it arrived): the next attempt reads
    Greenhouse before writing and counts a change it finds as this request's. "error: …" when
    Greenhouse answered no or the write never went out: nothing was written, so a change found
    later is someone else's, not ours to report as done (nor to offer to undo)."""
    if isinstance(exc, Unconfirmed | ServerError) or (exc.status or 0) >= 500:
        return f"unconfirmed: {greenhouse_words(exc)}"
    return f"error: {greenhouse_words(exc)}"


def may_have_landed(outcome: str | None) -> bool:
    """Whether an earlier attempt's write of this key may be in Greenhouse: marked `sending`
    by its fence (the process died or lost its claim on the wire) or unconfirmed. Nothing
    recorded means nothing went on the wire (the fence marks before every send)."""
    return outcome == "sending" or (outcome or "").startswith("unconfirmed")


def greenhouse_words(exc: GreenhouseError) -> str:
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
