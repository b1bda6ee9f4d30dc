"""What a click carries, decoded in one place. Values are echoed back by Slack but
were written by us; nothing in them is trusted beyond an ID to look up."""

from __future__ import annotations

import re
from typing import Any

from bot.workflows.errors import UserFacingError

_PAGE_RE = re.compile(r"([0-9]{1,18}):([0-9]{1,7})")
_ID_RE = re.compile(r"[0-9]{1,18}")  # ASCII digits only
_REQUEST_RE = re.compile(r"req-[0-9a-f]{12,32}")
# The job view's Close job… button and candidate overflow: `<command>:<job or application id>`.
_VIEW_ACTION_RE = re.compile(r"(close|reject|advance|move):([0-9]{1,18})")
STALE = "That button is out of date; run the command again."


def page_value(value: object) -> tuple[int, int]:
    """`<job id>:<offset>` for the job view's More button."""
    match = _PAGE_RE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise UserFacingError(STALE)
    return int(match.group(1)), int(match.group(2))


def id_value(value: object) -> int:
    """A job ID, or the offset of a page of jobs: digits only."""
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise UserFacingError(STALE)
    return int(value)


def request_id_value(value: object) -> str:
    """A request ID, the only thing approval buttons carry."""
    if not isinstance(value, str) or not _REQUEST_RE.fullmatch(value):
        raise UserFacingError(STALE)
    return value


def view_action_value(value: object) -> tuple[str, str]:
    """`close:<job id>` or `reject|advance|move:<application id>`: the subcommand the job
    view's button or overflow option stands for, and its argument."""
    match = _VIEW_ACTION_RE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise UserFacingError(STALE)
    return match.group(1), match.group(2)


# --- from the payload of a click --------------------------------------------------------------


def _action(body: dict[str, Any]) -> dict[str, Any]:
    return body["actions"][0]


def button_page(body: dict[str, Any]) -> tuple[int, int]:
    return page_value(_action(body).get("value", ""))


def button_id(body: dict[str, Any]) -> int:
    return id_value(_action(body).get("value", ""))


def view_action(body: dict[str, Any]) -> tuple[str, str]:
    """A job view click: a button's `value`, or an overflow's `selected_option.value`."""
    action = _action(body)
    option = action.get("selected_option")
    return view_action_value(option.get("value") if isinstance(option, dict) else action.get("value"))


def button_request_id(body: dict[str, Any]) -> str:
    return request_id_value(_action(body).get("value", ""))


def selected_choice(body: dict[str, Any]) -> tuple[str, str]:
    """`<request id>|<choice>` from a select menu on a draft."""
    option = _action(body).get("selected_option")
    raw = option.get("value") if isinstance(option, dict) else None
    request_id, _, choice = raw.partition("|") if isinstance(raw, str) else ("", "", "")
    return request_id_value(request_id), choice


def modal_request_id(body: dict[str, Any]) -> str:
    """The deny modal keeps its request's ID in private_metadata."""
    return request_id_value(body["view"].get("private_metadata", ""))


def modal_reason(body: dict[str, Any]) -> str | None:
    values = (body["view"].get("state") or {}).get("values") or {}
    return (values.get("reason") or {}).get("reason", {}).get("value")
