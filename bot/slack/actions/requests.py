"""Clicks on requests: the requester's draft (reason, email, submit, cancel) and
the approvers' Approve / Deny / Retry. Each click is acked at once; the work
runs after. Buttons carry only the request ID: everything else is read from the store.
Who may do what is decided in `bot/workflows/requests/`, not here."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot import waiting
from bot.services import Services
from bot.slack.blocks.requests import (
    ACTION_APPROVE,
    ACTION_DENY,
    ACTION_DRAFT_CANCEL,
    ACTION_DRAFT_REASON,
    ACTION_DRAFT_SUBMIT,
    ACTION_DRAFT_TEMPLATE,
    ACTION_RETRY,
    DENY_MODAL,
    deny_modal,
    draft_blocks,
    posted_sentence,
)
from bot.slack.listeners import Event, ack_now, on_click, tell_in_dm
from bot.workflows.errors import UserFacingError
from bot.workflows.requests import Request

from .values import button_request_id, modal_reason, modal_request_id, selected_choice

# --- the requester's draft -------------------------------------------------------------------


def close_draft_blocks(services: Services, r: Request) -> list[dict[str, Any]]:
    """A close's draft; with active candidates left, the offer to reject them too (and its lists)."""
    ref = services.reference
    if not r.rest_application_ids:
        return draft_blocks(r, ref.close_reasons(), None)
    return draft_blocks(r, ref.close_reasons(), ref.rejection_templates(), ref.rejection_reasons())


def redraw(event: Event, request_id: str) -> None:
    services = event.services
    r = services.requests.get(request_id)
    assert r is not None
    if r.kind == "close_job":
        blocks = close_draft_blocks(services, r)
    else:
        blocks = draft_blocks(r, services.reference.rejection_reasons(), services.reference.rejection_templates())
    event.reply("Your draft request", blocks, replace_original=True)


@on_click("action:draft_reason", selected_choice)
def pick_reason(event: Event[tuple[str, str]]) -> None:
    request_id, choice = event.value
    if not choice.isdigit():
        raise UserFacingError("That choice is out of date; run the command again.")
    event.services.requests.choose(request_id, event.caller, reason_id=int(choice))
    redraw(event, request_id)


@on_click("action:draft_template", selected_choice)
def pick_template(event: Event[tuple[str, str]]) -> None:
    request_id, choice = event.value
    if choice != "none" and not choice.isdigit():
        raise UserFacingError("That choice is out of date; run the command again.")
    event.services.requests.choose(request_id, event.caller, template_id=None if choice == "none" else int(choice))
    redraw(event, request_id)


@on_click("action:draft_submit", button_request_id)
def submit(event: Event[str]) -> None:
    request = event.services.requests.ready_to_post(event.value, event.caller)
    posted = event.services.request_messages.post(request)
    event.reply(posted_sentence(posted), replace_original=True)


@on_click("action:draft_cancel", button_request_id)
def cancel(event: Event[str]) -> None:
    event.services.requests.cancel(event.value, event.caller)
    event.reply("Cancelled; nothing was requested.", replace_original=True)


# --- the approvers -----------------------------------------------------------------------------


def decide(event: Event[str], *, retry: bool) -> None:
    services, requests, messages = event.services, event.services.requests, event.services.request_messages
    request = requests.get(event.value)
    if request is None:
        raise UserFacingError("That request no longer exists.")
    event.caller.mapped()  # writes go out on behalf of the approver: they must be mapped, even admins
    requests.may_decide(request, event.caller)
    claimed = requests.claim(request.id, event.caller, retry=retry)
    messages.refresh(claimed)
    finished = requests.execute(claimed, progress=messages.progress_line() if claimed.reject_rest else None)
    messages.settle(finished)
    if finished.kind == "close_job" and finished.job_status_after == "closed":
        # Tell everyone now rather than at the next web hook or poll; the
        # announcement is claimed once, so those will not repeat it.
        # It starts from the job the execution read after its writes (not read again).
        # The approver has their answer: what is left is new work, in the rate limiter's
        # line from now (a fresh Waiting), not at the click's start, which would put its
        # reads ahead of every command begun since. Nobody waits to hear of its wait: no
        # tell. Not last in line either (+inf, as the names read ahead): under load
        # that would starve it. Fair, first come first served.
        with waiting.waiting_as(waiting.Waiting()):
            services.autoclose.announce_if_closed(finished.job_id, hint="bot_request", known=finished.job_after)


@on_click("action:approve", button_request_id)
def approve(event: Event[str]) -> None:
    decide(event, retry=False)


@on_click("action:retry", button_request_id)
def retry(event: Event[str]) -> None:
    decide(event, retry=True)


@on_click("action:deny", button_request_id)
def open_deny(event: Event[str]) -> None:
    requests = event.services.requests
    request = requests.get(event.value)
    if request is None or request.state not in ("requested", "failed"):
        raise requests.not_open(event.value)
    requests.may_deny(request, event.caller)
    event.client.views_open(trigger_id=event.body["trigger_id"], view=deny_modal(request))


@on_click("view:deny", modal_request_id, tell=tell_in_dm)
def deny_submitted(event: Event[str]) -> None:
    requests = event.services.requests
    request = requests.get(event.value)
    if request is None:
        raise UserFacingError("That request no longer exists.")
    requests.may_deny(request, event.caller)
    event.services.request_messages.settle(requests.deny(request.id, event.caller, modal_reason(event.body)))


def register(app: App, services: Services) -> None:
    app.action(ACTION_DRAFT_REASON)(ack=ack_now, lazy=[pick_reason.lazy(services)])
    app.action(ACTION_DRAFT_TEMPLATE)(ack=ack_now, lazy=[pick_template.lazy(services)])
    app.action(ACTION_DRAFT_SUBMIT)(ack=ack_now, lazy=[submit.lazy(services)])
    app.action(ACTION_DRAFT_CANCEL)(ack=ack_now, lazy=[cancel.lazy(services)])
    app.action(ACTION_APPROVE)(ack=ack_now, lazy=[approve.lazy(services)])
    app.action(ACTION_RETRY)(ack=ack_now, lazy=[retry.lazy(services)])
    app.action(ACTION_DENY)(ack=ack_now, lazy=[open_deny.lazy(services)])
    app.view(DENY_MODAL)(ack=ack_now, lazy=[deny_submitted.lazy(services)])
