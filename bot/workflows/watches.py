"""Which channels asked to hear about a job: table "watches", key "<job id>:<channel>".

One record per (job, channel) so that watching twice is harmless and unwatching
removes exactly one row. The job's name is kept only to list watches without
asking Greenhouse for every job.
"""

from __future__ import annotations

import time
from typing import Any

from bot.store import Store

TABLE = "watches"


def _key(job_id: int, channel: str) -> str:
    return f"{int(job_id)}:{channel}"


def watch(store: Store, job_id: int, job_name: str, channel: str, by: str) -> bool:
    """True if this channel was not watching the job yet."""
    return store.add(TABLE, _key(job_id, channel), {
        "job_id": int(job_id), "job_name": job_name, "channel": channel, "by": by, "at": time.time(),
    })


def unwatch(store: Store, job_id: int, channel: str) -> bool:
    existed = store.get(TABLE, _key(job_id, channel)) is not None
    store.delete(TABLE, _key(job_id, channel))
    return existed


def channel_watches(store: Store, channel: str) -> list[dict[str, Any]]:
    return sorted((w for w in store.values(TABLE) if w.get("channel") == channel), key=lambda w: w["job_id"])


def channels_watching(store: Store, job_id: int) -> list[str]:
    return sorted({w["channel"] for w in store.values(TABLE) if w.get("job_id") == int(job_id)})
