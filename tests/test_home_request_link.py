"""*Your requests* on the App Home links to the request message: Slack's permalink, asked
once when the request is posted (chat.getPermalink) and kept on the request."""

from __future__ import annotations

import json

import pytest

from bot.slack.blocks.home import home_view, safe_link
from bot.workflows.home import HomeTab
from tests.conftest import HM
from tests.test_home_tab import _request, ask_close, last_home, open_home


@pytest.fixture
def settings_overrides():
    return {"bot_approvals_channel": "CAPPROVALS"}


def test_the_requester_s_tab_links_to_the_request_message(bot, slack, gh):
    r = ask_close(bot)
    [asked] = slack.calls_to("chat.getPermalink")
    assert (asked["channel"], asked["message_ts"]) == ("CAPPROVALS", r.message_ts)
    stored = bot.services.requests.get(r.id)
    assert stored.permalink == f"https://acme.slack.com/archives/CAPPROVALS/p{r.message_ts.replace('.', '')}"
    open_home(bot, HM)
    assert f"<{stored.permalink}|Open the request>" in json.dumps(last_home(slack, HM))


def test_without_a_permalink_the_request_is_still_posted_and_the_channel_named(bot, slack, gh):
    slack.fail["chat.getPermalink"] = "ratelimited"
    r = ask_close(bot)
    assert r.state == "requested" and bot.services.requests.get(r.id).permalink is None
    open_home(bot, HM)
    text = json.dumps(last_home(slack, HM))
    assert "<#CAPPROVALS>" in text and "Open the request" not in text


@pytest.mark.parametrize("stored", [
    "javascript:alert(1)", "http://acme.slack.com/archives/C1/p1", "https://acme.slack.com/x|<!channel>",
    "https://acme.slack.com/a b", "https://acme.slack.com/a>b", None, "",
])
def test_a_stored_link_that_could_break_the_mrkdwn_is_not_shown(stored):
    assert safe_link(stored) is None
    r = _request(1).model_copy(update={"requester": HM, "channel": "C1", "permalink": stored})
    text = json.dumps(home_view(HomeTab(HM, mapped=True, mine=[r])))
    assert "Open the request" not in text and "<#C1>" in text


def test_a_threaded_permalink_is_kept():
    link = "https://acme.slack.com/archives/C1H9RESGL/p135854651700023?thread_ts=1358546515.000008&cid=C1H9RESGL"
    assert safe_link(link) == link
