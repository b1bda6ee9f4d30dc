"""`/greenhouse watch <job>`, `unwatch <job>`, and `watch` alone to list this channel's watches."""

from __future__ import annotations

from bot.slack.blocks.common import esc
from bot.workflows.errors import UserFacingError
from bot.workflows.jobs import check_job_ref

from .registry import CommandContext, subcommand


def _one_ref(args: str, verb: str) -> str:
    words = args.split()
    if len(words) > 1:
        raise UserFacingError(f"Give one job ID or requisition ID, e.g. `/greenhouse {verb} 6404`.")
    return check_job_ref(words[0] if words else "")


def _ack_watch(args: str) -> str:
    if not args.strip():
        return "Listing the jobs this channel watches…"
    return f"Setting up a watch on job {_one_ref(args, 'watch')}…"


def _ack_unwatch(args: str) -> str:
    return f"Removing the watch on job {_one_ref(args, 'unwatch')}…"


@subcommand("watch", "watch [job id | requisition id]",
            "tell this channel when a job closes (hiring team only); alone: list this channel's watches", _ack_watch)
def watch(ctx: CommandContext) -> None:
    if not ctx.args.strip():
        found = ctx.services.watches.of_channel(ctx.channel_id)
        if not found:
            ctx.reply("This channel watches no jobs. `/greenhouse watch <job>` to add one.")
            return
        lines = [f"• *{esc(w['job_name'])} ({w['job_id']})* — since <@{w['by']}>'s watch" for w in found]
        ctx.reply("This channel is told when these jobs close:\n" + "\n".join(lines))
        return
    job, new = ctx.services.watches.watch(ctx.caller, ctx.args.strip(), ctx.channel_id)
    name = f"*{esc(job.name)} ({job.id})*"
    if not new:
        ctx.reply(f"This channel already watches {name}.")
        return
    status = " It is already closed; you'll hear if it reopens and closes again." if job.status == "closed" else ""
    ctx.reply(f"This channel will be told when {name} closes.{status} "
              "If this is a private channel, invite me to it so I can post.")


@subcommand("unwatch", "unwatch <job id | requisition id>", "stop telling this channel about a job", _ack_unwatch)
def unwatch(ctx: CommandContext) -> None:
    job, existed = ctx.services.watches.unwatch(ctx.caller, ctx.args.strip(), ctx.channel_id)
    name = f"*{esc(job.name)} ({job.id})*"
    ctx.reply(f"This channel no longer watches {name}." if existed else f"This channel wasn't watching {name}.")
