"""Harvest v3 auth: OAuth client-credentials tokens, one per Greenhouse user (`sub`).

v3 has no `On-Behalf-Of`: the acting user is fixed in the token, so writes use a
token minted for the approver and reads use one for the configured read-as user
(a Site Admin: v3 list endpoints return nothing to anyone else).
See docs/harvest-v3-reference.md §1.

Tokens are cached per `sub` until shortly before they expire. Minting is
single-flight per `sub` (a lock each), so twenty threads needing the same token
send one request. Whether a new token for one `sub` revokes the credential's
other tokens is unknown; if it does, the other holder gets a 401, and the
transport's refresh-once-and-retry mints it a new one.
UNCONFIRMED: see docs/harvest-v3-reference.md §1 (one active token per client id?)

The token endpoint has its own rate window (60 s per one secondhand source;
UNCONFIRMED: see docs/harvest-v3-reference.md §3), so token requests bypass the
Harvest limiter and are tried once: a failure is reported, not retried.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import httpx

from bot.logs import event, register_secret

from .errors import AuthenticationError, GreenhouseError, RateLimited, ServerError, Unreachable

log = logging.getLogger("bot.harvest.auth")

# Only when a token answer has no usable `expires_at`/`expires_in`: access tokens live an hour
# (docs/harvest-v3-reference.md §1, the partner guide's stated TTL).
DEFAULT_LIFETIME_S = 3600.0
RENEW_BEFORE_S = 60.0


@dataclass(frozen=True)
class _Token:
    value: str
    renew_at: float  # wall-clock seconds


class V3TokenAuth:
    """Implements the transport's `Auth` protocol for Harvest v3."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        read_as_user_id: int,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
        timeout_s: float = 15.0,
    ) -> None:
        register_secret(client_secret)
        register_secret(client_id)  # the token endpoint echoes it in errors; keep it out of logs too
        self._url = token_url
        self._client_id = client_id
        self._secret = client_secret
        self.read_as_user_id = int(read_as_user_id)
        self._http = http or httpx.Client(timeout=timeout_s)
        self._clock = clock
        self._tokens: dict[int, _Token] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()
        self.token_requests = 0

    # --- the transport's Auth protocol ---------------------------------------------------

    def headers(self, acting_user_id: int | None) -> dict[str, str]:
        # No On-Behalf-Of in v3: the token's sub *is* the acting user.
        return {"Authorization": f"Bearer {self.token(self._sub(acting_user_id))}"}

    def refresh(self, acting_user_id: int | None) -> bool:
        """After a 401: forget the token so the retry mints a fresh one."""
        with self._guard:
            self._tokens.pop(self._sub(acting_user_id), None)
        return True

    # --- tokens ----------------------------------------------------------------------------

    def token(self, sub: int) -> str:
        cached = self._fresh(sub)
        if cached:
            return cached
        with self._guard:
            lock = self._locks.setdefault(sub, threading.Lock())
        with lock:
            # Whoever held the lock before us may have minted it already.
            cached = self._fresh(sub)
            if cached:
                return cached
            token = self._mint(sub)
            with self._guard:
                self._tokens[sub] = token
            return token.value

    def _sub(self, acting_user_id: int | None) -> int:
        # Reads as the configured Site Admin: v3 list endpoints show nothing to other users
        # (confirmed secondhand: docs/harvest-v3-reference.md §1).
        return self.read_as_user_id if acting_user_id is None else int(acting_user_id)

    def _fresh(self, sub: int) -> str | None:
        with self._guard:
            token = self._tokens.get(sub)
        return token.value if token and self._clock() < token.renew_at else None

    def _mint(self, sub: int) -> _Token:
        self.token_requests += 1
        started = time.monotonic()
        try:
            response = self._http.post(
                self._url,
                auth=(self._client_id, self._secret),
                data={"grant_type": "client_credentials", "sub": str(sub)},
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            event(log, "harvest_token", level=logging.WARNING, sub=sub, error=type(exc).__name__)
            raise Unreachable(f"could not get a Harvest v3 token ({type(exc).__name__})") from None
        event(log, "harvest_token", sub=sub, status=response.status_code,
              duration_ms=round((time.monotonic() - started) * 1000))
        body = _json(response)
        if response.status_code >= 400 or not isinstance(body, dict) or not body.get("access_token"):
            raise self._error(response.status_code, body)
        # `access_token`, `token_type`, `expires_at` (confirmed: docs/harvest-v3-reference.md §1).
        value = str(body["access_token"])
        register_secret(value)
        now = self._clock()
        lifetime = _lifetime(body, now)
        # Renew a minute early; a very short-lived token is renewed at half its life.
        return _Token(value, now + lifetime - min(RENEW_BEFORE_S, lifetime / 2))

    def _error(self, status: int, body: Any) -> GreenhouseError:
        # Classify by the body, not the status: RFC 6749 `{"error": "invalid_client"}` is what
        # the endpoint answers for bad credentials (confirmed secondhand), `{"message": …}` for
        # a malformed request. UNCONFIRMED: see docs/harvest-v3-reference.md §1 (the 400 shapes).
        code = body.get("error") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        text = self._scrub(str(message or code or f"HTTP {status}"))
        if code == "invalid_client" or status == 401:
            return AuthenticationError(f"Greenhouse refused the v3 client credentials ({text})", status=401)
        if status == 429:
            return RateLimited(f"token endpoint rate limit ({text})")
        if status >= 500:
            return ServerError(f"token endpoint failed ({text})", status=status)
        return GreenhouseError(f"could not get a Harvest v3 token: {text}", status=status)

    def _scrub(self, text: str) -> str:
        # The 400 message quotes the client id; the secret should never appear, but be sure.
        for value in (self._secret, self._client_id):
            if value:
                text = text.replace(value, "<client credentials>")
        return text[:300]

    def __repr__(self) -> str:  # never show the credentials
        return "V3TokenAuth(<redacted>)"


def _lifetime(body: dict[str, Any], now: float) -> float:
    """Seconds the token lives. Confirmed: the token response carries `expires_at`, an RFC 3339
    time (docs/harvest-v3-reference.md, "Confirmed since": Greenhouse's own PHP client refuses a
    response without it). `expires_in` (seconds), which other OAuth servers send, is still read
    as a fallback, so a change on Greenhouse's side costs a renewal, not an outage."""
    if isinstance(body.get("expires_at"), str):
        try:
            at = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
            if at.tzinfo is None:
                at = at.replace(tzinfo=timezone.utc)
            return max(at.timestamp() - now, 0.0)
        except ValueError:
            pass
    if body.get("expires_in") is not None:
        try:
            return max(float(body["expires_in"]), 0.0)
        except (TypeError, ValueError):
            pass
    return DEFAULT_LIFETIME_S


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
