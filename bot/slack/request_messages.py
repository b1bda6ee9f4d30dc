"""Putting requests in Slack: post the request and its thread, keep both up to
date with the state, and tell the requester."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.app_links import AppLinks
from bot.identity import Identity
from bot.workflows.errors import UserFacingError
from bot.workflows.requests import Request, Requests

from .blocks.requests import (
    reminder_sent_notice,
    reminder_text,
    request_message,
    requester_notice,
    status_line,
    thread_message,
)
from .progress import PROGRESS_EVERY_S, ProgressLine

log = logging.getLogger("bot.slack")
RETRY_PAUSE_S = 0.5  # before a failed update of a request message is sent again

_ADVICE = {
    "channel_not_found": "I can't find the channel <#{channel}>: ask an admin to check BOT_APPROVALS_CHANNEL.",
    "not_in_channel": "I'm not in <#{channel}>: invite me there (`/invite @greenhouse`) and ask again.",
    "is_archived": "<#{channel}> is archived: ask an admin to set another BOT_APPROVALS_CHANNEL.",
    "ratelimited": "Slack is rate-limiting me right now: please ask again in a minute.",
}


def slack_advice(exc: SlackApiError, channel: str) -> str:
    error = exc.response.get("error") if exc.response is not None else "unknown"
    return _ADVICE.get(error, "Slack refused the message ({error}).").format(channel=channel, error=error)


def is_public(client: WebClient, channel: str) -> bool:
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except SlackApiError:
        return False  # cannot tell; no warning rather than a wrong one
    return not (info.get("is_private") or info.get("is_im") or info.get("is_mpim"))


class RequestMessages:
    def __init__(self, client: WebClient, identity: Identity, requests: Requests, approvals_channel: str | None,
                 links: AppLinks | None = None) -> None:
        self.client = client
        self.links = links  # names in the request message link to Greenhouse
        self.identity = identity
        self.requests = requests
        self.approvals_channel = approvals_channel
        self.progress_every_s = PROGRESS_EVERY_S  # how often a long execution redraws its progress line

    def is_public(self, channel: str) -> bool:
        return is_public(self.client, channel)

    def approver_mentions(self, r: Request) -> list[str]:
        found = (self.identity.slack_user_for(gh) for gh in r.approver_gh_ids)
        return list(dict.fromkeys(s for s in found if s))

    def post(self, r: Request) -> Request:
        """draft → posting → requested, with both messages posted; or discarded, with
        nothing left behind, and a sentence for the requester saying what to do. Only
        the first of several clicks on *Request approval* posts (the draft → posting claim)."""
        r = self.requests.begin_posting(r.id)
        channel = self.approvals_channel or r.origin_channel
        main_ts = None
        try:
            # Both messages show the request as it will be once posted ("Waiting for approval"),
            # not the draft it still is in the store until mark_posted.
            shown = r.model_copy(update={"state": "requested"})
            request_msg = request_message(shown, public_channel=self.is_public(channel), links=self.links)
            main = self.client.chat_postMessage(channel=channel, text=request_msg.text, blocks=request_msg.blocks,
                                                unfurl_links=False)
            main_ts, channel = main["ts"], main["channel"] or channel
            thread_msg = thread_message(shown, self.approver_mentions(r))
            thread = self.client.chat_postMessage(channel=channel, thread_ts=main_ts, text=thread_msg.text,
                                                  blocks=thread_msg.blocks)
        except Exception as exc:  # noqa: BLE001 - a Slack error or no answer at all: nothing half-made either way
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
            log.warning("request_post_failed request=%s error=%s", r.id, error)
            if main_ts:
                try:
                    self.client.chat_delete(channel=channel, ts=main_ts)
                except Exception:  # noqa: BLE001
                    log.warning("request_post_cleanup_failed request=%s", r.id)
            self.requests.discard(r.id, f"post failed: {error}", posting=True)
            advice = slack_advice(exc, channel) if isinstance(exc, SlackApiError) else "Slack did not answer in time."
            raise UserFacingError(advice + " Your request was not posted.") from None
        return self.requests.mark_posted(r.id, channel, main_ts, thread["ts"], self.permalink(r.id, channel, main_ts))

    def permalink(self, request_id: str, channel: str, ts: str) -> str | None:
        """Slack's own link to the request message (for the requester's App Home), asked once at
        posting: no scope needed, a generous rate limit. Best-effort: without it the tab names the channel."""
        try:
            link = self.client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink")
        except Exception as exc:  # noqa: BLE001 - a Slack error or no answer: the request stands without it
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
            log.warning("request_permalink_failed request=%s error=%s", request_id, error)
            return None
        return link if isinstance(link, str) else None

    def refresh(self, r: Request) -> None:
        """Bring both messages in line with the request's state (buttons go once decided).
        Never raises: a failed update is tried again, and for a decided request then
        replaced by a new reply in the thread, so nobody is left reading an old state."""
        if not (r.channel and r.message_ts):
            return
        until = self.requests.undo_deadline(r) if self.requests.undoable(r) else None  # the Undo button, while it lasts
        for ts, (t, b) in ((r.message_ts, request_message(r, undo_until=until, links=self.links)),
                           (r.thread_ts, thread_message(r, self.approver_mentions(r), undo_until=until))):
            if not ts or self._send("chat_update", r.id, channel=r.channel, ts=ts, text=t, blocks=b):
                continue
            if r.state in ("executing", "undoing"):
                continue  # a passing state: the next update says how it ended
            new = self._send("chat_postMessage", r.id, channel=r.channel, thread_ts=r.message_ts, text=t, blocks=b)
            if new is not None and ts == r.thread_ts:
                self.requests.move_thread_message(r.id, new["ts"])  # later updates go to the replacement

    def progress_line(self) -> ProgressLine:
        """For one execution: redraws the request message as writes land, throttled."""
        return ProgressLine(self.show_progress, status_line, every_s=self.progress_every_s)

    def show_progress(self, r: Request) -> None:
        """The request message only (the thread holds no buttons while executing); a failed
        update is left for the next one or the final settle."""
        if r.channel and r.message_ts:
            t, b = request_message(r)
            self._send("chat_update", r.id, channel=r.channel, ts=r.message_ts, text=t, blocks=b)

    def tell_requester(self, r: Request) -> None:
        self._send("chat_postMessage", r.id, channel=r.requester, text=requester_notice(r))

    def remind(self, r: Request) -> None:
        if not (r.channel and r.message_ts):
            return
        mentions = " ".join(f"<@{a}>" for a in self.approver_mentions(r)) or "A bot admin"
        text = reminder_text(r, mentions)
        if self._send("chat_postMessage", r.id, channel=r.channel, thread_ts=r.message_ts, text=text) is not None:
            self._send("chat_postMessage", r.id, channel=r.requester, text=reminder_sent_notice(r))

    def settle(self, r: Request) -> None:
        self.refresh(r)
        self.tell_requester(r)

    def _send(self, method: str, request_id: str, **params: object) -> Any:
        """One Web API call, tried twice; the answer, or None (logged) if Slack refused or did not answer."""
        for attempt in (1, 2):
            try:
                return getattr(self.client, method)(**params)
            except Exception as exc:  # noqa: BLE001 - SlackApiError, or a network error that is not one
                error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
                log.warning("request_message_failed request=%s method=%s attempt=%d error=%s", request_id, method, attempt, error)
                if attempt == 1:
                    time.sleep(RETRY_PAUSE_S)
        return None
