"""Finding a job by ID or requisition ID, and who may see its candidates (the one access rule)."""

from __future__ import annotations

import re

from bot.greenhouse.harvest import Harvest
from bot.greenhouse.models import Job

from bot.identity import Caller

from .errors import NotVisible, UserFacingError

JOB_REF_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")


def check_job_ref(ref: str) -> str:
    """Validate a job reference (job ID or requisition ID) without calling Greenhouse."""
    ref = ref.strip()
    if not ref:
        raise UserFacingError("Tell me which job: a job ID or a requisition ID, e.g. `/greenhouse job 6404`.")
    if not JOB_REF_RE.match(ref):
        raise UserFacingError("That doesn't look like a job ID or requisition ID (letters, digits, `-`, `_` or `.`).")
    return ref


def find_jobs(harvest: Harvest, ref: str, *, team_max_age_s: float = 0) -> list[Job]:
    """A number is tried as a job ID first; anything else, or a number that is no
    job's ID, is tried as a requisition ID (those are often numbers too).
    `team_max_age_s`: see Harvest.get_job (the job view only)."""
    ref = check_job_ref(ref)
    if ref.isdigit() and len(ref) <= 18:
        job = harvest.get_job(int(ref), team_max_age_s=team_max_age_s)
        if job is not None:
            return [job]
    return harvest.find_jobs_by_requisition(ref, team_max_age_s=team_max_age_s)


def find_job(harvest: Harvest, ref: str) -> Job:
    """The one job `ref` names, whoever asks (for the bot's own work, e.g. auto-close)."""
    jobs = find_jobs(harvest, ref)
    if len(jobs) == 1:
        return jobs[0]
    if len(jobs) > 1:
        ids = ", ".join(str(j.id) for j in jobs[:10])
        raise UserFacingError(f"Several jobs have requisition ID `{ref}` (job IDs {ids}); use the job ID.")
    raise UserFacingError(f"I can't find a job with ID or requisition ID `{ref}` in Greenhouse.")


def find_job_for(harvest: Harvest, ref: str, caller: Caller, doing: str) -> Job:
    """The job `ref` names, if the caller may see its candidates (its hiring team, bot
    admins). Everyone else hears exactly what they would hear if there were no such
    job: not its name, not whether it exists, not which jobs share a requisition ID."""
    ref = check_job_ref(ref)
    caller.team_member_id()  # who is not mapped is told so first, whether the job exists or not
    jobs = [j for j in find_jobs(harvest, ref) if may_see_candidates(j, caller)]
    if len(jobs) == 1:
        return jobs[0]
    if len(jobs) > 1:
        ids = ", ".join(str(j.id) for j in jobs[:10])
        raise UserFacingError(f"Several jobs have requisition ID `{ref}` (job IDs {ids}); use the job ID.")
    raise NotVisible("a job with ID or requisition ID", ref, doing)


def on_hiring_team(job: Job, greenhouse_user_id: int | None) -> bool:
    return greenhouse_user_id is not None and greenhouse_user_id in job.team_user_ids()


def may_see_candidates(job: Job, caller: Caller) -> bool:
    """The job's hiring team (any role) and the bot's admins, nobody else."""
    return caller.is_admin or on_hiring_team(job, caller.team_member_id())
