"""The demo tenant keeps the promises the demo and the console rely on."""

from __future__ import annotations

import base64
from collections import Counter
from typing import Any

import pytest

from bot.config import SLACK_USER_ID_RE, load_settings
from bot.demo.harvest_server import serve_harvest
from bot.demo.tenant import (
    ANALYST_JOB, API_KEY, APPROVALS_CHANNEL, BACKEND_JOB, BACKEND_REQUISITION, BOT_ADMINS, CHANNELS, DESIGN_JOB,
    HIRING_CHANNEL, PEOPLE, SUPPORT_JOB, sample_tenant,
)
from bot.greenhouse.build import build_harvest

BASIC = {"Authorization": "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()}
FIXED = 1_790_000_000.0


@pytest.fixture(scope="module")
def tenant() -> Any:
    return sample_tenant(clock=lambda: FIXED)


def get(gh: Any, path: str, **params: Any) -> Any:
    answer = gh.handle("GET", path, {k: str(v) for k, v in params.items()}, BASIC)
    assert answer.status_code == 200, answer.text
    return answer.json()


def active_on(gh: Any, job_id: int) -> list[dict[str, Any]]:
    return [a for c in gh.candidates.values() for a in c["applications"]
            if a["status"] == "active" and not a["prospect"] and a["jobs"][0]["id"] == job_id]


def team_ids(job: dict[str, Any], key: str) -> set[int]:
    return {m["id"] for m in job["hiring_team"][key]}


def test_three_or_four_jobs_each_with_its_purpose(tenant: Any) -> None:
    jobs = {j["id"]: j for j in get(tenant, "/jobs")}
    assert 3 <= len(jobs) <= 4
    assert [j["id"] for j in get(tenant, "/jobs", requisition_id=BACKEND_REQUISITION)] == [BACKEND_JOB]
    assert [j for j in jobs if jobs[j]["confidential"]] == [DESIGN_JOB]
    assert len(active_on(tenant, SUPPORT_JOB)) >= 300
    analyst_open = [o for o in jobs[ANALYST_JOB]["openings"] if o["status"] == "open"]
    assert len(analyst_open) == 1  # one hire closes it


def test_open_and_closed_openings_with_close_reasons(tenant: Any) -> None:
    openings = [o for j in tenant.jobs.values() for o in j["openings"]]
    closed = [o for o in openings if o["status"] == "closed"]
    assert any(o["status"] == "open" for o in openings) and closed
    assert all(o["close_reason"] and o["closed_at"] for o in closed)
    assert len(tenant.close_reasons) >= 3


def test_forty_plus_candidates_across_the_interview_plan(tenant: Any) -> None:
    small_jobs = [a for j in (BACKEND_JOB, DESIGN_JOB, ANALYST_JOB) for a in active_on(tenant, j)]
    assert len(small_jobs) >= 25
    everyone = [a for j in tenant.jobs for a in active_on(tenant, j)]
    assert len(everyone) >= 40
    stages = Counter(a["current_stage"]["name"] for a in everyone)
    assert len(stages) >= 5 and min(stages.values()) >= 3
    names = [(c["first_name"], c["last_name"]) for c in tenant.candidates.values()]
    assert len(set(names)) == len(names)  # each invented person once
    statuses = Counter(a["status"] for c in tenant.candidates.values() for a in c["applications"])
    assert statuses["rejected"] and statuses["hired"]  # not everyone is active


def test_each_person_maps_by_email_and_plays_their_role(tenant: Any) -> None:
    assert {p.role for p in PEOPLE} == {"hiring manager", "recruiter", "coordinator", "outsider", "admin"}
    assert len({p.slack_id for p in PEOPLE}) == len(PEOPLE)
    assert all(SLACK_USER_ID_RE.match(p.slack_id) for p in PEOPLE)  # what the bot accepts in BOT_ADMINS
    assert all(p.email.isascii() and p.email == p.email.lower() for p in PEOPLE)
    for p in PEOPLE:
        assert [u["id"] for u in get(tenant, "/users", email=p.email.upper())] == [p.greenhouse_user_id]
    backend = tenant.jobs[BACKEND_JOB]
    by_role = {role: {p.greenhouse_user_id for p in PEOPLE if p.role == role} for role in {p.role for p in PEOPLE}}
    assert by_role["hiring manager"] <= team_ids(backend, "hiring_managers")
    assert len(by_role["recruiter"]) >= 2 and by_role["recruiter"] <= team_ids(backend, "recruiters")
    assert by_role["coordinator"] <= team_ids(backend, "coordinators")
    on_any_team = {m["id"] for j in tenant.jobs.values() for ms in j["hiring_team"].values() for m in ms}
    assert not (by_role["outsider"] | by_role["admin"]) & on_any_team
    assert not by_role["hiring manager"] & team_ids(tenant.jobs[DESIGN_JOB], "hiring_managers")
    assert BOT_ADMINS == [p.slack_id for p in PEOPLE if p.role == "admin"]
    assert all(tenant.users[p.greenhouse_user_id]["site_admin"] for p in PEOPLE if p.role == "admin")


def test_reasons_and_one_organization_wide_rejection_template(tenant: Any) -> None:
    types = {r["type"]["name"] for r in get(tenant, "/rejection_reasons")}
    assert {"We rejected them", "They rejected us"} <= types
    rejection = [t for t in get(tenant, "/email_templates") if t["type"] == "candidate_rejection"]
    assert [t["id"] for t in rejection if t["user"] is None] == [901]
    assert any(t["user"] is not None for t in rejection)  # a personal one, which the bot must not offer


def test_channels_hiring_public_and_approvals_private() -> None:
    assert {c["id"]: c["is_private"] for c in CHANNELS} == {HIRING_CHANNEL: False, APPROVALS_CHANNEL: True}
    assert (HIRING_CHANNEL, APPROVALS_CHANNEL) == ("C_HIRING", "C_APPROVALS")


def test_the_bots_own_harvest_client_reads_the_tenant_over_http() -> None:
    gh = sample_tenant(clock=lambda: FIXED)
    with serve_harvest(gh) as server:
        settings = load_settings(slack_bot_token="xoxb-x", slack_signing_secret="s", greenhouse_api_key=API_KEY,
                                 greenhouse_api_url=server.url, _env_file=None)
        harvest = build_harvest(settings, sleep=lambda s: None)
        apps = list(harvest.iter_active_applications(SUPPORT_JOB))
        assert len(apps) == len(active_on(gh, SUPPORT_JOB)) >= 300
        assert all(c.status == 200 for c in gh.calls)
        assert harvest.find_user_by_email(PEOPLE[0].email).id == PEOPLE[0].greenhouse_user_id
