"""When Harvest's budget is spent, the person is told at once, about how long
(issue 17, item 4): through the running bot, with the shared budget on a fake clock.

The limiter (bot/greenhouse/ratelimit.py) estimates; the Slack layer (bot/slack/waits.py)
words it, ephemerally where the command was typed; the answer follows it. Views of the
same job waiting in line are answered from the one read, and each of their people is told."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

from slack_sdk import WebClient

from bot.greenhouse.build import build_harvest
from bot.runtime import build_services
from bot.store import Store
from bot.store.budget import StoreBudget
from tests.conftest import BOT_TOKEN, COORDINATOR, HM, JOB_ID, RECRUITER, Bot, SyncExecutor, make_settings
from tests.fakes.clock import GatedClock

OTHER_JOB = 7007
NINA = "UNINA"
WAIT_MARK = ":stopwatch:"


def build(tmp_path: Any, slack: Any, gh: Any, clock: GatedClock, executor: Any = None) -> Bot:
    """The bot as runtime builds it, its store-shared Harvest budget on `clock`."""
    settings = make_settings(tmp_path, slack)
    store = Store(str(tmp_path / "bot.sqlite"))
    harvest = build_harvest(settings, sleep=lambda s: None, budget_for=lambda credential, limit, window_s: StoreBudget(
        store, credential, limit=limit, window_s=window_s, clock=clock))
    harvest.t.limiter._sleep = clock.sleep
    services = build_services(settings, slack=WebClient(token=BOT_TOKEN, base_url=slack.base_url),
                              harvest=harvest, store=store)
    return Bot(services, slack, gh, executor or SyncExecutor())


def spend_the_budget(bot: Bot) -> None:
    budget = bot.services.harvest.t.limiter.budget
    while budget.take() == 0:
        pass


def command(bot: Bot, text: str, user: str) -> None:
    body = urlencode({"team_id": "T1", "channel_id": "CASK", "user_id": user, "command": "/greenhouse",
                      "text": text, "response_url": bot.slack.response_url(f"cmd-{user}") + f"?who={user}",
                      "trigger_id": "1.2.3"})
    assert bot.post_signed(body).status_code == 200


def said_to(slack: Any, user: str) -> list[str]:
    """What the bot said to `user` through their commands' response_url, in order (text and blocks)."""
    return [json.dumps(p) for m, p in list(slack.calls) if m == "respond" and p.get("who") == user]


def test_a_command_behind_the_budget_is_told_at_once_then_answered(tmp_path, slack, gh):
    clock = GatedClock()
    bot = build(tmp_path, slack, gh, clock)
    command(bot, "whoami", HM)  # the directory is loaded: the view below only waits for its own reads
    spend_the_budget(bot)
    started = clock()

    command(bot, f"job {JOB_ID}", HM)

    told, answer = said_to(slack, HM)[1:]
    assert WAIT_MARK in told
    assert "Greenhouse allows 50 requests every 10 s" in told and "Your view is next: about 10 s" in told
    assert "Archaeologist" in answer and "Ada Lovelace" in answer
    assert clock() - started >= 10  # it did wait for the window


def test_no_word_about_waiting_when_there_is_no_wait(tmp_path, slack, gh):
    bot = build(tmp_path, slack, gh, GatedClock())
    command(bot, f"job {JOB_ID}", HM)
    command(bot, "whoami", RECRUITER)
    assert len(said_to(slack, HM)) == 1 and len(said_to(slack, RECRUITER)) == 1
    assert WAIT_MARK not in json.dumps(slack.calls)


def test_views_waiting_in_line_are_told_their_place_and_share_one_read(tmp_path, slack, gh):
    gh.add_user(105, "Nina Navigator", "nina@acme.test")
    slack.users[NINA] = {"email": "nina@acme.test"}
    gh.add_job(OTHER_JOB, "Cartographer", team={"hiring_managers": [105]})
    clock = GatedClock()
    bot = build(tmp_path, slack, gh, clock, executor=ThreadPoolExecutor(8))
    for person in (HM, RECRUITER, COORDINATOR, NINA):
        command(bot, "whoami", person)
    deadline = time.monotonic() + 10
    while len([c for c in slack.calls if c[0] == "respond"]) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    spend_the_budget(bot)
    gh.calls.clear()
    clock.gate.clear()  # the window stays spent until all four are in line

    for person in (HM, RECRUITER, COORDINATOR):  # a link dropped in a channel: the same job
        command(bot, f"job {JOB_ID}", person)
    command(bot, f"job {OTHER_JOB}", NINA)
    people = (HM, RECRUITER, COORDINATOR, NINA)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(len(said_to(slack, p)) >= 2 for p in people):
        time.sleep(0.02)  # each is told while the window is still spent
    clock.gate.set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not all(len(said_to(slack, p)) >= 3 for p in people):
        time.sleep(0.02)

    for person in (HM, RECRUITER, COORDINATOR):
        told, answer = said_to(slack, person)[1:]  # after whoami's answer: told first, then answered
        assert WAIT_MARK in told and "Your view is next" in told
        assert "Ada Lovelace" in answer
    told, answer = said_to(slack, NINA)[1:]
    assert WAIT_MARK in told and "Cartographer" in answer
    # The three views of one job cost one read of it.
    assert len([c for c in gh.calls if c.path == f"/jobs/{JOB_ID}"]) == 1
