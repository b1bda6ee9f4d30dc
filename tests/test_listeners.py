"""Listeners as plain functions: each handler is called with an Event built here,
without HTTP, Bolt or a signature; the lazy half is called with a payload dict.
(The signed end-to-end runs are in test_requests_*.py and test_hostile.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from bot.identity import Caller, IdentityProblem
from bot.slack.actions.job_view import more
from bot.slack.actions.requests import approve, cancel, deny_submitted, pick_reason
from bot.slack.listeners import Event
from bot.workflows.errors import Refused, UserFacingError
from tests.conftest import ADMIN, HM, JOB_ID, OPEN_OPENINGS, OUTSIDER, RECRUITER, RECRUITER_ID, STRANGER

ON_HOLD = 4012092002


@pytest.fixture
def settings_overrides():
    return {"bot_approvals_channel": "CAPPROVALS"}


class Said:
    """Stands in for Bolt's `respond`: keeps what the listener said."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def __call__(self, **message: Any) -> None:
        self.messages.append(message)


def event(bot: Any, value: Any, user: str, body: dict[str, Any] | None = None) -> Event:
    return Event(bot.services, bot.services.identity.caller(user), value, body or {}, Said(), bot.services.slack)


def requested(bot: Any) -> Any:
    bot.command(f"close {JOB_ID} on hold", user=HM)
    [r] = [r for r in bot.services.requests.all() if r.state == "requested"]
    return r


def test_caller_is_resolved_once_with_mapping_or_the_reason_why_not(bot):
    hm = bot.services.identity.caller(HM)
    assert hm.mapping is not None and hm.greenhouse_user_id == 101 and not hm.is_admin
    stranger = bot.services.identity.caller(STRANGER)
    assert stranger.mapping is None and not stranger.is_admin
    with pytest.raises(IdentityProblem, match="No Greenhouse user has the email"):
        stranger.team_member_id()  # a non-admin needs a mapping to be checked against a team
    admin = Caller(ADMIN, is_admin=True)
    assert admin.team_member_id() is None  # admins see every job without one
    with pytest.raises(IdentityProblem):
        admin.mapped()  # ...but nothing is written in the name of nobody


def test_approve_handler_writes_on_behalf_of_the_caller(bot, gh, slack):
    r = requested(bot)
    approve(event(bot, r.id, RECRUITER))
    writes = gh.writes()
    assert sorted(w.path for w in writes) == sorted(f"/jobs/{JOB_ID}/openings/{o}" for o in OPEN_OPENINGS)
    assert {w.headers["on-behalf-of"] for w in writes} == {str(RECRUITER_ID)}
    assert bot.services.requests.get(r.id).state == "done"
    assert slack.calls_to("chat.update")  # both messages brought in line


def test_approve_handler_refuses_an_outsider_before_any_write(bot, gh):
    r = requested(bot)
    with pytest.raises(Refused, match="Only the recruiters and coordinators"):
        approve(event(bot, r.id, OUTSIDER))
    assert gh.writes() == [] and bot.services.requests.get(r.id).state == "requested"


def test_cancel_handler_only_for_the_requester(bot):
    bot.command(f"close {JOB_ID}", user=HM)  # no reason words: stays a draft
    [draft] = bot.services.requests.all()
    with pytest.raises(Refused, match="Only the person who asked"):
        cancel(event(bot, draft.id, RECRUITER))
    mine = event(bot, draft.id, HM)
    cancel(mine)
    assert bot.services.requests.get(draft.id).state == "discarded"
    assert mine.respond.messages == [{"text": "Cancelled; nothing was requested.", "blocks": None,
                                      "response_type": "ephemeral", "replace_original": True}]


def test_pick_reason_handler_refuses_a_stale_choice(bot):
    bot.command(f"close {JOB_ID}", user=HM)
    [draft] = bot.services.requests.all()
    with pytest.raises(UserFacingError, match="out of date"):
        pick_reason(event(bot, (draft.id, "not-a-number"), HM))
    pick_reason(event(bot, (draft.id, str(ON_HOLD)), HM))
    assert bot.services.requests.get(draft.id).close_reason_name == "On Hold"


def test_lazy_half_decodes_once_and_says_a_stale_button_in_one_sentence(bot, gh):
    said = Said()
    calls_before = len(gh.calls)
    body = {"user": {"id": HM}, "actions": [{"action_id": "job_view_more", "value": "not-a-page"}]}
    more.lazy(bot.services)(body=body, respond=said, client=bot.services.slack)
    assert said.messages == [{"text": "That button is out of date; run the command again.",
                              "response_type": "ephemeral", "replace_original": False}]
    assert len(gh.calls) == calls_before  # a stale value costs no Harvest call


def test_modal_failure_is_told_by_dm(bot, slack):
    r = requested(bot)
    body = {"user": {"id": OUTSIDER}, "view": {"private_metadata": r.id, "state": {"values": {}}}}
    deny_submitted.lazy(bot.services)(body=body, respond=Said(), client=bot.services.slack)
    [dm] = [m for m in slack.calls_to("chat.postMessage") if m["channel"] == OUTSIDER]
    assert "Only the recruiters and coordinators" in dm["text"]
    assert bot.services.requests.get(r.id).state == "requested"
