"""App Home: what each person's tab lists, Approve/Deny from it through the same
claim as the thread, the refresh after each transition, reminders once across
restarts, unhandled events answered 200 — driven as Slack would."""

from __future__ import annotations

import json
import threading
import time

import pytest

from bot import housekeeping
from bot.slack.blocks.home import MAX_HOME_BLOCKS, home_view
from bot.workflows.home import HomeTab
from bot.workflows.requests import Request
from tests.conftest import ADMIN, COORDINATOR, HM, JOB_ID, OUTSIDER, RECRUITER, STRANGER, Bot


@pytest.fixture
def settings_overrides():
    return {"bot_approvals_channel": "CAPPROVALS"}


def ask_close(bot, user=HM):
    bot.command(f"close {JOB_ID} on hold", user=user)
    [request] = [r for r in bot.services.requests.all() if r.state == "requested"]
    return request


def open_home(bot, user):
    body = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": f"Ev{time.time_ns()}",
            "event": {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"}}
    return bot.post_signed(json.dumps(body), content_type="application/json")


def last_home(slack, user):
    views = [c["view"] for c in slack.calls_to("views.publish") if c["user_id"] == user]
    assert views, f"no Home tab published for {user}"
    view = views[-1]
    return json.loads(view) if isinstance(view, str) else view


def buttons(view):
    return {el["action_id"]: el for b in view["blocks"] if b["type"] == "actions" for el in b["elements"]}


def test_approver_sees_what_waits_for_them_with_buttons(bot, slack, gh):
    r = ask_close(bot)
    assert open_home(bot, RECRUITER).status_code == 200
    view = last_home(slack, RECRUITER)
    text = json.dumps(view)
    assert view["type"] == "home" and "Waiting for your approval" in text and "Archaeologist" in text
    b = buttons(view)
    assert b["home_approve"]["value"] == r.id and b["home_approve"]["confirm"]
    assert b["home_deny"]["value"] == r.id
    assert gh.writes() == []


def test_requester_sees_their_request_and_no_buttons(bot, slack, gh):
    ask_close(bot)
    open_home(bot, HM)
    view = last_home(slack, HM)
    text = json.dumps(view)
    assert "Your requests" in text and "Waiting for approval" in text and "Waiting for your approval" not in text
    assert buttons(view) == {}


def test_admin_sees_every_open_request(bot, slack, gh):
    r = ask_close(bot)
    open_home(bot, ADMIN)
    assert buttons(last_home(slack, ADMIN))["home_approve"]["value"] == r.id


def test_outsider_sees_nothing_and_the_commands(bot, slack, gh):
    ask_close(bot)
    open_home(bot, OUTSIDER)
    text = json.dumps(last_home(slack, OUTSIDER))
    assert "Nothing waits for you" in text and "/greenhouse job" in text and "Archaeologist" not in text


def test_unmapped_user_is_told_how_to_get_mapped(bot, slack, gh):
    open_home(bot, STRANGER)
    text = json.dumps(last_home(slack, STRANGER))
    assert ":warning:" in text and "Nothing waits for you" in text


def test_approve_from_home_writes_once_and_refreshes_the_tabs(bot, slack, gh):
    r = ask_close(bot)
    bot.click("home_approve", r.id, RECRUITER, channel="D1")
    writes = gh.writes()
    assert len(writes) == 2 and {w.headers["on-behalf-of"] for w in writes} == {"102"}
    assert bot.services.requests.get(r.id).state == "done"
    # Refreshed after the transition, without anyone opening the tab:
    assert "Approved by" in json.dumps(last_home(slack, HM))
    assert "home_approve" not in json.dumps(last_home(slack, RECRUITER))
    # The thread's own buttons then find it decided.
    bot.click("request_approve", r.id, COORDINATOR)
    assert len(gh.writes()) == 2


def test_home_click_racing_a_thread_click_makes_one_write(tmp_path, slack, gh):
    bot = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS")
    r = ask_close(bot)
    other = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS")  # a second worker, one store
    barrier = threading.Barrier(2)

    def click(b, action, user):
        barrier.wait()
        b.click(action, r.id, user)

    threads = [threading.Thread(target=click, args=(bot, "home_approve", RECRUITER)),
               threading.Thread(target=click, args=(other, "request_approve", COORDINATOR))]
    [t.start() for t in threads]
    [t.join(20) for t in threads]
    assert len(gh.writes()) == 2  # one PATCH per opening, not two
    assert bot.services.requests.get(r.id).state == "done"


def test_home_click_by_an_outsider_is_refused_by_dm(bot, slack, gh):
    r = ask_close(bot)
    bot.click("home_approve", r.id, OUTSIDER, channel="D1")
    assert gh.writes() == []
    dms = [m for m in slack.calls_to("chat.postMessage") if m["channel"] == OUTSIDER]
    assert dms and "Only the recruiters and coordinators" in dms[-1]["text"]


def test_deny_from_home_opens_the_deny_dialog(bot, slack, gh):
    r = ask_close(bot)
    bot.click("home_deny", r.id, RECRUITER, channel="D1")
    [opened] = slack.calls_to("views.open")
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    assert view["private_metadata"] == r.id


def _age(bot, r, hours):
    bot.services.store.update("requests", r.id, lambda raw: {**raw, "created_at": time.time() - hours * 3600})


def test_one_reminder_in_the_thread_once_across_sweeps_and_a_restart(tmp_path, slack, gh):
    bot = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS")
    r = ask_close(bot)
    housekeeping.run_once(bot.services)
    assert not [m for m in slack.calls_to("chat.postMessage") if "Reminder" in m.get("text", "")]  # not yet due
    _age(bot, r, 25)
    housekeeping.run_once(bot.services)
    housekeeping.run_once(bot.services)
    restarted = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS")  # same store file
    housekeeping.run_once(restarted.services)
    reminders = [m for m in slack.calls_to("chat.postMessage") if "Reminder" in m.get("text", "")]
    assert len(reminders) == 1
    assert reminders[0]["thread_ts"] == r.message_ts and "<@URC>" in reminders[0]["text"] and "<@UCO>" in reminders[0]["text"]
    told = [m for m in slack.calls_to("chat.postMessage") if m["channel"] == HM and "reminded its approvers" in m["text"]]
    assert len(told) == 1
    assert bot.services.requests.get(r.id).state == "requested"  # expiry still works as before, untouched


def test_no_reminder_for_a_decided_request(bot, slack, gh):
    r = ask_close(bot)
    bot.click("request_approve", r.id, RECRUITER)
    _age(bot, r, 30)
    housekeeping.run_once(bot.services)
    assert not [m for m in slack.calls_to("chat.postMessage") if "Reminder" in m.get("text", "")]


def test_unhandled_events_are_answered_200(bot, slack, gh):
    body = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": "Ev1",
            "event": {"type": "reaction_added", "user": HM, "reaction": "eyes"}}
    assert bot.post_signed(json.dumps(body), content_type="application/json").status_code == 200
    assert gh.calls == []


def _request(i: int, state: str = "requested") -> Request:
    return Request(id=f"req-{i:012x}", kind="close_job", state=state, job_id=6404, job_name=f"Job <!channel> {i}",
                   requester=HM, requester_gh=101, requester_name="Hannah", origin_channel="C1",
                   approver_gh_ids=[102], opening_ids=[1], created_at=1.0, expires_at=2e9)


def test_home_view_stays_within_slacks_100_blocks_and_escapes_names():
    tab = HomeTab(RECRUITER, mapped=True, waiting=[_request(i) for i in range(80)], mine=[_request(i) for i in range(10)])
    view = home_view(tab)
    assert len(view["blocks"]) <= MAX_HOME_BLOCKS
    text = json.dumps(view)
    assert "more: `/greenhouse pending`" in text
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


def test_opening_the_tab_costs_no_harvest_request(bot, slack, gh):
    ask_close(bot)
    open_home(bot, RECRUITER)  # first sight of the recruiter may map them (identity), not the tab itself
    before = len(gh.calls)
    for _ in range(3):
        open_home(bot, RECRUITER)
    assert len(gh.calls) == before
    assert len([c for c in slack.calls_to("views.publish") if c["user_id"] == RECRUITER]) >= 4
