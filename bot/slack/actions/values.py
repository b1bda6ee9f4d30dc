"""Button values, decoded in one place. Values are echoed back by Slack but were
written by us; nothing in them is trusted beyond an ID to look up."""

from __future__ import annotations

import re

from bot.workflows.errors import UserFacingError

_PAGE_RE = re.compile(r"([0-9]{1,18}):([0-9]{1,7})")
_REQUEST_RE = re.compile(r"req-[0-9a-f]{12,32}")


def page_value(value: object) -> tuple[int, int]:
    """`<job id>:<offset>` for the job view's More button."""
    match = _PAGE_RE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise UserFacingError("That button is out of date; run the command again.")
    return int(match.group(1)), int(match.group(2))


def request_id_value(value: object) -> str:
    """A request ID, the only thing approval buttons carry."""
    if not isinstance(value, str) or not _REQUEST_RE.fullmatch(value):
        raise UserFacingError("That button is out of date; run the command again.")
    return value
