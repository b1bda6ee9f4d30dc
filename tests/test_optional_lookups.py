"""Look-ups that only decorate are optional (issue 12 item 2): on Harvest v3, a 403,
404 or 5xx from /departments, /offices, /users (team names) or /close_reasons leaves
that part out with a short note; the job view is still shown, and an approved close
still writes. The job, its openings, its team ids and its applications stay required."""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx

from tests.conftest import HM, JOB_ID, OPEN_OPENINGS, RECRUITER, Bot, seed_world
from tests.fakes.greenhouse import FakeGreenhouse
from tests.fakes.greenhouse_v3 import FakeGreenhouseV3
from tests.test_job_view_v3 import V3_SETTINGS


@pytest.fixture
def gh3() -> Any:
    gh = FakeGreenhouse()
    seed_world(gh)
    with respx.mock(assert_all_called=False) as router:
        v3 = FakeGreenhouseV3(gh).mount(router)
        v3.add_reader()
        yield gh


def view_text(slack) -> str:
    return json.dumps(slack.responses()[-1]["blocks"])


@pytest.mark.parametrize(("path", "status", "what"), [
    ("/departments", 403, "department"),
    ("/departments", 404, "department"),
    ("/offices", 500, "office"),
    ("/users", 503, "team names"),
    ("/close_reasons", 403, "close reasons"),
])
def test_a_failing_decoration_leaves_that_part_out_and_the_view_shows(tmp_path, slack, gh3, path, status, what):
    # Without the user directory (0), the team's names are a /users look-up; with it, see below.
    directory = {"bot_directory_refresh_s": 0} if path == "/users" else {}
    bot = Bot.build(tmp_path, slack, gh3, **V3_SETTINGS, **directory)
    bot.command("whoami", user=HM)  # who Hannah is was read before the fault (identity needs /users)
    gh3.fail("GET", path, status, {"message": "nope"}, times=10)  # 5xx are retried: fail every attempt
    bot.command(f"job {JOB_ID}", user=HM)
    text = view_text(slack)
    assert "Archaeologist (6404)" in text and "Ada Lovelace" in text  # the view and its candidates
    assert f"Not shown: {what}" in text
    dept = gh3.jobs[JOB_ID]["departments"][0]["name"]
    assert (dept in text) == (what != "department")
    if what == "team names":
        assert gh3.users[101]["name"] not in text  # the team is listed by id instead
        assert "#101" in text


def test_team_names_come_from_the_user_directory_without_a_users_read(tmp_path, slack, gh3):
    bot = Bot.build(tmp_path, slack, gh3, **V3_SETTINGS)
    bot.command("whoami", user=HM)  # loads the directory (/users, /user_emails)
    gh3.fail("GET", "/users", 503, {"message": "nope"}, times=10)
    at = len(gh3.calls)
    bot.command(f"job {JOB_ID}", user=HM)
    text = view_text(slack)
    assert gh3.users[101]["name"] in text and gh3.users[102]["name"] in text and "Not shown" not in text
    assert not [c for c in gh3.calls[at:] if c.path == "/users"]


def test_required_reads_still_fail_the_view(tmp_path, slack, gh3):
    gh3.fail("GET", "/openings", 403, {"message": "Forbidden"}, times=10)
    bot = Bot.build(tmp_path, slack, gh3, **V3_SETTINGS)
    bot.command(f"job {JOB_ID}", user=HM)
    assert "Ada Lovelace" not in bot.replies_text()


def test_an_approved_close_writes_though_team_names_and_reasons_fail(tmp_path, slack, gh3):
    bot = Bot.build(tmp_path, slack, gh3, bot_approvals_channel="CAPPROVALS", **V3_SETTINGS)
    bot.command(f"close {JOB_ID} on hold", user=HM)
    [request] = [r for r in bot.services.requests.all() if r.state == "requested"]
    bot.command("whoami", user=RECRUITER)  # the approver's identity was read before the fault
    for path in ("/users", "/departments", "/offices", "/close_reasons"):
        gh3.fail("GET", path, 500, {"message": "down"}, times=50)
    bot.click("request_approve", request.id, RECRUITER)
    assert sorted(w.path for w in gh3.writes()) == sorted(f"/openings/{o}" for o in OPEN_OPENINGS)
    assert bot.services.requests.get(request.id).state == "done"


def test_v1_reject_draft_shows_without_the_candidate_name(bot, slack, gh):
    gh.fail("GET", r"/candidates/\d+", 403, {"message": "Forbidden"}, times=10)
    bot.command("reject 11 missing resume", user=HM)
    text = bot.replies_text()
    assert "Check your rejection request" in text and "Missing resume" in text
