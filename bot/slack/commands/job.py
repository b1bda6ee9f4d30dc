"""`/greenhouse job <job id | requisition id>`"""

from __future__ import annotations

from bot.app_links import AppLinks
from bot.services import Services
from bot.slack.blocks.common import Message
from bot.slack.blocks.job import candidates_on_page, job_view_blocks
from bot.workflows.job_view import JobView
from bot.workflows.errors import UserFacingError
from bot.workflows.jobs import check_job_ref

from .registry import CommandContext, subcommand


def _ack(args: str) -> str:
    words = args.split()
    if len(words) > 1:
        raise UserFacingError("Give one job ID or requisition ID, e.g. `/greenhouse job 6404`.")
    ref = check_job_ref(words[0] if words else "")
    return f"Looking up job {ref}…"


@subcommand("job", "job <job id | requisition id>", "a job's openings and active candidates (hiring team only)", _ack)
def run(ctx: CommandContext) -> None:
    view = ctx.services.job_views.load(ctx.args.strip(), ctx.caller)
    page = job_page(ctx.services, view)
    ctx.reply(page.text, page.blocks)


def job_page(services: Services, view: JobView, offset: int = 0) -> Message:
    """One page of a job view, its candidates named first: only the page's names are read
    (the command, "More" and the App Home's job button all show a view this way)."""
    view = services.job_views.named(view, candidates_on_page(view, offset))
    return job_view_blocks(view, offset, links=AppLinks(services.settings.greenhouse_app_url))
