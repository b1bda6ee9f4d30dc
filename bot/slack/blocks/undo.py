"""Undo of a rejection in Slack: the button with its confirm dialog, and the wording of
the states it leads to (bot/workflows/requests/undo.py). Pure builders."""

from __future__ import annotations

from typing import Any

from bot.workflows.requests import Request

from .common import actions, button, confirm_dialog, esc, slack_date

ACTION_UNDO = "request_undo"
_CONFIRM_MAX = 300  # Block Kit: a confirmation dialog's text


def undo_actions(r: Request, until: float) -> dict[str, Any]:
    """The Undo button, offered until `until` (said beside it in the request message)."""
    return actions(button("Undo rejection", ACTION_UNDO, r.id, confirm=undo_confirm(r)), block_id="undo")


def undo_confirm(r: Request) -> dict[str, Any]:
    """The dialog before the unreject. If an email went out with the rejection it says it
    stays sent; that sentence is never cut (the name is shortened instead)."""
    email = (" The rejection email was already sent to the candidate and cannot be unsent."
             if r.email_template_id else "")
    for limit in (None, 60, 30, 12):
        name = str(r.candidate_name or "the candidate")
        if limit is not None and len(name) > limit:
            name = name[: limit - 1] + "…"
        text = (f"Make {esc(name)} (application {r.application_id}) active again on this job? "
                f"Greenhouse records it as done by you.{email}")
        if len(text) <= _CONFIRM_MAX:
            break
    return confirm_dialog("Undo this rejection?", text, "Undo rejection", style="danger")


def undo_window_note(until: float) -> str:
    return f"The approver who decided this or a bot admin can undo it until {slack_date(until)}."


def undo_status(r: Request) -> str | None:
    """The status line of an undoing or undone request; None for other states."""
    rejected = f"Rejected (approved by <@{r.decided_by}> {slack_date(r.decided_at)})"
    who = f"{esc(r.candidate_name)} (application {r.application_id})"
    if r.state == "undoing":
        return f":leftwards_arrow_with_hook: {rejected}; <@{r.undone_by}> is undoing it in Greenhouse…"
    if r.state == "undone":
        email = " The rejection email had been sent and was not unsent." if r.email_template_id else ""
        return (f":leftwards_arrow_with_hook: {rejected}, then undone by <@{r.undone_by}> {slack_date(r.undone_at)}: "
                f"{who} is active again.{email}")
    return None


def undo_failed(r: Request) -> str:
    """Appended to a done rejection whose undo Greenhouse refused."""
    if not r.undo_error:
        return ""
    return f" Undo by <@{r.undone_by}> did not happen: {esc(r.undo_error)}"


def undo_not_open(r: Request) -> str | None:
    """Why a click came too late, for the undo states."""
    if r.state == "undoing":
        return f"<@{r.undone_by}> is undoing this rejection right now."
    if r.state == "undone":
        return f"Already undone by <@{r.undone_by}>."
    return None
