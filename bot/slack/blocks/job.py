"""The job view message, paged so that a job of any size stays within Slack's limits
(50 blocks, 3,000 characters a section): never cut silently, always "More"."""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import Any

from bot.app_links import AppLinks
from bot.greenhouse.models import Job, Role
from bot.greenhouse.models import ActiveApplication
from bot.workflows.job_view import JobView

from .common import MAX_BLOCKS, Message, actions, button, chunk_lines, context, day, divider, esc, header, section
from .links import application_link, job_link

PAGE_SIZE = 100  # candidates per message
CLOSED_OPENINGS_LISTED = 5
ACTION_MORE = "job_view_more"
FUNNEL_WIDTH = 20  # characters of the longest bar
STALE_MARK = ":hourglass_flowing_sand:"

_ROLE_LABELS = {
    Role.HIRING_MANAGER: "Hiring managers",
    Role.RECRUITER: "Recruiters",
    Role.COORDINATOR: "Coordinators",
    Role.SOURCER: "Sourcers",
}


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


def _candidate_line(view: JobView, a: ActiveApplication, links: AppLinks | None = None) -> str:
    line = f"• {application_link(links, a.candidate_id, a.id, a.candidate_name)} — application `{a.id}` — last activity {day(a.last_activity_at)}"
    return line + (f" {STALE_MARK} _no activity for {view.stale_days}+ days_" if a.id in view.stale_ids else "")


def job_view_blocks(view: JobView, offset: int = 0, links: AppLinks | None = None) -> Message:
    """Blocks for one page of the view, starting at candidate `offset`, and the
    notification text. The first page carries the job summary. `links`: the job's and
    candidates' names link to their pages in Greenhouse."""
    job = view.job
    if not view.may_see_candidates:
        # (A confidential job never gets here for an outsider: JobViews answers as if it did not exist.)
        blocks = job_summary_blocks(job, links)
        blocks.append(context("Candidates are shown only to this job's hiring team and to bot admins."))
        return Message(esc(job_title(job)), blocks)

    blocks: list[dict[str, Any]] = job_summary_blocks(job, links) if offset == 0 else [header(job_title(job))]
    apps = view.by_stage_order
    total = len(apps)
    if offset == 0:
        blocks.append(divider())
        blocks += funnel_blocks(view)
    if total == 0:
        blocks.append(section("*Active candidates:* none"))
        return Message(f"{esc(job_title(job))}: no active candidates", blocks)

    # Leave room for the heading, the "showing" line and the More button.
    budget = MAX_BLOCKS - len(blocks) - 3
    page = apps[offset : offset + PAGE_SIZE]
    stage_blocks: list[dict[str, Any]] = []
    shown = 0
    for stage, group in groupby(page, key=lambda a: a.stage or "No stage"):
        lines = [f"*{esc(stage)}*"]
        members = list(group)
        for a in members:
            lines.append(_candidate_line(view, a, links))
        chunks = chunk_lines(lines)
        if len(stage_blocks) + len(chunks) > budget:
            break
        stage_blocks += [section(c) for c in chunks]
        shown += len(members)
    if shown == 0:  # one stage alone overflows the budget: take what fits, line by line
        lines = [f"• {application_link(links, a.candidate_id, a.id, a.candidate_name)} — application `{a.id}`" for a in page]
        chunks = chunk_lines(lines)[:budget]
        stage_blocks = [section(c) for c in chunks]
        shown = sum(c.count("\n") + 1 for c in chunks)

    start, end = offset + 1, offset + shown
    blocks.append(section(f"*Active candidates:* {total}" + (f" (showing {start}–{end})" if total > shown else "")))
    blocks += stage_blocks
    if end < total:
        blocks.append(context(f"Showing {start}–{end} of {total}. More candidates follow."))
        blocks.append(actions(button(f"More ({total - end} left)", ACTION_MORE, f"{job.id}:{end}")))
    return Message(f"{esc(job_title(job))}: {total} active candidates", blocks)
