"""Drafts reuse fresh reads (issue 17 item 5), counted through the running bot on both
Harvest versions: a close or reject draft right after a view of the job pays only for
what must be fresh when it is drafted — the openings (close), the application (reject) —
never a re-read of the job's candidates. Without a recent view a close draft counts the
active applications 500 a page, not the job's whole history."""

from __future__ import annotations

import math
from typing import Any

import pytest
import respx

from tests.conftest import HM, JOB_ID, OPEN_OPENINGS, OUTSIDER, Bot, seed_world
from tests.fakes.greenhouse import FakeGreenhouse, close_job
from tests.fakes.greenhouse_v3 import FakeGreenhouseV3
from tests.test_job_view_v3 import V3_SETTINGS
from tests.test_view_cost import fill, is_identity

ACTIVE, HISTORY = 1200, 3000


@pytest.fixture
def world() -> Any:
    gh = FakeGreenhouse()
    seed_world(gh)
    gh.rate_limit = 1_000_000  # counts are under test here, not the limiter
    with respx.mock(assert_all_called=False) as router:
        gh.mount_v1(router)
        FakeGreenhouseV3(gh).mount(router).add_reader()
        yield gh


def make_bot(tmp_path: Any, slack: Any, gh: FakeGreenhouse, version: str) -> Bot:
    settings = {"bot_approvals_channel": "CAPPROVALS", **(V3_SETTINGS if version == "v3" else {})}
    bot = Bot.build(tmp_path, slack, gh, **settings)
    bot.command("whoami", user=HM)  # identity first: its requests are not the draft's
    bot.command("whoami", user=OUTSIDER)
    bot.services.reference.close_reasons()  # reference lists are cached on their own (0003-caching)
    bot.services.reference.rejection_reasons()
    bot.services.reference.rejection_templates()
    return bot


def paths_of(gh: FakeGreenhouse, since: int, version: str) -> list[str]:
    return [c.path for c in gh.calls[since:] if not is_identity(c, version)]


def draft_paths(bot: Bot, gh: FakeGreenhouse, text: str, version: str) -> list[str]:
    """The requests `text` made up to the moment its draft was stored: what the draft cost
    (posting it then redraws people's App Home tabs, which is not the draft's read)."""
    at, saved_at = len(gh.calls), []
    requests = bot.services.requests
    save = requests._save_new
    requests._save_new = lambda request: (saved_at.append(len(gh.calls)), save(request))[-1]  # type: ignore[method-assign]
    bot.command(text, user=HM)
    del requests._save_new
    return [c.path for c in gh.calls[at:saved_at[0] if saved_at else len(gh.calls)] if not is_identity(c, version)]


def openings_path(version: str) -> str:
    return "/openings" if version == "v3" else f"/jobs/{JOB_ID}/openings"


def drafted(bot: Bot, kind: str) -> Any:
    return [r for r in bot.services.requests.all() if r.kind == kind][-1]


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_close_draft_after_a_view_reads_only_the_openings(tmp_path, slack, world, version):
    gh = world
    fill(gh, ACTIVE, HISTORY)
    bot = make_bot(tmp_path, slack, gh, version)
    bot.command(f"job {JOB_ID}", user=HM)
    paths = draft_paths(bot, gh, f"close {JOB_ID} on hold", version)
    print(f"DRAFT {version} close after view: {len(paths)} {paths}")
    # v3's openings carry only a close reason's id: the list of reasons names the closed one.
    assert [p for p in paths if p != "/close_reasons"] == [openings_path(version)]
    assert paths.count("/close_reasons") <= (1 if version == "v3" else 0)
    request = drafted(bot, "close_job")
    assert request.state == "requested" and sorted(request.opening_ids) == sorted(OPEN_OPENINGS)
    assert request.active_candidates == ACTIVE  # counted from the view: every active one
    assert f"{ACTIVE} active candidates stay active" in bot.replies_text() + str(slack.calls_to("chat.postMessage"))


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_close_draft_without_a_view_pays_what_a_view_pays_and_the_view_after_reuses_it(tmp_path, slack, world, version):
    gh = world
    fill(gh, ACTIVE, HISTORY)
    viewer = make_bot(tmp_path / "viewer", slack, gh, version)
    at = len(gh.calls)
    viewer.command(f"job {JOB_ID}", user=HM)
    view_cost = len([p for p in paths_of(gh, at, version) if p != "/close_reasons"])
    bot = make_bot(tmp_path / "drafter", slack, gh, version)  # its own store: no names known yet
    paths = draft_paths(bot, gh, f"close {JOB_ID} on hold", version)
    print(f"DRAFT {version} close without view: {len(paths)} (a view: {view_cost}) {paths}")
    # The view's read (job, active applications 500 a page, the stage order) and nothing else:
    # not the names of the view's first page, which the draft does not show (v3 reads the close
    # reasons for the job's closed opening: counted on neither side).
    assert len([p for p in paths if p != "/close_reasons"]) == view_cost - 1
    assert "/candidates" not in paths
    assert drafted(bot, "close_job").active_candidates == ACTIVE
    at = len(gh.calls)
    bot.command(f"job {JOB_ID}", user=HM)
    assert paths_of(gh, at, version) == ["/candidates"]  # the draft's read answers the view: only its page's names


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_reject_draft_after_a_view_reads_only_the_application(tmp_path, slack, world, version):
    gh = world
    fill(gh, ACTIVE, 0)
    bot = make_bot(tmp_path, slack, gh, version)
    bot.command(f"job {JOB_ID}", user=HM)
    paths = draft_paths(bot, gh, "reject 100007 missing resume", version)
    print(f"DRAFT {version} reject after view: {paths}")
    assert paths == (["/applications"] if version == "v3" else ["/applications/100007"])
    request = drafted(bot, "reject_application")
    assert (request.application_id, request.candidate_name, request.job_id) == (100007, "Active Person7", JOB_ID)
    assert request.rejection_reason_name == "Missing resume"


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_reject_draft_without_a_view_still_names_the_candidate(tmp_path, slack, world, version):
    gh = world
    bot = make_bot(tmp_path, slack, gh, version)
    paths = draft_paths(bot, gh, "reject 21 missing resume", version)
    request = drafted(bot, "reject_application")
    assert request.candidate_name == "Grace Hopper" and request.job_id == JOB_ID
    # The application, its candidate's name (one list call), the job: as many as before, no more.
    assert len(paths) <= (3 if version == "v1" else 1 + 1 + 8)


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_a_recent_view_does_not_let_an_outsider_draft(tmp_path, slack, world, version):
    gh = world
    bot = make_bot(tmp_path, slack, gh, version)
    bot.command(f"job {JOB_ID}", user=HM)  # the hiring manager's view is in the cache
    before = len(bot.services.requests.all())
    bot.command(f"close {JOB_ID} on hold", user=OUTSIDER)
    bot.command("reject 21 missing resume", user=OUTSIDER)
    assert len(bot.services.requests.all()) == before
    assert "Archaeologist" not in str(slack.responses()[-2:])  # not even the job's name


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_a_job_closed_since_the_view_is_said_so_from_a_fresh_read(tmp_path, slack, world, version):
    gh = world
    bot = make_bot(tmp_path, slack, gh, version)
    bot.command(f"job {JOB_ID}", user=HM)
    close_job(gh, JOB_ID)  # someone closed it in Greenhouse a moment later
    bot.command(f"close {JOB_ID} on hold", user=HM)
    assert "has no open openings; it is closed already" in bot.replies_text()
    assert not [r for r in bot.services.requests.all() if r.kind == "close_job"]
