"""Identity's view of Slack: a user's email, and the user behind an email."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger("bot.slack")


class SlackDirectory:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def email_of(self, slack_user_id: str) -> str | None:
        try:
            user = self.client.users_info(user=slack_user_id)["user"]
        except SlackApiError as exc:
            log.warning("users.info failed: %s", exc.response.get("error"))
            return None
        if user.get("deleted") or user.get("is_bot"):
            return None
        return (user.get("profile") or {}).get("email") or None

    def user_for_email(self, email: str) -> str | None:
        try:
            user = self.client.users_lookupByEmail(email=email)["user"]
        except SlackApiError as exc:
            if exc.response.get("error") != "users_not_found":
                log.warning("users.lookupByEmail failed: %s", exc.response.get("error"))
            return None
        return None if user.get("deleted") else user.get("id")
