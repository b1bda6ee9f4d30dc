"""The demo's one seam to the demo Greenhouse: start it, read its writes and jobs,
hire in it. The console and the runner use only `DemoGreenhouse`.

INTERIM: until the demo tenant and Harvest server (bot/demo/greenhouse.py,
bot/demo/tenant.py) land, this serves tests/fakes/greenhouse.py's fake over a
small local HTTP server, with a sample tenant of its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tests.fakes.greenhouse import FakeGreenhouse

HIRING_CHANNEL = "C0HIRING"
APPROVALS_CHANNEL = "C0APPROVALS"


@dataclass(frozen=True)
class Person:
    slack_id: str
    name: str
    email: str
    role: str  # how the console introduces them
    greenhouse_id: int | None
    admin: bool = False


PEOPLE = (
    Person("U0HANNAH", "Hannah Manager", "hannah@acme.test", "hiring manager", 101),
    Person("U0RITA", "Rita Recruiter", "rita@acme.test", "recruiter", 102),
    Person("U0CODY", "Cody Coordinator", "cody@acme.test", "coordinator", 103),
    Person("U0OLLY", "Olly Outsider", "olly@acme.test", "outsider (on no hiring team)", 104),
    Person("U0ADA", "Ada Admin", "ada@acme.test", "bot admin", 105, admin=True),
)


@dataclass
class DemoGreenhouse:
    fake: FakeGreenhouse
    base_url: str
    people: tuple[Person, ...]
    channels: dict[str, dict[str, Any]]
    _server: ThreadingHTTPServer
    _webhook: tuple[str, str] | None = None
    _seen_status: dict[int, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def writes(self) -> list[dict[str, Any]]:
        """Every Harvest write, oldest first: method, path, acting user, body, answer."""
        out = []
        for i, call in enumerate(self.fake.writes()):
            acting = call.headers.get("on-behalf-of")
            out.append({"seq": i + 1, "method": call.method, "path": "/v1" + call.path,
                        "acting_user_id": int(acting) if acting and acting.isdigit() else None,
                        "body": call.body, "status": getattr(call, "status", None)})
        return out

    def jobs(self) -> list[dict[str, Any]]:
        out = []
        for job in self.fake.jobs.values():
            active = sum(1 for c in self.fake.candidates.values() for a in c["applications"]
                         if a["status"] == "active" and any(j["id"] == job["id"] for j in a["jobs"]))
            out.append({"id": job["id"], "name": job["name"], "status": job["status"],
                        "open_openings": sum(1 for o in job["openings"] if o["status"] == "open"),
                        "openings": len(job["openings"]), "active_candidates": active,
                        "confidential": job["confidential"]})
        return out

    def hire_last_candidate(self, job_id: int) -> dict[str, Any]:
        with self._lock:
            job = self.fake.jobs.get(job_id)
            if job is None:
                raise LookupError(f"no job {job_id}")
            opening = next((o for o in reversed(job["openings"]) if o["status"] == "open"), None)
            if opening is None:
                raise LookupError(f"job {job_id} has no open opening")
            active = [a for c in self.fake.candidates.values() for a in c["applications"]
                      if a["status"] == "active" and any(j["id"] == job_id for j in a["jobs"])]
            if not active:
                raise LookupError(f"job {job_id} has no active candidate")
            app = active[-1]
            stamp = self.fake.stamp()
            app.update(status="hired")
            opening.update(status="closed", closed_at=stamp, application_id=app["id"])
            if all(o["status"] == "closed" for o in job["openings"]):
                job.update(status="closed", closed_at=stamp, updated_at=stamp)
        self._after_change()
        return {"application_id": app["id"], "opening_id": opening["id"], "job_id": job_id, "job_status": job["status"]}

    def _after_change(self) -> None:
        """Greenhouse sends a signed Job Updated web hook when a job's status changes."""
        for job in list(self.fake.jobs.values()):
            before = self._seen_status.get(job["id"])
            self._seen_status[job["id"]] = job["status"]
            if before is not None and before != job["status"] and self._webhook:
                url, secret = self._webhook
                body = json.dumps({"action": "job_updated", "payload": {"job": {"id": job["id"], "status": job["status"]}}}).encode()
                sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
                request = urllib.request.Request(url, data=body, method="POST", headers={
                    "content-type": "application/json", "Signature": f"sha256 {sig}"})
                threading.Thread(target=_post_quietly, args=(request,), daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _post_quietly(request: urllib.request.Request) -> None:
    try:
        urllib.request.urlopen(request, timeout=10).close()
    except OSError:
        pass


def start_greenhouse(*, api_key: str, webhook_url: str | None = None, webhook_secret: str | None = None) -> DemoGreenhouse:
    fake = FakeGreenhouse()
    _seed(fake)
    expected = "Basic " + base64.b64encode(f"{api_key}:".encode()).decode()
    holder: dict[str, DemoGreenhouse] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.headers.get("authorization") != expected:
                self._send(httpx.Response(401, json={"message": "Invalid Basic Auth credentials"}))
                return
            request = httpx.Request(self.command, fake.base.rsplit("/v1", 1)[0] + self.path, headers=dict(self.headers.items()),
                                    content=body)
            with holder["gh"]._lock:
                response = fake._handle_v1(request)
            if self.command != "GET":
                fake.calls[-1].status = response.status_code  # type: ignore[attr-defined]
            self._send(response)
            if self.command != "GET":
                holder["gh"]._after_change()

        def _send(self, response: httpx.Response) -> None:
            payload = response.content
            self.send_response(response.status_code)
            for key, value in response.headers.items():
                if key.lower() not in ("content-length",):
                    self.send_header(key, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    fake.base = base_url
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    channels = {
        HIRING_CHANNEL: {"name": "hiring", "is_private": False, "members": None},
        APPROVALS_CHANNEL: {"name": "approvals", "is_private": True,
                            "members": {p.slack_id for p in PEOPLE if p.role in ("recruiter", "coordinator") or p.admin}},
    }
    gh = DemoGreenhouse(fake, base_url, PEOPLE, channels, server,
                        (webhook_url, webhook_secret) if webhook_url and webhook_secret else None)
    gh._seen_status = {j["id"]: j["status"] for j in fake.jobs.values()}
    holder["gh"] = gh
    return gh


def _seed(gh: FakeGreenhouse) -> None:
    for p in PEOPLE:
        gh.add_user(p.greenhouse_id, p.name, p.email)  # type: ignore[arg-type]
    gh.close_reasons += [{"id": 4012092002, "name": "On Hold"}, {"id": 365, "name": "Hire - New Headcount"},
                         {"id": 366, "name": "Backfill"}, {"id": 367, "name": "Not Filling"}]
    gh.rejection_reasons += [
        {"id": 262, "name": "Missing resume", "type": {"id": 1, "name": "We rejected them"}},
        {"id": 8, "name": "Lacking skill(s)/qualification(s)", "type": {"id": 1, "name": "We rejected them"}},
        {"id": 14, "name": "Accepted another offer", "type": {"id": 2, "name": "They rejected us"}},
    ]
    gh.email_templates += [{"id": 42, "name": "Standard rejection", "type": "candidate_rejection", "user": None}]
    team = {"hiring_managers": [101], "recruiters": [102], "coordinators": [103]}
    gh.add_job(6404, "Archaeologist", requisition_id="abc123", team=team,
               openings=[gh.opening(4542441002), gh.opening(4542441003),
                         gh.opening(4530863002, "closed", close_reason={"id": 4012092002, "name": "On Hold"})])
    gh.add_job(7001, "Data Engineer", requisition_id="req-7001", team=team, openings=[gh.opening(4600000001)])
    names = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Edsger Dijkstra",
             "Barbara Liskov", "Donald Knuth", "Margaret Hamilton", "Ken Thompson", "Frances Allen"]
    stages = ["Application Review", "Phone Screen", "Technical Interview", "Onsite", "Offer"]
    for i, name in enumerate(names):
        job = 6404 if i < 6 else 7001
        gh.add_candidate(i + 1, name, [gh.application((i + 1) * 10 + 1, job, stage=stages[i % len(stages)])])
