"""The demo Greenhouse over real HTTP (bot/demo/harvest_server.py) and its signed web hooks."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from bot.demo.greenhouse import NO_ACCESS
from bot.demo.harvest_server import serve_harvest
from bot.demo.tenant import ANALYST_JOB, API_KEY, BACKEND_JOB, MATEO, SUPPORT_JOB, sample_tenant
from bot.greenhouse_webhook import signature_ok

FIXED = 1_790_000_000.0
SECRET = "demo-webhook-secret-77"


@pytest.fixture
def tenant() -> Any:
    return sample_tenant(clock=lambda: FIXED)


@pytest.fixture
def client() -> Any:
    with httpx.Client(auth=(API_KEY, ""), timeout=10) as c:
        yield c


def test_link_paging_over_http_points_back_at_the_server(tenant: Any, client: httpx.Client) -> None:
    with serve_harvest(tenant) as server:
        assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/v1")
        answer = client.get(f"{server.url}/candidates", params={"job_id": SUPPORT_JOB})
        pages, ids = 1, [c["id"] for c in answer.json()]
        while "next" in answer.links:
            assert answer.links["next"]["url"].startswith(server.url + "/candidates?")
            answer = client.get(answer.links["next"]["url"])
            pages, ids = pages + 1, ids + [c["id"] for c in answer.json()]
        assert pages == 4 and len(ids) == len(set(ids)) == 320  # default per_page is 100


def test_requests_without_the_api_key_get_401(tenant: Any) -> None:
    with serve_harvest(tenant) as server:
        assert httpx.get(f"{server.url}/jobs").status_code == 401
        assert httpx.get(f"{server.url}/jobs", auth=("not-the-key", "")).status_code == 401
        assert server.snapshot()["unauthorized"] == 2


def test_writes_without_a_known_on_behalf_of_are_refused(tenant: Any, client: httpx.Client) -> None:
    path = f"/jobs/{BACKEND_JOB}/openings/4021001"
    with serve_harvest(tenant) as server:
        for headers in ({}, {"On-Behalf-Of": "999999"}):
            answer = client.patch(server.url + path, json={"status": "closed"}, headers=headers)
            assert answer.status_code == 403 and answer.json() == {"message": NO_ACCESS}
        assert tenant.jobs[BACKEND_JOB]["openings"][0]["status"] == "open"
        ok = client.patch(server.url + path, json={"status": "closed"},
                          headers={"On-Behalf-Of": str(MATEO.greenhouse_user_id)})
        assert ok.status_code == 200 and ok.headers["x-ratelimit-limit"] == "50"
    assert tenant.jobs[BACKEND_JOB]["openings"][0]["status"] == "closed"
    assert [(w.status, w.acting_user_name) for w in tenant.writes()] == [(403, None), (403, None), (200, MATEO.name)]


def test_the_rate_limit_is_enforced_with_retry_after(tenant: Any, client: httpx.Client) -> None:
    with serve_harvest(tenant, limit=3, window_s=10) as server:
        answers = [client.get(f"{server.url}/jobs/{BACKEND_JOB}") for _ in range(5)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
        assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0", "0"]
        assert {a.headers["x-ratelimit-limit"] for a in answers} == {"3"}
        assert 1 <= int(answers[-1].headers["retry-after"]) <= 10 and "x-ratelimit-reset" in answers[-1].headers
        assert answers[-1].json() == {"message": "Rate limit exceeded"}
        snap = server.snapshot()
        assert snap["requests"] == 5 and snap["over_limit"] == snap["status_429"] == 2
        assert snap["by_route"] == {"GET /jobs/{id}": 5}
    assert len(tenant.calls) == 3  # refused requests never reached Greenhouse


class Receiver:
    """A web hook endpoint on loopback that keeps raw bodies and can hold its answer."""

    def __init__(self, status: int = 200) -> None:
        self.received: list[tuple[bytes, httpx.Headers]] = []
        self.release = threading.Event()
        self.release.set()
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append((raw, httpx.Headers(list(self.headers.items()))))
                receiver.arrived.set()
                receiver.release.wait(10)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/greenhouse/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_closing_the_last_opening_sends_a_signed_job_updated_without_waiting(tenant: Any, client: httpx.Client) -> None:
    receiver = Receiver()
    receiver.release.clear()  # the receiver hangs until told otherwise
    sender = tenant.webhook_to(receiver.url, SECRET)
    acting = {"On-Behalf-Of": str(MATEO.greenhouse_user_id)}
    try:
        with serve_harvest(tenant) as server:
            for opening in (4021001, 4021002):
                answer = client.patch(f"{server.url}/jobs/{BACKEND_JOB}/openings/{opening}", json={"status": "closed"},
                                      headers=acting)
                assert answer.status_code == 200  # answered while the delivery is still stuck
            assert receiver.arrived.wait(5) and len(sender.deliveries) == 1 and not sender.deliveries[0].done
            receiver.release.set()
            assert sender.wait_idle(5)
        [(raw, headers)] = receiver.received
        assert signature_ok(raw, headers["Signature"], SECRET)  # the bot's own verifier
        assert not signature_ok(raw, headers["Signature"], "another-secret")
        assert headers["Signature"].startswith("sha256 ") and headers["Greenhouse-Event-ID"]
        body = json.loads(raw)
        assert body["action"] == "job_updated"
        job = body["payload"]["job"]
        assert (job["id"], job["status"], job["closed_at"]) == (BACKEND_JOB, "closed", "2026-09-21T14:13:20Z")
        assert job["hiring_team"]["recruiters"][0] == {"user_id": MATEO.greenhouse_user_id, "employee_id": None}
        assert "status" not in job["openings"][0]  # the web hook's openings carry no status
        assert sender.deliveries[0].status == 200 and sender.deliveries[0].attempts == 1
    finally:
        sender.close()
        receiver.close()


def test_hiring_the_last_candidate_sends_hire_then_job_updated(tenant: Any) -> None:
    receiver = Receiver()
    sender = tenant.webhook_to(receiver.url, SECRET)
    try:
        result = tenant.hire_last_candidate(ANALYST_JOB)
        assert result["job_status"] == "closed" and result["candidate_name"] == "Grace Mwangi"
        assert sender.wait_idle(5)
        actions = [json.loads(raw)["action"] for raw, _ in receiver.received]
        assert actions == ["hire_candidate", "job_updated"]
        hire = json.loads(receiver.received[0][0])["payload"]["application"]
        assert hire["id"] == result["application_id"] and [j["id"] for j in hire["jobs"]] == [ANALYST_JOB]
        assert hire["opening"] == {"opening_id": "DAT-0560-1"}
        assert all(signature_ok(raw, h["Signature"], SECRET) for raw, h in receiver.received)
        assert len({h["Greenhouse-Event-ID"] for _, h in receiver.received}) == 2
    finally:
        sender.close()
        receiver.close()


def test_a_failed_delivery_is_retried_and_unicode_is_escaped_before_signing(tenant: Any) -> None:
    statuses = iter([500, 200])
    sent: list[tuple[dict[str, str], bytes]] = []

    def post(url: str, headers: dict[str, str], body: bytes, timeout: float) -> int:
        sent.append((headers, body))
        return next(statuses)

    tenant.jobs[ANALYST_JOB]["name"] = "Analyste <données> & café"
    sender = tenant.webhook_to("http://unused.invalid/hook", SECRET, events=["job_updated"], retry_delays_s=(0.01,),
                               post=post)
    try:
        tenant.hire_last_candidate(ANALYST_JOB)
        assert sender.wait_idle(5)
        [delivery] = sender.deliveries  # only the subscribed event
        assert (delivery.action, delivery.attempts, delivery.status) == ("job_updated", 2, 200)
        assert sent[0] == sent[1]  # the same delivery, same Greenhouse-Event-ID, same bytes
        raw = sent[0][1]
        assert b"\\u003cdonn\\u00e9es\\u003e \\u0026 caf\\u00e9" in raw and raw.isascii()
        assert json.loads(raw)["payload"]["job"]["name"] == "Analyste <données> & café"
        assert signature_ok(raw, sent[0][0]["Signature"], SECRET)
    finally:
        sender.close()


def test_authorization_header_never_reaches_the_write_log(tenant: Any, client: httpx.Client) -> None:
    with serve_harvest(tenant) as server:
        client.post(f"{server.url}/applications/61440001/reject", json={"rejection_reason_id": 801},
                    headers={"On-Behalf-Of": str(MATEO.greenhouse_user_id)})
    [w] = tenant.writes()
    token = base64.b64encode(f"{API_KEY}:".encode()).decode()
    assert w.status == 200 and token not in json.dumps(w.as_dict()) and API_KEY not in json.dumps(w.as_dict())
