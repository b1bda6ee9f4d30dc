"""Drafts from the Harvest mirror (docs/decisions/0018-drafts-from-the-mirror.md), driven as
Slack drives the bot, every Harvest request of the draft listed, on v1 and v3 (one Greenhouse
served both ways):
- a hiring manager's rejection of an application the fresh mirror holds on one of their jobs
  reads neither the application nor the job — nothing when the candidate's name is known,
  one `candidates` read when not — and the draft names the right candidate, stage and job;
- anyone the mirror's hiring teams do not let in, a mirror not fresh, an application the
  mirror does not hold: the reads and the answer the draft gave before the mirror (an
  outsider cannot tell an application that exists from one that does not);
- an approval of such a draft whose application was rejected in Greenhouse meanwhile:
  Greenhouse refuses the one write, and the approver and the requester are told so plainly;
- a close draft after a view, when every opening has closed since: the job's status alone
  is read to say "closed already" (v3: one request, not the whole job's four)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import (
    COORDINATOR_ID,
    HM,
    HM_ID,
    JOB_ID,
    OUTSIDER,
    OUTSIDER_ID,
    RECRUITER,
    RECRUITER_ID,
    Bot,
    served_both_ways,
)
from tests.fakes.clock import StepClock
from tests.fakes.greenhouse import FakeGreenhouse, close_job
from tests.test_harvest_mirror import START, ready
from tests.test_job_view_v3 import V3_SETTINGS
from tests.test_view_cost import is_identity

PAGE = {"per_page": "500"}
OTHER_JOB = 7007  # the outsider's own job: the mirror holds jobs for them, not this application's


@pytest.fixture(params=["v1", "v3"])
def world(request: Any, tmp_path: Any, slack: Any) -> Any:
    """(bot, Greenhouse, version, clock): the bot's mirror and Greenhouse's stamps on one clock,
    its people mapped, the reason lists read (cached on their own: decision 0003)."""
    with served_both_ways() as (gh, _v3):
        gh.add_job(OTHER_JOB, "Cartographer", team={"hiring_managers": [OUTSIDER_ID], "recruiters": [RECRUITER_ID]},
                   openings=[gh.opening(7_000_001)])
        gh.add_candidate(5, "Mary Somerville", [gh.application(51, OTHER_JOB, stage="Application Review")])
        clock = StepClock(START)
        gh.clock = clock
        settings = {"bot_approvals_channel": "CAPPROVALS", **(V3_SETTINGS if request.param == "v3" else {})}
        bot = Bot.build(tmp_path, slack, gh, **settings)
        assert bot.services.harvest.version == request.param
        bot.services.job_views.mirror.clock = clock
        for person in (HM, RECRUITER, OUTSIDER):
            bot.command("whoami", user=person)
        for lists in (bot.services.reference.close_reasons, bot.services.reference.rejection_reasons,
                      bot.services.reference.rejection_templates):
            lists()
        yield bot, gh, request.param, clock


def draft_reads(bot: Bot, gh: FakeGreenhouse, text: str, user: str = HM) -> list[tuple[str, dict[str, str]]]:
    """The Harvest requests `text` made up to the moment its draft was stored (all of them when
    none was): what the draft cost, identity look-ups left out."""
    version = bot.services.harvest.version
    at, saved_at = len(gh.calls), []
    requests = bot.services.requests
    save = requests._save_new
    requests._save_new = lambda request: (saved_at.append(len(gh.calls)), save(request))[-1]  # type: ignore[method-assign]
    try:
        bot.command(text, user=user)
    finally:
        del requests._save_new
    end = saved_at[0] if saved_at else len(gh.calls)
    return [(c.path, dict(c.params)) for c in gh.calls[at:end] if not is_identity(c, version)]


def application_read(version: str, application_id: int) -> tuple[str, dict[str, str]]:
    return (f"/applications/{application_id}", {}) if version == "v1" else \
        ("/applications", {"ids": str(application_id), **PAGE})


def whole_job(version: str, job_id: int = JOB_ID) -> list[tuple[str, dict[str, str]]]:
    if version == "v1":
        return [(f"/jobs/{job_id}", {})]
    return [("/jobs", {"ids": str(job_id), **PAGE}), ("/openings", {"job_ids": str(job_id), **PAGE}),
            ("/job_owners", {"job_ids": str(job_id), **PAGE}), ("/job_hiring_managers", {"job_ids": str(job_id), **PAGE})]


def candidates_read(version: str, candidate_id: int) -> tuple[str, dict[str, str]]:
    return "/candidates", {"candidate_ids" if version == "v1" else "ids": str(candidate_id), **PAGE}


def drafts(bot: Bot, kind: str = "reject_application") -> list[Any]:
    return [r for r in bot.services.requests.all() if r.kind == kind]


def last_reply(bot: Bot) -> str:
    return json.dumps(bot.slack.responses()[-1])


def test_a_hiring_manager_s_rejection_draft_from_the_mirror_reads_nothing_when_the_name_is_known(world):
    bot, gh, version, clock = world
    ready(bot.services.job_views.mirror)
    bot.command(f"job {JOB_ID}", user=HM)  # the view names its page: Grace Hopper is known now
    clock.now += 1
    assert draft_reads(bot, gh, "reject 21 missing resume") == []
    [draft] = drafts(bot)
    assert (draft.application_id, draft.candidate_id, draft.candidate_name, draft.stage) == (21, 2, "Grace Hopper", "Onsite")
    assert (draft.job_id, draft.job_name, draft.rejection_reason_name) == (JOB_ID, "Archaeologist", "Missing resume")
    assert sorted(draft.approver_gh_ids) == sorted([RECRUITER_ID, COORDINATOR_ID])
    form = last_reply(bot)  # the requester's draft shows what will be rejected
    assert "Grace Hopper" in form and "stage Onsite" in form and "Archaeologist" in form and "`21`" in form


def test_an_unknown_name_costs_one_candidates_read_and_nothing_else(world):
    bot, gh, version, clock = world
    ready(bot.services.job_views.mirror)
    # Ada Lovelace's name by her candidate id, and nothing else.
    assert draft_reads(bot, gh, "reject 11 missing resume") == [candidates_read(version, 1)]
    [draft] = drafts(bot)
    assert (draft.candidate_name, draft.stage, draft.job_id) == ("Ada Lovelace", "Phone Screen", JOB_ID)
    assert "Ada Lovelace" in last_reply(bot)


def test_an_outsider_gets_today_s_reads_and_answer_whether_or_not_it_exists(world):
    bot, gh, version, clock = world
    ready(bot.services.job_views.mirror)
    # Olly is on a job of his own (the mirror holds it with its team), not on this application's.
    reads = draft_reads(bot, gh, "reject 11 missing resume", user=OUTSIDER)
    assert reads == [application_read(version, 11), *whole_job(version)]  # as without the mirror
    exists = last_reply(bot)
    assert "you are not on its job's hiring team" in exists
    assert "Ada" not in exists and "Archaeologist" not in exists and "Phone Screen" not in exists
    reads = draft_reads(bot, gh, "reject 999999 missing resume", user=OUTSIDER)
    assert reads == [application_read(version, 999999)]
    assert last_reply(bot).replace("999999", "11") == exists  # the same words: nothing learned
    assert drafts(bot) == []


def test_the_same_draft_without_the_mirror_reads_the_application_and_the_job(world):
    """What the draft cost before decision 0018, and still costs when the mirror is not fresh."""
    bot, gh, version, clock = world
    ready(bot.services.job_views.mirror)
    clock.now += 3600  # no turn since: the mirror answers nobody
    assert not bot.services.job_views.mirror.fresh()
    reads = draft_reads(bot, gh, "reject 21 missing resume")
    assert reads == [application_read(version, 21), *whole_job(version), candidates_read(version, 2)]
    [draft] = drafts(bot)
    assert (draft.candidate_name, draft.stage, draft.job_id) == ("Grace Hopper", "Onsite", JOB_ID)


def test_an_application_the_mirror_does_not_hold_is_read_as_before(world):
    bot, gh, version, clock = world
    mirror = bot.services.job_views.mirror
    ready(mirror)
    # Rejected in Greenhouse before the sync read it: not among the mirror's active rows.
    reads = draft_reads(bot, gh, "reject 41 missing resume")
    assert reads == [application_read(version, 41), *whole_job(version), candidates_read(version, 4)]
    assert "is rejected, not active" in bot.replies_text()
    # Held by the mirror, but on a job whose team (as the mirror has it) does not list Hannah:
    # Greenhouse is read, and its answer is the hiring team's one.
    reads = draft_reads(bot, gh, "reject 51 missing resume")
    assert reads == [application_read(version, 51), *whole_job(version, OTHER_JOB)]
    assert "you are not on its job's hiring team" in last_reply(bot)
    assert drafts(bot) == []


def test_hannah_just_added_to_a_team_is_let_in_by_a_read_of_greenhouse(world):
    """The mirror's team only ever grants: someone it does not list yet is checked against
    Greenhouse now, as before, and drafts from that fresh read."""
    bot, gh, version, clock = world
    ready(bot.services.job_views.mirror)
    gh.jobs[OTHER_JOB]["hiring_team"]["hiring_managers"].append(
        {"id": HM_ID, "first_name": "Hannah", "last_name": "Manager", "name": "Hannah Manager", "employee_id": None})
    reads = draft_reads(bot, gh, "reject 51 missing resume")
    assert reads == [application_read(version, 51), *whole_job(version, OTHER_JOB), candidates_read(version, 5)]
    [draft] = drafts(bot)
    assert (draft.candidate_name, draft.job_id, draft.stage) == ("Mary Somerville", OTHER_JOB, "Application Review")


def test_approving_a_draft_whose_application_was_rejected_meanwhile_says_so_and_writes_once(world):
    bot, gh, version, clock = world
    ready(bot.services.job_views.mirror)
    assert [path for path, _ in draft_reads(bot, gh, "reject 11 missing resume")] == ["/candidates"]
    [draft] = drafts(bot)
    bot.click("draft_submit", draft.id, HM)
    gh.find_application(11).update(status="rejected", last_activity_at=gh.stamp())  # by someone in Greenhouse
    gh.calls.clear()
    bot.click("request_approve", draft.id, RECRUITER)
    [write] = gh.writes()  # one attempt, refused (422): nothing written, nothing sent twice
    assert (write.method, write.path) == ("POST", "/applications/11/reject")
    failed = bot.services.requests.get(draft.id)
    assert failed.state == "failed"
    # Greenhouse's own words (v1 quotes the statuses, v3's fake does not), after the bot's.
    said = failed.error
    assert said.startswith("Greenhouse refused: ") and "Application must be" in said and "is currently" in said
    assert said.rstrip(".'").endswith("rejected")
    updated = json.dumps(bot.slack.calls_to("chat.update")[-1]["blocks"])
    assert "Ada Lovelace (application 11) was not rejected." in updated and said in updated
    told = [m for m in bot.slack.calls_to("chat.postMessage") if m["channel"] == HM]
    assert told and said in json.dumps(told[-1])  # the requester hears it too
    bot.click("request_approve", draft.id, RECRUITER)  # a second click changes nothing
    assert len(gh.writes()) == 1


def test_retry_after_that_refusal_does_not_claim_someone_else_s_rejection(world):
    """Greenhouse refused the write (422: nothing written). Retry then finds the application
    rejected — by someone in Greenhouse, not by this request: it must not say "was rejected"
    for the approver nor offer to undo it, and it writes nothing."""
    bot, gh, version, clock = world
    ready(bot.services.job_views.mirror)
    draft_reads(bot, gh, "reject 11 missing resume")
    [draft] = drafts(bot)
    bot.click("draft_submit", draft.id, HM)
    gh.find_application(11).update(status="rejected", last_activity_at=gh.stamp())
    bot.click("request_approve", draft.id, RECRUITER)
    assert bot.services.requests.get(draft.id).results["11"].startswith("error: ")  # a definite no
    gh.calls.clear()
    bot.click("request_retry", draft.id, RECRUITER)
    assert gh.writes() == []
    retried = bot.services.requests.get(draft.id)
    assert retried.state == "failed" and retried.results.get("11") != "rejected"
    assert "already rejected in Greenhouse, not by this request" in (retried.error or "")
    updated = json.dumps(bot.slack.calls_to("chat.update")[-1]["blocks"])
    assert "not by this request" in updated and "request_undo" not in updated


@pytest.mark.parametrize("seen", ["view", "mirror"])
def test_a_close_draft_on_a_job_closed_since_its_view_reads_the_status_alone(world, seen):
    bot, gh, version, clock = world
    if seen == "mirror":
        ready(bot.services.job_views.mirror)
    else:
        bot.command(f"job {JOB_ID}", user=HM)
    close_job(gh, JOB_ID)  # every opening closed in Greenhouse since: the job closed with the last
    reads = draft_reads(bot, gh, f"close {JOB_ID} on hold")
    openings = (f"/jobs/{JOB_ID}/openings", PAGE) if version == "v1" else ("/openings", {"job_ids": str(JOB_ID), **PAGE})
    status = (f"/jobs/{JOB_ID}", {}) if version == "v1" else ("/jobs", {"ids": str(JOB_ID), **PAGE})
    # Before: the openings, then the whole job again (v1 the job and its openings, v3 four requests).
    assert [r for r in reads if r[0] != "/close_reasons"] == [openings, status]
    assert "Archaeologist (6404) has no open openings; it is closed already." in bot.replies_text()
    assert drafts(bot, "close_job") == []


def test_an_open_job_with_no_open_opening_is_not_called_open_already(world):
    bot, gh, version, clock = world
    gh.add_job(6405, "Surveyor", team={"hiring_managers": [HM_ID], "recruiters": [RECRUITER_ID]},
               openings=[gh.opening(6_405_001, "closed")])
    bot.command("job 6405", user=HM)
    bot.command("close 6405 on hold", user=HM)
    assert "Surveyor (6405) has no open openings to close." in bot.replies_text()
    assert "already" not in bot.replies_text()
    assert drafts(bot, "close_job") == []
