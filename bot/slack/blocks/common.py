"""Escaping and the small pieces every message is built from."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, NamedTuple

from bot.mrkdwn import esc  # noqa: F401 - the builders' escaping helper, re-exported for them

SECTION_TEXT_MAX = 3000
MAX_BLOCKS = 50
HEADER_MAX = 150


class Message(NamedTuple):
    """What every builder of a whole message returns: the notification text (also what
    screen readers and old clients show) and the blocks."""

    text: str
    blocks: list[dict[str, Any]]


def plain(text: str, limit: int = HEADER_MAX) -> dict[str, Any]:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return {"type": "plain_text", "text": text, "emoji": True}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text)}


def section(mrkdwn: str) -> dict[str, Any]:
    if len(mrkdwn) > SECTION_TEXT_MAX:
        mrkdwn = mrkdwn[: SECTION_TEXT_MAX - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def context(mrkdwn: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn[:SECTION_TEXT_MAX]}]}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, style: str | None = None, confirm: dict | None = None) -> dict[str, Any]:
    el: dict[str, Any] = {"type": "button", "text": plain(text, 75), "action_id": action_id, "value": value}
    if style:
        el["style"] = style
    if confirm:
        el["confirm"] = confirm
    return el


def confirm_dialog(title: str, text: str, ok: str, style: str = "primary") -> dict[str, Any]:
    return {
        "title": plain(title, 100),
        "text": {"type": "mrkdwn", "text": text if len(text) <= 300 else text[:299] + "…"},
        "confirm": plain(ok, 30),
        "deny": plain("Cancel", 30),
        "style": style,
    }


SELECT_OPTIONS_MAX = 100  # Slack's limit for a static select


def static_select(action_id: str, placeholder: str, options: list[tuple[str, str]], initial: str | None) -> dict[str, Any]:
    """A menu of (label, value) options, `initial` chosen if it is among them."""
    opts = [{"text": plain(label, 75), "value": value} for label, value in options[:SELECT_OPTIONS_MAX]]
    el: dict[str, Any] = {"type": "static_select", "action_id": action_id, "placeholder": plain(placeholder, 150), "options": opts}
    chosen = next((o for o in opts if o["value"] == initial), None)
    if chosen:
        el["initial_option"] = chosen
    return el


def actions(*elements: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def chunk_lines(lines: list[str], limit: int = SECTION_TEXT_MAX - 100) -> list[str]:
    """Join lines into texts of at most `limit` characters, never splitting a line."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else "—"


def slack_date(moment: datetime | float | None) -> str:
    """A moment (a datetime or epoch seconds) as Slack shows it in each reader's own
    time zone ("today 14:05", "Nov 3 09:12"); the fallback text is UTC."""
    if moment is None or moment == 0:
        return "—"
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, tz=timezone.utc)
    utc = moment.astimezone(timezone.utc) if moment.tzinfo else moment
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{utc.strftime('%Y-%m-%d %H:%M UTC')}>"
