"""`POST /greenhouse/webhook`: Greenhouse's deliveries, verified, deduplicated, handed off.

Order matters: the signature is checked on the raw bytes before anything is
parsed (Greenhouse signs the body exactly as sent; re-serialising would break
it). Then the answer is quick — Greenhouse treats a slow answer as a failure
and retries — so the Harvest re-read and the Slack posts run on an executor.
A delivery is recorded by its Greenhouse-Event-ID before it is handed off, so a
retried delivery is acknowledged and dropped. Should the handed-off work fail,
the poller (when on) is the safety net.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

from flask import Flask, jsonify, request

from bot.services import Services
from bot.workflows.autoclose import HINT_HIRE

log = logging.getLogger("bot.webhook")

MAX_BODY = 1_000_000


def register(web: Flask, services: Services) -> None:
    @web.post("/greenhouse/webhook")
    def greenhouse_webhook():  # type: ignore[no-untyped-def]
        return handle(services)


def handle(services: Services) -> Any:
    secret = services.settings.greenhouse_webhook_secret
    if secret is None or not secret.get_secret_value():
        log.error("greenhouse_webhook_refused reason=no_secret "
                  "hint='set GREENHOUSE_WEBHOOK_SECRET to the web hook secret key configured in Greenhouse'")
        return jsonify(ok=False, error="web hook secret not configured"), 503
    if (request.content_length or 0) > MAX_BODY:
        return jsonify(ok=False, error="too large"), 413
    raw = request.get_data(cache=False)
    if not signature_ok(raw, request.headers.get("Signature", ""), secret.get_secret_value()):
        log.warning("greenhouse_webhook_refused reason=bad_signature")
        return jsonify(ok=False, error="invalid signature"), 401
    try:
        body = json.loads(raw)
        action = str(body.get("action") or "")
        payload = body.get("payload") or {}
    except (ValueError, AttributeError):
        return jsonify(ok=False, error="not a JSON object"), 400
    if action == "ping":
        log.info("greenhouse_webhook_ping web_hook_id=%s", (payload or {}).get("web_hook_id"))
        return jsonify(ok=True)
    work = _job_ids_to_check(action, payload)
    if work is None:
        return jsonify(ok=True, ignored=action[:40])
    event_id = request.headers.get("Greenhouse-Event-ID") or "sha256:" + hashlib.sha256(raw).hexdigest()
    if not services.store.add("deliveries", event_id[:200], {"action": action, "at": time.time()}):
        log.info("greenhouse_webhook_duplicate action=%s", action)
        return jsonify(ok=True, duplicate=True)
    job_ids, application_id, hint = work
    services.webhook_executor.submit(_check, services, action, job_ids, application_id, hint)
    return jsonify(ok=True)


def signature_ok(raw: bytes, header: str, secret: str) -> bool:
    """`Signature: sha256 <hex>`: HMAC-SHA256 of the raw body with the web hook's secret."""
    algorithm, _, digest = header.strip().partition(" ")
    if algorithm.lower() != "sha256" or not digest:
        return False
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())


def _job_ids_to_check(action: str, payload: dict[str, Any]) -> tuple[list[int], int | None, str | None] | None:
    """(job IDs, application ID to resolve, hint) for events that may mean a job closed;
    None for everything else (accepted and ignored)."""
    if action == "job_updated":
        job = payload.get("job") or {}
        # The payload's status is the job's at the event; an open job is nothing to announce.
        if job.get("status") != "closed" or not _int(job.get("id")):
            return None
        return [_int(job["id"])], None, None  # type: ignore[list-item]
    if action == "hire_candidate":
        app = payload.get("application") or {}
        # `jobs[]` is current; `job` is the deprecated single form some accounts still send.
        jobs = [j for j in (app.get("jobs") or [app.get("job")]) if isinstance(j, dict)]
        ids = [i for i in (_int(j.get("id")) for j in jobs) if i]
        app_id = None if ids else _int(app.get("id"))
        return (ids, app_id, HINT_HIRE) if ids or app_id else None
    if action == "job_post_updated":
        post = payload.get("job_post") or payload  # documented: the post's fields sit in payload
        job_id = _int(post.get("job_id"))
        # A post going offline may come with its job closing; a live post says nothing.
        if job_id and post.get("live") is False:
            return [job_id], None, None
    return None


def _check(services: Services, action: str, job_ids: list[int], application_id: int | None, hint: str | None) -> None:
    try:
        if application_id is not None:
            app = services.harvest.get_application(application_id)
            job_ids = [app.job_id] if app and app.job_id else []
        for job_id in job_ids:
            services.autoclose.announce_if_closed(job_id, hint)
    except Exception:  # noqa: BLE001 - off the request thread: log, the poller is the safety net
        log.exception("greenhouse_webhook_work_failed action=%s", action)


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
