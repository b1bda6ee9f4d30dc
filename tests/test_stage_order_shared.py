"""A job's stage order (what the view sorts by) is read once for every process and replica on
the store, not once per worker (issue 17; docs/decisions/0013-shared-stage-order.md). Two bots
on one store stand for two workers or replicas; Harvest requests counted through the running
bots, on v1 (`GET /jobs/{id}/stages`) and v3 (`GET /job_interview_stages?job_ids=`). A stage
move still reads the stages itself, with their ids; a failed read is never shared."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import housekeeping
from bot.workflows.stage_order import TABLE
from tests.autoclose_support import WEBHOOK_SECRET, deliver, sync_webhooks
from tests.conftest import COORDINATOR, HM, JOB_ID, RECRUITER, Bot
from tests.test_harvest_mirror import ready
from tests.test_requests_move import World, world  # noqa: F401 - the v1/v3 fixture
from tests.test_stage_order import headings, stage_headings
from tests.test_view_burst import slow_harvest
from tests.test_view_burst_replicas import spread_at_once

PIPELINE_ORDER = ["Phone Screen", "Onsite"]  # the seeded job's plan; by name it would be Onsite first
BY_NAME = sorted(PIPELINE_ORDER)
TTL_S = 1800  # BOT_STAGE_ORDER_TTL_S's default
T0 = 1_900_000_000.0  # a fixed wall clock (2030), never today's


def stage_reads(world: World) -> list[Any]:
    path = "/job_interview_stages" if world.v3 is not None else f"/jobs/{JOB_ID}/stages"
    return [c for c in world.gh.calls if c.method == "GET" and c.path == path]


def two_bots(world: World, **overrides: Any) -> tuple[Bot, Bot]:
    # No view reuse: each view walks the job itself, so the stage order is all that can be shared.
    settings = {"bot_view_cache_s": 0, **overrides}
    return world.bot(**settings), world.bot(**settings)


def on_clock(now: list[float], *bots: Bot) -> None:
    for bot in bots:
        bot.services.reference.order.clock = lambda: now[0]


@pytest.fixture(params=["sqlite", "postgres"])
def store_settings(request, tmp_path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {} if request.param == "sqlite" else {"database_url": request.getfixturevalue("pg_url")}


def test_the_second_process_views_the_job_without_reading_its_stages(world, slack, store_settings):  # noqa: F811
    a, b = two_bots(world, **store_settings)
    a.command(f"job {JOB_ID}", user=HM)
    assert len(stage_reads(world)) == 1
    assert stage_headings(a) == PIPELINE_ORDER
    world.gh.calls.clear()
    b.command(f"job {JOB_ID}", user=RECRUITER)
    assert stage_reads(world) == []  # the order a read, through the store
    assert any(c.path in (f"/jobs/{JOB_ID}", "/jobs") for c in world.gh.calls)  # the job itself was read
    assert stage_headings(b) == PIPELINE_ORDER
    assert "Ada Lovelace" in json.dumps(slack.responses()[-1])
    # What the store keeps: the names in order and when they were read, nothing else.
    [(key, entry)] = list(b.services.store.items(TABLE))
    assert key == str(JOB_ID) and set(entry) == {"names", "at"}
    assert entry["names"][:2] == ["Application Review", "Phone Screen"] and "Onsite" in entry["names"]


def test_without_sharing_each_process_reads_the_stages(world, slack):  # noqa: F811 - the measure's other side
    a, b = two_bots(world, bot_stage_order_ttl_s=0)
    a.command(f"job {JOB_ID}", user=HM)
    b.command(f"job {JOB_ID}", user=RECRUITER)
    assert len(stage_reads(world)) == 2
    assert stage_headings(b) == PIPELINE_ORDER


def test_past_its_ttl_the_order_is_read_again_once(world, slack):  # noqa: F811
    a, b = two_bots(world)
    now = [T0]
    on_clock(now, a, b)
    a.command(f"job {JOB_ID}", user=HM)
    world.gh.calls.clear()
    now[0] = T0 + TTL_S - 1
    b.command(f"job {JOB_ID}", user=RECRUITER)
    assert stage_reads(world) == []  # still within the TTL
    now[0] = T0 + TTL_S + 1
    b.command(f"job {JOB_ID}", user=RECRUITER)
    assert len(stage_reads(world)) == 1  # expired: read again, and shared again
    assert stage_headings(b) == PIPELINE_ORDER
    assert b.services.store.get(TABLE, str(JOB_ID))["at"] == T0 + TTL_S + 1
    c = world.bot(bot_view_cache_s=0)  # a third process, after the re-read
    on_clock(now, c)
    c.command(f"job {JOB_ID}", user=HM)
    assert len(stage_reads(world)) == 1


def test_a_move_reads_the_stages_itself_and_refreshes_the_shared_order(world, slack):  # noqa: F811
    a, b = two_bots(world)
    a.command(f"job {JOB_ID}", user=HM)
    # The plan changes in Greenhouse after a's read: a new stage before Onsite.
    onsite = world.gh.stage(JOB_ID, "Onsite")["priority"]
    for later in world.gh.stages[JOB_ID]:
        later["priority"] += 1 if later["priority"] >= onsite else 0
    take_home = world.gh.stage(JOB_ID, "Take Home")
    take_home["priority"] = onsite
    world.gh.calls.clear()
    b.command("move 11 take home", user=HM)
    assert len(stage_reads(world)) == 1  # the move's own read, with ids: not the shared names
    [draft] = [r for r in b.services.requests.all() if r.state == "draft"]
    assert (draft.to_stage_name, draft.to_stage_id) == ("Take Home", take_home["id"])
    b.click("draft_submit", draft.id, HM)
    b.click("request_approve", draft.id, RECRUITER)
    assert world.stage_of(11) == "Take Home"
    # The move's read is the newest order: every process's next view sorts by it.
    assert "Take Home" in b.services.store.get(TABLE, str(JOB_ID))["names"]
    world.gh.calls.clear()
    a.services.reference.cache.clear()  # a's own copy aged out (BOT_CACHE_TTL_S)
    a.command(f"job {JOB_ID}", user=HM)
    assert stage_reads(world) == []
    assert stage_headings(a) == ["Take Home", "Onsite"]


def test_a_failed_read_orders_by_name_and_is_not_shared(world, slack):  # noqa: F811
    a, b = two_bots(world)
    path = "/job_interview_stages" if world.v3 is not None else f"/jobs/{JOB_ID}/stages"
    world.gh.fail("GET", path, 403, {"message": "You do not have access to that record"}, times=5)
    a.command(f"job {JOB_ID}", user=HM)
    assert stage_headings(a) == BY_NAME  # the view still answers
    assert a.services.store.get(TABLE, str(JOB_ID)) is None
    world.gh.faults.clear()
    world.gh.calls.clear()
    b.command(f"job {JOB_ID}", user=RECRUITER)
    assert len(stage_reads(world)) == 1
    assert stage_headings(b) == PIPELINE_ORDER


def test_a_deleted_stage_web_hook_makes_every_process_read_the_order_again(tmp_path, slack, gh):
    a, b = (sync_webhooks(Bot.build(tmp_path, slack, gh, bot_view_cache_s=0,
                                    greenhouse_webhook_secret=WEBHOOK_SECRET)) for _ in range(2))
    a.command(f"job {JOB_ID}", user=HM)
    deleted = gh.stage(JOB_ID, "Reference Check")
    deleted["active"] = False
    # Greenhouse's documented payload: the deleted stage, naming its job.
    answer = deliver(b, {"action": "job_interview_stage_deleted", "payload": {"job_interview_stage": {
        "id": deleted["id"], "job_id": JOB_ID, "name": "Reference Check", "active": True}}})
    assert answer.status_code == 200
    assert b.services.store.get(TABLE, str(JOB_ID)) is None
    gh.calls.clear()
    b.command(f"job {JOB_ID}", user=RECRUITER)
    assert len(gh.reads(f"/jobs/{JOB_ID}/stages")) == 1
    assert "Reference Check" not in b.services.store.get(TABLE, str(JOB_ID))["names"]


def test_housekeeping_deletes_orders_past_their_ttl(tmp_path, slack, gh):
    bot = Bot.build(tmp_path, slack, gh)
    now = [T0]
    on_clock(now, bot)
    bot.command(f"job {JOB_ID}", user=HM)
    housekeeping.run_once(bot.services)
    assert [k for k, _ in bot.services.store.items(TABLE)] == [str(JOB_ID)]
    now[0] = T0 + TTL_S
    housekeeping.run_once(bot.services)
    assert list(bot.services.store.items(TABLE)) == []


def test_views_from_the_mirror_on_three_bots_at_once_read_the_stages_once(tmp_path, slack, gh):
    """A view answered from the Harvest mirror (docs/decisions/0012-harvest-mirror.md) reads no
    job, so no shared walk holds the stage read back: bots missing the same job's order at the
    same moment wait for one read (bot/store/flight.py) instead of each reading it."""
    bots = [Bot.build(tmp_path, slack, gh) for _ in range(3)]  # one SQLite file
    people = [HM, RECRUITER, COORDINATOR]
    for person in people:
        bots[0].command("whoami", user=person)
    for bot in bots:
        bot.command("whoami", user=HM)  # each bot's directory and mapping ready
    ready(bots[0].services.job_views.mirror)  # every open job and active application in the store
    for bot in bots:
        slow_harvest(bot, 0.15)  # so that the first views overlap
    gh.calls.clear()
    answers = len(slack.responses())
    spread_at_once(bots, people * 2, f"job {JOB_ID}")
    assert len(gh.reads(f"/jobs/{JOB_ID}/stages")) == 1, [c.path for c in gh.calls]
    assert not {c.path for c in gh.calls} & {f"/jobs/{JOB_ID}", "/applications"}  # the mirror answered
    views = slack.responses()[answers:]
    assert len(views) == 6 and all(headings(v) == PIPELINE_ORDER for v in views)
