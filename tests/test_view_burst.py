"""18 people open the same 1,200-candidate job at the same moment (a link dropped in a busy
channel): they share one read. Counted in Harvest requests through the running bot, with a
Harvest that takes 150 ms per answer so that the 18 commands really overlap."""

from __future__ import annotations

import copy
import json
import threading
import time
from typing import Any

import pytest

from tests.conftest import JOB_ID, Bot
from tests.test_user_directory import v3_gh  # noqa: F401 - the v3 fixture
from tests.test_job_view_v3 import V3_SETTINGS

PEOPLE = 18
CANDIDATES = 1200


def crowd(gh: Any, slack: Any) -> list[str]:
    """18 hiring managers of the job, each a Slack user, and 1,200 active candidates."""
    people = []
    for n in range(PEOPLE):
        gh.add_user(7000 + n, f"Manager {n}", f"manager{n}@acme.test")
        slack.users[f"UM{n}"] = {"email": f"manager{n}@acme.test"}
        people.append(f"UM{n}")
    team = gh.jobs[JOB_ID]["hiring_team"]["hiring_managers"]
    team += [{"id": 7000 + n, "first_name": "Manager", "last_name": str(n), "name": f"Manager {n}",
              "employee_id": None} for n in range(PEOPLE)]
    for i in range(CANDIDATES):
        gh.add_candidate(20_000 + i, f"Crowd Person{i}", [gh.application(200_000 + i, JOB_ID, stage="Review")])
    return people


def slow_harvest(bot: Bot, seconds: float) -> None:
    http = bot.services.harvest.t.http
    send = http.request

    def slowly(*args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        return send(*args, **kwargs)

    http.request = slowly  # type: ignore[method-assign]


def all_at_once(bot: Bot, people: list[str], text: str) -> None:
    start = threading.Barrier(len(people))

    def ask(person: str) -> None:
        mine = copy.copy(bot)
        mine.web = bot.web.application.test_client()  # one client per thread, like separate connections
        start.wait()
        mine.command(text, user=person)

    threads = [threading.Thread(target=ask, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_18_simultaneous_views_cost_at_most_two_views(tmp_path, slack, gh, v3_gh, version):  # noqa: F811
    fake = gh if version == "v1" else v3_gh
    people = crowd(fake, slack)
    bot = Bot.build(tmp_path, slack, fake, **(V3_SETTINGS if version == "v3" else {}))
    bot.command("whoami", user=people[0])  # the user directory is loaded once, before the burst
    slow_harvest(bot, 0.15)

    # What one view alone costs, measured on a second bot (its own caches) over the same data.
    alone = Bot.build(tmp_path / "alone", slack, fake, **(V3_SETTINGS if version == "v3" else {}))
    alone.command("whoami", user=people[0])
    fake.calls.clear()
    alone.command(f"job {JOB_ID}", user=people[0])
    one_view = len(fake.calls)
    assert one_view >= 4  # v1: the job + 3 pages of candidates

    fake.calls.clear()
    all_at_once(bot, people, f"job {JOB_ID}")

    answered = [r for r in slack.responses() if "Crowd Person" in json.dumps(r)]
    assert len(answered) >= PEOPLE  # everyone got the view
    # Without sharing: 18 × one view (72 on v1). With it: one view when all 18 overlap; a
    # command that starts late on a busy machine may miss the job read in flight (not the
    # candidate walk), so the bound is the issue's: at most about two views.
    assert len(fake.calls) <= 2 * one_view, [c.path for c in fake.calls]
