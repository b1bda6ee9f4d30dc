"""Clicks on a stage move's draft: the stage menu, and the requester's own confirm of a move
that needs no approval (`BOT_STAGE_MOVES_NEED_APPROVAL=false`) with its Retry — the same
claim as an approval (bot/workflows/requests/moves.py), so a double click makes one move."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from bot.slack.blocks.moves import ACTION_MOVE_CONFIRM, ACTION_MOVE_STAGE, move_draft_blocks, own_move_outcome
from bot.slack.listeners import Event, ack_now, on_click
from bot.workflows.errors import UserFacingError

from .values import button_request_id, selected_choice


@on_click("action:move_stage", selected_choice)
def pick_stage(event: Event[tuple[str, str]]) -> None:
    request_id, choice = event.value
    if not choice.isdigit():
        raise UserFacingError("That choice is out of date; run the command again.")
    requests = event.services.requests
    request = requests.choose_stage(request_id, event.caller, int(choice))
    event.reply("Check your stage move", move_draft_blocks(request, requests.stage_choices(request)),
                replace_original=True)


@on_click("action:move_confirm", button_request_id)
def confirm(event: Event[str]) -> None:
    requests, messages = event.services.requests, event.services.request_messages
    claimed = requests.confirm_own_move(event.value, event.caller)
    finished = requests.execute(claimed)
    messages.refresh(finished)  # no request message to update; the Home tabs are redrawn
    outcome = own_move_outcome(finished)
    event.reply(outcome.text, outcome.blocks, replace_original=True)


def register(app: App, services: Services) -> None:
    app.action(ACTION_MOVE_STAGE)(ack=ack_now, lazy=[pick_stage.lazy(services)])
    app.action(ACTION_MOVE_CONFIRM)(ack=ack_now, lazy=[confirm.lazy(services)])
