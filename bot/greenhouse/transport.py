"""HTTP to Harvest: rate limit, retries, errors, `Link` paging. Version-neutral.

What differs between Harvest v1 and v3 (how a request is authenticated, and how
the acting user of a write is named) comes from an `Auth` object.

Retry policy (see docs/decisions/0002-harvest-retries.md):
- GET: retried with backoff on 5xx, timeouts and connection errors.
- Writes: retried only when Greenhouse cannot have acted on them — a 429, or a
  connection that was never opened. A write that timed out after being sent
  raises `Unconfirmed`, and the caller re-reads Greenhouse before deciding.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from bot.logs import event

from .errors import GreenhouseError, NotFound, Unconfirmed, Unreachable, error_for
from .ratelimit import RateLimiter, _int

log = logging.getLogger("bot.harvest")

class Auth(Protocol):
    def headers(self, acting_user_id: int | None) -> dict[str, str]:
        """Headers for one request; `acting_user_id` is set on writes only."""

    def refresh(self, acting_user_id: int | None) -> bool:
        """Called once after a 401; True if new credentials are worth one more try."""


class TransportObserver(Protocol):
    """Told about every request (for metrics: bot/metrics.py); must not raise."""

    def harvest_request(self, method: str, path: str, status: int | None, seconds: float) -> None: ...

    def limiter_waited(self, seconds: float) -> None: ...

    def budget(self, limit: int | None, remaining: int | None) -> None: ...


class HarvestTransport:
    def __init__(
        self,
        base_url: str,
        auth: Auth,
        limiter: RateLimiter,
        *,
        http: httpx.Client | None = None,
        max_attempts: int = 4,
        max_rate_limited: int = 8,
        backoff_s: float = 0.5,
        timeout_s: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.limiter = limiter
        self.http = http or httpx.Client(timeout=timeout_s)
        self.max_attempts = max_attempts
        self.max_rate_limited = max_rate_limited
        self.backoff_s = backoff_s
        self._sleep = sleep
        base = urlsplit(self.base_url)
        self._origin = (base.scheme, base.netloc)
        self._base_path = base.path.rstrip("/")
        self.requests_sent = 0  # every HTTP request, retries included (for the benchmark)
        self.observer: TransportObserver | None = None  # set at wiring (bot/runtime.py)

    # --- reads -------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._send("GET", self._url(path), params=params).json()

    def get_or_none(self, path: str, params: dict[str, Any] | None = None) -> Any | None:
        try:
            return self.get(path, params)
        except NotFound:
            return None

    def paginate(
        self, path: str, params: dict[str, Any] | None = None, *, pages: Callable[[int | None], bool] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield every item of a list endpoint, page by page, following `Link: rel="next"`.

        The next URL is used exactly as Greenhouse gives it (v3 insists the cursor be
        its only parameter), and refused if it leaves the configured API.
        `pages`, when given, hears how many pages the walk will take before any item is
        yielded — the `page` of v1's first `rel="last"` link, 1 without a Link header, None
        when Greenhouse does not say (v3, `skip_count`) — and ends the walk there by answering False.
        """
        response = self._send("GET", self._url(path), params=params)
        if pages is not None and not pages(_last_page(response)):
            return
        while True:
            body = response.json()
            if not isinstance(body, list):
                raise GreenhouseError(f"expected a list from {path}, got {type(body).__name__}")
            yield from body
            next_url = response.links.get("next", {}).get("url")
            if not next_url:
                return
            self._check_same_api(next_url)
            response = self._send("GET", next_url, params=None)

    # --- writes ------------------------------------------------------------------------

    def write(
        self, method: str, path: str, *, json: Any, acting_user_id: int, before_send: Callable[[], None] | None = None,
    ) -> httpx.Response:
        """A write on behalf of a Greenhouse user. The acting user is required: every
        write is attributed to a real person in Greenhouse's audit trail.

        `before_send` runs right before each attempt goes on the wire — after any wait
        for the limiter or a 429's Retry-After — so a caller can check it still may
        write (a fencing token) after a wait of any length; raising stops it unsent."""
        if not isinstance(acting_user_id, int) or acting_user_id <= 0:
            raise ValueError("a Harvest write needs the acting Greenhouse user ID")
        return self._send(method, self._url(path), json=json, acting_user_id=acting_user_id, before_send=before_send)

    # --- internals ---------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def _check_same_api(self, url: str) -> None:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self._origin or not parts.path.startswith(self._base_path + "/"):
            raise GreenhouseError("Greenhouse sent a next-page link outside the configured API; refusing to follow it")

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        acting_user_id: int | None = None,
        before_send: Callable[[], None] | None = None,
    ) -> httpx.Response:
        is_read = method == "GET"
        attempt = rate_limited = 0
        refreshed = False
        while True:
            attempt += 1
            queued = time.monotonic()
            stamp = self.limiter.acquire()
            if self.observer is not None:
                self.observer.limiter_waited(time.monotonic() - queued)
            headers = {"Accept": "application/json", **self.auth.headers(acting_user_id)}
            if before_send is not None:
                before_send()
            started = time.monotonic()
            try:
                self.requests_sent += 1
                response = self.http.request(method, url, params=params, json=json, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Never reached Greenhouse: safe to try again, read or write.
                self._log(method, url, None, started, attempt, error=type(exc).__name__)
                if attempt < self.max_attempts:
                    self._backoff(attempt)
                    continue
                raise Unreachable(f"could not connect to Greenhouse ({type(exc).__name__})") from None
            except httpx.TransportError as exc:
                self._log(method, url, None, started, attempt, error=type(exc).__name__)
                self.limiter.observe({}, sent=stamp)  # it may have been counted until now: its slot is held from here
                if is_read and attempt < self.max_attempts:
                    self._backoff(attempt)
                    continue
                if is_read:
                    raise Unreachable(f"Greenhouse did not answer ({type(exc).__name__})") from None
                raise Unconfirmed(f"no answer to {method} after sending it ({type(exc).__name__})") from None

            self._log(method, url, response.status_code, started, attempt, request_id=response.headers.get("x-request-id"))
            if self.observer is not None:
                self.observer.budget(_int(response.headers.get("x-ratelimit-limit")),
                                     _int(response.headers.get("x-ratelimit-remaining")))
            status = response.status_code
            # The limiter decides how long everyone waits, from Greenhouse's own headers.
            wait = self.limiter.observe(response.headers, status=status, sent=stamp)
            if status == 429:
                rate_limited += 1
                # A 429 was refused before any work: safe to repeat, read or write.
                if rate_limited <= self.max_rate_limited:
                    attempt -= 1
                    continue
                raise error_for(429, _body(response), retry_after=wait)
            if status == 401 and not refreshed and self.auth.refresh(acting_user_id):
                refreshed = True
                attempt -= 1
                continue
            if status >= 500 and is_read and attempt < self.max_attempts:
                self._backoff(attempt)
                continue
            if status >= 400:
                raise error_for(status, _body(response))
            return response

    def _backoff(self, attempt: int) -> None:
        self._sleep(self.backoff_s * (2 ** (attempt - 1)) * random.uniform(0.8, 1.2))

    def _log(self, method: str, url: str, status: int | None, started: float, attempt: int, **extra: object) -> None:
        if self.observer is not None:
            path = urlsplit(url).path
            self.observer.harvest_request(method, path[len(self._base_path):] if path.startswith(self._base_path)
                                          else path, status, time.monotonic() - started)
        # The path only: query strings can carry emails (GET /users?email=…).
        event(
            log,
            "harvest_call",
            method=method,
            path=urlsplit(url).path,
            status=status if status is not None else "-",
            duration_ms=round((time.monotonic() - started) * 1000),
            attempt=attempt,
            **{k: v for k, v in extra.items() if v},
        )


def _last_page(response: httpx.Response) -> int | None:
    links = response.links
    if not links.get("next"):
        return 1
    last = links.get("last", {}).get("url")
    page = httpx.URL(last).params.get("page") if last else None
    return int(page) if page and page.isdigit() else None


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
