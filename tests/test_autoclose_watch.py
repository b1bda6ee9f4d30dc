from __future__ import annotations

from tests.autoclose_support import notices
from tests.conftest import ADMIN, HM, JOB_ID, OUTSIDER, RECRUITER, STRANGER
from tests.fakes.greenhouse import close_job
from tests.test_job_view import ack_text


def watches(bot) -> dict:
    return dict(bot.services.store.items("watches"))


def test_hiring_manager_watches_then_channel_hears_of_the_closing(bot, slack, gh):
    resp = bot.command(f"watch {JOB_ID}", user=HM, channel="CTEAM")
    assert ack_text(resp) == f"Setting up a watch on job {JOB_ID}…"
    assert "This channel will be told when *Archaeologist (6404)* closes." in bot.replies_text()
    assert list(watches(bot)) == [f"{JOB_ID}:CTEAM"]

    close_job(gh, JOB_ID)
    bot.services.autoclose.announce_if_closed(JOB_ID)
    assert "CTEAM" in [p["channel"] for p in notices(slack)]


def test_watch_by_requisition_id_and_twice_is_harmless(bot, gh):
    bot.command("watch abc123", user=RECRUITER, channel="CTEAM")
    bot.command(f"watch {JOB_ID}", user=HM, channel="CTEAM")
    assert list(watches(bot)) == [f"{JOB_ID}:CTEAM"]
    assert "already watches" in bot.replies_text()


def test_watch_alone_lists_this_channels_watches_only(bot, gh):
    gh.add_job(7001, "Tomb <b>Raider</b>", team={"hiring_managers": [101]})
    bot.command(f"watch {JOB_ID}", user=HM, channel="CTEAM")
    bot.command("watch 7001", user=HM, channel="CTEAM")
    bot.command(f"watch {JOB_ID}", user=HM, channel="COTHER")
    bot.slack.reset()
    resp = bot.command("watch", user=OUTSIDER, channel="CTEAM")  # listing is open to the channel
    assert ack_text(resp) == "Listing the jobs this channel watches…"
    text = bot.replies_text()
    assert "Archaeologist (6404)" in text and "Tomb &lt;b&gt;Raider&lt;/b&gt; (7001)" in text
    bot.slack.reset()
    bot.command("watch", user=HM, channel="CEMPTY")
    assert "This channel watches no jobs" in bot.replies_text()


def test_unwatch_stops_the_notices(bot, slack, gh):
    bot.command(f"watch {JOB_ID}", user=HM, channel="CTEAM")
    bot.command(f"unwatch {JOB_ID}", user=RECRUITER, channel="CTEAM")
    assert watches(bot) == {}
    assert "no longer watches *Archaeologist (6404)*" in bot.replies_text()
    close_job(gh, JOB_ID)
    bot.services.autoclose.announce_if_closed(JOB_ID)
    assert "CTEAM" not in [p["channel"] for p in notices(slack)]


def test_outsider_may_not_watch_or_unwatch(bot, gh):
    bot.command(f"watch {JOB_ID}", user=OUTSIDER, channel="CTEAM")
    assert watches(bot) == {}
    assert "that you can watch: either Greenhouse has none" in bot.replies_text()
    bot.command(f"watch {JOB_ID}", user=HM, channel="CTEAM")
    bot.command(f"unwatch {JOB_ID}", user=OUTSIDER, channel="CTEAM")
    assert list(watches(bot)) == [f"{JOB_ID}:CTEAM"]
    assert "that you can unwatch: either Greenhouse has none" in bot.replies_text()


def test_outsider_refusal_does_not_reveal_a_confidential_job(bot, gh):
    gh.jobs[JOB_ID]["confidential"] = True
    bot.command(f"watch {JOB_ID}", user=OUTSIDER, channel="CTEAM")
    assert "Archaeologist" not in bot.replies_text()
    assert watches(bot) == {}


def test_unmapped_user_is_told_what_to_ask_for(bot, gh):
    bot.command(f"watch {JOB_ID}", user=STRANGER, channel="CTEAM")
    assert watches(bot) == {}
    assert "No Greenhouse user has the email" in bot.replies_text()


def test_admin_may_watch_any_job(bot, gh):
    bot.command(f"watch {JOB_ID}", user=ADMIN, channel="CADMIN")
    assert list(watches(bot)) == [f"{JOB_ID}:CADMIN"]


def test_bad_input_is_refused_at_ack_without_greenhouse_calls(bot, gh):
    assert "Give one job ID" in ack_text(bot.command("watch 1 2", user=HM))
    assert "Tell me which job" in ack_text(bot.command("unwatch", user=HM))
    assert gh.calls == []
