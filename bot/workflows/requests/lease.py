"""How an execution holds its claim: a lease in the store, renewed by a heartbeat while
the execution lives, and a generation (the fencing token) that any takeover bumps
(docs/decisions/0001-atomic-claim.md)."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from typing import Any

# An execution whose lease is not renewed within this is presumed dead. A live one renews
# it every LEASE_S / HEARTBEATS_PER_LEASE seconds, whatever it is waiting for.
LEASE_S = 120.0
HEARTBEATS_PER_LEASE = 4


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


class Heartbeat:
    """Renews a live execution's lease in the background while it waits (for the rate
    limiter, a Retry-After, a slow answer), and stops once the claim is lost or done."""

    def __init__(self, renew: Callable[[], bool], lease_s: float, name: str) -> None:
        self._renew = renew
        self._every_s = lease_s / HEARTBEATS_PER_LEASE
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{name}", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self._every_s):
            try:
                if not self._renew():
                    return
            except Exception:  # noqa: BLE001 - a store hiccup: the next beat tries again
                continue

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
