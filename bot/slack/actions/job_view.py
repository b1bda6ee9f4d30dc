"""The job view's "More" button: the next page, to the same person, ephemerally."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.services import Services
from bot.slack.blocks.job import ACTION_MORE, job_view_blocks
from bot.slack.replies import run_safely

from .values import page_value


def register(app: App, services: Services) -> None:
    def ack_now(ack: Ack) -> None:
        ack()

    def more(body: dict[str, Any], respond: Respond) -> None:
        user_id = body["user"]["id"]

        def work() -> None:
            job_id, offset = page_value(body["actions"][0].get("value", ""))
            is_admin = services.is_admin(user_id)
            actor = None
            if is_admin:
                actor = services.identity.stored(user_id)
            else:
                actor = services.identity.resolve(user_id)
            view = services.job_views.page(
                job_id, greenhouse_user_id=actor.greenhouse_user_id if actor else None, is_admin=is_admin
            )
            blocks, text = job_view_blocks(view, offset if view.may_see_candidates else 0)
            respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

        run_safely(work, lambda t: respond(text=t, response_type="ephemeral", replace_original=False), what="action:more")

    app.action(ACTION_MORE)(ack=ack_now, lazy=[more])
