"""Every open job's stage order read ahead with the Harvest mirror's read of the jobs, where
Harvest lists many jobs' stages in one request (v3: `job_interview_stages?job_ids=`, 50 jobs a
request), so that no view waits for one (bot/workflows/harvest_mirror.py `_read_stages_ahead`,
docs/decisions/0013-shared-stage-order.md). v1 reads one job's stages a request: nothing is
read ahead there. Requests counted through the running bot; one fake clock."""

from __future__ import annotations

from typing import Any

from tests.conftest import HM, JOB_ID
from tests.test_harvest_mirror import paths, ready, world  # noqa: F401 - the v1/v3 fixture
from tests.test_stage_order import stage_headings
from tests.test_user_directory import v3_gh  # noqa: F401 - the v3 fixture

PIPELINE_ORDER = ["Phone Screen", "Onsite"]  # the seeded job's plan; by name it would be Onsite first


def stage_reads(fake: Any) -> list[Any]:
    return [c for c in fake.calls if c.path == "/job_interview_stages" or c.path.endswith("/stages")]


def test_the_open_jobs_stage_orders_come_with_the_jobs_on_v3_in_one_request(world):  # noqa: F811
    bot, fake, clock, version = world
    bot.services.reference.order.clock = clock
    for extra in range(7001, 7061):  # 61 open jobs: two batches on v3
        fake.add_job(extra, f"Job {extra}", team={"recruiters": [102]}, openings=[fake.opening(extra * 10)])
    mirror = bot.services.job_views.mirror
    fake.calls.clear()
    ready(mirror)
    reads = stage_reads(fake)
    if version == "v1":
        assert reads == []  # one request a job: left to the views
    else:
        assert len(reads) == 2
        asked = [set(c.params["job_ids"].split(",")) for c in reads]
        assert [len(a) for a in asked] == [50, 11] and set.union(*asked) == {str(j) for j in fake.jobs
                                                                             if fake.jobs[j]["status"] == "open"}
        assert all(c.params["active"] == "true" for c in reads)
    fake.calls.clear()
    bot.command(f"job {JOB_ID}", user=HM)
    assert stage_headings(bot) == PIPELINE_ORDER
    assert len(stage_reads(fake)) == (1 if version == "v1" else 0), paths(fake)


def test_orders_read_ahead_are_read_again_only_when_half_their_ttl_is_gone(world):  # noqa: F811
    bot, fake, clock, version = world
    if version == "v1":
        return  # nothing is read ahead on v1 (the test above)
    order = bot.services.reference.order
    order.clock = clock
    mirror = bot.services.job_views.mirror
    ready(mirror)
    fake.calls.clear()
    clock.now += mirror.jobs_s
    assert mirror.jobs_once()
    assert stage_reads(fake) == []  # held fresh by the store: nothing read
    clock.now += order.ttl_s / 2
    assert mirror.jobs_once()
    assert len(stage_reads(fake)) == 1  # due again: every open job's, in one request
