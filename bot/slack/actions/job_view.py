"""The job view's "More" button: the next page, to the same person, ephemerally."""

from __future__ import annotations

from slack_bolt import App

from bot.app_links import AppLinks
from bot.services import Services
from bot.slack.blocks.job import ACTION_MORE, job_view_blocks
from bot.slack.listeners import Event, ack_now, on_click

from .values import button_page


@on_click("action:more", button_page)
def more(event: Event[tuple[int, int]]) -> None:
    job_id, offset = event.value
    view = event.services.job_views.page(job_id, event.caller)
    page = job_view_blocks(view, offset if view.may_see_candidates else 0,
                           links=AppLinks(event.services.settings.greenhouse_app_url))
    event.reply(page.text, page.blocks, replace_original=False)


def register(app: App, services: Services) -> None:
    app.action(ACTION_MORE)(ack=ack_now, lazy=[more.lazy(services)])
