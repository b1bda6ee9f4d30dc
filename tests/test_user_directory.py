"""The Greenhouse user directory in the store: a person's first command costs no Harvest
request once it is loaded, it is refreshed with only what changed and at most once per
interval across processes sharing the store, and disabled users still lose access."""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx

from tests.conftest import COORDINATOR, HM, HM_ID, JOB_ID, OUTSIDER, RECRUITER, RECRUITER_ID, STRANGER, Bot, seed_world
from tests.fakes.clock import StepClock
from tests.fakes.greenhouse import FakeGreenhouse
from tests.test_job_view_v3 import V3_SETTINGS
from tests.fakes.greenhouse_v3 import FakeGreenhouseV3

PEOPLE = 20


def add_people(gh: FakeGreenhouse, slack: Any, count: int = PEOPLE) -> list[str]:
    """`count` more Slack users, each with a Greenhouse user of the same email."""
    slack_ids = []
    for n in range(count):
        gh.add_user(5000 + n, f"Person {n}", f"person{n}@acme.test")
        slack.users[f"UP{n}"] = {"email": f"person{n}@acme.test"}
        slack_ids.append(f"UP{n}")
    return slack_ids


def lookups_by_email(gh: FakeGreenhouse) -> list[Any]:
    return [c for c in gh.reads("/users") if "email" in c.params or "primary_email" in c.params]


def user_calls(gh: FakeGreenhouse) -> list[Any]:
    return [c for c in gh.calls if c.path.startswith(("/users", "/user_emails"))]


def last_reply(slack: Any) -> str:
    return json.dumps(slack.responses()[-1])


@pytest.fixture
def v3_gh() -> Any:
    gh = FakeGreenhouse()
    seed_world(gh)
    with respx.mock(assert_all_called=False) as router:
        FakeGreenhouseV3(gh).mount(router).add_reader()
        yield gh


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_first_commands_cost_no_request_per_person(tmp_path, slack, gh, v3_gh, version):
    fake = gh if version == "v1" else v3_gh
    people = add_people(fake, slack)
    bot = Bot.build(tmp_path, slack, fake, **(V3_SETTINGS if version == "v3" else {}))
    fake.calls.clear()

    for person in people:
        bot.command("whoami", user=person)
        assert "Person" in last_reply(slack)

    # One directory read for everyone (v1: /users; v3: /users and /user_emails), in pages of 500,
    # instead of one `users?email=` look-up per person (20 before the directory).
    assert lookups_by_email(fake) == []
    reads = user_calls(fake)
    assert [c.path for c in reads] == (["/users"] if version == "v1" else ["/users", "/user_emails"])
    assert all(c.params.get("per_page") == "500" for c in reads)
    stored = bot.services.store.get("mappings", people[3])
    assert stored["greenhouse_user_id"] == 5003 and stored["how"] == "email"


def test_a_person_the_directory_does_not_know_yet_gets_one_look_up(tmp_path, slack, gh):
    bot = Bot.build(tmp_path, slack, gh)
    bot.command("whoami", user=HM)  # loads the directory
    gh.add_user(777, "New Hire", "new.hire@acme.test")
    slack.users["UNEW"] = {"email": "new.hire@acme.test"}
    gh.calls.clear()

    bot.command("whoami", user="UNEW")
    assert "New Hire" in last_reply(slack)
    assert [c.params for c in gh.reads("/users")] == [{"email": "new.hire@acme.test"}]

    bot.services.store.delete("mappings", "UNEW")  # mapped again: remembered, no new look-up
    bot.command("whoami", user="UNEW")
    assert "New Hire" in last_reply(slack) and len(gh.reads("/users")) == 1

    bot.command("whoami", user=STRANGER)  # nobody in Greenhouse: still told, after one look-up
    assert "No Greenhouse user has the email nobody@elsewhere.test" in last_reply(slack)


def test_secondary_address_found_in_the_directory(tmp_path, slack, gh):
    gh.users[HM_ID]["emails"].append("hannah.m@personal.test")
    slack.users[HM]["email"] = "hannah.m@personal.test"
    bot = Bot.build(tmp_path, slack, gh)
    bot.command("whoami", user=HM)
    assert "Hannah Manager" in last_reply(slack) and lookups_by_email(gh) == []


def test_refresh_is_incremental_and_shared_by_processes(tmp_path, slack, gh):
    clock = StepClock()
    # Two bots on one store file: the Procfile's two workers (or two replicas).
    first = Bot.build(tmp_path, slack, gh, bot_directory_refresh_s=300)
    second = Bot.build(tmp_path, slack, gh, bot_directory_refresh_s=300)
    for b in (first, second):
        b.services.identity.users._clock = clock
    for n, person in enumerate((HM, RECRUITER, COORDINATOR, OUTSIDER)):
        (first, second)[n % 2].command("whoami", user=person)
    assert len(gh.reads("/users")) == 1  # one load for both processes

    clock.now += 299  # within the interval: no process reads again
    first.services.store.delete("mappings", HM)
    second.command("whoami", user=HM)
    assert len(gh.reads("/users")) == 1

    clock.now += 2  # the interval has passed: one of them reads what changed since the last read
    first.services.store.delete("mappings", HM)
    first.command("whoami", user=HM)
    second.services.store.delete("mappings", HM)
    second.command("whoami", user=HM)
    refreshes = gh.reads("/users")
    assert len(refreshes) == 2
    assert refreshes[1].params["updated_after"] == "2027-01-15T07:59:00Z"  # the first read's start, minus 60 s


def test_user_disabled_in_greenhouse_loses_access_through_the_directory(tmp_path, slack, gh):
    clock = StepClock()
    bot = Bot.build(tmp_path, slack, gh, bot_directory_refresh_s=300, bot_identity_ttl_s=600)
    bot.services.identity.users._clock = clock
    bot.services.identity._clock = clock
    bot.command(f"job {JOB_ID}", user=HM)
    assert "Ada Lovelace" in json.dumps(slack.responses())

    gh.users[HM_ID].update(disabled=True, updated_at="2027-01-15T08:05:00Z")
    clock.now += 601  # the mapping is due for a check; the directory for a refresh
    gh.calls.clear()
    bot.command(f"job {JOB_ID}", user=HM)

    assert "is disabled" in last_reply(slack)
    # Noticed by the incremental directory read, not by a read of this one user.
    assert [c.path for c in gh.reads("/users")] == ["/users"]
    assert gh.reads("/candidates") == []


def test_recheck_reads_the_user_when_the_directory_is_not_refreshing(tmp_path, slack, gh):
    clock = StepClock()
    bot = Bot.build(tmp_path, slack, gh, bot_directory_refresh_s=300, bot_identity_ttl_s=600)
    bot.services.identity.users._clock = clock
    bot.services.identity._clock = clock
    bot.command("whoami", user=RECRUITER)
    gh.users[RECRUITER_ID]["disabled"] = True
    gh.fail("GET", "/users", 500, times=10)  # every directory refresh fails from now on
    clock.now += 601
    bot.command("whoami", user=RECRUITER)
    bot.command(f"job {JOB_ID}", user=RECRUITER)
    assert "is disabled" in last_reply(slack)
    assert any(c.path == f"/users/{RECRUITER_ID}" for c in gh.reads("/users/"))
