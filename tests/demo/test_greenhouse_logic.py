"""The demo Greenhouse's logic (bot/demo/greenhouse.py), request by request, as Harvest v1 answers."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from bot.demo.greenhouse import NO_ACCESS, FakeGreenhouse

KEY = "demo-key-1"
BASIC = {"Authorization": "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()}
HM, RECRUITER = 101, 102
JOB, OTHER_JOB = 6404, 7000
OPENINGS = (501, 502)
T0 = 1_790_000_000.0  # 2026-09-21T…: the fake's injected clock, not today


class Hooks:
    """A web hook receiver that just remembers what the fake would send."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def event(self, action: str, payload: dict[str, Any]) -> None:
        self.events.append((action, payload))


@pytest.fixture
def gh() -> FakeGreenhouse:
    fake = FakeGreenhouse(api_key=KEY, clock=lambda: T0)
    fake.add_user(HM, "Hannah Manager", "hannah@acme.test")
    fake.add_user(RECRUITER, "Rita Recruiter", "rita@acme.test")
    fake.close_reasons.append({"id": 7, "name": "On Hold"})
    fake.rejection_reasons.append({"id": 8, "name": "Lacking skills", "type": {"id": 1, "name": "We rejected them"}})
    fake.email_templates += [{"id": 42, "name": "Org", "type": "candidate_rejection", "user": None},
                             {"id": 43, "name": "Mine", "type": "candidate_rejection", "user": {"id": HM}}]
    fake.add_job(JOB, "Archaeologist", team={"hiring_managers": [HM], "recruiters": [RECRUITER]},
                 openings=[fake.opening(o) for o in OPENINGS])
    fake.add_job(OTHER_JOB, "Geologist", openings=[fake.opening(900)])
    fake.add_candidate(1, "Ada Lovelace", [fake.application(11, JOB, stage="Phone Screen")])
    fake.add_candidate(2, "Grace Hopper", [fake.application(21, JOB, stage="Offer")])
    fake.add_candidate(3, "Rejected Person", [fake.application(31, JOB, status="rejected")])
    fake.add_candidate(4, "Pat Prospect", [fake.application(41, JOB, prospect=True, stage=None)])
    return fake


def write(gh: FakeGreenhouse, method: str, path: str, body: Any = None, acting: int | None = RECRUITER) -> Any:
    headers = dict(BASIC)
    if acting is not None:
        headers["On-Behalf-Of"] = str(acting)
    return gh.handle(method, path, {}, headers, body if body is not None else {})


def test_closing_the_last_open_opening_closes_the_job_and_reopening_reopens_it(gh: FakeGreenhouse) -> None:
    hooks = Hooks()
    gh.webhooks.append(hooks)
    first = write(gh, "PATCH", f"/jobs/{JOB}/openings/{OPENINGS[0]}", {"status": "closed", "close_reason_id": 7})
    assert first.status_code == 200 and first.json() == {"success": "true"}
    assert gh.jobs[JOB]["status"] == "open" and hooks.events == []
    write(gh, "PATCH", f"/jobs/{JOB}/openings/{OPENINGS[1]}", {"status": "closed"})
    job = gh.jobs[JOB]
    assert job["status"] == "closed" and job["closed_at"] == "2026-09-21T14:13:20Z"  # the injected clock
    assert job["openings"][0]["close_reason"] == {"id": 7, "name": "On Hold"}
    assert [(a, p["job"]["id"], p["job"]["status"]) for a, p in hooks.events] == [("job_updated", JOB, "closed")]
    write(gh, "PATCH", f"/jobs/{JOB}/openings/{OPENINGS[1]}", {"status": "open"})
    assert job["status"] == "open" and job["closed_at"] is None
    assert [p["job"]["status"] for _, p in hooks.events] == ["closed", "open"]


def test_writes_need_an_on_behalf_of_that_names_a_user(gh: FakeGreenhouse) -> None:
    for acting in (None, 999):
        answer = write(gh, "PATCH", f"/jobs/{JOB}/openings/{OPENINGS[0]}", {"status": "closed"}, acting=acting)
        assert answer.status_code == 403 and answer.json() == {"message": NO_ACCESS}
    assert gh.jobs[JOB]["openings"][0]["status"] == "open"
    assert [(w.status, w.acting_user_id) for w in gh.writes()] == [(403, None), (403, None)]


def test_each_write_is_recorded_with_the_acting_user_body_and_time(gh: FakeGreenhouse) -> None:
    seen = []
    gh.on_write.append(seen.append)
    write(gh, "POST", "/applications/11/reject", {"rejection_reason_id": 8}, acting=HM)
    [w] = gh.writes()
    assert w.as_dict() == {"method": "POST", "path": "/applications/11/reject", "params": {},
                           "body": {"rejection_reason_id": 8}, "at": "2026-09-21T14:13:20Z", "status": 200,
                           "acting_user_id": HM, "acting_user_name": "Hannah Manager"}
    assert seen == [w]
    assert "authorization" not in str(w.as_dict()).lower()


def test_requests_without_the_key_are_refused(gh: FakeGreenhouse) -> None:
    assert gh.handle("GET", f"/jobs/{JOB}").status_code == 401
    wrong = {"Authorization": "Basic " + base64.b64encode(b"other:").decode()}
    assert gh.handle("GET", f"/jobs/{JOB}", {}, wrong).status_code == 401
    assert gh.handle("GET", f"/jobs/{JOB}", {}, BASIC).json()["name"] == "Archaeologist"


def test_every_answer_carries_rate_limit_headers(gh: FakeGreenhouse) -> None:
    answer = gh.handle("GET", "/jobs", {}, BASIC)
    assert answer.headers["X-RateLimit-Limit"] == "50" and answer.headers["X-RateLimit-Remaining"] == "49"


def test_paging_follows_link_next_until_the_last_page(gh: FakeGreenhouse) -> None:
    for cid in range(10, 17):
        gh.add_candidate(cid, f"Extra Person{cid}", [gh.application(cid * 10, JOB)])
    answer = gh.handle("GET", "/candidates", {"job_id": str(JOB), "per_page": "4"}, BASIC)
    assert [c["id"] for c in answer.json()] == [1, 2, 3, 10]  # the prospect is not a candidate on the job
    assert answer.headers["Link"] == (f'<{gh.base}/candidates?job_id={JOB}&per_page=4&page=2>; rel="next", '
                                      f'<{gh.base}/candidates?job_id={JOB}&per_page=4&page=3>; rel="last"')
    counted = gh.handle("GET", "/candidates", {"job_id": str(JOB), "per_page": "4", "skip_count": "true"}, BASIC)
    assert counted.headers["Link"] == f'<{gh.base}/candidates?job_id={JOB}&per_page=4&skip_count=true&page=2>; rel="next"'
    last = gh.handle("GET", "/candidates", {"job_id": str(JOB), "per_page": "4", "page": "3"}, BASIC)
    assert [c["id"] for c in last.json()] == [15, 16] and "Link" not in last.headers
    too_big = gh.handle("GET", "/candidates", {"per_page": "501"}, BASIC)
    assert too_big.status_code == 422 and too_big.json()["errors"][0]["field"] == "per_page"


def test_only_active_applications_can_be_rejected(gh: FakeGreenhouse) -> None:
    answer = write(gh, "POST", "/applications/31/reject", {"rejection_reason_id": 8})
    assert answer.status_code == 422
    assert answer.json() == {"errors": [{"message": "Application must be 'active', is currently 'rejected'"}]}
    ok = write(gh, "POST", "/applications/11/reject", {"rejection_reason_id": 8,
                                                        "rejection_email": {"email_template_id": 42}})
    assert ok.status_code == 200 and ok.json()["status"] == "rejected"
    assert ok.json()["rejected_at"] == "2026-09-21T14:13:20Z"
    assert ok.json()["rejection_reason"]["name"] == "Lacking skills"


def test_reject_validates_reason_and_org_wide_template(gh: FakeGreenhouse) -> None:
    bad_reason = write(gh, "POST", "/applications/11/reject", {"rejection_reason_id": 12345})
    assert bad_reason.status_code == 422 and bad_reason.json()["message"] == "Validation error"
    personal = write(gh, "POST", "/applications/11/reject", {"rejection_email": {"email_template_id": 43}})
    assert personal.status_code == 422
    assert personal.json()["errors"] == [{"message": "Template must be an organization wide email template",
                                          "field": "rejection_email.email_template_id"}]
    assert gh.find_application(11)["status"] == "active"


def test_close_reason_without_closing_is_a_validation_error(gh: FakeGreenhouse) -> None:
    answer = write(gh, "PATCH", f"/jobs/{JOB}/openings/{OPENINGS[0]}", {"close_reason_id": 7})
    assert answer.status_code == 422
    body = answer.json()
    assert body["message"] == "Validation error" and body["errors"][0]["field"] == "close_reason_id"
    assert gh.jobs[JOB]["openings"][0]["status"] == "open"


def test_unreject_takes_only_rejected_applications(gh: FakeGreenhouse) -> None:
    refused = write(gh, "POST", "/applications/11/unreject")
    assert refused.status_code == 422
    assert refused.json() == {"errors": [{"message": "Application must be 'rejected', is currently 'active'"}]}
    ok = write(gh, "POST", "/applications/31/unreject")
    assert ok.status_code == 200 and ok.json()["status"] == "active" and ok.json()["rejected_at"] is None


def test_move_needs_the_current_stage_and_a_stage_of_the_same_job(gh: FakeGreenhouse) -> None:
    stages = {s["name"]: s["id"] for s in gh.handle("GET", f"/jobs/{JOB}/stages", {}, BASIC).json()}
    other_stage = gh.stages[OTHER_JOB][0]["id"]
    wrong_from = write(gh, "POST", "/applications/11/move",
                       {"from_stage_id": stages["Onsite"], "to_stage_id": stages["Offer"]})
    assert wrong_from.status_code == 422 and wrong_from.json()["errors"][0]["field"] == "from_stage_id"
    other_job = write(gh, "POST", "/applications/11/move",
                      {"from_stage_id": stages["Phone Screen"], "to_stage_id": other_stage})
    assert other_job.status_code == 422 and other_job.json()["errors"][0]["field"] == "to_stage_id"
    ok = write(gh, "POST", "/applications/11/move", {"from_stage_id": stages["Phone Screen"], "to_stage_id": stages["Onsite"]})
    assert ok.status_code == 200 and ok.json()["current_stage"] == {"id": stages["Onsite"], "name": "Onsite"}
    rejected = write(gh, "POST", "/applications/31/move", {"from_stage_id": 1, "to_stage_id": 2})
    assert rejected.json() == {"errors": [{"message": "Application must be 'active', is currently 'rejected'"}]}


def test_hire_last_candidate_fills_openings_until_the_job_closes_itself(gh: FakeGreenhouse) -> None:
    hooks = Hooks()
    gh.webhooks.append(hooks)
    first = gh.hire_last_candidate(JOB)
    # The most advanced active candidate (Offer), never the prospect or the rejected one.
    assert first["application_id"] == 21 and first["job_status"] == "open"
    assert gh.find_application(21)["status"] == "hired" and gh.find_application(21)["current_stage"] is None
    second = gh.hire_last_candidate(JOB)
    assert second["application_id"] == 11 and second["job_status"] == "closed"
    assert {o["application_id"] for o in gh.jobs[JOB]["openings"]} == {11, 21}
    assert [a for a, _ in hooks.events] == ["hire_candidate", "hire_candidate", "job_updated"]
    hired = hooks.events[1][1]["application"]
    assert hired["id"] == 11 and hired["jobs"][0]["id"] == JOB and hired["candidate"]["first_name"] == "Ada"
    assert gh.writes() == []  # a Greenhouse UI action, not a Harvest call
    with pytest.raises(LookupError):
        gh.hire_last_candidate(JOB)


def test_hire_over_harvest_takes_a_given_opening(gh: FakeGreenhouse) -> None:
    answer = write(gh, "POST", "/applications/11/hire", {"opening_id": OPENINGS[0], "close_reason_id": 7})
    assert answer.status_code == 200 and answer.json()["status"] == "hired"
    opening = gh.jobs[JOB]["openings"][0]
    assert opening["status"] == "closed" and opening["application_id"] == 11 and opening["close_reason"]["id"] == 7
    prospect = write(gh, "POST", "/applications/41/hire")
    assert prospect.status_code == 422


def test_openings_status_filter_says_opened_not_open(gh: FakeGreenhouse) -> None:
    write(gh, "PATCH", f"/jobs/{JOB}/openings/{OPENINGS[0]}", {"status": "closed"})
    ids = lambda status: [o["id"] for o in gh.handle("GET", f"/jobs/{JOB}/openings", {"status": status}, BASIC).json()]  # noqa: E731
    assert ids("opened") == [OPENINGS[1]] and ids("closed") == [OPENINGS[0]] and ids("open") == list(OPENINGS)


def test_a_get_with_a_body_is_refused(gh: FakeGreenhouse) -> None:
    assert gh.handle("GET", "/jobs", {}, BASIC, {"x": 1}).status_code == 403
