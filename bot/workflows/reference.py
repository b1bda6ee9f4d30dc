"""Reference lists (close reasons, rejection reasons, rejection templates), cached
for a short TTL in a bounded cache (bot/cache.py): they change rarely, and every
request would otherwise re-read them; concurrent first reads share one."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from bot.cache import BoundedCache, SingleFlight
from bot.greenhouse.harvest import Harvest
from bot.greenhouse.models import EmailTemplate, Named, RejectionReason, Stage

from .errors import UserFacingError

T = TypeVar("T")
log = logging.getLogger("bot.reference")


class ReferenceLists:
    def __init__(self, harvest: Harvest, ttl_s: float = 300, *, cache: BoundedCache[str, Any] | None = None) -> None:
        self.harvest = harvest
        # Three small lists and each viewed job's stage names: small entries.
        self.cache: BoundedCache[str, Any] = (
            cache if cache is not None else BoundedCache(ttl_s=ttl_s, max_entries=1024, max_bytes=8 * 1024 * 1024))
        self._loads: SingleFlight[str, Any] = SingleFlight()

    def _get(self, key: str, load: Callable[[], T]) -> T:
        cached = self.cache.get(key)
        if cached is not None:
            return cached

        def read() -> T:
            value = load()
            self.cache.put(key, value)
            return value

        value, _shared = self._loads.do(key, read)
        return value

    def close_reasons(self) -> list[Named]:
        return self._get("close_reasons", self.harvest.list_close_reasons)

    def rejection_reasons(self) -> list[RejectionReason]:
        return self._get("rejection_reasons", self.harvest.list_rejection_reasons)

    def stages(self, job_id: int) -> list[Stage]:
        """The job's stages (ids and names) in pipeline order, cached like the lists above:
        what a stage move picks from. Raises if Greenhouse cannot say."""
        return self._get(f"job_stages:{int(job_id)}", lambda: self.harvest.list_stages(job_id))

    def job_stages(self, job_id: int) -> list[str]:
        """The job's stage names in pipeline order (the same cached read as `stages`). Best-effort:
        it only orders the view, so a failure reads as [] (order by name) and is not cached."""
        try:
            return [s.name for s in self.stages(job_id)]
        except Exception:  # noqa: BLE001 - ordering is a nicety; the view must not fail for it
            log.warning("job_stages_unavailable job_id=%s", job_id)
            return []

    def rejection_templates(self) -> list[EmailTemplate]:
        return self._get("rejection_templates", self.harvest.list_rejection_email_templates)

    # --- one picked in a draft, by id (the list may have changed since the draft showed it) ---

    def close_reason(self, reason_id: int) -> Named:
        return _picked(self.close_reasons(), reason_id, "That close reason no longer exists in Greenhouse.")

    def rejection_reason(self, reason_id: int) -> RejectionReason:
        return _picked(self.rejection_reasons(), reason_id, "That rejection reason no longer exists in Greenhouse.")

    def rejection_template(self, template_id: int) -> EmailTemplate:
        return _picked(self.rejection_templates(), template_id,
                       "That email template is not an organization-wide rejection template.")


def _picked(items: Sequence[T], item_id: int, missing: str) -> T:
    found = next((i for i in items if getattr(i, "id", None) == item_id), None)
    if found is None:
        raise UserFacingError(missing)
    return found


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
