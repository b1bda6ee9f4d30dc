"""The requester's messages for a stage move: the draft (Request approval, or — when moves
need no approval — Move with a confirm dialog) and the outcome of their own confirm."""

from __future__ import annotations

from typing import Any

from bot.workflows.requests import Request

from .common import Message, actions, button, context, section
from .requests import ACTION_DRAFT_CANCEL, ACTION_DRAFT_SUBMIT, approve_confirm, status_line, title, what_will_happen

ACTION_MOVE_CONFIRM = "move_confirm"


def move_draft_blocks(r: Request) -> list[dict[str, Any]]:
    if r.needs_approval:
        go = button("Request approval", ACTION_DRAFT_SUBMIT, r.id, style="primary")
        note = "Nothing is written to Greenhouse until a recruiter or coordinator of the job approves."
    else:
        go = button("Move", ACTION_MOVE_CONFIRM, r.id, style="primary", confirm=approve_confirm(r))
        note = "Stage moves need no approval here: the move is made in your name when you confirm."
    return [
        section(f"{title(r)}\n{what_will_happen(r)}"),
        actions(go, button("Cancel", ACTION_DRAFT_CANCEL, r.id), block_id="draft_buttons"),
        context(note),
    ]


def own_move_outcome(r: Request) -> Message:
    """What the requester sees after confirming their own move; Retry when it did not complete."""
    blocks = [section(title(r)), context(status_line(r))]
    if r.state == "failed":
        blocks.insert(1, actions(button("Retry", ACTION_MOVE_CONFIRM, r.id, style="primary", confirm=approve_confirm(r)),
                                 block_id="draft_buttons"))
    return Message(f"Move: {r.state}", blocks)
