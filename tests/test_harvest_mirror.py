"""The Harvest mirror (bot/workflows/harvest_mirror.py, docs/decisions/0012-harvest-mirror.md):
one sync keeps every open job and active application in the store, and a job view answered
from it reads no Harvest — but only while it is fresh, never for someone its hiring team does
not list, and never with what the bot or Greenhouse has changed since. Driven as Slack and
Greenhouse drive the bot, Harvest requests counted, on v1 and v3; one clock for the bot's
mirror and the fake Greenhouse's stamps (never today's date)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot import waiting
from bot.greenhouse.models import ApplicationRow
from bot.store import Store
from bot.store.flight import Sealer
from bot.workflows.harvest_mirror import APPS, LEASE_KEY, HarvestMirror
from tests.conftest import HM, JOB_ID, OUTSIDER, OUTSIDER_ID, RECRUITER, Bot, approved_reject
from tests.fakes.clock import StepClock
from tests.test_draft_cost import draft_paths
from tests.test_home_jobs import job_lines
from tests.test_home_tab import last_home, open_home
from tests.test_known_counts import archaeologist_line
from tests.test_job_view_v3 import V3_SETTINGS
from tests.test_user_directory import v3_gh  # noqa: F401 - the v3 fixture
from tests.test_view_cost import fill

# What a view reads when it cannot use the mirror: the job (v3: its openings and team) and
# its active applications.
JOB_READS = {"/applications", f"/jobs/{JOB_ID}", "/jobs", "/openings", "/job_owners", "/job_hiring_managers"}
START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()


@pytest.fixture(params=["v1", "v3"])
def world(request, tmp_path, slack, gh, v3_gh):  # type: ignore[no-untyped-def]  # noqa: F811
    """A bot whose mirror and fake Greenhouse share one clock, its people mapped."""
    fake = gh if request.param == "v1" else v3_gh
    clock = StepClock(START)
    fake.clock = clock
    bot = Bot.build(tmp_path, slack, fake, **(V3_SETTINGS if request.param == "v3" else {}))
    bot.services.job_views.mirror.clock = clock
    for person in (HM, RECRUITER, OUTSIDER):
        bot.command("whoami", user=person)
    return bot, fake, clock, request.param


def ready(mirror: HarvestMirror) -> None:
    """A bot running since the morning: the open jobs read, swept, and a turn since."""
    assert mirror.jobs_once() and mirror.sweep_once() and mirror.sync_once()


def view_text(bot: Bot, user: str = HM) -> str:
    bot.command(f"job {JOB_ID}", user=user)
    return json.dumps(bot.slack.responses()[-1])


def paths(fake: Any) -> list[str]:
    return [c.path for c in fake.calls]


def test_a_view_of_a_mirrored_job_reads_no_harvest(world):  # type: ignore[no-untyped-def]
    bot, fake, clock, _version = world
    mirror = bot.services.job_views.mirror
    ready(mirror)
    fake.calls.clear()
    text = view_text(bot)
    assert "Ada Lovelace" in text and "Grace Hopper" in text and "Rejected Person" not in text
    # At most the names of the page shown (the mirror keeps no names) and the stage order
    # (its own cache): neither the job nor its applications.
    assert not JOB_READS & set(paths(fake)), paths(fake)
    fake.calls.clear()
    clock.now += 5
    assert "Alan Turing" in view_text(bot, RECRUITER)  # someone else, a moment later: nothing at all
    assert fake.calls == []


def test_a_change_in_greenhouse_reaches_the_view_after_one_sync_of_one_request(world):  # type: ignore[no-untyped-def]
    bot, fake, clock, version = world
    mirror = bot.services.job_views.mirror
    ready(mirror)
    assert "Ada Lovelace" in view_text(bot)
    clock.now += 10
    fake.find_application(11).update(status="rejected", last_activity_at=fake.stamp())  # rejected in Greenhouse
    fake.calls.clear()
    assert mirror.sync_once() and not mirror.sweep_once() and not mirror.jobs_once()  # a turn only
    [read] = fake.calls
    assert read.path == "/applications"
    since = START - 60  # the last sync's start, less the overlap for Greenhouse's clock
    if version == "v1":
        assert read.params["last_activity_after"] == "2026-11-20T11:59:00Z" == _iso(since)
    else:
        assert read.params["updated_at"] == f"gte|{_iso(since)}"
    clock.now += 1
    fake.calls.clear()
    text = view_text(bot)
    assert "Ada Lovelace" not in text and "Grace Hopper" in text
    assert not JOB_READS & set(paths(fake)), paths(fake)


def test_a_mirror_whose_sync_stopped_is_not_trusted(world):  # type: ignore[no-untyped-def]
    bot, fake, clock, _version = world
    mirror = bot.services.job_views.mirror
    ready(mirror)
    assert mirror.fresh_s == (30 if _version == "v1" else 60)  # v3: plus its fixed window
    clock.now += mirror.fresh_s + 1  # turns missed (every process down or cut off from Greenhouse)
    fake.calls.clear()
    assert "Ada Lovelace" in view_text(bot)
    assert "/applications" in paths(fake)  # read from Harvest, as without a mirror


def test_the_bot_s_own_reject_is_never_shown_from_the_mirror(world):  # type: ignore[no-untyped-def]
    bot, fake, clock, _version = world
    mirror = bot.services.job_views.mirror
    ready(mirror)
    assert approved_reject(bot, 11).state == "done"
    fake.calls.clear()
    text = view_text(bot)
    assert "Ada Lovelace" not in text and "Grace Hopper" in text
    assert "/applications" in paths(fake)  # the mirror forgot the job: read again…
    fake.calls.clear()
    clock.now += 1
    assert "Ada Lovelace" not in view_text(bot, RECRUITER)
    assert "/applications" not in paths(fake)  # …and that read filled it again


# Someone the mirror's hiring team does not list (a first ask answered from the mirror, the
# same person's next ask within the window checked against a team read now): decision 0017,
# tests/test_outsider_refused_by_mirror.py.


def test_one_sync_a_turn_for_every_process_on_the_store(tmp_path, slack, gh):  # type: ignore[no-untyped-def]
    clock = StepClock(START)
    gh.clock = clock
    a, b = (Bot.build(tmp_path, slack, gh) for _ in range(2))
    for bot in (a, b):
        bot.services.job_views.mirror.clock = clock
    ma, mb = a.services.job_views.mirror, b.services.job_views.mirror
    assert ma.sync_once() and not mb.sync_once()  # a's turn
    assert mb.sweep_once() and not ma.sweep_once()  # b swept: not due again for full_s
    clock.now += 10
    gh.calls.clear()
    assert mb.sync_once() and not ma.sync_once()
    assert paths(gh) == ["/applications"]  # one turn for both: the changes since a's
    clock.now += ma.full_s
    assert ma.sweep_once() and not mb.sweep_once()
    assert mb.jobs_once() and not ma.jobs_once()  # the open jobs: once for both too
    assert ma.sync_once()  # the turns go on (in the bot: on their own thread)
    gh.calls.clear()
    b.command("whoami", user=HM)
    gh.calls.clear()
    b.command(f"job {JOB_ID}", user=HM)  # b answers from what a swept
    assert not JOB_READS & set(paths(gh)), paths(gh)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the records, on both stores ---------------------------------------------------------


class Nothing:
    version = "v1"


def test_a_read_older_than_a_forget_does_not_bring_the_old_rows_back(store: Store):
    clock = StepClock(START)
    mirror = HarvestMirror(store, Nothing(), Sealer("k"), clock=clock)  # type: ignore[arg-type]
    ada = ApplicationRow(id=11, candidate_id=1, stage="Phone Screen")
    mirror._write_rows(JOB_ID, {11: ada}, as_of=START - 5)
    mirror.forget(JOB_ID)  # the bot rejected Ada at START
    mirror._write_rows(JOB_ID, {11: ada}, as_of=START - 1)  # a sweep that read before the reject
    assert "rows" not in store.get(APPS, str(JOB_ID))
    mirror._write_rows(JOB_ID, {}, as_of=START + 1)  # a read after it
    assert mirror._rows(store.get(APPS, str(JOB_ID))) == {}


def test_the_store_holds_no_candidate_in_clear(store: Store):
    mirror = HarvestMirror(store, Nothing(), Sealer("k"), clock=StepClock(START))  # type: ignore[arg-type]
    mirror._write_rows(JOB_ID, {11: ApplicationRow(id=11, candidate_id=987654, stage="Phone Screen")}, as_of=START)
    raw = json.dumps(list(store.dump(APPS)))
    assert "987654" not in raw and "Phone Screen" not in raw
    assert HarvestMirror(store, Nothing(), Sealer("other"), clock=StepClock(START))._rows(  # type: ignore[arg-type]
        store.get(APPS, str(JOB_ID))) is None  # another credential's key opens nothing


def test_the_turn_is_one_process_s_at_a_time_on_both_stores(store: Store):
    clock = StepClock(START)
    a, b = (HarvestMirror(store, Nothing(), Sealer("k"), clock=clock) for _ in range(2))  # type: ignore[arg-type]
    assert a._take(LEASE_KEY, clock.now, 300) and not b._take(LEASE_KEY, clock.now, 300)
    assert not b._take(LEASE_KEY, clock.now + 299, 8)
    assert b._take(LEASE_KEY, clock.now + 300, 8)


def test_the_home_tab_is_drawn_from_the_mirror_and_a_closed_job_leaves_it(world):  # type: ignore[no-untyped-def]
    bot, fake, clock, _version = world
    ready(bot.services.job_views.mirror)
    fake.calls.clear()
    open_home(bot, RECRUITER)
    assert "3 active candidates" in archaeologist_line(bot.slack)
    assert fake.calls == []  # the jobs, their teams and their counts: all from the mirror
    bot.command(f"close {JOB_ID} on hold", user=HM)
    [request] = [r for r in bot.services.requests.all() if r.state == "requested"]
    bot.click("request_approve", request.id, RECRUITER)
    assert fake.jobs[JOB_ID]["status"] == "closed"
    clock.now += 1
    open_home(bot, RECRUITER)
    assert [t for t, _ in job_lines(last_home(bot.slack, RECRUITER)) if "Archaeologist" in t] == []


def test_drafts_take_the_job_and_its_candidates_from_the_mirror(world):  # type: ignore[no-untyped-def]
    bot, fake, clock, version = world
    ready(bot.services.job_views.mirror)
    for lists in (bot.services.reference.close_reasons, bot.services.reference.rejection_reasons,
                  bot.services.reference.rejection_templates):
        lists()  # cached on their own (decision 0003)
    paths = draft_paths(bot, fake, f"close {JOB_ID} on hold", version)
    # Only what the approval will close, read now (v3's openings name their close reason by id).
    assert [p for p in paths if p != "/close_reasons"] == ["/openings" if version == "v3" else f"/jobs/{JOB_ID}/openings"]
    close = [r for r in bot.services.requests.all() if r.kind == "close_job"][-1]
    assert close.active_candidates == 3  # counted from the mirror
    paths = draft_paths(bot, fake, "reject 21 missing resume", version)
    # Its candidate's name at most: neither the application nor the job, both in the mirror
    # (decision 0018; tests/test_reject_draft_mirror.py counts every case).
    assert [p for p in paths if p != "/candidates"] == []
    reject = [r for r in bot.services.requests.all() if r.kind == "reject_application"][-1]
    assert (reject.candidate_name, reject.job_id) == ("Grace Hopper", JOB_ID)


def test_a_sweep_spaces_its_pages_and_the_turns_and_views_go_on_meanwhile(tmp_path, slack, gh):  # type: ignore[no-untyped-def]
    fill(gh, 1200, 0)  # with the seed's 2 others: 1,202 active applications, three pages of 500
    gh.rate_limit = 1_000_000  # the sweep's spacing is under test, not the limiter
    clock = StepClock(START)
    gh.clock = clock
    sweeper, other = (Bot.build(tmp_path, slack, gh) for _ in range(2))
    mirror = sweeper.services.job_views.mirror
    for bot in (sweeper, other):
        bot.services.job_views.mirror.clock = clock
        bot.command("whoami", user=HM)
    gaps: list[float] = []
    mirror.sleep = gaps.append
    ready(mirror)
    assert gaps == [1.0, 1.0]  # between pages, at v1's spacing (a fifth of 50 per 10 s)
    clock.now += mirror.full_s
    answered: list[str] = []

    def meanwhile(gap: float) -> None:  # the other threads, while the sweep waits between pages
        clock.now += gap
        assert other.services.job_views.mirror.sync_once()  # another process's turn
        at = len(gh.calls)
        other.command(f"job {JOB_ID}", user=HM)
        answered.append(json.dumps(slack.responses()[-1]))
        assert not JOB_READS & {c.path for c in gh.calls[at:]}  # still fresh: from the mirror

    mirror.sleep = meanwhile
    clock.now += 10
    assert mirror.jobs_once()  # the open jobs' own loop, meanwhile too
    assert mirror.sweep_once()
    assert len(answered) == 2 and all("Grace Hopper" in a for a in answered)


def test_a_turn_goes_first_in_the_line_for_harvest_s_budget(tmp_path, slack, gh):  # type: ignore[no-untyped-def]
    # The limiter orders its line by when each piece of work started (bot/waiting.py;
    # tests/greenhouse/test_ratelimit_line.py): the turn's one request counts as the work
    # that started before every command, so a busy hour's line cannot make the mirror stale.
    bot = Bot.build(tmp_path, slack, gh)
    mirror = bot.services.job_views.mirror
    seen: list[float] = []
    read = mirror.harvest.iter_applications_changed_since

    def changed_since(since):  # type: ignore[no-untyped-def]
        work = waiting.current()
        seen.append(work.since if work is not None else 0.0)
        return read(since)

    mirror.harvest.iter_applications_changed_since = changed_since  # type: ignore[method-assign]
    with waiting.waiting_as(waiting.Waiting()):  # a command's work started before the turn
        assert mirror.sync_once()
    assert seen == [float("-inf")]
    assert mirror.harvest.t.limiter.reserve == 2  # v1: 2 of every 50 are the mirror's to take


def test_a_home_tab_reads_a_job_forgotten_since_the_last_sync_only_for_its_team(world):  # type: ignore[no-untyped-def]
    bot, fake, clock, version = world
    ready(bot.services.job_views.mirror)
    fake.add_job(7007, "Geologist", team={"recruiters": [OUTSIDER_ID]}, openings=[fake.opening(70071)])
    clock.now += bot.services.job_views.mirror.jobs_s
    assert bot.services.job_views.mirror.jobs_once()  # the new job read with the open jobs
    assert bot.services.job_views.mirror.sync_once()
    bot.services.job_views.forget(JOB_ID)  # a web hook, or a write: the job changed
    fake.calls.clear()
    open_home(bot, OUTSIDER)  # not on the Archaeologist's team: no job read for it
    assert [t for t, _ in job_lines(last_home(bot.slack, OUTSIDER)) if "Geologist" in t]
    # (the Geologist's count is read: it opened after the sweep, the mirror has no rows for it)
    assert not (JOB_READS - {"/applications"}) & set(paths(fake)), paths(fake)
    open_home(bot, RECRUITER)  # on its team: read now, still open, listed
    assert archaeologist_line(bot.slack)
    assert (f"/jobs/{JOB_ID}" if version == "v1" else "/jobs") in paths(fake)


def test_the_tabs_a_change_redraws_share_one_read_of_the_job(world):  # type: ignore[no-untyped-def]
    bot, fake, clock, version = world
    ready(bot.services.job_views.mirror)
    bot.services.job_views.forget(JOB_ID)  # a request's write: its requester's and approvers' tabs are redrawn
    fake.calls.clear()
    for person in (RECRUITER, HM, RECRUITER):
        open_home(bot, person)
        assert archaeologist_line(bot.slack) if person == RECRUITER else True
    job_reads = [p for p in paths(fake) if p == (f"/jobs/{JOB_ID}" if version == "v1" else "/jobs")]
    assert len(job_reads) == 1  # once after the forgetting, for every tab of its team
    clock.now += 1
    bot.services.job_views.forget(JOB_ID)  # changed again: read again
    open_home(bot, HM)
    assert len([p for p in paths(fake) if p == (f"/jobs/{JOB_ID}" if version == "v1" else "/jobs")]) == 2
