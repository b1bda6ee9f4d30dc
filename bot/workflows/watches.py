"""Which channels asked to hear about a job: table "watches", key "<job id>:<channel>".

One record per (job, channel) so that watching twice is harmless and unwatching
removes exactly one row. The job's name is kept only to list watches without
asking Greenhouse for every job.
"""

from __future__ import annotations

import time
from typing import Any

from bot.greenhouse.harvest import Harvest
from bot.greenhouse.models import Job
from bot.identity import Caller
from bot.store import Store

from .jobs import find_job_for

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


class Watches:
    """Watching a job from a channel: for the job's hiring team and bot admins."""

    def __init__(self, store: Store, harvest: Harvest) -> None:
        self.store = store
        self.harvest = harvest

    def watch(self, caller: Caller, ref: str, channel: str) -> tuple[Job, bool]:
        """The job, and True if this channel was not watching it yet."""
        job = self._job_for_team(caller, ref, "watch")
        return job, watch(self.store, job.id, job.name, channel, caller.slack_user_id)

    def unwatch(self, caller: Caller, ref: str, channel: str) -> tuple[Job, bool]:
        """The job, and True if this channel was watching it."""
        job = self._job_for_team(caller, ref, "unwatch")
        return job, unwatch(self.store, job.id, channel)

    def of_channel(self, channel: str) -> list[dict[str, Any]]:
        return channel_watches(self.store, channel)

    def channels_watching(self, job_id: int) -> list[str]:
        return channels_watching(self.store, job_id)

    def _job_for_team(self, caller: Caller, ref: str, verb: str) -> Job:
        # Anyone else hears what they would hear if there were no such job.
        return find_job_for(self.harvest, ref, caller, verb)
