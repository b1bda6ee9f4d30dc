"""The demo Greenhouse over real HTTP: `serve_harvest(fake)` → a server at `.url` (…/v1).

A stdlib ThreadingHTTPServer on loopback in front of `FakeGreenhouse.handle` (or of any
`handler` taking an httpx.Request, e.g. the v3 shapes of tests/fakes/greenhouse_v3.py, which
bench/company_day.py serves at …/v3), so a bot in this or another process talks to it
over TCP like to Harvest. On top of the fake's own answers it can add a delay per request
(`latency_s`, like a far-away Harvest; `write_latency_s` for writes) and ENFORCE Harvest's
rate limit, `limit` requests per `window_s` seconds, the way each version documents it
(docs/decisions/0008-rate-limit-windows.md):

- v1 ("per 10 seconds", docs/decisions/0008-rate-limit-windows.md quotes it; the window's
  kind is not stated, the one source that names it says rolling): a SLIDING window, at most
  `limit` in any `window_s` seconds; `X-RateLimit-Limit` / `X-RateLimit-Remaining` on every
  answer, `429` with `Retry-After` (whole seconds) and `X-RateLimit-Reset` (an HTTP date)
  past it, both saying when the oldest request leaves the window.
- v3 (`fixed_window=True`; "fixed 30 s window", docs/harvest-v3-reference.md §3): windows
  of `window_s` seconds that start over at multiples of it on the wall clock; every answer
  also carries `X-RateLimit-Reset` (epoch seconds: when this window ends); `429` with
  `Retry-After` until then.

Refused requests do not use the budget; they are counted (`over_limit`), as is
everything else the benchmark reads (`snapshot()`).
"""

from __future__ import annotations

import json
import math
import re
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from bot.demo.greenhouse import FakeGreenhouse

__all__ = ["HarvestServer", "RateWindow", "serve_harvest"]

Handler = Callable[[httpx.Request], httpx.Response]


class RateWindow:
    """At most `limit` accepted requests per window (None: no limit): in any `window_s`
    seconds (sliding), or in each fixed window of `window_s` seconds on the wall clock."""

    def __init__(self, limit: int | None, window_s: float, monotonic: Any = time.monotonic, *,
                 fixed: bool = False, wall: Any = time.time) -> None:
        self.limit = limit
        self.window_s = window_s
        self.fixed = fixed
        self._monotonic = monotonic
        self._wall = wall
        self._accepted: deque[float] = deque()
        self._window_start = 0.0
        self._count = 0
        self._lock = threading.Lock()

    def admit(self) -> tuple[bool, int, float, float | None]:
        """(accepted, remaining after this request, seconds until a slot frees, the epoch
        second the fixed window ends or None)."""
        if self.limit is None:
            return True, 1_000_000, 0.0, None
        with self._lock:
            if self.fixed:
                now = self._wall()
                start = now // self.window_s * self.window_s
                if start != self._window_start:
                    self._window_start, self._count = start, 0
                reset = start + self.window_s
                if self._count >= self.limit:
                    return False, 0, reset - now, reset
                self._count += 1
                return True, self.limit - self._count, 0.0, reset
            now = self._monotonic()
            while self._accepted and self._accepted[0] <= now - self.window_s:
                self._accepted.popleft()
            if len(self._accepted) >= self.limit:
                return False, 0, self._accepted[0] + self.window_s - now, None
            self._accepted.append(now)
            return True, self.limit - len(self._accepted), 0.0, None


class HarvestServer:
    """A running server; `url` ends in /v1. Stop with close() (or use it as a context manager)."""

    def __init__(self, fake: FakeGreenhouse, host: str = "127.0.0.1", port: int = 0, *, latency_s: float = 0.0,
                 limit: int | None = None, window_s: float = 10.0, write_latency_s: float | None = None,
                 fixed_window: bool = False, handler: Handler | None = None, api_path: str = "/v1") -> None:
        self.fake = fake  # may be swapped for a fresh tenant between runs (bench/kill9.py)
        self.handler = handler  # answers instead of `fake.handle` (another API version's shapes)
        self.api_path = api_path
        self.latency_s = latency_s
        self.write_latency_s = latency_s if write_latency_s is None else write_latency_s
        self.window = RateWindow(limit, window_s, fixed=fixed_window)
        self._lock = threading.Lock()
        self.requests = 0
        self.by_route: Counter[str] = Counter()
        self.by_query: Counter[str] = Counter()  # route and the names of its query: who asked, roughly
        self.status_429 = 0
        self.over_limit = 0
        self.unauthorized = 0
        self.max_in_flight = 0
        self._in_flight = 0
        self._httpd = _Server((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        bound_host, bound_port = self._httpd.server_address[:2]
        self.host, self.port = str(bound_host), int(bound_port)
        self.origin = f"http://{self.host}:{self.port}"
        self.url = self.origin + api_path
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="greenhouse-harvest", daemon=True)
        self._thread.start()

    # --- lifecycle -----------------------------------------------------------------------

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> HarvestServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- counters ------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": self.requests, "status_429": self.status_429, "over_limit": self.over_limit,
                    "unauthorized": self.unauthorized, "max_in_flight": self.max_in_flight,
                    "by_route": dict(self.by_route), "by_query": dict(self.by_query)}

    @staticmethod
    def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        routes, queries = Counter(after["by_route"]), Counter(after.get("by_query", {}))
        routes.subtract(before["by_route"])
        queries.subtract(before.get("by_query", {}))
        keys = ("requests", "status_429", "over_limit", "unauthorized")
        return {**{k: after[k] - before[k] for k in keys}, "by_route": {k: v for k, v in routes.items() if v},
                "by_query": {k: v for k, v in queries.items() if v}}

    # --- serving -------------------------------------------------------------------------

    def serve(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        raw = h.rfile.read(int(h.headers.get("content-length") or 0))
        in_api = parts.path.startswith(self.api_path + "/")
        path = parts.path[len(self.api_path):] if in_api else parts.path
        if not in_api and self.handler is not None:
            # Outside the API (v3's token endpoint): its own limit, not Harvest's budget.
            _reply(h, self.handler(self._request(h, raw)))
            return
        with self._lock:
            self.requests += 1
            self.by_route[route_name(h.command, path)] += 1
            self.by_query[query_name(h.command, path, parts.query)] += 1
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            accepted, remaining, free_in, reset_at = self.window.admit()
            delay = self.latency_s if h.command == "GET" else self.write_latency_s
            if delay:
                time.sleep(delay)  # before the fake answers: a write lands even if the client hangs up
            if not accepted:
                with self._lock:
                    self.status_429 += 1
                    self.over_limit += 1
                reset = datetime.fromtimestamp(time.time() + free_in, timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")
                answer = httpx.Response(429, json={"message": "Rate limit exceeded"},
                                        headers={"Retry-After": str(max(1, math.ceil(free_in))), "X-RateLimit-Reset": reset})
            elif self.handler is not None:
                answer = self.handler(self._request(h, raw))
            else:
                answer = self._answer(h, path, parts.query, raw)
            if self.window.limit is not None:
                answer.headers["X-RateLimit-Limit"] = str(self.window.limit)
                answer.headers["X-RateLimit-Remaining"] = str(remaining)
                if reset_at is not None:
                    answer.headers["X-RateLimit-Reset"] = str(int(reset_at))
            if answer.status_code == 401:
                with self._lock:
                    self.unauthorized += 1
            _reply(h, answer)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _request(self, h: BaseHTTPRequestHandler, raw: bytes) -> httpx.Request:
        return httpx.Request(h.command, self.origin + h.path, headers=list(h.headers.items()), content=raw)

    def _answer(self, h: BaseHTTPRequestHandler, path: str, query: str, raw: bytes) -> httpx.Response:
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            return httpx.Response(400, json={"message": "Request body is not valid JSON"})
        headers = httpx.Headers(list(h.headers.items()))
        return self.fake.handle(h.command, path, dict(parse_qsl(query, keep_blank_values=True)), headers, body,
                                url=self.url[: -len("/v1")] + h.path, base=self.url)  # Link points back here


def serve_harvest(fake: FakeGreenhouse, host: str = "127.0.0.1", port: int = 0, *, latency_s: float = 0.0,
                  limit: int | None = None, window_s: float = 10.0, write_latency_s: float | None = None) -> HarvestServer:
    """Serve `fake` over HTTP (port 0: a free one); see HarvestServer. `write_latency_s`
    (default: `latency_s`) delays writes only, e.g. so a kill lands mid-execution."""
    return HarvestServer(fake, host, port, latency_s=latency_s, limit=limit, window_s=window_s,
                         write_latency_s=write_latency_s)


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up mid-answer (bench/kill9.py kills the bot on purpose)


def _handler_for(server: HarvestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a real HTTPS API

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms to each answer.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            server.serve(self)

        do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    return Handler


def _reply(h: BaseHTTPRequestHandler, answer: httpx.Response) -> None:
    payload = answer.content
    h.send_response(answer.status_code)
    for key, value in answer.headers.multi_items():
        if key.lower() not in ("content-length", "transfer-encoding", "connection"):
            h.send_header(key, value)
    h.send_header("Content-Length", str(len(payload)))
    h.end_headers()
    h.wfile.write(payload)


_ROUTES = [(re.compile(p), name) for p, name in (
    (r"/users/\d+", "/users/{id}"),
    (r"/jobs/\d+", "/jobs/{id}"),
    (r"/jobs/\d+/openings", "/jobs/{id}/openings"),
    (r"/jobs/\d+/openings/\d+", "/jobs/{id}/openings/{id}"),
    (r"/jobs/\d+/stages", "/jobs/{id}/stages"),
    (r"/candidates/\d+", "/candidates/{id}"),
    (r"/applications/\d+", "/applications/{id}"),
    (r"/applications/\d+/(\w+)", "/applications/{id}/{action}"),
)]


def query_name(method: str, path: str, query: str) -> str:
    """`GET /applications?ids,per_page`: the route and its query's names (not values), which
    tells the benchmark which of the bot's reads asked; paging's cursor counts as `cursor`."""
    names = sorted({k for k, _ in parse_qsl(query, keep_blank_values=True)})
    return route_name(method, path) + ("?" + ",".join(names) if names else "")


def route_name(method: str, path: str) -> str:
    """`GET /jobs/{id}`: requests counted by route, not by ID."""
    for pattern, name in _ROUTES:
        if m := pattern.fullmatch(path):
            return f"{method} {name.replace('{action}', m[1]) if m.groups() else name}"
    return f"{method} {path}"
