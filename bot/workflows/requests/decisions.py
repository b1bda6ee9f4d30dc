"""The approvers' side: who may decide, the claim that lets exactly one approval (or
Retry) start writing, Deny, and what is waiting for whom."""

from __future__ import annotations

from typing import Any

from bot.greenhouse.models import Job
from bot.identity import Caller

from ..errors import Refused
from ..jobs import find_job_for
from .lease import executor_id
from .model import Page, Request
from .transitions import RequestRecords

PENDING_PAGE = 40  # requests one `pending` answer lists (a Slack message holds 50 blocks)
UNDECIDED = ("requested", "failed")


class Decisions(RequestRecords):
    def may_decide(self, request: Request, caller: Caller) -> None:
        if caller.slack_user_id == request.requester and not self.allow_self_approval:
            raise Refused("You asked for this, so someone else has to approve it (a recruiter or coordinator on the job, or a bot admin).")
        if caller.is_admin:
            return
        clicker_gh = caller.team_member_id()
        # Authority is the job's team in Greenhouse now, not when the request was made:
        # someone taken off the job since cannot approve. Its approvers only, read fresh
        # (v3: one request, not the whole job's four).
        approvers = self.harvest.approver_ids(request.job_id)
        if not (clicker_gh is not None and clicker_gh in approvers):
            raise Refused("Only the recruiters and coordinators of {job} or a bot admin can approve or deny this request.",
                          job=request.job_name)

    def may_deny(self, request: Request, caller: Caller) -> None:
        """The requester may withdraw their own request; otherwise the approvers decide."""
        if caller.slack_user_id != request.requester:
            self.may_decide(request, caller)

    def claim(self, request_id: str, caller: Caller, *, retry: bool = False) -> Request:
        """requested (or failed, for Retry) → executing, atomically: the single point where
        writing can start. Raises Refused with who got there first when the claim is lost.
        Each claim takes the next generation (the fencing token its writes are checked against)."""
        approver = caller.mapped()  # writes go out in the approver's name: even admins need a mapping
        now = self._clock()
        return self._transition(
            request_id, ("failed",) if retry else ("requested",), "executing",
            approver.slack_user_id, "retry" if retry else "approved",
            only_if=lambda raw: raw["expires_at"] > now,  # a failed request's Retry expires with it, like Approve
            computed=lambda raw: {"attempts": raw.get("attempts", 0) + 1,
                                  "claim_generation": raw.get("claim_generation", 0) + 1},
            decided_by=approver.slack_user_id, decided_by_gh=approver.greenhouse_user_id, decided_by_name=approver.name,
            decided_at=now, lease_until=now + self.lease_s, executor=executor_id(), error=None,
        )

    def deny(self, request_id: str, caller: Caller, reason: str | None) -> Request:
        now = self._clock()
        why = (reason or "").strip()[:500] or None
        return self._transition(
            request_id, ("requested", "failed"), "denied", caller.slack_user_id, why or "",
            decided_by=caller.slack_user_id, decided_at=now, deny_reason=why, finished_at=now,
        )

    def pending_for(self, caller: Caller, page: int = 1, size: int = PENDING_PAGE) -> Page:
        """Open requests the caller made or may decide, oldest first, one page of `size`;
        the total is counted from indexes, so a page costs the same however many are open."""
        slack_user, gh_user, is_admin = caller.slack_user_id, caller.team_member_id(), caller.is_admin
        page = max(1, page)
        skip = (page - 1) * size
        if is_admin:  # every open request: the oldest of this page, and the count of them all
            return Page(self.oldest(UNDECIDED, size, skip=skip), self.count_in(*UNDECIDED), page, size)
        # Mine (what one person asked for, and it expires) ∪ the first ones naming me as approver:
        # the union's first skip+size are among those two lists' first skip+size.
        mine = {r.id: r for r in self.made_by(slack_user, states=UNDECIDED)}
        found = dict(mine)
        total = len(mine)
        if gh_user is not None:
            found.update((r.id, r) for r in self.awaiting(gh_user, *UNDECIDED, limit=skip + size))
            both = sum(1 for r in mine.values() if gh_user in r.approver_gh_ids)
            total += self.count_awaiting(gh_user, *UNDECIDED) - both
        ordered = sorted(found.values(), key=lambda r: (r.created_at, r.id))
        return Page(ordered[skip:skip + size], total, page, size)

    def history(self, job_ref: str, caller: Caller, limit: int = 20) -> tuple[Job, list[dict[str, Any]]]:
        """The job and its latest audit entries, oldest first: for its hiring team and bot admins."""
        caller.team_member_id()
        job = find_job_for(self.harvest, job_ref, caller, "see the history of")
        newest = self.store.find("audit", job_id=job.id, order_by="key", newest_first=True, limit=limit)
        return job, newest[::-1]  # audit keys sort by time
