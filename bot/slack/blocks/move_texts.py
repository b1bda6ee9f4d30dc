"""The words of a stage-move request (bot/workflows/requests/moves.py), for the builders
of bot/slack/blocks/requests.py: every name from Greenhouse escaped here."""

from __future__ import annotations

from typing import Any

from bot.app_links import AppLinks
from bot.workflows.requests import Request

from .common import confirm_dialog, esc
from .links import application_link, job_link


def _short(text: object, limit: int | None) -> str:
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 1)] + "…"
    return esc(text)


def title(r: Request, links: AppLinks | None = None) -> str:
    """With `links`, the job's and the candidate's names link to their pages in Greenhouse."""
    who = application_link(links, r.candidate_id, r.application_id, r.candidate_name)
    return (f"*Move application* `{r.application_id}` — {who} — {job_link(links, r.job_id, r.job_name)} ({r.job_id}), "
            f"{esc(r.stage)} → {esc(r.to_stage_name or '?')}")


def what_will_happen(r: Request, names: int | None = None) -> str:
    if r.to_stage_name is None:
        return f"It is in *{_short(r.stage, names)}*: pick the stage to move it to."
    return f"The application will move from *{_short(r.stage, names)}* to *{_short(r.to_stage_name, names)}*."


def decided_as(r: Request) -> str:
    """How the status line names the decision: a move that needed no approval was confirmed
    by its own requester, not approved."""
    return "Confirmed" if r.kind == "move_application" and not r.needs_approval else "Approved"


def outcome_summary(r: Request) -> str:
    who = f"{esc(r.candidate_name)} (application {r.application_id})"
    if r.results.get(str(r.application_id)) != "moved":
        return f"{who} was not moved."
    return f"{who} was moved to {esc(r.to_stage_name)}."


def plain_title(r: Request) -> str:
    return f"move application {r.application_id} to {esc(r.to_stage_name)} on {esc(r.job_name)} ({r.job_id})"


def confirm(r: Request, limit: int) -> dict[str, Any]:
    """The dialog before the write; names shortened, as far as needed, to fit Slack's limit."""
    for names in (None, 80, 40, 20, 8):
        text = f"Move {_short(r.candidate_name, names)} (application {r.application_id}): {what_will_happen(r, names)}"
        if len(text) <= limit:
            break
    return confirm_dialog("Move this application?", text, "Move")


def not_open_own_move(r: Request) -> str | None:
    """Why a second click on a move its requester confirms came too late (None: say it as for
    any request)."""
    if r.needs_approval or r.state not in ("executing", "done"):
        return None
    if r.state == "executing":
        return f"Already confirmed by <@{r.decided_by}>; the move is being made now."
    return f"Already confirmed by <@{r.decided_by}> and done: {outcome_summary(r)}"
