"""Shared fixtures: a fake Slack Web API server, a fake Greenhouse on respx, the
bot wired to both, and helpers that sign requests the way Slack does."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import pytest
import respx
from slack_sdk import WebClient

from bot.config import load_settings
from bot.greenhouse import ratelimit
from bot.runtime import build_harvest, build_services
from bot.slack.app import create_app
from bot.store import Store
from bot.web import create_web_app
from tests.fakes.greenhouse import V1_BASE, FakeGreenhouse
from tests.fakes.greenhouse_v3 import FakeGreenhouseV3
from tests.fakes.slack_api import FakeSlack
from tests.pg_cluster import Cluster, drop_schema, fresh_schema

SIGNING_SECRET = "test-signing-secret-8f2a"
BOT_TOKEN = "xoxb-test-bot-token-5551"
GH_KEY = "gh-test-harvest-key-7731"

# Slack users and their Greenhouse users in the default world.
HM, RECRUITER, COORDINATOR, OUTSIDER, ADMIN, STRANGER = "UHM", "URC", "UCO", "UOUT", "UADMIN", "USTRANGER"
HM_ID, RECRUITER_ID, COORDINATOR_ID, OUTSIDER_ID = 101, 102, 103, 104
JOB_ID = 6404
OPEN_OPENINGS = (4542441002, 4542441003)
CLOSED_OPENING = 4530863002


class SyncExecutor(Executor):
    """Runs Bolt's listeners and lazy listeners inline, so a test's request returns
    only after the after-ack work is done (deterministic assertions)."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001
            future.set_exception(exc)
        return future


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith(("SLACK_", "GREENHOUSE_", "BOT_")) or key in ("PORT", "DATABASE_URL"):
            monkeypatch.delenv(key, raising=False)
    ratelimit._registry.clear()


@pytest.fixture(scope="session")
def pg_server() -> Any:
    """A real PostgreSQL for the session: TEST_DATABASE_URL if given, else a throwaway
    cluster (tests/pg_cluster.py). Never skipped: without PostgreSQL this fails."""
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        yield given
        return
    cluster = Cluster()
    yield cluster.url
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A store's target on each backend: a SQLite file, then a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        return str(tmp_path / "data" / "bot.sqlite")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(target: str) -> Any:
    """A store opened on `target` (so: each test that takes it runs on both backends)."""
    s = Store(target)
    yield s
    s.close()


@pytest.fixture
def pg_url(pg_server: str) -> Any:
    """A DATABASE_URL whose tables live in a schema of their own, dropped after the test."""
    schema, url = fresh_schema(pg_server)
    yield url
    drop_schema(pg_server, schema)


@pytest.fixture
def slack() -> Any:
    fake = FakeSlack()
    fake.users.update({
        HM: {"email": "hannah@acme.test"},
        RECRUITER: {"email": "rita@acme.test"},
        COORDINATOR: {"email": "cody@acme.test"},
        OUTSIDER: {"email": "olly@acme.test"},
        ADMIN: {"email": "ada@acme.test"},
        STRANGER: {"email": "nobody@elsewhere.test"},
    })
    yield fake
    fake.stop()


def seed_world(gh: FakeGreenhouse) -> None:
    gh.add_user(HM_ID, "Hannah Manager", "hannah@acme.test")
    gh.add_user(RECRUITER_ID, "Rita Recruiter", "rita@acme.test")
    gh.add_user(COORDINATOR_ID, "Cody Coordinator", "cody@acme.test")
    gh.add_user(OUTSIDER_ID, "Olly Outsider", "olly@acme.test")
    gh.close_reasons += [
        {"id": 4012092002, "name": "On Hold"},
        {"id": 365, "name": "Hire - New Headcount"},
        {"id": 366, "name": "Backfill"},
        {"id": 367, "name": "Not Filling"},
    ]
    gh.rejection_reasons += [
        {"id": 262, "name": "Missing resume", "type": {"id": 1, "name": "We rejected them"}},
        {"id": 8, "name": "Lacking skill(s)/qualification(s)", "type": {"id": 1, "name": "We rejected them"}},
        {"id": 14, "name": "Accepted another offer", "type": {"id": 2, "name": "They rejected us"}},
    ]
    gh.email_templates += [
        {"id": 42, "name": "Standard rejection", "type": "candidate_rejection", "user": None},
        {"id": 43, "name": "My personal rejection", "type": "candidate_rejection", "user": {"id": HM_ID}},
        {"id": 44, "name": "Interview invite", "type": "candidate_email", "user": None},
    ]
    gh.add_job(
        JOB_ID, "Archaeologist", requisition_id="abc123",
        team={"hiring_managers": [HM_ID], "recruiters": [RECRUITER_ID], "coordinators": [COORDINATOR_ID]},
        openings=[gh.opening(o) for o in OPEN_OPENINGS]
        + [gh.opening(CLOSED_OPENING, "closed", close_reason={"id": 4012092002, "name": "On Hold"})],
    )
    gh.add_candidate(1, "Ada Lovelace", [gh.application(11, JOB_ID, stage="Phone Screen")])
    gh.add_candidate(2, "Grace Hopper", [gh.application(21, JOB_ID, stage="Onsite")])
    gh.add_candidate(3, "Alan Turing", [gh.application(31, JOB_ID, stage="Onsite"), gh.application(32, 999, stage="Offer")])
    gh.add_candidate(4, "Rejected Person", [gh.application(41, JOB_ID, status="rejected")])


@contextmanager
def served_both_ways() -> Iterator[tuple[FakeGreenhouse, Any]]:
    """One seeded Greenhouse served as Harvest v1 and as v3 (with its reader user), for tests
    that run the same clicks on both versions: (the data, the v3 fake — `sub_of` tells who acted)."""
    gh = FakeGreenhouse()
    seed_world(gh)
    with respx.mock(assert_all_called=False) as router:
        gh.mount_v1(router)
        v3 = FakeGreenhouseV3(gh).mount(router)
        v3.add_reader()
        yield gh, v3


@pytest.fixture
def gh() -> Any:
    fake = FakeGreenhouse()
    seed_world(fake)
    with respx.mock(assert_all_called=False) as router:
        fake.mount_v1(router)
        yield fake


def make_settings(tmp_path: Any, slack: FakeSlack, **overrides: Any) -> Any:
    values: dict[str, Any] = dict(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.base_url,
        greenhouse_api_key=GH_KEY,
        greenhouse_api_url=V1_BASE,
        bot_db_path=str(tmp_path / "bot.sqlite"),
        bot_admins=ADMIN,
        _env_file=None,
    )
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for its bot."""
    return {}


@pytest.fixture
def bot(tmp_path: Any, slack: FakeSlack, gh: FakeGreenhouse, settings_overrides: dict[str, Any]) -> Any:
    return Bot.build(tmp_path, slack, gh, **settings_overrides)


class Bot:
    """The bot as Slack sees it: an HTTP endpoint that takes signed requests."""

    def __init__(self, services: Any, slack: FakeSlack, gh: FakeGreenhouse, executor: Executor | None) -> None:
        self.services = services
        self.slack = slack
        self.gh = gh
        self.app = create_app(services, listener_executor=executor)
        self.web = create_web_app(services, self.app).test_client()

    @classmethod
    def build(cls, tmp_path: Any, slack: FakeSlack, gh: FakeGreenhouse, *, executor: Executor | None = None,
              home_executor: Executor | None = None, **overrides: Any) -> Bot:
        settings = make_settings(tmp_path, slack, **overrides)
        client = WebClient(token=BOT_TOKEN, base_url=slack.base_url)
        harvest = build_harvest(settings, sleep=lambda s: None)
        # Home tab redraws run inline unless a test asks otherwise: assertions follow the request.
        services = build_services(settings, slack=client, harvest=harvest, home_executor=home_executor or SyncExecutor())
        return cls(services, slack, gh, executor or SyncExecutor())

    # --- sending what Slack sends -------------------------------------------------------

    def post_signed(self, body: str, content_type: str = "application/x-www-form-urlencoded",
                    timestamp: int | None = None, secret: str = SIGNING_SECRET, headers: dict | None = None) -> Any:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        return self.web.post("/slack/events", data=body, headers={
            "content-type": content_type, "x-slack-request-timestamp": ts, "x-slack-signature": sig, **(headers or {})})

    def command(self, text: str, user: str = HM, channel: str = "CASK", **kw: Any) -> Any:
        body = urlencode({
            "token": "legacy", "team_id": "T1", "channel_id": channel, "channel_name": "hiring",
            "user_id": user, "user_name": user.lower(), "command": "/greenhouse", "text": text,
            "response_url": self.slack.response_url(f"cmd-{user}"), "trigger_id": "1.2.3",
        })
        return self.post_signed(body, **kw)

    def click(self, action_id: str, value: str, user: str, *, channel: str = "CAPPROVALS",
              message_ts: str = "1700000001.000100", extra_action: dict | None = None, **kw: Any) -> Any:
        action = {"action_id": action_id, "block_id": "b1", "value": value, "type": "button",
                  "action_ts": f"{time.time():.6f}", **(extra_action or {})}
        payload = {
            "type": "block_actions", "team": {"id": "T1"}, "user": {"id": user, "name": user.lower()},
            "api_app_id": "A1", "trigger_id": "1.2.3", "channel": {"id": channel},
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "message": {"ts": message_ts, "text": "", "blocks": []},
            "response_url": self.slack.response_url(f"act-{user}"), "actions": [action],
        }
        return self.post_signed(urlencode({"payload": json.dumps(payload)}), **kw)

    def replies_text(self) -> str:
        """Everything the bot said back through response_url, as one string."""
        return "\n".join(json.dumps(r) for r in self.slack.responses())


def approved_reject(bot: Bot, application_id: int, requester: str = HM, approver: str = RECRUITER) -> Any:
    """A rejection drafted, submitted and approved through Slack: the request, done."""
    bot.command(f"reject {application_id} missing resume", user=requester)
    [draft] = [r for r in bot.services.requests.all() if r.state == "draft"]
    bot.click("draft_submit", draft.id, requester)
    bot.click("request_approve", draft.id, approver)
    return bot.services.requests.get(draft.id)
