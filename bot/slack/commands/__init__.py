"""The one slash command, `/greenhouse`, dispatched to subcommands."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.metrics import observe_answer
from bot.services import Services
from bot.slack.blocks.common import esc
from bot.slack.listeners import Event, on_command
from bot.workflows.errors import UserFacingError

from . import help, identity, job, moves, requests, watch  # noqa: F401 - each module registers its subcommands
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
        ack(exc.render(esc))


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
    app.command(COMMAND)(ack=acknowledge, lazy=[_timed(run.lazy(services))])


def _timed(lazy_half: Callable[..., None]) -> Callable[..., None]:
    """Answer latency (bot/metrics.py): from the request's arrival, stamped by
    bot/slack/app.py, to the end of the lazy half, labelled with the subcommand."""

    def timed(body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext) -> None:
        try:
            lazy_half(body, respond, client)
        finally:
            received = context.get("received_at")
            found = _to_run(body)
            if received is not None and found is not None:
                observe_answer(found[0].name, time.monotonic() - received)

    timed.__name__ = lazy_half.__name__
    return timed
