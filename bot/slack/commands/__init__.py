"""The one slash command, `/greenhouse`, dispatched to subcommands."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.slack.blocks.common import esc
from bot.slack.replies import run_safely
from bot.workflows.errors import UserFacingError

from . import help, identity, job, requests, watch  # noqa: F401 - each module registers its subcommands
from .parse import parse
from .registry import REGISTRY, CommandContext, usage_text

COMMAND = "/greenhouse"


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack, command: dict[str, Any]) -> None:
        parsed = parse(command.get("text"))
        sub = REGISTRY.get(parsed.name)
        if sub is None:
            ack(f"I don't know `{esc(parsed.name[:30])}`.\n{usage_text()}")
            return
        try:
            ack(sub.acknowledge(parsed.args))
        except UserFacingError as exc:
            ack(str(exc))

    def work(command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        parsed = parse(command.get("text"))
        sub = REGISTRY.get(parsed.name)
        if sub is None or sub.run is None:
            return
        try:
            sub.acknowledge(parsed.args)
        except UserFacingError:
            return  # the ack already said what was wrong
        ctx = CommandContext(
            services=services,
            user_id=command["user_id"],
            channel_id=command.get("channel_id", ""),
            args=parsed.args,
            respond=respond,
            client=client,
            body=command,
        )
        run = sub.run
        run_safely(lambda: run(ctx), lambda text: ctx.reply(text), what=f"command:{sub.name}")

    app.command(COMMAND)(ack=acknowledge, lazy=[work])
