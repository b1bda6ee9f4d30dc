"""The job view message, paged so that a job of any size stays within Slack's limits
(50 blocks, 3,000 characters a section): never cut silently, always "More"."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.app_links import AppLinks
from bot.greenhouse.models import Job, Role
from bot.greenhouse.models import ApplicationRow
from bot.workflows.job_view import JobView

from .common import MAX_BLOCKS, Message, actions, button, chunk_lines, context, day, divider, esc, header, plain, section
from .links import application_link, job_link

PAGE_SIZE = 50  # candidates per message at most (Slack's 50 blocks keep it lower): one names request of 50 ids
CLOSED_OPENINGS_LISTED = 5
ACTION_MORE = "job_view_more"
# What the view offers to do (issue 14 item 5): each opens the same draft as the slash command
# of that name; values are `<command>:<id>`, decoded in bot/slack/actions/values.py.
ACTION_CANDIDATE = "job_view_candidate"
ACTION_CLOSE_JOB = "job_view_close"
CANDIDATE_ACTIONS = (("Reject…", "reject"), ("Advance…", "advance"), ("Move…", "move"))
FUNNEL_WIDTH = 20  # characters of the longest bar
STALE_MARK = ":hourglass_flowing_sand:"

_ROLE_LABELS = {
    Role.HIRING_MANAGER: "Hiring managers",
    Role.RECRUITER: "Recruiters",
    Role.COORDINATOR: "Coordinators",
    Role.SOURCER: "Sourcers",
}


def ago(seconds: float) -> str:
    """How long ago, in words: "less than a minute ago", "about 5 minutes ago"."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "less than a minute ago"
    return "about 1 minute ago" if minutes == 1 else f"about {minutes} minutes ago"


def job_title(job: Job) -> str:
    return f"{job.name} ({job.id})"


def job_summary_blocks(job: Job, links: AppLinks | None = None) -> list[dict[str, Any]]:
    facts = [f"*Status:* {esc(job.status)}"]
    if links:  # a header cannot hold a link: the name, linked, opens the facts
        facts.insert(0, f"*In Greenhouse:* {job_link(links, job.id, job.name)}")
    if job.requisition_id:
        facts.append(f"*Requisition:* {esc(job.requisition_id)}")
    if job.departments:
        facts.append(f"*Department:* {esc(', '.join(job.departments))}")
    if job.offices:
        facts.append(f"*Office:* {esc(', '.join(job.offices))}")
    blocks = [header(job_title(job)), section("   ".join(facts))]
    team_lines = []
    for role, label in _ROLE_LABELS.items():
        names = [esc(m.name) + (" (responsible)" if m.responsible else "") for m in job.hiring_team if m.role == role]
        if names:
            team_lines.append(f"*{label}:* {', '.join(names)}")
    blocks.append(section("\n".join(team_lines) if team_lines else "*Hiring team:* nobody listed"))
    blocks.append(section(openings_text(job)))
    if job.left_out:
        blocks.append(context(f"Not shown: {esc(', '.join(job.left_out))} (Greenhouse did not give it this time)."))
    return blocks


def openings_text(job: Job) -> str:
    open_ = job.open_openings
    closed = [o for o in job.openings if not o.is_open]
    lines = [f"*Openings:* {len(open_)} open, {len(closed)} closed"]
    for o in open_[:20]:
        label = f" ({esc(o.opening_id)})" if o.opening_id else ""
        lines.append(f"• open `{o.id}`{label} since {day(o.opened_at)}")
    if len(open_) > 20:
        lines.append(f"• … and {len(open_) - 20} more open openings")
    if len(closed) <= CLOSED_OPENINGS_LISTED:
        for o in closed:
            reason = f" — {esc(o.close_reason.name)}" if o.close_reason else ""
            lines.append(f"• closed `{o.id}` on {day(o.closed_at)}{reason}")
    else:
        reasons = Counter(o.close_reason.name if o.close_reason else "no reason" for o in closed)
        summary = ", ".join(f"{n} {esc(name)}" for name, n in reasons.most_common())
        lines.append(f"• closed: {summary}")
    return "\n".join(lines)


def funnel_blocks(view: JobView) -> list[dict[str, Any]]:
    """The pipeline at a glance: one text bar per stage, longest = FUNNEL_WIDTH, any count ≥ 1 at least one cell."""
    stages = view.funnel
    if not stages:
        return []
    widest = max(s.count for s in stages)
    lines = ["*Pipeline*"]
    for s in stages:
        cells = max(1, round(s.count * FUNNEL_WIDTH / widest))
        lines.append(f"`{'█' * cells}{' ' * (FUNNEL_WIDTH - cells)}` {s.count}  {esc(s.stage)}")
    blocks = [section(c) for c in chunk_lines(lines)]
    if view.stale_ids:
        n = len(view.stale_ids)
        who = "candidate has" if n == 1 else "candidates have"
        blocks.append(context(f"{STALE_MARK} {n} {who} had no activity for {view.stale_days} days or more (marked below)."))
    return blocks


def candidate_menu(a: ApplicationRow) -> dict[str, Any]:
    """The overflow beside a candidate (at most 5 options; values far below 150 characters)."""
    return {"type": "overflow", "action_id": ACTION_CANDIDATE,
            "options": [{"text": plain(label, 75), "value": f"{command}:{a.id}"} for label, command in CANDIDATE_ACTIONS]}


def close_job_button(job: Job) -> dict[str, Any]:
    return actions(button("Close job…", ACTION_CLOSE_JOB, f"close:{job.id}"), block_id="job_actions")


def _candidate_line(view: JobView, a: ApplicationRow, links: AppLinks | None = None) -> str:
    line = f"• {application_link(links, a.candidate_id, a.id, view.name_of(a))} — application `{a.id}` — last activity {day(a.last_activity_at)}"
    return line + (f" {STALE_MARK} _no activity for {view.stale_days}+ days_" if a.id in view.stale_ids else "")


def candidates_on_page(view: JobView, offset: int = 0) -> list[ApplicationRow]:
    """The candidates the page starting at `offset` shows (none for an outsider): the ones
    whose names must be known before `job_view_blocks` renders it (JobViews.named)."""
    if not view.may_see_candidates:
        return []
    return _page(view, offset, len(_head_blocks(view, offset, None)))


def _head_blocks(view: JobView, offset: int, links: AppLinks | None) -> list[dict[str, Any]]:
    """What precedes the candidates: on the first page the job summary, its close button
    and the funnel; on the others the job's title."""
    job = view.job
    blocks: list[dict[str, Any]] = job_summary_blocks(job, links) if offset == 0 else [header(job_title(job))]
    if offset == 0:
        if job.open_openings:
            blocks.append(close_job_button(job))
        blocks.append(divider())
        blocks += funnel_blocks(view)
    return blocks


def _page(view: JobView, offset: int, head: int) -> list[ApplicationRow]:
    # One section per candidate (its overflow menu is the section's accessory), the stage's name
    # heading the first of its group on a page; leave room for the "showing" line and the More button.
    budget = max(MAX_BLOCKS - head - 3, 1)
    return view.by_stage_order[offset : offset + min(PAGE_SIZE, budget)]


def job_view_blocks(view: JobView, offset: int = 0, links: AppLinks | None = None) -> Message:
    """Blocks for one page of the view, starting at candidate `offset`, and the
    notification text. The first page carries the job summary. `links`: the job's and
    candidates' names link to their pages in Greenhouse. The page's names come from the
    view: name it first (JobViews.named with `candidates_on_page`)."""
    job = view.job
    if not view.may_see_candidates:
        # (A confidential job never gets here for an outsider: JobViews answers as if it did not exist.)
        blocks = job_summary_blocks(job, links)
        blocks.append(context("Candidates are shown only to this job's hiring team and to bot admins."))
        if view.team_read_ago_s is not None:  # refused on the mirror's team, not read now (decision 0017)
            blocks.append(context(
                f"You are not on this job's hiring team as Greenhouse listed it {ago(view.team_read_ago_s)}. "
                f"If you were added since, run `/greenhouse job {job.id}` again and I will check with Greenhouse."))
        return Message(esc(job_title(job)), blocks)

    blocks = _head_blocks(view, offset, links)
    total = len(view.applications)
    if total == 0:
        blocks.append(section("*Active candidates:* none"))
        return Message(f"{esc(job_title(job))}: no active candidates", blocks)

    page = _page(view, offset, len(blocks))
    stage_blocks: list[dict[str, Any]] = []
    previous: str | None = None
    for a in page:
        stage = a.stage or "No stage"
        line = _candidate_line(view, a, links)
        text = f"*{esc(stage)}*\n{line}" if stage != previous else line
        previous = stage
        stage_blocks.append({**section(text), "accessory": candidate_menu(a)})
    shown = len(stage_blocks)

    start, end = offset + 1, offset + shown
    blocks.append(section(f"*Active candidates:* {total}" + (f" (showing {start}–{end})" if total > shown else "")))
    blocks += stage_blocks
    if end < total:
        blocks.append(context(f"Showing {start}–{end} of {total}. More candidates follow."))
        blocks.append(actions(button(f"More ({total - end} left)", ACTION_MORE, f"{job.id}:{end}")))
    return Message(f"{esc(job_title(job))}: {total} active candidates", blocks)
