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


def test_no_settings_at_all_names_every_problem_in_one_go():
    with pytest.raises(ConfigError) as err:
        load_settings(_env_file=None)
    lines = str(err.value).splitlines()
    assert lines == [
        "SLACK_BOT_TOKEN is required but not set",
        "set GREENHOUSE_CLIENT_ID and GREENHOUSE_CLIENT_SECRET (Harvest v3) or GREENHOUSE_API_KEY (Harvest v1)",
        "SLACK_SIGNING_SECRET is required in HTTP mode (when SLACK_APP_TOKEN is not set)",
    ]


def test_field_errors_and_combination_errors_come_together():
    with pytest.raises(ConfigError) as err:
        load_settings(_env_file=None, slack_bot_token="x", greenhouse_client_id="id", port="99999",
                      bot_admins="@ghadmin,admin@example.com,U024BE7LH")
    text = str(err.value)
    assert "PORT" in text
    assert "Harvest v3 needs both GREENHOUSE_CLIENT_ID and GREENHOUSE_CLIENT_SECRET" in text
    assert "Harvest v3 needs GREENHOUSE_READ_AS_USER_ID" in text
    assert "SLACK_SIGNING_SECRET is required" in text
    assert "BOT_ADMINS has entries that are neither Slack user IDs" in text


@pytest.mark.parametrize(("admins", "wrong"), [
    ("@ghadmin,admin@example.com", "@ghadmin"),
    ("U024BE7LH, <@U024BE7LH>", "<@U024BE7LH>"),
    ("ghadmin, W0123ABC", "ghadmin"),
    ("u024be7lh", "u024be7lh"),
])
def test_bot_admins_names_its_wrong_entries(admins, wrong):
    with pytest.raises(ConfigError) as err:
        load_settings(_env_file=None, slack_bot_token="x", slack_signing_secret="s", greenhouse_api_key="k",
                      bot_admins=admins)
    (line,) = [line for line in str(err.value).splitlines() if line.startswith("BOT_ADMINS")]
    assert line.endswith(": " + wrong)


def test_bot_admins_takes_slack_ids_and_emails():
    s = load_settings(_env_file=None, slack_bot_token="x", slack_signing_secret="s", greenhouse_api_key="k",
                      bot_admins="U024BE7LH, W0123ABC ,admin@example.com")
    assert s.bot_admins == {"U024BE7LH", "W0123ABC", "admin@example.com"}
