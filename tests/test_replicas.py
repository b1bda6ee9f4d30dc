"""Three bot processes on one PostgreSQL, as three dynos behind a load balancer:
two approvers click Approve ten times each, spread over the three, all at once."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter

from bench.replicas import bot_env, request_state, start_replicas, wait_until
from bot.demo.harvest_server import HarvestServer
from bot.store import Store
from tests.conftest import COORDINATOR, HM, JOB_ID, OPEN_OPENINGS, RECRUITER, seed_world
from tests.fakes.greenhouse import FakeGreenhouse
from tests.fakes.slack_api import FakeSlack

SECRET = "replicas-signing-secret"


def test_three_replicas_twenty_clicks_one_write_per_opening(pg_url, tmp_path):  # type: ignore[no-untyped-def]
    gh = FakeGreenhouse()
    seed_world(gh)
    slack = FakeSlack()
    slack.users.update({HM: {"email": "hannah@acme.test"}, RECRUITER: {"email": "rita@acme.test"},
                        COORDINATOR: {"email": "cody@acme.test"}})
    harvest = HarvestServer(gh, latency_s=0.05)
    env = bot_env(secret=SECRET, slack_url=slack.base_url, harvest_url=harvest.url, harvest_key="replica-key",
                  store=pg_url, BOT_APPROVALS_CHANNEL="CAPPROVALS")
    replicas = start_replicas(3, env, secret=SECRET, log_dir=tmp_path)
    store = Store(pg_url)
    try:
        replicas[0].command(f"close {JOB_ID} on hold", HM, slack.response_url("hm"))
        assert wait_until(lambda: any("thread_ts" in m for m in slack.calls_to("chat.postMessage")), 20)
        thread = next(m for m in slack.calls_to("chat.postMessage") if "thread_ts" in m)
        request_id = re.search(r"req-[0-9a-f]+", json.dumps(thread["blocks"]))[0]
        assert wait_until(lambda: request_state(store, request_id) == "requested", 10)

        start = threading.Barrier(20)
        statuses: list[int] = []

        def click(i: int) -> None:
            user = (RECRUITER, COORDINATOR)[i % 2]
            start.wait(10)
            statuses.append(replicas[i % 3].click("request_approve", request_id, user, slack.response_url(f"{user}-{i}")))

        clickers = [threading.Thread(target=click, args=(i,)) for i in range(20)]
        [t.start() for t in clickers]
        [t.join(30) for t in clickers]
        assert statuses == [200] * 20  # every click acked
        assert wait_until(lambda: request_state(store, request_id) == "done", 30), request_state(store, request_id)
        assert wait_until(lambda: len(slack.responses()) >= 19, 20)
    finally:
        for r in replicas:
            r.stop()
        store.close()
        harvest.close()
        slack.stop()

    patches = Counter(c.path for c in gh.writes() if c.method == "PATCH")
    assert patches == {f"/jobs/{JOB_ID}/openings/{o}": 1 for o in OPEN_OPENINGS}
    assert len(gh.writes()) == len(OPEN_OPENINGS)
    told_already = [r for r in slack.responses() if "Already approved" in json.dumps(r)]
    assert len(told_already) == 19  # every other click was told who won
    final = Store(pg_url)
    audit = final.find("audit", request_id=request_id)
    final.close()
    assert [e["to"] for e in audit].count("executing") == 1
