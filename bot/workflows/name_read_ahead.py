"""Candidate names read ahead, on Harvest's spare budget only (issue 17, items 1 and 9;
docs/decisions/0016-names-read-ahead.md).

A job view answered from the Harvest mirror (bot/workflows/harvest_mirror.py) reads no
Harvest but for one thing the mirror does not keep: the names of the page shown that no
process has read yet (bot/workflows/candidate_names.py, one `candidates` request by ids).
This loop reads those names before anyone asks, through the same name cache (so they land
in the store's `candidate_names` table that every process reads), 50 ids a request: first
the first page of every open job as its view would show it (stage order as the store knows
it, bot/workflows/stage_order.py, else by name; most recent activity first), then the rest.
Not a confidential job's candidates: their names enter the store when its hiring team looks,
as before.

Spare budget only: before each request it asks the rate limiter whether the window is idle
(`RateLimiter.idle(SHARE)`: nobody waiting in this process's line, no pause, and fewer
requests in the window — every process's, with the store's budget — than SHARE of what the
mirror's reserve leaves). If not, the pass ends; the next comes `interval_s` later. Its
requests queue last in the line (work that "started" at +inf), never first, never on the
reserve: whoever comes meanwhile waits at most for the one request already sent.

One process at a time, through a lease in the store (as the mirror's loops); only while the
mirror is fresh; at most `max_requests` a pass; a failure is logged by its type only (an
error's text may carry a URL with candidate ids). Names go where a view's read puts them and
nowhere else; the log says how many requests, never which candidates.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from bot import waiting
from bot.greenhouse.models import ApplicationRow
from bot.store import Store, leases

from .candidate_names import CandidateNames
from .harvest_mirror import HarvestMirror
from .job_view import JobView

log = logging.getLogger("bot.names_ahead")

SHARE = 0.5  # of the window (less the reserve) that must be free before a request goes
BATCH = 50  # ids a `candidates` request (v1 `candidate_ids=`, v3 `ids=`)
LEASE_KEY = "names:ahead"  # who reads ahead now
HOLD_S = 120.0  # a pass that died is taken over after this
# A plan (who, in which order) opens every open job's rows: about 0.1–0.25 s for 15,000
# active applications. It is kept this long (what is named meanwhile is skipped), and after
# one that found every name known, none is made for as long: new candidates can wait a little.
PLAN_S = 30.0


class NameReadAhead:
    def __init__(
        self, store: Store, mirror: HarvestMirror, names: CandidateNames, *,
        idle: Callable[[], bool],
        first_page: Callable[[JobView], Sequence[ApplicationRow]],
        stage_order: Callable[[int], Sequence[str] | None],
        max_requests: int = 10, interval_s: float = 5.0,
    ) -> None:
        self.store = store
        self.mirror = mirror  # its clock (epoch seconds) stamps the lease
        self.names = names
        self.idle = idle  # the limiter's word: may a request nobody waits for go now?
        self.first_page = first_page  # the candidates a view's first page shows (the Slack layer's rule)
        self.stage_order = stage_order  # a job's stage names as the store knows them, no request (None: unknown)
        self.max_requests = max_requests
        self.interval_s = interval_s
        self.owner = uuid.uuid4().hex
        # Asked for and not given (deleted or merged in Greenhouse): not asked again by this process.
        self._not_given: set[int] = set()
        self._plan: list[int] = []  # unread when planned, first pages first
        self._planned_at = float("-inf")

    def run_once(self, stop: threading.Event | None = None) -> int:
        """One pass: requests while the window is idle, at most `max_requests`. Returns how
        many were sent (0: busy, stale, another process's turn, or nothing left to read)."""
        if not self._plan and self.mirror.now() - self._planned_at < PLAN_S:
            return 0  # every name was known at the last plan
        if not self.idle() or not self.mirror.fresh() or not self._take(HOLD_S):
            return 0
        sent = 0
        try:
            # Names changed in Greenhouse since the last refresh: views asked for it whenever they
            # read a name, and with every name read ahead they seldom do (once a minute at most).
            with _last_in_line():
                sent += self.names.refresh_if_due()
            if not self._plan or self.mirror.now() - self._planned_at >= PLAN_S:
                self._plan, self._planned_at = self._unread_in_order(), self.mirror.now()
            while self._plan and sent < self.max_requests and not (stop is not None and stop.is_set()):
                if not self.mirror.fresh() or not self.idle():  # asked again before each request
                    break
                batch = self._next_batch()
                if not batch:
                    break
                self._take(HOLD_S)  # still at it
                with _last_in_line():
                    self.names.read_ahead(batch)
                sent += 1
                self._not_given.update(self.names.unread(batch))
        except Exception as exc:  # noqa: BLE001 - best effort; a view reads what this could not
            log.warning("names_ahead_failed error=%s", type(exc).__name__)
            self._plan, self._planned_at = [], float("-inf")  # the next pass plans again, the failed ones too
        finally:
            self._take(0)
        if sent:
            log.info("names_ahead requests=%s", sent)
        return sent

    def _next_batch(self) -> list[int]:
        """The next (up to) 50 of the plan that are still unread (another process, or a view,
        may have named some since it was made)."""
        batch: list[int] = []
        while self._plan and len(batch) < BATCH:
            take = self._plan[: BATCH - len(batch)]
            del self._plan[: len(take)]
            batch += self.names.unread(take)
        return batch

    def _unread_in_order(self) -> list[int]:
        """The active candidates no process has named yet: the first pages of every open job,
        then the rest, each job in its view's order."""
        listed = self.mirror.open_jobs()
        if listed is None:
            return []
        # Not a confidential job's: who is considered for one (a replacement, say) is for its
        # hiring team to know, and its name enters the store only when one of them looks.
        jobs = [j for j in listed[0] if not j.confidential]
        rows = self.mirror.rows_of(j.id for j in jobs)
        unread = set(self.names.unread(a.candidate_id for r in rows.values() for a in r)) - self._not_given
        if not unread:
            return []  # (the usual case once every name is known: no job ordered)
        views = [JobView(job=j, may_see_candidates=True, applications=rows[j.id],
                         stage_order=tuple(self.stage_order(j.id) or ()))
                 for j in jobs if unread.intersection(a.candidate_id for a in rows.get(j.id, ()))]
        firsts = [len(self.first_page(v)) for v in views]
        ordered = [a.candidate_id for v, n in zip(views, firsts) for a in v.by_stage_order[:n]]
        ordered += [a.candidate_id for v, n in zip(views, firsts) for a in v.by_stage_order[n:]]
        return [c for c in dict.fromkeys(ordered) if c in unread]

    def _take(self, hold_s: float) -> bool:
        """True if this process holds the lease for `hold_s` from now (0: hands it back)."""
        return leases.hold(self.store, LEASE_KEY, self.owner, self.mirror.now(), hold_s)


def _last_in_line() -> AbstractContextManager[waiting.Waiting]:
    """Work that "started" at +inf: in this process's line, anyone who comes meanwhile goes first."""
    return waiting.waiting_as(waiting.Waiting(clock=lambda: float("inf")))
