"""`app_home_opened`: draw the person's Home tab (bot/slack/home_tabs.py). The ack is
immediate; reading the store and `views.publish` happen in the lazy half."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.services import Services
from bot.slack.home_tabs import HomeTabs


def ack_event(ack: Ack) -> None:
    ack()


def opened_user(body: dict[str, Any]) -> str | None:
    """The user who opened the Home tab (not the Messages tab), or None."""
    event = body.get("event")
    if not isinstance(event, dict) or event.get("tab", "home") != "home":
        return None
    user = event.get("user")
    return user if isinstance(user, str) and user else None


def register(app: App, services: Services) -> None:
    def publish(body: dict[str, Any]) -> None:
        user = opened_user(body)
        if user is not None:
            HomeTabs.of(services).publish(user)

    app.event("app_home_opened")(ack=ack_event, lazy=[publish])
