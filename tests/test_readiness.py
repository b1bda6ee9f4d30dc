"""Start-up checks and GET /readyz: outages retried and shown, never fatal; a refused key,
a missing permission or a missing Slack scope named (bot/readiness.py)."""

from __future__ import annotations

import logging
import shutil
import threading

import httpx
import pytest

from tests.conftest import HM, JOB_ID


def ready(bot):
    resp = bot.web.get("/readyz")
    return resp.status_code, resp.get_json()


def test_ready_when_store_harvest_and_slack_pass(bot, slack, gh):
    assert ready(bot)[0] == 503  # nothing checked yet
    assert bot.services.readiness.run_once() is True
    status, body = ready(bot)
    assert status == 200 and body["ready"] is True
    assert body["store"]["ok"] and body["harvest"]["ok"] and body["slack"]["ok"]
    assert [m for m, _ in slack.calls].count("auth.test") == 1
    assert [c.path for c in gh.calls] == ["/close_reasons"]  # one cheap call each


def test_an_outage_at_start_is_retried_with_backoff_and_shown_meanwhile(bot, slack, gh, caplog):
    slack.fail["auth.test"] = (503, {})
    gh.fail("GET", "/close_reasons", httpx.ConnectError("down"), times=100)
    checks = bot.services.readiness
    assert checks.run_once() is False and checks.run_once() is False
    status, body = ready(bot)
    assert status == 503
    assert "unreachable" in body["harvest"]["detail"] and body["harvest"]["retries"] == 1
    assert "retrying" in body["slack"]["detail"]
    # The service keeps answering meanwhile.
    assert bot.web.get("/healthz").status_code == 200
    bot.command(f"job {JOB_ID}", user=HM)
    # Both come back: the next round passes, and nothing is checked again after that.
    slack.fail.clear()
    gh.faults.clear()
    assert checks.run_once() is True
    assert ready(bot)[0] == 200


def test_the_background_loop_backs_off_and_stops_when_told(bot, slack, gh):
    slack.fail["auth.test"] = (503, {})
    checks = bot.services.readiness
    waits = []
    stop = threading.Event()
    real_wait = stop.wait

    def wait(seconds):
        waits.append(seconds)
        if len(waits) == 5:
            stop.set()
        return real_wait(0)

    stop.wait = wait  # type: ignore[method-assign]
    checks.run(stop)
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0]


@pytest.mark.parametrize(("status", "words"), [
    (401, "refused the bot's credentials (401)"),
    (403, "lacks a permission the bot needs (403"),
])
def test_a_refused_harvest_key_or_missing_permission_is_named(bot, gh, caplog, status, words):
    gh.fail("GET", "/close_reasons", status, {"message": "Invalid Basic Auth credentials"}, times=100)
    caplog.set_level(logging.ERROR, logger="bot.readiness")
    bot.services.readiness.run_once()
    bot.services.readiness.run_once()
    _, body = ready(bot)
    assert words in body["harvest"]["detail"]
    logged = [r.getMessage() for r in caplog.records if "startup_check_failed" in r.getMessage()]
    assert len(logged) == 1 and words in logged[0]  # said once, not at every retry


def test_a_refused_slack_token_is_named(bot, slack):
    slack.fail["auth.test"] = "invalid_auth"
    bot.services.readiness.run_once()
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in ready(bot)[1]["slack"]["detail"]


def test_a_missing_email_scope_is_the_apps_configuration_not_the_users(bot, slack, caplog):
    slack.scopes.remove("users:read.email")
    for user in slack.users.values():
        user.pop("email", None)  # what Slack does without the scope: profiles come without email
    caplog.set_level(logging.ERROR, logger="bot.readiness")
    bot.services.readiness.run_once()
    status, body = ready(bot)
    assert status == 503 and "users:read.email" in body["slack"]["detail"]
    assert any("users:read.email" in r.getMessage() for r in caplog.records)
    bot.command(f"job {JOB_ID}", user=HM)
    told = bot.replies_text()
    assert "users:read.email" in told and "not your profile" in told
    assert "doesn't show me an email address for you" not in told


def test_readyz_notices_a_deleted_data_folder(tmp_path, slack, gh):
    from tests.conftest import Bot

    data = tmp_path / "data"
    data.mkdir()
    bot = Bot.build(tmp_path, slack, gh, bot_db_path=str(data / "bot.sqlite"))
    bot.services.readiness.run_once()
    assert ready(bot)[0] == 200
    shutil.rmtree(data)
    status, body = ready(bot)
    assert status == 503 and body["store"]["ok"] is False
    assert bot.web.get("/healthz").status_code == 503


def test_slack_unreachable_at_start_does_not_stop_the_worker(tmp_path, slack, gh, monkeypatch):
    """runtime.start with an approvals channel set and Slack down: it starts, and says so."""
    from bot import runtime
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, slack, bot_approvals_channel="CAPPROVALS",
                             slack_api_url="http://127.0.0.1:9/api/", bot_poll_interval_s=0)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    running = runtime.start("http", settings)
    root.handlers[:], root.level = saved
    try:
        resp = running.web.test_client().get("/readyz")
        assert resp.status_code == 503
        assert running.web.test_client().get("/healthz").status_code == 200
    finally:
        running.stop.set()
