"""The `/greenhouse` subcommands: each module declares its own with `subcommand()`.

A subcommand has two halves. `acknowledge(args)` runs inside Slack's 3-second
window: it only checks the input's shape and returns the "working on it" text
(or raises UserFacingError). `run(ctx)` runs after the ack and does the
Greenhouse work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.identity import Mapping
from bot.services import Services


@dataclass
class CommandContext:
    services: Services
    user_id: str
    channel_id: str
    args: str
    respond: Callable[..., Any]
    client: WebClient
    body: dict[str, Any]

    @property
    def is_admin(self) -> bool:
        return self.services.is_admin(self.user_id)

    def actor(self) -> Mapping:
        """The caller's Greenhouse user (raises IdentityProblem with what to ask for)."""
        return self.services.identity.resolve(self.user_id)

    def actor_or_none_if_admin(self) -> Mapping | None:
        """Admins may look without a mapping; everyone else must be mapped."""
        if self.is_admin:
            try:
                return self.actor()
            except Exception:  # noqa: BLE001 - an admin without mapping still sees as admin
                return None
        return self.actor()

    def reply(self, text: str, blocks: list[dict[str, Any]] | None = None, **kw: Any) -> None:
        """Ephemeral, to the person who asked only."""
        self.respond(text=text, blocks=blocks, response_type="ephemeral", **kw)


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
