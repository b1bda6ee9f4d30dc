"""The project's one fake Greenhouse: a stateful Harvest v1 tenant, as pure logic.

`FakeGreenhouse.handle(method, path, params, headers, body)` answers one Harvest
v1 request (path relative to `/v1`) with an `httpx.Response` used as a plain
value; tests serve it through respx (tests/fakes/greenhouse.py), bench/ and the
demo over real HTTP (bot/demo/harvest_server.py).

The data lives in v1 form (jobs embed openings and hiring team, candidates embed
applications) and changes the way Greenhouse changes it (docs/HARVEST_FAKE.md):

- Basic auth with the key as user name (when `api_key` is set), 401 otherwise;
- `Link: <…>; rel="next"` paging, `per_page` 1..500 (default 100);
- `X-RateLimit-Limit` / `X-RateLimit-Remaining` on every answer;
- writes need `On-Behalf-Of` naming an existing user: 403 "You do not have access
  to that record" otherwise (the recorded answer in Greenhouse's own client tests);
- closing the last open opening closes the job ("If the last opening is closed,
  it will close the hiring plan"), reopening one reopens it;
- only `active` applications can be rejected, moved or hired, only `rejected`
  ones unrejected; 422 bodies use Greenhouse's documented shapes and, where the
  docs give them, its words;
- a hire fills an open opening, which may close the job;
- a job's status change and a hire are sent as signed web hooks
  (bot/demo/webhooks.py) once the request that caused them is answered.

Every request is recorded as a `Call` (`calls`; `writes()` are the non-GETs,
with the acting user and the answer's status); `faults` inject answers for the
next matching requests. `clock` stamps what happens now (closures, rejections),
so tests never depend on today's date. Thread-safe: one lock around each request.
"""

from __future__ import annotations

import base64
import itertools
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.demo.webhooks import WebhookSender, hire_candidate_payload, job_updated_payload

V1_BASE = "https://harvest.test/v1"
# Static data (created_at, applied_at…) carries this fixed date; anything Greenhouse stamps when
# it happens (a closure, a rejection) carries the fake's own `clock`, so no test depends on
# today's date: the bot ignores closures older than a week (bot/workflows/autoclose.py).
NOW = "2026-11-20T10:00:00Z"
DEFAULT_STAGES = ("Application Review", "Phone Screen", "Technical Interview", "Onsite", "Reference Check", "Offer")
NO_ACCESS = "You do not have access to that record"  # Greenhouse's 403 for a bad On-Behalf-Of


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str]
    headers: httpx.Headers
    body: Any
    url: str = ""  # the raw URL as sent (set by the v3 fake)
    at: str = ""  # when it arrived, by the fake's clock
    status: int | None = None  # the answer's status code
    acting_user_id: int | None = None  # On-Behalf-Of, when it names a user
    acting_user_name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The call as the console's Greenhouse panel shows it (no credentials)."""
        return {"method": self.method, "path": self.path, "params": self.params, "body": self.body, "at": self.at,
                "status": self.status, "acting_user_id": self.acting_user_id, "acting_user_name": self.acting_user_name}


@dataclass
class Fault:
    method: str
    path_re: str
    response: Callable[[], httpx.Response] | Exception
    times: int = 1


@dataclass
class FakeGreenhouse:
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    candidates: dict[int, dict[str, Any]] = field(default_factory=dict)
    close_reasons: list[dict[str, Any]] = field(default_factory=list)
    rejection_reasons: list[dict[str, Any]] = field(default_factory=list)
    email_templates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    # Applies to every response: simulate Harvest's rate-limit headers (the HTTP server enforces one).
    rate_limit: int = 50
    # When writes happen, as Greenhouse stamps them; tests may inject a fake clock.
    clock: Callable[[], float] = time.time
    # When set, every request needs `Authorization: Basic base64("<api_key>:")`.
    api_key: str | None = None
    # Base URL in `Link` headers; the transport serving the fake sets it.
    base: str = V1_BASE
    # job id -> its interview stages, in order (GET /jobs/{id}/stages)
    stages: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # Receivers of web hooks (bot/demo/webhooks.py: WebhookSender), and of each write once answered.
    webhooks: list[Any] = field(default_factory=list)
    on_write: list[Callable[[Call], None]] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    _stage_ids: Any = field(default_factory=lambda: itertools.count(3_000_001), repr=False, compare=False)
    _events: list[tuple[str, dict[str, Any]]] = field(default_factory=list, repr=False, compare=False)
    _link_base: str = field(default=V1_BASE, repr=False, compare=False)

    def stamp(self) -> str:
        return _iso(self.clock())

    # --- building data ---------------------------------------------------------------------

    def add_user(self, uid: int, name: str, email: str, *, disabled: bool = False, emails: list[str] | None = None) -> dict:
        first, _, last = name.partition(" ")
        self.users[uid] = {
            "id": uid, "name": name, "first_name": first, "last_name": last,
            "primary_email_address": email, "emails": [email, *(emails or [])],
            "disabled": disabled, "site_admin": False, "updated_at": NOW,
        }
        return self.users[uid]

    def add_job(self, jid: int, name: str, *, requisition_id: str | None = None, team: dict[str, list[int]] | None = None,
                openings: list[dict[str, Any]] | None = None, status: str = "open", confidential: bool = False,
                stages: tuple[str, ...] = DEFAULT_STAGES) -> dict:
        team = team or {}
        hiring_team = {}
        for key in ("hiring_managers", "recruiters", "coordinators", "sourcers"):
            members = []
            for uid in team.get(key, []):
                u = self.users[uid]
                m = {"id": uid, "first_name": u["first_name"], "last_name": u["last_name"], "name": u["name"], "employee_id": None}
                if key in ("recruiters", "coordinators"):
                    m["responsible"] = False
                members.append(m)
            hiring_team[key] = members
        self.jobs[jid] = {
            "id": jid, "name": name, "requisition_id": requisition_id, "notes": None, "confidential": confidential,
            "status": status, "created_at": NOW, "opened_at": NOW, "closed_at": None, "updated_at": NOW,
            "departments": [{"id": 1, "name": "Engineering"}], "offices": [{"id": 2, "name": "New York"}],
            "hiring_team": hiring_team, "openings": openings if openings is not None else [],
        }
        for stage in stages:
            self.stage(jid, stage)
        return self.jobs[jid]

    def stage(self, job_id: int, name: str) -> dict[str, Any]:
        """The job's stage of that name, added at the end of its interview plan if new."""
        plan = self.stages.setdefault(job_id, [])
        for s in plan:
            if s["name"] == name:
                return s
        s = {"id": next(self._stage_ids), "name": name, "job_id": job_id, "priority": len(plan), "active": True,
             "created_at": NOW, "updated_at": NOW, "interviews": []}
        plan.append(s)
        return s

    @staticmethod
    def opening(oid: int, status: str = "open", *, opening_id: str | None = None, close_reason: dict | None = None) -> dict:
        return {"id": oid, "opening_id": opening_id, "status": status, "opened_at": "2026-01-05T09:00:00Z",
                "closed_at": None if status == "open" else "2026-02-01T09:00:00Z", "application_id": None,
                "close_reason": close_reason}

    def add_candidate(self, cid: int, name: str, applications: list[dict[str, Any]]) -> dict:
        first, _, last = name.partition(" ")
        self.candidates[cid] = {"id": cid, "first_name": first, "last_name": last, "last_activity": NOW,
                                "applications": applications, "application_ids": [a["id"] for a in applications]}
        for a in applications:
            a["candidate_id"] = cid
        return self.candidates[cid]

    def application(self, aid: int, job_id: int, *, status: str = "active", stage: str | None = "Phone Screen",
                    prospect: bool = False) -> dict:
        job = self.jobs.get(job_id, {"name": f"Job {job_id}"})
        current = None
        if stage:
            s = self.stage(job_id, stage)
            current = {"id": s["id"], "name": s["name"]}
        return {"id": aid, "status": status, "prospect": prospect, "applied_at": NOW, "rejected_at": None,
                "last_activity_at": "2026-11-01T12:00:00Z", "jobs": [{"id": job_id, "name": job["name"]}],
                "current_stage": current, "rejection_reason": None}

    def find_application(self, aid: int) -> dict | None:
        for cand in self.candidates.values():
            for a in cand["applications"]:
                if a["id"] == aid:
                    return a
        return None

    # --- inspecting ------------------------------------------------------------------------

    def writes(self) -> list[Call]:
        """Each Harvest write as it happened: method, path, body, acting user, time, answer status."""
        return [c for c in self.calls if c.method != "GET"]

    def reads(self, path_prefix: str = "") -> list[Call]:
        return [c for c in self.calls if c.method == "GET" and c.path.startswith(path_prefix)]

    def fail(self, method: str, path_re: str, status: int | Exception, body: Any = None, *, times: int = 1,
             headers: dict[str, str] | None = None) -> None:
        if isinstance(status, Exception):
            self.faults.append(Fault(method, path_re, status, times))
        else:
            self.faults.append(Fault(method, path_re, lambda: httpx.Response(status, json=body, headers=headers or {}), times))

    def take_fault(self, method: str, path: str) -> httpx.Response | None:
        """The injected answer for this request, if a fault matches it (raises injected exceptions)."""
        with self._lock:
            for fault in list(self.faults):
                if fault.method == method and re.fullmatch(fault.path_re, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    if isinstance(fault.response, Exception):
                        raise fault.response
                    return fault.response()
        return None

    # --- serving v1 ------------------------------------------------------------------------

    def handle(self, method: str, path: str, params: Mapping[str, str] | None = None,
               headers: Mapping[str, str] | None = None, body: Any = None, *, url: str = "",
               base: str | None = None) -> httpx.Response:
        """Answer one Harvest v1 request; `path` is relative to the v1 base (`/jobs/6404`),
        `base` is the v1 base URL the client used (for `Link`; default `self.base`)."""
        method = method.upper()
        hdrs = headers if isinstance(headers, httpx.Headers) else httpx.Headers(dict(headers or {}))
        params = dict(params or {})
        with self._lock:
            self._link_base = base or self.base
            call = Call(method, path, params, hdrs, body, url=url, at=self.stamp())
            if method != "GET":
                call.acting_user_id = self._acting_user(hdrs)
                if call.acting_user_id is not None:
                    call.acting_user_name = self.users[call.acting_user_id]["name"]
            self.calls.append(call)
            try:
                response = self.take_fault(method, path)
                if response is None:
                    response = self._answer(method, path, params, hdrs, body, call.acting_user_id)
                    response.headers["X-RateLimit-Limit"] = str(self.rate_limit)
                    response.headers["X-RateLimit-Remaining"] = str(self.rate_limit - 1)
                call.status = response.status_code
            finally:
                events, self._events = self._events, []
        if method != "GET":
            for listener in list(self.on_write):
                listener(call)
        self._send_events(events)
        return response

    def _answer(self, method: str, path: str, params: dict[str, str], headers: httpx.Headers, body: Any,
                acting: int | None) -> httpx.Response:
        if self.api_key is not None and not _basic_auth_ok(headers.get("authorization"), self.api_key):
            return httpx.Response(401, json={"message": "Invalid Basic Auth credentials"})
        if method == "GET":
            if body not in (None, b"", ""):
                # Greenhouse refuses a body on a GET (change log, Aug 13 2025).
                return httpx.Response(403, json={"message": "GET requests may not include a body"})
            return self._read(path, params)
        if acting is None:
            return httpx.Response(403, json={"message": NO_ACCESS})
        if body is not None and not isinstance(body, dict):
            return _invalid("Request body must be a JSON object", None)
        return self._write(method, path, body or {}, acting)

    def _acting_user(self, headers: httpx.Headers) -> int | None:
        value = (headers.get("on-behalf-of") or "").strip()
        if value.isdigit() and int(value) in self.users:
            return int(value)
        return None

    # --- reads -----------------------------------------------------------------------------

    def _read(self, path: str, params: dict[str, str]) -> httpx.Response:
        m = re.fullmatch
        if path == "/users":
            users = list(self.users.values())
            if "email" in params:  # primary or secondary, still a list
                email = params["email"].lower()
                users = [u for u in users if email and email in [e.lower() for e in u["emails"]]]
            if "updated_after" in params:
                users = [u for u in users if u["updated_at"] >= params["updated_after"]]
            return self._page(path, params, users)
        if r := m(r"/users/(\d+)", path):
            return _one(self.users.get(int(r[1])))
        if path == "/jobs":
            jobs = list(self.jobs.values())
            for key in ("requisition_id", "status"):
                if key in params:
                    jobs = [j for j in jobs if j[key] == params[key]]
            if "updated_after" in params:
                jobs = [j for j in jobs if j["updated_at"] >= params["updated_after"]]
            return self._page(path, params, jobs)
        if r := m(r"/jobs/(\d+)", path):
            return _one(self.jobs.get(int(r[1])))
        if r := m(r"/jobs/(\d+)/openings", path):
            job = self.jobs.get(int(r[1]))
            if job is None:
                return not_found()
            # "opened" (not "open") or "closed"; anything else returns every opening.
            wanted = {"opened": "open", "closed": "closed"}.get(params.get("status", ""))
            return self._page(path, params, [o for o in job["openings"] if wanted in (None, o["status"])])
        if r := m(r"/jobs/(\d+)/stages", path):
            if int(r[1]) not in self.jobs:
                return not_found()
            return self._page(path, params, self.stages.get(int(r[1]), []))
        if path == "/candidates":
            cands = list(self.candidates.values())
            if "job_id" in params:
                jid = _int(params["job_id"])
                # "Prospects on the job are not included."
                cands = [c for c in cands if any(not a["prospect"] and _on_job(a, jid) for a in c["applications"])]
            if "candidate_ids" in params:  # at most 50, comma-separated
                wanted = params["candidate_ids"].split(",")
                if len(wanted) > 50:
                    return _invalid("Must have at most 50 ids", "candidate_ids")
                cands = [c for c in cands if str(c["id"]) in wanted]
            if "updated_after" in params:
                cands = [c for c in cands if c.get("updated_at", NOW) >= params["updated_after"]]
            return self._page(path, params, cands)
        if r := m(r"/candidates/(\d+)", path):
            return _one(self.candidates.get(int(r[1])))
        if path == "/applications":
            apps = [a for c in self.candidates.values() for a in c["applications"]]
            if "job_id" in params:  # candidates and prospects
                apps = [a for a in apps if _on_job(a, _int(params["job_id"]))]
            if "status" in params:  # an unknown status gives an empty list, not an error
                apps = [a for a in apps if a["status"] == params["status"]]
            if "last_activity_after" in params:  # "at or after this timestamp"
                apps = [a for a in apps if (a.get("last_activity_at") or "") >= params["last_activity_after"]]
            return self._page(path, params, apps)
        if r := m(r"/applications/(\d+)", path):
            return _one(self.find_application(int(r[1])))
        if path == "/close_reasons":
            return self._page(path, params, self.close_reasons)
        if path == "/rejection_reasons":
            return self._page(path, params, self.rejection_reasons)
        if path == "/email_templates":
            return self._page(path, params, self.email_templates)
        return not_found()

    def _page(self, path: str, params: dict[str, str], items: list[Any]) -> httpx.Response:
        per_page, page = _int(params.get("per_page", 100)), _int(params.get("page", 1))
        if per_page is None or not 1 <= per_page <= 500:
            return _invalid("Must be an integer between 1 and 500", "per_page")
        if page is None or page < 1:
            return _invalid("Must be a positive integer", "page")
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            nxt = {**params, "page": str(page + 1), "per_page": str(per_page)}
            links = [f'<{self._link_base}{path}?{urlencode(nxt)}>; rel="next"']
            if params.get("skip_count") != "true":  # Greenhouse names the last page unless told to skip counting
                last = {**params, "page": str(-(-len(items) // per_page)), "per_page": str(per_page)}
                links.append(f'<{self._link_base}{path}?{urlencode(last)}>; rel="last"')
            headers["Link"] = ", ".join(links)
        return httpx.Response(200, json=chunk, headers=headers)

    # --- writes ----------------------------------------------------------------------------

    def _write(self, method: str, path: str, body: dict[str, Any], acting: int) -> httpx.Response:
        m = re.fullmatch
        if method == "PATCH" and (r := m(r"/jobs/(\d+)/openings/(\d+)", path)):
            return self._patch_opening(int(r[1]), int(r[2]), body)
        if method == "POST" and (r := m(r"/applications/(\d+)/(reject|unreject|move|hire)", path)):
            app = self.find_application(int(r[1]))
            if app is None:
                return not_found()
            return getattr(self, f"_{r[2]}")(app, body)
        return not_found()

    def _patch_opening(self, job_id: int, opening_id: int, body: dict[str, Any]) -> httpx.Response:
        job = self.jobs.get(job_id)
        opening = next((o for o in (job or {}).get("openings", []) if o["id"] == opening_id), None)
        if job is None or opening is None:
            return not_found()
        status = body.get("status")
        if status is not None and status not in ("open", "closed"):
            return _invalid("Must be one of: open, closed", "status")
        reason_id = body.get("close_reason_id")
        if reason_id is not None and status != "closed":
            # "Providing a close_reason_id without closing the opening will return an error."
            return _invalid("A close reason can only be provided when closing an opening", "close_reason_id")
        reason = None
        if reason_id is not None:
            reason = next((c for c in self.close_reasons if c["id"] == reason_id), None)
            if reason is None:
                return _invalid("Must be a valid close reason", "close_reason_id")
        if "opening_id" in body:
            opening["opening_id"] = body["opening_id"]
        if status == "closed" and opening["status"] == "open":
            opening.update(status="closed", closed_at=self.stamp(), close_reason=reason)
        elif status == "open" and opening["status"] == "closed":
            opening.update(status="open", closed_at=None, close_reason=None, application_id=None)
        self._settle_job_status(job)
        return httpx.Response(200, json={"success": "true"})

    def _reject(self, app: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
        if app["status"] != "active":
            return _must_be(app, "active")
        reason = None
        if body.get("rejection_reason_id") is not None:
            reason = next((x for x in self.rejection_reasons if x["id"] == body["rejection_reason_id"]), None)
            if reason is None:
                return _invalid("Must be a valid rejection reason", "rejection_reason_id")
        email = body.get("rejection_email")
        if email is not None:
            template_id = _int((email or {}).get("email_template_id"))
            template = next((t for t in self.email_templates if t["id"] == template_id), None)
            if template_id is None:
                return _invalid("Missing required field: email_template_id", "rejection_email.email_template_id")
            if template is None or template.get("user") is not None:
                return _invalid("Template must be an organization wide email template", "rejection_email.email_template_id")
        app.update(status="rejected", rejected_at=self.stamp(), rejection_reason=reason,
                   last_activity_at=self.stamp())
        return httpx.Response(200, json=app)

    def _unreject(self, app: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
        if app["status"] != "rejected":
            return _must_be(app, "rejected")  # Greenhouse's documented answer
        app.update(status="active", rejected_at=None, rejection_reason=None, last_activity_at=self.stamp())
        return httpx.Response(200, json=app)

    def _move(self, app: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
        if app["status"] != "active":
            return _must_be(app, "active")  # "only applications in the active state can be moved"
        from_id, to_id = _int(body.get("from_stage_id")), _int(body.get("to_stage_id"))
        if from_id is None:
            return _invalid("Missing required field: from_stage_id", "from_stage_id")
        if to_id is None:
            return _invalid("Missing required field: to_stage_id", "to_stage_id")
        current = (app.get("current_stage") or {}).get("id")
        if from_id != current:
            return _invalid(f"Application is not in stage {from_id}; its current stage is {current}", "from_stage_id")
        target = next((s for s in self.stages.get(app["jobs"][0]["id"], []) if s["id"] == to_id), None)
        if target is None:
            return _invalid("An application can only be moved between stages on the same job", "to_stage_id")
        app.update(current_stage={"id": target["id"], "name": target["name"]}, last_activity_at=self.stamp())
        return httpx.Response(200, json=app)

    def _hire(self, app: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
        if app["prospect"]:
            return _invalid("A prospect application cannot be hired", None)
        if app["status"] != "active":
            return _must_be(app, "active")
        job = self.jobs.get(app["jobs"][0]["id"])
        open_ones = [o for o in (job or {}).get("openings", []) if o["status"] == "open"]
        wanted = _int(body.get("opening_id")) if body.get("opening_id") is not None else None
        if wanted is not None:
            open_ones = [o for o in open_ones if o["id"] == wanted]
            if not open_ones:
                return _invalid("Must be an open opening on this application's job", "opening_id")
        if job is None or not open_ones:
            return _invalid("There are no open openings on this job", "opening_id")
        reason = None
        if body.get("close_reason_id") is not None:
            reason = next((c for c in self.close_reasons if c["id"] == body["close_reason_id"]), None)
            if reason is None:
                return _invalid("Must be a valid close reason", "close_reason_id")
        opening = open_ones[-1]  # "If no opening is provided one will be selected."
        opening.update(status="closed", closed_at=self.stamp(), close_reason=reason, application_id=app["id"])
        # "A hired application no longer has a current stage."
        app.update(status="hired", current_stage=None, last_activity_at=self.stamp())
        self._events.append(("hire_candidate", hire_candidate_payload(app, self.candidates[app["candidate_id"]], opening, job)))
        self._settle_job_status(job)
        return httpx.Response(200, json=app)

    def _settle_job_status(self, job: dict[str, Any]) -> None:
        """A job is closed exactly when it has openings and none is open; a change is a `job_updated`."""
        closed = bool(job["openings"]) and all(o["status"] == "closed" for o in job["openings"])
        status = "closed" if closed else "open"
        if job["status"] == status or job["status"] == "draft":
            return
        job.update(status=status, closed_at=self.stamp() if closed else None, updated_at=self.stamp())
        self._events.append(("job_updated", job_updated_payload(job)))

    def webhook_to(self, url: str, secret: str, **options: Any) -> WebhookSender:
        """Send this tenant's web hooks (job_updated, hire_candidate) to `url`, signed with `secret`."""
        sender = WebhookSender(url, secret, **options)
        self.webhooks.append(sender)
        return sender

    # --- operations of the Greenhouse UI (the console's panel) ------------------------------

    def hire_last_candidate(self, job_id: int) -> dict[str, Any]:
        """Hire the job's most advanced active candidate into its last open opening, as a
        recruiter does in Greenhouse: the opening closes with the hire, and when it was the
        last one the job closes itself and the web hooks go out. Not a Harvest call, so it
        is not in `calls`. Raises LookupError when there is no one to hire or nowhere to."""
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None:
                raise LookupError(f"no job {job_id}")
            if not any(o["status"] == "open" for o in job["openings"]):
                raise LookupError(f"job {job_id} has no open opening")
            order = {s["id"]: s["priority"] for s in self.stages.get(job_id, [])}
            active = [a for c in self.candidates.values() for a in c["applications"]
                      if a["status"] == "active" and not a["prospect"] and _on_job(a, job_id)]
            if not active:
                raise LookupError(f"job {job_id} has no active candidate")
            app = max(active, key=lambda a: (order.get((a.get("current_stage") or {}).get("id"), -1), a["id"]))
            try:
                response = self._hire(app, {})
            finally:
                events, self._events = self._events, []
        self._send_events(events)
        if response.status_code != 200:
            raise LookupError(response.json())
        cand = self.candidates[app["candidate_id"]]
        opening = next(o for o in job["openings"] if o["application_id"] == app["id"])
        return {"application_id": app["id"], "candidate_id": cand["id"],
                "candidate_name": f"{cand['first_name']} {cand['last_name']}", "opening_id": opening["id"],
                "job_id": job_id, "job_status": job["status"]}

    def _send_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        # After the lock: the senders queue the delivery and return; a thread of theirs POSTs it.
        for action, payload in events:
            for hook in list(self.webhooks):
                hook.event(action, payload)


# --- answers ---------------------------------------------------------------------------------

def not_found() -> httpx.Response:
    return httpx.Response(404, json={"message": "Resource not found"})


_not_found = not_found  # the name tests/fakes/greenhouse_v3.py imports


def _one(item: dict | None) -> httpx.Response:
    return httpx.Response(200, json=item) if item is not None else not_found()


def _invalid(message: str, field_name: str | None) -> httpx.Response:
    """Greenhouse's validation answer: `{"message": "Validation error", "errors": [{message, field}]}`."""
    error: dict[str, Any] = {"message": message}
    if field_name:
        error["field"] = field_name
    return httpx.Response(422, json={"message": "Validation error", "errors": [error]})


def _must_be(app: dict[str, Any], state: str) -> httpx.Response:
    # The documented body for unreject on an active application, and its analogue.
    return httpx.Response(422, json={"errors": [{"message": f"Application must be '{state}', is currently '{app['status']}'"}]})


def _on_job(app: dict[str, Any], job_id: int | None) -> bool:
    return any(j["id"] == job_id for j in app["jobs"])


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _basic_auth_ok(header: str | None, api_key: str) -> bool:
    if not header or not header.startswith("Basic "):
        return False
    try:
        user, _, _ = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except ValueError:
        return False
    return user == api_key


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> str:
    return _iso(time.time())
