"""The "job is now closed" notice. Pure: an Announcement in, a Message out.

No candidate names ever appear here: the notice goes to watching channels that
may be wider than the hiring team.
"""

from __future__ import annotations

import re

from bot.app_links import AppLinks
from bot.workflows.autoclose import Announcement, Cause

from .common import Message, esc, section, slack_date
from .links import job_link

SLACK_ID_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")


def cause_text(cause: Cause) -> str:
    if cause.kind == "request":
        who = cause.approved_by
        # Only a well-formed user ID becomes a mention; anything else stays out.
        by = f", approved by <@{who}>" if who and SLACK_ID_RE.match(who) else ""
        return f"by the bot's approved request{by}"
    if cause.kind == "hire":
        return "after a hire"
    reason = f", reason: {esc(cause.close_reason)}" if cause.close_reason else ""
    return f"closed in Greenhouse{reason}"


def closing_notice(a: Announcement, links: AppLinks | None = None) -> Message:
    """`links`: the job's name links to its page in Greenhouse."""
    text = (
        f"*{job_link(links, a.job_id, a.job_name)} ({a.job_id})* is now closed — its last opening was closed "
        f"{slack_date(a.closed_at)} ({cause_text(a.cause)})."
    )
    return Message(text, [section(text)])
