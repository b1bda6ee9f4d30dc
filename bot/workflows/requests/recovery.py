"""Housekeeping's side: requests past their TTL expire (a failed one's Retry with
them), and executions whose process died are taken over — a new generation fences
the old executor out — and settled by reading Greenhouse, never by writing."""

from __future__ import annotations

from typing import Any

from bot.greenhouse.errors import GreenhouseError

from ..errors import Refused
from .lease import executor_id, holds, pid_alive
from .model import OPEN_STATES, Request
from .reject_rest import RejectRest


class Recovery(RejectRest):
    def expire_due(self) -> list[Request]:
        """Requests not done within the TTL → expired: undecided ones, and failed ones, whose
        Retry expires with the request (drafts → discarded)."""
        now = self._clock()
        expired = []
        # Due first, a batch at a time (bounded reads however many fall due together).
        for batch in self.walk((*OPEN_STATES, "failed"), "expires_at", upto=now):
            for request in batch:
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
        for request in (r for batch in self.walk(("executing",), "created_at") for r in batch):
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
            if raw["state"] != request.state or raw.get("claim_generation", 0) != request.claim_generation:
                return None
            if (raw.get("lease_until") or 0) > now and pid_alive(raw.get("executor")):
                return None  # alive: its heartbeat keeps the lease
            raw.update(claim_generation=request.claim_generation + 1, executor=executor_id(), lease_until=now + self.lease_s)
            return raw

        won = self.store.update("requests", request.id, take)
        return Request(**won) if won else None

    def _reconcile(self, request: Request) -> Request:
        generation = request.claim_generation
        try:
            done = self._done_in_greenhouse(request)
            job = self.harvest.get_job_status(request.job_id) if done else None  # for its status only
        except GreenhouseError:
            # Cannot read Greenhouse now: give the lease up so the next round tries again.
            self._release(request.id, generation)
            raise
        if done:
            return self._finish(request.id, generation, "done", job_status_after=job.status if job else None)
        return self._finish(request.id, generation, "failed",
                            error="The bot stopped while carrying this out; Greenhouse shows it unfinished. Use Retry.")

    def _done_in_greenhouse(self, request: Request) -> bool:
        """Does Greenhouse show this request's writes done? Records what it shows. Kinds kept
        in their own modules override this and hand the others on with super()."""
        if request.kind == "close_job":
            still_open = {o.id for o in self.harvest.list_openings(request.job_id) if o.is_open}
            for opening_id in request.opening_ids:
                if opening_id not in still_open:
                    self._record(request.id, str(opening_id), "closed")
            fresh = self.get(request.id)
            return fresh is not None and not fresh.remaining_openings() and not self._rest_to_write(fresh)
        app = self.harvest.get_application(request.application_id)  # type: ignore[arg-type]
        done = app is not None and app.status == "rejected"
        if done:
            self._record(request.id, str(request.application_id), "rejected")
        return done

    def _release(self, request_id: str, generation: int) -> None:
        def expire(raw: dict[str, Any]) -> dict[str, Any] | None:
            return {**raw, "lease_until": 0} if holds(raw, generation) else None

        self.store.update("requests", request_id, expire)
