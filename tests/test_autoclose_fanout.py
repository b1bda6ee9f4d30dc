from __future__ import annotations

import logging
import time

import pytest

from bot.workflows.requests import Request
from tests.conftest import ADMIN, COORDINATOR, HM, JOB_ID, RECRUITER, Bot
from tests.autoclose_support import ago, notices
from tests.fakes.greenhouse import close_job, reopen_job

NOT_FILLING = {"id": 367, "name": "Not Filling"}


def put_request(store, rid: str, *, kind: str = "close_job", state: str = "done", job_id: int = JOB_ID,
                channel: str = "CAPPROVALS", message_ts: str = "1700000001.000100",
                decided_by: str | None = RECRUITER, finished_ago_s: float | None = 60) -> None:
    now = time.time()
    store.put("requests", rid, Request(
        id=rid, kind=kind, state=state, job_id=job_id, job_name="Archaeologist",
        requester=HM, requester_gh=101, requester_name="Hannah Manager", origin_channel="CASK",
        created_at=now - 3600, expires_at=now + 3600,
        channel=channel, message_ts=message_ts, decided_by=decided_by,
        finished_at=None if finished_ago_s is None else now - finished_ago_s,
    ).model_dump())


def watch(store, channel: str, job_id: int = JOB_ID) -> None:
    store.put("watches", f"{job_id}:{channel}", {"job_id": job_id, "job_name": "Archaeologist", "channel": channel,
                                                "by": HM, "at": time.time()})


def by_channel(slack) -> dict[str, dict]:
    return {p["channel"]: p for p in notices(slack)}


def test_notice_goes_to_request_thread_watching_channels_and_team_dms(bot, slack, gh):
    store = bot.services.store
    put_request(store, "req-1")
    put_request(store, "req-2", kind="reject_application", state="requested", message_ts="1700000002.000100",
                decided_by=None, finished_ago_s=None)
    put_request(store, "req-other", job_id=999)  # about another job: no notice there
    watch(store, "CWATCH1")
    watch(store, "CWATCH2")
    close_job(gh, JOB_ID)

    assert bot.services.autoclose.announce_if_closed(JOB_ID) is not None

    posted = notices(slack)
    threads = [p for p in posted if p.get("thread_ts")]
    assert sorted((p["channel"], p["thread_ts"]) for p in threads) == [
        ("CAPPROVALS", "1700000001.000100"), ("CAPPROVALS", "1700000002.000100")]
    top_level = sorted(p["channel"] for p in posted if not p.get("thread_ts"))
    # Watching channels, then DMs to the hiring manager and recruiter (not the coordinator).
    assert top_level == sorted(["CWATCH1", "CWATCH2", HM, RECRUITER])
    assert COORDINATOR not in top_level
    text = posted[0]["text"]
    assert text.startswith("*<https://app.greenhouse.io/sdash/6404|Archaeologist> (6404)* is now closed — its last opening was closed <!date^")
    assert f"(by the bot's approved request, approved by <@{RECRUITER}>)" in text
    assert all(p["text"] == text for p in posted)
    for name in ("Ada", "Grace", "Alan", "Lovelace", "Hopper", "Turing"):
        assert name not in text


def test_close_in_greenhouse_names_the_close_reason(bot, slack, gh):
    close_job(gh, JOB_ID, close_reason=NOT_FILLING)
    bot.services.autoclose.announce_if_closed(JOB_ID)
    assert all("(closed in Greenhouse, reason: Not Filling)" in p["text"] for p in notices(slack))


def test_last_opening_filled_by_an_application_means_a_hire(bot, slack, gh):
    close_job(gh, JOB_ID, application_id=21)
    bot.services.autoclose.announce_if_closed(JOB_ID)
    assert all("(after a hire)" in p["text"] for p in notices(slack))


def test_a_request_finished_days_ago_is_not_the_cause_but_its_thread_hears(bot, slack, gh):
    put_request(bot.services.store, "req-old", finished_ago_s=3 * 24 * 3600)
    close_job(gh, JOB_ID, close_reason=NOT_FILLING)
    bot.services.autoclose.announce_if_closed(JOB_ID)
    [thread] = [p for p in notices(slack) if p.get("thread_ts")]
    assert "closed in Greenhouse" in thread["text"] and "approved request" not in thread["text"]


@pytest.mark.parametrize("state", ["denied", "failed", "expired", "requested"])
def test_only_a_done_or_executing_close_request_is_the_cause(bot, slack, gh, state):
    put_request(bot.services.store, "req-1", state=state)
    put_request(bot.services.store, "req-2", kind="reject_application", message_ts="1700000002.000100")
    close_job(gh, JOB_ID)
    bot.services.autoclose.announce_if_closed(JOB_ID)
    assert all("approved request" not in p["text"] for p in notices(slack))


def test_a_close_request_still_executing_is_the_cause(bot, slack, gh):
    # The web hook may beat the approvals flow to marking its request done.
    put_request(bot.services.store, "req-1", state="executing", decided_by="UCO", finished_ago_s=None)
    close_job(gh, JOB_ID)
    bot.services.autoclose.announce_if_closed(JOB_ID)
    assert all("(by the bot's approved request, approved by <@UCO>)" in p["text"] for p in notices(slack))


def test_no_dms_when_bot_notify_dm_is_false(tmp_path, slack, gh):
    bot = Bot.build(tmp_path, slack, gh, bot_notify_dm=False)
    put_request(bot.services.store, "req-1")
    watch(bot.services.store, "CWATCH1")
    close_job(gh, JOB_ID)
    bot.services.autoclose.announce_if_closed(JOB_ID)
    assert sorted(p["channel"] for p in notices(slack)) == ["CAPPROVALS", "CWATCH1"]
    assert slack.calls_to("users.lookupByEmail") == []


def test_one_failing_channel_does_not_stop_the_others(bot, slack, gh, caplog):
    def post(params):
        if params["channel"] == "CGONE":
            return {"ok": False, "error": "not_in_channel"}
        return {"ok": True, "channel": params["channel"], "ts": "1700000099.000100"}

    slack.handlers["chat.postMessage"] = post
    put_request(bot.services.store, "req-1")
    watch(bot.services.store, "CGONE")
    watch(bot.services.store, "CWATCH1")
    close_job(gh, JOB_ID)
    with caplog.at_level(logging.INFO):
        bot.services.autoclose.announce_if_closed(JOB_ID)
    attempted = sorted(p["channel"] for p in notices(slack))
    assert attempted == sorted(["CAPPROVALS", "CGONE", "CWATCH1", HM, RECRUITER])
    assert "channel=CGONE error=not_in_channel" in caplog.text
    assert "Archaeologist" not in caplog.text  # logs carry IDs, not the notice


def test_job_name_is_escaped(bot, slack, gh):
    gh.jobs[JOB_ID]["name"] = "<!channel> Archaeologist <https://evil.test|click>"
    close_job(gh, JOB_ID)
    bot.services.autoclose.announce_if_closed(JOB_ID)
    for p in notices(slack):
        assert "<!channel>" not in p["text"] and "<https://evil.test" not in p["text"]
        assert "&lt;!channel&gt; Archaeologist &lt;https://evil.test|click&gt;" in p["text"]
        assert "<!channel>" not in str(p["blocks"])


def test_open_job_announces_nothing(bot, slack, gh):
    assert bot.services.autoclose.announce_if_closed(JOB_ID) is None
    assert notices(slack) == []


def test_same_closing_twice_announces_once_reopened_and_closed_again_announces_again(bot, slack, gh):
    close_job(gh, JOB_ID, at=ago(2))
    assert bot.services.autoclose.announce_if_closed(JOB_ID) is not None
    assert bot.services.autoclose.announce_if_closed(JOB_ID) is None
    assert len(notices(slack)) == 2
    reopen_job(gh, JOB_ID, 4542441002)
    assert bot.services.autoclose.announce_if_closed(JOB_ID) is None
    close_job(gh, JOB_ID, at=ago(1))
    assert bot.services.autoclose.announce_if_closed(JOB_ID) is not None
    assert len(notices(slack)) == 4


def test_dm_recipients_are_found_in_slack_by_their_greenhouse_emails(bot, slack, gh):
    # The team's Slack users are found by email through the reverse lookup, once each.
    close_job(gh, JOB_ID)
    bot.services.autoclose.announce_if_closed(JOB_ID)
    looked_up = sorted(p["email"] for p in slack.calls_to("users.lookupByEmail"))
    assert looked_up == ["hannah@acme.test", "rita@acme.test"]
    assert ADMIN not in [p["channel"] for p in notices(slack)]
