"""Undoing a rejection the bot made: for `undo_s` after it (BOT_UNDO_MINUTES), the
approver who decided it or a bot admin may take it back.

    done ──claim_undo──▶ undoing ──▶ undone
      ▲                    │
      └── Greenhouse refused (its words kept in `undo_error`; Undo again while the window is open)

The claim is the one compare-and-set of `_transition`, with the window checked in it,
and takes the next claim generation: the unreject is fenced on the wire by it exactly
like an execution's writes (`Execution._fence`), so of double clicks, two admins and a
housekeeping takeover only one POST goes out. A resumed undo (after a refusal, or taken
over from a dead process) reads Greenhouse first: an application already active counts
as undone. The outcome is kept in `results["undo"]`."""

from __future__ import annotations

import logging

from bot.greenhouse.errors import GreenhouseError
from bot.identity import Caller

from ..errors import Refused
from .execute import failed_outcome, greenhouse_words, may_have_landed
from .lease import Heartbeat, executor_id
from .model import LostClaim, Request
from .recovery import Recovery

log = logging.getLogger("bot.requests")
UNDO_KEY = "undo"  # the key of results holding the unreject's outcome (sending | unrejected | error: …)
UNDO_STATES = ("undoing", "undone")
OFFER_HORIZON_S = 86400.0
LATE_FINISH_S = 86400.0  # an execution waits on Greenhouse at most hours after its claim


class WindowClosed(Refused):
    """The undo window of this rejection has passed (or it was never open)."""

    def __init__(self, minutes: float) -> None:
        super().__init__(
            f"A rejection can be undone from Slack only within {minutes:g} minutes of it, and that time has passed. "
            "Unreject the application in Greenhouse if it is still needed.")


class Undos(Recovery):
    def undo_deadline(self, r: Request) -> float | None:
        """Until when this request's rejection may be undone; None if it cannot be at all
        (not a rejection the bot made, or not done)."""
        if (r.kind != "reject_application" or r.state != "done" or r.finished_at is None
                or r.results.get(str(r.application_id)) != "rejected" or self.undo_s <= 0):
            return None
        return r.finished_at + self.undo_s

    def undoable(self, r: Request) -> bool:
        """Is Undo on offer now (the messages show the button)?"""
        deadline = self.undo_deadline(r)
        return deadline is not None and self._clock() < deadline

    def may_undo(self, r: Request, caller: Caller) -> None:
        """Only the approver who decided the rejection, or a bot admin, within the window."""
        if not (caller.is_admin or (r.decided_by is not None and caller.slack_user_id == r.decided_by)):
            raise Refused("Only the approver who decided this rejection or a bot admin can undo it.")
        if r.state == "done" and not self.undoable(r):
            raise WindowClosed(self.undo_s / 60)

    def claim_undo(self, request_id: str, caller: Caller) -> Request:
        """done → undoing in one compare-and-set that also checks the window: the single
        point where an unreject can start. Takes the next claim generation (the fencing
        token of the unreject). Raises WindowClosed past the window, NotOpen (carrying
        the request as it is now) when someone else got there first."""
        undoer = caller.mapped()  # the unreject goes out on their behalf: even admins need a mapping
        now = self._clock()

        def within_window(raw: dict) -> bool:
            deadline = self.undo_deadline(Request(**raw))
            return deadline is not None and now < deadline

        try:
            return self._transition(
                request_id, ("done",), "undoing", undoer.slack_user_id, "undo",
                only_if=within_window,
                computed=lambda raw: {"claim_generation": raw.get("claim_generation", 0) + 1},
                undone_by=undoer.slack_user_id, undone_by_gh=undoer.greenhouse_user_id, undone_by_name=undoer.name,
                lease_until=now + self.lease_s, executor=executor_id(), undo_error=None,
            )
        except Refused:
            current = self.get(request_id)
            if current is not None and current.state == "done":
                raise WindowClosed(self.undo_s / 60) from None
            raise

    def undo(self, request: Request) -> Request:
        """Carry out a claimed undo: the unreject on behalf of whoever claimed it, fenced by
        the claim's generation; undone, or back to done with Greenhouse's words. Raises
        LostClaim if another worker took the undo over meanwhile (it owns the outcome)."""
        assert request.state == "undoing" and request.undone_by_gh is not None
        generation, application_id = request.claim_generation, request.application_id
        assert application_id is not None
        with Heartbeat(lambda: self.renew(request.id, generation), self.lease_s, request.id,
                       stall_s=self.stall_s, clock=self._clock):
            try:
                if may_have_landed(request.results.get(UNDO_KEY)) and self._already_active(application_id):
                    return self._undo_finished(request.id, generation)  # a resumed undo Greenhouse already shows done
                self.harvest.unreject_application(
                    application_id, acting_user_id=request.undone_by_gh,
                    before_send=self._fence(request.id, generation, UNDO_KEY),
                )
            except GreenhouseError as exc:
                self._record(request.id, UNDO_KEY, failed_outcome(exc))
                return self._undo_refused(request.id, generation, greenhouse_words(exc))
            except LostClaim:
                raise
            except Exception:  # noqa: BLE001 - a bug must not leave the request stuck `undoing`
                log.exception("request_undo_crashed request=%s", request.id)
                return self._undo_refused(request.id, generation, "The bot hit an internal error while undoing this. "
                                          "Undo again reads Greenhouse first.")
            return self._undo_finished(request.id, generation)

    def _already_active(self, application_id: int) -> bool:
        app = self.harvest.get_application(application_id)
        return app is not None and app.status == "active"

    def _undo_finished(self, request_id: str, generation: int) -> Request:
        self._record(request_id, UNDO_KEY, "unrejected")
        return self._settle_undo(request_id, generation, "undone", "unrejected", undone_at=self._clock())

    def _undo_refused(self, request_id: str, generation: int, words: str) -> Request:
        return self._settle_undo(request_id, generation, "done", words, undo_error=words)

    def _settle_undo(self, request_id: str, generation: int, state: str, detail: str, **fields: object) -> Request:
        """undoing → undone|done, only by the holder of the undo's claim (its generation)."""
        try:
            return self._transition(request_id, ("undoing",), state, "bot", detail,
                                    only_if=lambda raw: raw.get("claim_generation", 0) == generation,
                                    lease_until=None, **fields)
        except Refused:
            raise LostClaim("Another worker took this undo over; the request's message shows the outcome.") from None

    def reconcile_stuck_undos(self) -> list[Request]:
        """Undos whose process died: taken over (a new generation fences the old one out)
        and settled by reading Greenhouse, never by writing: an active application is
        undone; one still rejected goes back to done, to be undone again while the window lasts."""
        settled = []
        for request in self.in_states("undoing"):
            taken = self._take_over(request)
            if taken is None:
                continue
            try:
                app = self.harvest.get_application(taken.application_id)  # type: ignore[arg-type]
            except GreenhouseError:
                self._release(taken.id, taken.claim_generation)  # Greenhouse unreadable now: the next round tries again
                continue
            try:
                if app is not None and app.status == "active":
                    settled.append(self._undo_finished(taken.id, taken.claim_generation))
                else:
                    settled.append(self._undo_refused(taken.id, taken.claim_generation, (
                        "The bot stopped while undoing this; Greenhouse shows the application "
                        f"{app.status if app else 'gone'}, so it was not undone.")))
            except LostClaim:
                continue
        return settled

    def undo_offers_to_close(self) -> list[Request]:
        """Rejections whose undo window has just passed, each returned once across
        processes (an atomic flag), so their messages are redrawn without the button."""
        closed, now = [], self._clock()
        # An indexed read of recent requests only: a request is approved before it expires and its
        # execution ends within LATE_FINISH_S of that, so a deadline (finished_at + undo_s) inside the
        # horizon means expires_at ≥ now − horizon − undo_s − LATE_FINISH_S.
        for request in self.expiring_after("done", now - OFFER_HORIZON_S - self.undo_s - LATE_FINISH_S):
            deadline = self.undo_deadline(request)
            # Older than a day: from before this feature or long settled; never redraw history in bulk.
            if deadline is None or request.undo_offer_closed or not (now - OFFER_HORIZON_S <= deadline <= now):
                continue

            def close(raw: dict) -> dict | None:
                return None if raw.get("undo_offer_closed") or raw["state"] != "done" else {**raw, "undo_offer_closed": True}

            won = self.store.update("requests", request.id, close)
            if won is not None:
                closed.append(Request(**won))
        return closed
