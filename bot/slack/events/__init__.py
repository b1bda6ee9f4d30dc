"""Events Slack sends to the app (Events API), one module per kind."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services

from . import home, unhandled


def register(app: App, services: Services) -> None:
    home.register(app, services)
    unhandled.register(app)  # last: it matches every event type
