"""The demo Greenhouse's deliveries are accepted by the bot's real web hook endpoint and
end in the auto-close notices (bot/greenhouse_webhook.py), with no hand-made payload."""

from __future__ import annotations

from typing import Any

import pytest

from tests.autoclose_support import WEBHOOK_SECRET, notices, sync_webhooks
from tests.conftest import HM, JOB_ID, RECRUITER


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"greenhouse_webhook_secret": WEBHOOK_SECRET}


def test_hiring_into_the_last_openings_notifies_the_team_through_the_signed_web_hook(bot: Any, gh: Any, slack: Any) -> None:
    hooked = sync_webhooks(bot)
    answers: list[int] = []

    def post_to_bot(url: str, headers: dict[str, str], body: bytes, timeout: float) -> int:
        status = hooked.web.post("/greenhouse/webhook", data=body, headers=headers).status_code
        answers.append(status)
        return status

    sender = gh.webhook_to("http://bot.test/greenhouse/webhook", WEBHOOK_SECRET, post=post_to_bot)
    try:
        gh.hire_last_candidate(JOB_ID)  # the job has two open openings: still open
        assert sender.wait_idle(5)
        assert notices(slack) == []
        gh.hire_last_candidate(JOB_ID)  # the last one: Greenhouse closes the job
        assert sender.wait_idle(5)
    finally:
        sender.close()
    assert [d.action for d in sender.deliveries] == ["hire_candidate", "hire_candidate", "job_updated"]
    assert answers == [200, 200, 200]  # signature accepted every time
    posted = notices(slack)
    assert sorted(p["channel"] for p in posted) == sorted([HM, RECRUITER])  # announced once, to the team
    assert "is now closed" in posted[0]["text"]
