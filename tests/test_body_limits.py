"""Oversized bodies are refused before they are read: 413, whatever the signature."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

from werkzeug.test import EnvironBuilder, run_wsgi_app

from bot.greenhouse_webhook import MAX_BODY as WEBHOOK_MAX_BODY
from bot.web import SLACK_MAX_BODY
from tests.autoclose_support import WEBHOOK_SECRET, deliver
from tests.conftest import Bot


class CountingStream(io.RawIOBase):
    """A body of `size` bytes that counts how much of it the app read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"a" * n
        self.read_bytes += n
        return n


def post_stream(bot: Any, path: str, body: CountingStream, *, declared: bool, headers: dict[str, str]) -> Any:
    """POST `body` as a WSGI server would hand it on: with its Content-Length, or chunked
    (no Content-Length; the server terminates the stream, `wsgi.input_terminated`)."""
    environ = EnvironBuilder(path=path, method="POST", headers=headers).get_environ()
    environ["wsgi.input"] = body
    if declared:
        environ["CONTENT_LENGTH"] = str(body.size)
    else:
        environ.pop("CONTENT_LENGTH", None)
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
    _, status, _ = run_wsgi_app(bot.web.application, environ)
    return int(status.split()[0])


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_declared_oversize_slack_body_is_413_without_reading_it(bot, slack, gh):
    body = CountingStream(SLACK_MAX_BODY * 512)
    resp = post_stream(bot, "/slack/events", body, declared=True, headers=FORM)
    assert resp == 413
    assert body.read_bytes == 0
    assert gh.calls == [] and slack.calls == []


def test_chunked_oversize_slack_body_stops_at_the_limit(bot, slack, gh):
    body = CountingStream(SLACK_MAX_BODY * 512)
    resp = post_stream(bot, "/slack/events", body, declared=False, headers=FORM)
    assert resp == 413
    assert body.read_bytes <= SLACK_MAX_BODY + 64 * 1024
    assert gh.calls == [] and slack.calls == []


def test_a_signed_command_just_under_the_limit_is_still_served(bot, slack):
    # Padding in a field the bot ignores: the command is handled as usual.
    body = urlencode({"command": "/greenhouse", "text": "help", "user_id": "UHM", "channel_id": "C1",
                      "team_id": "T1", "response_url": slack.response_url("x"), "trigger_id": "1",
                      "pad": "x" * (SLACK_MAX_BODY - 1000)})
    assert len(body) < SLACK_MAX_BODY
    resp = bot.post_signed(body)
    assert resp.status_code == 200 and "usage" in resp.get_data(as_text=True)


def test_oversize_webhook_bodies_are_413_declared_or_chunked(tmp_path, slack, gh):
    hooked = Bot.build(tmp_path, slack, gh, greenhouse_webhook_secret=WEBHOOK_SECRET)
    headers = {"Content-Type": "application/json", "Signature": "sha256 00"}
    for declared in (True, False):
        body = CountingStream(WEBHOOK_MAX_BODY * 64)
        resp = post_stream(hooked, "/greenhouse/webhook", body, declared=declared, headers=headers)
        assert resp == 413, declared
        assert body.read_bytes <= WEBHOOK_MAX_BODY + 64 * 1024
    assert deliver(hooked, {"action": "ping", "payload": {"web_hook_id": 1}}).status_code == 200
