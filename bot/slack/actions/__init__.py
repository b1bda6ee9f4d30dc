"""Button clicks, one module per kind."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services

from . import home, job_view, moves, reject_rest, requests, undo


def register(app: App, services: Services) -> None:
    job_view.register(app, services)
    requests.register(app, services)
    reject_rest.register(app, services)
    moves.register(app, services)
    home.register(app, services)
    undo.register(app, services)
