"""Clicks on the job view: "More" (the next page, to the same person, ephemerally), and the
actions it offers — *Close job…* and each candidate's *Reject…*, *Advance…*, *Move…* — which
run the slash command of the same name, so they open exactly the same drafts (same checks,
same Harvest reads)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.services import Services
from bot.slack.blocks.job import ACTION_CANDIDATE, ACTION_CLOSE_JOB, ACTION_MORE
from bot.slack.commands.job import job_page
from bot.slack.commands.parse import ParsedCommand
from bot.slack.commands.registry import REGISTRY, CommandContext
from bot.slack.listeners import Event, ack_now, on_click

from .values import button_page, view_action


@on_click("action:more", button_page)
def more(event: Event[tuple[int, int]]) -> None:
    job_id, offset = event.value
    view = event.services.job_views.page(job_id, event.caller)
    page = job_page(event.services, view, offset if view.may_see_candidates else 0)
    event.reply(page.text, page.blocks, replace_original=False)


@on_click(lambda found: f"action:view_{found[0]}", view_action)
def act(event: Event[tuple[str, str]]) -> None:
    name, ref = event.value
    sub = REGISTRY[name]
    assert sub.run is not None
    sub.acknowledge(ref)  # the command's own shape check (the value was decoded already)
    # The draft goes beside the view (not over it); the request remembers the view's channel.
    channel = (event.body.get("channel") or {}).get("id") or (event.body.get("container") or {}).get("channel_id", "")
    body = {**event.body, "channel_id": channel}
    sub.run(CommandContext(event.services, event.caller, ParsedCommand(name, ref), body, _beside(event), event.client))


def _beside(event: Event[Any]) -> Any:
    """`respond` that adds the command's answer next to the view instead of replacing it."""

    def respond(**kw: Any) -> Any:
        return event.respond(**{"replace_original": False, **kw})

    return respond


def register(app: App, services: Services) -> None:
    app.action(ACTION_MORE)(ack=ack_now, lazy=[more.lazy(services)])
    app.action(ACTION_CLOSE_JOB)(ack=ack_now, lazy=[act.lazy(services)])
    app.action(ACTION_CANDIDATE)(ack=ack_now, lazy=[act.lazy(services)])
