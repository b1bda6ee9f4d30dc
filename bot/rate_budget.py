"""The arithmetic of Harvest's rate-limit budget: pure functions over one small state,
shared by the budget of one process (bot/greenhouse/ratelimit.py `LocalBudget`) and the
budget every process keeps in the store (bot/store/budget.py `StoreBudget`), so both
count the same way (docs/decisions/0008-rate-limit-windows.md says why these rules).

The state: `{"limit", "sent", "paused_until", "restart_at"}`.

- `sent` is a sorted log of stamps, one per request that holds a slot. A request is
  stamped when it is let go and moved to the moment its answer came once it came
  (Greenhouse counted it somewhere in between, so its slot is surely free `window_s`
  after the answer: freeing it earlier, at send time + window, let a request go a few
  milliseconds before Greenhouse's own count had let the old one out). A request
  Greenhouse refused (429) gives its stamp back: it was not counted. Stamps are kept
  two windows, so an answer that comes late is still compared with what was sent
  around it.
- Only the stamps of the last `window_s` hold a slot: a sliding window. It is the
  strict reading of "N requests per window": whatever the server's window is, fixed
  or sliding, N in any window never goes over it.
- `paused_until`: nobody sends before it (Greenhouse named a wait).
- `restart_at`: on a FIXED window (Harvest v3), the moment Greenhouse named for its
  count to start over; after it, what was counted before no longer holds a slot. On
  a sliding window a pause never restarts the count: requests leave it one by one.

`align()` pads the log with what Greenhouse says was used beyond our own requests
(another tool on the same key), so we slow down with them.
"""

from __future__ import annotations

import bisect
from typing import Any

State = dict[str, Any]


def fresh(limit: int) -> State:
    return {"limit": limit, "sent": [], "paused_until": 0.0, "restart_at": 0.0}


def _after(state: State, now: float, since: float) -> list[float]:
    """The stamps after `since`, and not before a fixed window's restart that has come
    (one stamped at the restart itself is the new window's)."""
    restart = state.get("restart_at", 0.0)
    floor = restart if restart <= now else float("-inf")
    return [t for t in state.get("sent", []) if t > since and t >= floor]


def held(state: State, now: float, window_s: float) -> list[float]:
    """The stamps that hold a slot now, oldest first."""
    return _after(state, now, now - window_s)


def _kept(state: State, now: float, window_s: float) -> list[float]:
    """The log without what can no longer matter (older than two windows, or before a
    fixed window's restart that has come)."""
    return _after(state, now, now - 2 * window_s)


def wait_for_slot(state: State, now: float, window_s: float, reserve: int = 0) -> float:
    """Seconds until one more request may go (0: now), leaving `reserve` slots of the window
    to requests that claim with none (the ones that go first: bot/waiting.py)."""
    paused = state.get("paused_until", 0.0)
    if paused > now:
        return paused - now
    slots = held(state, now, window_s)
    over = len(slots) - max(int(state["limit"]) - reserve, 1) + 1
    if over <= 0:
        return 0.0
    return max(slots[over - 1] + window_s - now, 0.0)


def quiet(state: State, now: float, window_s: float, below: int) -> bool:
    """No pause, and fewer than `below` requests hold a slot: a request that only reads
    ahead may go without taking what anyone else would want (bot/workflows/name_read_ahead.py)."""
    return state.get("paused_until", 0.0) <= now and len(held(state, now, window_s)) < below


def take(state: State, now: float, window_s: float, reserve: int = 0) -> tuple[float, State | None]:
    """(0, the state with a stamp at `now`) or (seconds to wait, None)."""
    wait = wait_for_slot(state, now, window_s, reserve)
    if wait > 0:
        return wait, None
    sent = _kept(state, now, window_s)
    sent.append(now)
    sent.sort()
    return 0.0, {**state, "sent": sent}


def settle(state: State, now: float, window_s: float, stamp: float | None, *, refused: bool = False,
           limit: int | None = None, remaining: int | None = None,
           others_free_in: float | None = None) -> State:
    """An answer came for the request stamped `stamp` (None: unknown). Move its stamp to
    now (or give it back when Greenhouse refused it), adopt Greenhouse's limit, and pad the
    log with what Greenhouse counted beyond our own requests. Those others' requests are
    assumed to leave the window when Greenhouse said its wait ends (`others_free_in`), else
    a whole window from now."""
    sent = _kept(state, now, window_s)
    if stamp is not None:
        at = bisect.bisect_left(sent, stamp - 1e-6)  # (a stamp that went through JSON may differ in its last bits)
        if at < len(sent) and abs(sent[at] - stamp) <= 1e-6:
            del sent[at]
        if not refused:
            bisect.insort(sent, now)
    new = {**state, "sent": sent}
    if limit and limit > 0:
        new["limit"] = limit
    if remaining is not None:
        used = int(new["limit"]) - remaining
        # Ours that Greenhouse may have counted when it answered: all we stamped from a
        # window before this request on (later ones too: an upper bound, so only
        # requests we never sent make up the difference).
        since = (stamp if stamp is not None else now) - window_s
        ours = sum(1 for t in sent if t > since)
        missing = used - ours
        if missing > 0:
            pad_at = now + others_free_in - window_s if others_free_in is not None else now
            for _ in range(missing):
                bisect.insort(sent, pad_at)
    return new


def pause(state: State, now: float, seconds: float, *, restart: bool) -> State | None:
    """Nobody sends for `seconds`; with `restart` (a fixed window's named reset) the count
    starts over then. None when nothing changes."""
    until = now + max(seconds, 0.0)
    new = dict(state)
    if until > state.get("paused_until", 0.0):
        new["paused_until"] = until
    if restart and until > state.get("restart_at", 0.0):
        new["restart_at"] = until
    return new if new != state else None
