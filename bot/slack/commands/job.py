"""`/greenhouse job <job id | requisition id>`"""

from __future__ import annotations

from bot.app_links import AppLinks
from bot.slack.blocks.job import job_view_blocks
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
    page = job_view_blocks(view, links=AppLinks(ctx.services.settings.greenhouse_app_url))
    ctx.reply(page.text, page.blocks)
