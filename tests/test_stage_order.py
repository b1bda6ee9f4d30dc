"""The job view lists stages in the job's own pipeline order (v1 `GET /jobs/{id}/stages`
by `priority`, v3 `GET /job_interview_stages` by `sort_order`), fetched best-effort and
cached like the reference lists."""

from __future__ import annotations

import json

import pytest

from tests.conftest import HM, JOB_ID
from tests.greenhouse.conftest import backend  # noqa: F401 - a fixture

PIPELINE = ("Application Review", "Recruiter Phone Screen", "Face to Face", "Offer")


def stage_headings(bot) -> list[str]:
    return headings(bot.slack.responses()[-1])


def headings(reply: dict) -> list[str]:
    texts = [b["text"]["text"] for b in reply["blocks"] if b["type"] == "section"]
    return [t.split("*")[1] for t in texts if t.startswith("*") and "\n• " in t and not t.startswith("*Openings")]


@pytest.fixture
def pipeline(gh):
    gh.stages[JOB_ID] = []
    for name in PIPELINE:
        gh.stage(JOB_ID, name)
    gh.candidates.clear()
    for cid, (name, stage) in enumerate([("Ann Apple", "Face to Face"), ("Bo Birch", "Recruiter Phone Screen"),
                                         ("Cy Cedar", "Application Review"), ("Di Dogwood", "Offer"),
                                         ("Ed Elm", None)], start=1):
        gh.add_candidate(cid, name, [gh.application(100 + cid, JOB_ID, stage=stage)])
    return gh


def test_the_view_follows_the_jobs_pipeline_not_the_alphabet(bot, pipeline):
    bot.command(f"job {JOB_ID}", user=HM)
    assert stage_headings(bot) == [*PIPELINE, "No stage"]


def test_a_stage_the_plan_does_not_name_follows_the_named_ones(bot, pipeline):
    pipeline.find_application(101)["current_stage"] = {"id": 9, "name": "Archived Stage"}
    bot.command(f"job {JOB_ID}", user=HM)
    assert stage_headings(bot) == ["Application Review", "Recruiter Phone Screen", "Offer", "Archived Stage", "No stage"]


def test_if_the_stages_cannot_be_read_the_view_still_answers_by_name(bot, pipeline):
    pipeline.fail("GET", f"/jobs/{JOB_ID}/stages", 403, {"message": "You do not have access to that record"}, times=5)
    bot.command(f"job {JOB_ID}", user=HM)
    assert stage_headings(bot) == sorted(PIPELINE) + ["No stage"]
    assert "Ann Apple" in json.dumps(bot.slack.responses()[-1])


def test_the_pipeline_is_read_once_per_cache_period(tmp_path, slack, pipeline):
    from tests.conftest import Bot

    bot = Bot.build(tmp_path, slack, pipeline, bot_view_cache_s=0)
    for _ in range(3):
        bot.command(f"job {JOB_ID}", user=HM)
    assert len(pipeline.reads(f"/jobs/{JOB_ID}/stages")) == 1
    assert stage_headings(bot) == [*PIPELINE, "No stage"]


def test_both_versions_read_the_pipeline_in_order(backend):
    backend.gh.stages[JOB_ID] = []
    for name in PIPELINE:
        backend.gh.stage(JOB_ID, name)
    backend.gh.stage(JOB_ID, "Retired")["active"] = False
    assert backend.harvest.list_job_stages(JOB_ID) == list(PIPELINE)
