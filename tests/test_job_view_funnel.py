"""Pipeline at a glance: the job view's funnel and its stale flags (issue 14, item 4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.conftest import HM, JOB_ID, Bot

STALE = ":hourglass_flowing_sand:"
FULL = "█" * 20


def at(day: str):  # a fixed wall clock for the view's "no activity for N days"
    return lambda: datetime.fromisoformat(f"{day}T09:00:00+00:00")


def sections(slack) -> list[str]:
    [reply] = slack.responses()
    return [(b.get("text") or {}).get("text") or json.dumps(b) for b in reply["blocks"]]


def test_funnel_counts_active_candidates_per_stage_in_the_jobs_stage_order(bot, slack, gh):
    # Interview plan order (not alphabetical): Phone Screen comes before Onsite.
    gh.add_candidate(5, "Kay Nine", [gh.application(51, JOB_ID, stage="Application Review")])
    bot.services.job_views.now = at("2026-11-02")
    bot.command(f"job {JOB_ID}", user=HM)
    texts = sections(slack)
    [funnel] = [t for t in texts if t.startswith("*Pipeline*")]
    assert funnel.split("\n")[1:] == [
        f"`{'█' * 10}{' ' * 10}` 1  Application Review",
        f"`{'█' * 10}{' ' * 10}` 1  Phone Screen",
        f"`{FULL}` 2  Onsite",
    ]
    # The funnel comes before the candidates, and the candidates follow the same order.
    first_candidates = next(i for i, t in enumerate(texts) if t.startswith("*Active candidates:*"))
    assert texts.index(funnel) < first_candidates
    # one section per candidate: the first of each stage on a page carries the stage's name
    groups = [t.split("\n")[0] for t in texts[first_candidates + 1:] if t.startswith("*")]
    assert groups == ["*Application Review*", "*Phone Screen*", "*Onsite*"]
    assert STALE not in json.dumps(texts)  # one day after the last activity: nobody is stale


def test_candidates_without_activity_for_14_days_are_flagged(bot, slack, gh):
    gh.find_application(11)["last_activity_at"] = "2026-11-10T12:00:00Z"  # Ada: 10 days before "now"
    # Grace and Alan: last activity 2026-11-01, 19 days before "now".
    bot.services.job_views.now = at("2026-11-20")
    bot.command(f"job {JOB_ID}", user=HM)
    lines = "\n".join(sections(slack)).split("\n")
    flagged = {line.split(" — ")[0] for line in lines if line.startswith("• ") and STALE in line}
    assert flagged == {"• <https://app.greenhouse.io/people/2?application_id=21|Grace Hopper>",
                       "• <https://app.greenhouse.io/people/3?application_id=31|Alan Turing>"}
    assert "2 candidates have had no activity for 14 days or more (marked below)." in json.dumps(slack.responses())


def test_exactly_14_days_is_stale_and_13_is_not(bot, slack, gh):
    bot.services.job_views.now = lambda: datetime(2026, 11, 14, 23, 59, tzinfo=UTC)  # 13 d 11 h 59 min
    bot.command(f"job {JOB_ID}", user=HM)
    assert STALE not in json.dumps(slack.responses())
    bot.services.job_views.now = lambda: datetime(2026, 11, 15, 12, 0, tzinfo=UTC)  # 14 days to the minute
    bot.services.job_views.reuse_s = 0
    bot.command(f"job {JOB_ID}", user=HM)
    assert json.dumps(slack.responses()[-1]).count("no activity for 14+ days") == 3


@pytest.mark.parametrize("settings_overrides", [{"bot_stale_days": 30}])
def test_bot_stale_days_setting_moves_the_threshold(bot, slack, gh, settings_overrides):
    bot.services.job_views.now = at("2026-11-20")  # 19 days: stale at 14, not at 30
    bot.command(f"job {JOB_ID}", user=HM)
    assert STALE not in json.dumps(slack.responses())
    gh.find_application(21)["last_activity_at"] = "2026-10-01T00:00:00Z"
    bot.services.job_views.reuse_s = 0
    bot.command(f"job {JOB_ID}", user=HM)
    assert "no activity for 30 days or more" in json.dumps(slack.responses()[-1])


def test_funnel_and_flags_cost_no_extra_harvest_request(tmp_path, slack, gh):
    bot = Bot.build(tmp_path, slack, gh)
    bot.services.job_views.now = at("2026-11-20")
    bot.command("job 999", user=HM)  # warms the caller's identity; not this job
    before = len(gh.calls)
    bot.command(f"job {JOB_ID}", user=HM)
    made = [(c.method, c.path) for c in gh.calls[before:]]
    # Only what the view reads anyway (tests/test_job_view.py pins that cost), each once:
    # the job, its stages, one page of active applications, one batch of names. Nothing
    # per candidate (no /candidates/{id}, /applications/{id}, activity feed) for the flags.
    view_reads = {f"/jobs/{JOB_ID}", f"/jobs/{JOB_ID}/stages", "/applications", "/candidates"}
    assert all(method == "GET" and path in view_reads for method, path in made), made
    assert len(made) == len(set(made)) <= len(view_reads)
    assert "*Pipeline*" in bot.replies_text() and STALE in bot.replies_text()


def test_stage_and_candidate_names_are_escaped_in_the_funnel(bot, slack, gh):
    gh.add_candidate(6, "<!channel> Mallory", [gh.application(61, JOB_ID, stage="<@U1> & <https://x|y>")])
    bot.services.job_views.now = at("2026-11-20")
    bot.command(f"job {JOB_ID}", user=HM)
    raw = json.dumps(slack.responses())
    assert "&lt;@U1&gt; &amp; &lt;https://x|y&gt;" in raw and "&lt;!channel&gt; Mallory" in raw
    assert "<@U1>" not in raw and "<!channel>" not in raw


def test_within_a_stage_most_recent_activity_first_then_application_id(bot, slack, gh):
    """The order needs no name (decision 0007: only the page shown is named): most recent
    activity first, so the stale ones (flagged) end their stage; equal times by application id;
    an unknown last activity last."""
    for cid, aid, day_ in ((5, 52, "2026-11-12"), (6, 62, "2026-11-19"), (7, 71, "2026-11-12"), (8, 81, None)):
        app = gh.application(aid, JOB_ID, stage="Onsite")
        app["last_activity_at"] = f"{day_}T12:00:00Z" if day_ else None
        gh.add_candidate(cid, f"Zed Person{cid}", [app])
    gh.find_application(21)["last_activity_at"] = "2026-11-18T12:00:00Z"  # Grace; Alan (31): 2026-11-01
    bot.services.job_views.now = at("2026-11-20")
    bot.command(f"job {JOB_ID}", user=HM)
    text = "\n".join(sections(slack))
    onsite = [int(x) for x in __import__("re").findall(r"application `(\d+)`", text.split("*Onsite*")[1])]
    assert onsite == [62, 21, 52, 71, 31, 81]
    assert text.index("Zed Person6") < text.index("Grace Hopper") < text.index("Alan Turing")
