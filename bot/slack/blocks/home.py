"""The App Home tab: pure builders from `bot.workflows.home.HomeTab` to a view.

Slack holds a Home view to 100 blocks; lists are cut with a line that says how many
were left out and where to see them all."""

from __future__ import annotations

import re
from typing import Any

from bot.app_links import AppLinks
from bot.workflows.home import HomeTab
from bot.workflows.home_jobs import JobLine, YourJobs
from bot.workflows.requests import Request

from .common import actions, button, context, divider, esc, header, section
from .links import job_link
from .requests import approve_confirm, status_line, title

HOME_APPROVE = "home_approve"
HOME_RETRY = "home_retry"
HOME_DENY = "home_deny"
HOME_JOB = "home_job"  # Show job: the job view, sent to the clicker by DM
HOME_JOBS_NEXT = "home_jobs_next"  # value: the offset of the page to show
HOME_JOBS_PREV = "home_jobs_prev"
MAX_HOME_BLOCKS = 100
_RESERVED = 3  # room kept for the "… and N more" line and the footer


def home_view(tab: HomeTab, links: AppLinks | None = None) -> dict[str, Any]:
    """`links`: names link to their pages in Greenhouse."""
    blocks: list[dict[str, Any]] = [header("Greenhouse")]
    if not tab.mapped and tab.unmapped_because is not None:
        blocks.append(section(f":warning: {tab.unmapped_because}"))
    if tab.empty:
        blocks += [section("Nothing waits for you here: no request for your approval, none of yours, and no "
                           "open job lists you on its hiring team."),
                   context("Try `/greenhouse job <job id>` to see a job, `/greenhouse close <job>` or "
                           "`/greenhouse reject <application id>` to ask for a change, `/greenhouse help` for the rest.")]
        return {"type": "home", "blocks": blocks}
    jobs = jobs_blocks(tab.jobs, links) if tab.jobs is not None else []
    blocks += _listed("Waiting for your approval", tab.waiting, lambda r: _waiting_blocks(r, links), blocks,
                      reserve=_RESERVED + 4 + len(jobs), total=tab.waiting_total)
    blocks += _listed("Your requests", tab.mine, lambda r: _mine_blocks(r, links), blocks, reserve=_RESERVED + len(jobs))
    blocks += jobs
    blocks.append(context("`/greenhouse pending` lists every open request you made or may approve."))
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def _listed(heading: str, items: list[Request], draw: Any, so_far: list[dict[str, Any]], *, reserve: int,
            total: int | None = None) -> list[dict[str, Any]]:
    """`total`: how many there are in all when `items` is the first of them (else all are here)."""
    if not items:
        return []
    total = max(total or 0, len(items))
    out: list[dict[str, Any]] = [divider(), section(f"*{heading}* ({total})")]
    shown = 0
    for r in items:
        more = draw(r)
        if len(so_far) + len(out) + len(more) > MAX_HOME_BLOCKS - reserve:
            break
        out += more
        shown += 1
    if shown < total:
        out.append(context(f"… and {total - shown} more: `/greenhouse pending`."))
    return out


def _waiting_blocks(r: Request, links: AppLinks | None) -> list[dict[str, Any]]:
    decide = (button("Retry", HOME_RETRY, r.id, style="primary", confirm=approve_confirm(r)) if r.state == "failed"
              else button("Approve", HOME_APPROVE, r.id, style="primary", confirm=approve_confirm(r)))
    return [section(f"{title(r, links)}\nAsked by <@{r.requester}>. {status_line(r)}"),
            actions(decide, button("Deny", HOME_DENY, r.id))]


def _mine_blocks(r: Request, links: AppLinks | None) -> list[dict[str, Any]]:
    where = f" In <#{r.channel}>." if r.channel else ""
    link = safe_link(r.permalink)
    if link:
        where += f" <{link}|Open the request>"
    return [section(f"{title(r, links)}\n{status_line(r)}{where}")]


_LINK_RE = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]+)?/[A-Za-z0-9/._~%?&=+-]*")


def safe_link(url: str | None) -> str | None:
    """A stored permalink, only if it is a plain https URL that cannot end the `<url|label>`
    link early (no `|`, `<`, `>`, spaces): else no link, the channel is named anyway."""
    return url if url and len(url) <= 500 and _LINK_RE.fullmatch(url) else None


def jobs_blocks(jobs: YourJobs, links: AppLinks | None = None) -> list[dict[str, Any]]:
    """*Your jobs* (an admin's: *Open jobs*), one page: at most JOBS_PER_PAGE + 4 blocks."""
    heading = "Open jobs" if jobs.every_open_job else "Your jobs"
    out: list[dict[str, Any]] = [divider(), section(f"*{heading}* ({jobs.total})")]
    if jobs.unavailable:
        return out + [context(jobs.unavailable)]
    if not jobs.total:
        return out + [context("No open job lists you on its hiring team in Greenhouse.")]
    out += [_job_line(line, links) for line in jobs.lines]
    if jobs.next_offset is None and jobs.previous_offset is None:
        return out
    first, last = jobs.offset + 1, jobs.offset + len(jobs.lines)
    out.append(context(f"{first}–{last} of {jobs.total} open jobs"))
    paging = []
    if jobs.previous_offset is not None:
        paging.append(button("‹ Previous jobs", HOME_JOBS_PREV, str(jobs.previous_offset)))
    if jobs.next_offset is not None:
        paging.append(button("Next jobs ›", HOME_JOBS_NEXT, str(jobs.next_offset)))
    out.append(actions(*paging))
    return out


def _job_line(line: JobLine, links: AppLinks | None) -> dict[str, Any]:
    job = line.job
    where = f"job {job.id}" + (f" · req {esc(job.requisition_id)}" if job.requisition_id else "")
    openings = f"{job.open_openings} open opening{'' if job.open_openings == 1 else 's'}"
    active = ("active candidates not known now" if line.active is None
              else f"{line.active} active candidate{'' if line.active == 1 else 's'}")
    facts = [openings, active]
    if job.member_roles:
        facts.append("you: " + ", ".join(r.value.replace("_", " ") for r in job.member_roles))
    if job.confidential:
        facts.append(":lock: confidential")
    text = f"*{job_link(links, job.id, job.name)}* · {where}\n" + " · ".join(facts)
    return {**section(text), "accessory": button("Show job", HOME_JOB, str(job.id))}
