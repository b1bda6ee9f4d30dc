"""`python3 tasks.py run`: the bot when Slack or Greenhouse is configured, else the demo."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
tasks = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(tasks)  # type: ignore[union-attr]


def test_nothing_configured_starts_the_demo_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".env").write_text("# SLACK_BOT_TOKEN=xoxb-commented-out\nSLACK_BOT_TOKEN=\nPORT=3001\nBOT_ADMINS=U1\n")
    assert tasks.run_command({"PATH": "/usr/bin", "GREENHOUSE_API_KEY": "  "}, tmp_path / ".env")[1:] == ["-m", "bot", "demo"]
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "starting the demo" in out


@pytest.mark.parametrize("environ, env_file", [
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, ""),  # partial settings: the bot starts and names what is missing
    ({}, "export GREENHOUSE_API_KEY='abc'\n"),
    ({"slack_signing_secret": "s"}, ""),
])
def test_any_slack_or_greenhouse_setting_starts_the_bot(tmp_path: Path, environ: dict, env_file: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".env").write_text(env_file)
    assert tasks.run_command(environ, tmp_path / ".env")[1:] == ["-m", "bot"]
    assert capsys.readouterr().out == ""
