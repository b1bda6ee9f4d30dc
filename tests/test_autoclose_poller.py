from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest

from bot.background import start_poller
from bot.poller import CURSOR_KEY, Poller
from tests.autoclose_support import WEBHOOK_SECRET, ago, deliver, job_updated, notices, sync_webhooks
from tests.conftest import JOB_ID, Bot
from tests.fakes.greenhouse import close_job, reopen_job
from tests.test_job_view_v3 import V3_SETTINGS
from tests.test_user_directory import v3_gh  # noqa: F401 - the v3 fixture


@pytest.fixture
def settings_overrides():
    return {"greenhouse_webhook_secret": WEBHOOK_SECRET}


def poller_for(bot) -> Poller:
    services = bot.services
    return Poller(services.store, services.harvest, services.autoclose.announce_listed)


def test_first_run_records_statuses_and_announces_nothing(bot, slack, gh):
    gh.add_job(7001, "Closed yesterday", status="closed")
    close_job(gh, 7001)  # closed moments ago, but before the bot started watching
    before = time.time()
    assert poller_for(bot).run_once() == []
    assert notices(slack) == []
    assert gh.reads("/jobs")[0].params["updated_after"] == "1970-01-01T00:00:00Z"  # every job, once
    assert bot.services.store.get("state", CURSOR_KEY) >= before


def test_closing_is_noticed_across_a_restart_from_the_stored_cursor(tmp_path, slack, gh):
    first = Bot.build(tmp_path, slack, gh)
    poller_for(first).run_once()
    cursor = first.services.store.get("state", CURSOR_KEY)
    first.services.store.close()

    close_job(gh, JOB_ID)
    gh.calls.clear()
    restarted = Bot.build(tmp_path, slack, gh)  # new Store and Services on the same db file
    assert poller_for(restarted).run_once() == [JOB_ID]

    [listing] = [c for c in gh.reads("/jobs") if c.path == "/jobs"]
    expected = datetime.fromtimestamp(cursor - 60, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert listing.params["updated_after"] == expected  # cursor minus the overlap
    # The listed job serves the announcement (v1's list embeds its openings and hiring team):
    # not read again.
    assert not gh.reads(f"/jobs/{JOB_ID}")
    assert len(notices(slack)) == 2
    # The next run sees the same job in the overlap and stays quiet.
    assert poller_for(restarted).run_once() == []
    assert len(notices(slack)) == 2


def test_unchanged_jobs_cost_one_listing_and_no_announcement(bot, slack, gh):
    poller = poller_for(bot)
    poller.run_once()
    gh.calls.clear()
    gh.jobs[JOB_ID]["updated_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")  # an edit, still open
    assert poller.run_once() == []
    assert [c.path for c in gh.reads()] == ["/jobs"]


def test_web_hook_and_poller_seeing_the_same_closing_announce_once(bot, slack, gh):
    sync_webhooks(bot)
    poller = poller_for(bot)
    poller.run_once()
    close_job(gh, JOB_ID)
    deliver(bot, job_updated(JOB_ID))
    assert poller.run_once() == [JOB_ID]  # the poller saw it too…
    assert len(notices(slack)) == 2  # …but the web hook had claimed it: one DM each, once
    assert len(list(bot.services.store.items("announced"))) == 1


def test_poller_first_then_web_hook_also_announces_once(bot, slack, gh):
    sync_webhooks(bot)
    poller = poller_for(bot)
    poller.run_once()
    close_job(gh, JOB_ID)
    poller.run_once()
    deliver(bot, job_updated(JOB_ID))
    assert len(notices(slack)) == 2


def test_reopened_and_closed_again_is_announced_again(bot, slack, gh):
    poller = poller_for(bot)
    poller.run_once()
    close_job(gh, JOB_ID, at=ago(2))
    poller.run_once()
    reopen_job(gh, JOB_ID, 4542441002)
    # Closed again before the poller ever saw it open: the new closed_at tells.
    close_job(gh, JOB_ID, at=ago(1))
    assert poller.run_once() == [JOB_ID]
    assert len(notices(slack)) == 4


def test_failed_announcement_is_retried_next_run(tmp_path, slack, v3_gh):  # noqa: F811
    # On v3 the listed job is bare: announcing it reads its openings and team, which fail here
    # (on v1 the listed job serves whole and the announcement reads no Harvest).
    gh = v3_gh
    bot = Bot.build(tmp_path, slack, gh, **V3_SETTINGS)
    poller = poller_for(bot)
    poller.run_once()
    cursor = bot.services.store.get("state", CURSOR_KEY)
    close_job(gh, JOB_ID)
    gh.fail("GET", "/openings", 500, {"message": "boom"}, times=10)
    poller.run_once()
    assert notices(slack) == []
    assert bot.services.store.get("state", CURSOR_KEY) == cursor  # not advanced past the failure
    gh.faults.clear()
    assert poller.run_once() == [JOB_ID]
    assert len(notices(slack)) == 2


def test_background_poller_is_off_at_zero_and_stops_on_its_event(tmp_path, slack, gh):
    off = Bot.build(tmp_path, slack, gh, bot_poll_interval_s=0)
    assert start_poller(off.services) == []

    on = Bot.build(tmp_path, slack, gh, bot_poll_interval_s=3600)
    stop = threading.Event()
    [thread] = start_poller(on.services, stop)
    assert thread.daemon and thread.is_alive()
    stop.set()
    thread.join(timeout=2)
    assert not thread.is_alive()


def test_pollers_in_two_processes_share_one_listing_per_interval(tmp_path, slack, gh):
    now = [1_800_000_000.0]
    clock = lambda: now[0]  # noqa: E731
    a, b = Bot.build(tmp_path, slack, gh), Bot.build(tmp_path, slack, gh)  # two Stores on one db file
    pa, pb = (Poller(bot.services.store, bot.services.harvest, lambda job: None, clock=clock, lease_s=240)
              for bot in (a, b))
    pa.run_once()
    pb.run_once()
    assert len([c for c in gh.reads() if c.path == "/jobs"]) == 1
    now[0] += 300  # the lease ran out: whichever comes next polls
    pb.run_once()
    pa.run_once()
    assert len([c for c in gh.reads() if c.path == "/jobs"]) == 2


def test_concurrent_announcers_in_two_processes_notify_once(tmp_path, slack, gh):
    bots = [Bot.build(tmp_path, slack, gh) for _ in range(2)]
    close_job(gh, JOB_ID)
    barrier = threading.Barrier(6)

    def race(bot):
        barrier.wait()
        bot.services.autoclose.announce_if_closed(JOB_ID)

    threads = [threading.Thread(target=race, args=(bots[i % 2],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(notices(slack)) == 2  # one DM each to the hiring manager and the recruiter
