"""Truthful outcomes: what Greenhouse did is stored before Slack hears of it, and every
message about a request says what was written; Slack failing (even without a Slack
error) never leaves a request stuck or a false sentence; decided requests ask for
nothing; one request per *Request approval*; Retry expires with the request."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
from urllib.parse import urlencode

import pytest

from bot import housekeeping
from bot.slack import request_messages
from bot.slack.blocks.requests import approve_confirm
from bot.workflows.requests import Request
from tests.conftest import HM, JOB_ID, OPEN_OPENINGS, RECRUITER, Bot

FIRST, SECOND = sorted(OPEN_OPENINGS)


@pytest.fixture
def settings_overrides():
    return {"bot_approvals_channel": "CAPPROVALS"}


@pytest.fixture(autouse=True)
def _no_retry_pause(monkeypatch):
    monkeypatch.setattr(request_messages, "RETRY_PAUSE_S", 0)


def ask_close(bot):
    bot.command(f"close {JOB_ID} on hold", user=HM)
    [request] = [r for r in bot.services.requests.all() if r.state == "requested"]
    return request


def network_down(monkeypatch, client, method, *, times=10**6):
    """`method` fails like a dropped connection (not a SlackApiError) `times` times."""
    real = getattr(client, method)
    left = {"n": times}

    def broken(**kwargs):
        if left["n"] > 0:
            left["n"] -= 1
            raise urllib.error.URLError(ConnectionResetError("connection reset by peer"))
        return real(**kwargs)

    monkeypatch.setattr(client, method, broken)


def said_to(slack, channel):
    return [json.dumps(m) for m in slack.calls_to("chat.postMessage") if m["channel"] == channel]


def everything_said(slack):
    return json.dumps(slack.calls)


def deny(bot, request_id, user=RECRUITER, reason=""):
    submit = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": user}, "api_app_id": "A1",
              "view": {"id": "V1", "callback_id": "deny_modal", "private_metadata": request_id, "type": "modal",
                       "state": {"values": {"reason": {"reason": {"type": "plain_text_input", "value": reason}}}}}}
    assert bot.post_signed(urlencode({"payload": json.dumps(submit)})).status_code == 200


def test_network_error_on_every_update_after_the_writes_still_tells_what_was_done(bot, slack, gh, monkeypatch):
    r = ask_close(bot)
    network_down(monkeypatch, bot.services.slack, "chat_update")
    bot.click("request_approve", r.id, RECRUITER)
    done = bot.services.requests.get(r.id)
    assert done.state == "done" and done.results == {str(o): "closed" for o in OPEN_OPENINGS}
    assert len(gh.writes()) == 2
    # The messages that could not be updated are replaced by replies in the thread…
    replacements = [m for m in slack.calls_to("chat.postMessage")
                    if m.get("thread_ts") == r.message_ts and m["text"].startswith(("Request:", "Decided:"))]
    assert replacements and all("Closed 2 of 2 openings" in json.dumps(m["blocks"]) for m in replacements)
    assert bot.services.requests.get(r.id).thread_ts != r.thread_ts  # later updates go to the replacement
    # …the requester is told, and nobody is told that nothing changed.
    [notice] = [m for m in said_to(slack, HM) if "Your request" in m]
    assert "Closed 2 of 2 openings" in notice
    assert "nothing was changed" not in everything_said(slack).lower()


def test_the_store_holds_each_result_before_slack_hears_of_it(bot, slack, gh, monkeypatch):
    r = ask_close(bot)
    seen = []
    real = bot.services.slack.chat_update

    def update(**kwargs):
        seen.append(dict(bot.services.requests.get(r.id).results))
        return real(**kwargs)

    monkeypatch.setattr(bot.services.slack, "chat_update", update)
    bot.click("request_approve", r.id, RECRUITER)
    # At the "writing…" update nothing is written; at the final one both results are stored.
    assert seen[0] == {} and seen[-1] == {str(o): "closed" for o in OPEN_OPENINGS}


def test_update_failing_at_the_click_does_not_leave_the_request_executing(bot, slack, gh, monkeypatch):
    r = ask_close(bot)
    network_down(monkeypatch, bot.services.slack, "chat_update", times=2)  # the "writing…" update, both tries
    bot.click("request_approve", r.id, RECRUITER)
    assert bot.services.requests.get(r.id).state == "done" and len(gh.writes()) == 2


def test_a_crash_before_any_write_leaves_the_request_retryable_and_pending(bot, slack, gh, monkeypatch):
    r = ask_close(bot)

    def crash(job_id):
        raise RuntimeError("a bug")

    monkeypatch.setattr(bot.services.harvest, "list_openings", crash)
    bot.click("request_approve", r.id, RECRUITER)
    failed = bot.services.requests.get(r.id)
    assert failed.state == "failed" and gh.writes() == []
    assert [p.id for p in bot.services.requests.pending_for(bot.services.identity.caller(RECRUITER)).requests] == [r.id]
    thread = [u for u in slack.calls_to("chat.update") if u["ts"] == r.thread_ts][-1]
    assert "request_retry" in json.dumps(thread["blocks"]) and "Closed 0 of 2 openings" in json.dumps(thread["blocks"])
    monkeypatch.undo()
    bot.click("request_retry", r.id, RECRUITER)
    assert bot.services.requests.get(r.id).state == "done" and len(gh.writes()) == 2


def test_once_decided_the_thread_asks_for_nothing(bot, slack, gh):
    r = ask_close(bot)
    bot.click("request_approve", r.id, RECRUITER)
    final = [u for u in slack.calls_to("chat.update") if u["ts"] == r.thread_ts][-1]
    text = json.dumps(final["blocks"])
    assert "Please approve or deny" not in text and "request_approve" not in text
    assert "No decision needed" in text and "Closed 2 of 2 openings" in text


def test_partial_close_then_deny_says_what_was_written(bot, slack, gh):
    r = ask_close(bot)
    gh.fail("PATCH", f"/jobs/{JOB_ID}/openings/{SECOND}", 500, {"message": "boom"})
    bot.click("request_approve", r.id, RECRUITER)
    failed = bot.services.requests.get(r.id)
    assert failed.state == "failed"
    # One voice for Greenhouse's errors.
    assert failed.error == "Greenhouse refused: a server error (500). Retry in a few minutes."
    assert "Greenhouse said" not in everything_said(slack) and "Greenhouse had a server error" not in everything_said(slack)

    deny(bot, r.id, reason="not now")
    assert bot.services.requests.get(r.id).state == "denied"
    main = [u for u in slack.calls_to("chat.update") if u["ts"] == r.message_ts][-1]
    [dm] = [m for m in said_to(slack, HM) if "Denied by" in m]
    for said in (json.dumps(main["blocks"]), dm):
        assert f"Closed 1 of 2 openings ({FIRST})" in said and f"Still open: {SECOND}" in said
        assert "Nothing was written" not in said


def test_deny_before_any_write_says_nothing_was_written(bot, slack, gh):
    r = ask_close(bot)
    deny(bot, r.id)
    [dm] = [m for m in said_to(slack, HM) if "Denied by" in m]
    assert "Nothing was written to Greenhouse" in dm


def test_rejected_candidate_is_named_in_the_outcome(bot, slack, gh):
    bot.command("reject 11 missing resume", user=HM)
    [draft] = bot.services.requests.all()
    bot.click("draft_submit", draft.id, HM)
    bot.click("request_approve", draft.id, RECRUITER)
    [dm] = [m for m in said_to(slack, HM) if "Your request" in m]
    assert "Ada Lovelace (application 11) was rejected." in dm


@pytest.mark.parametrize("kind", ["reject_application", "close_job"])
def test_confirm_dialog_warning_is_never_cut(kind):
    long = "Ada " + "von Longname-" * 40
    r = Request(id="req-1", kind=kind, job_id=JOB_ID, job_name=long, requester=HM, requester_gh=101,
                requester_name="H", origin_channel="C", created_at=0, expires_at=1, application_id=11,
                candidate_name=long, rejection_reason_id=1, rejection_reason_name=long, email_template_id=42,
                email_template_name=long, opening_ids=list(OPEN_OPENINGS), close_reason_id=1, close_reason_name=long,
                active_candidates=3)
    text = approve_confirm(r)["text"]["text"]
    assert len(text) <= 300
    if kind == "reject_application":
        assert "WILL be sent to the candidate." in text and text.endswith("This cannot be taken back.")
    else:
        assert "2 open openings will be closed" in text and text.endswith("when its last opening closes.")


def test_two_quick_clicks_on_request_approval_post_one_request(tmp_path, slack, gh):
    bot = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS")
    bot.command("reject 11 missing resume", user=HM)
    [draft] = bot.services.requests.all()
    other = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS")
    barrier = threading.Barrier(2)

    def click(b):
        barrier.wait()
        b.click("draft_submit", draft.id, HM)

    threads = [threading.Thread(target=click, args=(b,)) for b in (bot, other)]
    [t.start() for t in threads]
    [t.join(10) for t in threads]
    bot.click("draft_submit", draft.id, HM)  # and a third, later
    assert len([m for m in slack.calls_to("chat.postMessage") if "thread_ts" not in m]) == 1
    assert bot.services.requests.get(draft.id).state == "requested"
    assert "already posted" in bot.replies_text()


def test_retry_expires_with_the_request(bot, slack, gh):
    r = ask_close(bot)
    gh.fail("PATCH", f"/jobs/{JOB_ID}/openings/{SECOND}", 500, {"message": "boom"})
    bot.click("request_approve", r.id, RECRUITER)
    assert bot.services.requests.get(r.id).state == "failed"
    writes = len(gh.writes())
    bot.services.store.update("requests", r.id, lambda raw: {**raw, "expires_at": time.time() - 1})
    bot.click("request_retry", r.id, RECRUITER)
    assert len(gh.writes()) == writes  # past its TTL, Retry writes nothing
    housekeeping.run_once(bot.services)
    expired = bot.services.requests.get(r.id)
    assert expired.state == "expired"
    thread = [u for u in slack.calls_to("chat.update") if u["ts"] == r.thread_ts][-1]
    assert "request_retry" not in json.dumps(thread["blocks"])
    assert f"Closed 1 of 2 openings ({FIRST})" in json.dumps(thread["blocks"])
    bot.click("request_retry", r.id, RECRUITER)
    assert len(gh.writes()) == writes and "expired" in json.dumps(slack.responses()[-1])


def test_a_finished_close_says_what_was_asked_not_what_remains(bot, slack, gh):
    bot.command(f"close {JOB_ID} on hold", user=HM)
    [r] = [x for x in bot.services.requests.all() if x.state == "requested"]
    bot.click("request_approve", r.id, RECRUITER)
    final = [u for u in slack.calls_to("chat.update") if u["ts"] == r.message_ts][-1]
    text = json.dumps(final["blocks"])
    assert "0 open openings will be closed" not in text
    assert "Asked by <@UHM> to close 2 open openings with reason *On Hold*" in text and "Closed 2 of 2 openings" in text
