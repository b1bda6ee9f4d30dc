"""Who was lately refused a job by the Harvest mirror's hiring team without a read of
Greenhouse (docs/decisions/0017-outsider-refused-by-the-mirror.md).

The first time a person is refused a job by the mirror's team, the job view answers from
the mirror (no request) and says how old that team is; if the same person asks for the
same job again within `window_s`, the team is read from Greenhouse now, so that someone
just added is let in. The mark must be seen by every worker and replica (the Procfile runs
two workers: a mark in memory would send the second ask to the other one and answer it
from the mirror again), so it lives in the store.

One record per (Slack user id, job id) in `outsider_asks`: `{"at": epoch seconds}` — when
the refusal answered from the mirror was made. Nothing else: no name, no email, no
Greenhouse user id. Asks inside the window do not move the mark (the window counts from the
answer that told the person to ask again); the first ask after it is a first ask again and
overwrites the mark in place. `sweep()` (housekeeping, every minute) deletes the marks past
the window, so the table holds the refusals of the last `window_s`, no more.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.store import Store

TABLE = "outsider_asks"
# How long a second ask re-reads the team. Longer than the mirror's team may be old (v1 30 s,
# v3 ~310 s): someone let in by that re-read is still refused by the mirror's team until its
# next read of the jobs, and must not be told "not on the team" meanwhile. Short enough that
# the table stays a few rows and that asking again tomorrow starts with the free answer.
ASK_AGAIN_S = 15 * 60


class OutsiderAsks:
    def __init__(self, store: Store, *, window_s: float = ASK_AGAIN_S,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.window_s = window_s
        self.clock = clock  # wall clock, shared by hosts (the runtime gives the mirror's)

    def first(self, slack_user_id: str, job_id: int) -> bool:
        """Mark a refusal by the mirror's team. True: the first within the window (answer from
        the mirror); False: this person was refused this job within the window already (read
        the team now). At most two store operations, each atomic across processes."""
        now = self.clock()
        key = _key(slack_user_id, job_id)
        if self.store.add(TABLE, key, {"at": now}):
            return True

        def renew(old: Any) -> dict[str, float] | None:
            return None if self._within(old, now) else {"at": now}

        return self.store.update(TABLE, key, renew) is not None

    def sweep(self) -> int:
        """Delete the marks past the window; how many."""
        now = self.clock()
        old = [key for key, mark in self.store.items(TABLE) if not self._within(mark, now)]
        for key in old:
            self.store.delete(TABLE, key)
        return len(old)

    def _within(self, mark: Any, now: float) -> bool:
        at = mark.get("at") if isinstance(mark, dict) else None
        return isinstance(at, int | float) and 0 <= now - at < self.window_s


def _key(slack_user_id: str, job_id: int) -> str:
    return f"{slack_user_id}:{int(job_id)}"
