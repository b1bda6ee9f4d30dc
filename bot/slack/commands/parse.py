"""Splitting `/greenhouse …` text, and reading Slack's escaped mentions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.workflows.errors import UserFacingError
from bot.workflows.requests import APPLICATION_ID_RE

MENTION_RE = re.compile(r"^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class ParsedCommand:
    name: str
    args: str

    @property
    def words(self) -> list[str]:
        return self.args.split()


def parse(text: str | None) -> ParsedCommand:
    text = (text or "").strip()
    if not text:
        return ParsedCommand("help", "")
    name, *rest = text.split(None, 1)
    return ParsedCommand(name.lower(), rest[0].strip() if rest else "")


def mentioned_user(word: str) -> str | None:
    """`<@U123|name>` (how Slack sends a mention with should_escape) → `U123`."""
    match = MENTION_RE.match(word.strip())
    return match.group(1) if match else None


def application_id_first(args: str, usage: str, *, alone: bool = False) -> str:
    """The application ID the command's text starts with (`alone`: and nothing after it);
    else UserFacingError(usage), said in the ack."""
    words = args.split()
    if not words or (alone and len(words) != 1) or not APPLICATION_ID_RE.fullmatch(words[0]):
        raise UserFacingError(usage)
    return words[0]
