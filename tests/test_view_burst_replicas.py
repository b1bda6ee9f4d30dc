"""18 people open the same 1,200-candidate job at the same moment, their commands spread over
three bots on ONE store (as three replicas, or the Procfile's workers): the job is read once
for all of them, not once per bot (issue 17 item 2, across replicas). Counted in Harvest
requests through the running bots, on Harvest v1 and v3, with the view reuse window as
configured by default (BOT_VIEW_CACHE_S, 30 s): without sharing, each bot reads the job once
and reuses it; with it, one read serves every bot."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from tests.conftest import HM, JOB_ID, RECRUITER, Bot, approved_reject
from tests.test_job_view_v3 import V3_SETTINGS
from tests.test_user_directory import v3_gh  # noqa: F401 - the v3 fixture
from tests.test_view_burst import crowd, slow_harvest

BOTS = 3


def bots_on_one_store(tmp_path: Any, slack: Any, fake: Any, version: str, **overrides: Any) -> list[Bot]:
    settings = {**(V3_SETTINGS if version == "v3" else {}), **overrides}
    bots = [Bot.build(tmp_path, slack, fake, **settings) for _ in range(BOTS)]  # one SQLite file
    for bot in bots:
        slow_harvest(bot, 0.15)  # so that the 18 commands really overlap
    return bots


def spread_at_once(bots: list[Bot], people: list[str], text: str) -> None:
    start = threading.Barrier(len(people))

    def ask(i: int, person: str) -> None:
        bot = bots[i % len(bots)]
        mine = Bot.__new__(Bot)
        mine.__dict__.update(bot.__dict__)
        mine.web = bot.web.application.test_client()  # one client per thread, like separate connections
        start.wait()
        mine.command(text, user=person)

    threads = [threading.Thread(target=ask, args=(i, p)) for i, p in enumerate(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)


def one_view_alone(tmp_path: Any, slack: Any, fake: Any, version: str, person: str) -> int:
    alone = Bot.build(tmp_path / "alone", slack, fake, **(V3_SETTINGS if version == "v3" else {}))
    alone.command("whoami", user=person)
    fake.calls.clear()
    alone.command(f"job {JOB_ID}", user=person)
    return len(fake.calls)


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_18_views_over_three_bots_on_one_store_read_the_job_once(tmp_path, slack, gh, v3_gh, version):  # noqa: F811
    fake = gh if version == "v1" else v3_gh
    people = crowd(fake, slack)
    one_view = one_view_alone(tmp_path, slack, fake, version, people[0])
    bots = bots_on_one_store(tmp_path, slack, fake, version)
    for bot in bots:
        bot.command("whoami", user=people[0])  # each bot's directory and mapping ready before the burst
    fake.calls.clear()

    spread_at_once(bots, people, f"job {JOB_ID}")

    answered = [r for r in slack.responses() if "Crowd Person" in json.dumps(r)]
    assert len(answered) >= len(people)  # everyone got the view, with its candidates
    # Per bot alone it would be 3 reads (one per bot); shared through the store it is one.
    assert len(fake.calls) <= one_view, "\n".join(f"{c.path} {c.params}" for c in fake.calls)


@pytest.mark.parametrize("version", ["v1"])
def test_without_shared_reads_each_bot_reads(tmp_path, slack, gh, version):  # the measure's other side
    people = crowd(gh, slack)
    one_view = one_view_alone(tmp_path, slack, gh, version, people[0])
    alone_names = sum(1 for c in gh.calls if c.path == "/candidates")  # of that one view
    # Nothing shared: not the job's read, nor its stage order (which the store keeps for every
    # bot regardless of BOT_SHARED_READS: docs/decisions/0013-shared-stage-order.md).
    bots = bots_on_one_store(tmp_path, slack, gh, version, bot_shared_reads=False, bot_stage_order_ttl_s=0)
    for bot in bots:
        bot.command("whoami", user=people[0])
    gh.calls.clear()
    spread_at_once(bots, people, f"job {JOB_ID}")
    # Every bot (process) read the job for itself. Not counted: the page's names, which the
    # store's name cache shares whatever BOT_SHARED_READS says (bot/workflows/candidate_names.py):
    # a bot whose view comes after another's names read rightly skips its own.
    names = sum(1 for c in gh.calls if c.path == "/candidates")
    assert names >= 1 and len(gh.calls) - names >= BOTS * (one_view - alone_names)


def test_a_write_by_another_bot_makes_the_next_view_read_the_job_again(tmp_path, slack, gh):
    """Within the reuse window, a view answers from the shared read; once a request on
    ANOTHER bot has rejected a candidate of the job, the next view reads Greenhouse again
    and no longer shows them."""
    viewer, other = (Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS") for _ in range(2))
    viewer.command(f"job {JOB_ID}", user=HM)
    gh.calls.clear()
    other.command(f"job {JOB_ID}", user=HM)
    assert gh.calls == []  # the shared read answered
    assert approved_reject(other, 11).state == "done"
    gh.calls.clear()
    viewer.command(f"job {JOB_ID}", user=HM)
    assert any(c.path == f"/jobs/{JOB_ID}" for c in gh.calls)  # read again, not reused
    assert "Ada Lovelace" not in json.dumps(slack.responses()[-1])
    assert "Grace Hopper" in json.dumps(slack.responses()[-1])
