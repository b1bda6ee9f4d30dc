"""The one slash command, `/greenhouse`, dispatched to subcommands."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.services import Services
from bot.slack.blocks.common import esc
from bot.slack.listeners import Event, on_command
from bot.workflows.errors import UserFacingError

from . import help, identity, job, requests, watch  # noqa: F401 - each module registers its subcommands
from .parse import ParsedCommand, parse
from .registry import REGISTRY, CommandContext, Subcommand, usage_text

COMMAND = "/greenhouse"


def acknowledge(ack: Ack, command: dict[str, Any]) -> None:
    """Inside Slack's 3 seconds: check the text's shape and say what will happen."""
    parsed = parse(command.get("text"))
    sub = REGISTRY.get(parsed.name)
    if sub is None:
        ack(f"I don't know `{esc(parsed.name[:30])}`.\n{usage_text()}")
        return
    try:
        ack(sub.acknowledge(parsed.args))
    except UserFacingError as exc:
        ack(str(exc))


def _to_run(command: dict[str, Any]) -> tuple[Subcommand, ParsedCommand] | None:
    """The subcommand to run after the ack; None when the ack already said it all."""
    parsed = parse(command.get("text"))
    sub = REGISTRY.get(parsed.name)
    if sub is None or sub.run is None:
        return None
    try:
        sub.acknowledge(parsed.args)
    except UserFacingError:
        return None  # the ack already said what was wrong
    return sub, parsed


@on_command(lambda found: f"command:{found[0].name}", _to_run)
def run(event: Event[tuple[Subcommand, ParsedCommand]]) -> None:
    sub, parsed = event.value
    assert sub.run is not None
    sub.run(CommandContext(event.services, event.caller, parsed, event.body, event.respond, event.client))


def register(app: App, services: Services) -> None:
    app.command(COMMAND)(ack=acknowledge, lazy=[run.lazy(services)])
