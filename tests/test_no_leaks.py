"""Nothing leaks to people outside a job's hiring team, and Greenhouse's text never
reaches Slack as live mrkdwn (issue 16, item 3)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import HM, JOB_ID, OUTSIDER, RECRUITER, STRANGER

EVIL = "<!channel> <https://evil.test|click>"
ESCAPED = "&lt;!channel&gt; &lt;https://evil.test|click&gt;"


@pytest.fixture
def settings_overrides():
    return {"bot_approvals_channel": "CAPPROVALS"}


def mrkdwn_only(value):
    """`value` without its plain_text objects (Slack shows those literally: nothing to escape)."""
    if isinstance(value, dict):
        if value.get("type") == "plain_text":
            return None
        return {k: mrkdwn_only(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mrkdwn_only(v) for v in value]
    return value


def dump(params) -> str:
    return json.dumps(mrkdwn_only(params), ensure_ascii=False)


def everything_sent(slack) -> str:
    return "\n".join(dump(params) for _, params in list(slack.calls))


def answer(bot, text: str, user: str) -> str:
    """What the person is told, ack and reply, as text (plain_text parts left out)."""
    bot.slack.reset()
    ack = bot.command(text, user=user).get_data(as_text=True)
    return ack + "\n" + "\n".join(dump(r) for r in bot.slack.responses())


# --- one answer whether it exists or not --------------------------------------------------------


@pytest.mark.parametrize("who", [OUTSIDER, STRANGER])
@pytest.mark.parametrize("verb", ["job", "close", "history", "watch", "unwatch"])
@pytest.mark.parametrize("refs", [(str(JOB_ID), "999999"), ("abc123", "zzz999")])
def test_a_confidential_job_and_no_job_get_the_same_answer(bot, gh, who, verb, refs):
    gh.jobs[JOB_ID]["confidential"] = True
    existing, missing = refs
    told = answer(bot, f"{verb} {existing}", who)
    assert "Archaeologist" not in told
    assert told.replace(existing, "REF") == answer(bot, f"{verb} {missing}", who).replace(missing, "REF")
    assert gh.writes() == []


@pytest.mark.parametrize("verb", ["close", "history", "watch"])
def test_refusals_of_an_open_job_name_nothing_either(bot, gh, verb):
    told = answer(bot, f"{verb} {JOB_ID}", OUTSIDER)
    assert "Archaeologist" not in told
    assert told.replace(str(JOB_ID), "REF") == answer(bot, f"{verb} 999999", OUTSIDER).replace("999999", "REF")


def test_an_application_on_a_job_you_cannot_see_and_no_application_get_the_same_answer(bot, gh):
    told = answer(bot, "reject 11", OUTSIDER)
    assert "Ada" not in told and "Archaeologist" not in told
    assert told.replace("11", "REF") == answer(bot, "reject 999999", OUTSIDER).replace("999999", "REF")
    assert bot.services.requests.all() == []


def test_a_requisition_shared_by_a_hidden_job_lists_only_what_you_may_see(bot, gh):
    gh.add_job(7001, "Secret Project Lead", requisition_id="abc123", confidential=True,
               team={"hiring_managers": [104]})  # the outsider's own confidential job, same requisition
    told = answer(bot, "history abc123", HM)
    assert "Secret Project Lead" not in told and "7001" not in told
    assert "Archaeologist" in told


def test_the_team_still_gets_its_answers(bot, gh):
    assert "Archaeologist" in answer(bot, f"history {JOB_ID}", HM)
    assert "Ada Lovelace" in answer(bot, f"job {JOB_ID}", HM)


# --- Greenhouse's text is escaped wherever it reaches mrkdwn -----------------------------------


def assert_inert(text: str) -> None:
    assert "<!channel>" not in text and "<https://evil" not in text, text[:2000]


def test_a_hostile_job_name_is_escaped_everywhere(bot, slack, gh):
    gh.jobs[JOB_ID]["name"] = EVIL
    gh.add_job(6405, EVIL, team={"hiring_managers": [101], "recruiters": [102]},
               openings=[gh.opening(1, "closed")])
    seen: dict[str, str] = {}
    # 1. the job view, for the team (blocks and notification text)
    seen["view for the team"] = answer(bot, f"job {JOB_ID}", HM)
    # 2. the job view's summary for an outsider (the job is not confidential)
    seen["view for an outsider"] = answer(bot, f"job {JOB_ID}", OUTSIDER)
    # 3. the close refusal (names nothing now) and 4. "has no open openings"
    seen["close refusal"] = answer(bot, f"close {JOB_ID} on hold", OUTSIDER)
    seen["no open openings"] = answer(bot, "close 6405 on hold", HM)
    # 5. the history text
    seen["history"] = answer(bot, f"history {JOB_ID}", HM)
    # 6. the refusal of an outsider's Approve
    bot.command(f"close {JOB_ID} on hold", user=HM)
    request = next(r for r in bot.services.requests.all() if r.state == "requested")
    slack.reset()
    bot.click("request_approve", request.id, OUTSIDER)
    seen["outsider's approve"] = everything_sent(slack)
    # and the whole approved flow: request message, thread, update, DM
    bot.click("request_approve", request.id, RECRUITER)
    seen["approved flow"] = everything_sent(slack)

    for where, text in seen.items():
        assert_inert(text)
    for where in ("view for the team", "view for an outsider", "no open openings", "history",
                  "outsider's approve", "approved flow"):
        assert ESCAPED in seen[where] or json.dumps(ESCAPED)[1:-1] in seen[where], where
    assert "Only the recruiters and coordinators of " + ESCAPED in seen["outsider's approve"]


def test_names_and_emails_in_identity_answers_are_escaped_too(bot, slack, gh):
    from tests.conftest import HM_ID, STRANGER

    gh.users[HM_ID].update(name=EVIL, disabled=True)
    told = answer(bot, f"job {JOB_ID}", HM)
    assert_inert(told)
    assert ESCAPED in told
    slack.users[STRANGER]["email"] = "<!channel>@evil.test"
    told = answer(bot, f"job {JOB_ID}", STRANGER)
    assert_inert(told)
    assert "&lt;!channel&gt;@evil.test" in told
