"""Through the running bot: Greenhouse's `Retry-After` sets how long a job view waits.

Real rate-limited answers carry `X-RateLimit-Remaining: 0` as well; that used to make
the limiter pause a whole window (10 s) on top of `Retry-After`. Here Greenhouse
answers the candidate list twice with 429 / `Retry-After: 1`: the view must arrive
after about two seconds, not after ten. (Wall time is measured because the wait is
the behaviour under test; the fake clock tests are in tests/greenhouse/test_ratelimit.py.)"""

from __future__ import annotations

import json
import time

from tests.conftest import HM, JOB_ID

RATE_LIMITED = {"Retry-After": "1", "X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "0"}


def test_two_429s_with_retry_after_1_delay_the_job_view_about_two_seconds(bot, slack, gh):
    gh.fail("GET", "/candidates", 429, {"message": "Rate limit exceeded"}, times=2, headers=RATE_LIMITED)
    started = time.monotonic()
    bot.command(f"job {JOB_ID}", user=HM)
    elapsed = time.monotonic() - started
    [reply] = slack.responses()
    assert "Ada Lovelace" in json.dumps(reply["blocks"])
    assert len(gh.reads("/candidates")) == 3  # two refused, one answered
    print(f"job view after two 429s with Retry-After 1: {elapsed:.2f} s")
    assert 2.0 <= elapsed < 3.0 + 0.5, elapsed  # 1 s + 1 s + jitter (≤ 0.25 s each), not a 10 s window
