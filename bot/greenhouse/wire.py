"""Wire helpers both Harvest versions share: request bodies and value formats that
v1 and v3 spell the same way (docs/HARVEST_V3.md §4 maps the rest)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from bot.logs import event

from .errors import NotFound, PermissionDenied, ServerError, Unreachable

log = logging.getLogger("bot.harvest")
T = TypeVar("T")
# What a best-effort look-up survives: refused (403), missing (404), broken (5xx, no answer).
OPTIONAL_FAILURES = (PermissionDenied, NotFound, ServerError, Unreachable)


def optional(what: str, left_out: list[str], read: Callable[[], T]) -> T | None:
    """Run a look-up that only decorates; on a refusal or failure note `what` in
    `left_out` and return None, so the caller shows everything else."""
    try:
        return read()
    except OPTIONAL_FAILURES as exc:
        event(log, "harvest_optional_left_out", what=what, error=type(exc).__name__, status=exc.status or "-")
        left_out.append(what)
        return None

from .models import UNKNOWN_STATUS


def person_name(d: dict[str, Any]) -> str:
    """A user's or candidate's display name from `name`, or first and last name."""
    name = d.get("name") or " ".join(p for p in (d.get("first_name"), d.get("last_name")) if p)
    return name or f"#{d.get('id')}"


def candidate_id_of(app: dict[str, Any]) -> int | None:
    """The application's candidate: `candidate_id` as documented; some records (recorded
    from live tenants and exports) name it `person_id` instead."""
    for key in ("candidate_id", "person_id"):
        value = app.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return None


def status_of(d: dict[str, Any]) -> str:
    """A job's, opening's or application's `status`; a missing one is UNKNOWN_STATUS, not a guess."""
    status = d.get("status")
    return status if isinstance(status, str) and status else UNKNOWN_STATUS


def iso_utc(moment: datetime) -> str:
    """A timestamp as Greenhouse's filters take it: ISO 8601 in UTC, `Z` suffix."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def reject_body(rejection_reason_id: int | None, notes: str | None, email_template_id: int | None) -> dict[str, Any]:
    """The reject request body; v1 and v3 take the same fields (v3 requires the reason)."""
    body: dict[str, Any] = {}
    if rejection_reason_id is not None:
        body["rejection_reason_id"] = rejection_reason_id
    if notes:
        body["notes"] = notes
    if email_template_id is not None:
        # v3 takes the same object (confirmed: docs/harvest-v3-reference.md §4 row 14)
        body["rejection_email"] = {"email_template_id": email_template_id}
    return body


def close_opening_body(close_reason_id: int | None) -> dict[str, Any]:
    """`{"status": "closed"}`, with the reason when one was chosen (a reason without
    closing is an error in Greenhouse)."""
    body: dict[str, Any] = {"status": "closed"}
    if close_reason_id is not None:
        body["close_reason_id"] = close_reason_id
    return body


def move_body(from_stage_id: int, to_stage_id: int) -> dict[str, Any]:
    """Move within the application's job: both stage ids are required (v1 and v3 alike;
    docs/harvest-applications-move.md). `from_stage_id` guards against a stale move."""
    return {"from_stage_id": int(from_stage_id), "to_stage_id": int(to_stage_id)}
