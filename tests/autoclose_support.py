"""Shared pieces of the auto-close tests: signing deliveries like Greenhouse does."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from tests.conftest import SyncExecutor

WEBHOOK_SECRET = "gh-webhook-secret-4410"
FIXTURES = Path(__file__).parent / "fixtures" / "greenhouse"
PING_FILES = ("zulip_zulip__zerver_webhooks_greenhouse_fixtures_ping_event.json",
              "marcantoineveilleux_greenhouse-slack__samples_ping.json")


def sign(raw: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256 " + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def deliver(bot: Any, body: dict[str, Any] | bytes, *, event_id: str = "evt-1", signature: str | None = None,
            signed: bool = True) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Greenhouse-Event-ID": event_id}
    if signed:
        headers["Signature"] = signature if signature is not None else sign(raw)
    return bot.web.post("/greenhouse/webhook", data=raw, headers=headers)


def job_updated(job_id: int, status: str = "closed", name: str = "Archaeologist") -> dict[str, Any]:
    # The shape of Greenhouse's documented job_updated payload (no opening status in it).
    return {"action": "job_updated", "payload": {"job": {
        "id": job_id, "name": name, "requisition_id": "abc123", "status": status, "confidential": False,
        "closed_at": None, "hiring_team": {"hiring_managers": [{"user_id": 101, "employee_id": None}],
                                           "recruiters": [], "coordinators": [], "sourcers": []},
        "openings": [{"id": 4542441002, "opening_id": None, "custom_fields": []}]}}}


def hire_candidate(application_id: int, job_ids: list[int]) -> dict[str, Any]:
    return {"action": "hire_candidate", "payload": {"application": {
        "id": application_id, "status": "hired", "jobs": [{"id": j, "name": "Archaeologist"} for j in job_ids],
        "opening": {"opening_id": None}, "candidate": {"id": 1, "first_name": "Ada", "last_name": "Lovelace"}}}}


def sync_webhooks(bot: Any) -> Any:
    """Run the web hook's handed-off work inline, so a test can assert right after the POST."""
    bot.services.webhook_executor = SyncExecutor()
    return bot


def notices(slack: Any) -> list[dict[str, Any]]:
    return [p for p in slack.calls_to("chat.postMessage") if "is now closed" in p.get("text", "")]


def ago(hours: float) -> str:
    """A Greenhouse timestamp `hours` before now (closings must be recent to be announced)."""
    from datetime import datetime, timedelta, timezone

    return (datetime.now(timezone.utc) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
