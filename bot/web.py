"""The HTTP app: Slack's endpoint, the health check (and the Greenhouse web hook)."""

from __future__ import annotations

import logging
import time
import uuid

from flask import Flask, g, jsonify, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler

from bot import greenhouse_webhook
from bot.logs import event
from bot.services import Services

log = logging.getLogger("bot.web")


def create_web_app(services: Services, bolt_app: App) -> Flask:
    web = Flask("greenhouse-slack-bot")
    slack_handler = SlackRequestHandler(bolt_app)

    @web.before_request
    def _start_timer() -> None:
        g.started = time.monotonic()
        g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:12]

    @web.after_request
    def _log_request(response):  # type: ignore[no-untyped-def]
        # One line per request: no body, no query string, no user text.
        event(log, "http_request", method=request.method, path=request.path, status=response.status_code,
              duration_ms=round((time.monotonic() - g.get("started", time.monotonic())) * 1000),
              request_id=g.get("request_id", "-"), slack_retry=request.headers.get("X-Slack-Retry-Num", "-"))
        response.headers["X-Request-Id"] = g.get("request_id", "-")
        return response

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
