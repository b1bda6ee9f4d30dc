"""Reference lists (close reasons, rejection reasons, rejection templates) and each job's
stages, cached for a short TTL in a bounded cache (bot/cache.py): they change rarely, and
every request would otherwise re-read them; concurrent first reads share one. The stage
ORDER a view sorts by is also kept in the store for every process (bot/workflows/stage_order.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from bot.cache import BoundedCache, SingleFlight
from bot.greenhouse.harvest import Harvest
from bot.greenhouse.models import EmailTemplate, Named, RejectionReason, Stage

from .errors import UserFacingError
from .stage_order import StageOrder

T = TypeVar("T")
log = logging.getLogger("bot.reference")


class ReferenceLists:
    def __init__(self, harvest: Harvest, ttl_s: float = 300, *, cache: BoundedCache[str, Any] | None = None,
                 order: StageOrder | None = None) -> None:
        self.harvest = harvest
        self.order = order  # each job's stage names, shared through the store (None: this process only)
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
        """The job's stages (ids and names) in pipeline order, cached in this process like the
        lists above: what a stage move picks from (never from the store's shared order). Raises
        if Greenhouse cannot say. Each read from Greenhouse also refreshes the shared order."""
        return self._get(self._stages_key(job_id), lambda: self._read_stages(job_id))

    def job_stages(self, job_id: int) -> list[str]:
        """The job's stage names in pipeline order: this process's read, else the order any
        process read within its TTL (the store), else a read (`stages`). Best-effort: it only
        orders the view, so a failure reads as [] (order by name) and is not kept anywhere."""
        try:
            cached = self.cache.get(self._stages_key(job_id))
            if cached is not None:
                return [s.name for s in cached]
            if self.order is None:
                return [s.name for s in self.stages(job_id)]
            shared = self.order.known(job_id)
            if shared is not None:
                return shared
            return self.order.read_once(job_id, lambda: [s.name for s in self.stages(job_id)])
        except Exception:  # noqa: BLE001 - ordering is a nicety; the view must not fail for it
            log.warning("job_stages_unavailable job_id=%s", job_id)
            return []

    def forget_stages(self, job_id: int) -> None:
        """Greenhouse says the job's stages changed: read them again, here and (the shared
        order) in every process."""
        self.cache.discard(self._stages_key(job_id))
        if self.order is not None:
            self.order.forget(job_id)

    def _read_stages(self, job_id: int) -> list[Stage]:
        stages = self.harvest.list_stages(job_id)
        if self.order is not None:
            try:
                self.order.remember(job_id, [s.name for s in stages])
            except Exception as exc:  # noqa: BLE001 - sharing is a saving; the move or view has its stages
                log.warning("stage_order_not_stored job_id=%s error=%s", job_id, type(exc).__name__)
        return stages

    @staticmethod
    def _stages_key(job_id: int) -> str:
        return f"job_stages:{int(job_id)}"

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
