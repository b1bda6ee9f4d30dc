"""One contract for every Harvest backend: the same scenarios over the same data,
served by a v1 fake and a v3 fake. Expected values come from the fake's data."""

from __future__ import annotations

import pytest

from bot.greenhouse.errors import ValidationFailed
from bot.greenhouse.models import Role
from tests.conftest import CLOSED_OPENING, COORDINATOR_ID, HM_ID, JOB_ID, OPEN_OPENINGS, OUTSIDER_ID, RECRUITER_ID


def test_find_user_by_email_and_by_id(backend):
    gh, h = backend.gh, backend.harvest
    want = gh.users[RECRUITER_ID]
    user = h.find_user_by_email(want["primary_email_address"])
    assert (user.id, user.name, user.primary_email) == (want["id"], want["name"], want["primary_email_address"])
    assert h.find_user_by_email("nobody@elsewhere.test") is None
    assert h.get_user(HM_ID).name == gh.users[HM_ID]["name"]
    assert h.get_user(99999) is None
    # reads never claim an acting user
    assert all("on-behalf-of" not in c.headers for c in gh.calls)


def test_a_user_is_found_by_a_secondary_address_in_any_case(backend):
    gh, h = backend.gh, backend.harvest
    gh.users[HM_ID]["emails"].append("hannah.m@personal.test")
    gh.calls.clear()
    assert h.find_user_by_email("Hannah.M@Personal.test").id == HM_ID
    if backend.v3:
        # primary address first; only on a miss the address rows, then the user they name
        assert [(c.path, sorted(c.params)) for c in gh.calls] == [
            ("/users", ["per_page", "primary_email"]), ("/user_emails", ["email", "per_page"]),
            ("/users", ["ids", "per_page"])]
        assert gh.calls[-1].params["ids"] == str(HM_ID)
    gh.calls.clear()
    assert h.find_user_by_email(gh.users[HM_ID]["primary_email_address"]).id == HM_ID
    assert len(gh.calls) == 1  # a primary address costs one request on both versions


def test_get_job_with_openings_and_hiring_team(backend):
    gh, h = backend.gh, backend.harvest
    raw = gh.jobs[JOB_ID]
    job = h.get_job(JOB_ID)
    assert (job.id, job.name, job.status, job.requisition_id) == (JOB_ID, raw["name"], raw["status"], raw["requisition_id"])
    assert job.departments == tuple(d["name"] for d in raw["departments"])
    assert job.offices == tuple(o["name"] for o in raw["offices"])
    assert [o.id for o in job.openings] == [o["id"] for o in raw["openings"]]
    assert {o.id for o in job.open_openings} == set(OPEN_OPENINGS)
    closed = next(o for o in job.openings if o.id == CLOSED_OPENING)
    assert closed.close_reason.name == raw["openings"][2]["close_reason"]["name"]
    team = {(m.user_id, m.role, m.name) for m in job.hiring_team}
    assert team == {
        (HM_ID, Role.HIRING_MANAGER, gh.users[HM_ID]["name"]),
        (RECRUITER_ID, Role.RECRUITER, gh.users[RECRUITER_ID]["name"]),
        (COORDINATOR_ID, Role.COORDINATOR, gh.users[COORDINATOR_ID]["name"]),
    }


def test_requisition_lookup(backend):
    h = backend.harvest
    [job] = h.find_jobs_by_requisition(backend.gh.jobs[JOB_ID]["requisition_id"])
    assert job.id == JOB_ID and job.approver_user_ids() == {RECRUITER_ID, COORDINATOR_ID}
    assert h.find_jobs_by_requisition("no-such-req") == []


def test_active_applications_across_pages(backend):
    gh, h = backend.gh, backend.harvest
    for i in range(520):
        gh.add_candidate(1000 + i, f"Bulk Person{i}", [gh.application(10_000 + i, JOB_ID, stage="Review")])
    gh.add_candidate(5000, "Pro Spect", [gh.application(50_000, JOB_ID, prospect=True)])
    expected = {
        a["id"]: (c["id"], f"{c['first_name']} {c['last_name']}", (a["current_stage"] or {}).get("name"))
        for c in gh.candidates.values() for a in c["applications"]
        if a["status"] == "active" and not a["prospect"] and a["jobs"][0]["id"] == JOB_ID
    }
    got = {a.id: (a.candidate_id, a.candidate_name, a.stage) for a in h.iter_active_applications(JOB_ID)}
    assert got == expected
    listing = "/applications" if backend.v3 else "/candidates"
    assert len(gh.reads(listing)) >= 2  # it really paged
    # list calls only: never one request per candidate or application
    assert not any(c.path.startswith(("/candidates/", "/applications/")) for c in gh.reads())


def test_close_opening_acts_as_the_approver(backend):
    gh, h = backend.gh, backend.harvest
    h.close_opening(JOB_ID, OPEN_OPENINGS[0], 365, acting_user_id=RECRUITER_ID)
    [write] = gh.writes()
    assert (write.method, write.path) == ("PATCH", backend.opening_path(JOB_ID, OPEN_OPENINGS[0]))
    assert write.body == {"status": "closed", "close_reason_id": 365}
    assert backend.acting_user(write) == RECRUITER_ID
    reasons = {r.id: r.name for r in h.list_close_reasons()}
    closed = next(o for o in h.list_openings(JOB_ID) if o.id == OPEN_OPENINGS[0])
    assert closed.status == "closed" and closed.close_reason.name == reasons[365]
    assert h.get_job(JOB_ID).status == "open"  # another opening is still open


def test_closing_the_last_opening_closes_the_job(backend):
    h = backend.harvest
    for oid in OPEN_OPENINGS:
        h.close_opening(JOB_ID, oid, 366, acting_user_id=COORDINATOR_ID)
    assert [backend.acting_user(w) for w in backend.gh.writes()] == [COORDINATOR_ID, COORDINATOR_ID]
    job = h.get_job(JOB_ID)
    assert job.status == "closed" and job.open_openings == []


def test_reject_with_reason_notes_and_template(backend):
    gh, h = backend.gh, backend.harvest
    h.reject_application(11, rejection_reason_id=8, notes="Not this time", email_template_id=42,
                         acting_user_id=RECRUITER_ID)
    [write] = gh.writes()
    assert (write.method, write.path) == ("POST", "/applications/11/reject")
    assert write.body == {"rejection_reason_id": 8, "notes": "Not this time", "rejection_email": {"email_template_id": 42}}
    assert backend.acting_user(write) == RECRUITER_ID
    assert h.get_application(11).status == "rejected"


def test_reject_of_a_non_active_application_is_validation_failed(backend):
    with pytest.raises(ValidationFailed) as err:
        backend.harvest.reject_application(41, rejection_reason_id=8, notes=None, email_template_id=None,
                                           acting_user_id=RECRUITER_ID)
    assert "active" in err.value.details()


def test_unreject_acts_as_the_user_and_makes_the_application_active(backend):
    gh, h = backend.gh, backend.harvest
    gh.find_application(41)["rejection_reason"] = {"id": 8, "name": "Lacking skill(s)/qualification(s)"}
    h.unreject_application(41, acting_user_id=RECRUITER_ID)
    [write] = gh.writes()
    assert (write.method, write.path, write.body) == ("POST", "/applications/41/unreject", {})
    assert backend.acting_user(write) == RECRUITER_ID
    assert h.get_application(41).status == "active"


def test_unreject_of_a_non_rejected_application_is_validation_failed(backend):
    with pytest.raises(ValidationFailed) as err:
        backend.harvest.unreject_application(11, acting_user_id=RECRUITER_ID)
    assert "must be 'rejected'" in err.value.details()
    assert backend.gh.find_application(11)["status"] == "active"


def test_unreject_runs_the_fence_before_sending(backend):
    seen = []
    backend.harvest.unreject_application(41, acting_user_id=RECRUITER_ID, before_send=lambda: seen.append(
        len(backend.gh.writes())))
    assert seen == [0] and len(backend.gh.writes()) == 1


def test_rejection_reason_requirement(backend):
    h = backend.harvest
    assert h.rejection_reason_required is (backend.version == "v3")
    if h.rejection_reason_required:
        with pytest.raises(ValidationFailed):
            h.reject_application(11, rejection_reason_id=None, notes=None, email_template_id=None,
                                 acting_user_id=RECRUITER_ID)
        assert backend.gh.writes() == []  # refused before sending anything
    else:
        h.reject_application(11, rejection_reason_id=None, notes=None, email_template_id=None, acting_user_id=RECRUITER_ID)
        assert backend.gh.writes()[0].body == {}


def test_missing_records_are_none(backend):
    h = backend.harvest
    assert h.get_job(99999) is None
    assert h.get_application(99999) is None
    assert h.get_user(99999) is None


def test_get_application(backend):
    gh, h = backend.gh, backend.harvest
    app = h.get_application(31)
    raw = gh.find_application(31)
    assert (app.id, app.candidate_id, app.status, app.job_id) == (31, raw["candidate_id"], "active", JOB_ID)
    assert app.job_name == gh.jobs[JOB_ID]["name"] and app.stage == raw["current_stage"]["name"]
    assert app.candidate_name == gh.candidates[raw["candidate_id"]]["first_name"] + " " + gh.candidates[raw["candidate_id"]]["last_name"]


def test_approvers_are_the_recruiters_and_coordinators_read_in_one_request(backend):
    gh, h = backend.gh, backend.harvest
    gh.jobs[JOB_ID]["hiring_team"]["sourcers"] = [{"id": OUTSIDER_ID}]  # on the team, approves nothing
    gh.calls.clear()
    assert h.approver_ids(JOB_ID) == {RECRUITER_ID, COORDINATOR_ID}  # not the hiring manager, not the sourcer
    assert [(c.path, c.params) for c in gh.calls] == (
        [("/job_owners", {"job_ids": str(JOB_ID), "per_page": "500"})] if backend.v3 else [(f"/jobs/{JOB_ID}", {})])
    gh.jobs[JOB_ID]["hiring_team"]["recruiters"] = []
    assert h.approver_ids(JOB_ID) == {COORDINATOR_ID}  # read now: no copy kept
    assert h.approver_ids(99999) == set()


def test_a_job_s_status_alone_is_one_request(backend):
    gh, h = backend.gh, backend.harvest
    gh.calls.clear()
    job = h.get_job_status(JOB_ID)
    assert (job.id, job.name, job.status) == (JOB_ID, gh.jobs[JOB_ID]["name"], "open")
    assert len(gh.calls) == 1
    # v3 reads the job alone and says so; v1's job comes whole, openings and team embedded.
    assert job.bare == bool(backend.v3)
    if backend.v3:
        assert (job.openings, job.hiring_team) == ((), ())
    else:
        assert len(job.openings) == 3 and job.approver_user_ids() == {RECRUITER_ID, COORDINATOR_ID}
    assert h.get_job_status(99999) is None


def test_a_job_with_its_team_read_now_keeps_what_was_read_and_reads_no_openings(backend):
    gh, h = backend.gh, backend.harvest
    status = h.get_job_status(JOB_ID)
    gh.jobs[JOB_ID]["hiring_team"]["coordinators"] = []  # the team as it is now, not as it was
    gh.jobs[JOB_ID]["hiring_team"]["sourcers"] = [{"id": OUTSIDER_ID}]
    gh.calls.clear()
    job = h.with_team(status)
    assert {(m.user_id, m.role) for m in job.hiring_team} == {
        (HM_ID, Role.HIRING_MANAGER), (RECRUITER_ID, Role.RECRUITER), (OUTSIDER_ID, Role.SOURCER)}
    assert job.team_user_ids(Role.HIRING_MANAGER, Role.RECRUITER) == {HM_ID, RECRUITER_ID}
    assert (job.id, job.name, job.status, job.closed_at) == (status.id, status.name, status.status, status.closed_at)
    if backend.v3:
        # The team's two lists for this job: not the job's fields again, not its openings (the
        # job stays bare for them); names only decorate and are not read.
        assert [(c.path, c.params) for c in gh.calls] == [
            ("/job_owners", {"job_ids": str(JOB_ID), "per_page": "500"}),
            ("/job_hiring_managers", {"job_ids": str(JOB_ID), "per_page": "500"})]
        assert (job.bare, job.openings) == (True, ()) and "team names" in job.left_out
    else:
        # v1 embeds the team in the job: one read (its status read is whole already).
        assert [(c.path, c.params) for c in gh.calls] == [(f"/jobs/{JOB_ID}", {})]
        assert job.openings == status.openings


def test_reference_lists(backend):
    gh, h = backend.gh, backend.harvest
    assert [(r.id, r.name) for r in h.list_close_reasons()] == [(r["id"], r["name"]) for r in gh.close_reasons]
    assert [(r.id, r.name, r.type_name) for r in h.list_rejection_reasons()] == [
        (r["id"], r["name"], r["type"]["name"]) for r in gh.rejection_reasons]
    org_rejections = [t["id"] for t in gh.email_templates if t["type"] == "candidate_rejection" and t["user"] is None]
    assert [t.id for t in h.list_rejection_email_templates()] == org_rejections


def test_jobs_updated_since(backend):
    from datetime import datetime, timezone

    gh, h = backend.gh, backend.harvest
    gh.add_job(7001, "Old job")["updated_at"] = "2020-01-01T00:00:00Z"
    ids = {j.id for j in h.iter_jobs_updated_since(datetime(2025, 1, 1, tzinfo=timezone.utc))}
    assert ids == {j["id"] for j in gh.jobs.values() if j["updated_at"] >= "2025-01-01T00:00:00Z"}
    assert 7001 not in ids
    # v3's list gives no openings or team, and says so (whoever needs them reads the job whole).
    assert {j.bare for j in h.iter_jobs_updated_since(datetime(2025, 1, 1, tzinfo=timezone.utc))} == {bool(backend.v3)}


def stage_id(gh, name: str) -> int:
    return gh.stage(JOB_ID, name)["id"]


def test_list_stages_gives_ids_and_names_in_pipeline_order(backend):
    gh = backend.gh
    gh.stage(JOB_ID, "Retired")["active"] = False
    stages = backend.harvest.list_stages(JOB_ID)
    plan = [s for s in gh.stages[JOB_ID] if s["active"]]
    assert [(s.id, s.name) for s in stages] == [(s["id"], s["name"]) for s in plan]
    assert backend.harvest.list_job_stages(JOB_ID) == [s["name"] for s in plan]  # the view's order: unchanged


def test_move_acts_as_the_user_with_both_stage_ids(backend):
    gh, h = backend.gh, backend.harvest
    phone, onsite = stage_id(gh, "Phone Screen"), stage_id(gh, "Onsite")
    h.move_application(11, phone, onsite, acting_user_id=RECRUITER_ID)
    [write] = gh.writes()
    assert (write.method, write.path, write.body) == (
        "POST", "/applications/11/move", {"from_stage_id": phone, "to_stage_id": onsite})
    assert backend.acting_user(write) == RECRUITER_ID
    app = h.get_application(11)
    assert app.stage == "Onsite"
    assert app.stage_id == (onsite if backend.version == "v1" else None)  # v3: matched by name (see v3.py)


def test_move_from_a_stage_the_application_has_left_is_refused_not_made(backend):
    gh = backend.gh
    with pytest.raises(ValidationFailed) as err:
        backend.harvest.move_application(21, stage_id(gh, "Phone Screen"), stage_id(gh, "Offer"),
                                         acting_user_id=RECRUITER_ID)
    assert "from_stage_id" in err.value.details() or "stage" in err.value.details()
    assert gh.find_application(21)["current_stage"]["name"] == "Onsite"


def test_move_of_a_non_active_application_is_validation_failed(backend):
    gh = backend.gh
    gh.find_application(41)["current_stage"] = {"id": stage_id(gh, "Phone Screen"), "name": "Phone Screen"}
    with pytest.raises(ValidationFailed) as err:
        backend.harvest.move_application(41, stage_id(gh, "Phone Screen"), stage_id(gh, "Onsite"),
                                         acting_user_id=RECRUITER_ID)
    assert "must be 'active'" in err.value.details()


def test_move_runs_the_fence_before_sending_and_a_raising_fence_sends_nothing(backend):
    gh = backend.gh
    phone, onsite = stage_id(gh, "Phone Screen"), stage_id(gh, "Onsite")

    def refuse() -> None:
        raise RuntimeError("claim lost")

    with pytest.raises(RuntimeError):
        backend.harvest.move_application(11, phone, onsite, acting_user_id=RECRUITER_ID, before_send=refuse)
    assert gh.writes() == []
    seen = []
    backend.harvest.move_application(11, phone, onsite, acting_user_id=RECRUITER_ID,
                                     before_send=lambda: seen.append(len(gh.writes())))
    assert seen == [0] and len(gh.writes()) == 1


def _more_jobs(gh):
    """Around the seeded job: a job Rita coordinates (one of two openings open), a closed
    job and a draft she recruits for, and an open job she is not on."""
    gh.add_job(7001, "Geologist", team={"coordinators": [RECRUITER_ID], "hiring_managers": [HM_ID]},
               openings=[gh.opening(70011), gh.opening(70012, "closed")])
    gh.add_job(7002, "Closed job", team={"recruiters": [RECRUITER_ID]}, openings=[gh.opening(70021, "closed")],
               status="closed")
    gh.add_job(7003, "Draft job", team={"recruiters": [RECRUITER_ID]}, status="draft")
    gh.add_job(7004, "Not hers", team={"recruiters": [COORDINATOR_ID]}, openings=[gh.opening(70041)])


def test_open_jobs_of_a_hiring_team_member_with_their_roles(backend):
    gh, h = backend.gh, backend.harvest
    _more_jobs(gh)
    mine = {j.id: (j.name, j.open_openings, set(j.member_roles)) for j in h.list_open_jobs(RECRUITER_ID)}
    assert mine == {JOB_ID: (gh.jobs[JOB_ID]["name"], len(OPEN_OPENINGS), {Role.RECRUITER}),
                    7001: ("Geologist", 1, {Role.COORDINATOR})}
    assert {j.id for j in h.list_open_jobs(HM_ID)} == {JOB_ID, 7001}
    assert h.list_open_jobs(OUTSIDER_ID) == []
    # reads only, list calls only (no job read by its own path)
    assert gh.writes() == [] and not any(c.path.startswith("/jobs/") for c in gh.reads())


def test_every_open_job_for_admins(backend):
    gh, h = backend.gh, backend.harvest
    _more_jobs(gh)
    every = {j.id: (j.open_openings, j.member_roles) for j in h.list_open_jobs()}
    assert every == {JOB_ID: (2, ()), 7001: (1, ()), 7004: (1, ())}


def test_open_jobs_of_a_member_on_many_jobs_cost_a_few_list_requests(backend):
    gh, h = backend.gh, backend.harvest
    for i in range(120):
        gh.add_job(8000 + i, f"Job {i}", team={"recruiters": [RECRUITER_ID]}, openings=[gh.opening(80000 + i)])
    before = len(gh.calls)
    listed = h.list_open_jobs(RECRUITER_ID)
    assert len(listed) == 121 and all(j.open_openings >= 1 for j in listed)
    # v1: one page of open jobs (≤ 500 a page); v3: owners + hiring managers + ⌈121/50⌉ × (jobs + openings)
    assert len(gh.calls) - before == (1 if backend.version == "v1" else 2 + 3 + 3)


def test_active_application_counts_per_job(backend):
    gh, h = backend.gh, backend.harvest
    _more_jobs(gh)
    gh.add_candidate(5000, "Pro Spect", [gh.application(50_000, JOB_ID, prospect=True)])
    gh.add_candidate(5001, "Geo One", [gh.application(50_001, 7001)])
    counts = h.count_active_applications([JOB_ID, 7001, 7004])
    expected = {jid: sum(1 for c in gh.candidates.values() for a in c["applications"]
                         if a["status"] == "active" and not a["prospect"] and a["jobs"][0]["id"] == jid)
                for jid in (JOB_ID, 7001, 7004)}
    assert expected == {JOB_ID: 3, 7001: 1, 7004: 0}
    assert {j: counts[j] for j in expected} == expected
    assert h.count_active_applications([]) == {}


def test_active_counts_take_the_cheaper_walk(backend):
    gh, h = backend.gh, backend.harvest
    for i in range(1_200):  # 1,200 active applications elsewhere: 3 company-wide pages of 500
        gh.add_candidate(10_000 + i, f"Busy Person{i}", [gh.application(100_000 + i, 9000 + i % 40)])
    before = len(gh.calls)
    assert h.count_active_applications([JOB_ID])[JOB_ID] == 3
    one_job = len(gh.calls) - before
    before = len(gh.calls)
    counts = h.count_active_applications([9000 + i for i in range(5)])
    five_jobs = len(gh.calls) - before
    assert all(counts[9000 + i] == 30 for i in range(5))
    if backend.version == "v1":
        # one job: the first company-wide page says 3 pages > 1 job, so one walk of the job instead
        assert one_job == 2 and five_jobs == 3  # five jobs: the 3 company-wide pages
    else:
        assert one_job == 1 and five_jobs == 1  # `job_ids` takes 50 jobs a request
