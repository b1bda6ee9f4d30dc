"""A stateful fake of Greenhouse, served over respx in Harvest v1's shapes.

The data lives in v1 form (jobs embed openings and hiring team, candidates
embed applications). Writes change the data the way Greenhouse does: closing
the last open opening closes the job; only active applications can be rejected.
Every request is recorded with its headers and body, and `faults` injects
errors for the next matching requests.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import httpx
import respx

V1_BASE = "https://harvest.test/v1"
# Static data (created_at, applied_at…) carries this fixed date; anything Greenhouse stamps when
# it happens (a closure, a rejection) carries the fake's own `clock`, so no test depends on
# today's date: the bot ignores closures older than a week (bot/workflows/autoclose.py).
NOW = "2026-11-20T10:00:00Z"


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str]
    headers: httpx.Headers
    body: Any
    url: str = ""  # the raw URL as sent (set by the v3 fake)


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
    # Applies to every response: simulate Harvest's rate-limit headers.
    rate_limit: int = 50
    # When writes happen, as Greenhouse stamps them; tests may inject a fake clock.
    clock: Callable[[], float] = time.time

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
                openings: list[dict[str, Any]] | None = None, status: str = "open", confidential: bool = False) -> dict:
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
        return self.jobs[jid]

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
        return {"id": aid, "status": status, "prospect": prospect, "applied_at": NOW, "rejected_at": None,
                "last_activity_at": "2026-11-01T12:00:00Z", "jobs": [{"id": job_id, "name": job["name"]}],
                "current_stage": {"id": 9, "name": stage} if stage else None, "rejection_reason": None}

    def find_application(self, aid: int) -> dict | None:
        for cand in self.candidates.values():
            for a in cand["applications"]:
                if a["id"] == aid:
                    return a
        return None

    # --- inspecting ------------------------------------------------------------------------

    def writes(self) -> list[Call]:
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

    def mount_v1(self, router: respx.Router, base: str = V1_BASE) -> None:
        self.base = base
        router.route(url__startswith=base + "/").mock(side_effect=self._handle_v1)

    def _handle_v1(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path[len(httpx.URL(self.base).path):]
        params = dict(request.url.params)
        body = json.loads(request.content) if request.content else None
        self.calls.append(Call(request.method, path, params, request.headers, body))
        faulty = self.take_fault(request.method, path)
        if faulty is not None:
            return faulty
        response = self._route_v1(request.method, path, params, body, request.headers)
        response.headers["X-RateLimit-Limit"] = str(self.rate_limit)
        response.headers["X-RateLimit-Remaining"] = str(self.rate_limit - 1)
        return response

    def _route_v1(self, method: str, path: str, params: dict[str, str], body: Any, headers: httpx.Headers) -> httpx.Response:
        m = re.fullmatch
        if method == "GET":
            if path == "/users":
                email = params.get("email", "").lower()
                found = [u for u in self.users.values() if email and email in [e.lower() for e in u["emails"]]]
                users = found if "email" in params else list(self.users.values())
                if "updated_after" in params:
                    users = [u for u in users if u["updated_at"] >= params["updated_after"]]
                return self._page(path, params, users)
            if r := m(r"/users/(\d+)", path):
                return self._one(self.users.get(int(r[1])))
            if path == "/jobs":
                jobs = list(self.jobs.values())
                if "requisition_id" in params:
                    jobs = [j for j in jobs if j["requisition_id"] == params["requisition_id"]]
                if "updated_after" in params:
                    jobs = [j for j in jobs if j["updated_at"] >= params["updated_after"]]
                return self._page(path, params, jobs)
            if r := m(r"/jobs/(\d+)", path):
                return self._one(self.jobs.get(int(r[1])))
            if r := m(r"/jobs/(\d+)/openings", path):
                job = self.jobs.get(int(r[1]))
                if job is None:
                    return _not_found()
                return self._page(path, params, job["openings"])
            if path == "/candidates":
                cands = list(self.candidates.values())
                if "job_id" in params:
                    jid = int(params["job_id"])
                    cands = [c for c in cands if any(j["id"] == jid for a in c["applications"] for j in a["jobs"] if not a["prospect"])]
                return self._page(path, params, cands)
            if r := m(r"/candidates/(\d+)", path):
                return self._one(self.candidates.get(int(r[1])))
            if r := m(r"/applications/(\d+)", path):
                return self._one(self.find_application(int(r[1])))
            if path == "/close_reasons":
                return self._page(path, params, self.close_reasons)
            if path == "/rejection_reasons":
                return self._page(path, params, self.rejection_reasons)
            if path == "/email_templates":
                return self._page(path, params, self.email_templates)
            return _not_found()
        acting = headers.get("on-behalf-of")
        if not acting or not acting.isdigit() or int(acting) not in self.users:
            return httpx.Response(403, json={"message": "You do not have access to that record"})
        if method == "PATCH" and (r := m(r"/jobs/(\d+)/openings/(\d+)", path)):
            job = self.jobs.get(int(r[1]))
            opening = next((o for o in (job or {}).get("openings", []) if o["id"] == int(r[2])), None)
            if opening is None:
                return _not_found()
            if (body or {}).get("close_reason_id") is not None and body.get("status") != "closed":
                return httpx.Response(422, json={"errors": [{"message": "close_reason_id requires closing", "field": "close_reason_id"}]})
            if body.get("status") == "closed":
                reason = next((c for c in self.close_reasons if c["id"] == body.get("close_reason_id")), None)
                opening.update(status="closed", closed_at=self.stamp(), close_reason=reason)
                if all(o["status"] == "closed" for o in job["openings"]):
                    job.update(status="closed", closed_at=self.stamp(), updated_at=self.stamp())
            return httpx.Response(200, json={"success": "true"})
        if method == "POST" and (r := m(r"/applications/(\d+)/reject", path)):
            app = self.find_application(int(r[1]))
            if app is None:
                return _not_found()
            if app["status"] != "active":
                return httpx.Response(422, json={"errors": [{"message": f"Application must be 'active', is currently '{app['status']}'"}]})
            app.update(status="rejected", rejected_at=self.stamp(),
                       rejection_reason=next((x for x in self.rejection_reasons if x["id"] == body.get("rejection_reason_id")), None))
            return httpx.Response(200, json=app)
        return _not_found()

    def _one(self, item: dict | None) -> httpx.Response:
        return httpx.Response(200, json=item) if item is not None else _not_found()

    def _page(self, path: str, params: dict[str, str], items: list[Any]) -> httpx.Response:
        per_page = min(int(params.get("per_page", 100)), 500)
        page = int(params.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            nxt = {**params, "page": str(page + 1), "per_page": str(per_page)}
            headers["Link"] = f'<{self.base}{path}?{urlencode(nxt)}>; rel="next"'
        return httpx.Response(200, json=chunk, headers=headers)


def _not_found() -> httpx.Response:
    return httpx.Response(404, json={"message": "Resource not found"})


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> str:
    return _iso(time.time())


# --- helpers for the auto-close tests (they add, never change, behaviour) ---------------------

def close_job(fake: FakeGreenhouse, jid: int, *, at: str | None = None, application_id: int | None = None,
              close_reason: dict | None = None) -> dict:
    """Close every open opening and the job as of `at` (default: now), as Greenhouse does after
    the last opening closes; `application_id` marks the last opening as filled by a hire.
    updated_at is always the real now: it is when the change reached Greenhouse."""
    at = at or _now()
    job = fake.jobs[jid]
    for opening in job["openings"]:
        if opening["status"] == "open":
            opening.update(status="closed", closed_at=at, close_reason=close_reason, application_id=application_id)
    job.update(status="closed", closed_at=at, updated_at=_now())
    return job


def reopen_job(fake: FakeGreenhouse, jid: int, opening_id: int) -> dict:
    """Reopen one opening and with it the job (Greenhouse clears the job's closed_at)."""
    job = fake.jobs[jid]
    for opening in job["openings"]:
        if opening["id"] == opening_id:
            opening.update(status="open", closed_at=None, close_reason=None, application_id=None)
    job.update(status="open", closed_at=None, updated_at=_now())
    return job
