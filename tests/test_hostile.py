"""Hostile input: forged and stale Slack requests, fuzzed commands and clicks, outsiders
trying everything, and secrets kept out of logs and messages."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.logs import RedactingFormatter
from bot.slack.commands.parse import mentioned_user, parse
from tests.conftest import (
    ADMIN, BOT_TOKEN, GH_KEY, HM, JOB_ID, OUTSIDER, RECRUITER, SIGNING_SECRET, STRANGER, Bot,
)

CANDIDATES = ("Ada Lovelace", "Grace Hopper", "Alan Turing")
EVIL_USER = "UEVIL666"
MARKERS = re.compile(r"<!(channel|here|everyone|subteam)|<@" + EVIL_USER)


@pytest.fixture
def settings_overrides():
    return {"bot_approvals_channel": "CAPPROVALS"}


def everything_sent(slack) -> str:
    """Every call the bot made to Slack (Web API and response_url), as text."""
    return "\n".join(json.dumps(params, ensure_ascii=False) for _, params in list(slack.calls))


def make_request(bot, text=f"close {JOB_ID} on hold", user=HM):
    bot.command(text, user=user)
    return [r for r in bot.services.requests.all() if r.state == "requested"][-1]


# --- forged and stale requests ----------------------------------------------------------------


def sign(body: str, ts: str, secret: str = SIGNING_SECRET) -> str:
    return "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()


def job_body(user=HM) -> str:
    return urlencode({"command": "/greenhouse", "text": f"job {JOB_ID}", "user_id": user, "channel_id": "C1",
                      "team_id": "T1", "response_url": "http://127.0.0.1:1/respond/x", "trigger_id": "1"})


def forged_variants():
    now = str(int(time.time()))
    body = job_body()
    stale = str(int(time.time()) - 301)
    return {
        "bad signature": (body, {"x-slack-request-timestamp": now, "x-slack-signature": sign(body, now, "wrong")}),
        "signature of another body": (body, {"x-slack-request-timestamp": now,
                                             "x-slack-signature": sign(job_body(ADMIN), now)}),
        "stale timestamp, correctly signed": (body, {"x-slack-request-timestamp": stale,
                                                     "x-slack-signature": sign(body, stale)}),
        "future timestamp": (body, {"x-slack-request-timestamp": str(int(time.time()) + 400),
                                    "x-slack-signature": sign(body, str(int(time.time()) + 400))}),
        "no signature": (body, {"x-slack-request-timestamp": now}),
        "no timestamp": (body, {"x-slack-signature": sign(body, now)}),
        "no headers": (body, {}),
        "timestamp not a number": (body, {"x-slack-request-timestamp": "soon", "x-slack-signature": sign(body, "soon")}),
        "empty signature": (body, {"x-slack-request-timestamp": now, "x-slack-signature": ""}),
        "unsigned broken payload": ("payload=%7Bnot-json", {"x-slack-request-timestamp": now, "x-slack-signature": "v0=00"}),
        "unsigned json": ('{"type": "event_callback"', {"x-slack-request-timestamp": now, "x-slack-signature": "v0=1",
                                                         "content-type": "application/json"}),
    }


@pytest.mark.parametrize("case", list(forged_variants()))
def test_forged_or_stale_request_is_401_before_any_work(bot, slack, gh, case):
    slack.reset()
    body, headers = forged_variants()[case]
    headers = {"content-type": "application/x-www-form-urlencoded", **headers}
    resp = bot.web.post("/slack/events", data=body, headers=headers)
    assert resp.status_code == 401
    assert gh.calls == []
    assert slack.calls == []
    assert bot.services.requests.all() == []


def test_replay_of_a_captured_request_after_five_minutes_is_refused(bot, slack, gh):
    r = make_request(bot)
    # A click captured as it went by, signed correctly at the time, replayed six minutes later.
    payload = {"type": "block_actions", "user": {"id": RECRUITER}, "team": {"id": "T1"}, "api_app_id": "A1",
               "trigger_id": "1", "channel": {"id": "CAPPROVALS"}, "response_url": slack.response_url("act"),
               "actions": [{"action_id": "request_approve", "value": r.id, "type": "button", "block_id": "b"}]}
    body = urlencode({"payload": json.dumps(payload)})
    captured_at = int(time.time()) - 360
    slack.reset()
    gh.calls.clear()
    resp = bot.web.post("/slack/events", data=body, headers={
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": str(captured_at), "x-slack-signature": sign(body, str(captured_at))})
    assert resp.status_code == 401
    assert gh.calls == [] and slack.calls == []
    assert bot.services.requests.get(r.id).state == "requested"


def test_signed_but_malformed_payloads_are_400_not_500(bot, slack, gh):
    slack.reset()
    for payload in ["{not json", "[1, 2]", json.dumps({"type": "block_actions", "user": {"id": HM}, "actions": "x"}),
                    json.dumps({"type": "block_actions", "user": "UHM", "actions": []}),
                    json.dumps({"type": "block_actions", "user": {"id": HM}, "actions": [1]})]:
        resp = bot.post_signed(urlencode({"payload": payload}))
        assert resp.status_code == 400, payload
    assert bot.post_signed('{"type": ', content_type="application/json").status_code == 400
    assert gh.calls == [] and slack.calls == []


# --- fuzzing ------------------------------------------------------------------------------------

HOSTILE = ["<!channel>", "<!here>", "<!everyone>", "<!here|here>", f"<@{EVIL_USER}>", f"<@{EVIL_USER}|boss>",
           "<!subteam^S123|@team>", "<#C123|general>", "<https://evil.test|click me>", "&lt;!channel&gt;", "*", "_", "`",
           "```", "~", ">", "\x00", "\x1b[31m", "\u202e", "\u200b", "\u00a0", "\n", "\t", "%s", "{}", "'; DROP TABLE",
           "6404", "abc123", "11", "21", "99999999999999999999999", "-1", "²", "٣", " ", "&", "<", ">"]
SUBCOMMANDS = ["job", "close", "reject", "history", "pending", "link", "unlink", "whoami", "help", "JOB", ""]
USERS = [HM, OUTSIDER, STRANGER, ADMIN, RECRUITER]

fragment = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=20))
command_text = st.one_of(
    st.builds(lambda sub, parts: " ".join([sub, *parts]), st.sampled_from(SUBCOMMANDS), st.lists(fragment, max_size=6)),
    st.builds(" ".join, st.lists(fragment, min_size=1, max_size=6)),
    st.text(max_size=200),
    st.builds(lambda sub, n, piece: f"{sub} " + piece * n, st.sampled_from(SUBCOMMANDS), st.integers(100, 2000),
              st.sampled_from(["<!channel>", "a", "6404 ", "<@UEVIL666> "])),
)


class Errors(logging.Handler):
    """Collects ERROR records from every logger: an exception that escaped a listener."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors():
    handler = Errors()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


def allowed_echo(text: str) -> set[str]:
    """`link`/`unlink` legitimately name the user an admin mentioned (a validated mention)."""
    parsed = parse(text)
    if parsed.name in ("link", "unlink") and parsed.words and mentioned_user(parsed.words[0]):
        return {f"<@{mentioned_user(parsed.words[0])}>", f"<@{mentioned_user(parsed.words[0])}|"}
    return set()


def check_fuzz_case(bot, slack, gh, errors, resp, echo_ok=frozenset()):
    assert resp.status_code < 500, resp.get_data(as_text=True)[:300]
    assert errors.records == [], [r.getMessage() for r in errors.records]
    assert gh.writes() == []
    sent = everything_sent(slack) + "\n" + resp.get_data(as_text=True)
    for ok in echo_ok:
        sent = sent.replace(ok, "")
    found = MARKERS.search(sent)
    assert found is None, sent[max(0, found.start() - 200): found.end() + 100]


def fuzz_commands(bot, slack, gh, errors, text, user):
    slack.reset()
    gh.calls.clear()
    errors.records.clear()
    resp = bot.command(text, user=user)
    check_fuzz_case(bot, slack, gh, errors, resp, allowed_echo(text))


FUZZ = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            derandomize=False)


@settings(max_examples=250, **FUZZ)
@given(text=command_text, user=st.sampled_from(USERS))
def test_fuzzed_commands_never_crash_write_or_inject_mentions(bot, slack, gh, errors, text, user):
    fuzz_commands(bot, slack, gh, errors, text, user)


@pytest.mark.slow
@settings(max_examples=4000, **FUZZ)
@given(text=command_text, user=st.sampled_from(USERS))
def test_fuzzed_commands_many(bot, slack, gh, errors, text, user):
    fuzz_commands(bot, slack, gh, errors, text, user)


ACTION_IDS = ["request_approve", "request_retry", "request_deny", "draft_reason", "draft_template", "draft_submit",
              "draft_cancel", "job_view_more", "job_view_candidate", "job_view_close", "move_stage", "move_confirm"]
# Those who may never cause a write: the requester (no self-approval), an outsider, an unmapped user, a stranger ID.
CLICKERS = [HM, OUTSIDER, STRANGER, "UNOBODY1"]
junk = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE), st.integers(), st.none(), st.booleans(),
                 st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2))


@st.composite
def interaction(draw, real_ids):
    kind = draw(st.sampled_from(["block_actions", "block_actions", "block_actions", "view_submission", "shortcut",
                                 "message_action", "view_closed", "", "nonsense"]))
    user = draw(st.sampled_from(CLICKERS))
    real = draw(st.sampled_from(real_ids))
    value = draw(st.one_of(st.just(real), st.just(f"{real}|8"), st.just(f"{real}|42"), st.just(f"{JOB_ID}:0"),
                           st.just(f"{JOB_ID}:99999999"), st.just("reject:11"), st.just("move:11"),
                           st.just(f"close:{JOB_ID}"), fragment, junk))
    action: dict = {"action_id": draw(st.one_of(st.sampled_from(ACTION_IDS), st.text(max_size=30))),
                    "block_id": draw(st.text(max_size=10)), "type": draw(st.sampled_from(["button", "static_select", "x"]))}
    if draw(st.booleans()):
        action["value"] = value
    if draw(st.booleans()):
        action["selected_option"] = draw(st.one_of(st.fixed_dictionaries({"value": st.one_of(st.just(value), junk)}), junk))
    payload: dict = {"type": kind, "user": {"id": user}, "team": {"id": "T1"}, "api_app_id": "A1", "trigger_id": "1.2",
                     "response_url": None, "actions": [action]}
    if kind == "view_submission":
        payload.pop("actions")
        payload["view"] = {"id": "V1", "type": "modal",
                           "callback_id": draw(st.sampled_from(["deny_modal", "other", ""])),
                           "private_metadata": draw(st.one_of(st.just(real), fragment, st.text(max_size=40))),
                           "state": {"values": draw(st.one_of(
                               st.just({"reason": {"reason": {"type": "plain_text_input", "value": draw(fragment)}}}),
                               st.dictionaries(st.text(max_size=5), st.dictionaries(st.text(max_size=5), junk, max_size=2),
                                               max_size=2)))}}
    if draw(st.booleans()):
        payload["container"] = {"type": "message", "message_ts": "1700000001.000100", "channel_id": "CAPPROVALS"}
        payload["channel"] = {"id": "CAPPROVALS"}
    raw = json.dumps(payload)
    if draw(st.integers(0, 9)) == 0:  # now and then, broken JSON
        raw = raw[: draw(st.integers(0, len(raw) - 1))]
    return raw, user


def fuzz_world(bot):
    """A real pending request (close) and a real draft (reject), both asked by HM."""
    pending = make_request(bot)
    bot.command("reject 11", user=HM)
    draft = next(r for r in bot.services.requests.all() if r.state == "draft")
    return [pending.id, draft.id, "req-0123456789abcdef"]


def fuzz_clicks(bot, slack, gh, errors, raw, user):
    slack.reset()
    gh.calls.clear()
    errors.records.clear()
    payload = raw.replace('"response_url": null', f'"response_url": "{slack.response_url("act-" + user)}"')
    resp = bot.post_signed(urlencode({"payload": payload}))
    check_fuzz_case(bot, slack, gh, errors, resp)


@pytest.fixture
def real_ids(bot):
    return fuzz_world(bot)


def test_fuzzed_interactions_never_crash_write_or_inject_mentions(bot, slack, gh, errors, real_ids):
    @settings(max_examples=250, **FUZZ)
    @given(case=interaction(real_ids))
    def run(case):
        fuzz_clicks(bot, slack, gh, errors, *case)

    run()
    # Nobody allowed to approve clicked: still no write, and the pending request was not executed.
    assert bot.services.requests.get(real_ids[0]).state in ("requested", "denied")


@pytest.mark.slow
def test_fuzzed_interactions_many(bot, slack, gh, errors, real_ids):
    @settings(max_examples=4000, **FUZZ)
    @given(case=interaction(real_ids))
    def run(case):
        fuzz_clicks(bot, slack, gh, errors, *case)

    run()


# --- an outsider tries everything ---------------------------------------------------------------


def outsider_world(bot, slack):
    bot.command(f"job {JOB_ID}", user=HM)  # HM's view is cached: "More" must not serve it to others
    pending = make_request(bot)
    bot.command("reject 11 missing resume", user=HM)
    draft = next(r for r in bot.services.requests.all() if r.state == "draft")
    return pending, draft


@pytest.mark.parametrize("who", [OUTSIDER, STRANGER])
def test_outsider_tries_every_command_and_button_and_learns_nothing(bot, slack, gh, who):
    pending, draft = outsider_world(bot, slack)
    before = {r.id: r.model_dump() for r in bot.services.requests.all()}
    mappings_before = dict(bot.services.store.items("mappings"))
    slack.reset()
    gh.calls.clear()
    acks = []
    for text in [f"job {JOB_ID}", "job abc123", f"close {JOB_ID} on hold", "reject 11 missing resume", "reject 21",
                 f"history {JOB_ID}", "pending", f"link <@{who}> 101", f"link <@{HM}> 104", f"unlink <@{HM}>", "whoami"]:
        acks.append(bot.command(text, user=who).get_data(as_text=True))
    for action_id, value in [("request_approve", pending.id), ("request_retry", pending.id), ("request_deny", pending.id),
                             ("request_approve", draft.id), ("draft_submit", draft.id), ("draft_cancel", draft.id),
                             ("job_view_more", f"{JOB_ID}:0"), ("job_view_more", f"{JOB_ID}:2")]:
        acks.append(bot.click(action_id, value, who).get_data(as_text=True))
    for action_id, value in [("draft_reason", f"{draft.id}|8"), ("draft_template", f"{draft.id}|42"),
                             ("draft_reason", f"{pending.id}|365")]:
        acks.append(bot.click(action_id, "", who, extra_action={"type": "static_select",
                                                                "selected_option": {"value": value}}).get_data(as_text=True))
    deny = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": who}, "api_app_id": "A1",
            "view": {"id": "V1", "callback_id": "deny_modal", "private_metadata": pending.id, "type": "modal",
                     "state": {"values": {"reason": {"reason": {"type": "plain_text_input", "value": "no"}}}}}}
    acks.append(bot.post_signed(urlencode({"payload": json.dumps(deny)})).get_data(as_text=True))

    sent = everything_sent(slack) + "\n".join(acks)
    for name in CANDIDATES:
        assert name not in sent
    assert "Lovelace" not in sent and "— application `11` —" not in sent  # no job view line
    assert gh.writes() == []
    # No candidate list was read for them (reject must read the one application to learn its job).
    assert not [c for c in gh.calls if c.path == "/candidates"]
    assert {r.id: r.model_dump() for r in bot.services.requests.all()} == before
    assert dict(bot.services.store.items("mappings")).keys() >= mappings_before.keys()
    assert bot.services.store.get("mappings", HM)["greenhouse_user_id"] == 101
    # Nothing was posted anywhere but back to the outsider (no channel message, no update, no modal).
    assert {m for m, _ in slack.calls} <= {"respond", "users.info", "users.lookupByEmail", "auth.test", "chat.postMessage"}
    assert {p["channel"] for p in slack.calls_to("chat.postMessage")} <= {who}  # the deny modal's refusal, by DM
    # And they were told, each time, rather than left waiting.
    assert len(slack.responses()) >= 15


# --- secrets ------------------------------------------------------------------------------------


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(RedactingFormatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.name, self.format(record)))


@pytest.fixture
def logs():
    capture = Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    names = ["httpx", "httpcore", "slack_sdk", "slack_bolt", "urllib3", "bot", "werkzeug"]
    levels = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.DEBUG)
    yield capture
    root.removeHandler(capture)
    root.setLevel(old_level)
    for n, level in levels.items():
        logging.getLogger(n).setLevel(level)


def production_bot(tmp_path, slack, gh, **overrides):
    """The bot with the production Slack client (build_slack_client), as runtime.start builds it."""
    from bot.runtime import build_harvest, build_services, build_slack_client
    from tests.conftest import SyncExecutor, make_settings

    settings = make_settings(tmp_path, slack, **overrides)
    services = build_services(settings, slack=build_slack_client(settings), harvest=build_harvest(settings, sleep=lambda s: None))
    return Bot(services, slack, gh, SyncExecutor())


def test_secrets_never_reach_logs_or_slack(tmp_path, slack, gh, logs):
    gh.candidates[1]["email_addresses"] = [{"value": "ada.lovelace@candidates.test", "type": "personal"}]
    bot = production_bot(tmp_path, slack, gh, bot_approvals_channel="CAPPROVALS")
    bot.command(f"job {JOB_ID}", user=HM)
    r = make_request(bot)
    bot.click("request_approve", r.id, RECRUITER)
    bot.command("reject 21 accepted another offer", user=HM)
    draft = next(x for x in bot.services.requests.all() if x.state == "draft")
    bot.click("draft_submit", draft.id, HM)
    bot.click("request_approve", draft.id, RECRUITER)
    gh.fail("GET", f"/jobs/{JOB_ID}", 500, {"message": "boom"}, times=10)
    bot.command(f"job {JOB_ID}", user=HM)  # an error path too
    assert bot.services.requests.get(r.id).state == "done" and bot.services.requests.get(draft.id).state == "done"

    basic = base64.b64encode(f"{GH_KEY}:".encode()).decode()
    secrets = {"harvest key": GH_KEY, "basic auth": basic, "bot token": BOT_TOKEN, "signing secret": SIGNING_SECRET}
    text = "\n".join(line for _, line in logs.lines)
    assert len(logs.lines) > 20 and "harvest_call" in text  # the capture did see the traffic
    sent = everything_sent(slack)
    for what, secret in secrets.items():
        assert secret not in text, what
        assert secret not in sent, what
    bot_lines = "\n".join(line for name, line in logs.lines if name == "bot" or name.startswith("bot."))
    for pii in (*CANDIDATES, "Lovelace", "ada.lovelace@candidates.test"):
        assert pii not in bot_lines
    # One line per Slack request and per Harvest call, with what an operator needs.
    assert re.search(r"harvest_call method=PATCH path=/v1/jobs/6404/openings/\d+ status=200 duration_ms=\d+ attempt=1", text)
    assert "slack_request kind=block_actions action=request_approve user=URC" in text
