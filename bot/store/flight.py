"""One read at a time across every process and host on the store, and its result shared
for a moment, sealed (issue 17 item 2; docs/decisions/0009-shared-reads-across-replicas.md).

`StoreFlight.do(key, load)`:
1. an entry for `key` published within `reuse_s` is answered at once (0: never);
2. else the caller tries to claim the read: a row in `flight_claims` with an expiry
   (`Store.add`, or `Store.update` over an expired or released claim: the same
   compare-and-set under a row lock as every other claim, docs/decisions/0001-atomic-claim.md).
   The winner loads, publishes the result in `shared_reads`, releases the claim;
3. the others poll the store (reads only) until that result appears, and take it. If the
   claim is released without a result (the load failed) or expires (its process died),
   one of them claims in turn. Nobody waits longer than `claim_s` for somebody else.

What is published is sealed with a key only the bot's processes hold (Fernet: AES-128-CBC
with an HMAC-SHA256, keyed by HKDF from the Harvest credential, which every replica has):
a copy of the store alone reads nothing, and whoever holds the credential could read
Greenhouse anyway. A sealed value carries its own time and is refused past `keep_s`;
`sweep()` deletes entries past it, so nothing outlives a few minutes on disk.
Times are wall-clock seconds (`time.time()`), the clock that hosts share.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.store.base import Store

CLAIMS = "flight_claims"
ENTRIES = "shared_reads"


class Sealer:
    """Seals JSON values with a key derived from a secret the bot's processes share."""

    def __init__(self, secret: str, purpose: bytes = b"greenhouse-slack-bot shared reads v1") -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, value: Any, at: float) -> str:
        text = json.dumps(value, separators=(",", ":"), default=str).encode()
        return self._fernet.encrypt_at_time(text, int(at)).decode()

    def open(self, token: str, *, max_age_s: float, now: float) -> Any | None:
        """The value, or None when the token is older than `max_age_s`, forged or sealed with another key."""
        try:
            text = self._fernet.decrypt_at_time(token.encode(), ttl=max(int(max_age_s), 1), current_time=int(now))
        except (InvalidToken, ValueError):
            return None
        return json.loads(text)


class StoreFlight:
    def __init__(
        self,
        store: Store,
        sealer: Sealer,
        *,
        reuse_s: float,
        claim_s: float = 60.0,
        keep_s: float = 300.0,
        poll_s: float = 0.05,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.sealer = sealer
        self.reuse_s = reuse_s
        self.claim_s = claim_s
        self.keep_s = max(keep_s, reuse_s)
        self.poll_s = poll_s
        self._clock = clock
        self._sleep = sleep

    def do(self, key: str, load: Callable[[], Any], reuse_s: float | None = None) -> tuple[Any, bool]:
        """(value, shared): `shared` is True when another caller's load (maybe in another
        process) answered this one. `load` returns a JSON value; so does this. `reuse_s`
        overrides the flight's own reuse window for this call."""
        reuse_s = self.reuse_s if reuse_s is None else reuse_s
        seen = self._entry(key)
        if seen is not None and reuse_s > 0 and self._clock() - seen["at"] < reuse_s:
            value = self._open(seen)
            if value is not None:
                return value, True
        deadline = self._clock() + self.claim_s
        while True:
            token = self._claim(key)
            if token is not None:
                # A reader publishes before it releases: a result that came in just before our
                # claim is the answer (without this, a waiter could read again right after it).
                value = self._newer(key, seen)
                if value is not None:
                    self._release(key, token)
                    return value, True
                return self._lead(key, token, load), False
            self._sleep(self.poll_s)
            value = self._newer(key, seen)
            if value is not None:
                return value, True
            if self._clock() >= deadline:  # bounded: read ourselves rather than wait longer
                return self._lead(key, None, load), False

    def _newer(self, key: str, seen: dict[str, Any] | None) -> Any | None:
        """A result published since `seen` (the entry when we started): the read we waited for."""
        entry = self._entry(key)
        if entry is None or (seen is not None and entry.get("n") == seen.get("n")):
            return None
        return self._open(entry)

    def _lead(self, key: str, token: str | None, load: Callable[[], Any]) -> Any:
        try:
            value = load()
            at = self._clock()
            self.store.put(ENTRIES, key, {"at": at, "n": uuid.uuid4().hex, "sealed": self.sealer.seal(value, at)})
            return value
        finally:
            if token is not None:
                self._release(key, token)

    def _claim(self, key: str) -> str | None:
        """A token if this caller now holds the claim on `key`; None if someone else does."""
        now, token = self._clock(), uuid.uuid4().hex
        claim = {"by": token, "until": now + self.claim_s}
        if self.store.add(CLAIMS, key, claim):
            return token
        held = self.store.get(CLAIMS, key)
        if held is not None and held.get("until", 0) > now:
            return None  # a read of key is in flight (reads only while waiting: no write lock)
        taken = self.store.update(CLAIMS, key, lambda c: claim if c.get("until", 0) <= now else None)
        return token if taken is not None else None

    def _release(self, key: str, token: str) -> None:
        self.store.update(CLAIMS, key, lambda c: {"by": "", "until": 0} if c.get("by") == token else None)

    def _entry(self, key: str) -> dict[str, Any] | None:
        entry = self.store.get(ENTRIES, key)
        return entry if isinstance(entry, dict) and "sealed" in entry else None

    def _open(self, entry: dict[str, Any]) -> Any | None:
        return self.sealer.open(entry["sealed"], max_age_s=self.keep_s, now=self._clock())

    def has(self, key: str) -> bool:
        """Is there a result for `key` (not forgotten since)? One read of the store, nothing opened."""
        return self._entry(key) is not None

    def forget(self, key: str) -> None:
        """The data behind `key` changed (a write of the bot's, a web hook): the next read is fresh."""
        self.store.delete(ENTRIES, key)

    def sweep(self) -> int:
        """Delete entries older than `keep_s` (one small table: a row per job read recently)."""
        now = self._clock()
        old = [k for k, e in self.store.items(ENTRIES) if not isinstance(e, dict) or now - e.get("at", 0) >= self.keep_s]
        for key in old:
            self.store.delete(ENTRIES, key)
        return len(old)
