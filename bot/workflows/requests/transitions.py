"""The stored requests and the one way their state changes: a compare-and-set on the
record (`Store.update`) that checks the state it leaves (and anything else the caller
asks), writes the new state with its fields, and appends one audit entry."""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterator
from typing import Any

from bot.greenhouse.harvest import Harvest
from bot.store import Store
from bot.store.indexes import AtLeast, AtMost, Between, Contains, Not

from ..job_view import JobViews
from ..reference import ReferenceLists
from .lease import LEASE_S, STALL_S
from .model import NotOpen, Request

Raw = dict[str, Any]
SWEEP_BATCH = 100  # requests a housekeeping sweep reads at a time


class RequestRecords:
    """What every part of the requests workflow shares: the store, Greenhouse, the
    settings, the clock — and `_transition`."""

    def __init__(
        self,
        store: Store,
        harvest: Harvest,
        reference: ReferenceLists,
        *,
        ttl_hours: float = 72,
        allow_self_approval: bool = False,
        stage_moves_need_approval: bool = True,
        lease_s: float = LEASE_S,
        stall_s: float = STALL_S,
        undo_minutes: float = 10,
        clock: Callable[[], float] = time.time,
        views: JobViews | None = None,
    ) -> None:
        self.store = store
        self.views = views  # recent job views: a draft right after a view reuses its read
        self.harvest = harvest
        self.reference = reference
        self.ttl_s = ttl_hours * 3600
        self.allow_self_approval = allow_self_approval
        self.stage_moves_need_approval = stage_moves_need_approval  # BOT_STAGE_MOVES_NEED_APPROVAL
        self.lease_s = lease_s
        self.stall_s = stall_s  # an execution without progress this long stops renewing its lease (lease.py)
        self.undo_s = undo_minutes * 60  # how long a rejection the bot made may be undone
        self._clock = clock

    def get(self, request_id: str) -> Request | None:
        raw = self.store.get("requests", request_id)
        return Request(**raw) if raw else None

    def all(self) -> list[Request]:
        """Every request ever made, for tests and tools only: nothing the bot does reads them
        all (tests/test_store_queries.py checks each read path); ask the queries below."""
        return [Request(**raw) for _, raw in self.store.dump("requests")]

    # --- what callers ask for, each answered from an index (bot/store/indexes.py) ------------

    def _find(self, **query: Any) -> list[Request]:
        return [Request(**raw) for raw in self.store.find("requests", **query)]

    def in_states(self, *states: str) -> list[Request]:
        """Oldest first. Meant for the states a request passes through (open, executing):
        the final ones grow with history."""
        return self._find(state=states, order_by="created_at")

    def oldest(self, states: tuple[str, ...], n: int, *, skip: int = 0, order_by: str = "created_at",
               **where: Any) -> list[Request]:
        """Requests `skip` to `skip + n` of these states, oldest first by `order_by`: one
        query per state, each stopping after `skip + n` rows of its index, merged. (One
        `state IN (…)` query would make the database read and sort every match before the limit:
        its index is ordered by state first.)"""
        per_state = [self._find(state=s, order_by=order_by, limit=skip + n, **where) for s in states]
        merged = heapq.merge(*per_state, key=lambda r: (getattr(r, order_by), r.id))
        return list(merged)[skip:skip + n]

    def walk(self, states: tuple[str, ...], order_by: str, upto: float | None = None,
             batch: int | None = None) -> Iterator[list[Request]]:
        """`walk_records` as requests."""
        for records in self.walk_records(states, order_by, upto, batch):
            yield [Request(**raw) for raw in records]

    def walk_records(self, states: tuple[str, ...], order_by: str, upto: float | None = None,
                     batch: int | None = None) -> Iterator[list[Raw]]:
        """The stored records of requests in these states with `order_by` at most `upto`, state by
        state and oldest first within each, in batches of at most `batch`: one LIMITed query from
        where the last batch ended, so a sweep holds one batch, reads each due request once, and
        does not meet twice the ones it changes on the way."""
        size = batch or SWEEP_BATCH
        for state in states:
            low: float | None = None
            last: set[str] = set()
            while True:
                if low is None:
                    where = {} if upto is None else {order_by: AtMost(upto)}
                else:
                    where = {order_by: AtLeast(low) if upto is None else Between(low, upto)}
                found = self.store.find("requests", state=state, order_by=order_by, limit=size, **where)
                fresh = [raw for raw in found if raw["id"] not in last]  # ties with the last batch's end come again
                if fresh:
                    yield fresh
                if len(found) < size or not fresh:
                    break
                low, last = found[-1][order_by], {raw["id"] for raw in found}

    def count_in(self, *states: str) -> int:
        """How many requests are in these states, from the counts the store keeps."""
        counts = self.store.count_by("requests", "state")
        return sum(counts.get(s, 0) for s in states)

    def awaiting(self, greenhouse_user_id: int, *states: str, limit: int | None = None) -> list[Request]:
        """Requests in these states that name this person among their approvers, oldest first
        (the first `limit`)."""
        if limit is not None:
            return self.oldest(states, limit, approver_gh_ids=Contains(greenhouse_user_id))
        return self._find(approver_gh_ids=Contains(greenhouse_user_id), state=states, order_by="created_at")

    def count_awaiting(self, greenhouse_user_id: int, *states: str) -> int:
        return self.store.count_where("requests", approver_gh_ids=Contains(greenhouse_user_id), state=states)

    def made_by(self, slack_user_id: str, *, states: tuple[str, ...] | None = None, not_in: tuple[str, ...] = (),
                newest_first: bool = False, limit: int | None = None) -> list[Request]:
        where: dict[str, Any] = {"requester": slack_user_id}
        if states is not None:
            where["state"] = states
        elif not_in:
            where["state"] = Not(not_in)
        return self._find(order_by="created_at", newest_first=newest_first, limit=limit, **where)

    def expiring_after(self, state: str, at_or_after: float) -> list[Request]:
        """In this state, with a TTL that ends at or after `at_or_after`: recent ones only."""
        return self._find(state=state, expires_at=AtLeast(at_or_after), order_by="expires_at")

    def for_job(self, job_id: int) -> list[Request]:
        return self._find(job_id=int(job_id), order_by="created_at")

    def rejection_fields(self, reason_id: int | None, template_id: int | None | str = "keep") -> Raw:
        """The request fields for a rejection reason and email template picked on a draft (an
        application's rejection, or a close's rest): `template_id` "keep" leaves the email as it
        is, None sends none. Raises UserFacingError when Greenhouse no longer lists the pick."""
        fields: Raw = {}
        if reason_id is not None:
            reason = self.reference.rejection_reason(reason_id)
            fields.update(rejection_reason_id=reason.id, rejection_reason_name=reason.name)
        if template_id != "keep":
            tpl = None if template_id is None else self.reference.rejection_template(int(template_id))
            fields.update(email_template_id=tpl.id if tpl else None, email_template_name=tpl.name if tpl else None)
        return fields

    def _transition(
        self,
        request_id: str,
        from_states: tuple[str, ...],
        to_state: str,
        who: str,
        detail: str,
        *,
        only_if: Callable[[Raw], bool] | None = None,
        computed: Callable[[Raw], Raw] | None = None,
        **fields: Any,
    ) -> Request:
        """from_states → to_state in one compare-and-set, then one audit entry. `only_if`
        adds a condition on the stored record (a lease, a TTL, a claim generation);
        `computed` derives fields from it (counters). Raises NotOpen, carrying what the
        request is now, when the record is not in a state this transition leaves."""
        before: dict[str, str] = {}

        def change(raw: Raw) -> Raw | None:
            if raw["state"] not in from_states or (only_if is not None and not only_if(raw)):
                return None
            before["state"] = raw["state"]
            raw.update(state=to_state, **fields, **(computed(raw) if computed else {}))
            return raw

        won = self.store.update("requests", request_id, change)
        if won is None:
            raise self.not_open(request_id)
        request = Request(**won)
        if self.views is not None and request.wrote_something and to_state not in ("executing", "undoing"):
            # The next view of the job shows what was written: a reject or a move changed its
            # applications only; a close its openings (and, rejecting the rest, applications).
            # A close that left the job closed (read back after the writes) takes it off the open
            # jobs at once: the Home tabs this transition redraws need not read it to learn that.
            self.views.forget(request.job_id, job=request.kind == "close_job",
                              closed=request.kind == "close_job" and to_state == "done"
                              and request.job_status_after == "closed")
        if before["state"] != to_state or detail != "choose":
            self._audit(request, before["state"], to_state, who, detail)
        return request

    def not_open(self, request_id: str) -> NotOpen:
        """Why a request can no longer take this step: the request as it is now
        (the Slack layer words it, naming who decided)."""
        return NotOpen(self.get(request_id))

    def _audit(self, request: Request, from_state: str, to_state: str, who: str, detail: str) -> None:
        self.store.append_audit({
            "at": self._clock(), "request_id": request.id, "kind": request.kind, "job_id": request.job_id,
            "application_id": request.application_id, "from": from_state, "to": to_state, "who": who,
            "detail": detail[:500], "results": request.results,
        })
