"""The Harvest mirror's three list reads (bot/greenhouse/harvest.py: iter_open_jobs,
iter_all_active_application_rows, iter_applications_changed_since) on v1 and v3 over the
same fake data: which requests go out with which filters, how they page, what they yield.

The fake's clock is fixed (LATER): every write it stamps happens then, so no test depends
on today's date. Seeded applications were last active on 2026-11-01 and applied on the
fake's NOW (2026-11-20), both before SINCE.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from bot.greenhouse.models import Role
from tests.conftest import HM_ID, JOB_ID, OPEN_OPENINGS, RECRUITER_ID

SINCE = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
SINCE_Z = "2026-11-25T09:00:00Z"
LATER = SINCE + timedelta(hours=2)
LATER_Z = "2026-11-25T11:00:00Z"
OTHER_JOB = 7001


@pytest.fixture
def world(backend):
    backend.gh.clock = lambda: LATER.timestamp()
    backend.gh.add_job(OTHER_JOB, "Cartographer", team={"hiring_managers": [HM_ID]},
                       openings=[backend.gh.opening(70011)])
    return backend


def _bulk(gh, n: int, job_id: int, *, last_activity_at: str | None = None) -> list[int]:
    """n candidates with one active application each on `job_id`; their application ids."""
    ids = []
    for i in range(n):
        app = _application(gh, 10_000 + i, job_id)
        if last_activity_at:
            app["last_activity_at"] = last_activity_at
        ids.append(app["id"])
    return ids


def _application(gh, aid: int, job_id: int, **kwargs) -> dict:
    gh.add_candidate(aid + 100_000, f"Person {aid}", [gh.application(aid, job_id, **kwargs)])
    return gh.find_application(aid)


def _assert_followed_the_next_link(backend, pages, first_params: dict[str, str]) -> None:
    """The first request carries the filters and per_page=500; each next one is what the
    previous answer's `Link: rel="next"` named: v1 the same query with `page`, v3 the
    cursor alone (a cursor the client cannot make up, and 422 with any other parameter)."""
    assert pages[0].params == first_params
    for number, page in enumerate(pages[1:], start=2):
        if backend.v3:
            assert list(page.params) == ["cursor"]
        else:
            assert page.params == {**first_params, "page": str(number)}


# --- every active application of the company ------------------------------------------------

def test_every_active_application_with_its_job_in_pages_of_500(world):
    gh, h = world.gh, world.harvest
    bulk = _bulk(gh, 510, JOB_ID)
    _application(gh, 30_000, OTHER_JOB, stage="Onsite")
    _application(gh, 30_010, JOB_ID, prospect=True)  # active, but a prospect
    _application(gh, 30_020, JOB_ID, status="hired", stage=None)
    _application(gh, 30_030, OTHER_JOB, status="rejected")
    gh.calls.clear()

    rows = list(h.iter_all_active_application_rows())

    got = {row.id: (job_id, row.candidate_id, row.stage) for job_id, row in rows}
    assert len(got) == len(rows)  # none twice across the page boundary
    assert got == {
        11: (JOB_ID, 1, "Phone Screen"), 21: (JOB_ID, 2, "Onsite"), 31: (JOB_ID, 3, "Onsite"),
        32: (999, 3, "Offer"),  # the same candidate's application on another job keeps that job
        30_000: (OTHER_JOB, 130_000, "Onsite"),
        **{aid: (JOB_ID, aid + 100_000, "Phone Screen") for aid in bulk},
    }
    assert not {41, 30_010, 30_020, 30_030} & got.keys()  # rejected, prospect, hired, rejected
    # 516 applications are `active` (the prospect among them): two pages of 500, nothing else read.
    pages = gh.reads("/applications")
    assert len(gh.calls) == len(pages) == math.ceil(516 / 500) == 2
    _assert_followed_the_next_link(world, pages, {"status": "active", "per_page": "500"})


# --- applications changed since ---------------------------------------------------------------

def test_changed_since_sends_the_moment_and_reports_every_status(world):
    gh, h = world.gh, world.harvest
    _application(gh, 30_010, OTHER_JOB, prospect=True)
    _application(gh, 30_020, OTHER_JOB, status="hired", stage=None)
    _application(gh, 30_030, OTHER_JOB, status="rejected")  # rejected long ago: not changed
    gh.find_application(11)["last_activity_at"] = SINCE_Z  # exactly at `since`: included
    gh.find_application(21)["last_activity_at"] = "2026-11-25T08:59:59Z"  # a second before: not
    for aid in (32, 41, 30_010, 30_020):
        gh.find_application(aid)["last_activity_at"] = LATER_Z
    gh.calls.clear()

    changes = list(h.iter_applications_changed_since(SINCE))

    got = {c.row.id: (c.job_id, c.active, c.row.candidate_id) for c in changes}
    assert got == {
        11: (JOB_ID, True, 1),
        32: (999, True, 3),
        41: (JOB_ID, False, 4),  # rejected
        30_010: (OTHER_JOB, False, 130_010),  # a prospect never belongs in a job's active list
        30_020: (OTHER_JOB, False, 130_020),  # hired
    }
    assert next(c for c in changes if c.row.id == 11).row.stage == "Phone Screen"
    [call] = gh.calls  # one page; no `status`: every status comes back
    if world.v3:
        assert call.params == {"updated_at": f"gte|{SINCE_Z}", "per_page": "500"}
        assert "updated_at=gte|2026-11-25T09%3A00%3A00Z" in call.url  # the `|` literal, as Greenhouse's examples
    else:
        assert call.params == {"last_activity_after": SINCE_Z, "per_page": "500"}


def test_changed_since_takes_any_time_zone_and_sends_utc(world):
    gh, h = world.gh, world.harvest
    gh.find_application(11)["last_activity_at"] = SINCE_Z
    in_berlin = SINCE.astimezone(timezone(timedelta(hours=1)))  # 10:00+01:00, the same moment

    assert [c.row.id for c in h.iter_applications_changed_since(in_berlin)] == [11]
    [call] = gh.reads("/applications")
    assert SINCE_Z in call.params.get("updated_at", call.params.get("last_activity_after"))


def test_changed_since_follows_the_next_link(world):
    gh, h = world.gh, world.harvest
    bulk = _bulk(gh, 520, OTHER_JOB, last_activity_at=LATER_Z)
    gh.calls.clear()

    changes = list(h.iter_applications_changed_since(SINCE))

    assert sorted(c.row.id for c in changes) == bulk
    assert all(c.job_id == OTHER_JOB and c.active for c in changes)
    pages = gh.reads("/applications")
    assert len(gh.calls) == len(pages) == 2
    first = ({"updated_at": f"gte|{SINCE_Z}", "per_page": "500"} if world.v3
             else {"last_activity_after": SINCE_Z, "per_page": "500"})
    _assert_followed_the_next_link(world, pages, first)


def test_writes_show_in_the_next_changed_since_read(world):
    """A reject and a move through the API, a hire in Greenhouse's UI: each is in the next
    incremental read, the rejected and the hired one as no longer active."""
    gh, h = world.gh, world.harvest
    assert list(h.iter_applications_changed_since(LATER)) == []  # nothing happened at LATER yet

    hired = gh.hire_last_candidate(JOB_ID)["application_id"]  # the most advanced: 31 (Onsite, higher id than 21)
    h.reject_application(11, rejection_reason_id=262, notes=None, email_template_id=None, acting_user_id=HM_ID)
    onsite, reference = gh.stage(JOB_ID, "Onsite")["id"], gh.stage(JOB_ID, "Reference Check")["id"]
    h.move_application(21, onsite, reference, HM_ID)
    gh.calls.clear()

    got = {c.row.id: (c.job_id, c.active) for c in h.iter_applications_changed_since(LATER)}

    assert hired == 31
    assert got == {11: (JOB_ID, False), 21: (JOB_ID, True), 31: (JOB_ID, False)}
    moved = next(c for c in h.iter_applications_changed_since(LATER) if c.row.id == 21)
    assert moved.row.stage == "Reference Check"
    # ... and the full sweep agrees: neither the rejected nor the hired one is active.
    active = {row.id for job_id, row in h.iter_all_active_application_rows() if job_id == JOB_ID}
    assert active == {21}


# --- every open job ---------------------------------------------------------------------------

def _open_jobs(gh, n: int) -> list[int]:
    ids = []
    for i in range(n):
        jid = 8000 + i
        gh.add_job(jid, f"Job {i}", team={"hiring_managers": [HM_ID], "recruiters": [RECRUITER_ID]},
                   openings=[gh.opening(jid * 10 + 1), gh.opening(jid * 10 + 2, "closed")])
        ids.append(jid)
    return ids


def test_every_open_job_with_openings_and_hiring_team(world):
    gh, h = world.gh, world.harvest
    many = _open_jobs(gh, 3)
    gh.add_job(7200, "Closed job", status="closed", openings=[gh.opening(72001, "closed")])
    gh.add_job(7201, "Draft job", status="draft")

    jobs = {j.id: j for j in h.iter_open_jobs()}

    assert sorted(jobs) == sorted([JOB_ID, OTHER_JOB, *many])  # not the closed one, not the draft
    assert {o.id for o in jobs[JOB_ID].open_openings} == set(OPEN_OPENINGS)
    assert len(jobs[JOB_ID].openings) == 3  # the closed opening too, as get_job gives it
    job = jobs[many[1]]
    assert [(o.id, o.is_open) for o in job.openings] == [(many[1] * 10 + 1, True), (many[1] * 10 + 2, False)]
    assert {(m.user_id, m.role, m.name) for m in job.hiring_team} == {
        (HM_ID, Role.HIRING_MANAGER, gh.users[HM_ID]["name"]),
        (RECRUITER_ID, Role.RECRUITER, gh.users[RECRUITER_ID]["name"])}
    for jid in jobs:  # exactly what get_job gives for each
        assert jobs[jid] == h.get_job(jid)


def test_open_jobs_cost_one_list_and_batches_of_50(world):
    gh, h = world.gh, world.harvest
    many = _open_jobs(gh, 118)  # 120 open jobs with JOB_ID and OTHER_JOB
    gh.add_job(7200, "Closed job", status="closed", openings=[gh.opening(72001, "closed")])
    gh.calls.clear()

    jobs = list(h.iter_open_jobs())

    assert len(jobs) == 120 and all(j.status == "open" for j in jobs)
    assert {j.id for j in jobs} == {JOB_ID, OTHER_JOB, *many}
    assert all(j.hiring_team and j.openings for j in jobs)
    per_path = Counter(c.path for c in gh.calls)
    assert gh.reads("/jobs")[0].params == {"status": "open", "per_page": "500"}
    if not world.v3:
        assert per_path == {"/jobs": 1}  # v1 embeds openings and hiring team
        return
    # v3: one page of jobs, then openings, job owners and hiring managers for 50 jobs a
    # request: 1 + 3 × ⌈120/50⌉ = 10. The names that only decorate (team members, the
    # department, the office, close reasons) are read once and kept (bot/greenhouse/decorations.py).
    batches = math.ceil(120 / 50)
    assert {p: per_path[p] for p in ("/jobs", "/openings", "/job_owners", "/job_hiring_managers")} == {
        "/jobs": 1, "/openings": batches, "/job_owners": batches, "/job_hiring_managers": batches}
    for resource in ("/openings", "/job_owners", "/job_hiring_managers"):
        asked = [c.params["job_ids"].split(",") for c in gh.reads(resource)]
        assert [len(a) for a in asked] == [50, 50, 20]
        assert sorted(int(i) for a in asked for i in a) == sorted(j.id for j in jobs)
    decorations = {p: n for p, n in per_path.items() if p not in ("/jobs", "/openings", "/job_owners", "/job_hiring_managers")}
    assert decorations == {"/users": 1, "/departments": 1, "/offices": 1, "/close_reasons": 1}
    assert len(gh.calls) == 1 + 3 * batches + 4
