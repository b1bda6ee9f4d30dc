"""The whole bot configured for Harvest v3 answers `/greenhouse job` exactly as the
v1 bot does over the same Greenhouse data, and what a v3 job view costs."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from bot.identity import Caller, Mapping
from tests.conftest import HM, JOB_ID, Bot, served_both_ways
from tests.fakes.greenhouse_v3 import AUTH_URL, CLIENT_ID, CLIENT_SECRET, READER_ID, V3_BASE

V3_SETTINGS = dict(
    greenhouse_api_key=None,
    greenhouse_client_id=CLIENT_ID,
    greenhouse_client_secret=CLIENT_SECRET,
    greenhouse_read_as_user_id=READER_ID,
    greenhouse_api_url=V3_BASE,
    greenhouse_auth_url=AUTH_URL,
)


@pytest.fixture
def both() -> Any:
    """One Greenhouse, served as v1 and as v3 at once."""
    with served_both_ways() as (gh, v3):
        yield gh, v3


def test_v3_bot_answers_the_job_view_like_the_v1_bot(tmp_path, slack, both):
    gh, v3 = both
    v1_bot = Bot.build(tmp_path / "v1", slack, gh)
    v3_bot = Bot.build(tmp_path / "v3", slack, gh, **V3_SETTINGS)
    assert v3_bot.services.harvest.version == "v3"

    v1_bot.command(f"job {JOB_ID}", user=HM)
    v3_calls_before = len(gh.calls)
    v3_bot.command(f"job {JOB_ID}", user=HM)
    v1_reply, v3_reply = slack.responses()
    assert v3_reply == v1_reply
    assert "Ada Lovelace" in json.dumps(v3_reply)  # the candidates really were shown
    v3_calls = gh.calls[v3_calls_before:]
    assert all(c.headers["authorization"].startswith("Bearer ") for c in v3_calls)
    assert {v3.sub_of(c) for c in v3_calls} == {READER_ID}


def job_view_cost(n: int, team: int = 3) -> int:
    """Harvest requests for a v3 job view of a job with n active applications (one
    candidate each), `team` distinct hiring-team users, a department, an office and
    a closed opening with a close reason, and the names of one page (≤ 50) of
    candidates. Token requests are not counted (cached)."""
    # jobs, openings, owners, managers, close_reasons, departments, offices, job_interview_stages (pipeline order)
    fixed = 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1
    return fixed + math.ceil(team / 50) + max(1, math.ceil(n / 500)) + 1


@pytest.mark.parametrize("n", [10, 1000, 5000])
def test_v3_job_view_request_count(tmp_path, slack, both, n):
    gh, v3 = both
    gh.rate_limit = 1_000_000  # the count is under test here, not the limiter
    gh.candidates.clear()
    for i in range(n):
        gh.add_candidate(1000 + i, f"Bulk Person{i}", [gh.application(10_000 + i, JOB_ID)])
    bot = Bot.build(tmp_path, slack, gh, **V3_SETTINGS)
    hannah = Mapping(slack_user_id="UHM", greenhouse_user_id=101, name="Hannah Manager", mapped_at="2026-01-01", how="email")
    view = bot.services.job_views.load(str(JOB_ID), Caller("UHM", is_admin=False, mapping=hannah))
    assert len(view.applications) == n
    assert not any(c.path == "/candidates" for c in gh.calls)  # the read names nobody: the page does
    page = view.by_stage_order[:50]
    named = bot.services.job_views.named(view, page)
    assert {named.name_of(a) for a in page} == {f"Bulk Person{a.candidate_id - 1000}" for a in page}
    by_path: dict[str, int] = {}
    for c in gh.calls:
        by_path[c.path] = by_path.get(c.path, 0) + 1
    assert by_path["/applications"] == math.ceil(n / 500)
    assert by_path["/candidates"] == 1
    assert len([c for c in gh.calls if c.path == "/candidates"][0].params["ids"].split(",")) == min(n, 50)
    assert len(gh.calls) == job_view_cost(n)
    print(f"v3 job view, n={n}: {len(gh.calls)} requests {by_path}")


def test_the_start_up_check_names_closed_openings_for_the_first_view(tmp_path, slack, both):
    """The start-up check reads the close reasons anyway (bot/readiness.py): a v3 view after it
    names the job's closed opening without a /close_reasons read of its own."""
    gh, v3 = both
    bot = Bot.build(tmp_path, slack, gh, **V3_SETTINGS)
    assert bot.services.readiness.check_harvest().ok
    at = len(gh.calls)
    bot.command(f"job {JOB_ID}", user=HM)
    assert "/close_reasons" not in [c.path for c in gh.calls[at:]]
    assert "On Hold" in json.dumps(slack.responses()[-1])  # the closed opening's reason, named


def test_v3_more_pages_name_their_own_candidates_one_request_each(tmp_path, slack, both):
    """On v3 too (decision 0007): the first page names its candidates with one `candidates?ids=`
    of at most 50, each "More" page with one more, and nothing else is read again."""
    gh, v3 = both
    for i in range(120):
        gh.add_candidate(5000 + i, f"Paged Person{i:03d}", [gh.application(50_000 + i, JOB_ID, stage="Onsite")])
    bot = Bot.build(tmp_path, slack, gh, **V3_SETTINGS)
    bot.command("whoami", user=HM)
    at = len(gh.calls)
    bot.command(f"job {JOB_ID}", user=HM)
    names_reads = [c for c in gh.calls[at:] if c.path == "/candidates"]
    assert len(names_reads) == 1 and len(names_reads[0].params["ids"].split(",")) <= 50
    shown, page = set(), slack.responses()[-1]
    while True:
        text = json.dumps(page["blocks"])
        assert not __import__("re").search(r"candidate \d", text)  # every line by name
        shown.update(__import__("re").findall(r"Paged Person\d{3}", text))
        more = [el for b in page["blocks"] if b["type"] == "actions" for el in b["elements"]
                if el["action_id"] == "job_view_more"]
        if not more:
            break
        at = len(gh.calls)
        bot.click("job_view_more", more[0]["value"], HM, channel="CASK")
        page = slack.responses()[-1]
        reads = gh.calls[at:]
        assert [c.path for c in reads] == ["/candidates"] and len(reads[0].params["ids"].split(",")) <= 50
    assert len(shown) == 120
