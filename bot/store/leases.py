"""A lease in the store's `state` table: which process does a background job for the whole
deployment (the poller, the Harvest mirror's loops, the names read ahead).

`{"owner": <process>, "until": <epoch seconds>}`, taken by the store's compare-and-set
(`Store.update`, decision 0001): free once `until` has passed, kept by its owner as long as
it renews. Renewing with `hold_s=0` hands it back."""

from __future__ import annotations

from typing import Any

from bot.store.base import Store

TABLE = "state"


def hold(store: Store, key: str, owner: str, now: float, hold_s: float) -> bool:
    """True if `owner` holds the lease `key` for `hold_s` from `now` (taken or renewed)."""
    store.add(TABLE, key, {"owner": None, "until": 0})

    def claim(lease: dict[str, Any]) -> dict[str, Any] | None:
        if lease.get("owner") == owner or lease.get("until", 0) <= now:
            return {"owner": owner, "until": now + hold_s}
        return None

    return store.update(TABLE, key, claim) is not None
