"""The HTTP app: Slack's endpoint, the health check (and the Greenhouse web hook)."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler

from bot import greenhouse_webhook
from bot.services import Services

log = logging.getLogger("bot.web")


def create_web_app(services: Services, bolt_app: App) -> Flask:
    web = Flask("greenhouse-slack-bot")
    slack_handler = SlackRequestHandler(bolt_app)

    @web.post("/slack/events")
    def slack_events():  # type: ignore[no-untyped-def]
        return slack_handler.handle(request)

    @web.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        try:
            services.store.ping()
        except Exception:  # noqa: BLE001
            log.exception("healthz: store check failed")
            return jsonify(ok=False, store="unavailable"), 503
        return jsonify(ok=True, store="ok", harvest=services.harvest.version)

    greenhouse_webhook.register(web, services)

    for register in services.extra.get("web_routes", []):
        register(web, services)
    return web


def wsgi() -> Flask:
    """Entry point for gunicorn (see Procfile): `gunicorn 'bot.web:wsgi()'`."""
    from bot.runtime import start

    return start(mode="http")[1]
