"""A whole scenario with logging at DEBUG, configured as production configures it
(bot/logs.py): no email address, token, API key or candidate name in the log."""

from __future__ import annotations

import base64
import io
import logging
import re

import pytest

from bot import logs as bot_logs
from tests.autoclose_support import WEBHOOK_SECRET, deliver, hire_candidate, job_updated, sync_webhooks
from tests.conftest import BOT_TOKEN, GH_KEY, HM, JOB_ID, OUTSIDER, RECRUITER, SIGNING_SECRET
from tests.fakes.greenhouse import close_job
from tests.test_hostile import production_bot

CANDIDATES = ("Ada Lovelace", "Lovelace", "Grace Hopper", "Hopper", "Alan Turing", "Turing")
EMAIL = re.compile(r"[A-Za-z0-9._+\-]+(@|%40)[A-Za-z0-9\-]+\.[A-Za-z0-9.\-]+")


@pytest.fixture
def debug_log():
    """logs.configure("DEBUG"), its handler writing into a buffer; everything restored after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level,
             {n: logging.getLogger(n).level for n in bot_logs.QUIET_LOGGERS})
    bot_logs.configure("DEBUG")
    buffer = io.StringIO()
    root.handlers[0].setStream(buffer)
    yield buffer
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def test_a_whole_scenario_at_debug_logs_no_email_token_key_or_candidate_name(tmp_path, slack, gh, debug_log):
    gh.candidates[1]["email_addresses"] = [{"value": "ada.lovelace@candidates.test", "type": "personal"}]
    bot = sync_webhooks(production_bot(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS",
                                       greenhouse_webhook_secret=WEBHOOK_SECRET))
    # view, close + approve (with an outsider's refused click first), reject + approve, web hooks
    bot.command(f"job {JOB_ID}", user=HM)
    bot.command(f"close {JOB_ID} on hold", user=HM)
    close = next(r for r in bot.services.requests.all() if r.state == "requested")
    bot.click("request_approve", close.id, OUTSIDER)
    bot.click("request_approve", close.id, RECRUITER)
    bot.command("reject 21 accepted another offer", user=HM)
    draft = next(r for r in bot.services.requests.all() if r.state == "draft")
    bot.click("draft_submit", draft.id, HM)
    bot.click("request_deny", draft.id, RECRUITER)
    bot.command("reject 11 missing resume", user=HM)
    other = next(r for r in bot.services.requests.all() if r.state == "draft")
    bot.click("draft_submit", other.id, HM)
    bot.click("request_approve", other.id, RECRUITER)
    close_job(gh, JOB_ID)
    assert deliver(bot, job_updated(JOB_ID)).status_code == 200
    assert deliver(bot, hire_candidate(31, [JOB_ID]), event_id="evt-2").status_code == 200
    gh.fail("GET", f"/jobs/{JOB_ID}", 500, {"message": "boom"}, times=10)
    bot.command(f"job {JOB_ID}", user=HM)  # an error path too
    assert bot.services.requests.get(close.id).state == "done"
    assert bot.services.requests.get(other.id).state == "done"

    text = debug_log.getvalue()
    # The capture saw the traffic, at DEBUG, from the bot and from the libraries.
    assert "harvest_call" in text and "http_request" in text and " DEBUG " in text
    assert len(text.splitlines()) > 40
    secrets = {"harvest key": GH_KEY, "basic auth": base64.b64encode(f"{GH_KEY}:".encode()).decode(),
               "bot token": BOT_TOKEN, "signing secret": SIGNING_SECRET, "web hook secret": WEBHOOK_SECRET,
               "any bot token": "xoxb-"}
    for what, secret in secrets.items():
        assert secret not in text, what
    email = EMAIL.search(text)
    assert email is None, text[max(0, email.start() - 200):][:400]
    for name in CANDIDATES:
        assert name not in text, name
