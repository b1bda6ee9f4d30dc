"""The words and choices of a close's "also reject the rest" (bot/workflows/requests/reject_rest.py):
the draft's choice, what the approver confirms, the progress line and the outcome."""

from __future__ import annotations

from typing import Any

from bot.greenhouse.models import EmailTemplate, RejectionReason
from bot.workflows.requests import Request, rest_tally

from .common import actions, esc, static_select

ACTION_DRAFT_REST = "draft_rest"
ACTION_DRAFT_REST_REASON = "draft_rest_reason"
ACTION_DRAFT_REST_TEMPLATE = "draft_rest_template"
NAMES_LISTED = 10  # skipped candidates named in a message; the others are counted


def _candidates(n: int) -> str:
    return f"{n} active candidate{'s' if n != 1 else ''}"


def _short(text: object, limit: int | None) -> str:
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 1)] + "…"
    return esc(text)


def rest_will_happen(r: Request, names: int | None = None) -> str:
    """What happens to the active candidates after the openings close, counted (what is
    left to reject, so a Retry's dialog counts only those), and whether emails go out."""
    left = len(rest_tally(r).left)
    reason = (f"with reason *{_short(r.rejection_reason_name, names)}*" if r.rejection_reason_name
              else "without a rejection reason")
    email = (f"The rejection email *{_short(r.email_template_name, names)}* WILL be sent to each of them."
             if r.email_template_id else "No email will be sent to them.")
    return f"then the {_candidates(left)} left on the job will be rejected {reason}. {email}"


def rest_asked(r: Request) -> str:
    """A decided request, as it was asked."""
    n = len(r.rest_application_ids)
    reason = f" with reason *{esc(r.rejection_reason_name)}*" if r.rejection_reason_name else ""
    email = f", sending the email *{esc(r.email_template_name)}*" if r.email_template_id else ", no email"
    return f" Then to reject the {_candidates(n)} left on the job{reason}{email}."


def rest_progress(r: Request) -> str:
    """The line a long run updates: "Rejected 14 of 20…"."""
    tally = rest_tally(r)
    skipped = f" ({len(tally.skipped)} skipped: changed meanwhile)" if tally.skipped else ""
    return f"Rejected {len(tally.rejected)} of {tally.total}{skipped}…"


def rest_outcome(r: Request) -> str:
    """What Greenhouse did with the rest: rejected, skipped (named, with how they changed), left."""
    tally = rest_tally(r)
    text = f" Rejected {len(tally.rejected)} of {tally.total} active candidates."
    if tally.rejected and r.email_template_id:
        text += f" The email *{esc(r.email_template_name)}* was sent to each."
    if tally.skipped:
        named = [f"{esc(r.rest_candidate_names.get(str(a), f'application {a}'))} ({esc(how)})"
                 for a, how in tally.skipped[:NAMES_LISTED]]
        more = f" and {len(tally.skipped) - NAMES_LISTED} more" if len(tally.skipped) > NAMES_LISTED else ""
        text += f" Skipped {len(tally.skipped)} that changed meanwhile: {', '.join(named)}{more}."
    if tally.left and r.state != "requested":
        text += f" Not rejected yet: {len(tally.left)}."
    return text


def rest_draft_block(r: Request, reasons: list[RejectionReason], templates: list[EmailTemplate]) -> dict[str, Any] | None:
    """The draft's offer to reject the active candidates too; once chosen, its reason and email."""
    n = len(r.rest_application_ids)
    if not n:
        return None
    choice = [("Leave the " + _candidates(n) + " active", f"{r.id}|keep"),
              ("Also reject the " + _candidates(n), f"{r.id}|reject")]
    elements = [static_select(ACTION_DRAFT_REST, "Active candidates?", choice, f"{r.id}|{'reject' if r.reject_rest else 'keep'}")]
    if r.reject_rest:
        elements.append(static_select(ACTION_DRAFT_REST_REASON, "Rejection reason", [(x.name, f"{r.id}|{x.id}") for x in reasons],
                                f"{r.id}|{r.rejection_reason_id}" if r.rejection_reason_id else None))
        emails = [("No email to the candidates", f"{r.id}|none")] + [(f"Email: {t.name}", f"{r.id}|{t.id}") for t in templates]
        elements.append(static_select(ACTION_DRAFT_REST_TEMPLATE, "Rejection email?", emails, f"{r.id}|{r.email_template_id or 'none'}"))
    return actions(*elements, block_id="draft_rest")

