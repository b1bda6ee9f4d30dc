"""Messages for approval requests: the requester's draft, the request in the
approvals channel, its thread with the buttons, and every outcome."""

from __future__ import annotations

from typing import Any

from bot.app_links import AppLinks
from bot.greenhouse.models import EmailTemplate, Named, RejectionReason
from bot.workflows.requests import Page, Request

from . import move_texts
from .common import Message, actions, button, chunk_lines, confirm_dialog, context, esc, plain, section, slack_date
from .reject_rest import rest_asked, rest_draft_block, rest_outcome, rest_progress, rest_will_happen
from .links import application_link, job_link
from .undo import undo_actions, undo_failed, undo_not_open, undo_status, undo_window_note

ACTION_APPROVE = "request_approve"
ACTION_DENY = "request_deny"
ACTION_RETRY = "request_retry"
ACTION_DRAFT_REASON = "draft_reason"
ACTION_DRAFT_TEMPLATE = "draft_template"
ACTION_DRAFT_SUBMIT = "draft_submit"
ACTION_DRAFT_CANCEL = "draft_cancel"
DENY_MODAL = "deny_modal"
MAX_OPTIONS = 100  # Slack's limit for a static select


def _short(text: object, limit: int | None) -> str:
    """Untrusted text, shortened (before escaping, so no entity is cut) and escaped."""
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 1)] + "…"
    return esc(text)


def what_will_happen(r: Request, names: int | None = None) -> str:
    """The request, counted, in the words the approver confirms (names cut to `names` characters)."""
    if r.kind == "move_application":
        return move_texts.what_will_happen(r, names)
    if r.kind == "close_job":
        n = len(r.remaining_openings())
        reason = f" with reason *{_short(r.close_reason_name, names)}*" if r.close_reason_name else " (no close reason chosen yet)"
        stay = f"; {r.active_candidates} active candidate{'s' if r.active_candidates != 1 else ''} stay active on the closed job" \
            if r.active_candidates is not None else ""
        if r.reject_rest:
            return f"{n} open opening{'s' if n != 1 else ''} will be closed{reason}; {rest_will_happen(r, names)}"
        return f"{n} open opening{'s' if n != 1 else ''} will be closed{reason}{stay}."
    reason = f"*{_short(r.rejection_reason_name, names)}*" if r.rejection_reason_name else "(no reason chosen yet)"
    email = (
        f"The rejection email *{_short(r.email_template_name, names)}* WILL be sent to the candidate."
        if r.email_template_id else "No email will be sent to the candidate."
    )
    return f"The application will be rejected with reason {reason}. {email}"


def title(r: Request, links: AppLinks | None = None) -> str:
    """With `links`, the job's and the candidate's names link to their pages in Greenhouse."""
    if r.kind == "move_application":
        return move_texts.title(r, links)
    job = job_link(links, r.job_id, r.job_name)
    if r.kind == "close_job":
        return f"*Close job* {job} ({r.job_id})"
    stage = f", stage {esc(r.stage)}" if r.stage else ""
    return (f"*Reject application* `{r.application_id}` — "
            f"{application_link(links, r.candidate_id, r.application_id, r.candidate_name)} — {job} ({r.job_id}){stage}")


# --- the requester's draft (ephemeral) ---------------------------------------------------------


def _select(action_id: str, placeholder: str, options: list[tuple[str, str]], initial: str | None) -> dict[str, Any]:
    opts = [{"text": plain(label, 75), "value": value} for label, value in options[:MAX_OPTIONS]]
    el: dict[str, Any] = {"type": "static_select", "action_id": action_id, "placeholder": plain(placeholder, 150), "options": opts}
    chosen = next((o for o in opts if o["value"] == initial), None)
    if chosen:
        el["initial_option"] = chosen
    return el


def draft_blocks(r: Request, reasons: list[Named] | list[RejectionReason], templates: list[EmailTemplate] | None,
                 rest_reasons: list[RejectionReason] | None = None) -> list[dict[str, Any]]:
    """`rest_reasons` (a close): the rejection reasons, to offer rejecting the active candidates too."""
    chosen = r.close_reason_id if r.kind == "close_job" else r.rejection_reason_id
    elements = [_select(ACTION_DRAFT_REASON, "Pick a reason",
                        [(x.name, f"{r.id}|{x.id}") for x in reasons], f"{r.id}|{chosen}" if chosen else None)]
    if r.kind == "reject_application" and templates is not None:
        tpl_options = [("No email to the candidate", f"{r.id}|none")] + [(f"Email: {t.name}", f"{r.id}|{t.id}") for t in templates]
        elements.append(_select(ACTION_DRAFT_TEMPLATE, "Rejection email?", tpl_options,
                                f"{r.id}|{r.email_template_id or 'none'}"))
    rest = rest_draft_block(r, rest_reasons, templates or []) if r.kind == "close_job" and rest_reasons is not None else None
    blocks = [
        section(f"{title(r)}\n{what_will_happen(r)}"),
        actions(*elements, block_id="draft_choices"),
        *([rest] if rest else []),
        actions(button("Request approval", ACTION_DRAFT_SUBMIT, r.id, style="primary"),
                button("Cancel", ACTION_DRAFT_CANCEL, r.id), block_id="draft_buttons"),
        context("Nothing is written to Greenhouse until a recruiter or coordinator of the job approves."),
    ]
    if len(reasons) > MAX_OPTIONS:
        blocks.insert(1, context(f"Showing the first {MAX_OPTIONS} of {len(reasons)} reasons; type reason words after the command to match others."))
    return blocks


# --- the request in the approvals channel --------------------------------------------------


DECIDED = ("done", "denied", "expired", "discarded", "undoing", "undone")


def what_was_asked(r: Request) -> str:
    """A decided request, as it was asked: what remains to do is no longer the news (the
    status line says what was done), so a finished close never reads "0 open openings will be closed"."""
    if r.kind != "close_job":
        return f"Asked by <@{r.requester}>. {what_will_happen(r)}"
    n = len(r.opening_ids)
    reason = f" with reason *{esc(r.close_reason_name)}*" if r.close_reason_name else ""
    rest = rest_asked(r) if r.reject_rest else ""
    return f"Asked by <@{r.requester}> to close {n} open opening{'s' if n != 1 else ''}{reason}.{rest}"


def request_message(r: Request, *, public_channel: bool = False, undo_until: float | None = None,
                    links: AppLinks | None = None) -> Message:
    """`undo_until`: the rejection may be undone until then (the Undo button is shown);
    `links`: names link to Greenhouse."""
    asked = what_was_asked(r) if r.state in DECIDED else f"Asked by <@{r.requester}>. {what_will_happen(r)}"
    blocks = [section(f"{title(r, links)}\n{asked}")]
    blocks.append(context(status_line(r)))
    if undo_until is not None:
        blocks += [undo_actions(r, undo_until), context(undo_window_note(undo_until))]
    if public_channel:
        blocks.append(context(":warning: This channel is public and requests name candidates: "
                              "an admin should move approvals to a private channel (BOT_APPROVALS_CHANNEL)."))
    return Message(f"Request: {_plain_title(r)}", blocks)


def status_line(r: Request) -> str:
    """The request's state in one line, always saying what was written to Greenhouse."""
    who = f"<@{r.decided_by}>" if r.decided_by else ""
    approved = move_texts.decided_as(r)  # "Approved", or "Confirmed" for a move its requester makes
    if (undo := undo_status(r)) is not None:
        return undo
    if r.state == "requested":
        return f":hourglass_flowing_sand: Waiting for approval (expires {slack_date(r.expires_at)})."
    if r.state == "executing":
        progress = f" {outcome_summary(r)} {rest_progress(r)}" if r.reject_rest and r.results else ""
        return f":gear: {approved} by {who} {slack_date(r.decided_at)}; writing to Greenhouse…{progress}"
    if r.state == "done":
        return f":white_check_mark: {approved} by {who} {slack_date(r.decided_at)}. {outcome_summary(r)}{undo_failed(r)}"
    if r.state == "failed":
        return (f":warning: {approved} by {who} {slack_date(r.decided_at)}, but it did not complete. {outcome_summary(r)} "
                f"{esc(r.error or 'Greenhouse gave no reason.')}")
    written = f"Written to Greenhouse before that: {outcome_summary(r)}" if r.wrote_something \
        else "Nothing was written to Greenhouse."
    if r.state == "denied":
        why = f": {esc(r.deny_reason)}" if r.deny_reason else ""
        return f":x: Denied by {who} {slack_date(r.decided_at)}{why}. {written}"
    if r.state == "expired":
        return f":hourglass: Expired before it was done. {written}"
    return esc(r.state)


def outcome_summary(r: Request) -> str:
    """What Greenhouse did: which openings closed and which remain, or whether the candidate was rejected."""
    if r.kind == "move_application":
        return move_texts.outcome_summary(r)
    if r.kind == "close_job":
        closed, left = r.closed_openings(), r.remaining_openings()
        text = f"Closed {len(closed)} of {len(r.opening_ids)} openings" + (f" ({', '.join(map(str, closed))})" if closed else "") + "."
        if left:
            text += f" Still open: {', '.join(map(str, left))}."
        if r.job_status_after:
            text += f" The job is now {esc(r.job_status_after)}."
        if r.reject_rest and r.state != "executing":
            text += rest_outcome(r)
        return text
    who = f"{esc(r.candidate_name)} (application {r.application_id})"
    if r.results.get(str(r.application_id)) != "rejected":
        return f"{who} was not rejected."
    email = f" The email *{esc(r.email_template_name)}* was sent." if r.email_template_id else ""
    return f"{who} was rejected.{email}"


def thread_message(r: Request, approvers: list[str], undo_until: float | None = None) -> Message:
    """The thread reply that mentions the approvers and holds the buttons while a decision
    is wanted; once decided it asks nothing any more and says how it went."""
    mentions = " ".join(f"<@{a}>" for a in approvers) or "No recruiter or coordinator of this job is on Slack; a bot admin can approve."
    if r.state == "requested":
        blocks = [section(f"{mentions}\nPlease approve or deny: {what_will_happen(r)}"), actions(
            button("Approve", ACTION_APPROVE, r.id, style="primary", confirm=approve_confirm(r)),
            button("Deny", ACTION_DENY, r.id),
            block_id="decision",
        )]
        text = f"Approval needed: {_plain_title(r)}"
    elif r.state == "failed":
        blocks = [section(f"{mentions}\nIt did not complete. Retry what remains or deny: {what_will_happen(r)}"), actions(
            button("Retry", ACTION_RETRY, r.id, style="primary", confirm=approve_confirm(r)),
            button("Deny", ACTION_DENY, r.id),
            block_id="decision",
        )]
        text = f"Retry or deny: {_plain_title(r)}"
    else:
        blocks = [section("No decision needed any more.")]
        if undo_until is not None:
            blocks.append(undo_actions(r, undo_until))
        text = f"Decided: {_plain_title(r)}"
    blocks.append(context(status_line(r)))
    return Message(text, blocks)


CONFIRM_TEXT_MAX = 300  # Block Kit: a confirmation dialog's text holds at most 300 characters


def approve_confirm(r: Request) -> dict[str, Any]:
    """The dialog before a write. Its warning is never cut: names are shortened instead,
    as far as needed to fit Slack's limit."""
    if r.kind == "move_application":
        return move_texts.confirm(r, CONFIRM_TEXT_MAX)
    for names in (None, 80, 40, 20, 8):
        if r.kind == "close_job":
            text = (f"Close {_short(r.job_name, names)} ({r.job_id}): {what_will_happen(r, names)} "
                    + ("This cannot be taken back." if r.reject_rest and r.email_template_id
                       else "Greenhouse closes the job when its last opening closes."))
        else:
            warning = " This cannot be taken back." if r.email_template_id else ""
            text = f"Reject {_short(r.candidate_name, names)} (application {r.application_id}): {what_will_happen(r, names)}{warning}"
        if len(text) <= CONFIRM_TEXT_MAX:
            break
    if r.kind == "close_job" and r.reject_rest:
        return confirm_dialog("Close and reject the rest?", text, "Close and reject", style="danger")
    if r.kind == "close_job":
        return confirm_dialog("Close these openings?", text, "Close openings")
    return confirm_dialog("Reject this application?", text, "Reject", style="danger")


def deny_modal(r: Request) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": DENY_MODAL,
        "private_metadata": r.id,
        "title": plain("Deny request", 24),
        "submit": plain("Deny", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            section(f"{title(r)}"),
            {"type": "input", "block_id": "reason", "optional": True, "label": plain("Reason (optional)"),
             "element": {"type": "plain_text_input", "action_id": "reason", "multiline": True, "max_length": 500}},
        ],
    }


def not_open_sentence(r: Request | None) -> str:
    """Why a click on a request came too late: its state now, and who decided."""
    if r is None:
        return "That request no longer exists."
    if (undo := undo_not_open(r)) is not None:
        return undo
    if r.kind == "move_application" and (own := move_texts.not_open_own_move(r)):
        return own
    who = f"<@{r.decided_by}>" if r.decided_by else "someone"
    return {
        "executing": f"Already approved by {who}; it is being carried out now.",
        "done": f"Already approved by {who} and done.",
        "failed": f"Already approved by {who}; it failed — use Retry on the request.",
        "denied": f"Already denied by {who}.",
        "expired": "This request has expired; ask again if it is still needed.",
        "discarded": "This request was never posted; ask again.",
        "posting": "This request is being posted for approval.",
    }.get(r.state, f"This request is {esc(r.state)}.")


def posted_sentence(r: Request) -> str:
    """What the requester is told once their request is in the approvals channel."""
    return f"Your request is posted in <#{r.channel}> for approval. I'll tell you when it is decided."


def requester_notice(r: Request) -> str:
    return f"Your request ({_plain_title(r)}): {status_line(r)}"


def reminder_text(r: Request, mentions: str) -> str:
    """The one reminder in a request's thread (bot/workflows/reminders.py)."""
    return (f":bell: {mentions} Reminder: this request is still waiting for a decision "
            f"({_plain_title(r)}; it expires {slack_date(r.expires_at)}).")


def reminder_sent_notice(r: Request) -> str:
    return f"Your request ({_plain_title(r)}) is still waiting: I reminded its approvers in <#{r.channel}>."


def _plain_title(r: Request) -> str:
    if r.kind == "move_application":
        return move_texts.plain_title(r)
    if r.kind == "close_job":
        return f"close {esc(r.job_name)} ({r.job_id})"
    return f"reject application {r.application_id} on {esc(r.job_name)} ({r.job_id})"


def pending_blocks(page: Page) -> list[dict[str, Any]]:
    """One page of open requests (at most 40 lines: a message holds 50 blocks), and where the rest are."""
    if not page.requests:
        if page.total and page.number > 1:
            return [section(f"There are {page.total} open request(s): {page.pages} page(s). "
                            f"`/greenhouse pending` shows the first.")]
        return [section("No open requests that you made or may approve.")]
    lines = [f"• {title(r)} — {r.state}, asked by <@{r.requester}>" for r in page.requests[:40]]
    heading = "*Open requests*"
    if page.pages > 1:
        heading += f" ({page.first + 1}–{page.first + len(lines)} of {page.total}, oldest first)"
    more = []
    if page.after:
        more = [context(f"… and {page.after} more: `/greenhouse pending {page.number + 1}` for the next page.")]
    return [section(heading), *[section(line) for line in lines], *more][:50]


def history_blocks(job_label: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not entries:
        return [section(f"No bot requests recorded for {esc(job_label)}.")]
    lines = [
        f"• {slack_date(e.get('at'))} `{e.get('request_id')}` {e.get('kind')}: {e.get('from')} → *{e.get('to')}* "
        f"by {('<@' + e['who'] + '>') if str(e.get('who', '')).startswith(('U', 'W')) else esc(e.get('who'))}"
        + (f" — {esc(e.get('detail'))}" if e.get("detail") and e.get("detail") not in ("asked", "posted") else "")
        for e in entries
    ]
    return [section(f"*Recent requests for {esc(job_label)}*")] + [section(c) for c in chunk_lines(lines)][:45]
