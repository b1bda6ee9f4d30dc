"""The requester's messages for a stage move: the draft (the stage menu; Request approval,
or — when moves need no approval — Move with a confirm dialog) and the outcome of their
own confirm."""

from __future__ import annotations

from typing import Any

from bot.greenhouse.models import Stage
from bot.workflows.requests import Request

from .common import Message, actions, button, context, plain, section
from .requests import (
    ACTION_DRAFT_CANCEL, ACTION_DRAFT_SUBMIT, MAX_OPTIONS, approve_confirm, status_line, title, what_will_happen,
)

ACTION_MOVE_CONFIRM = "move_confirm"
ACTION_MOVE_STAGE = "move_stage"


def stage_menu(r: Request, stages: list[Stage]) -> dict[str, Any]:
    """The job's other stages, in pipeline order; each option carries `<request id>|<stage id>`."""
    options = [{"text": plain(s.name, 75), "value": f"{r.id}|{s.id}"} for s in stages[:MAX_OPTIONS]]
    menu: dict[str, Any] = {"type": "static_select", "action_id": ACTION_MOVE_STAGE,
                            "placeholder": plain("Move to stage…", 150), "options": options}
    chosen = next((o for o in options if o["value"] == f"{r.id}|{r.to_stage_id}"), None)
    if chosen:
        menu["initial_option"] = chosen
    return menu


def move_draft_blocks(r: Request, stages: list[Stage]) -> list[dict[str, Any]]:
    buttons = [button("Cancel", ACTION_DRAFT_CANCEL, r.id)]
    if r.to_stage_id is not None:
        go = button("Request approval", ACTION_DRAFT_SUBMIT, r.id, style="primary") if r.needs_approval else \
            button("Move", ACTION_MOVE_CONFIRM, r.id, style="primary", confirm=approve_confirm(r))
        buttons.insert(0, go)
    note = "Nothing is written to Greenhouse until a recruiter or coordinator of the job approves." if r.needs_approval \
        else "Stage moves need no approval here: the move is made in your name when you confirm."
    blocks = [section(f"{title(r)}\n{what_will_happen(r)}")]
    if stages:
        blocks.append(actions(stage_menu(r, stages), block_id="draft_choices"))
    blocks += [actions(*buttons, block_id="draft_buttons"), context(note)]
    return blocks


def own_move_outcome(r: Request) -> Message:
    """What the requester sees after confirming their own move; Retry when it did not complete."""
    blocks = [section(title(r)), context(status_line(r))]
    if r.state == "failed":
        blocks.insert(1, actions(button("Retry", ACTION_MOVE_CONFIRM, r.id, style="primary", confirm=approve_confirm(r)),
                                 block_id="draft_buttons"))
    return Message(f"Move: {r.state}", blocks)
