"""Undo of a rejection the bot made (issue 14, item 2), through the running bot: who may
undo, the window (BOT_UNDO_MINUTES), the confirm dialog, exactly one unreject under
double clicks, two admins and a dead process, and what Slack and the audit trail say."""

from __future__ import annotations

import json
import threading
import time

import pytest

from bot import housekeeping
from tests.conftest import ADMIN, COORDINATOR, HM, OUTSIDER, RECRUITER, RECRUITER_ID, Bot, served_both_ways
from tests.test_job_view_v3 import V3_SETTINGS

ADMIN_ID = 105
APP = 11
UNREJECT = f"/applications/{APP}/unreject"


@pytest.fixture
def settings_overrides():
    # COORDINATOR is a second bot admin here: "two admins at once".
    return {"bot_approvals_channel": "CAPPROVALS", "bot_admins": f"{ADMIN},{COORDINATOR}"}


@pytest.fixture(autouse=True)
def _admin_is_mapped(gh):
    gh.add_user(ADMIN_ID, "Ada Admin", "ada@acme.test")  # an undo acts on the clicker's behalf: admins need a mapping too


def rejected(bot, *, template: int | None = None, approver: str = RECRUITER):
    """A rejection the bot made: asked by HM, approved by `approver`, done."""
    bot.command(f"reject {APP} missing resume", user=HM)
    [draft] = [r for r in bot.services.requests.all() if r.state == "draft"]
    if template is not None:
        bot.click("draft_template", "", HM, extra_action={"type": "static_select",
                                                         "selected_option": {"value": f"{draft.id}|{template}"}})
    bot.click("draft_submit", draft.id, HM)
    bot.click("request_approve", draft.id, approver)
    done = bot.services.requests.get(draft.id)
    assert done.state == "done" and bot.gh.find_application(APP)["status"] == "rejected"
    return done


def unrejects(gh):
    return [c for c in gh.writes() if c.path.endswith(UNREJECT)]


def last_update(slack, ts):
    return [u for u in slack.calls_to("chat.update") if u["ts"] == ts][-1]


def undo_button(message):
    found = [el for b in message["blocks"] if b["type"] == "actions" for el in b["elements"]
             if el["action_id"] == "request_undo"]
    return found[0] if found else None


def test_the_approver_undoes_a_rejection_once_on_their_own_behalf(bot, slack, gh):
    r = rejected(bot)
    main, thread = last_update(slack, r.message_ts), last_update(slack, r.thread_ts)
    assert undo_button(main)["value"] == r.id and undo_button(thread)["value"] == r.id
    assert "can undo it until" in json.dumps(main["blocks"])

    bot.click("request_undo", r.id, RECRUITER)

    [write] = unrejects(gh)
    assert write.method == "POST" and write.body == {} and write.headers["on-behalf-of"] == str(RECRUITER_ID)
    assert gh.find_application(APP)["status"] == "active"
    undone = bot.services.requests.get(r.id)
    assert undone.state == "undone" and undone.undone_by == RECRUITER and undone.results["undo"] == "unrejected"
    assert undone.claim_generation == r.claim_generation + 1  # the undo's own fencing token
    # Both messages say so, without the button; the requester is told.
    for ts in (r.message_ts, r.thread_ts):
        message = last_update(slack, ts)
        assert undo_button(message) is None
        assert f"then undone by <@{RECRUITER}>" in json.dumps(message["blocks"])
        assert "Ada Lovelace (application 11) is active again" in json.dumps(message["blocks"])
    dm = [m for m in slack.calls_to("chat.postMessage") if m["channel"] == HM][-1]
    assert "undone by" in dm["text"]
    # The audit trail names who undid it; /greenhouse history shows it.
    trail = [(e["from"], e["to"], e["who"]) for e in bot.services.store.find("audit", request_id=r.id)]
    assert trail[-2:] == [("done", "undoing", RECRUITER), ("undoing", "undone", "bot")]
    bot.command("history 6404", user=HM)
    assert f"done → *undoing* by <@{RECRUITER}>" in json.dumps(slack.responses()[-1], ensure_ascii=False)


def test_double_click_and_two_admins_at_once_make_one_unreject(bot, slack, gh):
    r = rejected(bot)
    clickers = [RECRUITER, ADMIN, COORDINATOR] * 3
    threads = [threading.Thread(target=bot.click, args=("request_undo", r.id, who)) for who in clickers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(unrejects(gh)) == 1
    undone = bot.services.requests.get(r.id)
    assert undone.state == "undone" and undone.undone_by in clickers
    # The late clicks were told who got there first, and nothing else happened.
    told = bot.replies_text()
    assert f"Already undone by <@{undone.undone_by}>" in told or f"<@{undone.undone_by}> is undoing" in told
    bot.click("request_undo", r.id, RECRUITER)  # and a click long after
    assert len(unrejects(gh)) == 1
    assert f"Already undone by <@{undone.undone_by}>" in json.dumps(slack.responses()[-1])


@pytest.mark.parametrize("who", [OUTSIDER, HM])
def test_someone_other_than_the_approver_or_an_admin_cannot_undo(bot, slack, gh, who):
    r = rejected(bot)
    bot.click("request_undo", r.id, who)
    assert unrejects(gh) == []
    assert bot.services.requests.get(r.id).state == "done"
    assert "Only the approver who decided this rejection or a bot admin can undo it" in json.dumps(slack.responses()[-1])


def test_an_admin_undoes_on_their_own_behalf(bot, slack, gh):
    r = rejected(bot)
    bot.click("request_undo", r.id, ADMIN)
    [write] = unrejects(gh)
    assert write.headers["on-behalf-of"] == str(ADMIN_ID)
    assert bot.services.requests.get(r.id).undone_by == ADMIN


def test_after_the_window_the_click_is_refused_and_the_button_goes(bot, slack, gh):
    r = rejected(bot)
    assert undo_button(last_update(slack, r.message_ts)) is not None
    bot.services.requests._clock = lambda: r.finished_at + 10 * 60 + 1  # BOT_UNDO_MINUTES (10) and a second later

    bot.click("request_undo", r.id, RECRUITER)  # a click on the button still showing
    assert unrejects(gh) == []
    assert bot.services.requests.get(r.id).state == "done"
    assert "only within 10 minutes" in json.dumps(slack.responses()[-1])

    housekeeping.run_once(bot.services)
    for ts in (r.message_ts, r.thread_ts):
        assert undo_button(last_update(slack, ts)) is None
    updates = len(slack.calls_to("chat.update"))
    housekeeping.run_once(bot.services)  # once: the next round redraws nothing
    assert len(slack.calls_to("chat.update")) == updates


def test_the_window_is_the_setting(tmp_path, slack, gh):
    bot = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS", bot_undo_minutes=30)
    r = rejected(bot)
    bot.services.requests._clock = lambda: r.finished_at + 29 * 60
    bot.click("request_undo", r.id, RECRUITER)
    assert len(unrejects(gh)) == 1


def test_the_confirm_dialog_says_a_sent_email_cannot_be_unsent(bot, slack, gh):
    r = rejected(bot, template=42)
    confirm = json.dumps(undo_button(last_update(slack, r.message_ts))["confirm"])
    assert "The rejection email was already sent to the candidate and cannot be unsent." in confirm
    assert "Ada Lovelace (application 11)" in confirm


def test_without_an_email_the_dialog_says_nothing_about_one(bot, slack, gh):
    r = rejected(bot)
    confirm = json.dumps(undo_button(last_update(slack, r.message_ts))["confirm"])
    assert "Undo this rejection?" in confirm and "email" not in confirm


def test_greenhouse_refusing_leaves_the_rejection_done_with_its_words(bot, slack, gh):
    r = rejected(bot)
    gh.find_application(APP)["status"] = "hired"  # changed in Greenhouse meanwhile
    bot.click("request_undo", r.id, RECRUITER)
    after = bot.services.requests.get(r.id)
    assert after.state == "done" and "Application must be 'rejected', is currently 'hired'" in after.undo_error
    shown = json.dumps(last_update(slack, r.message_ts)["blocks"])
    assert "did not happen" in shown and "is currently" in shown
    assert undo_button(last_update(slack, r.message_ts)) is not None  # still within the window: may be tried again


def test_a_dead_undo_after_its_post_is_settled_by_reading_greenhouse(bot, slack, gh):
    r = rejected(bot)
    requests = bot.services.requests
    claimed = requests.claim_undo(r.id, bot.services.identity.caller(RECRUITER))
    # The process wrote (the POST reached Greenhouse) and died before recording it.
    bot.services.harvest.unreject_application(APP, acting_user_id=RECRUITER_ID)
    requests._clock = lambda: time.time() + 3600  # its lease long gone
    housekeeping.run_once(bot.services)
    settled = requests.get(r.id)
    assert settled.state == "undone" and settled.claim_generation == claimed.claim_generation + 1
    assert len(unrejects(gh)) == 1  # housekeeping only read


def test_a_dead_undo_before_its_post_goes_back_to_done_and_a_new_undo_reads_first(bot, slack, gh):
    r = rejected(bot)
    requests = bot.services.requests
    requests.claim_undo(r.id, bot.services.identity.caller(RECRUITER))
    now = time.time()
    requests._clock = lambda: now + 200  # past the 120 s lease, within the 10-minute window
    housekeeping.run_once(bot.services)
    back = requests.get(r.id)
    assert back.state == "done" and "stopped while undoing" in back.undo_error and unrejects(gh) == []
    # Undo again: a resumed undo reads the application first, then unrejects once.
    back_record = dict(bot.services.store.get("requests", r.id))
    back_record["results"] = {**back_record["results"], "undo": "sending"}  # as if the dead one had marked it
    bot.services.store.update("requests", r.id, lambda raw: back_record)
    reads_before = len(gh.reads(f"/applications/{APP}"))
    bot.click("request_undo", r.id, RECRUITER)
    assert len(gh.reads(f"/applications/{APP}")) == reads_before + 1
    assert len(unrejects(gh)) == 1 and requests.get(r.id).state == "undone"


def test_undo_on_harvest_v3_acts_as_the_clicker(tmp_path, slack):
    with served_both_ways() as (gh, v3):
        bot = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS", **V3_SETTINGS)
        r = rejected(bot)
        bot.click("request_undo", r.id, RECRUITER)
        bot.click("request_undo", r.id, RECRUITER)
    [write] = [c for c in gh.writes() if c.path.endswith(UNREJECT)]
    assert write.headers["authorization"].startswith("Bearer ") and "on-behalf-of" not in write.headers
    assert write.body == {} and v3.sub_of(write) == RECRUITER_ID  # a token minted for the clicker
    assert gh.find_application(APP)["status"] == "active" and bot.services.requests.get(r.id).state == "undone"


def test_the_home_tab_and_the_pending_state_say_it_was_undone(bot, slack, gh):
    r = rejected(bot)
    bot.click("request_undo", r.id, RECRUITER)
    home = [v for v in slack.calls_to("views.publish") if v["user_id"] == HM][-1]
    view = json.loads(home["view"]) if isinstance(home["view"], str) else home["view"]
    shown = json.dumps(view["blocks"])
    assert f"then undone by <@{RECRUITER}>" in shown and "is active again" in shown
    assert "request_undo" not in shown  # the Home tab never offers Undo


@pytest.mark.slow
def test_kill9_bench_of_an_undo():
    """bench/kill9.py --undo: real bot processes SIGKILLed twice per round around an undo, restarted, undone again."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "bench/kill9.py", "--undo", "--rounds", "2"], cwd=root,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "lost 0, doubled 0 (sent twice, whatever Greenhouse answered), misreported outcomes 0, rounds left undoing 0" \
        in run.stdout
