from __future__ import annotations

import json
from concurrent.futures import Executor, Future

import pytest

from tests.autoclose_support import (
    FIXTURES, PING_FILES, ago, WEBHOOK_SECRET, deliver, hire_candidate, job_updated, notices, sign, sync_webhooks,
)
from tests.conftest import HM, JOB_ID, RECRUITER, Bot
from tests.fakes.greenhouse import close_job


@pytest.fixture
def settings_overrides():
    return {"greenhouse_webhook_secret": WEBHOOK_SECRET}


@pytest.fixture
def hooked(bot):
    return sync_webhooks(bot)


def test_signed_job_closed_delivery_rereads_job_and_notifies_team(hooked, slack, gh):
    close_job(gh, JOB_ID)
    resp = deliver(hooked, job_updated(JOB_ID))
    assert resp.status_code == 200
    assert [c.path for c in gh.reads("/jobs")] == [f"/jobs/{JOB_ID}"]
    posted = notices(slack)
    assert sorted(p["channel"] for p in posted) == sorted([HM, RECRUITER])  # hiring manager + recruiter DMs
    assert "*<https://app.greenhouse.io/sdash/6404|Archaeologist> (6404)* is now closed" in posted[0]["text"]


def test_unsigned_delivery_is_refused_and_does_nothing(hooked, slack, gh):
    close_job(gh, JOB_ID)
    resp = deliver(hooked, job_updated(JOB_ID), signed=False)
    assert resp.status_code == 401
    assert gh.calls == [] and notices(slack) == []
    assert list(hooked.services.store.items("deliveries")) == []


@pytest.mark.parametrize("signature", [
    "sha256 " + "0" * 64,
    sign(json.dumps(job_updated(JOB_ID)).encode(), secret="someone-elses-secret"),
    sign(json.dumps(job_updated(JOB_ID)).encode()).replace("sha256", "sha1"),
    "",
])
def test_wrongly_signed_delivery_is_refused(hooked, slack, gh, signature):
    close_job(gh, JOB_ID)
    resp = deliver(hooked, job_updated(JOB_ID), signature=signature)
    assert resp.status_code == 401
    assert gh.calls == [] and notices(slack) == []


def test_signature_covers_the_raw_bytes_not_the_parsed_json(hooked, gh):
    close_job(gh, JOB_ID)
    signed_raw = json.dumps(job_updated(JOB_ID)).encode()
    # Same JSON, different bytes (as if re-serialised): the signature no longer matches.
    other_raw = json.dumps(job_updated(JOB_ID), indent=2).encode()
    assert deliver(hooked, other_raw, signature=sign(signed_raw)).status_code == 401
    assert deliver(hooked, signed_raw, signature=sign(signed_raw)).status_code == 200


def test_no_secret_configured_answers_503_and_logs_why(tmp_path, slack, gh, caplog):
    bot = sync_webhooks(Bot.build(tmp_path, slack, gh))
    close_job(gh, JOB_ID)
    resp = deliver(bot, job_updated(JOB_ID))
    assert resp.status_code == 503
    assert gh.calls == [] and notices(slack) == []
    assert "GREENHOUSE_WEBHOOK_SECRET" in caplog.text


@pytest.mark.parametrize("name", PING_FILES)
def test_real_ping_payloads_get_200_and_touch_nothing(hooked, slack, gh, name):
    raw = (FIXTURES / name).read_bytes()
    resp = deliver(hooked, raw)
    assert resp.status_code == 200
    assert gh.calls == [] and slack.calls_to("chat.postMessage") == []


def test_duplicate_delivery_notifies_once(hooked, slack, gh):
    close_job(gh, JOB_ID)
    first = deliver(hooked, job_updated(JOB_ID), event_id="evt-42")
    again = deliver(hooked, job_updated(JOB_ID), event_id="evt-42")
    assert first.status_code == again.status_code == 200
    assert again.get_json()["duplicate"] is True
    assert len(notices(slack)) == 2  # one DM each to the hiring manager and the recruiter
    assert len(gh.reads(f"/jobs/{JOB_ID}")) == 1  # the retry did not even re-read


def test_two_deliveries_about_the_same_closing_notify_once(hooked, slack, gh):
    close_job(gh, JOB_ID)
    deliver(hooked, job_updated(JOB_ID), event_id="evt-1")
    deliver(hooked, hire_candidate(11, [JOB_ID]), event_id="evt-2")
    assert len(notices(slack)) == 2


def test_delivery_for_unknown_job_is_accepted_and_sends_nothing(hooked, slack, gh):
    resp = deliver(hooked, job_updated(999999))
    assert resp.status_code == 200
    assert [c.path for c in gh.reads()] == ["/jobs/999999"]  # Harvest answered 404
    assert slack.calls_to("chat.postMessage") == []


def test_job_updated_for_an_open_job_costs_nothing(hooked, slack, gh):
    resp = deliver(hooked, job_updated(JOB_ID, status="open"))
    assert resp.status_code == 200
    assert gh.calls == [] and slack.calls_to("chat.postMessage") == []


def test_unknown_action_is_accepted_and_ignored(hooked, slack, gh):
    raw = (FIXTURES / "zulip_zulip__zerver_webhooks_greenhouse_fixtures_candidate_created.json").read_bytes()
    resp = deliver(hooked, raw)
    assert resp.status_code == 200
    assert gh.calls == [] and slack.calls_to("chat.postMessage") == []
    assert list(hooked.services.store.items("deliveries")) == []


def test_hire_names_the_hire_as_cause(hooked, slack, gh):
    close_job(gh, JOB_ID)
    deliver(hooked, hire_candidate(11, [JOB_ID]))
    [first, *_] = notices(slack)
    assert "(after a hire)" in first["text"]
    assert "Ada" not in first["text"] and "Lovelace" not in first["text"]


def test_hire_without_jobs_in_payload_finds_the_job_through_the_application(hooked, slack, gh):
    close_job(gh, JOB_ID)
    deliver(hooked, hire_candidate(21, []))
    assert gh.reads("/applications/21")
    assert len(notices(slack)) == 2


def test_stale_closing_of_an_edited_job_is_not_announced(hooked, slack, gh):
    close_job(gh, JOB_ID, at=ago(30 * 24))
    deliver(hooked, job_updated(JOB_ID))  # e.g. someone edited the closed job's notes
    assert notices(slack) == []


class HeldExecutor(Executor):
    """Keeps the work until the test releases it: shows the 200 does not wait for it."""

    def __init__(self) -> None:
        self.held: list = []

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        self.held.append((fn, args, kwargs))
        return Future()


def test_greenhouse_gets_its_200_before_harvest_and_slack_work(bot, slack, gh):
    held = HeldExecutor()
    bot.services.webhook_executor = held
    close_job(gh, JOB_ID)
    assert deliver(bot, job_updated(JOB_ID)).status_code == 200
    assert gh.calls == [] and notices(slack) == []
    fn, args, kwargs = held.held.pop()
    fn(*args, **kwargs)
    assert len(notices(slack)) == 2


def test_hire_with_only_the_deprecated_job_field(hooked, slack, gh):
    close_job(gh, JOB_ID)
    body = hire_candidate(11, [])
    body["payload"]["application"]["job"] = {"id": JOB_ID, "name": "Archaeologist"}
    deliver(hooked, body)
    assert gh.reads("/applications") == []
    assert len(notices(slack)) == 2


def test_job_post_going_offline_checks_its_job(hooked, slack, gh):
    close_job(gh, JOB_ID)
    post = {"id": 1813002, "title": "A Cool Job", "job_id": JOB_ID, "live": True}
    deliver(hooked, {"action": "job_post_updated", "payload": post}, event_id="evt-live")
    assert gh.calls == []  # a live post says nothing about closing
    deliver(hooked, {"action": "job_post_updated", "payload": {**post, "live": False}}, event_id="evt-off")
    assert len(notices(slack)) == 2
