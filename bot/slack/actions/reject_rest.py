"""The requester's choices on a close draft about the active candidates left on the job:
leave them or reject them too, with which reason and whether they get an email
(bot/workflows/requests/reject_rest.py)."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from bot.slack.blocks.reject_rest import ACTION_DRAFT_REST, ACTION_DRAFT_REST_REASON, ACTION_DRAFT_REST_TEMPLATE
from bot.slack.listeners import Event, ack_now, on_click
from bot.workflows.errors import UserFacingError

from .requests import redraw
from .values import selected_choice

OUT_OF_DATE = "That choice is out of date; run the command again."


@on_click("action:draft_rest", selected_choice)
def pick_rest(event: Event[tuple[str, str]]) -> None:
    request_id, choice = event.value
    if choice not in ("keep", "reject"):
        raise UserFacingError(OUT_OF_DATE)
    event.services.requests.choose_rest(request_id, event.caller, reject=choice == "reject")
    redraw(event, request_id)


@on_click("action:draft_rest_reason", selected_choice)
def pick_rest_reason(event: Event[tuple[str, str]]) -> None:
    request_id, choice = event.value
    if not (choice.isascii() and choice.isdigit()):
        raise UserFacingError(OUT_OF_DATE)
    event.services.requests.choose_rest(request_id, event.caller, reason_id=int(choice))
    redraw(event, request_id)


@on_click("action:draft_rest_template", selected_choice)
def pick_rest_template(event: Event[tuple[str, str]]) -> None:
    request_id, choice = event.value
    if choice != "none" and not (choice.isascii() and choice.isdigit()):
        raise UserFacingError(OUT_OF_DATE)
    event.services.requests.choose_rest(request_id, event.caller, template_id=None if choice == "none" else int(choice))
    redraw(event, request_id)


def register(app: App, services: Services) -> None:
    app.action(ACTION_DRAFT_REST)(ack=ack_now, lazy=[pick_rest.lazy(services)])
    app.action(ACTION_DRAFT_REST_REASON)(ack=ack_now, lazy=[pick_rest_reason.lazy(services)])
    app.action(ACTION_DRAFT_REST_TEMPLATE)(ack=ack_now, lazy=[pick_rest_template.lazy(services)])
