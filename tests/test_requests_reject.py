"""Rejecting an application: draft with reason and optional email, approval, one POST."""

from __future__ import annotations

import json

import pytest

from tests.conftest import HM, JOB_ID, OUTSIDER, RECRUITER, RECRUITER_ID


@pytest.fixture
def settings_overrides():
    return {"bot_approvals_channel": "CAPPROVALS"}


def select(bot, action_id, value, user=HM):
    bot.click(action_id, "", user, extra_action={"type": "static_select", "selected_option": {"value": value}})


def draft_reject(bot, text="reject 11 missing resume"):
    bot.command(text, user=HM)
    [draft] = [r for r in bot.services.requests.all() if r.state == "draft"]
    return draft


def test_reject_draft_names_candidate_and_offers_templates(bot, slack, gh):
    draft = draft_reject(bot)
    assert draft.rejection_reason_name == "Missing resume" and draft.candidate_name == "Ada Lovelace"
    assert draft.stage == "Phone Screen"
    form = slack.responses()[-1]
    selects = {el["action_id"]: el for b in form["blocks"] if b["type"] == "actions" for el in b["elements"]}
    tpl = [o["text"]["text"] for o in selects["draft_template"]["options"]]
    assert tpl == ["No email to the candidate", "Email: Standard rejection"]  # org-wide rejection templates only
    assert selects["draft_template"]["initial_option"]["value"].endswith("|none")
    assert "No email will be sent" in json.dumps(form["blocks"])
    assert slack.calls_to("chat.postMessage") == [] and gh.writes() == []


def test_reject_without_email_on_approval(bot, slack, gh):
    draft = draft_reject(bot)
    bot.click("draft_submit", draft.id, HM)
    request = bot.services.requests.get(draft.id)
    assert request.state == "requested"
    main, thread = slack.calls_to("chat.postMessage")[:2]
    assert "Ada Lovelace" in json.dumps(main["blocks"]) and "Phone Screen" in json.dumps(main["blocks"])
    confirm = next(el["confirm"] for b in thread["blocks"] if b["type"] == "actions" for el in b["elements"]
                   if el["action_id"] == "request_approve")
    assert "No email will be sent" in json.dumps(confirm)
    assert gh.writes() == []
    bot.click("request_approve", draft.id, RECRUITER)
    [write] = gh.writes()
    assert write.method == "POST" and write.path == "/applications/11/reject"
    assert write.headers["on-behalf-of"] == str(RECRUITER_ID)
    assert write.body == {"rejection_reason_id": 262,
                          "notes": "Rejected via Slack: requested by Hannah Manager, approved by Rita Recruiter."}
    assert "rejection_email" not in write.body
    assert bot.services.requests.get(draft.id).state == "done"
    assert gh.find_application(11)["status"] == "rejected"


def test_email_template_only_when_chosen_and_confirm_warns(bot, slack, gh):
    draft = draft_reject(bot)
    select(bot, "draft_template", f"{draft.id}|42")
    assert bot.services.requests.get(draft.id).email_template_name == "Standard rejection"
    bot.click("draft_submit", draft.id, HM)
    thread = slack.calls_to("chat.postMessage")[1]
    confirm = json.dumps(next(el["confirm"] for b in thread["blocks"] if b["type"] == "actions" for el in b["elements"]
                              if el["action_id"] == "request_approve"))
    assert "WILL be sent" in confirm and "cannot be taken back" in confirm
    bot.click("request_approve", draft.id, RECRUITER)
    [write] = gh.writes()
    assert write.body["rejection_email"] == {"email_template_id": 42}


def test_personal_template_cannot_be_forced(bot, slack, gh):
    draft = draft_reject(bot)
    select(bot, "draft_template", f"{draft.id}|43")  # a personal template: reject needs org-wide
    assert bot.services.requests.get(draft.id).email_template_id is None
    assert "organization-wide" in json.dumps(slack.responses()[-1])


def test_submit_needs_a_reason(bot, slack, gh):
    draft = draft_reject(bot, "reject 11")
    bot.click("draft_submit", draft.id, HM)
    assert "Pick a rejection reason first" in json.dumps(slack.responses()[-1])
    assert bot.services.requests.get(draft.id).state == "draft"


def test_only_the_requester_edits_the_draft(bot, slack, gh):
    draft = draft_reject(bot)
    bot.click("draft_submit", draft.id, RECRUITER)
    assert bot.services.requests.get(draft.id).state == "draft"
    assert "Only the person who asked" in json.dumps(slack.responses()[-1])


def test_non_active_application_is_refused_at_request_time(bot, slack, gh):
    bot.command("reject 41 missing resume", user=HM)
    assert "is rejected, not active" in bot.replies_text()
    assert bot.services.requests.all() == []


def test_422_when_application_changed_before_approval(bot, slack, gh):
    draft = draft_reject(bot)
    bot.click("draft_submit", draft.id, HM)
    gh.find_application(11)["status"] = "hired"  # changed in Greenhouse meanwhile
    bot.click("request_approve", draft.id, RECRUITER)
    failed = bot.services.requests.get(draft.id)
    assert failed.state == "failed"
    assert "Application must be 'active', is currently 'hired'" in failed.error
    assert "Application must be" in json.dumps(slack.calls_to("chat.update")[-1]["blocks"])


def test_outsider_cannot_request_or_learn_the_candidate(bot, slack, gh):
    bot.command("reject 11 missing resume", user=OUTSIDER)
    text = bot.replies_text()
    assert "you are not on its job's hiring team" in text and "Ada" not in text
    bot.command("reject 999999 missing resume", user=OUTSIDER)
    assert "Ada" not in bot.replies_text()
    assert bot.services.requests.all() == []


def test_bad_reject_input(bot, slack, gh):
    resp = bot.command("reject Ada", user=HM)
    assert "Usage" in resp.get_data(as_text=True)
    assert gh.calls == []
