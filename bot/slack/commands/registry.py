"""The `/greenhouse` subcommands: each module declares its own with `subcommand()`.

A subcommand has two halves. `acknowledge(args)` runs inside Slack's 3-second
window: it only checks the input's shape and returns the "working on it" text
(or raises UserFacingError). `run(ctx)` runs after the ack and does the
Greenhouse work, with the caller already resolved (`bot/slack/listeners.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.slack.listeners import Event

from .parse import ParsedCommand


class CommandContext(Event[ParsedCommand]):
    """A subcommand's view of the command: `value` is the parsed text."""

    @property
    def args(self) -> str:
        return self.value.args

    @property
    def user_id(self) -> str:
        return self.caller.slack_user_id

    @property
    def channel_id(self) -> str:
        return str(self.body.get("channel_id", ""))


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str
    summary: str
    acknowledge: Callable[[str], str]
    run: Callable[[CommandContext], None] | None


REGISTRY: dict[str, Subcommand] = {}


def subcommand(name: str, usage: str, summary: str, acknowledge: Callable[[str], str]) -> Callable:
    def register(run: Callable[[CommandContext], None] | None) -> Callable[[CommandContext], None] | None:
        REGISTRY[name] = Subcommand(name, usage, summary, acknowledge, run)
        return run

    return register


def usage_text() -> str:
    lines = ["*Greenhouse bot* — usage:"]
    for sub in REGISTRY.values():
        lines.append(f"• `/greenhouse {sub.usage}` — {sub.summary}")
    return "\n".join(lines)
