"""What Slack sends to the bot when someone types a command, clicks or submits a
modal, built and signed here (server side) exactly as Slack does:

- slash commands: form fields (`command`, `text`, `user_id`, `channel_id`,
  `response_url`, `trigger_id`, …);
- interactivity: a form with one field, `payload=`, holding the JSON
  (`block_actions`, `view_submission`);
- every request signed with the app's signing secret: `X-Slack-Request-Timestamp`
  and `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{body}">`.

Then it does with the bot's answer what Slack does: an acknowledgement with text
becomes an ephemeral message for the person; a view_submission's
`response_action` keeps, updates or closes the modal.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from .slack_api import BOT_USER_ID, TEAM_ID, FakeSlack

API_APP_ID = "A0DEMO"
COMMAND = "/greenhouse"


def sign(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Outcome:
    status: int
    ack: Any = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "ack": self.ack, "error": self.error}


class SlackSender:
    def __init__(self, slack: FakeSlack, bot_url: str, signing_secret: str, *, timeout_s: float = 3.0) -> None:
        self.slack = slack
        self.ws = slack.workspace
        self.bot_url = bot_url.rstrip("/") + "/slack/events"
        self.secret = signing_secret
        # Slack gives up on an acknowledgement after 3 seconds.
        self.http = httpx.Client(timeout=timeout_s)

    # --- sending ----------------------------------------------------------------------------

    def _post(self, body: str) -> httpx.Response:
        ts = str(int(time.time()))
        return self.http.post(self.bot_url, content=body.encode(), headers={
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": ts,
            "x-slack-signature": sign(self.secret, ts, body),
        })

    def _user(self, user_id: str) -> dict[str, Any]:
        name = (self.slack.users.get(user_id) or {}).get("name") or user_id
        return {"id": user_id, "username": name.split(" ")[0].lower(), "name": name.split(" ")[0].lower(),
                "team_id": TEAM_ID}

    def _channel_name(self, channel: str) -> str:
        if channel.startswith("D"):
            return "directmessage"
        return (self.slack.channels.get(channel) or {}).get("name", channel)

    @staticmethod
    def _ack_body(response: httpx.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text

    # --- slash command ------------------------------------------------------------------------

    def command(self, user: str, channel: str, text: str) -> Outcome:
        token = self.ws.new_responder(channel=channel, user=user)
        fields = {
            "token": "unused-verification-token", "team_id": TEAM_ID, "team_domain": "acme-demo",
            "channel_id": channel, "channel_name": self._channel_name(channel),
            "user_id": user, "user_name": self._user(user)["username"], "command": COMMAND, "text": text,
            "api_app_id": API_APP_ID, "is_enterprise_install": "false",
            "response_url": self.slack.response_url(token), "trigger_id": self.ws.new_trigger(user),
        }
        try:
            response = self._post(urlencode(fields))
        except httpx.HTTPError:
            return self._failed(user, channel, None, "/greenhouse failed with the error \"operation_timeout\"")
        ack = self._ack_body(response)
        if response.status_code != 200:
            return self._failed(user, channel, None,
                                f"/greenhouse failed with the error \"dispatch_failed\"", status=response.status_code)
        self._show_ack(user, channel, None, ack)
        return Outcome(response.status_code, ack)

    def _show_ack(self, user: str, channel: str, thread_ts: str | None, ack: Any) -> None:
        """An acknowledgement with a message in it is shown as Slack shows it."""
        if not ack:
            return
        if isinstance(ack, str):
            self.ws.post_ephemeral(channel, user, text=ack, thread_ts=thread_ts)
            return
        if isinstance(ack, dict) and (ack.get("text") or ack.get("blocks")):
            if ack.get("response_type") == "in_channel":
                self.ws.post(channel, user=BOT_USER_ID, text=ack.get("text", ""), blocks=ack.get("blocks"),
                             thread_ts=thread_ts)
            else:
                self.ws.post_ephemeral(channel, user, text=ack.get("text", ""), blocks=ack.get("blocks"),
                                       thread_ts=thread_ts)

    def _failed(self, user: str, channel: str, thread_ts: str | None, text: str, status: int = 0) -> Outcome:
        # What Slackbot says when an app does not answer in time or answers with an error.
        self.ws.post_ephemeral(channel, user, text=text, thread_ts=thread_ts, sender="USLACKBOT")
        return Outcome(status, None, text)

    # --- a click --------------------------------------------------------------------------------

    def block_action(self, user: str, channel: str, source: dict[str, str], action: dict[str, Any],
                     state: dict[str, Any] | None = None) -> Outcome:
        """`source` is {"message": ts} or {"ephemeral": id}: the message holding the element."""
        if "ephemeral" in source:
            eph = self.ws.ephemeral(source["ephemeral"])
            if eph is None or eph["user"] != user:
                return Outcome(404, None, "That message is gone.")
            message_ts, thread_ts, message = eph["ts"], eph.get("thread_ts"), None
        else:
            found = self.ws.find(channel, source.get("message", ""))
            if found is None:
                return Outcome(404, None, "That message is gone.")
            message_ts, thread_ts = found["ts"], found.get("thread_ts")
            message = {"type": "message", "user": found["user"], "bot_id": found.get("bot_id"), "ts": found["ts"],
                       "text": found["text"], "blocks": found["blocks"], "team": TEAM_ID}
            if thread_ts:
                message["thread_ts"] = thread_ts
        token = self.ws.new_responder(channel=channel, user=user, thread_ts=thread_ts, source=source)
        container: dict[str, Any] = {"type": "message", "message_ts": message_ts, "channel_id": channel,
                                     "is_ephemeral": "ephemeral" in source}
        if thread_ts:
            container["thread_ts"] = thread_ts
        payload: dict[str, Any] = {
            "type": "block_actions", "user": self._user(user), "api_app_id": API_APP_ID,
            "token": "unused-verification-token", "container": container,
            "trigger_id": self.ws.new_trigger(user), "team": {"id": TEAM_ID, "domain": "acme-demo"},
            "enterprise": None, "is_enterprise_install": False,
            "channel": {"id": channel, "name": self._channel_name(channel)},
            "state": {"values": state or {}},
            "response_url": self.slack.response_url(token),
            "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
        }
        if message is not None:
            payload["message"] = message  # Slack leaves it out for ephemeral messages
        return self._interaction(payload, user, channel, thread_ts)

    def _interaction(self, payload: dict[str, Any], user: str, channel: str | None, thread_ts: str | None) -> Outcome:
        try:
            response = self._post(urlencode({"payload": json.dumps(payload)}))
        except httpx.HTTPError:
            return Outcome(0, None, "The app did not respond in time.")
        ack = self._ack_body(response)
        if response.status_code != 200:
            return Outcome(response.status_code, ack, "The app answered with an error.")
        if channel:
            self._show_ack(user, channel, thread_ts, ack if isinstance(ack, dict) and ack.get("text") else None)
        return Outcome(response.status_code, ack)

    # --- a modal ---------------------------------------------------------------------------------

    def view_submission(self, user: str, view_id: str, values: dict[str, dict[str, Any]]) -> Outcome:
        entry = self.ws.views.get(view_id)
        if entry is None or entry["user"] != user or not entry["open"]:
            return Outcome(404, None, "That dialog is closed.")
        view = dict(entry["view"])
        view["state"] = {"values": values}
        payload = {
            "type": "view_submission", "team": {"id": TEAM_ID, "domain": "acme-demo"}, "user": self._user(user),
            "api_app_id": API_APP_ID, "token": "unused-verification-token", "trigger_id": self.ws.new_trigger(user),
            "view": view, "response_urls": [], "is_enterprise_install": False, "enterprise": None,
        }
        outcome = self._interaction(payload, user, None, None)
        ack = outcome.ack if isinstance(outcome.ack, dict) else {}
        action = ack.get("response_action")
        if outcome.status != 200:
            return outcome  # Slack keeps the modal open and says it could not reach the app
        if action == "errors":
            return outcome  # the console shows ack["errors"] under the inputs
        if action in ("update", "push") and isinstance(ack.get("view"), dict):
            if action == "update":
                self.ws.update_view(view_id, None, ack["view"])
            else:
                self.ws.open_view(user, ack["view"])
            return outcome
        if action == "clear":
            for vid, e in self.ws.views.items():
                if e["user"] == user and e["open"]:
                    self.ws.close_view(vid)
            return outcome
        self.ws.close_view(view_id)
        return outcome

    def view_closed(self, user: str, view_id: str) -> Outcome:
        entry = self.ws.views.get(view_id)
        if entry is None or entry["user"] != user:
            return Outcome(404, None, "That dialog is closed.")
        self.ws.close_view(view_id)
        if not entry["view"].get("notify_on_close"):
            return Outcome(200)  # Slack tells the app only when the view asked for it
        payload = {"type": "view_closed", "team": {"id": TEAM_ID}, "user": self._user(user), "api_app_id": API_APP_ID,
                   "view": entry["view"], "is_cleared": False, "is_enterprise_install": False}
        return self._interaction(payload, user, None, None)
