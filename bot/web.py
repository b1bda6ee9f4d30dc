"""The HTTP app: Slack's endpoint, the health check (and the Greenhouse web hook)."""

from __future__ import annotations

import json
import logging
import time
import uuid
from urllib.parse import parse_qs

from flask import Flask, g, jsonify, make_response, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

from bot import greenhouse_webhook, metrics
from bot.http_body import bounded_body
from bot.logs import event
from bot.readiness import store_writable
from bot.services import Services

log = logging.getLogger("bot.web")

# Slack's largest requests (an interaction carrying a full 50-block message, URL-encoded)
# stay well under this; anything larger is refused before a byte of it is read.
SLACK_MAX_BODY = 1 << 20  # 1 MiB


def create_web_app(services: Services, bolt_app: App) -> Flask:
    web = Flask("greenhouse-slack-bot")
    slack_handler = SlackRequestHandler(bolt_app)
    secret = services.settings.slack_signing_secret
    verifier = SignatureVerifier(secret.get_secret_value()) if secret is not None else None

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
        # Refused before it is read or parsed: Bolt itself would read any size.
        raw = bounded_body(SLACK_MAX_BODY)
        if raw is None:
            log.warning("slack_request_rejected reason=too_large")
            return make_response("request too large", 413)
        # Bolt parses the body before it checks the signature, so a forged request with a
        # broken body (or a non-numeric timestamp) would reach its parser and end in a 500.
        # Check the signature first: anything unsigned or stale is a 401 before any work.
        if verifier is not None and not _signed(verifier, request.get_data(as_text=True), request.headers):
            log.warning("slack_request_rejected reason=signature")
            return make_response("invalid request signature", 401)
        try:
            if not _slack_shaped(request.get_data(as_text=True), request.content_type or ""):
                raise ValueError("payload shape")
            return slack_handler.handle(request)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            # Signed, but not a shape Slack sends (e.g. a payload that is not JSON): Bolt's
            # own parsing and matching would fail on it with a 500.
            log.warning("slack_request_malformed error=%s", type(exc).__name__)
            return make_response("malformed request", 400)

    @web.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        try:
            services.store.ping()
        except Exception:  # noqa: BLE001
            log.exception("healthz: store check failed")
            return jsonify(ok=False, store="unavailable"), 503
        return jsonify(ok=True, store="ok", harvest=services.harvest.version)

    @web.get("/readyz")
    def readyz():  # type: ignore[no-untyped-def]
        """Ready to serve: the store takes a write on its file, and Harvest and Slack passed
        the start-up checks (bot/readiness.py). 503 with what is wrong otherwise."""
        store_ok, store_detail = store_writable(services.store)
        checks = services.readiness.report() if services.readiness is not None else {}
        ready = store_ok and all(c["ok"] for c in checks.values())
        return jsonify(ready=ready, store={"ok": store_ok, "detail": store_detail}, **checks), (200 if ready else 503)

    greenhouse_webhook.register(web, services)
    metrics.register(web, services)
    return web


_DICT_FIELDS = ("user", "team", "channel", "container", "message", "view", "state")


def _slack_shaped(body: str, content_type: str) -> bool:
    """The parts of an interaction payload Bolt indexes into have the types Slack sends."""
    if content_type.startswith("application/json"):
        return isinstance(json.loads(body), dict)
    form = parse_qs(body)
    if "payload" not in form:
        return True  # a slash command: flat form fields
    payload = json.loads(form["payload"][0])
    if not isinstance(payload, dict):
        return False
    # null is a shape Slack sends: an org-wide (Enterprise Grid) install clicks with
    # `"team": null` beside an `enterprise` object.
    if any(payload.get(k) is not None and not isinstance(payload[k], dict) for k in (*_DICT_FIELDS, "enterprise")):
        return False
    actions = payload.get("actions")
    return actions is None or (isinstance(actions, list) and all(isinstance(a, dict) for a in actions))


def _signed(verifier: SignatureVerifier, body: str, headers) -> bool:  # type: ignore[no-untyped-def]
    try:
        return verifier.is_valid(body, headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature"))
    except (ValueError, TypeError):  # e.g. a timestamp that is not a number
        return False

