"""Reference lists (close reasons, rejection reasons, rejection templates), cached
for a short TTL: they change rarely, and every request would otherwise re-read them."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from bot.greenhouse.harvest import Harvest
from bot.greenhouse.models import EmailTemplate, Named, RejectionReason

T = TypeVar("T")
log = logging.getLogger("bot.reference")


class TTLCache:
    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._items: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[], T]) -> T:
        with self._lock:
            hit = self._items.get(key)
            if hit and self._clock() - hit[0] < self.ttl_s:
                return hit[1]
        value = load()
        with self._lock:
            self._items[key] = (self._clock(), value)
        return value


class ReferenceLists:
    def __init__(self, harvest: Harvest, ttl_s: float = 300) -> None:
        self.harvest = harvest
        self.cache = TTLCache(ttl_s)

    def close_reasons(self) -> list[Named]:
        return self.cache.get("close_reasons", self.harvest.list_close_reasons)

    def rejection_reasons(self) -> list[RejectionReason]:
        return self.cache.get("rejection_reasons", self.harvest.list_rejection_reasons)

    def job_stages(self, job_id: int) -> list[str]:
        """The job's stage names in pipeline order, cached like the lists above. Best-effort:
        it only orders the view, so a failure reads as [] (order by name) and is not cached."""
        try:
            return self.cache.get(f"job_stages:{int(job_id)}", lambda: self.harvest.list_job_stages(job_id))
        except Exception:  # noqa: BLE001 - ordering is a nicety; the view must not fail for it
            log.warning("job_stages_unavailable job_id=%s", job_id)
            return []

    def rejection_templates(self) -> list[EmailTemplate]:
        return self.cache.get("rejection_templates", self.harvest.list_rejection_email_templates)


def match_by_words(words: str, items: Sequence[T], name: Callable[[T], str]) -> list[T]:
    """Items whose name is `words` (case-insensitive); failing that, items whose name
    contains every word. One match means chosen; none or several mean: ask."""
    wanted = " ".join(words.lower().split())
    if not wanted:
        return []
    exact = [i for i in items if " ".join(name(i).lower().split()) == wanted]
    if exact:
        return exact
    parts = wanted.split()
    return [i for i in items if all(p in name(i).lower() for p in parts)]
