"""Closing a job: request, thread, approval, exactly-once writes — driven as Slack would."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from bot import housekeeping
from tests.conftest import (
    ADMIN, CLOSED_OPENING, COORDINATOR, COORDINATOR_ID, HM, JOB_ID, OPEN_OPENINGS, OUTSIDER, RECRUITER, RECRUITER_ID, Bot,
)

ON_HOLD = 4012092002


@pytest.fixture
def settings_overrides():
    return {"bot_approvals_channel": "CAPPROVALS"}


def ask_close(bot, text=f"close {JOB_ID} on hold", user=HM):
    bot.command(text, user=user)
    [request] = [r for r in bot.services.requests.all() if r.state == "requested"]
    return request


def buttons(blocks):
    return {el["action_id"]: el for b in blocks if b["type"] == "actions" for el in b["elements"]}


def test_request_posted_with_thread_and_no_write_before_approval(bot, slack, gh):
    r = ask_close(bot)
    assert r.close_reason_name == "On Hold" and sorted(r.opening_ids) == sorted(OPEN_OPENINGS)
    main, thread = slack.calls_to("chat.postMessage")[:2]
    assert main["channel"] == "CAPPROVALS"
    text = json.dumps(main["blocks"])
    assert "2 open openings will be closed with reason *On Hold*; 3 active candidates stay active on the closed job" in text
    # The posted request says it is waiting, not the "draft" it was a moment before posting.
    assert "Waiting for approval" in text and "draft" not in text
    assert thread["thread_ts"] == r.message_ts and thread["channel"] == "CAPPROVALS"
    assert "<@URC>" in json.dumps(thread["blocks"]) and "<@UCO>" in json.dumps(thread["blocks"])
    b = buttons(thread["blocks"])
    assert b["request_approve"]["value"] == r.id and b["request_approve"]["style"] == "primary"
    assert "On Hold" in json.dumps(b["request_approve"]["confirm"])
    assert b["request_deny"]["value"] == r.id
    assert gh.writes() == []
    assert "posted in <#CAPPROVALS>" in bot.replies_text()


def test_approval_closes_each_open_opening_once_on_behalf_of_approver(bot, slack, gh):
    r = ask_close(bot)
    bot.click("request_approve", r.id, RECRUITER)
    writes = gh.writes()
    assert sorted(w.path for w in writes) == sorted(f"/jobs/{JOB_ID}/openings/{o}" for o in OPEN_OPENINGS)
    for w in writes:
        assert w.method == "PATCH"
        assert w.headers["on-behalf-of"] == str(RECRUITER_ID)
        assert w.body == {"status": "closed", "close_reason_id": ON_HOLD}
    assert all(w.path != f"/jobs/{JOB_ID}/openings/{CLOSED_OPENING}" for w in writes)
    done = bot.services.requests.get(r.id)
    assert done.state == "done" and done.job_status_after == "closed" and done.decided_by == RECRUITER
    updates = slack.calls_to("chat.update")
    final_thread = [u for u in updates if u["ts"] == r.thread_ts][-1]
    assert "request_approve" not in json.dumps(final_thread["blocks"])  # buttons gone
    assert "Approved by <@URC>" in json.dumps(final_thread["blocks"])
    final_main = [u for u in updates if u["ts"] == r.message_ts][-1]
    assert "The job is now closed" in json.dumps(final_main["blocks"])
    dm = [m for m in slack.calls_to("chat.postMessage") if m["channel"] == HM and m["text"].startswith("Your request")]
    assert len(dm) == 1 and "Approved by <@URC>" in dm[0]["text"]


def test_double_click_and_retried_delivery_write_once(bot, slack, gh):
    r = ask_close(bot)
    bot.click("request_approve", r.id, RECRUITER)
    bot.click("request_approve", r.id, RECRUITER, headers={"x-slack-retry-num": "1"})
    bot.click("request_approve", r.id, COORDINATOR)
    assert len(gh.writes()) == 2
    assert "Already approved by <@URC>" in json.dumps(slack.responses()[-1])


def test_two_approvers_clicking_at_once_give_one_execution(tmp_path, slack, gh):
    bot = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS")
    r = ask_close(bot)
    # A second bot on the same database file (as a second gunicorn worker would be).
    other = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS")
    barrier = threading.Barrier(2)

    def click(b, user):
        barrier.wait()
        b.click("request_approve", r.id, user)

    threads = [threading.Thread(target=click, args=(bot, RECRUITER)), threading.Thread(target=click, args=(other, COORDINATOR))]
    [t.start() for t in threads]
    [t.join(10) for t in threads]
    assert len(gh.writes()) == 2
    assert bot.services.requests.get(r.id).state == "done"


def test_outsider_and_requester_cannot_approve(bot, slack, gh):
    r = ask_close(bot)
    bot.click("request_approve", r.id, OUTSIDER)
    assert "Only the recruiters and coordinators" in json.dumps(slack.responses()[-1])
    assert slack.responses()[-1]["response_type"] == "ephemeral"
    bot.click("request_approve", r.id, HM)
    assert "someone else has to approve" in json.dumps(slack.responses()[-1])
    assert gh.writes() == [] and bot.services.requests.get(r.id).state == "requested"


def test_self_approval_refused_unless_allowed(tmp_path, slack, gh):
    bot = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS")
    r = ask_close(bot, user=RECRUITER)
    bot.click("request_approve", r.id, RECRUITER)
    assert gh.writes() == []
    allowing = Bot.build(tmp_path / "b", slack, gh, bot_approvals_channel="CAPPROVALS", bot_allow_self_approval=True)
    r2 = ask_close(allowing, user=RECRUITER)
    allowing.click("request_approve", r2.id, RECRUITER)
    assert len(gh.writes()) == 2


def test_admin_may_approve(bot, slack, gh):
    slack.users[ADMIN]["email"] = "olly@acme.test"  # the admin is mapped to a Greenhouse user off the team
    r = ask_close(bot)
    bot.click("request_approve", r.id, ADMIN)
    assert {w.headers["on-behalf-of"] for w in gh.writes()} == {"104"}


def test_deny_with_reason_writes_nothing(bot, slack, gh):
    r = ask_close(bot)
    bot.click("request_deny", r.id, RECRUITER)
    [opened] = slack.calls_to("views.open")
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    assert view["private_metadata"] == r.id
    submit = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": RECRUITER}, "api_app_id": "A1",
              "view": {"id": "V1", "callback_id": "deny_modal", "private_metadata": r.id, "type": "modal",
                       "state": {"values": {"reason": {"reason": {"type": "plain_text_input", "value": "hiring <!channel> later"}}}}}}
    from urllib.parse import urlencode
    resp = bot.post_signed(urlencode({"payload": json.dumps(submit)}))
    assert resp.status_code == 200
    denied = bot.services.requests.get(r.id)
    assert denied.state == "denied" and denied.deny_reason == "hiring <!channel> later"
    final = [u for u in slack.calls_to("chat.update") if u["ts"] == r.thread_ts][-1]
    text = json.dumps(final["blocks"])
    assert "Denied by <@URC>" in text and "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert "request_approve" not in text
    assert gh.writes() == []
    bot.click("request_approve", r.id, COORDINATOR)
    assert gh.writes() == [] and "Already denied" in json.dumps(slack.responses()[-1])


def test_outsider_cannot_deny(bot, slack, gh):
    r = ask_close(bot)
    bot.click("request_deny", r.id, OUTSIDER)
    assert slack.calls_to("views.open") == []
    assert bot.services.requests.get(r.id).state == "requested"


def test_expiry_removes_buttons_and_tells_requester(bot, slack, gh):
    r = ask_close(bot)
    bot.services.store.update("requests", r.id, lambda raw: {**raw, "expires_at": time.time() - 1})
    housekeeping.run_once(bot.services)
    assert bot.services.requests.get(r.id).state == "expired"
    final = [u for u in slack.calls_to("chat.update") if u["ts"] == r.thread_ts][-1]
    assert "request_approve" not in json.dumps(final["blocks"]) and "Expired" in json.dumps(final["blocks"])
    assert any(m["channel"] == HM and "Expired" in m["text"] for m in slack.calls_to("chat.postMessage"))
    bot.click("request_approve", r.id, RECRUITER)
    assert gh.writes() == []


def test_partial_failure_then_retry_touches_only_what_is_open(bot, slack, gh):
    r = ask_close(bot)
    second = sorted(OPEN_OPENINGS)[1]
    gh.fail("PATCH", f"/jobs/{JOB_ID}/openings/{second}", 500, {"message": "boom"})
    bot.click("request_approve", r.id, RECRUITER)
    failed = bot.services.requests.get(r.id)
    assert failed.state == "failed"
    assert failed.results[str(sorted(OPEN_OPENINGS)[0])] == "closed"
    assert len([w for w in gh.writes() if w.path.endswith(str(second))]) == 1  # a failed write is not repeated
    thread = [u for u in slack.calls_to("chat.update") if u["ts"] == r.thread_ts][-1]
    assert "request_retry" in json.dumps(thread["blocks"]) and "Closed 1 of 2" in json.dumps(thread["blocks"])
    before = len(gh.writes())
    bot.click("request_retry", r.id, RECRUITER)
    new = gh.writes()[before:]
    assert [w.path for w in new] == [f"/jobs/{JOB_ID}/openings/{second}"]
    assert bot.services.requests.get(r.id).state == "done"


def test_422_is_shown_in_greenhouses_words(bot, slack, gh):
    r = ask_close(bot)
    gh.fail("PATCH", f"/jobs/{JOB_ID}/openings/.*", 422, {"errors": [{"message": "Close reason is invalid", "field": "close_reason_id"}]})
    bot.click("request_approve", r.id, RECRUITER)
    failed = bot.services.requests.get(r.id)
    assert failed.state == "failed" and "close_reason_id: Close reason is invalid" in failed.error
    assert "Close reason is invalid" in json.dumps(slack.calls_to("chat.update")[-1]["blocks"])


@pytest.mark.parametrize("greenhouse_did_it", [True, False])
def test_restart_in_executing_reconciles_by_reading(tmp_path, slack, gh, greenhouse_did_it):
    bot = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS")
    r = ask_close(bot)
    bot.services.requests.claim(r.id, bot.services.identity.caller(RECRUITER))
    # The process died mid-execution: a dead executor, and maybe Greenhouse got the writes.
    bot.services.store.update("requests", r.id, lambda raw: {**raw, "executor": raw["executor"].split(":")[0] + ":999999999"})
    if greenhouse_did_it:
        for o in gh.jobs[JOB_ID]["openings"]:
            o["status"] = "closed"
        gh.jobs[JOB_ID]["status"] = "closed"
    bot.services.store.close()
    restarted = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS")
    housekeeping.run_once(restarted.services)
    settled = restarted.services.requests.get(r.id)
    assert gh.writes() == []  # reconciled by reading, never by writing
    assert settled.state == ("done" if greenhouse_did_it else "failed")
    if not greenhouse_did_it:
        restarted.click("request_retry", r.id, COORDINATOR)
        assert len(gh.writes()) == 2 and gh.writes()[0].headers["on-behalf-of"] == str(COORDINATOR_ID)


def test_live_execution_is_not_reconciled(bot, gh):
    r = ask_close(bot)
    bot.services.requests.claim(r.id, bot.services.identity.caller(RECRUITER))
    assert bot.services.requests.reconcile_stuck() == []
    assert bot.services.requests.get(r.id).state == "executing"


def test_no_reason_words_offers_the_real_list_then_posts(bot, slack, gh):
    bot.command(f"close {JOB_ID}", user=HM)
    [draft] = bot.services.requests.all()
    assert draft.state == "draft" and slack.calls_to("chat.postMessage") == []
    form = slack.responses()[-1]
    select = next(el for b in form["blocks"] if b["type"] == "actions" for el in b["elements"] if el["type"] == "static_select")
    assert [o["text"]["text"] for o in select["options"]] == ["On Hold", "Hire - New Headcount", "Backfill", "Not Filling"]
    bot.click("draft_reason", "", HM, extra_action={"type": "static_select", "selected_option": {"value": f"{draft.id}|366"}})
    bot.click("draft_submit", draft.id, HM)
    posted = bot.services.requests.get(draft.id)
    assert posted.state == "requested" and posted.close_reason_name == "Backfill"
    assert gh.writes() == []


def test_ambiguous_reason_words_ask(bot, gh):
    bot.command(f"close {JOB_ID} o", user=HM)  # matches On Hold, Not Filling, Headcount…
    assert bot.services.requests.all()[0].state == "draft"


def test_close_refusals(bot, slack, gh):
    bot.command(f"close {JOB_ID} on hold", user=OUTSIDER)
    assert "you are not on its hiring team" in bot.replies_text() and "Archaeologist" not in bot.replies_text()
    gh.jobs[JOB_ID]["openings"] = [o for o in gh.jobs[JOB_ID]["openings"] if o["status"] == "closed"]
    bot.command(f"close {JOB_ID} on hold", user=HM)
    assert "has no open openings" in bot.replies_text()
    bot.command("close 424242 on hold", user=HM)
    assert "can't find a job" in bot.replies_text()
    assert slack.calls_to("chat.postMessage") == [] and gh.writes() == []


def test_unpostable_request_is_not_left_half_made(bot, slack, gh):
    slack.fail["chat.postMessage"] = "not_in_channel"
    bot.command(f"close {JOB_ID} on hold", user=HM)
    assert "invite me there" in bot.replies_text()
    [r] = bot.services.requests.all()
    assert r.state == "discarded"
    assert bot.services.requests.pending_for(bot.services.identity.caller(HM)).requests == []


def test_thread_post_failure_removes_the_main_message(bot, slack, gh):
    calls = {"n": 0}

    def post(params):
        calls["n"] += 1
        if calls["n"] == 2:
            return {"ok": False, "error": "ratelimited"}
        return {"ok": True, "channel": params["channel"], "ts": "1700000099.000100"}

    slack.handlers["chat.postMessage"] = post
    bot.command(f"close {JOB_ID} on hold", user=HM)
    assert slack.calls_to("chat.delete") and bot.services.requests.all()[0].state == "discarded"


def test_public_approvals_channel_is_flagged_in_the_request(bot, slack, gh):
    slack.channels["CAPPROVALS"] = {"is_private": False}
    ask_close(bot)
    assert "This channel is public" in json.dumps(slack.calls_to("chat.postMessage")[0]["blocks"])


def test_pending_and_history(bot, slack, gh):
    r = ask_close(bot)
    bot.command("pending", user=RECRUITER)
    assert r.id in json.dumps(slack.responses()[-1]) or "Close job" in json.dumps(slack.responses()[-1])
    bot.command("pending", user=OUTSIDER)
    assert "No open requests" in json.dumps(slack.responses()[-1])
    bot.click("request_approve", r.id, RECRUITER)
    bot.command(f"history {JOB_ID}", user=HM)
    hist = json.dumps(slack.responses()[-1])
    assert "executing" in hist and "done" in hist and "<@URC>" in hist
    bot.command(f"history {JOB_ID}", user=OUTSIDER)
    assert "you are not on its hiring team" in json.dumps(slack.responses()[-1])


def test_buttons_carry_only_the_request_id(bot, slack, gh):
    r = ask_close(bot)
    bot.click("request_approve", json.dumps({"id": r.id, "close_reason_id": 1}), RECRUITER)
    assert gh.writes() == [] and "out of date" in json.dumps(slack.responses()[-1])


def test_retried_slash_command_makes_no_second_request(bot, slack, gh):
    bot.command(f"close {JOB_ID} on hold", user=HM)
    bot.command(f"close {JOB_ID} on hold", user=HM, headers={"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"})
    assert len(bot.services.requests.all()) == 1
    assert len([m for m in slack.calls_to("chat.postMessage") if "thread_ts" not in m]) == 1


def test_approved_close_announces_the_auto_close_in_the_thread_once(bot, slack, gh):
    r = ask_close(bot)
    bot.click("request_approve", r.id, RECRUITER)
    notices = [m for m in slack.calls_to("chat.postMessage") if "is now closed" in m.get("text", "")]
    in_thread = [m for m in notices if m.get("thread_ts") == r.message_ts]
    assert len(in_thread) == 1 and "approved request" in in_thread[0]["text"]

    assert bot.services.autoclose.announce_if_closed(JOB_ID) is None  # a later web hook or poll says nothing more


def test_recruiter_taken_off_the_job_since_cannot_approve(bot, slack, gh):
    r = ask_close(bot)
    gh.jobs[JOB_ID]["hiring_team"]["recruiters"] = []
    bot.click("request_approve", r.id, RECRUITER)
    assert gh.writes() == [] and bot.services.requests.get(r.id).state == "requested"
    assert "Only the recruiters and coordinators" in json.dumps(slack.responses()[-1])
    bot.click("request_approve", r.id, COORDINATOR)
    assert len(gh.writes()) == 2
