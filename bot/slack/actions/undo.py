"""The Undo button on a rejection the bot made. Acked at once; the claim, the unreject
and who may undo are decided in `bot/workflows/requests/undo.py`, not here."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from bot.slack.blocks.undo import ACTION_UNDO
from bot.slack.listeners import Event, ack_now, on_click
from bot.workflows.errors import UserFacingError

from .values import button_request_id


@on_click("action:undo", button_request_id)
def undo(event: Event[str]) -> None:
    requests, messages = event.services.requests, event.services.request_messages
    request = requests.get(event.value)
    if request is None:
        raise UserFacingError("That request no longer exists.")
    requests.may_undo(request, event.caller)
    claimed = requests.claim_undo(request.id, event.caller)
    messages.refresh(claimed)
    messages.settle(requests.undo(claimed))


def register(app: App, services: Services) -> None:
    app.action(ACTION_UNDO)(ack=ack_now, lazy=[undo.lazy(services)])
