"""Each job's stage names in pipeline order, known to every process and replica on the store
for `ttl_s` (issue 17; docs/decisions/0013-shared-stage-order.md): the job view sorts by it,
and without it every worker read every job's stages once per BOT_CACHE_TTL_S.

One record per job in `stage_order`: {"names": [stage names, first first], "at": when read
(wall clock, shared by hosts)}. Names only — no ids (a move reads its stages fresh, by id:
bot/workflows/reference.py), no candidate data. Written after each successful read of the
job's stages from Harvest, whoever read them; a failed read writes nothing. Dropped when
Greenhouse says a stage of the job was deleted (`forget`); `sweep()` deletes the expired.
Processes that miss the same job's order at the same moment wait for one read (`read_once`,
bot/store/flight.py): a view answered from the Harvest mirror has no shared walk to do that.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from bot.store import Store
from bot.store.flight import StoreFlight

TABLE = "stage_order"


class StageOrder:
    def __init__(self, store: Store, *, ttl_s: float, clock: Callable[[], float] = time.time,
                 flight: StoreFlight | None = None) -> None:
        self.store = store
        self.flight = flight  # one read at a time across processes (None: each reads for itself)
        self.ttl_s = ttl_s  # 0: nothing is kept (each process reads for itself, as before)
        self.clock = clock

    def known(self, job_id: int) -> list[str] | None:
        """The job's stage names read within the TTL by any process, or None: one store read."""
        if self.ttl_s <= 0:
            return None
        entry = self.store.get(TABLE, str(int(job_id)))
        if not isinstance(entry, dict) or not isinstance(entry.get("names"), list):
            return None
        age = self.clock() - float(entry.get("at", 0))
        return [str(n) for n in entry["names"]] if 0 <= age < self.ttl_s else None

    def due(self, job_ids: Sequence[int]) -> list[int]:
        """The jobs whose order no process holds, or holds for less than half the TTL more:
        those a read-ahead reads (the others it would read for nothing). One store read."""
        if self.ttl_s <= 0:
            return []
        now = self.clock()
        found = self.store.get_many(TABLE, [str(int(j)) for j in job_ids])
        return [int(j) for j in job_ids
                if not 0 <= now - float((found.get(str(int(j))) or {}).get("at", float("-inf"))) < self.ttl_s / 2]

    def read_once(self, job_id: int, read: Callable[[], list[str]]) -> list[str]:
        """`read()` (from Harvest), or the result of the same read another process is making
        right now: it waits for that one (bounded) instead of reading too. Nothing is reused
        past that moment here (reuse 0): what lasts is the record `read` writes."""
        if self.flight is None:
            return read()

        def load() -> list[str]:
            known = self.known(job_id)  # a read that ended between our miss and our claim
            return known if known is not None else read()

        names, _shared = self.flight.do(f"stages:{int(job_id)}", load, 0)
        return [str(n) for n in names]

    def remember(self, job_id: int, names: Sequence[str]) -> None:
        if self.ttl_s > 0:
            self.store.put(TABLE, str(int(job_id)), {"names": list(names), "at": self.clock()})

    def forget(self, job_id: int) -> None:
        self.store.delete(TABLE, str(int(job_id)))

    def sweep(self) -> int:
        """Delete the entries past the TTL: the table holds the jobs viewed recently, no more."""
        now = self.clock()
        old = [k for k, e in self.store.items(TABLE)
               if not isinstance(e, dict) or not 0 <= now - float(e.get("at", 0)) < self.ttl_s]
        for key in old:
            self.store.delete(TABLE, key)
        return len(old)
