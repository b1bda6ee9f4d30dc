"""How an execution holds its claim: a lease in the store, renewed by a heartbeat while
the execution lives, and a generation (the fencing token) that any takeover bumps
(docs/decisions/0001-atomic-claim.md)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("bot.requests")

# An execution whose lease is not renewed within this is presumed dead. A live one renews
# it every LEASE_S / HEARTBEATS_PER_LEASE seconds, whatever it is waiting for.
LEASE_S = 120.0
HEARTBEATS_PER_LEASE = 4
# ...but only while it makes progress: an execution that has not begun a write attempt or
# stored an answer for this long is stalled (a socket that never answers, a lock), and
# its heartbeat stops, so the lease runs out and housekeeping in any process takes the
# request over (a new generation fences the stalled one out). Longer than the longest
# wait between two steps of a live run: a Retry-After or rate-limit pause is capped at
# 300 s (bot/greenhouse/ratelimit.py MAX_WAIT_S), a Harvest call times out after 20 s.
STALL_S = 600.0


def executor_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def pid_alive(executor: str | None) -> bool:
    host, _, pid = (executor or "").partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine: trust its lease
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed process nobody has reaped yet (a zombie) still answers kill(0)
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return True


CLAIMED_STATES = ("executing", "undoing")  # states a claim holds while it writes (undoing: bot/workflows/requests/undo.py)


def holds(raw: dict[str, Any], generation: int) -> bool:
    """Does the stored record still belong to the execution with this claim generation?
    (Every claim takes a new generation, so the generation alone tells whose it is.)"""
    return raw["state"] in CLAIMED_STATES and raw.get("claim_generation", 0) == generation


_current = threading.local()  # the heartbeat of the execution running on this thread, if any


def progressed() -> None:
    """The execution on this thread made progress (a write attempt begins, an answer is
    stored): its heartbeat may go on renewing. Elsewhere (housekeeping) a no-op."""
    beat: Heartbeat | None = getattr(_current, "beat", None)
    if beat is not None:
        beat.progressed()


class Heartbeat:
    """Renews a live execution's lease in the background while it waits (for the rate
    limiter, a Retry-After, a slow answer), and stops once the claim is lost or done —
    or once the execution has made no progress for `stall_s` (see STALL_S): a stalled
    worker must not keep a request `executing` forever."""

    def __init__(self, renew: Callable[[], bool], lease_s: float, name: str, *, stall_s: float = STALL_S,
                 clock: Callable[[], float] = time.time) -> None:
        self._renew = renew
        self._every_s = lease_s / HEARTBEATS_PER_LEASE
        self._stall_s = stall_s
        self._clock = clock
        self._name = name
        self._last_progress = clock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{name}", daemon=True)

    def progressed(self) -> None:
        self._last_progress = self._clock()

    def _beat(self) -> None:
        while not self._stop.wait(self._every_s):
            silent_s = self._clock() - self._last_progress
            if silent_s > self._stall_s:
                log.warning("request_execution_stalled request=%s silent_s=%.0f: lease left to run out",
                            self._name, silent_s)
                return
            try:
                if not self._renew():
                    return
            except Exception:  # noqa: BLE001 - a store hiccup: the next beat tries again
                continue

    def __enter__(self) -> Heartbeat:
        # Entered on the execution's own thread: what it does there marks its progress.
        self._outer = getattr(_current, "beat", None)
        _current.beat = self
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        _current.beat = self._outer
        self._stop.set()
        self._thread.join(5)
