"""What the bot already knows about a job serves the Home tabs and views of every process on
the store, and stops serving them the moment the job changes (issue 17: fewer Harvest
requests per command, never stale). Two bots on one store stand for two workers or
replicas; everything is driven as Slack and Greenhouse drive it, Harvest requests counted."""

from __future__ import annotations

import json

import pytest

from tests.autoclose_support import WEBHOOK_SECRET, deliver, sync_webhooks
from tests.conftest import HM, JOB_ID, RECRUITER, Bot
from tests.test_home_jobs import job_lines
from tests.test_home_tab import last_home, open_home

SETTINGS = {"bot_approvals_channel": "CAPPROVALS", "greenhouse_webhook_secret": WEBHOOK_SECRET}


@pytest.fixture
def two(tmp_path, slack, gh):  # type: ignore[no-untyped-def]
    return [sync_webhooks(Bot.build(tmp_path, slack, gh, **SETTINGS)) for _ in range(2)]


def archaeologist_line(slack) -> str:  # type: ignore[no-untyped-def]
    [line] = [text for text, _ in job_lines(last_home(slack, RECRUITER)) if "Archaeologist" in text]
    return line


def count_reads(gh) -> list:  # type: ignore[no-untyped-def]
    return [c for c in gh.calls if c.path == "/applications"]


def test_a_view_on_one_process_gives_the_home_count_on_another(two, slack, gh):
    viewer, home = two
    home.command("whoami", user=RECRUITER)
    viewer.command(f"job {JOB_ID}", user=RECRUITER)
    gh.calls.clear()
    open_home(home, RECRUITER)
    assert "3 active candidates" in archaeologist_line(slack)
    assert count_reads(gh) == []  # the count came from the view's read, through the store


def test_a_reject_approved_on_one_process_updates_the_count_on_the_other(two, slack, gh):
    a, b = two
    open_home(b, RECRUITER)
    assert "3 active candidates" in archaeologist_line(slack)
    a.command("reject 11 missing resume", user=HM)
    [draft] = [r for r in a.services.requests.all() if r.state == "draft"]
    a.click("draft_submit", draft.id, HM)
    gh.calls.clear()
    a.click("request_approve", draft.id, RECRUITER)
    assert a.services.requests.get(draft.id).state == "done"
    open_home(b, RECRUITER)
    assert "2 active candidates" in archaeologist_line(slack)
    assert count_reads(gh)  # read after the write (by a's redraw of the tabs, or by b), not kept from before


def test_a_close_approved_on_one_process_takes_the_job_off_the_other_s_tab(two, slack, gh):
    a, b = two
    open_home(b, RECRUITER)
    assert archaeologist_line(slack)
    a.command(f"close {JOB_ID} on hold", user=HM)
    [request] = [r for r in a.services.requests.all() if r.state == "requested"]
    a.click("request_approve", request.id, RECRUITER)
    assert gh.jobs[JOB_ID]["status"] == "closed"
    open_home(b, RECRUITER)
    assert [t for t, _ in job_lines(last_home(slack, RECRUITER)) if "Archaeologist" in t] == []


def stage_change(application_id: int, job_id: int) -> dict:
    # The documented shape: the application with its jobs (Greenhouse's candidate events).
    return {"action": "candidate_stage_change", "payload": {"application": {
        "id": application_id, "status": "active", "jobs": [{"id": job_id, "name": "Archaeologist"}],
        "current_stage": {"id": 2, "name": "Onsite"}, "candidate": {"id": 1}}}}


def test_a_web_hook_about_the_job_ends_reuse_of_its_view_everywhere(two, slack, gh):
    a, b = two
    a.command(f"job {JOB_ID}", user=HM)
    gh.calls.clear()
    b.command(f"job {JOB_ID}", user=HM)
    assert gh.calls == []  # within the 30 s window: the shared read answers
    gh.find_application(11)["current_stage"] = {"id": 2, "name": "Onsite"}  # moved in Greenhouse
    assert deliver(a, stage_change(11, JOB_ID), event_id="evt-stage").status_code == 200
    gh.calls.clear()
    b.command(f"job {JOB_ID}", user=HM)
    assert any(c.path == f"/jobs/{JOB_ID}" for c in gh.calls)  # read again
    view = json.dumps(slack.responses()[-1])
    assert "Phone Screen" not in view  # Ada's old stage is gone from the view


def test_a_web_hook_for_another_job_keeps_the_reuse(two, slack, gh):
    a, b = two
    a.command(f"job {JOB_ID}", user=HM)
    deliver(a, stage_change(11, 999), event_id="evt-other")
    gh.calls.clear()
    b.command(f"job {JOB_ID}", user=HM)
    assert gh.calls == []
