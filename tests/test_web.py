from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest


def test_healthz_checks_the_store(bot):
    resp = bot.web.get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"ok": True, "store": "ok", "harvest": "v1"}
    bot.services.store.ping = lambda: (_ for _ in ()).throw(RuntimeError("disk gone"))
    assert bot.web.get("/healthz").status_code == 503


def test_one_log_line_per_request_without_user_text(bot, caplog):
    caplog.set_level(logging.INFO, logger="bot.web")
    bot.command("job 6404 secret-words-here")
    lines = [r for r in caplog.records if r.getMessage() == "http_request"]
    assert len(lines) == 1
    fields = lines[0].fields
    assert fields["method"] == "POST" and fields["path"] == "/slack/events" and fields["status"] == 200
    assert isinstance(fields["duration_ms"], int) and fields["request_id"]
    assert "secret-words-here" not in caplog.text


@pytest.mark.slow
def test_kill9_during_execution_loses_and_doubles_nothing():
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "bench/kill9.py", "--rounds", "3"], cwd=root, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:]
    assert "writes lost in 0, doubled in 0" in run.stdout


@pytest.mark.slow
def test_sigterm_lets_an_approved_execution_finish():
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "bench/kill9.py", "--graceful", "--rounds", "2"], cwd=root,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:]
    assert "unfinished in 0" in run.stdout
