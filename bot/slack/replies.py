"""Turning any failure into one clear sentence for the person who asked."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from slack_sdk.errors import SlackApiError

from bot.greenhouse.errors import GreenhouseError
from bot.identity import IdentityProblem
from bot.slack.blocks.common import esc
from bot.slack.blocks.requests import not_open_sentence
from bot.workflows.errors import UserFacingError
from bot.workflows.requests import NotOpen

log = logging.getLogger("bot.slack")


def sentence_for(exc: BaseException) -> str | None:
    if isinstance(exc, NotOpen):
        return not_open_sentence(exc.request)
    if isinstance(exc, UserFacingError):
        return exc.render(esc)  # Greenhouse's text in it (a job's name) is escaped here, once
    if isinstance(exc, IdentityProblem):
        return str(exc)
    if isinstance(exc, GreenhouseError):
        return exc.user_message()
    return None


def run_safely(work: Callable[[], None], reply: Callable[[str], None], *, what: str | Callable[[], str]) -> None:
    """Run `work`; on failure tell the user in one sentence and log without PII.
    `what` names the work in the log (a function: named once the work knows itself)."""
    try:
        work()
    except Exception as exc:  # noqa: BLE001 - every failure must reach the user as a sentence
        what = what if isinstance(what, str) else what()
        text = sentence_for(exc)
        if text is None:
            ref = uuid.uuid4().hex[:8]
            if isinstance(exc, SlackApiError):
                log.error("slack_api_error what=%s error=%s ref=%s", what, exc.response.get("error"), ref)
            else:
                log.exception("unexpected_error what=%s ref=%s", what, ref)
            # Not "nothing was changed": this may come after a write (the request's own
            # message says what Greenhouse did); a reference lets an admin find the log line.
            text = f"Something went wrong on my side (reference `{ref}`)."
        else:
            log.info("user_error what=%s kind=%s", what, type(exc).__name__)
        try:
            reply(text)
        except Exception:  # noqa: BLE001
            log.exception("could not deliver error reply what=%s", what)
