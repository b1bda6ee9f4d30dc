"""Signed Greenhouse deliveries whose fields have the wrong types: a 4xx, never a 5xx,
and no work handed off. (Against the endpoint as it was before this table, 10 of the 17
wrong-type rows answered 500 and 4 were accepted with 200; the deeply nested body, 500.)"""

from __future__ import annotations

import json

import pytest

from tests.autoclose_support import WEBHOOK_SECRET, deliver, sync_webhooks

# Each row: a name and the raw JSON body, signed correctly with the web hook's secret.
WRONG_TYPES = {
    "payload is a string": {"action": "job_updated", "payload": "x"},
    "payload is a list": {"action": "job_updated", "payload": [{"job": {"id": 6404, "status": "closed"}}]},
    "payload is a number": {"action": "hire_candidate", "payload": 7},
    "job is a string": {"action": "job_updated", "payload": {"job": "x"}},
    "job is a list": {"action": "job_updated", "payload": {"job": [{"id": 6404, "status": "closed"}]}},
    "application is a string": {"action": "hire_candidate", "payload": {"application": "x"}},
    "application is a list": {"action": "hire_candidate", "payload": {"application": [{"id": 11}]}},
    "application.jobs is a string": {"action": "hire_candidate", "payload": {"application": {"id": 11, "jobs": "x"}}},
    "application.job is a string": {"action": "hire_candidate", "payload": {"application": {"id": 11, "job": "x"}}},
    "job_post is a string": {"action": "job_post_updated", "payload": {"job_post": "x"}},
    "job_post is a list": {"action": "job_post_updated", "payload": {"job_post": [{"job_id": 6404, "live": False}]}},
    "ping payload is a string": {"action": "ping", "payload": "x"},
    "action is an object": {"action": {"name": "job_updated"}, "payload": {}},
    "action is a number": {"action": 1, "payload": {}},
    "body is a list": [{"action": "job_updated"}],
    "body is a string": "job_updated",
    "body is null": None,
}


@pytest.fixture
def settings_overrides():
    return {"greenhouse_webhook_secret": WEBHOOK_SECRET}


@pytest.mark.parametrize("case", list(WRONG_TYPES))
def test_signed_delivery_with_wrong_types_is_4xx_and_does_nothing(bot, slack, gh, case):
    hooked = sync_webhooks(bot)
    resp = deliver(hooked, json.dumps(WRONG_TYPES[case]).encode(), event_id=f"evt-{case}")
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.get_data(as_text=True)[:200])
    assert gh.calls == [] and slack.calls == []
    assert list(hooked.services.store.items("deliveries")) == []


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000])
def test_signed_delivery_that_is_not_json_is_400(bot, gh, raw):
    resp = deliver(sync_webhooks(bot), raw)
    assert resp.status_code == 400
    assert gh.calls == []


def test_oddly_typed_values_inside_right_shapes_are_ignored_not_errors(bot, gh):
    """Right containers, odd scalars (a boolean id, a huge number): nothing to check, 200."""
    hooked = sync_webhooks(bot)
    for i, body in enumerate([
        {"action": "job_updated", "payload": {"job": {"id": True, "status": "closed"}}},
        {"action": "job_updated", "payload": {"job": {"id": "1e999", "status": "closed"}}},
        {"action": "hire_candidate", "payload": {"application": {"id": None, "jobs": [1, "x", None]}}},
        {"action": "job_post_updated", "payload": {"job_id": [6404], "live": False}},
    ]):
        resp = deliver(hooked, body, event_id=f"evt-odd-{i}")
        assert resp.status_code == 200, body
    assert gh.calls == []
