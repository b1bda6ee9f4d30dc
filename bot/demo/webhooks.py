"""Greenhouse's web hooks, as the demo Greenhouse sends them.

Each delivery is a POST of `{"action": …, "payload": {…}}` with the headers
Greenhouse documents: `Signature: sha256 <hex HMAC-SHA256 of the raw body, keyed
with the web hook's secret>` and a unique `Greenhouse-Event-ID`. Like Greenhouse,
the body escapes non-ASCII and `< > &` (`\\u003c`…) before it is signed, so a
receiver must verify the raw bytes (bot/greenhouse_webhook.py does).

Payload shapes follow Greenhouse's web hook docs: "Job Updated" (`job_updated`:
the job with `hiring_team` members as `{user_id, employee_id}` and openings
without status) and "Candidate Hired" (`hire_candidate`: the application with
`opening.opening_id`, `candidate`, `jobs[]`, the deprecated `job`, and `offer`).

Deliveries run on one background thread per receiver, in order, so the request
that caused them is never held up; a failed delivery (timeout, network error or
any non-200) is tried again after `retry_delays_s` (Greenhouse: up to 7 attempts
over 15 hours; the demo shortens that).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

ALL_EVENTS = ("job_updated", "hire_candidate")


@dataclass
class Delivery:
    action: str
    event_id: str
    body: bytes
    status: int | None = None  # of the last attempt; None while pending or on a network error
    attempts: int = 0
    error: str | None = None
    done: bool = False


# (url, headers, body, timeout) -> status code; raises OSError on a network failure.
Post = Callable[[str, dict[str, str], bytes, float], int]


class WebhookSender:
    """Delivers the demo Greenhouse's events to one endpoint, signed with `secret`."""

    def __init__(self, url: str, secret: str, *, events: Iterable[str] = ALL_EVENTS,
                 retry_delays_s: tuple[float, ...] = (1.0, 5.0, 15.0), timeout_s: float = 10.0,
                 post: Post | None = None) -> None:
        self.url = url
        self._secret = secret.encode()
        self.events = frozenset(events)
        self.retry_delays_s = retry_delays_s
        self.timeout_s = timeout_s
        self._post = post or _urllib_post
        self.deliveries: list[Delivery] = []
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="greenhouse-webhooks", daemon=True)
        self._thread.start()

    def event(self, action: str, payload: dict[str, Any]) -> Delivery | None:
        """Queue a delivery of this event if the receiver subscribed to it; returns at once."""
        if action not in self.events or self._closed.is_set():
            return None
        delivery = Delivery(action, str(uuid.uuid4()), encode({"action": action, "payload": payload}))
        with self._idle:
            self._pending += 1
            self.deliveries.append(delivery)
        self._queue.put(delivery)
        return delivery

    def headers(self, delivery: Delivery) -> dict[str, str]:
        return {"Content-Type": "application/json", "User-Agent": "Greenhouse-Demo-Webhooks",
                "Greenhouse-Event-ID": delivery.event_id, "Signature": "sha256 " + self.sign(delivery.body)}

    def sign(self, body: bytes) -> str:
        return hmac.new(self._secret, body, hashlib.sha256).hexdigest()

    def wait_idle(self, timeout_s: float = 5.0) -> bool:
        """True once every queued delivery has succeeded or used its attempts."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout_s)

    def close(self) -> None:
        self._closed.set()
        self._queue.put(None)
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while (delivery := self._queue.get()) is not None:
            try:
                self._deliver(delivery)
            finally:
                with self._idle:
                    delivery.done = True
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, delivery: Delivery) -> None:
        for wait_s in (0.0, *self.retry_delays_s):
            if wait_s and self._closed.wait(wait_s):
                return
            delivery.attempts += 1
            try:
                delivery.status = self._post(self.url, self.headers(delivery), delivery.body, self.timeout_s)
                delivery.error = None
            except OSError as exc:
                delivery.status, delivery.error = None, type(exc).__name__
            if delivery.status == 200:
                return


def encode(document: dict[str, Any]) -> bytes:
    """JSON as Greenhouse sends it: ASCII only, with `<`, `>` and `&` escaped too."""
    text = json.dumps(document, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def _urllib_post(url: str, headers: dict[str, str], body: bytes, timeout_s: float) -> int:
    # urllib rather than httpx: a test's respx mock must not swallow the demo's deliveries.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:  # noqa: S310 - a configured URL
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


# --- payloads --------------------------------------------------------------------------------

def job_updated_payload(job: dict[str, Any]) -> dict[str, Any]:
    """`job_updated`: the job as it is now; team members and openings in the web hook's thinner shape."""
    return _copy({
        "job": {
            "id": job["id"], "name": job["name"], "requisition_id": job["requisition_id"], "notes": job["notes"],
            "confidential": job["confidential"], "job_post_id": None, "status": job["status"], "created_by_id": None,
            "created_at": job["created_at"], "opened_at": job["opened_at"], "closed_at": job["closed_at"],
            "departments": job["departments"], "offices": job["offices"],
            "hiring_team": {key: [{"user_id": m["id"], "employee_id": m.get("employee_id")} for m in members]
                            for key, members in job["hiring_team"].items()},
            "openings": [{"id": o["id"], "opening_id": o["opening_id"], "custom_fields": []} for o in job["openings"]],
            "custom_fields": {},
        }
    })


def hire_candidate_payload(app: dict[str, Any], candidate: dict[str, Any], opening: dict[str, Any],
                           job: dict[str, Any]) -> dict[str, Any]:
    """`hire_candidate` ("Candidate Hired"): fires when the offer is accepted."""
    jobs = [{"id": job["id"], "name": job["name"], "requisition_id": job["requisition_id"],
             "confidential": job["confidential"], "opened_at": job["opened_at"], "closed_at": job["closed_at"],
             "departments": job["departments"], "offices": job["offices"], "custom_fields": {}}]
    return _copy({
        "application": {
            "id": app["id"], "opening": {"opening_id": opening["opening_id"]}, "credited_to": None, "source": None,
            "url": f"https://app.greenhouse.io/people/{candidate['id']}?application_id={app['id']}",
            "candidate": {"id": candidate["id"], "first_name": candidate["first_name"],
                          "last_name": candidate["last_name"], "title": None, "is_private": False, "can_email": True,
                          "phone_numbers": [], "email_addresses": [], "addresses": [], "educations": [],
                          "employments": [], "recruiter": None, "coordinator": None, "attachments": [],
                          "custom_fields": {}},
            # Deprecated single `job` (open_date/close_date), still sent beside `jobs[]`.
            "job": {"id": job["id"], "name": job["name"], "open_date": job["opened_at"], "close_date": job["closed_at"],
                    "requisition_id": job["requisition_id"], "departments": job["departments"],
                    "offices": job["offices"], "custom_fields": {}},
            "jobs": jobs,
            "custom_fields": {},
            "offer": {"id": app["id"] * 10 + 1, "version": 1, "created_at": app["applied_at"], "sent_at": None,
                      "resolved_at": app["last_activity_at"], "starts_at": None, "custom_fields": {}},
        }
    })


def _copy(document: dict[str, Any]) -> dict[str, Any]:
    # Taken under the fake's lock: later changes to the tenant must not leak into a queued delivery.
    return json.loads(json.dumps(document))
