"""Who is waiting for Harvest's budget, and who to tell.

The rate limiter (bot/greenhouse/ratelimit.py) decides when a request may go and
estimates how long a queued one will wait; it knows no person. Work done for someone
(a command, a click) runs inside a `Waiting`, which the limiter finds through a
context variable: it orders its line by when that work started, so a command's later
requests do not queue behind newer commands, and it hands the work its estimate once
the wait is long enough to be worth saying. What is said, and where, is the Slack
layer's business (bot/slack/listeners.py words it). A read shared by several people
(`SingleFlight` in bot/cache.py) passes its waits on to everyone who joined it.

No Slack, no Harvest, no store here: a floor below all of them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

# Saying it is the Slack layer's job, but not on the limiter's thread: a tell is an HTTP
# POST, and the thread that tells may be the one whose slot is about to free. In a busy
# hour a hundred works learn of their wait within seconds: with 4 threads their
# sentences queued here for longer than the 3 s they are meant to beat (bench/company_day.py).
_teller = ThreadPoolExecutor(max_workers=16, thread_name_prefix="waiting-tell")


@dataclass(frozen=True)
class WaitEstimate:
    """What the limiter knows when a piece of work has to wait."""

    seconds: float  # about how long until its next request may go out
    ahead: int  # pieces of work in this process that go before it (0: it is next)
    limit: int  # Greenhouse's allowance: `limit` requests …
    window_s: float  # … per this many seconds


class Waiting:
    """One piece of work done for someone; `tell` is called (once) when it must wait."""

    def __init__(self, tell: Callable[[WaitEstimate], None] | None = None, *,
                 clock: Callable[[], float] = time.monotonic, first: bool = False) -> None:
        # Work that goes first (the Harvest mirror's turns: one request that spares every
        # view one) comes before all others in the line and may take the budget's reserve.
        self.first = first
        self.since = float("-inf") if first else clock()  # its place in the limiter's line
        self._tell = tell
        self._lock = threading.Lock()
        self._told: WaitEstimate | None = None
        self._joined: list[Waiting] = []
        self._pending: list[Future] = []

    @property
    def told(self) -> bool:
        return self._told is not None

    def must_wait(self, estimate: WaitEstimate) -> None:
        """The limiter's word: this work (and all who joined it) waits about this long."""
        with self._lock:
            first = self._told is None
            self._told = self._told or estimate
            joined = list(self._joined)
        if first:
            self._say(estimate)
        for other in joined:
            other.must_wait(estimate)

    def join(self, other: Waiting | None) -> None:
        """`other` waits for this work's outcome (a shared read): tell it what this one is told."""
        if other is None or other is self:
            return
        with self._lock:
            self._joined.append(other)
            told = self._told
        if told is not None:
            other.must_wait(told)

    def settle(self, timeout_s: float = 5.0) -> None:
        """Wait until what was told has been said, so that the answer comes after it."""
        with self._lock:
            pending, self._pending = self._pending, []
        for future in pending:
            try:
                future.result(timeout=timeout_s)
            except Exception:  # noqa: BLE001, S110 - the teller logs its own failures
                pass

    def _say(self, estimate: WaitEstimate) -> None:
        if self._tell is None:
            return
        future = _teller.submit(self._tell, estimate)
        with self._lock:
            self._pending.append(future)


_current: ContextVar[Waiting | None] = ContextVar("waiting", default=None)


def current() -> Waiting | None:
    """The work this thread is doing for someone, if any."""
    return _current.get()


@contextmanager
def waiting_as(work: Waiting) -> Iterator[Waiting]:
    token = _current.set(work)
    try:
        yield work
    finally:
        _current.reset(token)
