"""`/greenhouse close …`, `reject …`, `pending`, `history <job>`"""

from __future__ import annotations

import re

from bot.slack.blocks.common import esc
from bot.slack.actions.requests import close_draft_blocks
from bot.slack.blocks.requests import draft_blocks, history_blocks, pending_blocks, posted_sentence
from bot.workflows.errors import UserFacingError
from bot.workflows.jobs import check_job_ref
from bot.workflows.requests import Request

from .parse import application_id_first
from .registry import CommandContext, subcommand


def _ack_close(args: str) -> str:
    ref = check_job_ref(args.split()[0] if args.split() else "")
    return f"Preparing a request to close job {ref}…"


# "… and reject the rest" at the end of the close command: the draft opens with the
# active candidates to be rejected too (its reason and email are picked there).
REJECT_REST_RE = re.compile(r"\s*\b(?:and\s+)?reject\s+(?:the\s+)?rest\s*$", re.IGNORECASE)


@subcommand("close", "close <job id | requisition id> [close reason words] [reject rest]",
            "ask to close a job's open openings, and to reject its active candidates too (a recruiter approves)",
            _ack_close)
def close(ctx: CommandContext) -> None:
    ref, _, words = ctx.args.strip().partition(" ")
    reject_rest = bool(REJECT_REST_RE.search(words))
    words = REJECT_REST_RE.sub("", words)
    request = ctx.services.requests.draft_close(ctx.caller, ref, words, ctx.channel_id, reject_rest=reject_rest)
    if request.close_reason_id is not None and not request.reject_rest:
        _post(ctx, request)
    else:
        ctx.reply("Check your close request", close_draft_blocks(ctx.services, request))


def _ack_reject(args: str) -> str:
    app = application_id_first(args, "Usage: `/greenhouse reject <application id> [rejection reason words]` "
                                     "(`/greenhouse job <job>` lists application IDs).")
    return f"Preparing a request to reject application {app}…"


@subcommand("reject", "reject <application id> [rejection reason words]",
            "ask to reject an active application (a recruiter approves)", _ack_reject)
def reject(ctx: CommandContext) -> None:
    ref, _, words = ctx.args.strip().partition(" ")
    request = ctx.services.requests.draft_reject(ctx.caller, ref, words, ctx.channel_id)
    # Always a draft: the requester decides whether the candidate gets an email.
    ref_lists = ctx.services.reference
    ctx.reply("Check your rejection request", draft_blocks(request, ref_lists.rejection_reasons(), ref_lists.rejection_templates()))


def _post(ctx: CommandContext, request: Request) -> None:
    ctx.reply(posted_sentence(ctx.services.request_messages.post(request)))


def _page_number(args: str) -> int:
    words = args.split()
    if not words:
        return 1
    if len(words) == 1 and re.fullmatch(r"[0-9]{1,6}", words[0]) and int(words[0]) >= 1:
        return int(words[0])
    raise UserFacingError("Usage: `/greenhouse pending [page]`, e.g. `/greenhouse pending 2` for the second page.")


def _ack_pending(args: str) -> str:
    page = _page_number(args)
    return "Looking up open requests…" if page == 1 else f"Looking up page {page} of the open requests…"


@subcommand("pending", "pending [page]", "open requests you made or may approve, oldest first", _ack_pending)
def pending(ctx: CommandContext) -> None:
    page = ctx.services.requests.pending_for(ctx.caller, _page_number(ctx.args))
    ctx.reply(f"{page.total} open request(s)", pending_blocks(page))


def _ack_history(args: str) -> str:
    return f"Looking up the request history of job {check_job_ref(args)}…"


@subcommand("history", "history <job id | requisition id>", "a job's recent bot requests (hiring team only)", _ack_history)
def history(ctx: CommandContext) -> None:
    job, entries = ctx.services.requests.history(ctx.args.strip(), ctx.caller)
    ctx.reply(f"History of {esc(job.name)} ({job.id})", history_blocks(f"{job.name} ({job.id})", entries))
