"""BOT_ADMINS may name an admin by the email on their Slack profile."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN, JOB_ID, OUTSIDER


@pytest.fixture
def settings_overrides():
    return {"bot_admins": "ada@acme.test"}  # ADMIN's Slack profile email; no Greenhouse user has it


def test_an_admin_named_by_email_sees_as_admin(bot, slack, gh):
    bot.command(f"job {JOB_ID}", user=ADMIN)
    assert "Ada Lovelace" in bot.replies_text()
    slack.reset()
    bot.command(f"job {JOB_ID}", user=OUTSIDER)
    assert "Ada Lovelace" not in bot.replies_text()
