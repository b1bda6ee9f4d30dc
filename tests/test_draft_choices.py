"""What a requester picks on a draft — a close reason, a rejection reason, an email template,
for an application's rejection or a close's rest — is taken by id from Greenhouse's lists as
they are now: a pick no longer listed is refused in words and leaves the draft as it was."""

from __future__ import annotations

import pytest

from bot.workflows.errors import UserFacingError
from tests.conftest import HM, JOB_ID


def _draft(bot, text: str):  # type: ignore[no-untyped-def]
    bot.command(text, user=HM)
    [draft] = [r for r in bot.services.requests.all() if r.state == "draft"]
    return draft


def test_a_rejection_draft_takes_listed_picks_and_refuses_the_rest(bot, gh):  # type: ignore[no-untyped-def]
    requests, hannah = bot.services.requests, bot.services.identity.caller(HM)
    draft = _draft(bot, "reject 11")
    chosen = requests.choose(draft.id, hannah, reason_id=8, template_id=42)
    assert (chosen.rejection_reason_id, chosen.rejection_reason_name) == (8, "Lacking skill(s)/qualification(s)")
    assert (chosen.email_template_id, chosen.email_template_name) == (42, "Standard rejection")
    with pytest.raises(UserFacingError, match="That rejection reason no longer exists in Greenhouse."):
        requests.choose(draft.id, hannah, reason_id=999)
    with pytest.raises(UserFacingError, match="not an organization-wide rejection template"):
        requests.choose(draft.id, hannah, template_id=43)  # a personal template
    assert requests.get(draft.id).rejection_reason_id == 8 and requests.get(draft.id).email_template_id == 42
    no_email = requests.choose(draft.id, hannah, template_id=None)
    assert (no_email.email_template_id, no_email.email_template_name, no_email.rejection_reason_id) == (None, None, 8)


def test_a_close_draft_takes_a_listed_close_reason_and_its_rest_a_listed_rejection(bot, gh):  # type: ignore[no-untyped-def]
    requests, hannah = bot.services.requests, bot.services.identity.caller(HM)
    draft = _draft(bot, f"close {JOB_ID} reject rest")
    assert requests.choose(draft.id, hannah, reason_id=366).close_reason_name == "Backfill"
    with pytest.raises(UserFacingError, match="That close reason no longer exists in Greenhouse."):
        requests.choose(draft.id, hannah, reason_id=8)  # a rejection reason's id, not a close reason's
    rest = requests.choose_rest(draft.id, hannah, reason_id=14, template_id=42)
    assert (rest.rejection_reason_name, rest.email_template_name, rest.close_reason_id) == (
        "Accepted another offer", "Standard rejection", 366)
    with pytest.raises(UserFacingError, match="That rejection reason no longer exists in Greenhouse."):
        requests.choose_rest(draft.id, hannah, reason_id=366)
    assert requests.get(draft.id).rejection_reason_id == 14


def test_commands_that_start_with_an_application_id_refuse_other_text_at_the_ack(bot, slack):  # type: ignore[no-untyped-def]
    for text, usage in (("reject Grace", "Usage: `/greenhouse reject <application id>"),
                        ("move x1 Onsite", "Usage: `/greenhouse move <application id>"),
                        ("advance 11 Onsite", "Usage: `/greenhouse advance <application id>`"),
                        ("advance", "Usage: `/greenhouse advance <application id>`")):
        assert usage in bot.command(text, user=HM).get_data(as_text=True), text
    assert slack.responses() == []
