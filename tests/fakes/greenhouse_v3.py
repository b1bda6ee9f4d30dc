"""The same FakeGreenhouse data served in Harvest v3's shapes, over respx.

- a token endpoint (Basic client_id:client_secret, form `grant_type`, `sub`) that
  issues opaque Bearer tokens remembered with their `sub`;
- every v3 call needs a live Bearer token (401 otherwise); reads need a Site Admin
  `sub` (403 otherwise), writes are attributed to the token's `sub`;
- cursor paging: `Link: <…?cursor=…>; rel="next"`, and 422 when a cursor comes
  with any other parameter; `ids` and parent-id filters take at most 50 values;
- nothing embedded: openings, job owners, hiring managers, applications are
  their own lists; reject answers 204; closing a job's last opening closes it.

Calls are recorded into the wrapped FakeGreenhouse's `calls` (paths relative to
the v3 base), so tests inspect both versions the same way; `sub_of(call)` says
which user a call acted as.

Names, filters and shapes follow docs/harvest-v3-reference.md ("Confirmed since" says
where each comes from). Where that page still says UNCONFIRMED — the close-opening
body, the unreject answer code, the 422 for rejecting a non-active application —
the fake answers as the bot expects, so those stay guesses until a sandbox run.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import time
from typing import Any
from urllib.parse import parse_qs

import httpx
import respx

from .greenhouse import NOW, Call, FakeGreenhouse, _not_found, _now

V3_BASE = "https://harvest.test/v3"
AUTH_URL = "https://auth.test/token"
CLIENT_ID = "gh-client-id-3344"
CLIENT_SECRET = "gh-client-secret-9f0e1d"
READER_ID = 900  # a Site Admin the bot reads as

CURSOR_RULE = "When passing a cursor, do not include other query params."


class FakeGreenhouseV3:
    def __init__(self, gh: FakeGreenhouse, *, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> None:
        self.gh = gh
        self.client_id = client_id
        self.client_secret = client_secret
        self.tokens: dict[str, int | None] = {}  # live token → sub
        self.token_requests: list[dict[str, Any]] = []
        self.token_ttl = 3600
        self.token_expiry_field = "expires_at"  # what Greenhouse sends (RFC 3339); tests may switch to "expires_in"
        self._cursors: dict[str, tuple[str, dict[str, str], int]] = {}
        self._seq = itertools.count(1)

    # --- setup and inspection ---------------------------------------------------------------

    def mount(self, router: respx.Router, base: str = V3_BASE, auth_url: str = AUTH_URL) -> FakeGreenhouseV3:
        self.base = base
        router.route(method="POST", url=auth_url).mock(side_effect=self._token)
        router.route(url__startswith=base + "/").mock(side_effect=self._handle)
        return self

    def add_reader(self, uid: int = READER_ID) -> None:
        self.gh.add_user(uid, "Bot Reader", "bot-reader@acme.test")["site_admin"] = True

    def revoke_all(self) -> None:
        """Every issued token stops working (as after expiry or rotation)."""
        self.tokens.clear()

    def sub_of(self, call: Call) -> int | None:
        auth = call.headers.get("authorization", "")
        return self.tokens.get(auth.removeprefix("Bearer "))

    # --- token endpoint ---------------------------------------------------------------------

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.token_requests.append({"form": form, "headers": request.headers})
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return httpx.Response(401, json={"error": "invalid_client"})
        if form.get("grant_type") != "client_credentials":
            return httpx.Response(400, json={"message": f"unsupported grant_type for client_id={self.client_id}"})
        sub = int(form["sub"]) if form.get("sub", "").isdigit() else None
        token = f"tok-{next(self._seq)}"
        self.tokens[token] = sub
        body: dict[str, Any] = {"access_token": token, "token_type": "Bearer"}
        if self.token_expiry_field == "expires_at":
            body["expires_at"] = _in(self.token_ttl)
        else:
            body["expires_in"] = self.token_ttl
        return httpx.Response(200, json=body)

    # --- the API ----------------------------------------------------------------------------

    def _handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path[len(httpx.URL(self.base).path):]
        params = {k: v for k, v in request.url.params.multi_items()}
        body = json.loads(request.content) if request.content else None
        call = Call(request.method, path, params, request.headers, body, url=str(request.url))
        self.gh.calls.append(call)
        faulty = self.gh.take_fault(request.method, path)
        if faulty is not None:
            return faulty
        response = self._route(request.method, path, params, body, call)
        # Every v3 answer carries the three headers; the window is a fixed 30 s and the reset
        # is in epoch seconds (docs/harvest-v3-reference.md §3).
        response.headers["X-RateLimit-Limit"] = str(self.gh.rate_limit)
        response.headers["X-RateLimit-Remaining"] = str(self.gh.rate_limit - 1)
        response.headers["X-RateLimit-Reset"] = str((int(time.time()) // 30 + 1) * 30)
        return response

    def _route(self, method: str, path: str, params: dict[str, str], body: Any, call: Call) -> httpx.Response:
        auth = call.headers.get("authorization", "")
        if "on-behalf-of" in call.headers:
            return httpx.Response(400, json={"message": "On-Behalf-Of is not a v3 header"})
        token = auth.removeprefix("Bearer ")
        if not auth.startswith("Bearer ") or token not in self.tokens:
            return httpx.Response(401, json={"message": "Unauthorized", "errors": ["Token could not be decoded"]})
        sub = self.tokens[token]
        user = self.gh.users.get(sub) if sub is not None else None
        if method == "GET":
            if not (user and user.get("site_admin")):
                return httpx.Response(403, json={"message": "Forbidden", "errors": ["Site Admin required"]})
            return self._list(path, params)
        if user is None:
            return httpx.Response(403, json={"message": "Forbidden"})
        if method == "PATCH" and (r := re.fullmatch(r"/openings/(\d+)", path)):
            return self._close_opening(int(r[1]), body or {})
        if method == "POST" and (r := re.fullmatch(r"/applications/(\d+)/reject", path)):
            return self._reject(int(r[1]), body or {})
        if method == "POST" and (r := re.fullmatch(r"/applications/(\d+)/unreject", path)):
            return self._unreject(int(r[1]))
        if method == "POST" and (r := re.fullmatch(r"/applications/(\d+)/move", path)):
            return self._move(int(r[1]), body or {})
        return _not_found()

    # --- lists and cursor paging --------------------------------------------------------------

    def _list(self, path: str, params: dict[str, str]) -> httpx.Response:
        if "cursor" in params:
            if len(params) > 1:
                return httpx.Response(422, json={"errors": [CURSOR_RULE]})
            saved = self._cursors.get(params["cursor"])
            if saved is None or saved[0] != path:
                return httpx.Response(422, json={"errors": ["Invalid cursor"]})
            _, params, offset = saved
        else:
            offset = 0
        for key, value in params.items():
            if (key == "ids" or key.endswith("_ids") or key == "email") and len(value.split(",")) > 50:
                return httpx.Response(422, json={"errors": [f"{key} must have at most 50 items"]})
        per_page = int(params.get("per_page", 100))
        if not 1 <= per_page <= 500:
            return httpx.Response(422, json={"errors": ["per_page must be between 1 and 500"]})
        items = self._items(path, params)
        if items is None:
            return _not_found()
        headers = {}
        if offset + per_page < len(items):
            cursor = base64.urlsafe_b64encode(f"{path}:{offset + per_page}:{next(self._seq)}".encode()).decode().rstrip("=")
            self._cursors[cursor] = (path, params, offset + per_page)
            headers["Link"] = f'<{self.base}{path}?cursor={cursor}>; rel="next"'
        return httpx.Response(200, json=items[offset : offset + per_page], headers=headers)

    def _items(self, path: str, p: dict[str, str]) -> list[dict[str, Any]] | None:
        gh = self.gh
        resources = {
            "/users": lambda: [self._user(u) for u in gh.users.values()],
            "/user_emails": lambda: [{"id": u["id"] * 100 + n, "user_id": u["id"], "email": e, "verified": True,
                                      "created_at": NOW, "updated_at": u["updated_at"]}
                                     for u in gh.users.values() for n, e in enumerate(u["emails"])],
            "/jobs": lambda: [self._job(j) for j in gh.jobs.values()],
            "/openings": lambda: [self._opening(j, o) for j in gh.jobs.values() for o in j["openings"]],
            "/job_owners": lambda: self._owners(),
            "/job_hiring_managers": lambda: [m for m in self._owners(hiring_managers=True)],
            "/applications": lambda: [self._application(a) for c in gh.candidates.values() for a in c["applications"]],
            "/candidates": lambda: [self._candidate(c) for c in self._by_ids(gh.candidates, p)],
            "/departments": lambda: list({d["id"]: d for j in gh.jobs.values() for d in j["departments"]}.values()),
            "/offices": lambda: list({o["id"]: o for j in gh.jobs.values() for o in j["offices"]}.values()),
            "/close_reasons": lambda: list(gh.close_reasons),
            # v1's stages renamed: `priority` is `sort_order` (docs/HARVEST_V3.md); served shuffled
            # (reversed) so that only the order field can put them right.
            "/job_interview_stages": lambda: [
                {"id": s["id"], "job_id": s["job_id"], "name": s["name"], "sort_order": s["priority"],
                 "active": s["active"], "created_at": NOW, "updated_at": NOW}
                for plan in gh.stages.values() for s in reversed(plan)],
            "/rejection_reasons": lambda: list(gh.rejection_reasons),
            "/email_templates": lambda: [self._template(t) for t in gh.email_templates],
        }
        if path not in resources:
            return None
        items = resources[path]()
        filters = {
            "ids": "id", "job_ids": "job_id", "primary_email": "primary_email",
            "requisition_id": "requisition_id", "email_type": "email_type", "user_ids": "user_id",
        }
        for key, field in filters.items():
            if key in p:
                wanted = set(p[key].split(",")) if key.endswith("ids") else {p[key]}
                items = [i for i in items if str(i.get(field)) in wanted]
        if "email" in p and path == "/user_emails":
            # get_v3-user-emails: comma-separated, at most 50, case-insensitive exact match
            wanted = {e.strip().lower() for e in p["email"].split(",")}
            items = [i for i in items if i["email"].lower() in wanted]
        if "active" in p and path == "/job_interview_stages":
            items = [i for i in items if str(i["active"]).lower() == p["active"]]
        if "status" in p and path == "/jobs":
            items = [i for i in items if i["status"] == p["status"]]
        if "open" in p and path == "/openings":
            items = [i for i in items if str(i["open"]).lower() == p["open"]]
        if "status" in p and path == "/applications":
            want = {"active": "in_process"}.get(p["status"], p["status"])
            items = [i for i in items if i["status"] == want]
        if "updated_at" in p:
            op, _, moment = p["updated_at"].partition("|")
            assert op == "gte", "the fake knows gte only"
            items = [i for i in items if i["updated_at"] >= moment]
        return items

    @staticmethod
    def _by_ids(table: dict[int, dict[str, Any]], p: dict[str, str]) -> list[dict[str, Any]]:
        # A shortcut for big fakes; the generic `ids` filter below still applies.
        if "ids" not in p:
            return list(table.values())
        return [table[int(i)] for i in p["ids"].split(",") if i.isdigit() and int(i) in table]

    # --- v1 data → v3 shapes ------------------------------------------------------------------

    @staticmethod
    def _user(u: dict[str, Any]) -> dict[str, Any]:
        return {"id": u["id"], "first_name": u["first_name"], "last_name": u["last_name"], "name": u["name"],
                "primary_email": u["primary_email_address"], "emails": u["emails"], "deactivated": u["disabled"],
                "site_admin": u["site_admin"], "created_at": NOW, "updated_at": u["updated_at"]}

    @staticmethod
    def _job(j: dict[str, Any]) -> dict[str, Any]:
        keep = ("id", "name", "requisition_id", "notes", "confidential", "status", "opened_at", "closed_at",
                "created_at", "updated_at")
        return {**{k: j[k] for k in keep}, "department_id": (j["departments"] or [{}])[0].get("id"),
                "office_ids": [o["id"] for o in j["offices"]], "is_template": False}

    @staticmethod
    def _opening(j: dict[str, Any], o: dict[str, Any]) -> dict[str, Any]:
        return {"id": o["id"], "job_id": j["id"], "opening_id": o["opening_id"], "open": o["status"] == "open",
                "opened_at": o["opened_at"], "closed_at": o["closed_at"], "application_id": o["application_id"],
                "close_reason_id": (o.get("close_reason") or {}).get("id"), "created_at": NOW, "updated_at": NOW}

    def _owners(self, *, hiring_managers: bool = False) -> list[dict[str, Any]]:
        out = []
        for j in self.gh.jobs.values():
            for key, members in j["hiring_team"].items():
                if (key == "hiring_managers") != hiring_managers:
                    continue
                for m in members:
                    row = {"id": j["id"] * 1000 + m["id"], "job_id": j["id"], "user_id": m["id"]}
                    if not hiring_managers:
                        row.update(type=key.removesuffix("s"), responsible=bool(m.get("responsible")))
                    out.append(row)
        return out

    @staticmethod
    def _application(a: dict[str, Any]) -> dict[str, Any]:
        stage = a.get("current_stage") or {}
        # A record that names its candidate `person_id` (as some live records do) is served as it is.
        who = {"candidate_id": a["candidate_id"]} if "candidate_id" in a else {"person_id": a.get("person_id")}
        return {"id": a["id"], **who, "job_id": a["jobs"][0]["id"],
                "status": "in_process" if a["status"] == "active" else a["status"], "prospect": a["prospect"],
                "created_at": a["applied_at"], "last_activity_at": a["last_activity_at"],
                "stage_id": stage.get("id"), "stage_name": stage.get("name"),
                "rejection_reason_id": (a.get("rejection_reason") or {}).get("id"),
                # Every write the fake makes stamps last_activity_at: it stands for updated_at.
                "updated_at": max(a.get("last_activity_at") or NOW, a["applied_at"] or NOW)}

    @staticmethod
    def _candidate(c: dict[str, Any]) -> dict[str, Any]:
        return {"id": c["id"], "first_name": c["first_name"], "last_name": c["last_name"], "private": False,
                "email_addresses": [], "created_at": NOW, "updated_at": c.get("updated_at", NOW)}

    @staticmethod
    def _template(t: dict[str, Any]) -> dict[str, Any]:
        return {"id": t["id"], "name": t["name"], "email_type": t["type"],
                "user_id": (t.get("user") or {}).get("id"), "body": "…", "html_body": None}

    # --- writes -------------------------------------------------------------------------------

    def _close_opening(self, oid: int, body: dict[str, Any]) -> httpx.Response:
        job, opening = next(((j, o) for j in self.gh.jobs.values() for o in j["openings"] if o["id"] == oid), (None, None))
        if opening is None:
            return _not_found()
        if body.get("close_reason_id") is not None and body.get("status") != "closed":
            return httpx.Response(422, json={"message": "Validation error", "errors": ["close_reason_id requires closing"]})
        if body.get("status") == "closed":
            reason = next((c for c in self.gh.close_reasons if c["id"] == body.get("close_reason_id")), None)
            opening.update(status="closed", closed_at=self.gh.stamp(), close_reason=reason)
            if all(o["status"] == "closed" for o in job["openings"]):
                job.update(status="closed", closed_at=self.gh.stamp(), updated_at=self.gh.stamp())
        return httpx.Response(200, json=self._opening(job, opening))

    def _reject(self, aid: int, body: dict[str, Any]) -> httpx.Response:
        app = self.gh.find_application(aid)
        if app is None:
            return _not_found()
        if not isinstance(body.get("rejection_reason_id"), int):
            return httpx.Response(422, json={"message": "Validation error", "errors": ["rejection_reason_id is required"]})
        if app["status"] != "active":
            return httpx.Response(422, json={"message": "Validation error",
                                             "errors": [f"Application must be active, is currently {app['status']}"]})
        # Stamps last_activity_at as v1's reject does: the fake's updated_at follows it.
        app.update(status="rejected", rejected_at=self.gh.stamp(), last_activity_at=self.gh.stamp(),
                   rejection_reason=next((x for x in self.gh.rejection_reasons if x["id"] == body["rejection_reason_id"]), None))
        return httpx.Response(204)

    def _unreject(self, aid: int) -> httpx.Response:
        app = self.gh.find_application(aid)
        if app is None:
            return _not_found()
        if app["status"] != "rejected":  # v1's documented words; v3's are not published
            return httpx.Response(422, json={"message": "Validation error", "errors": [
                f"Application must be 'rejected', is currently '{app['status']}'"]})
        app.update(status="active", rejected_at=None, rejection_reason=None, last_activity_at=self.gh.stamp())
        return httpx.Response(204)

    def _move(self, aid: int, body: dict[str, Any]) -> httpx.Response:
        """v1's checks (bot/demo/greenhouse.py) on the v3 path, answered 204 as documented;
        the fake takes job-stage ids in both fields (which one v3 wants is UNCONFIRMED)."""
        app = self.gh.find_application(aid)
        if app is None:
            return _not_found()
        answer = self.gh._move(app, body)
        return httpx.Response(204) if answer.status_code == 200 else answer


def _in(seconds: float) -> str:
    from datetime import datetime, timedelta, timezone

    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
