"""kill -9 during an approved execution, then restart: no write lost, none doubled.

Each round: a fresh bot process (HTTP mode, `python -m bot`) against a local fake
Harvest (v1, slow writes) and a local fake Slack. A hiring manager asks to close a
job with 3 open openings, a recruiter approves, and after a random delay the whole
bot process group gets SIGKILL. The bot is started again; start-up reconciles the
request by reading Greenhouse; if it is `failed`, the recruiter clicks Retry. The
round passes when every opening was closed and no opening got two PATCHes.

    python bench/kill9.py --rounds 20
    python bench/kill9.py --rounds 50 --postgres     # the same on PostgreSQL (a throwaway cluster;
                                                    # or --database-url URL), a fresh schema per round

`--slow`: Greenhouse is slow instead. Two bot processes (two workers) share one
database, with a 1 s claim lease and housekeeping every 0.3 s; Greenhouse answers
the first PATCH with 429 and `Retry-After: 3` (three leases). While the first
worker waits, the recruiter clicks Retry on the second; in half the rounds the
first worker is also SIGKILLed during its wait (the second then takes the
request over, reads Greenhouse and is retried). The round passes when every
opening was closed and Greenhouse accepted exactly one PATCH per opening.

`--bulk`: a close-and-reject-the-rest of 20 candidates instead, SIGKILLed `--kills`
times per round (default 2: in the first run and again in the run Retry starts);
each opening closed once and each application rejected once (bench/kill9_bulk.py).

    python bench/kill9.py --bulk --rounds 20 [--postgres]

`--move`: an approved stage move (`advance`) instead, SIGKILLed `--kills` times per round;
the application moved once, and the request says so (bench/kill9_move.py).

    python bench/kill9.py --move --rounds 40 [--postgres]

`--undo`: an undo of a rejection the bot made, SIGKILLed `--kills` times per round; the
application unrejected once, and the request says so (bench/kill9_undo.py).

    python bench/kill9.py --undo --rounds 40 [--postgres]

Loopback only; every loop is bounded; prints a summary and exits non-zero on a violation.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import random
import re
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import kill9_harness  # noqa: E402
from bench.kill9_harness import (  # noqa: E402
    JOB, FakeHarvest, BotProcess, command, click, store_for, request_field, request_state, wait_until, fresh_start,
)
from tests.fakes.slack_api import FakeSlack  # noqa: E402


def ask_and_approve(bot: BotProcess, slack: FakeSlack) -> str:
    """The hiring manager asks to close the job; the recruiter clicks Approve. Returns the request ID."""
    command(bot, slack, f"close {JOB} on hold", "UHM")
    assert wait_until(lambda: any("thread_ts" in m for m in slack.calls_to("chat.postMessage"))), "request not posted"
    thread = next(m for m in slack.calls_to("chat.postMessage") if "thread_ts" in m)
    request_id = re.search(r"req-[0-9a-f]+", json.dumps(thread["blocks"]))[0]
    click(bot, slack, "request_approve", request_id, "URC")
    return request_id


def one_round(harvest: FakeHarvest, slack: FakeSlack, workdir: Path, n: int, max_delay_s: float) -> dict:
    db = store_for(workdir, f"round{n}")
    env, port = fresh_start(harvest, slack, db)
    bot = BotProcess(env, port)
    try:
        request_id = ask_and_approve(bot, slack)
        delay = random.uniform(0, max_delay_s)
        time.sleep(delay)
        state_at_kill = request_state(db, request_id)
        bot.kill()
        bot = BotProcess(env, port)  # start-up reconciles what the dead process left executing
        wait_until(lambda: request_state(db, request_id) not in ("executing",), 10)
        if request_state(db, request_id) == "requested":  # killed before the click was processed
            click(bot, slack, "request_approve", request_id, "URC")
        wait_until(lambda: request_state(db, request_id) in ("done", "failed"), 10)
        retried = False
        if request_state(db, request_id) == "failed":
            retried = True
            click(bot, slack, "request_retry", request_id, "URC")
            wait_until(lambda: request_state(db, request_id) == "done", 10)
        final = request_state(db, request_id)
    finally:
        bot.kill()
    with harvest.lock:
        patches = dict(harvest.patches)
        all_closed = all(s == "closed" for s in harvest.openings.values())
    return {"round": n, "kill_after_s": round(delay, 3), "state_at_kill": state_at_kill, "final": final,
            "retried": retried, "patches": patches, "lost": not all_closed, "doubled": any(c > 1 for c in patches.values())}


def slow_round(harvest: FakeHarvest, slack: FakeSlack, workdir: Path, n: int, retry_after_s: float, kill: bool) -> dict:
    """Two workers on one database; Greenhouse keeps the first worker waiting three leases."""
    db = store_for(workdir, f"slow{n}")
    env_a, port_a = fresh_start(harvest, slack, db)
    env_b, port_b = fresh_start(harvest, slack, db, reset=False)
    timing = {"BOT_CLAIM_LEASE_S": "1", "BOT_HOUSEKEEPING_INTERVAL_S": "0.3"}
    a = BotProcess({**env_a, **timing}, port_a)
    b = BotProcess({**env_b, **timing}, port_b)
    try:
        request_id = ask_and_approve(a, slack)
        assert wait_until(lambda: harvest.refused_429 > 0, 30), \
            f"no PATCH reached Greenhouse: request {request_state(db, request_id)}, replies {slack.responses()}"
        time.sleep(random.uniform(0, retry_after_s * 0.5))
        if kill:
            a.kill()  # mid-wait: the second worker must take over, read Greenhouse, and be retried
        waited_until = time.monotonic() + retry_after_s * 0.5
        while time.monotonic() < waited_until:
            if request_state(db, request_id) == "executing":
                click(b, slack, "request_retry", request_id, "URC")
            time.sleep(0.25)
        wait_until(lambda: request_state(db, request_id) in ("done", "failed"), retry_after_s * 4)
        if request_state(db, request_id) == "failed":
            click(b, slack, "request_retry", request_id, "URC")
            wait_until(lambda: request_state(db, request_id) == "done", 10)
        time.sleep(retry_after_s if not kill else 0.1)  # a stale first worker would PATCH after its wait: let it
        final = request_state(db, request_id)
        retried = request_field(db, request_id, "attempts") > 1
        retries_refused = sum("being carried out now" in json.dumps(r) for r in slack.responses())
    finally:
        a.kill()
        b.kill()
    with harvest.lock:
        patches = dict(harvest.patches)
        all_closed = all(s == "closed" for s in harvest.openings.values())
    return {"round": n, "killed": kill, "final": final, "retried": retried, "retry_clicks_while_live": retries_refused,
            "patches": patches, "lost": not all_closed, "doubled": any(c > 1 for c in patches.values())}


def graceful_round(harvest: FakeHarvest, slack: FakeSlack, workdir: Path, n: int) -> dict:
    """SIGTERM (a deploy) right after the click: the execution in flight must finish
    before the process exits, with no restart needed."""
    db = store_for(workdir, f"graceful{n}")
    env, port = fresh_start(harvest, slack, db)
    bot = BotProcess(env, port)
    try:
        request_id = ask_and_approve(bot, slack)
        time.sleep(0.1)
        state_at_term = request_state(db, request_id)
        os.killpg(bot.proc.pid, signal.SIGTERM)
        bot.proc.wait(60)
    finally:
        bot.kill()
    with harvest.lock:
        patches = dict(harvest.patches)
    final = request_state(db, request_id)
    return {"round": n, "state_at_term": state_at_term, "final": final, "patches": patches,
            "finished": final == "done" and all(c == 1 for c in patches.values())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--max-delay", type=float, help="kill within this many seconds of the click (default 1; --bulk 3.5; --move 0.6; --undo 0.35)")
    parser.add_argument("--graceful", action="store_true", help="SIGTERM instead: in-flight work must finish")
    parser.add_argument("--slow", action="store_true", help="429 with Retry-After of 3 leases, two workers (see above)")
    parser.add_argument("--bulk", action="store_true", help="close and reject the rest of 20 candidates (see above)")
    parser.add_argument("--move", action="store_true", help="an approved stage move (see above)")
    parser.add_argument("--undo", action="store_true", help="an undo of a rejection (see above)")
    parser.add_argument("--kills", type=int, default=2, help="--bulk, --move, --undo: SIGKILLs per round")
    parser.add_argument("--database-url", help="run every round on PostgreSQL (a fresh schema each) instead of SQLite")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL cluster for the run")
    args = parser.parse_args()
    if args.postgres and not args.database_url:
        from tests.pg_cluster import Cluster

        cluster = Cluster()
        atexit.register(cluster.stop)
        args.database_url = cluster.url
    kill9_harness.DATABASE_URL = DATABASE_URL = args.database_url
    if args.bulk:
        from bench import kill9_bulk

        return kill9_bulk.main(args.rounds, args.kills, args.max_delay or 3.5, DATABASE_URL)
    if args.move:
        from bench import kill9_move

        return kill9_move.main(args.rounds, args.kills, args.max_delay or 0.6, DATABASE_URL)
    if args.undo:
        from bench import kill9_undo

        return kill9_undo.main(args.rounds, args.kills, args.max_delay or 0.35, DATABASE_URL)
    harvest, slack = FakeHarvest(), FakeSlack()
    slack.users.update({"UHM": {"email": "hannah@acme.test"}, "URC": {"email": "rita@acme.test"}})
    if args.slow:
        return slow_main(harvest, slack, args.rounds)
    if args.graceful:
        with tempfile.TemporaryDirectory() as tmp:
            rounds = [graceful_round(harvest, slack, Path(tmp), n) for n in range(1, args.rounds + 1)]
        for r in rounds:
            print(f"round {r['round']:3d}: SIGTERM in state {r['state_at_term']:<10} → {r['final']:<9} PATCHes={sorted(r['patches'].values())}")
        unfinished = sum(not r["finished"] for r in rounds)
        print(f"\n{len(rounds)} graceful stops: in-flight executions unfinished in {unfinished}")
        slack.stop()
        return 1 if unfinished else 0
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(1, args.rounds + 1):
            results.append(one_round(harvest, slack, Path(tmp), n, args.max_delay or 1.0))
            r = results[-1]
            print(f"round {n:3d}: killed after {r['kill_after_s']:.3f}s in state {r['state_at_kill']:<10} "
                  f"→ {r['final']:<6} retried={r['retried']!s:<5} PATCHes={sorted(r['patches'].values())}", flush=True)
    slack.stop()
    lost = sum(r["lost"] for r in results)
    doubled = sum(r["doubled"] for r in results)
    mid = sum(r["state_at_kill"] == "executing" for r in results)
    print(f"\n{len(results)} rounds on {'postgres' if DATABASE_URL else 'sqlite'}, {mid} killed mid-execution: "
          f"writes lost in {lost}, doubled in {doubled}")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"kill9{'-postgres' if DATABASE_URL else ''}.json").write_text(json.dumps(results, indent=1))
    return 1 if lost or doubled else 0


def slow_main(harvest: FakeHarvest, slack: FakeSlack, rounds: int) -> int:
    retry_after_s = 3.0
    harvest.first_patch_429_s = retry_after_s
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(1, rounds + 1):
            results.append(slow_round(harvest, slack, Path(tmp), n, retry_after_s, kill=n % 2 == 0))
            r = results[-1]
            print(f"round {n:3d}: first worker {'killed' if r['killed'] else 'alive ':<6} during Retry-After → {r['final']:<6} "
                  f"retried={r['retried']!s:<5} Retry refused while live={r['retry_clicks_while_live']} "
                  f"accepted PATCHes={sorted(r['patches'].values())}", flush=True)
    slack.stop()
    lost = sum(r["lost"] for r in results)
    doubled = sum(r["doubled"] for r in results)
    killed = sum(r["killed"] for r in results)
    print(f"\n{len(results)} rounds with Retry-After = 3 leases ({killed} with the waiting worker killed): "
          f"writes lost in {lost}, doubled in {doubled}")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "kill9-slow.json").write_text(json.dumps(results, indent=1))
    return 1 if lost or doubled else 0


if __name__ == "__main__":
    sys.exit(main())
