"""manifest.yml creates the app in one paste: the command, interactivity, only the scopes used."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = yaml.safe_load((Path(__file__).resolve().parent.parent / "manifest.yml").read_text())


def test_slash_command_escapes_mentions_and_points_at_events():
    [cmd] = MANIFEST["features"]["slash_commands"]
    assert cmd["command"] == "/greenhouse" and cmd["should_escape"] is True
    assert cmd["url"].endswith("/slack/events") and len(cmd["usage_hint"]) <= 1000
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["settings"]["interactivity"]["request_url"].endswith("/slack/events")
    assert MANIFEST["features"]["bot_user"]["display_name"]


def test_only_the_scopes_the_bot_uses():
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == {
        "commands", "chat:write", "users:read", "users:read.email", "channels:read", "groups:read",
    }
    assert len(MANIFEST["display_information"]["long_description"]) >= 174


def test_home_tab_enabled_and_app_home_opened_subscribed():
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    events = MANIFEST["settings"]["event_subscriptions"]
    assert events["request_url"].endswith("/slack/events") and "app_home_opened" in events["bot_events"]
