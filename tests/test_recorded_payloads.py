"""Contract tests on records others captured from live systems (tests/fixtures/greenhouse/,
README there names each source), and on record shapes seen in the wild: they go through
the Harvest parsers (v1 and v3) and the web layer (web hook and Slack endpoints)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from bot.greenhouse.build import build_harvest
from bot.greenhouse.errors import NotFound, PermissionDenied, ValidationFailed
from bot.greenhouse.models import GreenhouseUser
from bot.greenhouse.v1 import job_from_v1, opening_from_v1, user_from_v1
from tests.autoclose_support import WEBHOOK_SECRET, deliver, sync_webhooks
from tests.conftest import HM, JOB_ID, RECRUITER
from tests.greenhouse.conftest import backend, harvest_settings  # noqa: F401 - backend is a fixture

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "greenhouse"
V1 = "https://harvest.greenhouse.io/v1"


def cassette(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"grnhse_greenhouse_io__spec_fixtures_cassettes_client_{name}.json").read_text())[
        "http_interactions"][0]


def replay(interaction: dict[str, Any], **body_changes: Any) -> httpx.Response:
    response = interaction["response"]
    headers = {k: v[0] for k, v in response["headers"].items() if k.lower() not in ("content-length", "connection")}
    body = response["body"]
    if body_changes and isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in body_changes} | {
            k: v for k, v in body_changes.items() if v is not None}
    return httpx.Response(response["status"]["code"], headers=headers, content=json.dumps(body).encode())


@pytest.fixture
def v1_harvest():
    with respx.mock(assert_all_called=False) as router:
        yield build_harvest(harvest_settings("v1", greenhouse_api_url=V1), sleep=lambda s: None), router


# --- Harvest v1 parsers on recorded answers ----------------------------------------------------


@pytest.mark.parametrize("candidate_key", ["candidate_id", "person_id"])
def test_a_recorded_application_parses_whichever_key_names_the_candidate(v1_harvest, candidate_key):
    harvest, router = v1_harvest
    recorded = cassette("update_application")
    changes = {} if candidate_key == "candidate_id" else {"candidate_id": None, "person_id": 52865001}
    router.get(f"{V1}/applications/64087658").mock(return_value=replay(recorded, **changes))
    router.get(f"{V1}/candidates/52865001").mock(return_value=httpx.Response(
        200, json={"id": 52865001, "first_name": "Recorded", "last_name": "Candidate"}))
    app = harvest.get_application(64087658)
    assert app is not None
    assert (app.candidate_id, app.candidate_name, app.status) == (52865001, "Recorded Candidate", "active")
    assert (app.job_id, app.job_name, app.stage) == (474298, "Data Engineer (f/m) ", "Application Review")


def test_an_application_without_status_says_unknown_not_active(v1_harvest):
    harvest, router = v1_harvest
    router.get(f"{V1}/applications/64087658").mock(return_value=replay(cassette("update_application"), status=None))
    router.get(f"{V1}/candidates/52865001").mock(return_value=httpx.Response(404, json={"message": "Resource not found"}))
    app = harvest.get_application(64087658)
    assert app.status == "unknown" and app.candidate_name == "candidate 52865001"


def test_a_recorded_list_with_only_rel_last_is_one_page(v1_harvest):
    harvest, router = v1_harvest
    route = router.get(f"{V1}/candidates").mock(return_value=replay(cassette("headers")))
    listed = list(harvest.t.paginate("candidates", {"per_page": 100}))
    assert route.call_count == 1 and len(listed) == len(cassette("headers")["response"]["body"]) > 0


@pytest.mark.parametrize(("name", "error", "words"), [
    ("update_application_invalid_on_behalf_of", PermissionDenied, "You do not have access to that record"),
    ("create_candidate_note_invalid_on_behalf_of", NotFound, "Resource not found"),
    ("create_candidate_note_invalid_missing_field", ValidationFailed, "body: Missing required field: body"),
])
def test_recorded_refusals_become_their_errors_with_greenhouses_words(v1_harvest, name, error, words):
    harvest, router = v1_harvest
    recorded = cassette(name)
    path = recorded["request"]["uri"].removeprefix(V1 + "/")
    router.route(method=recorded["request"]["method"].upper(), url=f"{V1}/{path}").mock(return_value=replay(recorded))
    with pytest.raises(error) as raised:
        harvest.t.write(recorded["request"]["method"].upper(), path, json=recorded["request"].get("body") or {},
                        acting_user_id=509925)
    assert words in str(raised.value) + " ".join(raised.value.errors)


def test_missing_statuses_are_unknown_not_open():
    job = job_from_v1({"id": 1, "name": "No status", "openings": [{"id": 2}, {"id": 3, "status": "open"}]})
    assert job.status == "unknown"
    assert [o.status for o in job.openings] == ["unknown", "open"]
    assert [o.id for o in job.open_openings] == [3]  # an opening of unknown status is not offered for closing
    assert opening_from_v1({"id": 4, "status": "closed"}).status == "closed"


def test_a_documented_user_keeps_primary_email_address():
    user = user_from_v1({"id": 7, "name": "Kate Austen", "primary_email_address": "kate.austen@example.com",
                         "emails": ["kate.austen@example.com", "kate@example.org"], "disabled": False})
    assert user.primary_email_address == "kate.austen@example.com" == user.primary_email
    assert user.model_dump()["primary_email_address"] == "kate.austen@example.com"
    # Records stored before under the old name still read.
    assert GreenhouseUser(**{"id": 7, "name": "K", "primary_email": "k@example.com"}).primary_email_address == "k@example.com"
    assert GreenhouseUser(**user.model_dump()) == user


# --- both versions: an application naming its candidate by person_id ---------------------------


def test_person_id_on_both_versions(backend):
    app = backend.gh.find_application(11)
    app["person_id"] = app.pop("candidate_id")
    try:
        found = backend.harvest.get_application(11)
    finally:
        app["candidate_id"] = app["person_id"]
    assert (found.candidate_id, found.candidate_name, found.job_id) == (1, "Ada Lovelace", JOB_ID)


# --- the web layer ------------------------------------------------------------------------------


@pytest.fixture
def settings_overrides():
    return {"greenhouse_webhook_secret": WEBHOOK_SECRET, "bot_approvals_channel": "CAPPROVALS"}


@pytest.mark.parametrize("name", [
    "zulip_zulip__zerver_webhooks_greenhouse_fixtures_candidate_created.json",
    "zulip_zulip__zerver_webhooks_greenhouse_fixtures_ping_event.json",
    "marcantoineveilleux_greenhouse-slack__samples_ping.json",
])
def test_recorded_web_hook_deliveries_are_accepted(bot, gh, name):
    raw = (FIXTURES / name).read_bytes()  # the recorded bytes, signed as Greenhouse signs them
    resp = deliver(sync_webhooks(bot), raw, event_id=name)
    assert resp.status_code == 200
    assert gh.writes() == []


def test_a_click_from_an_org_wide_enterprise_grid_install(bot, slack, gh):
    """Org-wide installs send `"team": null` beside an `enterprise` object."""
    bot.command(f"close {JOB_ID} on hold", user=HM)
    request = next(r for r in bot.services.requests.all() if r.state == "requested")
    import time
    from urllib.parse import urlencode

    payload = {
        "type": "block_actions", "team": None, "enterprise": {"id": "E0ORG", "name": "Acme Org"},
        "is_enterprise_install": True, "user": {"id": RECRUITER, "team_id": "T1", "name": "rita"},
        "api_app_id": "A1", "trigger_id": "1.2.3", "channel": {"id": "CAPPROVALS"},
        "container": {"type": "message", "message_ts": request.message_ts or "1.1", "channel_id": "CAPPROVALS"},
        "message": {"ts": request.message_ts or "1.1", "text": "", "blocks": []},
        "response_url": slack.response_url("act-org"),
        "actions": [{"action_id": "request_approve", "block_id": "decision", "value": request.id, "type": "button",
                     "action_ts": f"{time.time():.6f}"}],
    }
    resp = bot.post_signed(urlencode({"payload": json.dumps(payload)}))
    assert resp.status_code == 200
    assert bot.services.requests.get(request.id).state == "done"
    assert len([c for c in gh.writes() if c.method == "PATCH"]) == 2
