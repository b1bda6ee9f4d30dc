"""Telling people that a job closed, over Slack: request threads, watching
channels, DMs. The Slack side of `bot/workflows/autoclose.py`'s ClosingNotices.

Each post is independent: one failure (the bot was removed from a channel, a
user left) is logged by channel ID and error code only, and the others still go
out. The announcement was already claimed, so a failed post is not retried —
a duplicate notice would be worse than a missing one in a channel that
removed the bot.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.app_links import AppLinks
from bot.identity import Identity
from bot.slack.blocks.autoclose import closing_notice
from bot.workflows.autoclose import Announcement

log = logging.getLogger("bot.notify")


class SlackClosingNotices:
    def __init__(self, client: WebClient, identity: Identity, *, dm: bool, links: AppLinks | None = None) -> None:
        self.client = client
        self.links = links  # the job's name links to Greenhouse
        self.identity = identity
        self.dm = dm  # BOT_NOTIFY_DM: also tell hiring managers and recruiters directly

    def deliver(self, a: Announcement) -> int:
        """Post the notice everywhere it belongs; returns how many posts succeeded."""
        notice = closing_notice(a, self.links)
        targets: list[tuple[str, str, dict[str, Any]]] = []
        for channel, ts in a.threads:
            targets.append(("thread", channel, {"thread_ts": ts}))
        for channel in a.watch_channels:
            targets.append(("watch", channel, {}))
        if self.dm:
            for slack_id in self._dm_recipients(a):
                targets.append(("dm", slack_id, {}))
        sent = 0
        for kind, channel, extra in targets:
            try:
                self.client.chat_postMessage(channel=channel, text=notice.text, blocks=notice.blocks, unfurl_links=False,
                                            **extra)
                sent += 1
            except SlackApiError as exc:
                log.warning("autoclose_post_failed job_id=%s kind=%s channel=%s error=%s",
                            a.job_id, kind, channel, exc.response.get("error"))
            except Exception:  # noqa: BLE001 - a network error on one post must not stop the rest
                log.exception("autoclose_post_error job_id=%s kind=%s channel=%s", a.job_id, kind, channel)
        log.info("autoclose_announced job_id=%s cause=%s posts=%s of=%s", a.job_id, a.cause.kind, sent, len(targets))
        return sent

    def _dm_recipients(self, a: Announcement) -> list[str]:
        found: list[str] = []
        for gh_id in a.notify_user_ids:
            try:
                slack_id = self.identity.slack_user_for(gh_id)
            except Exception:  # noqa: BLE001 - one unknown user must not stop the others
                log.warning("autoclose_dm_lookup_failed job_id=%s greenhouse_user_id=%s", a.job_id, gh_id)
                continue
            if slack_id and slack_id not in found:
                found.append(slack_id)
        return found
