"""A local fake of Slack's Web API (and of response_url), for WebClient(base_url=…).

It records every call (method name and parameters, JSON or form) and answers
from a small in-memory directory. Tests set `fail` to make a method return a
Slack error, and `handlers` to answer a method their own way.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.users: dict[str, dict[str, Any]] = {}  # slack id -> {"email": ..., "name": ...}
        self.channels: dict[str, dict[str, Any]] = {}  # channel id -> {"is_private": bool}
        self.fail: dict[str, str | tuple[int, dict[str, str]]] = {}
        self.handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self._handle()

            def do_GET(self) -> None:
                self._handle()

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                params: dict[str, Any] = dict(parse_qsl(parts.query))
                if raw:
                    if (self.headers.get("content-type") or "").startswith("application/json"):
                        params.update(json.loads(raw))
                    else:
                        params.update(dict(parse_qsl(raw)))
                if "authorization" in {k.lower() for k in self.headers.keys()}:
                    params.setdefault("_auth", self.headers.get("authorization"))
                method = parts.path.rsplit("/", 1)[-1]
                if parts.path.startswith("/respond/"):
                    method = "respond"
                status, body, headers = fake._answer(method, params)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that hung up (e.g. a killed bot) is not the fake's problem

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def response_url(self, name: str = "cmd") -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- answers -------------------------------------------------------------------------

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._cond:
            self.calls.append((method, {k: v for k, v in params.items() if k != "_auth"}))
            self._cond.notify_all()
        failure = self.fail.get(method)
        if failure is not None:
            if isinstance(failure, tuple):
                return failure[0], {"ok": False, "error": "http_error"}, failure[1]
            return 200, {"ok": False, "error": failure}, {}
        if method in self.handlers:
            return 200, self.handlers[method](params), {}
        return 200, self._default(method, params), {}

    def _default(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "greenhouse"}
        if method == "users.info":
            user = self.users.get(params.get("user", ""))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": params["user"], "deleted": False, "profile": {"email": user.get("email")}}}
        if method == "users.lookupByEmail":
            for uid, user in self.users.items():
                if (user.get("email") or "").lower() == str(params.get("email", "")).lower():
                    return {"ok": True, "user": {"id": uid, "deleted": False}}
            return {"ok": False, "error": "users_not_found"}
        if method in ("chat.postMessage", "chat.update"):
            ts = params.get("ts") or f"{1700000000 + next(self._ts)}.000100"
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": {"text": params.get("text")}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}
        if method == "conversations.info":
            ch = self.channels.get(params.get("channel", ""), {"is_private": True})
            return {"ok": True, "channel": {"id": params.get("channel"), **ch}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", "X"))}}
        return {"ok": True}

    # --- assertions -----------------------------------------------------------------------

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [p for m, p in self.calls if m == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [p for m, p in self.calls if m == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} call(s) to {method}, got {len(found)}: {self.calls!r}")
                self._cond.wait(left)

    def responses(self) -> list[dict[str, Any]]:
        """What the bot sent through response_url (respond())."""
        return self.calls_to("respond")

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
