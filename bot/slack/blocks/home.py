"""The App Home tab: pure builders from `bot.workflows.home.HomeTab` to a view.

Slack holds a Home view to 100 blocks; lists are cut with a line that says how many
were left out and where to see them all."""

from __future__ import annotations

from typing import Any

from bot.workflows.home import HomeTab
from bot.workflows.requests import Request

from .common import actions, button, context, divider, header, section
from .requests import approve_confirm, status_line, title

HOME_APPROVE = "home_approve"
HOME_RETRY = "home_retry"
HOME_DENY = "home_deny"
MAX_HOME_BLOCKS = 100
_RESERVED = 3  # room kept for the "… and N more" line and the footer


def home_view(tab: HomeTab) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [header("Greenhouse")]
    if not tab.mapped and tab.unmapped_because is not None:
        blocks.append(section(f":warning: {tab.unmapped_because}"))
    if tab.empty:
        blocks += [section("Nothing waits for you here: no request for your approval, and none of yours."),
                   context("Try `/greenhouse job <job id>` to see a job, `/greenhouse close <job>` or "
                           "`/greenhouse reject <application id>` to ask for a change, `/greenhouse help` for the rest.")]
        return {"type": "home", "blocks": blocks}
    blocks += _listed("Waiting for your approval", tab.waiting, _waiting_blocks, blocks, reserve=_RESERVED + 4)
    blocks += _listed("Your requests", tab.mine, _mine_blocks, blocks, reserve=_RESERVED)
    blocks.append(context("`/greenhouse pending` lists every open request you made or may approve."))
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def _listed(heading: str, items: list[Request], draw: Any, so_far: list[dict[str, Any]], *, reserve: int) -> list[dict[str, Any]]:
    if not items:
        return []
    out: list[dict[str, Any]] = [divider(), section(f"*{heading}* ({len(items)})")]
    shown = 0
    for r in items:
        more = draw(r)
        if len(so_far) + len(out) + len(more) > MAX_HOME_BLOCKS - reserve:
            break
        out += more
        shown += 1
    if shown < len(items):
        out.append(context(f"… and {len(items) - shown} more: `/greenhouse pending`."))
    return out


def _waiting_blocks(r: Request) -> list[dict[str, Any]]:
    decide = (button("Retry", HOME_RETRY, r.id, style="primary", confirm=approve_confirm(r)) if r.state == "failed"
              else button("Approve", HOME_APPROVE, r.id, style="primary", confirm=approve_confirm(r)))
    return [section(f"{title(r)}\nAsked by <@{r.requester}>. {status_line(r)}"),
            actions(decide, button("Deny", HOME_DENY, r.id))]


def _mine_blocks(r: Request) -> list[dict[str, Any]]:
    where = f" In <#{r.channel}>." if r.channel else ""
    return [section(f"{title(r)}\n{status_line(r)}{where}")]
