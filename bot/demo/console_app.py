"""The console's web server: the page (bot/demo/console/), and the small JSON API it
uses to act as a person in the demo workspace.

The browser never signs anything and never talks to the bot: it asks this server
to send an event as a user, and `SlackSender` builds and signs the payload Slack
would send. What people see comes from the Slack stand-in's `Workspace`, one
person at a time (ephemeral messages and modals only to their owner).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from flask import Flask, abort, jsonify, request, send_from_directory

from .greenhouse_link import DemoGreenhouse
from .slack_api import BOT_USER_ID, FakeSlack
from .slack_events import COMMAND, SlackSender

STATIC = Path(__file__).parent / "console"
LONG_POLL_S = 10.0
_SLASH = re.compile(r"^(/\S+)\s*(.*)$", re.S)


def create_console(slack: FakeSlack, greenhouse: DemoGreenhouse, sender: SlackSender) -> Flask:
    web = Flask("greenhouse-demo-console", static_folder=None)
    ws = slack.workspace
    people = {p.slack_id: p for p in greenhouse.people}

    def person(value: Any) -> str:
        if not isinstance(value, str) or value not in people:
            abort(400, "unknown person")
        return value

    def channel_for(user: str, value: Any) -> str:
        """A conversation the person is in (what Slack's client would let them type in)."""
        if not isinstance(value, str):
            abort(400, "unknown conversation")
        if value == f"D{user}":
            return value
        ch = slack.channels.get(value)
        if ch is None or (ch.get("members") is not None and user not in ch["members"]):
            abort(400, "unknown conversation")
        return value

    def greenhouse_state() -> dict[str, Any]:
        return {"jobs": greenhouse.jobs(), "writes": greenhouse.writes()}

    def version() -> str:
        return str(ws.version)  # Greenhouse's changes touch the workspace too (see run.py)

    @web.get("/")
    def index():  # type: ignore[no-untyped-def]
        return send_from_directory(STATIC, "index.html", max_age=0)

    @web.get("/console/<path:name>")
    def static_file(name: str):  # type: ignore[no-untyped-def]
        return send_from_directory(STATIC, name, max_age=0)

    @web.get("/api/directory")
    def directory():  # type: ignore[no-untyped-def]
        return jsonify(
            people=[{"id": p.slack_id, "name": p.name, "role": p.role, "title": p.title} for p in greenhouse.people],
            users={uid: {"name": u.get("name") or uid} for uid, u in slack.users.items()} | {
                BOT_USER_ID: {"name": "greenhouse"}, "USLACKBOT": {"name": "Slackbot"}},
            channels={cid: {"name": c.get("name", cid), "is_private": bool(c.get("is_private"))}
                      for cid, c in slack.channels.items()},
            command=COMMAND,
        )

    @web.get("/api/seen")
    def seen():  # type: ignore[no-untyped-def]
        """What one person sees; waits (long poll) until it differs from version `v`."""
        user = person(request.args.get("user"))
        known = request.args.get("v", "")
        deadline = time.monotonic() + min(float(request.args.get("wait", LONG_POLL_S)), LONG_POLL_S)
        while version() == known and time.monotonic() < deadline:
            ws.wait_for_change(ws.version, max(0.0, deadline - time.monotonic()))
        state = ws.seen_by(user)
        state["version"] = version()
        state["greenhouse"] = greenhouse_state()
        return jsonify(state)

    @web.post("/api/compose")
    def compose():  # type: ignore[no-untyped-def]
        """The message box: `/greenhouse …` goes to the bot; another slash command gets
        Slackbot's answer; anything else is a message from the person."""
        body = request.get_json(force=True, silent=True) or {}
        user = person(body.get("user"))
        channel = channel_for(user, body.get("channel"))
        text = str(body.get("text") or "").strip()[:4000]
        if not text:
            return jsonify(ok=False, error="empty")
        slash = _SLASH.match(text)
        if slash and slash[1] == COMMAND:
            return jsonify(ok=True, **sender.command(user, channel, slash[2].strip()).as_dict())
        if slash:
            ws.post_ephemeral(channel, user, sender="USLACKBOT",
                              text=f"`{_inert(slash[1])}` is not a valid command. In Slack, all messages that start "
                                   "with the \"/\" character are interpreted as commands.")
            return jsonify(ok=True, status=None)
        ws.post(channel, user=user, text=_inert(text), thread_ts=body.get("thread_ts") or None)
        return jsonify(ok=True)

    @web.post("/api/action")
    def action():  # type: ignore[no-untyped-def]
        body = request.get_json(force=True, silent=True) or {}
        user = person(body.get("user"))
        channel = channel_for(user, body.get("channel"))
        source = body.get("source") or {}
        if not isinstance(source, dict) or not ({"message", "ephemeral"} & source.keys()):
            abort(400, "no source message")
        act = body.get("action")
        if not isinstance(act, dict) or not act.get("action_id"):
            abort(400, "no action")
        state = body.get("state") if isinstance(body.get("state"), dict) else {}
        return jsonify(ok=True, **sender.block_action(user, channel, source, act, state).as_dict())

    @web.post("/api/view/submit")
    def view_submit():  # type: ignore[no-untyped-def]
        body = request.get_json(force=True, silent=True) or {}
        user = person(body.get("user"))
        values = body.get("values") if isinstance(body.get("values"), dict) else {}
        return jsonify(ok=True, **sender.view_submission(user, str(body.get("view_id")), values).as_dict())

    @web.post("/api/view/close")
    def view_close():  # type: ignore[no-untyped-def]
        body = request.get_json(force=True, silent=True) or {}
        user = person(body.get("user"))
        return jsonify(ok=True, **sender.view_closed(user, str(body.get("view_id"))).as_dict())

    @web.post("/api/dismiss")
    def dismiss():  # type: ignore[no-untyped-def]
        body = request.get_json(force=True, silent=True) or {}
        ws.dismiss(str(body.get("id")), person(body.get("user")))
        return jsonify(ok=True)

    @web.post("/api/greenhouse/hire")
    def hire():  # type: ignore[no-untyped-def]
        body = request.get_json(force=True, silent=True) or {}
        try:
            job_id = int(body.get("job_id"))
            result = greenhouse.hire_last_candidate(job_id)
        except (TypeError, ValueError):
            abort(400, "job_id")
        except LookupError as exc:
            return jsonify(ok=False, error=str(exc)), 409
        return jsonify(ok=True, hired=result)

    return web


def _inert(text: str) -> str:
    """A person's own text, escaped the way Slack's client sends it (no mentions by hand)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
