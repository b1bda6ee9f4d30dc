"""One rate limiter per Harvest credential, shared by every caller in the process.

Harvest allows `X-RateLimit-Limit` requests per window (v1: 10 s, v3: 30 s). We
count what we send in a sliding window, pull our count up to what Greenhouse
says is left (`X-RateLimit-Remaining`, which also counts other processes using
the same key), and stop everyone for `Retry-After` after a 429. Callers block
and queue; they never fail because the budget is spent.

The limiter reads Greenhouse's headers and waits; the counting lives in a
`Budget`. `LocalBudget` counts for this process only; a budget kept in the store
(bot/store/budget.py) is ONE budget for every process and host sharing the
store, so replicas together stay under Harvest's limit
(docs/decisions/0004-shared-rate-limit-budget.md).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Protocol


class Budget(Protocol):
    """The count of requests sent in the current window, and any pause."""

    window_s: float

    @property
    def limit(self) -> int: ...

    def take(self) -> float:
        """Count one request and return 0, or return how long to wait before asking again."""

    def align(self, limit: int | None, remaining: int | None) -> None:
        """Adopt Greenhouse's limit, and count as spent what it says others used."""

    def pause(self, seconds: float) -> None:
        """Nobody sends for `seconds` (after a 429)."""

    def sent_in_window(self) -> int: ...


class LocalBudget:
    """The budget of one process: a sliding log of send times, under a lock."""

    def __init__(self, limit: int, window_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()
        self._blocked_until = 0.0

    @property
    def limit(self) -> int:
        return self._limit

    def _trim(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - self.window_s:
            self._sent.popleft()

    def take(self) -> float:
        with self._lock:
            now = self._clock()
            self._trim(now)
            if self._blocked_until > now:
                return self._blocked_until - now
            if len(self._sent) >= self._limit:
                return self._sent[0] + self.window_s - now
            self._sent.append(now)
            return 0.0

    def align(self, limit: int | None, remaining: int | None) -> None:
        with self._lock:
            now = self._clock()
            self._trim(now)
            if limit and limit > 0:
                self._limit = limit
            if remaining is not None:
                used_by_server = self._limit - remaining
                # Others (another tool on the same key) used the difference: count it
                # as spent now so we slow down with them.
                while len(self._sent) < used_by_server:
                    self._sent.append(now)
                if remaining <= 0:
                    self._blocked_until = max(self._blocked_until, now + self.window_s)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + max(seconds, 0.0))

    def sent_in_window(self) -> int:
        with self._lock:
            self._trim(self._clock())
            return len(self._sent)


class RateLimiter:
    def __init__(
        self,
        limit: int = 50,
        window_s: float = 10.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        budget: Budget | None = None,
    ) -> None:
        self.budget: Budget = budget if budget is not None else LocalBudget(limit, window_s, clock=clock)
        self.window_s = self.budget.window_s
        self._sleep = sleep
        self.waits = 0  # how many times a caller had to wait (for the benchmark)

    @property
    def limit(self) -> int:
        return self.budget.limit

    def acquire(self) -> None:
        """Block until one more request fits in the window, then count it."""
        waited = False
        while True:
            wait = self.budget.take()
            if wait <= 0:
                if waited:
                    self.waits += 1
                return
            waited = True
            # Sleep in short slices so a caller re-checks after a pause is lifted.
            self._sleep(min(max(wait, 0.001), 0.5))

    def observe(self, headers: Mapping[str, str]) -> None:
        """Align with what Greenhouse reports after a response."""
        self.budget.align(_int(headers.get("x-ratelimit-limit")), _int(headers.get("x-ratelimit-remaining")))

    def pause(self, seconds: float) -> None:
        """After a 429: nobody sends until Retry-After has passed."""
        self.budget.pause(seconds)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


# Makes the budget of one credential: (credential fingerprint, limit, window_s) → Budget.
BudgetFactory = Callable[[str, int, float], Budget]

_registry: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(credential_id: str, *, limit: int, window_s: float,
                budget_for: BudgetFactory | None = None) -> RateLimiter:
    """The limiter for one credential (keyed by a fingerprint, not the secret).

    Without `budget_for`: one limiter per process, kept in a registry. With it (a budget
    shared through the store), the state lives in the budget, so each call may build its own.
    """
    if budget_for is not None:
        return RateLimiter(limit, window_s, budget=budget_for(credential_id, limit, window_s))
    with _registry_lock:
        limiter = _registry.get(credential_id)
        if limiter is None:
            limiter = _registry[credential_id] = RateLimiter(limit, window_s)
        return limiter
