"""A stand-in for Slack's Web API (and `response_url`), for WebClient(base_url=…).

One fake Slack for the project: the tests use it to see what the bot sent, the
demo (`python -m bot demo`) uses it as the workspace the console shows.

Every call is recorded (`calls`: method name and parameters, JSON or form).
Answers come from a `Workspace`: the conversations, messages, threads,
ephemeral messages, modals and App Home views the bot's calls produce, with a
version number the console waits on. Tests set `fail` to make a method return
a Slack error and `handlers` to answer a method their own way.

`strict=True` (the demo) answers as Slack does where the tests' default is
lenient: an update of an unknown message is `message_not_found`, a modal needs
a `trigger_id` Slack issued less than 3 seconds ago and not used yet, and a
`response_url` takes at most 5 posts.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T1"
TRIGGER_TTL_S = 3.0  # Slack: a trigger_id is good for 3 seconds, once
RESPONSE_URL_USES = 5  # Slack: up to 5 responses per response_url, within 30 minutes


def dm_channel_id(user_id: str) -> str:
    """The DM conversation between the bot and a user (Slack's IDs start with D)."""
    return "D" + user_id


class Workspace:
    """What the people of a workspace would see, built from the bot's Web API calls
    and from what the console adds (people's own messages, acknowledgements)."""

    def __init__(self, users: dict[str, dict[str, Any]], channels: dict[str, dict[str, Any]], *,
                 real_time: bool = False) -> None:
        # Timestamps: the tests' fixed sequence (1700000001.000100, …) or, for the demo, the clock.
        self.real_time = real_time
        self._last_ts = 0.0
        self.users = users  # shared with FakeSlack: slack id -> {"email", "name", "title", ...}
        self.channels = channels  # channel id -> {"name", "is_private", "members"}
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel id -> messages, in order
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}  # view id -> {"user", "view", "open"}
        self.homes: dict[str, dict[str, Any]] = {}  # user id -> published App Home view
        self.triggers: dict[str, tuple[str, float]] = {}  # trigger id -> (user, issued at)
        self.responders: dict[str, dict[str, Any]] = {}  # response_url token -> where its answers go
        self.version = 0
        self.changed = threading.Condition()
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)

    # --- ids ------------------------------------------------------------------------------

    def new_ts(self) -> str:
        if self.real_time:
            # Slack's ts: epoch seconds with microseconds, unique within a channel.
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"
        return f"{1700000000 + next(self._ts)}.000100"

    def _bump(self) -> None:
        # Called with `changed` held.
        self.version += 1
        self.changed.notify_all()

    def touch(self) -> None:
        """Something beside the workspace changed (the demo Greenhouse): wake the console."""
        with self.changed:
            self._bump()

    def wait_for_change(self, version: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.version != version, timeout)
            return self.version

    def conversation_of(self, channel: str) -> str:
        """Posting to a user ID posts in the DM with that user, as Slack does."""
        if channel[:1] in ("U", "W") and channel in self.users:
            return dm_channel_id(channel)
        return channel

    # --- messages ---------------------------------------------------------------------------

    def post(self, channel: str, *, user: str, text: str, blocks: list | None = None,
             thread_ts: str | None = None, ts: str | None = None) -> dict[str, Any]:
        with self.changed:
            conv = self.conversation_of(channel)
            message = {"type": "message", "ts": ts or self.new_ts(), "channel": conv, "user": user,
                       "bot_id": BOT_ID if user == BOT_USER_ID else None, "text": text or "",
                       "blocks": _with_block_ids(blocks), "thread_ts": thread_ts, "edited": False}
            self.messages.setdefault(conv, []).append(message)
            self._bump()
            return message

    def find(self, channel: str, ts: str) -> dict[str, Any] | None:
        for message in self.messages.get(self.conversation_of(channel), []):
            if message["ts"] == ts:
                return message
        return None

    def update(self, channel: str, ts: str, *, text: str | None, blocks: list | None) -> dict[str, Any] | None:
        with self.changed:
            message = self.find(channel, ts)
            if message is None:
                return None
            if text is not None:
                message["text"] = text
            # chat.update without blocks keeps… nothing: Slack drops the old blocks when
            # text is given without them.
            message["blocks"] = _with_block_ids(blocks)
            message["edited"] = True
            self._bump()
            return message

    def delete(self, channel: str, ts: str) -> bool:
        with self.changed:
            conv = self.conversation_of(channel)
            message = self.find(conv, ts)
            if message is None:
                return False
            has_replies = any(m.get("thread_ts") == ts and m["ts"] != ts for m in self.messages.get(conv, []))
            if has_replies:
                # Slack keeps a deleted parent as a tombstone so its thread stays reachable.
                message.update(text="This message was deleted.", blocks=[], deleted=True)
            else:
                self.messages[conv].remove(message)
            self._bump()
            return True

    # --- ephemeral messages ---------------------------------------------------------------

    def post_ephemeral(self, channel: str, user: str, *, text: str, blocks: list | None = None,
                       thread_ts: str | None = None, sender: str = BOT_USER_ID) -> dict[str, Any]:
        with self.changed:
            eph = {"id": f"E{next(self._ids)}", "ts": self.new_ts(), "channel": self.conversation_of(channel),
                   "user": user, "sender": sender, "text": text or "", "blocks": _with_block_ids(blocks),
                   "thread_ts": thread_ts, "ephemeral": True}
            self.ephemerals.append(eph)
            self._bump()
            return eph

    def ephemeral(self, eph_id: str) -> dict[str, Any] | None:
        return next((e for e in self.ephemerals if e["id"] == eph_id), None)

    def dismiss(self, eph_id: str, user: str) -> None:
        with self.changed:
            self.ephemerals = [e for e in self.ephemerals if not (e["id"] == eph_id and e["user"] == user)]
            self._bump()

    # --- triggers, response_url -----------------------------------------------------------

    def new_trigger(self, user: str) -> str:
        trigger = f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(8)}"
        self.triggers[trigger] = (user, time.monotonic())
        return trigger

    def take_trigger(self, trigger: str) -> tuple[str | None, str | None]:
        """(user, error) for a views.open: Slack's own error names."""
        found = self.triggers.pop(trigger, None)
        if found is None:
            return None, "invalid_trigger_id"
        user, issued = found
        if time.monotonic() - issued > TRIGGER_TTL_S:
            return None, "expired_trigger_id"
        return user, None

    def new_responder(self, *, channel: str, user: str, thread_ts: str | None = None,
                      source: dict[str, str] | None = None) -> str:
        """A response_url token: where answers to one command or click go. `source` is the
        message the click came from ({"ephemeral": id} or {"message": ts})."""
        token = secrets.token_hex(12)
        self.responders[token] = {"channel": channel, "user": user, "thread_ts": thread_ts,
                                  "source": source, "uses": 0}
        return token

    def respond(self, token: str, body: dict[str, Any], *, strict: bool) -> tuple[int, dict[str, Any]]:
        """What Slack does with a post to a response_url."""
        ctx = self.responders.get(token)
        if ctx is None:
            return 404, {"ok": False, "error": "no_such_url"}
        ctx["uses"] += 1
        if strict and ctx["uses"] > RESPONSE_URL_USES:
            return 404, {"ok": False, "error": "used_url"}
        source = ctx["source"] or {}
        text, blocks = body.get("text") or "", body.get("blocks")
        if _true(body.get("delete_original")):
            if "ephemeral" in source:
                self.dismiss(source["ephemeral"], ctx["user"])
            elif "message" in source:
                self.delete(ctx["channel"], source["message"])
            return 200, {"ok": True}
        if _true(body.get("replace_original")) and source:
            if "ephemeral" in source:
                with self.changed:
                    eph = self.ephemeral(source["ephemeral"])
                    if eph is not None:
                        eph.update(text=text, blocks=_with_block_ids(blocks))
                        self._bump()
                        return 200, {"ok": True}
            elif self.update(ctx["channel"], source["message"], text=text, blocks=blocks) is not None:
                return 200, {"ok": True}
        thread_ts = body.get("thread_ts") or ctx["thread_ts"]
        if body.get("response_type") == "in_channel":
            self.post(ctx["channel"], user=BOT_USER_ID, text=text, blocks=blocks, thread_ts=thread_ts)
        else:
            self.post_ephemeral(ctx["channel"], ctx["user"], text=text, blocks=blocks, thread_ts=thread_ts)
        return 200, {"ok": True}

    # --- views ----------------------------------------------------------------------------

    def open_view(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        with self.changed:
            view_id = f"V{next(self._ids):08d}"
            full = _full_view(view_id, view)
            self.views[view_id] = {"user": user, "view": full, "open": True, "opened": next(self._ids)}
            self._bump()
            return full

    def update_view(self, view_id: str | None, external_id: str | None, view: dict[str, Any]) -> dict[str, Any] | None:
        with self.changed:
            for vid, entry in self.views.items():
                if vid == view_id or (external_id and entry["view"].get("external_id") == external_id):
                    entry["view"] = _full_view(vid, view)
                    self._bump()
                    return entry["view"]
            return None

    def close_view(self, view_id: str) -> dict[str, Any] | None:
        with self.changed:
            entry = self.views.get(view_id)
            if entry is None:
                return None
            entry["open"] = False
            self._bump()
            return entry

    def publish_home(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        with self.changed:
            full = _full_view(f"VHOME{user}", view)
            self.homes[user] = full
            self._bump()
            return full

    # --- what one person sees -------------------------------------------------------------

    def seen_by(self, user: str) -> dict[str, Any]:
        """Every conversation the user is in, with its messages and the ephemeral messages
        shown to this user only; the modal on top of their stack; their App Home."""
        with self.changed:
            conversations = []
            for cid, ch in self.channels.items():
                members = ch.get("members")
                if members is not None and user not in members:
                    continue
                conversations.append({"id": cid, "name": ch.get("name", cid), "is_private": bool(ch.get("is_private")),
                                      "is_im": False})
            conversations.append({"id": dm_channel_id(user), "name": "greenhouse", "is_private": True, "is_im": True})
            visible = {c["id"] for c in conversations}
            out = []
            for conv in conversations:
                items = [dict(m) for m in self.messages.get(conv["id"], [])]
                items += [dict(e) for e in self.ephemerals if e["channel"] == conv["id"] and e["user"] == user]
                items.sort(key=lambda m: m["ts"])
                out.append({**conv, "messages": items})
            open_views = sorted((e for e in self.views.values() if e["open"] and e["user"] == user),
                                key=lambda e: e["opened"])
            return {
                "version": self.version,
                "conversations": out,
                "view": open_views[-1]["view"] if open_views else None,
                "home": self.homes.get(user),
                "visible": sorted(visible),
            }


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _with_block_ids(blocks: Any) -> list[dict[str, Any]]:
    """Slack gives every block without a block_id one of its own."""
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return []
    if not isinstance(blocks, list):
        return []
    out = []
    for block in blocks:
        if isinstance(block, dict):
            block = dict(block)
            block.setdefault("block_id", secrets.token_urlsafe(4))
            out.append(block)
    return out


def _full_view(view_id: str, view: Any) -> dict[str, Any]:
    if isinstance(view, str):
        view = json.loads(view)
    full = dict(view)
    full.update(id=view_id, team_id=TEAM_ID, app_id="A1", bot_id=BOT_ID, hash=secrets.token_hex(6),
                state={"values": {}}, blocks=_with_block_ids(view.get("blocks")),
                previous_view_id=None, root_view_id=view_id)
    full.setdefault("private_metadata", "")
    full.setdefault("callback_id", "")
    full.setdefault("external_id", "")
    return full


class FakeSlack:
    def __init__(self, *, strict: bool = False, host: str = "127.0.0.1", port: int = 0) -> None:
        self.strict = strict
        self.expected_token: str | None = None  # strict: the bot token every Web API call must carry
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.users: dict[str, dict[str, Any]] = {}  # slack id -> {"email": ..., "name": ...}
        self.channels: dict[str, dict[str, Any]] = {}  # channel id -> {"is_private": bool, "name": ...}
        self.fail: dict[str, str | tuple[int, dict[str, str]]] = {}
        self.handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
        # The token's scopes, as auth.test's X-OAuth-Scopes header lists them (manifest.yml's).
        self.scopes = ["commands", "chat:write", "users:read", "users:read.email", "channels:read", "groups:read"]
        self.workspace = Workspace(self.users, self.channels, real_time=strict)
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
                    method, params["_token"] = "respond", parts.path.removeprefix("/respond/")
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

        self.server = QuietServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://{host}:{self.port}/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def response_url(self, name: str = "cmd") -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- answers -------------------------------------------------------------------------

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        # `_auth` (the Authorization header) and `_token` (whose response_url) are not parameters.
        token = params.pop("_token", None)
        with self._cond:
            self.calls.append((method, {k: v for k, v in params.items() if k != "_auth"}))
            self._cond.notify_all()
        if self.strict and method != "respond" and params.get("_auth") != f"Bearer {self.expected_token}":
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        failure = self.fail.get(method)
        if failure is not None:
            if isinstance(failure, tuple):
                return failure[0], {"ok": False, "error": "http_error"}, failure[1]
            return 200, {"ok": False, "error": failure}, {}
        if method in self.handlers:
            return 200, self.handlers[method](params), {}
        if method == "respond":
            if token in self.workspace.responders:
                status, body = self.workspace.respond(token, params, strict=self.strict)
                return status, body, {}
            return 200, {"ok": True}, {}
        scopes = {"x-oauth-scopes": ",".join(self.scopes)} if method == "auth.test" else {}
        return 200, self._default(method, params), scopes

    def _known_conversation(self, channel: str) -> bool:
        conv = self.workspace.conversation_of(channel)
        return conv in self.channels or (conv.startswith("D") and conv[1:] in self.users)

    def _default(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        ws = self.workspace
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "team_id": TEAM_ID, "user": "greenhouse"}
        if method == "users.info":
            user = self.users.get(params.get("user", ""))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": _user_object(params["user"], user)}
        if method == "users.lookupByEmail":
            for uid, user in self.users.items():
                if (user.get("email") or "").lower() == str(params.get("email", "")).lower():
                    return {"ok": True, "user": _user_object(uid, user)}
            return {"ok": False, "error": "users_not_found"}
        if method == "chat.postMessage":
            channel = str(params.get("channel", ""))
            if self.strict and not self._known_conversation(channel):
                return {"ok": False, "error": "channel_not_found"}
            message = ws.post(channel, user=BOT_USER_ID, text=params.get("text", ""), blocks=params.get("blocks"),
                              thread_ts=params.get("thread_ts"))
            return {"ok": True, "channel": message["channel"] if self.strict else params.get("channel"),
                    "ts": message["ts"], "message": {"text": params.get("text"), "ts": message["ts"]}}
        if method == "chat.getPermalink":
            channel, ts = str(params.get("channel", "")), str(params.get("message_ts", ""))
            if self.strict and ws.find(channel, ts) is None:
                return {"ok": False, "error": "message_not_found"}
            return {"ok": True, "channel": channel,
                    "permalink": f"https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}"}
        if method == "chat.update":
            found = ws.update(str(params.get("channel", "")), str(params.get("ts", "")),
                              text=params.get("text"), blocks=params.get("blocks"))
            if found is None and self.strict:
                return {"ok": False, "error": "message_not_found"}
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts"),
                    "message": {"text": params.get("text")}}
        if method == "chat.delete":
            if not ws.delete(str(params.get("channel", "")), str(params.get("ts", ""))) and self.strict:
                return {"ok": False, "error": "message_not_found"}
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method == "chat.postEphemeral":
            eph = ws.post_ephemeral(str(params.get("channel", "")), str(params.get("user", "")),
                                    text=params.get("text", ""), blocks=params.get("blocks"),
                                    thread_ts=params.get("thread_ts"))
            return {"ok": True, "message_ts": eph["ts"]}
        if method == "conversations.info":
            channel = params.get("channel", "")
            ch = self.channels.get(channel)
            if ch is None:
                if self.strict:
                    return {"ok": False, "error": "channel_not_found"}
                ch = {"is_private": True}
            public = {k: v for k, v in ch.items() if k != "members"}
            return {"ok": True, "channel": {"id": channel, "is_channel": True, "is_im": False, **public}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": dm_channel_id(str(params.get("users", "X")))}}
        if method == "views.open":
            user = None
            if self.strict:
                user, error = ws.take_trigger(str(params.get("trigger_id", "")))
                if error:
                    return {"ok": False, "error": error}
            view = ws.open_view(user or "", params.get("view") or {})
            return {"ok": True, "view": view}
        if method == "views.update":
            view = ws.update_view(params.get("view_id"), params.get("external_id"), params.get("view") or {})
            if view is None and self.strict:
                return {"ok": False, "error": "not_found"}
            return {"ok": True, "view": view}
        if method == "views.publish":
            return {"ok": True, "view": ws.publish_home(str(params.get("user_id", "")), params.get("view") or {})}
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


def _user_object(uid: str, user: dict[str, Any]) -> dict[str, Any]:
    name = user.get("name") or uid
    return {"id": uid, "team_id": TEAM_ID, "name": name.split(" ")[0].lower(), "real_name": name,
            "deleted": bool(user.get("deleted", False)), "is_bot": False, "tz": "Europe/London",
            "profile": {"email": user.get("email"), "real_name": name, "display_name": name.split(" ")[0],
                        "title": user.get("title", "")}}
