"""Wire helpers both Harvest versions share: request bodies and value formats that
v1 and v3 spell the same way (docs/HARVEST_V3.md §4 maps the rest)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def person_name(d: dict[str, Any]) -> str:
    """A user's or candidate's display name from `name`, or first and last name."""
    name = d.get("name") or " ".join(p for p in (d.get("first_name"), d.get("last_name")) if p)
    return name or f"#{d.get('id')}"


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
        # UNCONFIRMED for v3: docs/HARVEST_V3.md §5 (`rejection_email` fields)
        body["rejection_email"] = {"email_template_id": email_template_id}
    return body


def close_opening_body(close_reason_id: int | None) -> dict[str, Any]:
    """`{"status": "closed"}`, with the reason when one was chosen (a reason without
    closing is an error in Greenhouse)."""
    body: dict[str, Any] = {"status": "closed"}
    if close_reason_id is not None:
        body["close_reason_id"] = close_reason_id
    return body
