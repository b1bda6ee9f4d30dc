"""Names link to their pages in Greenhouse (issue 14, item 5): the job view, the request
messages, the Home tab and the closing notice; GREENHOUSE_APP_URL moves them; a hostile
name cannot end its link, start another or mention anyone."""

from __future__ import annotations

import json
import re

import pytest

from bot.app_links import AppLinks
from bot.config import ConfigError
from tests.conftest import HM, JOB_ID, RECRUITER, Bot, make_settings
from tests.fakes.greenhouse import close_job

HOSTILE = "Eve> <https://evil.example|click> <!channel> *x*\n<@U999>|y"
LINK_RE = re.compile(r"<(https?://[^<>|]*)\|([^<>]*)>")


def links_in(text: str) -> list[tuple[str, str]]:
    """Every `<url|label>` in mrkdwn, as Slack reads them: (url, label)."""
    return LINK_RE.findall(text)


def mrkdwn_of(blocks: list[dict]) -> str:
    out = []
    for b in blocks:
        if b.get("text", {}).get("type") == "mrkdwn":
            out.append(b["text"]["text"])
        out += [e["text"] for e in b.get("elements", []) if e.get("type") == "mrkdwn"]
    return "\n".join(out)


def test_the_helper_builds_greenhouse_page_addresses_from_numbers():
    links = AppLinks()
    assert links.job(6404) == "https://app.greenhouse.io/sdash/6404"
    assert links.candidate(13857579) == "https://app.greenhouse.io/people/13857579"
    assert links.application(13857579, 22202940) == "https://app.greenhouse.io/people/13857579?application_id=22202940"
    assert AppLinks("https://acme.greenhouse.io/").job(1) == "https://acme.greenhouse.io/sdash/1"
    for bad in ("javascript:alert(1)", "https://x.io|y", "https://x.io>", "https://x .io", "ftp://x.io"):
        with pytest.raises(ValueError):
            AppLinks(bad)


def test_greenhouse_app_url_is_validated_at_start(tmp_path, slack):
    assert make_settings(tmp_path, slack).greenhouse_app_url == "https://app.greenhouse.io"
    assert make_settings(tmp_path, slack, greenhouse_app_url="https://app4.greenhouse.io/").greenhouse_app_url \
        == "https://app4.greenhouse.io"
    with pytest.raises(ConfigError, match="GREENHOUSE_APP_URL"):
        make_settings(tmp_path, slack, greenhouse_app_url="https://evil.example|x")


def test_the_job_view_links_the_job_and_each_candidate(bot, slack, gh):
    bot.command(f"job {JOB_ID}", user=HM)
    text = mrkdwn_of(slack.responses()[-1]["blocks"])
    found = links_in(text)
    assert ("https://app.greenhouse.io/sdash/6404", "Archaeologist") in found
    assert ("https://app.greenhouse.io/people/1?application_id=11", "Ada Lovelace") in found
    assert ("https://app.greenhouse.io/people/2?application_id=21", "Grace Hopper") in found
    assert ("https://app.greenhouse.io/people/3?application_id=31", "Alan Turing") in found
    assert len(found) == 4


def test_the_configured_address_is_used(tmp_path, slack, gh):
    bot = Bot.build(tmp_path, slack, gh, greenhouse_app_url="https://acme.greenhouse.io",
                    bot_approvals_channel="CAPPROVALS")
    bot.command(f"job {JOB_ID}", user=HM)
    urls = [u for u, _ in links_in(mrkdwn_of(slack.responses()[-1]["blocks"]))]
    assert urls and all(u.startswith("https://acme.greenhouse.io/") for u in urls)
    bot.command("reject 11 missing resume", user=HM)
    [draft] = [r for r in bot.services.requests.all() if r.state == "draft"]
    bot.click("draft_submit", draft.id, HM)
    main = slack.calls_to("chat.postMessage")[0]
    assert links_in(mrkdwn_of(main["blocks"]))[:2] == [
        ("https://acme.greenhouse.io/people/1?application_id=11", "Ada Lovelace"),
        ("https://acme.greenhouse.io/sdash/6404", "Archaeologist")]


def test_request_messages_home_tab_and_closing_notice_link_names(tmp_path, slack, gh):
    bot = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS")
    bot.command("reject 11 missing resume", user=HM)
    [draft] = [r for r in bot.services.requests.all() if r.state == "draft"]
    assert draft.candidate_id == 1
    bot.click("draft_submit", draft.id, HM)
    main = slack.calls_to("chat.postMessage")[0]
    assert ("https://app.greenhouse.io/people/1?application_id=11", "Ada Lovelace") in links_in(mrkdwn_of(main["blocks"]))
    bot.click("request_approve", draft.id, RECRUITER)
    message_ts = bot.services.requests.get(draft.id).message_ts
    updated = [u for u in slack.calls_to("chat.update") if u["ts"] == message_ts][-1]
    assert ("https://app.greenhouse.io/sdash/6404", "Archaeologist") in links_in(mrkdwn_of(updated["blocks"]))
    home = [v for v in slack.calls_to("views.publish") if v["user_id"] == HM][-1]
    home_view = json.loads(home["view"]) if isinstance(home["view"], str) else home["view"]
    assert ("https://app.greenhouse.io/sdash/6404", "Archaeologist") in links_in(mrkdwn_of(home_view["blocks"]))

    close_job(gh, JOB_ID)
    bot.services.autoclose.announce_if_closed(JOB_ID)
    notice = [m for m in slack.calls_to("chat.postMessage") if "is now closed" in m.get("text", "")][0]
    assert links_in(notice["text"]) == [("https://app.greenhouse.io/sdash/6404", "Archaeologist")]


def test_hostile_names_cannot_break_out_of_their_links(tmp_path, slack, gh):
    gh.jobs[JOB_ID]["name"] = HOSTILE
    gh.candidates[1]["first_name"], gh.candidates[1]["last_name"] = HOSTILE, ""
    bot = Bot.build(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS")
    bot.command(f"job {JOB_ID}", user=HM)
    bot.command("reject 11 missing resume", user=HM)
    [draft] = [r for r in bot.services.requests.all() if r.state == "draft"]
    bot.click("draft_submit", draft.id, HM)
    close_job(gh, JOB_ID)
    bot.services.autoclose.announce_if_closed(JOB_ID)
    texts = [mrkdwn_of(slack.responses()[0]["blocks"]), mrkdwn_of(slack.calls_to("chat.postMessage")[0]["blocks"]),
             next(m["text"] for m in slack.calls_to("chat.postMessage") if "is now closed" in m.get("text", ""))]
    for text in texts:
        # Every link Slack would read points at Greenhouse, and nothing else becomes a link or a mention.
        tokens = re.findall(r"<([^<>]*)>", text)
        hostile = []
        for token in tokens:
            assert token.startswith(("https://app.greenhouse.io/", "@U", "!date^", "#")), token
            if token.startswith("https://"):
                url, _, label = token.partition("|")
                assert re.fullmatch(r"https://app\.greenhouse\.io/(sdash/\d+|people/\d+\?application_id=\d+)", url)
                assert "\n" not in label
                if label.startswith("Eve"):
                    hostile.append(label)
        assert hostile and all("&gt;" in label and "&lt;" in label for label in hostile), text
        assert "<!channel>" not in text and "<https://evil" not in text and "<@U999>" not in text
