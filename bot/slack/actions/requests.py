"""Clicks on requests: the requester's draft (reason, email, submit, cancel) and
the approvers' Approve / Deny / Retry. Each click is acked at once; the work
runs after. Buttons carry only the request ID: everything else is read from the store."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

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
)
from bot.slack.notify import announce_if_closed
from bot.slack.replies import run_safely
from bot.workflows.errors import UserFacingError

from .values import request_id_value

log = logging.getLogger("bot.slack")


def _selected(body: dict[str, Any]) -> tuple[str, str]:
    """`<request id>|<choice>` from a select menu."""
    action = body["actions"][0]
    option = action.get("selected_option")
    raw = option.get("value") if isinstance(option, dict) else None
    request_id, _, choice = raw.partition("|") if isinstance(raw, str) else ("", "", "")
    return request_id_value(request_id), choice


def register(app: App, services: Services) -> None:
    requests = services.requests
    messages = services.request_messages

    def ack_now(ack: Ack) -> None:
        ack()

    def ephemeral(respond: Respond):  # type: ignore[no-untyped-def]
        return lambda text: respond(text=text, response_type="ephemeral", replace_original=False)

    # --- the requester's draft ---------------------------------------------------------------

    def redraw(respond: Respond, request_id: str) -> None:
        r = requests.get(request_id)
        assert r is not None
        if r.kind == "close_job":
            blocks = draft_blocks(r, services.reference.close_reasons(), None)
        else:
            blocks = draft_blocks(r, services.reference.rejection_reasons(), services.reference.rejection_templates())
        respond(text="Your draft request", blocks=blocks, replace_original=True, response_type="ephemeral")

    def pick_reason(body: dict[str, Any], respond: Respond) -> None:
        def work() -> None:
            request_id, choice = _selected(body)
            if not choice.isdigit():
                raise UserFacingError("That choice is out of date; run the command again.")
            requests.choose(request_id, body["user"]["id"], reason_id=int(choice))
            redraw(respond, request_id)

        run_safely(work, ephemeral(respond), what="action:draft_reason")

    def pick_template(body: dict[str, Any], respond: Respond) -> None:
        def work() -> None:
            request_id, choice = _selected(body)
            if choice != "none" and not choice.isdigit():
                raise UserFacingError("That choice is out of date; run the command again.")
            requests.choose(request_id, body["user"]["id"], template_id=None if choice == "none" else int(choice))
            redraw(respond, request_id)

        run_safely(work, ephemeral(respond), what="action:draft_template")

    def submit(body: dict[str, Any], respond: Respond) -> None:
        def work() -> None:
            request_id = request_id_value(body["actions"][0].get("value", ""))
            request = requests.ready_to_post(request_id, body["user"]["id"])
            posted = messages.post(request)
            respond(text=f"Your request is posted in <#{posted.channel}> for approval. I'll tell you when it is decided.",
                    replace_original=True, response_type="ephemeral")

        run_safely(work, ephemeral(respond), what="action:draft_submit")

    def cancel(body: dict[str, Any], respond: Respond) -> None:
        def work() -> None:
            request_id = request_id_value(body["actions"][0].get("value", ""))
            r = requests.get(request_id)
            if r is None or r.requester != body["user"]["id"]:
                raise UserFacingError("Only the person who asked can cancel this draft.")
            requests.discard(request_id, "cancelled by requester")
            respond(text="Cancelled; nothing was requested.", replace_original=True, response_type="ephemeral")

        run_safely(work, ephemeral(respond), what="action:draft_cancel")

    # --- the approvers -------------------------------------------------------------------------

    def decide(body: dict[str, Any], respond: Respond, *, retry: bool) -> None:
        clicker = body["user"]["id"]

        def work() -> None:
            request_id = request_id_value(body["actions"][0].get("value", ""))
            request = requests.get(request_id)
            if request is None:
                raise UserFacingError("That request no longer exists.")
            # Writes go out on behalf of the approver: they must be mapped, even admins.
            approver = services.identity.resolve(clicker)
            requests.may_decide(request, clicker, approver.greenhouse_user_id, services.is_admin(clicker))
            claimed = requests.claim(request_id, approver, retry=retry)
            messages.refresh(claimed)
            finished = requests.execute(claimed)
            messages.settle(finished)
            if finished.kind == "close_job" and finished.job_status_after == "closed":
                # Tell everyone now rather than at the next web hook or poll; the
                # announcement is claimed once, so those will not repeat it.
                announce_if_closed(services, finished.job_id, hint="bot_request")

        run_safely(work, ephemeral(respond), what="action:approve")

    def approve(body: dict[str, Any], respond: Respond) -> None:
        decide(body, respond, retry=False)

    def retry(body: dict[str, Any], respond: Respond) -> None:
        decide(body, respond, retry=True)

    def open_deny(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        clicker = body["user"]["id"]

        def work() -> None:
            request_id = request_id_value(body["actions"][0].get("value", ""))
            request = requests.get(request_id)
            if request is None or request.state not in ("requested", "failed"):
                raise UserFacingError(requests.explain_state(request_id))
            _may_deny(request, clicker)
            client.views_open(trigger_id=body["trigger_id"], view=deny_modal(request))

        run_safely(work, ephemeral(respond), what="action:deny")

    def _may_deny(request, clicker: str) -> None:  # type: ignore[no-untyped-def]
        # The requester may withdraw their own request; otherwise the approvers decide.
        if clicker == request.requester:
            return
        is_admin = services.is_admin(clicker)
        mapping = services.identity.stored(clicker) if is_admin else services.identity.resolve(clicker)
        requests.may_decide(request, clicker, mapping.greenhouse_user_id if mapping else None, is_admin)

    def deny_submitted(body: dict[str, Any], client: WebClient) -> None:
        clicker = body["user"]["id"]
        view = body["view"]

        def work() -> None:
            request_id = request_id_value(view.get("private_metadata", ""))
            request = requests.get(request_id)
            if request is None:
                raise UserFacingError("That request no longer exists.")
            _may_deny(request, clicker)
            reason = (((view.get("state") or {}).get("values") or {}).get("reason") or {}).get("reason", {}).get("value")
            messages.settle(requests.deny(request_id, clicker, reason))

        def tell(text: str) -> None:
            client.chat_postMessage(channel=clicker, text=text)

        run_safely(work, tell, what="view:deny")

    app.action(ACTION_DRAFT_REASON)(ack=ack_now, lazy=[pick_reason])
    app.action(ACTION_DRAFT_TEMPLATE)(ack=ack_now, lazy=[pick_template])
    app.action(ACTION_DRAFT_SUBMIT)(ack=ack_now, lazy=[submit])
    app.action(ACTION_DRAFT_CANCEL)(ack=ack_now, lazy=[cancel])
    app.action(ACTION_APPROVE)(ack=ack_now, lazy=[approve])
    app.action(ACTION_RETRY)(ack=ack_now, lazy=[retry])
    app.action(ACTION_DENY)(ack=ack_now, lazy=[open_deny])
    app.view(DENY_MODAL)(ack=ack_now, lazy=[deny_submitted])
