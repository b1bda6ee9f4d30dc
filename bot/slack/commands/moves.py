"""`/greenhouse advance <application id>` and `/greenhouse move <application id> [stage words]`:
a stage move drafted like a reject (bot/workflows/requests/moves.py). Without stage words
the draft offers the job's stages in a menu (what the job view's *Move…* opens)."""

from __future__ import annotations

from bot.slack.blocks.moves import move_draft_blocks
from bot.workflows.requests import Request

from .parse import application_id_first
from .registry import CommandContext, subcommand


def _ack_advance(args: str) -> str:
    app = application_id_first(
        args, "Usage: `/greenhouse advance <application id>` (`/greenhouse job <job>` lists application IDs).", alone=True)
    return f"Preparing to move application {app} to its next stage…"


@subcommand("advance", "advance <application id>",
            "move an application to the next stage of its job (a recruiter approves, unless moves need no approval)",
            _ack_advance)
def advance(ctx: CommandContext) -> None:
    _show(ctx, ctx.services.requests.draft_move(ctx.caller, ctx.args.strip(), "", ctx.channel_id, advance=True))


def _ack_move(args: str) -> str:
    app = application_id_first(args, "Usage: `/greenhouse move <application id> [stage name words]` "
                                     "(`/greenhouse job <job>` lists application IDs and stages).")
    return f"Preparing to move application {app}…"


@subcommand("move", "move <application id> [stage words]",
            "move an application to another stage of its job (a recruiter approves, unless moves need no approval)",
            _ack_move)
def move(ctx: CommandContext) -> None:
    ref, _, words = ctx.args.strip().partition(" ")
    _show(ctx, ctx.services.requests.draft_move(ctx.caller, ref, words.strip(), ctx.channel_id, advance=False))


def _show(ctx: CommandContext, request: Request) -> None:
    ctx.reply("Check your stage move", move_draft_blocks(request, ctx.services.requests.stage_choices(request)))
