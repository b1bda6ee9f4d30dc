"""Turning any failure into one clear sentence for the person who asked."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from slack_sdk.errors import SlackApiError

from bot.greenhouse.errors import GreenhouseError
from bot.identity import IdentityProblem
from bot.workflows.errors import UserFacingError

log = logging.getLogger("bot.slack")


def sentence_for(exc: BaseException) -> str | None:
    if isinstance(exc, UserFacingError | IdentityProblem):
        return str(exc)
    if isinstance(exc, GreenhouseError):
        return exc.user_message()
    return None


def run_safely(work: Callable[[], None], reply: Callable[[str], None], *, what: str) -> None:
    """Run `work`; on failure tell the user in one sentence and log without PII."""
    try:
        work()
    except Exception as exc:  # noqa: BLE001 - every failure must reach the user as a sentence
        text = sentence_for(exc)
        if text is None:
            ref = uuid.uuid4().hex[:8]
            if isinstance(exc, SlackApiError):
                log.error("slack_api_error what=%s error=%s ref=%s", what, exc.response.get("error"), ref)
            else:
                log.exception("unexpected_error what=%s ref=%s", what, ref)
            text = f"Something went wrong on my side (reference `{ref}`); nothing was changed in Greenhouse by this step."
        else:
            log.info("user_error what=%s kind=%s", what, type(exc).__name__)
        try:
            reply(text)
        except Exception:  # noqa: BLE001
            log.exception("could not deliver error reply what=%s", what)
