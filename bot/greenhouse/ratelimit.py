"""One rate limiter per Harvest credential, shared by every caller in the process.

Harvest allows `X-RateLimit-Limit` requests per window (v1: 10 s, v3: 30 s). We
count what we send (bot/rate_budget.py: each request holds a slot until a window
after its answer), pull our count up to what Greenhouse says was used (it also
counts other tools on the same key), and when Greenhouse says we are out we wait
for as long as *it* says — never longer:

| the answer says                          | everyone waits                               |
|------------------------------------------|----------------------------------------------|
| 429 with `Retry-After` (seconds or date) | that long                                    |
| 429 with `X-RateLimit-Reset` only        | until the reset (at least 1 s)               |
| 429 with neither                         | one whole window (our only guess)            |
| 200 with `Remaining: 0` and a reset      | until the reset                              |
| 200 with `Remaining: 0`, no reset        | until the first request counted in the window leaves it |

What happens after the wait depends on the window's kind
(docs/decisions/0008-rate-limit-windows.md). v3's window is fixed: at the reset
Greenhouse named its count starts over, so what we counted before no longer holds
us back. v1 documents only "per 10 seconds", read as sliding: a wait never
restarts the count, our requests leave the window one by one (restarting it sent
a burst into a window that was still full: the 429 cascades of issue 17's company
day). Callers block and queue; they never fail because the budget is spent.

The queue is a line, not a scramble: in this process the request of the work that
started first goes first (a `Waiting` from bot/waiting.py names the work and when it
started; requests of no one's work go by arrival), so a command's second and third
requests do not queue behind newer commands' first ones, and only the head of the
line asks the budget. A caller who must wait is told how long, about
(`WaitEstimate`): the head's wait plus one request's share of the window for each
request ahead. Its work hears of it once the wait is `tell_at_s` or more, estimated
or already spent; saying it to a person is the Slack layer's part.

Who decides and who counts: `RateLimiter` makes every decision above (reading the
headers through `ServerWord`) and does the waiting; the counting lives in a
`Budget`. `LocalBudget` counts for this process only; a budget kept in the store
(bot/store/budget.py) is ONE budget for every process and host sharing the
store, so replicas together stay under Harvest's limit
(docs/decisions/0004-shared-rate-limit-budget.md).
"""

from __future__ import annotations

import bisect
import itertools
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Protocol

from bot import rate_budget, waiting
from bot.waiting import WaitEstimate, Waiting

MAX_WAIT_S = 300.0  # a wait Greenhouse asks for is capped here (Airbyte caps Retry-After the same way)
MIN_429_RESET_WAIT_S = 1.0  # a 429 whose reset is already due still waits this long
# `X-RateLimit-Reset` is epoch seconds on v3 and "a timestamp" on v1; a small number
# can only be seconds from now. Anything at or above this is read as epoch seconds.
_EPOCH_THRESHOLD = 1_000_000_000
# A wait this long or longer (estimated, or already spent) is told to the work's person.
TELL_AT_S = 2.0


class Budget(Protocol):
    """The count of requests that hold a slot of the window, and any pause (the rules are
    bot/rate_budget.py's, the same for every budget)."""

    window_s: float

    @property
    def limit(self) -> int: ...

    def take(self) -> float:
        """Count one request and return 0, or return how long to wait before asking again."""

    def claim(self, reserve: int = 0) -> tuple[float, float | None]:
        """`take()`, also giving the request's stamp (to `settle` it when its answer comes);
        `reserve` slots of the window are left to claims that reserve none."""

    def settle(self, stamp: float | None, *, refused: bool = False, limit: int | None = None,
               remaining: int | None = None, others_free_in: float | None = None) -> float:
        """An answer came: move the request's stamp to now (give it back when refused), adopt
        Greenhouse's limit, count as spent what it says others used. Returns the seconds until
        a slot is free."""

    def align(self, limit: int | None, remaining: int | None) -> None:
        """Adopt Greenhouse's limit, and count as spent what it says others used."""

    def pause(self, seconds: float, *, restart: bool = False) -> None:
        """Nobody sends for `seconds`; with `restart` (a fixed window's named reset)
        Greenhouse's count starts over then, so what was sent before no longer counts."""

    def sent_in_window(self) -> int: ...

    def quiet(self, below: int) -> bool:
        """No pause, and fewer than `below` requests of every process hold a slot now."""


class LocalBudget:
    """The budget of one process: bot/rate_budget.py's state in memory, under a lock."""

    def __init__(self, limit: int, window_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._state = rate_budget.fresh(limit)

    @property
    def limit(self) -> int:
        return int(self._state["limit"])

    def take(self) -> float:
        return self.claim()[0]

    def claim(self, reserve: int = 0) -> tuple[float, float | None]:
        with self._lock:
            now = self._clock()
            wait, new = rate_budget.take(self._state, now, self.window_s, reserve)
            if new is None:
                return wait, None
            self._state = new
            return 0.0, now

    def settle(self, stamp: float | None, *, refused: bool = False, limit: int | None = None,
               remaining: int | None = None, others_free_in: float | None = None) -> float:
        with self._lock:
            now = self._clock()
            self._state = rate_budget.settle(self._state, now, self.window_s, stamp, refused=refused, limit=limit,
                                             remaining=remaining, others_free_in=others_free_in)
            return rate_budget.wait_for_slot(self._state, now, self.window_s)

    def align(self, limit: int | None, remaining: int | None) -> None:
        self.settle(None, limit=limit, remaining=remaining)

    def pause(self, seconds: float, *, restart: bool = False) -> None:
        with self._lock:
            new = rate_budget.pause(self._state, self._clock(), seconds, restart=restart)
            if new is not None:
                self._state = new

    def sent_in_window(self) -> int:
        with self._lock:
            return len(rate_budget.held(self._state, self._clock(), self.window_s))

    def quiet(self, below: int) -> bool:
        with self._lock:
            return rate_budget.quiet(self._state, self._clock(), self.window_s, below)


class RateLimiter:
    def __init__(
        self,
        limit: int = 50,
        window_s: float = 10.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        budget: Budget | None = None,
        jitter_s: float = 0.25,
        tell_at_s: float = TELL_AT_S,
        fixed_window: bool = False,
        reserve: int | None = None,
    ) -> None:
        self.budget: Budget = budget if budget is not None else LocalBudget(limit, window_s, clock=clock)
        self.window_s = self.budget.window_s
        # Harvest v3 documents a FIXED window (its count starts over at X-RateLimit-Reset);
        # v1 says "per 10 seconds" only, so it is read as sliding, the strict reading
        # (docs/decisions/0008-rate-limit-windows.md).
        self.fixed_window = fixed_window
        self._wall = wall
        self._sleep = sleep
        self.jitter_s = jitter_s  # spreads the restart of many waiting callers (and processes)
        self.tell_at_s = tell_at_s
        self.waits = 0  # how many times a caller had to wait (for the benchmark)
        # The line: (priority, arrival number), sorted; the work each ticket is for.
        self._line: list[tuple[float, int]] = []
        self._owners: dict[tuple[float, int], Waiting | None] = {}
        self._arrivals = itertools.count()
        self._turn = threading.Condition()
        self._head_wait = (0.0, 0.0)  # (seconds, when): the budget's last answer to the head
        # Slots of each window only work that goes first may take (bot/waiting.py `first`:
        # the Harvest mirror's turns, decision 0012; runtime sets it when there is a mirror).
        # The line orders one process; across the processes sharing the store's budget only
        # a reserve keeps a turn from losing every window to another process's long line
        # (measured: a v3 read of the jobs waited 3 minutes).
        self.reserve = reserve or 0

    @property
    def limit(self) -> int:
        return self.budget.limit

    def idle(self, share: float) -> bool:
        """Whether work nobody waits for (names read ahead: bot/workflows/name_read_ahead.py)
        may send one request now: nobody in this process's line, no pause, and fewer requests
        in the window (every process's, with the store's budget) than `share` of what the
        reserve leaves. It asks, it takes nothing: the request then goes through `acquire`."""
        with self._turn:
            if self._line:
                return False
        return self.budget.quiet(int(share * (self.limit - self.reserve)))

    def acquire(self) -> float | None:
        """Block until one more request fits in the window, then count it. Returns its stamp,
        for `observe(…, sent=stamp)` when the answer comes."""
        work = waiting.current()
        first = work is not None and work.first
        ticket = (work.since if work is not None else time.monotonic(), next(self._arrivals))
        with self._turn:
            bisect.insort(self._line, ticket)
            self._owners[ticket] = work
        queued = time.monotonic()
        waited = False
        try:
            while True:
                with self._turn:
                    head = self._line[0] == ticket
                wait: float | None = None
                if head:
                    wait, stamp = self.budget.claim(0 if first else self.reserve)
                    if wait <= 0:
                        if waited:
                            self.waits += 1
                        return stamp
                    with self._turn:
                        self._head_wait = (wait, time.monotonic())
                waited = True
                if work is not None and not work.told:
                    self._tell_if_long(work, ticket, wait, time.monotonic() - queued)
                if head:
                    # Sleep in short slices so a caller re-checks after a pause is lifted.
                    self._sleep(min(max(wait or 0.0, 0.001), 0.5))
                else:
                    with self._turn:
                        if self._line[0] != ticket:
                            self._turn.wait(0.5)  # woken when the head leaves the line
        finally:
            with self._turn:
                self._line.remove(ticket)
                del self._owners[ticket]
                self._turn.notify_all()

    def estimate(self, ticket: tuple[float, int], head_wait: float | None) -> WaitEstimate:
        """How long the request holding `ticket` waits, about, and how many works go first."""
        with self._turn:
            ahead = self._line[: bisect.bisect_left(self._line, ticket)]
            works = {id(self._owners[t]) if self._owners[t] is not None else t for t in ahead}
            if head_wait is None:
                seconds, at = self._head_wait
                head_wait = max(seconds - (time.monotonic() - at), 0.0)
        share = self.window_s / max(self.limit, 1)  # one request's share of the window
        return WaitEstimate(seconds=head_wait + len(ahead) * share, ahead=len(works), limit=self.limit,
                            window_s=self.window_s)

    def _tell_if_long(self, work: Waiting, ticket: tuple[float, int], head_wait: float | None,
                      waited_s: float) -> None:
        estimate = self.estimate(ticket, head_wait)
        budget_spent = head_wait is not None or self._head_wait_left() > 0
        # Requests queued behind a head that is not waiting all go at once: nothing to say
        # unless the wait turns out long anyway.
        if (budget_spent and estimate.seconds >= self.tell_at_s) or waited_s >= self.tell_at_s:
            work.must_wait(estimate)

    def _head_wait_left(self) -> float:
        with self._turn:
            seconds, at = self._head_wait
        return seconds - (time.monotonic() - at)

    def observe(self, headers: Mapping[str, str], *, status: int = 200, sent: float | None = None) -> float:
        """Align with what Greenhouse reports in the answer to the request stamped `sent`
        (what `acquire` returned). Returns the seconds everyone now waits because of this
        answer (0 when it asked for no wait)."""
        word = ServerWord.read(headers, wall_now=self._wall())
        named: float | None = None  # a wait Greenhouse named
        if status == 429:
            # A reset that is already due (a skewed clock, a whole-second stamp) would
            # have us retry at once into the next 429: wait at least a second then.
            reset = max(word.reset_in_s, MIN_429_RESET_WAIT_S) if word.reset_in_s is not None else None
            named = word.retry_after_s if word.retry_after_s is not None else reset
        elif word.remaining is not None and word.remaining <= 0:
            named = word.reset_in_s
        if named is not None:
            named = min(max(named, 0.0), MAX_WAIT_S)
        slot_in = self.budget.settle(sent, refused=status == 429, limit=word.limit, remaining=word.remaining,
                                     others_free_in=named)
        if named is None and status == 429:
            # A 429 that names no wait: a whole window is our only guess.
            named = self.window_s
        if named is None:
            # Nothing left and no reset named: the log (now full) holds us until the first
            # request counted in the window leaves it — not a whole window from now.
            return slot_in if word.remaining is not None and word.remaining <= 0 else 0.0
        restart = self.fixed_window and (word.reset_in_s is not None or word.retry_after_s is not None)
        self.budget.pause(named + random.uniform(0, self.jitter_s), restart=restart)
        return named


@dataclass(frozen=True)
class ServerWord:
    """What one Harvest answer says about the budget, waits already in seconds from now."""

    limit: int | None = None
    remaining: int | None = None
    retry_after_s: float | None = None  # from `Retry-After`
    reset_in_s: float | None = None  # from `X-RateLimit-Reset`

    @classmethod
    def read(cls, headers: Mapping[str, str], *, wall_now: float) -> ServerWord:
        """Parse the headers. Dates are measured against the answer's own `Date` when it has
        one (the server's clock, so our clock's skew does not matter), else `wall_now`."""
        headers = {k.lower(): v for k, v in headers.items()}
        server_now = _http_date(headers.get("date"))
        now = server_now if server_now is not None else wall_now
        return cls(
            limit=_int(headers.get("x-ratelimit-limit")),
            remaining=_int(headers.get("x-ratelimit-remaining")),
            retry_after_s=_seconds_or_date(headers.get("retry-after"), now),
            reset_in_s=_reset(headers.get("x-ratelimit-reset"), now),
        )


def _first_known(*values: float | None) -> float:
    return next(v for v in values if v is not None)


def _float(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _iso_date(value: str) -> float | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _seconds_or_date(value: str | None, now: float) -> float | None:
    """`Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if value is None or not value.strip():
        return None
    seconds = _float(value.strip())
    if seconds is not None:
        return max(seconds, 0.0)
    at = _http_date(value)
    return max(at - now, 0.0) if at is not None else None


def _reset(value: str | None, now: float) -> float | None:
    """`X-RateLimit-Reset`: epoch seconds (v3), seconds from now, an HTTP date or an ISO 8601 time."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    number = _float(value)
    if number is not None:
        return max(number - now, 0.0) if number >= _EPOCH_THRESHOLD else max(number, 0.0)
    at = _http_date(value)
    if at is None:
        at = _iso_date(value)
    return max(at - now, 0.0) if at is not None else None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


# Makes the budget of one credential: (credential fingerprint, limit, window_s) → Budget.
BudgetFactory = Callable[[str, int, float], Budget]

_registry: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(credential_id: str, *, limit: int, window_s: float, fixed_window: bool = False,
                budget_for: BudgetFactory | None = None) -> RateLimiter:
    """The limiter for one credential (keyed by a fingerprint, not the secret).

    Without `budget_for`: one limiter per process, kept in a registry. With it (a budget
    shared through the store), the state lives in the budget, so each call may build its own.
    """
    if budget_for is not None:
        return RateLimiter(limit, window_s, budget=budget_for(credential_id, limit, window_s),
                           fixed_window=fixed_window)
    with _registry_lock:
        limiter = _registry.get(credential_id)
        if limiter is None:
            limiter = _registry[credential_id] = RateLimiter(limit, window_s, fixed_window=fixed_window)
        return limiter
