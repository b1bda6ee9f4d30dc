"""One rate limiter per Harvest credential, shared by every caller in the process.

Harvest allows `X-RateLimit-Limit` requests per window (v1: 10 s, v3: 30 s). We
count what we send in a sliding window, pull our count up to what Greenhouse
says is left (`X-RateLimit-Remaining`, which also counts other processes using
the same key), and stop everyone for `Retry-After` after a 429. Callers block
and queue; they never fail because the budget is spent.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping


class RateLimiter:
    def __init__(
        self,
        limit: int = 50,
        window_s: float = 10.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()
        self._blocked_until = 0.0
        self.waits = 0  # how many times a caller had to wait (for the benchmark)

    def _trim(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - self.window_s:
            self._sent.popleft()

    def acquire(self) -> None:
        """Block until one more request fits in the window, then count it."""
        waited = False
        while True:
            with self._lock:
                now = self._clock()
                self._trim(now)
                if self._blocked_until > now:
                    wait = self._blocked_until - now
                elif len(self._sent) >= self.limit:
                    wait = self._sent[0] + self.window_s - now
                else:
                    self._sent.append(now)
                    if waited:
                        self.waits += 1
                    return
            waited = True
            # Sleep in short slices so a caller re-checks after a pause is lifted.
            self._sleep(min(max(wait, 0.001), 0.5))

    def observe(self, headers: Mapping[str, str]) -> None:
        """Align with what Greenhouse reports after a response."""
        limit = _int(headers.get("x-ratelimit-limit"))
        remaining = _int(headers.get("x-ratelimit-remaining"))
        with self._lock:
            now = self._clock()
            self._trim(now)
            if limit and limit > 0:
                self.limit = limit
            if remaining is not None:
                used_by_server = self.limit - remaining
                # Others (another worker, another tool on the same key) used the
                # difference: count it as spent now so we slow down with them.
                while len(self._sent) < used_by_server:
                    self._sent.append(now)
                if remaining <= 0:
                    self._blocked_until = max(self._blocked_until, now + self.window_s)

    def pause(self, seconds: float) -> None:
        """After a 429: nobody sends until Retry-After has passed."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + max(seconds, 0.0))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


_registry: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(credential_id: str, *, limit: int, window_s: float) -> RateLimiter:
    """The process-wide limiter for one credential (keyed by a fingerprint, not the secret)."""
    with _registry_lock:
        limiter = _registry.get(credential_id)
        if limiter is None:
            limiter = _registry[credential_id] = RateLimiter(limit, window_s)
        return limiter
