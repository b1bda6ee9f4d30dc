"""Names that only decorate a v3 job — its team's user names, its department and offices,
its closed openings' close reasons — kept for a few minutes (docs/decisions/0006-v3-decoration-cache.md).

v1 embeds them in the job; v3 needs a list request for each (docs/HARVEST_V3.md §4), which
made a small job's view cost 11 requests on v3 against 4 on v1. They are reference data:
a stale name for a few minutes misleads nobody, and nothing is decided on them (who may
see or approve is decided on the team's user ids, which are always read). User names come
from the Greenhouse user directory kept in the store (bot/user_directory.py) when it is
wired in; a user it does not know is read by id like any other missing name.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from bot.cache import BoundedCache, CacheStats

Names = dict[int, str]
DECORATION_TTL_S = 300.0


class DecorationNames:
    def __init__(self, ttl_s: float = DECORATION_TTL_S, *, clock: Callable[[], float] = time.monotonic,
                 stats: CacheStats | None = None) -> None:
        self.cache: BoundedCache[tuple[str, int], str] = BoundedCache(
            ttl_s=ttl_s, max_entries=20_000, max_bytes=4 * 1024 * 1024, clock=clock, stats=stats)
        # The user directory's names (wired by bot/runtime.py); None: users are read by id.
        self.user_names: Callable[[Iterable[int]], Names] | None = None

    def remember(self, kind: str, names: Names) -> None:
        """Keep names read for another reason (a whole list someone needed anyway)."""
        for i, name in names.items():
            self.cache.put((kind, int(i)), name)

    def names(self, kind: str, ids: Iterable[int], read: Callable[[list[int]], Names]) -> Names:
        """Names of `ids` of one kind ("users", "departments", …): known ones from the
        directory or the cache, the rest with one `read(missing)`, whose every answer
        (a whole list may come back) is kept."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        found: Names = {}
        if kind == "users" and self.user_names is not None and wanted:
            found.update(self.user_names(wanted))
        for i in wanted:
            if i not in found and (name := self.cache.get((kind, i))) is not None:
                found[i] = name
        missing = [i for i in wanted if i not in found]
        if missing:
            fresh = read(missing)
            for i, name in fresh.items():
                self.cache.put((kind, int(i)), name)
            found.update({i: fresh[i] for i in missing if i in fresh})
        return found
