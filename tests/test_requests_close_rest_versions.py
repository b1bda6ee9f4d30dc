"""Close and reject the rest on Harvest v1 and v3 alike: the same Greenhouse data served
both ways, the same clicks, and on each version the writes Greenhouse receives (paths,
acting user, bodies), the skips and Retry."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import HM, JOB_ID, OPEN_OPENINGS, RECRUITER, RECRUITER_ID, Bot, served_both_ways
from tests.test_job_view_v3 import V3_SETTINGS

MISSING_RESUME, STANDARD_EMAIL = 262, 42
ACTIVE = (11, 21, 31)
NOTES = "Rejected via Slack when the job was closed: requested by Hannah Manager, approved by Rita Recruiter."


@pytest.fixture(params=["v1", "v3"])
def world(request: Any, tmp_path: Any, slack: Any) -> Any:
    """(bot, Greenhouse data, who acted on a call, the path a version gives an opening's close)."""
    with served_both_ways() as (gh, v3):
        if request.param == "v1":
            bot = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS")
            yield bot, gh, (lambda call: int(call.headers["on-behalf-of"])), (lambda o: f"/jobs/{JOB_ID}/openings/{o}")
        else:
            bot = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS", **V3_SETTINGS)
            assert bot.services.harvest.version == "v3"
            yield bot, gh, v3.sub_of, (lambda o: f"/openings/{o}")


def select(bot: Bot, action_id: str, value: str) -> None:
    bot.click(action_id, "", HM, extra_action={"type": "static_select", "selected_option": {"value": value}})


def ask(bot: Bot) -> str:
    bot.command(f"close {JOB_ID} on hold reject rest", user=HM)
    [draft] = [r for r in bot.services.requests.all() if r.state == "draft"]
    select(bot, "draft_rest_reason", f"{draft.id}|{MISSING_RESUME}")
    select(bot, "draft_rest_template", f"{draft.id}|{STANDARD_EMAIL}")
    bot.click("draft_submit", draft.id, HM)
    assert bot.services.requests.get(draft.id).state == "requested"
    return draft.id


def test_each_version_closes_then_rejects_each_once_as_the_approver(world):
    bot, gh, acting, opening_path = world
    request_id = ask(bot)
    bot.click("request_approve", request_id, RECRUITER)
    writes = gh.writes()
    assert [(w.method, w.path) for w in writes] == (
        [("PATCH", opening_path(o)) for o in OPEN_OPENINGS] + [("POST", f"/applications/{a}/reject") for a in ACTIVE])
    assert {acting(w) for w in writes} == {RECRUITER_ID}
    assert [w.body for w in writes[2:]] == [{"rejection_reason_id": MISSING_RESUME, "notes": NOTES,
                                            "rejection_email": {"email_template_id": STANDARD_EMAIL}}] * 3
    assert bot.services.requests.get(request_id).state == "done"
    assert all(gh.find_application(a)["status"] == "rejected" for a in ACTIVE)


def test_each_version_skips_what_changed_and_retries_only_the_rest(world):
    bot, gh, acting, opening_path = world
    gh.add_candidate(5, "Barbara Liskov", [gh.application(51, JOB_ID, stage="Onsite")])
    request_id = ask(bot)
    gh.find_application(11)["status"] = "hired"
    gh.find_application(31)["jobs"] = [{"id": 999, "name": "Job 999"}]
    gh.fail("POST", "/applications/51/reject", 500, {"message": "boom"})
    bot.click("request_approve", request_id, RECRUITER)
    failed = bot.services.requests.get(request_id)
    assert failed.state == "failed"
    assert {k: v for k, v in failed.results.items() if k.startswith("app:")} == {
        "app:11": "skipped: hired", "app:21": "rejected", "app:31": "skipped: moved to another job",
        "app:51": "unconfirmed: Greenhouse refused: a server error (500). Retry in a few minutes."}
    before = len(gh.writes())
    bot.click("request_retry", request_id, RECRUITER)
    assert [(w.method, w.path, acting(w)) for w in gh.writes()[before:]] == [
        ("POST", "/applications/51/reject", RECRUITER_ID)]
    assert bot.services.requests.get(request_id).state == "done"


def test_v3_needs_a_rejection_reason_for_the_rest_and_v1_does_not(world):
    bot, gh, acting, opening_path = world
    bot.command(f"close {JOB_ID} on hold reject rest", user=HM)
    [draft] = bot.services.requests.all()
    bot.click("draft_submit", draft.id, HM)
    posted = bot.services.requests.get(draft.id).state == "requested"
    if bot.services.harvest.version == "v3":
        assert not posted and "Pick a rejection reason for the candidates first" in bot.replies_text()
    else:
        assert posted  # v1 rejects without a reason when none is given
        bot.click("request_approve", draft.id, RECRUITER)
        assert [w.body for w in gh.writes()[2:]] == [{"notes": NOTES}] * 3


def test_each_version_names_the_skipped_even_when_the_draft_knew_no_names(world):
    """A job view names only the page it shows (decision 0007), so a close draft keeps only the
    names already known — none here, no view came first. The read that finds an application
    changed names its candidate: the outcome lists the skipped by name, never by number."""
    bot, gh, acting, opening_path = world
    request_id = ask(bot)
    assert bot.services.requests.get(request_id).rest_candidate_names == {}
    gh.find_application(11)["status"] = "hired"
    bot.click("request_approve", request_id, RECRUITER)
    done = bot.services.requests.get(request_id)
    assert done.state == "done" and done.rest_candidate_names == {"11": "Ada Lovelace"}
    final = [u for u in bot.slack.calls_to("chat.update") if u["ts"] == done.message_ts][-1]
    assert "Skipped 1 that changed meanwhile: Ada Lovelace (hired)." in str(final["blocks"])


def test_each_version_keeps_the_names_a_view_showed_on_the_draft(world):
    """Right after a view the draft keeps the names of the page it showed, with no request."""
    bot, gh, acting, opening_path = world
    bot.command(f"job {JOB_ID}", user=HM)
    request_id = ask(bot)
    assert bot.services.requests.get(request_id).rest_candidate_names == {
        "11": "Ada Lovelace", "21": "Grace Hopper", "31": "Alan Turing"}
