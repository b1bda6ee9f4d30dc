"""Noticing that a job has closed, and claiming the right to announce it.

Greenhouse closes a job by itself when its last opening closes. Web hooks only
say "look at job N"; this module reads the job through Harvest (web hook
payloads lack opening status, and a delivery may be stale) — its status first,
the team and (unless the bot's own close request is the cause) the openings only
for a closing still to announce; the poller and the
Approve click hand over the job they have just read — works out why it closed,
and claims the announcement with an insert-once key per closing
(`<job id>:<closed_at>`), so however many sources and processes see the same
closing, exactly one of them notifies. A job reopened and closed
again has a new closed_at, hence a new key, and is announced again.

One service, built once at wiring (`bot/runtime.py`), used by all three
sources: the web hook, the poller and the Approve click. Telling people is
injected (`ClosingNotices`; Slack's is `bot/slack/closing_notices.py`), so nothing
here knows about Slack: channels and threads are plain strings on the requests.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeGuard

from bot.greenhouse.harvest import Harvest
from bot.greenhouse.models import Job, Opening, Role
from bot.store import Store

from .requests import Request, Requests
from .watches import Watches

log = logging.getLogger("bot.autoclose")

# A bot close request finished this recently is taken as the cause of the closing.
REQUEST_CAUSE_WINDOW_S = 24 * 3600
# Threads of requests finished longer ago than this are old news: no notice there.
THREAD_WINDOW_S = 30 * 24 * 3600
# job_updated fires on any edit (notes, team…) of a closed job too. A closing older
# than this is taken as one that happened before anyone was listening — e.g.
# before the bot was installed — and is not announced. It still covers Greenhouse's
# retries (up to 15 hours) and a bot down for a few days.
STALE_AFTER_S = 7 * 24 * 3600

HINT_HIRE = "hire"


@dataclass(frozen=True)
class Cause:
    kind: str  # "request" | "hire" | "greenhouse"
    approved_by: str | None = None  # Slack user ID, for "request"
    close_reason: str | None = None  # Greenhouse's close reason name, for "greenhouse"


@dataclass(frozen=True)
class Announcement:
    job_id: int
    job_name: str
    closed_at: datetime | None
    cause: Cause
    threads: tuple[tuple[str, str], ...] = ()  # (channel, message_ts) of bot requests about the job
    watch_channels: tuple[str, ...] = ()
    notify_user_ids: tuple[int, ...] = ()  # Greenhouse IDs of hiring managers and recruiters


class ClosingNotices(Protocol):
    def deliver(self, announcement: Announcement) -> int:
        """Tell everyone the announcement names; returns how many were told."""


class AutoClose:
    def __init__(self, store: Store, harvest: Harvest, requests: Requests, watches: Watches,
                 notices: ClosingNotices, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store  # only for the insert-once announcement key
        self.harvest = harvest
        self.requests = requests
        self.watches = watches
        self.notices = notices
        self._clock = clock

    def announce_if_closed(self, job_id: int, hint: str | None = None, known: Job | None = None) -> Announcement | None:
        """Read the job (unless `known`); if it closed and this process won the claim, tell everyone."""
        announcement = self.check(job_id, hint, known)
        if announcement is not None:
            self.notices.deliver(announcement)
        return announcement

    def announce_listed(self, job: Job) -> Announcement | None:
        """The poller's: a job its list of changed jobs gave just now, not read again."""
        return self.announce_if_closed(job.id, known=job)

    def check(self, job_id: int, hint: str | None = None, known: Job | None = None) -> Announcement | None:
        """The announcement to make if the job is closed and nobody announced this
        closing yet; None otherwise (still open, unknown job, or already claimed).

        `known`: the job as its caller read it from Greenhouse just now (the approval's read
        after its writes, the poller's list of changed jobs), so not read again. Otherwise
        the job's own fields are read first (v3: 1 request, not the whole job's 4): most
        checks end there (still open, stale, announced already). Only a closing to announce
        reads the rest when what it has is bare (v3): the team (who is told), and the openings
        (the cause) unless the cause is the bot's own close request, known from the store."""
        job = known if known is not None else self.harvest.get_job_status(int(job_id))
        if not self._closing(job):
            return None
        if self.store.get("announced", _key(job)) is not None:  # look before reading more
            log.info("autoclose_already_announced job_id=%s", job.id)
            return None
        requests = self.requests.for_job(job.id)
        cause = self._request_cause(requests)
        if job.bare and cause is not None:
            # The bot's approved close (the Approve click's own announcement, or a web hook
            # while it runs): the openings would only say why, which the request says.
            # Who is told needs the team alone (v3: 2 requests, not the whole job's 4).
            job = self.harvest.with_team(job)
        elif job.bare:
            # After a hire, or closed in Greenhouse: the last closed opening says which.
            job = self.harvest.get_job(job.id)
            if not self._closing(job):
                return None
        announcement = self._build(job, requests, cause or self._openings_cause(job, hint))
        key = _key(job)
        claimed = self.store.add("announced", key, {
            "job_id": job.id, "closed_at": _iso(job.closed_at), "cause": announcement.cause.kind, "at": self._clock(),
        })
        if not claimed:
            log.info("autoclose_already_announced job_id=%s", job.id)
            return None
        return announcement

    def _closing(self, job: Job | None) -> TypeGuard[Job]:
        """Closed, and recently enough to be news."""
        if job is None or job.status != "closed":
            return False
        if job.closed_at is not None and self._clock() - job.closed_at.timestamp() > STALE_AFTER_S:
            log.info("autoclose_stale job_id=%s", job.id)
            return False
        return True

    # --- what the announcement says and to whom ------------------------------------------

    def _build(self, job: Job, requests: list[Request], cause: Cause) -> Announcement:
        return Announcement(
            job_id=job.id,
            job_name=job.name,
            closed_at=job.closed_at,
            cause=cause,
            threads=self._threads(requests),
            watch_channels=tuple(self.watches.channels_watching(job.id)),
            notify_user_ids=tuple(sorted(job.team_user_ids(Role.HIRING_MANAGER, Role.RECRUITER))),
        )

    def _request_cause(self, requests: list[Request]) -> Cause | None:
        """The bot's own close request, when it closed the job: known from the store alone."""
        now = self._clock()
        # "executing" counts too: Greenhouse's job_updated can arrive while the approved
        # request is still closing the job's other openings or reading it back.
        done = [
            r for r in requests
            if r.kind == "close_job" and (
                r.state == "executing"
                or (r.state == "done" and now - (r.finished_at or 0) <= REQUEST_CAUSE_WINDOW_S))
        ]
        if done:
            latest = max(done, key=lambda r: r.finished_at or now)
            return Cause("request", approved_by=latest.decided_by)
        return None

    def _openings_cause(self, job: Job, hint: str | None) -> Cause:
        """No request of the bot's closed it: a hire (the hint, or the last closed opening
        filled by an application), else Greenhouse (with that opening's close reason)."""
        last = _last_closed(job.openings)
        if hint == HINT_HIRE or (last is not None and last.application_id):
            return Cause("hire")
        return Cause("greenhouse", close_reason=last.close_reason.name if last and last.close_reason else None)

    def _threads(self, requests: list[Request]) -> tuple[tuple[str, str], ...]:
        now = self._clock()
        seen: list[tuple[str, str]] = []
        for r in sorted(requests, key=lambda r: r.id):
            if r.finished_at is not None and now - r.finished_at > THREAD_WINDOW_S:
                continue
            if r.channel and r.message_ts and (r.channel, r.message_ts) not in seen:
                seen.append((r.channel, r.message_ts))
        return tuple(seen)


def _last_closed(openings: tuple[Opening, ...]) -> Opening | None:
    closed = [o for o in openings if not o.is_open]
    if not closed:
        return None
    return max(closed, key=lambda o: o.closed_at.timestamp() if o.closed_at else 0.0)


def _key(job: Job) -> str:
    """The announcement's insert-once key: one per closing (a reopened job closes anew)."""
    return f"{job.id}:{_iso(job.closed_at)}"


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "unknown"
