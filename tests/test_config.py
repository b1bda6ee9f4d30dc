from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings


def test_each_problem_named_on_its_own_line():
    with pytest.raises(ConfigError) as err:
        load_settings(_env_file=None, bot_request_ttl_hours="soon", port="99999")
    lines = str(err.value).splitlines()
    assert any(line.startswith("SLACK_BOT_TOKEN is required") for line in lines)
    assert any(line.startswith("BOT_REQUEST_TTL_HOURS") for line in lines)
    assert any(line.startswith("PORT") for line in lines)


def test_v1_and_v3_together_is_an_error():
    with pytest.raises(ConfigError, match="both set"):
        load_settings(_env_file=None, slack_bot_token="x", slack_signing_secret="s", greenhouse_api_key="k",
                      greenhouse_client_id="id", greenhouse_client_secret="sec", greenhouse_read_as_user_id=1)


def test_defaults_and_admin_list(monkeypatch):
    monkeypatch.setenv("BOT_ADMINS", "U1, U2,,U3")
    s = load_settings(_env_file=None, slack_bot_token="x", slack_signing_secret="s", greenhouse_api_key="k")
    assert s.bot_admins == {"U1", "U2", "U3"}
    assert s.harvest_version == "v1" and s.harvest_base_url == "https://harvest.greenhouse.io/v1"
    assert s.slack_api_url == "https://slack.com/api/" and s.port == 3000 and s.bot_db_path == "data/bot.sqlite"
    assert s.bot_request_ttl_hours == 72 and s.bot_allow_self_approval is False
    assert "k" not in repr(s.greenhouse_api_key)


def test_http_mode_needs_signing_secret():
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        load_settings(_env_file=None, slack_bot_token="x", greenhouse_api_key="k")
    s = load_settings(_env_file=None, slack_bot_token="x", slack_app_token="xapp-1", greenhouse_api_key="k")
    assert s.socket_mode
