"""A real local HTTP fake of Greenhouse Harvest v1, for the benchmark.

Unlike tests/fakes/greenhouse.py (respx, in-process), this is a stdlib
ThreadingHTTPServer on 127.0.0.1 that a separate bot process talks to over TCP.
It serves the v1 shapes the job view reads, adds a fixed delay per request
(default 200 ms, like a far-away Harvest), and ENFORCES a rate limit the way
Harvest documents it: `X-RateLimit-Limit` / `X-RateLimit-Remaining` on every
answer and `429` with `Retry-After` past the limit (sliding window, default 50
requests per 10 s).

The data is built with the helpers of tests/fakes/greenhouse.py (same shapes as
the unit tests); this module only indexes and serves it. Everything is counted:
requests (by route), 429s, and requests that arrived over the limit.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fakes.greenhouse import FakeGreenhouse

__all__ = ["HarvestData", "FakeHarvestServer"]


@dataclass
class HarvestData:
    """The Harvest world, in v1 shapes, with the indexes the server needs.

    Build with `gh` (a tests.fakes.greenhouse.FakeGreenhouse used only for its
    data-building helpers), then call `reindex()`.
    """

    gh: FakeGreenhouse = field(default_factory=FakeGreenhouse)
    # job id -> candidates with a (non-prospect) application on that job, in id order
    candidates_by_job: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # job id -> active applications on that job
    active_apps_by_job: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    users_by_email: dict[str, dict[str, Any]] = field(default_factory=dict)

    def reindex(self) -> None:
        self.candidates_by_job.clear()
        self.active_apps_by_job.clear()
        self.users_by_email.clear()
        for cand in sorted(self.gh.candidates.values(), key=lambda c: c["id"]):
            seen: set[int] = set()
            for app in cand["applications"]:
                for job in app["jobs"]:
                    jid = job["id"]
                    if not app["prospect"] and jid not in seen:
                        seen.add(jid)
                        self.candidates_by_job.setdefault(jid, []).append(cand)
                    if app["status"] == "active":
                        self.active_apps_by_job.setdefault(jid, []).append(app)
        for user in self.gh.users.values():
            for email in user["emails"]:
                self.users_by_email[email.lower()] = user


class _RateWindow:
    """Harvest's limit as the server sees it: at most `limit` accepted requests in
    any `window_s` seconds. Requests refused with 429 do not use the budget."""

    def __init__(self, limit: int | None, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._accepted: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self) -> tuple[bool, int, float]:
        """(accepted, remaining after this request, seconds until a slot frees)."""
        if self.limit is None:
            return True, 1_000_000, 0.0
        with self._lock:
            now = time.monotonic()
            while self._accepted and self._accepted[0] <= now - self.window_s:
                self._accepted.popleft()
            if len(self._accepted) >= self.limit:
                return False, 0, self._accepted[0] + self.window_s - now
            self._accepted.append(now)
            return True, self.limit - len(self._accepted), 0.0


class FakeHarvestServer:
    """Serve `data` on 127.0.0.1:<free port>/v1. Use as a context manager or call stop()."""

    def __init__(
        self,
        data: HarvestData,
        *,
        delay_s: float = 0.200,
        rate_limit: int | None = 50,
        window_s: float = 10.0,
        api_key: str | None = None,
    ) -> None:
        self.data = data
        self.delay_s = delay_s
        self.window = _RateWindow(rate_limit, window_s)
        self.api_key = api_key
        self._lock = threading.Lock()
        self.requests = 0
        self.by_route: Counter[str] = Counter()
        self.status_429 = 0
        self.over_limit = 0
        self.unauthorized = 0
        self.max_in_flight = 0
        self._in_flight = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like a real HTTPS API

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._serve(self)

            def do_POST(self) -> None:
                fake._serve(self)

            def do_PATCH(self) -> None:
                fake._serve(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    # --- lifecycle -----------------------------------------------------------------------

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeHarvestServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- counters ------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "status_429": self.status_429,
                "over_limit": self.over_limit,
                "unauthorized": self.unauthorized,
                "max_in_flight": self.max_in_flight,
                "by_route": dict(self.by_route),
            }

    @staticmethod
    def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        routes = Counter(after["by_route"])
        routes.subtract(before["by_route"])
        return {
            "requests": after["requests"] - before["requests"],
            "status_429": after["status_429"] - before["status_429"],
            "over_limit": after["over_limit"] - before["over_limit"],
            "unauthorized": after["unauthorized"] - before["unauthorized"],
            "by_route": {k: v for k, v in routes.items() if v},
        }

    # --- serving -------------------------------------------------------------------------

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("content-length") or 0)
        if length:
            h.rfile.read(length)
        path = parts.path[len("/v1"):] if parts.path.startswith("/v1/") else parts.path
        params = dict(parse_qsl(parts.query))
        route = _route_name(h.command, path)
        with self._lock:
            self.requests += 1
            self.by_route[route] += 1
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            accepted, remaining, free_in = self.window.admit()
            time.sleep(self.delay_s)
            headers: dict[str, str] = {}
            if self.window.limit is not None:
                headers["X-RateLimit-Limit"] = str(self.window.limit)
                headers["X-RateLimit-Remaining"] = str(remaining)
            if not accepted:
                with self._lock:
                    self.status_429 += 1
                    self.over_limit += 1
                headers["Retry-After"] = str(max(1, math.ceil(free_in)))
                status, body = 429, {"message": "Rate limit exceeded"}
            elif self.api_key is not None and not _authorized(h.headers.get("authorization"), self.api_key):
                with self._lock:
                    self.unauthorized += 1
                status, body = 401, {"message": "Invalid Basic Auth credentials"}
            elif h.command != "GET":
                status, body = 405, {"message": "the benchmark fake serves reads only"}
            else:
                status, body, extra = self._route(path, params)
                headers.update(extra)
            payload = json.dumps(body).encode()
            h.send_response(status)
            h.send_header("content-type", "application/json")
            h.send_header("content-length", str(len(payload)))
            for k, v in headers.items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(payload)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _route(self, path: str, params: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        d = self.data
        gh = d.gh
        m = re.fullmatch
        if path == "/users":
            if "email" in params:
                user = d.users_by_email.get(params["email"].lower())
                return self._page(path, params, [user] if user else [])
            return self._page(path, params, list(gh.users.values()))
        if r := m(r"/users/(\d+)", path):
            return _one(gh.users.get(int(r[1])))
        if path == "/jobs":
            jobs = list(gh.jobs.values())
            if "requisition_id" in params:
                jobs = [j for j in jobs if j["requisition_id"] == params["requisition_id"]]
            return self._page(path, params, jobs)
        if r := m(r"/jobs/(\d+)", path):
            return _one(gh.jobs.get(int(r[1])))
        if path == "/candidates":
            if "job_id" in params:
                return self._page(path, params, d.candidates_by_job.get(int(params["job_id"]), []))
            return self._page(path, params, sorted(gh.candidates.values(), key=lambda c: c["id"]))
        if r := m(r"/candidates/(\d+)", path):
            return _one(gh.candidates.get(int(r[1])))
        if path == "/applications":
            if "job_id" in params:
                apps = d.active_apps_by_job.get(int(params["job_id"]), []) if params.get("status") == "active" else [
                    a for c in d.candidates_by_job.get(int(params["job_id"]), []) for a in c["applications"]
                    if any(j["id"] == int(params["job_id"]) for j in a["jobs"])
                ]
            else:
                apps = [a for c in gh.candidates.values() for a in c["applications"]]
            return self._page(path, params, apps)
        if path == "/close_reasons":
            return self._page(path, params, gh.close_reasons)
        if path == "/rejection_reasons":
            return self._page(path, params, gh.rejection_reasons)
        return 404, {"message": "Resource not found"}, {}

    def _page(self, path: str, params: dict[str, str], items: list[Any]) -> tuple[int, Any, dict[str, str]]:
        per_page = max(1, min(int(params.get("per_page", 100)), 500))
        page = max(1, int(params.get("page", 1)))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            nxt = {**params, "page": str(page + 1), "per_page": str(per_page)}
            headers["Link"] = f'<{self.base_url}{path}?{urlencode(nxt)}>; rel="next"'
        return 200, chunk, headers


def _one(item: dict[str, Any] | None) -> tuple[int, Any, dict[str, str]]:
    if item is None:
        return 404, {"message": "Resource not found"}, {}
    return 200, item, {}


def _authorized(header: str | None, api_key: str) -> bool:
    import base64

    if not header or not header.startswith("Basic "):
        return False
    try:
        user, _, _ = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return False
    return user == api_key


_ROUTES = [
    (re.compile(r"/users/\d+"), "GET /users/{id}"),
    (re.compile(r"/jobs/\d+"), "GET /jobs/{id}"),
    (re.compile(r"/candidates/\d+"), "GET /candidates/{id}"),
]


def _route_name(method: str, path: str) -> str:
    for pattern, name in _ROUTES:
        if pattern.fullmatch(path):
            return name if method == "GET" else f"{method} {name[4:]}"
    return f"{method} {path}"
