"""What a person's App Home holds: the requests waiting for their decision and the
requests they made (from the store alone), and *Your jobs* (bot/workflows/home_jobs.py:
a few Harvest list requests, cached, so opening the tab again costs Greenhouse nothing).
No Slack here (bot/slack/blocks/home.py draws it).

Who may approve is decided at the click by `Decisions.may_decide` against the
job's team as Greenhouse lists it then; this list uses the approvers recorded
when the request was made, which is what the thread mentions too."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.identity import Caller
from bot.store.indexes import Not

from .home_jobs import HomeJobs, YourJobs
from .requests import Request, Requests

DECIDABLE = ("requested", "failed")
RECENT = 10  # of the viewer's own requests, newest first
WAITING = 25  # requests listed under "Waiting for your approval" (the tab holds 100 blocks, 2 each)


@dataclass(frozen=True)
class HomeTab:
    slack_user_id: str
    mapped: bool
    unmapped_because: str | None = None
    waiting: list[Request] = field(default_factory=list)  # the viewer may decide these (the oldest WAITING)
    waiting_total: int = 0  # how many the viewer may decide in all
    mine: list[Request] = field(default_factory=list)  # the viewer asked for these
    jobs: YourJobs | None = None  # None: no jobs section (unmapped, or not wired)

    @property
    def empty(self) -> bool:
        has_jobs = self.jobs is not None and bool(self.jobs.total or self.jobs.unavailable)
        return not (self.waiting or self.mine or has_jobs)


class Home:
    def __init__(self, requests: Requests, *, allow_self_approval: bool, jobs: HomeJobs | None = None) -> None:
        self.requests = requests
        self.allow_self_approval = allow_self_approval
        self.jobs = jobs

    def tab_for(self, caller: Caller, jobs_offset: int = 0) -> HomeTab:
        """`jobs_offset`: the first of the viewer's jobs shown (the tab's Next/Previous buttons)."""
        if caller.mapping is None and not caller.is_admin:
            return HomeTab(caller.slack_user_id, mapped=False, unmapped_because=caller.unmapped_because)
        # Indexed reads only (bot/store/indexes.py), each bounded: the oldest few the viewer may
        # decide with how many there are, and their own latest.
        waiting, total = self._waiting(caller)
        mine = self.requests.made_by(caller.slack_user_id, not_in=("draft", "discarded"), newest_first=True, limit=RECENT)
        jobs = self.jobs.for_viewer(caller, jobs_offset) if self.jobs is not None else None
        return HomeTab(caller.slack_user_id, mapped=caller.mapping is not None, waiting=waiting, waiting_total=total,
                       mine=mine, unmapped_because=caller.unmapped_because, jobs=jobs)

    def _waiting(self, caller: Caller) -> tuple[list[Request], int]:
        """The oldest WAITING requests the viewer may decide, and how many there are in all:
        bounded reads and counts kept by the store, whatever the number open."""
        me = caller.slack_user_id
        # Their own requests are not theirs to decide (unless self-approval is on): few, and they expire.
        own = [] if self.allow_self_approval else self.requests.made_by(me, states=DECIDABLE)
        if caller.is_admin:  # every open request but their own
            first = self.requests.oldest(DECIDABLE, WAITING, **({"requester": Not((me,))} if own else {}))
            return first, max(0, self.requests.count_in(*DECIDABLE) - len(own))
        gh = caller.greenhouse_user_id
        if gh is None:
            return [], 0
        own = [r for r in own if gh in r.approver_gh_ids]
        first = [r for r in self.requests.awaiting(gh, *DECIDABLE, limit=WAITING + len(own)) if self.may_decide(r, caller)]
        return first[:WAITING], max(0, self.requests.count_awaiting(gh, *DECIDABLE) - len(own))

    def may_decide(self, r: Request, caller: Caller) -> bool:
        if r.state not in DECIDABLE:
            return False
        if r.requester == caller.slack_user_id and not self.allow_self_approval:
            return False
        return caller.is_admin or (caller.greenhouse_user_id is not None and caller.greenhouse_user_id in r.approver_gh_ids)

    @staticmethod
    def concerned_greenhouse_ids(r: Request) -> list[int]:
        """Whose tab changes when this request does: its approvers (the requester is a Slack id)."""
        return list(r.approver_gh_ids)
