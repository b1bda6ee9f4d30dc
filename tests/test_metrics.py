"""GET /metrics: Harvest requests by endpoint class and status, 429s, limiter waits, the
budget left, Slack ack and answer latency, requests by state, cache counts — labels
without names or IDs, a bearer token when one is set, and all workers in one answer."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import HM, JOB_ID, Bot

ROOT = Path(__file__).resolve().parents[1]


def scrape(bot: Bot, **headers: str) -> str:
    resp = bot.web.get("/metrics", headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.headers["Content-Type"].startswith("text/plain")
    return resp.get_data(as_text=True)


def value(text: str, name: str, **labels: str) -> float:
    """The sample's value (0 if absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def test_a_job_view_shows_in_the_metrics(bot, gh):
    before = scrape(bot)
    bot.command(f"job {JOB_ID}", user=HM)
    after = scrape(bot)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("bot_harvest_requests_total", endpoint="/jobs/:id", method="GET", status="200") == 1
    assert delta("bot_harvest_requests_total", endpoint="/candidates", method="GET", status="200") == 1
    assert delta("bot_harvest_limiter_wait_seconds_count") == len(gh.calls)
    assert value(after, "bot_harvest_budget_remaining") == gh.rate_limit - 1
    assert value(after, "bot_harvest_budget_limit") == gh.rate_limit
    assert delta("bot_slack_ack_seconds_count", kind="command") == 1
    assert delta("bot_answer_seconds_count", command="job") == 1
    assert delta("bot_answer_seconds_bucket", command="job", le="+Inf") == 1
    # Nothing that names a person, a job or a candidate, and no ID.
    # (An ID is looked for in the labels only: digits like 6404 can occur inside any sample's value.)
    labels = " ".join(re.findall(r"\{[^}]*\}", after))
    assert str(JOB_ID) not in labels
    for private in ("Archaeologist", "Hannah", "hannah@acme.test", "Ada Lovelace", HM):
        assert private not in after


def test_429s_are_counted(bot, gh):
    before = scrape(bot)
    gh.fail("GET", f"/jobs/{JOB_ID}", 429, {"message": "slow down"}, headers={"Retry-After": "0"})
    bot.command(f"job {JOB_ID}", user=HM)
    after = scrape(bot)
    assert value(after, "bot_harvest_rate_limited_total") - value(before, "bot_harvest_rate_limited_total") == 1
    assert value(after, "bot_harvest_requests_total", endpoint="/jobs/:id", status="429") - value(
        before, "bot_harvest_requests_total", endpoint="/jobs/:id", status="429") == 1


def test_requests_by_state(bot, gh):
    bot.command(f"close {JOB_ID} on hold", user=HM)
    text = scrape(bot)
    assert value(text, "bot_approval_requests", state="requested") == 1
    assert value(text, "bot_approval_requests", state="executing") == 0
    assert value(text, "bot_approval_executing_oldest_seconds") == 0


def test_token_required_when_set(tmp_path, slack, gh):
    bot = Bot.build(tmp_path, slack, gh, bot_metrics_token="metrics-token-51ab")
    assert bot.web.get("/metrics").status_code == 401
    assert bot.web.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert bot.web.get("/metrics", headers={"Authorization": "metrics-token-51ab"}).status_code == 401
    assert "bot_harvest_requests_total" in scrape(bot, Authorization="Bearer metrics-token-51ab")


def test_endpoint_class_keeps_no_ids():
    from bot.metrics import endpoint_class

    assert endpoint_class("/jobs/6404/openings/4542441002") == "/jobs/:id/openings/:id"
    assert endpoint_class("/users?email=someone@acme.test") == "/users"
    assert endpoint_class("/applications/11/reject") == "/applications/:id/reject"


WORKER = textwrap.dedent("""
    import sys
    from bot.metrics import HarvestMetrics
    m = HarvestMetrics()
    m.harvest_request("GET", "/jobs/1", 200, 0.1)
    m.budget(50, int(sys.argv[1]))
""")
SCRAPE = "from bot.metrics import exposition; import sys; sys.stdout.write(exposition().decode())"


def test_two_gunicorn_workers_answer_as_one(tmp_path):
    """prometheus_client's multiprocess mode, set up as gunicorn.conf.py does it."""
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    conf: dict[str, Any] = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), conf)  # noqa: S102
    saved = os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "prom")
    try:
        conf["on_starting"](None)  # what the gunicorn master does before forking
        env["PROMETHEUS_MULTIPROC_DIR"] = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if saved is not None:
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = saved
    for remaining in ("40", "37"):  # two workers, one after the other
        subprocess.run([sys.executable, "-c", WORKER, remaining], cwd=ROOT, env=env, check=True)
    out = subprocess.run([sys.executable, "-c", SCRAPE], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    assert value(out, "bot_harvest_requests_total", endpoint="/jobs/:id", status="200") == 2
    assert value(out, "bot_harvest_budget_remaining") == 37  # the most recent answer, whichever worker


def test_view_cache_hits_misses_and_size(tmp_path, slack, gh):
    bot = Bot.build(tmp_path, slack, gh, bot_view_cache_s=30)
    before = scrape(bot)
    bot.command(f"job {JOB_ID}", user=HM)
    bot.command(f"job {JOB_ID}", user=HM)  # within 30 s: from the cache
    after = scrape(bot)
    hits = value(after, "bot_cache_hits_total", cache="job_view") - value(before, "bot_cache_hits_total", cache="job_view")
    misses = value(after, "bot_cache_misses_total", cache="job_view") - value(
        before, "bot_cache_misses_total", cache="job_view")
    assert (hits, misses) == (1, 1)
    cache = bot.services.job_views.cache
    assert value(after, "bot_cache_entries", cache="job_view") == len(cache) == 1
    assert value(after, "bot_cache_bytes", cache="job_view") == cache.nbytes > 0
    assert value(after, "bot_cache_hits_total", cache="user_directory") >= 1


def test_view_cache_stays_within_its_bytes(tmp_path, slack, gh):
    bot = Bot.build(tmp_path, slack, gh, bot_view_cache_mb=0.05, bot_admins="UADMIN")
    for jid in range(9000, 9030):
        gh.add_job(jid, f"Job {jid}", openings=[])
        for i in range(20):
            gh.add_candidate(jid * 100 + i, f"Someone Number{i}", [gh.application(jid * 1000 + i, jid)])
        bot.command(f"job {jid}", user="UADMIN")
    cache = bot.services.job_views.cache
    assert 0 < cache.nbytes <= 0.05 * 1024 * 1024 and len(cache) < 30
