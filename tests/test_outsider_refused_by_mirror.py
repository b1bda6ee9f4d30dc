"""Someone the Harvest mirror's hiring team does not list (docs/decisions/0017-outsider-refused-by-the-mirror.md):
their first ask for a job is answered from the mirror — the summary, no candidate, a sentence
saying how old that team is — with no Harvest request; the same person asking for the same
job again within the window has the team read now (v1 the job, v3 job_owners and
job_hiring_managers) and is let in if Greenhouse lists them by then. The mark is in the store
(every worker sees it), keyed by Slack user and job only. Driven as Slack drives the bot,
Harvest requests counted, on v1 and v3; one injected clock (never today's date)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.greenhouse.v1 import job_from_v1
from bot.housekeeping import run_once
from bot.slack.blocks.job import job_view_blocks
from bot.workflows.job_view import JobView
from bot.workflows.outsider_asks import ASK_AGAIN_S, TABLE, OutsiderAsks
from tests.conftest import HM, JOB_ID, OUTSIDER, OUTSIDER_ID, RECRUITER, RECRUITER_ID, Bot
from tests.fakes.clock import StepClock
from tests.test_harvest_mirror import START, ready, view_text, world  # noqa: F401 - the fixture
from tests.test_job_view_v3 import V3_SETTINGS
from tests.test_user_directory import v3_gh  # noqa: F401 - the v3 fixture

OTHER, OTHER_ID = "UOTTO", 105  # a second person on no hiring team
OTHER_JOB = 7007
CANDIDATES = ("Ada Lovelace", "Grace Hopper", "Alan Turing")
SENTENCE = "You are not on this job's hiring team as Greenhouse listed it"


def team_reads(version: str, job_id: int = JOB_ID) -> list[str]:
    """What reading a job's hiring team now costs: v1 the job (it embeds the team), v3 its two team lists."""
    return [f"/jobs/{job_id}"] if version == "v1" else ["/job_owners", "/job_hiring_managers"]


def requests_made(fake: Any) -> list[str]:
    """The Harvest requests made, less the page's candidate names and a stage order (a view
    that lets someone in reads those; they are not the team)."""
    return [c.path for c in fake.calls if c.path != "/candidates" and "stages" not in c.path]


def add_to_team(fake: Any, user_id: int) -> None:
    """Added in Greenhouse as a sourcer (the v3 fake derives job_owners from the same team)."""
    fake.jobs[JOB_ID]["hiring_team"]["sourcers"].append({"id": user_id, "first_name": "New",
                                                         "last_name": "Sourcer", "name": "New Sourcer"})


def shows_candidates(text: str) -> bool:
    return any(name in text for name in CANDIDATES) or "job_view_candidate" in text


@pytest.fixture
def mirrored(world):  # type: ignore[no-untyped-def]  # noqa: F811
    """`world`, with a second outsider mapped and a second job, the mirror ready, requests cleared."""
    bot, fake, clock, version = world
    bot.slack.users[OTHER] = {"email": "otto@acme.test"}
    fake.add_user(OTHER_ID, "Otto Other", "otto@acme.test")
    bot.command("whoami", user=OTHER)
    fake.add_job(OTHER_JOB, "Geologist", team={"recruiters": [RECRUITER_ID]}, openings=[fake.opening(70071)])
    ready(bot.services.job_views.mirror)
    fake.calls.clear()
    return bot, fake, clock, version


def age_the_team(bot: Bot, fake: Any, clock: Any, seconds: float) -> None:
    """`seconds` later, the mirror's turns kept up (it stays fresh) but its jobs not read again."""
    mirror = bot.services.job_views.mirror
    step = 9
    while seconds > 0:
        clock.now += min(step, seconds)
        seconds -= min(step, seconds)
        mirror.sync_once()
    fake.calls.clear()


def test_a_first_refusal_reads_no_harvest_and_says_how_old_the_team_is(mirrored):  # type: ignore[no-untyped-def]
    bot, fake, clock, version = mirrored
    age, words = (25, "less than a minute ago") if version == "v1" else (182, "about 3 minutes ago")
    age_the_team(bot, fake, clock, age)
    text = view_text(bot, OUTSIDER)
    assert fake.calls == []  # not the team, not the job, nothing
    assert "Archaeologist" in text and "Candidates are shown only to this job's hiring team" in text
    assert f"{SENTENCE} {words}. If you were added since, run `/greenhouse job {JOB_ID}` again" in text
    assert not shows_candidates(text)
    # What the store keeps: when, under the Slack user and the job — no name, no email.
    [(key, mark)] = list(bot.services.store.dump(TABLE))
    assert (key, mark) == (f"{OUTSIDER}:{JOB_ID}", {"at": clock.now})


def test_asking_again_reads_the_team_now_and_lets_in_someone_just_added(mirrored):  # type: ignore[no-untyped-def]
    bot, fake, clock, version = mirrored
    assert SENTENCE in view_text(bot, OUTSIDER) and fake.calls == []
    clock.now += 5
    text = view_text(bot, OUTSIDER)  # asked again, still not listed in Greenhouse
    assert requests_made(fake) == team_reads(version)
    assert "Candidates are shown only" in text and not shows_candidates(text)
    assert SENTENCE not in text  # checked against Greenhouse now: nothing to add
    add_to_team(fake, OUTSIDER_ID)
    for _ in range(2):  # and again, after being added (the mirror's team does not list them yet)
        fake.calls.clear()
        clock.now += 5
        text = view_text(bot, OUTSIDER)
        assert requests_made(fake) == team_reads(version)
        assert all(name in text for name in CANDIDATES) and SENTENCE not in text


def test_the_mark_is_per_person_and_per_job(mirrored):  # type: ignore[no-untyped-def]
    bot, fake, clock, version = mirrored
    assert SENTENCE in view_text(bot, OUTSIDER)
    clock.now += 1
    bot.command(f"job {OTHER_JOB}", user=OUTSIDER)  # the same person, another job: a first ask
    assert SENTENCE in json.dumps(bot.slack.responses()[-1]) and fake.calls == []
    text = view_text(bot, OTHER)  # another person, the first job: a first ask
    assert SENTENCE in text and not shows_candidates(text) and fake.calls == []
    view_text(bot, OUTSIDER)  # the first person again, the first job: read now
    assert requests_made(fake) == team_reads(version)


def test_a_second_ask_at_another_worker_reads_the_team_now(mirrored, tmp_path, slack):  # type: ignore[no-untyped-def]
    bot, fake, clock, version = mirrored
    other_worker = Bot.build(tmp_path, slack, fake, **(V3_SETTINGS if version == "v3" else {}))  # same store
    other_worker.services.job_views.mirror.clock = clock
    other_worker.command("whoami", user=OUTSIDER)
    fake.calls.clear()
    assert SENTENCE in view_text(bot, OUTSIDER) and fake.calls == []
    add_to_team(fake, OUTSIDER_ID)
    clock.now += 1
    text = view_text(other_worker, OUTSIDER)
    assert all(name in text for name in CANDIDATES)
    assert requests_made(fake) == team_reads(version)


def test_after_the_window_the_next_ask_is_a_first_ask_again(mirrored):  # type: ignore[no-untyped-def]
    bot, fake, clock, version = mirrored
    mirror = bot.services.job_views.mirror
    view_text(bot, OUTSIDER)
    asked = clock.now
    clock.now = asked + ASK_AGAIN_S - 1
    ready(mirror)  # the bot ran meanwhile: its mirror is fresh
    fake.calls.clear()
    assert SENTENCE not in view_text(bot, OUTSIDER)  # still inside the window: read now
    assert requests_made(fake) == team_reads(version)
    clock.now = asked + ASK_AGAIN_S
    assert mirror.sync_once()
    fake.calls.clear()
    assert SENTENCE in view_text(bot, OUTSIDER) and fake.calls == []  # past it: answered from the mirror
    clock.now += 1
    view_text(bot, OUTSIDER)
    assert requests_made(fake) == team_reads(version)  # and the window starts again from there


def test_housekeeping_deletes_the_marks_past_the_window(mirrored):  # type: ignore[no-untyped-def]
    bot, fake, clock, _version = mirrored
    view_text(bot, OUTSIDER)
    clock.now += ASK_AGAIN_S - 10
    ready(bot.services.job_views.mirror)  # the bot ran meanwhile: its mirror is fresh
    assert SENTENCE in view_text(bot, OTHER)
    clock.now += 10  # the outsider's mark is past the window, the other's is not
    run_once(bot.services)
    assert [key for key, _ in bot.services.store.dump(TABLE)] == [f"{OTHER}:{JOB_ID}"]


def test_a_confidential_job_answers_as_no_job_and_the_second_ask_still_reads_the_team(mirrored):  # type: ignore[no-untyped-def]
    bot, fake, clock, version = mirrored
    bot.command("job 6405", user=OUTSIDER)  # no such job: what an outsider is told
    no_job = json.dumps(bot.slack.responses()[-1]).replace("6405", str(JOB_ID))
    fake.jobs[JOB_ID]["confidential"] = True
    mirror = bot.services.job_views.mirror
    clock.now += mirror.jobs_s
    assert mirror.jobs_once() and mirror.sync_once()  # the mirror reads the job confidential
    assert mirror.open_job(JOB_ID).confidential
    fake.calls.clear()
    text = view_text(bot, OUTSIDER)
    assert fake.calls == []  # answered from the mirror…
    assert text == no_job  # …exactly as a job that does not exist: nothing more
    add_to_team(fake, OUTSIDER_ID)
    clock.now += 1
    text = view_text(bot, OUTSIDER)  # asked again: the team is read now, and lets them in
    assert requests_made(fake) == team_reads(version)
    assert all(name in text for name in CANDIDATES)


def test_team_members_are_not_marked_and_read_nothing(mirrored):  # type: ignore[no-untyped-def]
    bot, fake, _clock, _version = mirrored
    for person in (HM, RECRUITER, HM):
        assert "Ada Lovelace" in view_text(bot, person)
    assert not set(requests_made(fake)) & {f"/jobs/{JOB_ID}", "/job_owners", "/job_hiring_managers"}
    assert list(bot.services.store.dump(TABLE)) == []


@pytest.mark.parametrize("seconds, words", [(0, "less than a minute ago"), (29, "less than a minute ago"),
                                            (60, "about 1 minute ago"), (305, "about 5 minutes ago")])
def test_the_builder_words_the_team_s_age(seconds, words, gh):  # type: ignore[no-untyped-def]
    job = job_from_v1(gh.jobs[JOB_ID])
    said = json.dumps(job_view_blocks(JobView(job=job, may_see_candidates=False, team_read_ago_s=seconds)).blocks)
    assert f"{SENTENCE} {words}." in said
    assert SENTENCE not in json.dumps(job_view_blocks(JobView(job=job, may_see_candidates=False)).blocks)


def test_the_mark_on_both_stores(store):  # type: ignore[no-untyped-def]
    clock = StepClock(START)
    asks = OutsiderAsks(store, clock=clock)
    assert asks.first(OUTSIDER, JOB_ID)  # refused once: answer from the mirror
    clock.now += ASK_AGAIN_S - 1
    assert not asks.first(OUTSIDER, JOB_ID)  # inside the window: read the team now
    assert not asks.first(OUTSIDER, JOB_ID)  # (asks inside it do not move it)
    assert asks.first(OTHER, JOB_ID) and asks.first(OUTSIDER, OTHER_JOB)
    clock.now += 1
    assert asks.sweep() == 1  # the first mark is past the window; the two others are not
    assert asks.first(OUTSIDER, JOB_ID)  # a first ask again
    store.put(TABLE, f"{OTHER}:{OTHER_JOB}", {"at": START})
    clock.now += 1
    assert asks.first(OTHER, OTHER_JOB)  # an old mark no sweep took yet is overwritten in place
    assert dict(store.dump(TABLE))[f"{OTHER}:{OTHER_JOB}"] == {"at": clock.now}
