"""The 100-command burst against THREE bot replicas on one store (PostgreSQL by default).

Three `python -m bot` processes (as three dynos) share one store and one Harvest
credential. The fake Harvest enforces 50 requests per 10 s (sliding window, 429
with Retry-After past it), answers in 200 ms, and counts every request that
arrives over the limit. 20 users each run `whoami` once (warm-up), then 100
`/greenhouse job <id>` commands on 20 jobs go out within 1 s, spread round-robin
over the three replicas, with the job-view cache off (BOT_VIEW_CACHE_S=0), as in
issue 10's measurement. Reported: Harvest requests, requests over the limit (goal
0), 429s, and answers that tell a user about a rate limit (goal 0).

    python bench/replicas_burst.py                      # a throwaway PostgreSQL cluster
    python bench/replicas_burst.py --database-url URL   # a PostgreSQL you have
    python bench/replicas_burst.py --sqlite             # three processes on one SQLite file

`--one-job`: issue 17 item 2 across replicas instead. 18 people open the SAME 1,200-candidate
job within 0.2 s, spread over the replicas, with the bot's default view reuse (30 s); what
one view of an identical job costs alone is measured first. `--no-shared-reads` runs the
same with BOT_SHARED_READS=false (each replica reads for itself: the "before").

    python bench/replicas_burst.py --one-job [--no-shared-reads] [--sqlite]

Loopback only; every wait is bounded.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fake_harvest import FakeHarvestServer  # noqa: E402
from bench.replicas import bench_store, bot_env, start_replicas  # noqa: E402
from bench.run import (  # noqa: E402
    ADMIN, GH_KEY, SIGNING_SECRET, Answers, Profile, SlackSide, build_world, send_at_offsets, summarize_commands,
)
from tests.fakes.slack_api import FakeSlack  # noqa: E402

PROFILE = Profile(sizes=(), ack_commands=0, ack_rate_per_s=1, burst_commands=100, burst_jobs=20, burst_spread_s=1.0,
                  users=20, small_job_apps=10)
# --one-job: two jobs of the same size (one to measure a view alone, one for the crowd).
ONE_JOB = Profile(sizes=(1200, 1201), ack_commands=0, ack_rate_per_s=1, burst_commands=18, burst_jobs=1,
                  burst_spread_s=0.2, users=18, small_job_apps=10)


def send_spread(sides: list[SlackSide], plan: list[tuple[float, str, str, str]]) -> list:
    """Each (offset, user, text, id) at its offset, to replica i % n, each on its own thread."""
    return send_at_offsets(plan, lambda i, user, text, bench_id: sides[i % len(sides)].command(user, text, bench_id))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--database-url")
    parser.add_argument("--sqlite", action="store_true", help="the replicas share one SQLite file instead")
    parser.add_argument("--one-job", action="store_true", help="18 views of one 1,200-candidate job (issue 17 item 2)")
    parser.add_argument("--no-shared-reads", action="store_true", help="BOT_SHARED_READS=false (the replicas do not share reads)")
    args = parser.parse_args()
    p = ONE_JOB if args.one_job else PROFILE
    workdir = Path(tempfile.mkdtemp(prefix="replicas-burst-"))
    store, cluster = bench_store(args, workdir)
    world = build_world(p)
    slack, answers = FakeSlack(), Answers()
    slack.handlers["respond"] = answers.record
    for uid, email in world.slack_users.items():
        slack.users[uid] = {"email": email}
    harvest = FakeHarvestServer(world.data, delay_s=p.delay_s, rate_limit=p.rate_limit, window_s=p.window_s,
                                api_key=GH_KEY)
    env = bot_env(secret=SIGNING_SECRET, slack_url=slack.base_url, harvest_url=harvest.base_url, harvest_key=GH_KEY,
                  store=store, BOT_ADMINS=ADMIN, BOT_SHARED_READS="false" if args.no_shared_reads else "true",
                  **({} if args.one_job else {"BOT_VIEW_CACHE_S": "0"}))
    replicas = start_replicas(args.replicas, env, secret=SIGNING_SECRET, log_dir=workdir)
    users = list(world.slack_users)
    try:
        sides = [SlackSide(r.port, slack) for r in replicas]
        ids = sides[0]
        plan = [(i * 0.05, u, "whoami", ids.next_id("warm")) for i, u in enumerate(users)]
        warm = send_spread(sides, plan)
        answers.wait_all([s.bench_id for s in warm], time.monotonic() + 60)
        time.sleep(p.window_s + 0.5)  # let the rate-limit window empty

        one_view = None
        if args.one_job:  # one view alone, of a job like the crowd's, first
            before = harvest.snapshot()
            alone = send_spread(sides, [(0.0, users[0], f"job {world.size_jobs[1201]}", ids.next_id("alone"))])
            answers.wait_all([s.bench_id for s in alone], time.monotonic() + 60)
            time.sleep(0.5)
            one_view = FakeHarvestServer.delta(before, harvest.snapshot())["requests"]
            time.sleep(p.window_s + 0.5)
        before = harvest.snapshot()
        spread = p.burst_spread_s / p.burst_commands
        target = [world.size_jobs[1200]] if args.one_job else world.small_jobs
        plan = [(i * spread, users[i % len(users)], f"job {target[i % len(target)]}", ids.next_id("burst"))
                for i in range(p.burst_commands)]
        t0 = time.monotonic()
        sent = send_spread(sides, plan)
        all_ok = answers.wait_all([s.bench_id for s in sent], t0 + 60 + 3 * (2 * p.burst_commands / p.rate_limit) * p.window_s)
        t_all = time.monotonic() - t0
        time.sleep(0.5)
        summary = summarize_commands(sent, answers, world)
        h = FakeHarvestServer.delta(before, harvest.snapshot())
    finally:
        for r in replicas:
            r.stop()
        harvest.stop()
        slack.stop()
        if cluster:
            cluster.stop()
    backend = "sqlite" if args.sqlite else "postgres"
    result = {
        "mode": "one-job" if args.one_job else "burst", "shared_reads": not args.no_shared_reads,
        "one_view_alone": one_view,
        "backend": backend, "replicas": args.replicas, "commands": len(sent), "all_answered": all_ok,
        "all_answered_s": round(t_all, 1), "harvest_requests": h["requests"], "harvest_over_limit": h["over_limit"],
        "harvest_429": h["status_429"], "rate_limit_reached_user": summary["rate_limit_reached_user"],
        "errors_to_user": summary["errors_to_user"], "wrong_answers": summary["wrong_answers"],
        "ack_p99_ms": summary["ack_p99_ms"], "acks_failed": summary["acks_failed"],
        "final_p50_ms": summary["final_p50_ms"], "final_p99_ms": summary["final_p99_ms"],
    }
    print(json.dumps(result, indent=1))
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    name = f"replicas-{'one-job' if args.one_job else 'burst'}-{backend}{'-unshared' if args.no_shared_reads else ''}"
    (out / f"{name}.json").write_text(json.dumps(result, indent=1))
    return 0 if all_ok and h["over_limit"] == 0 and summary["rate_limit_reached_user"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
