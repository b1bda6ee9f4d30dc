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
import hashlib
import hmac
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.demo.greenhouse import FakeGreenhouse  # noqa: E402
from bot.demo.harvest_server import serve_harvest  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

SECRET = "kill9-signing-secret"
GH_KEY = "kill9-key"
JOB = 6404
OPENINGS = (1001, 1002, 1003)
USERS = {101: ("Hannah Manager", "hannah@acme.test"), 102: ("Rita Recruiter", "rita@acme.test")}


def kill9_world() -> FakeGreenhouse:
    """Hannah (hiring manager) and Rita (recruiter) on one job with three open openings."""
    gh = FakeGreenhouse(api_key=GH_KEY)
    for uid, (name, email) in USERS.items():
        gh.add_user(uid, name, email)
    gh.close_reasons.append({"id": 7, "name": "On Hold"})
    gh.add_job(JOB, "Archaeologist", team={"hiring_managers": [101], "recruiters": [102]},
               openings=[gh.opening(o) for o in OPENINGS])
    return gh


class FakeHarvest:
    """The project's fake Greenhouse (bot/demo/greenhouse.py) over HTTP, with slow writes so
    a kill lands mid-execution: a delayed write still lands after the bot that sent it died,
    like a request already on its way to Greenhouse."""

    def __init__(self, write_delay_s: float = 0.25, *, limit: int | None = None, window_s: float = 10.0) -> None:
        self.first_patch_429_s: float | None = None  # --slow: the first PATCH of a round gets 429 + Retry-After
        self.lock = threading.Lock()  # the fake locks itself; kept for the callers' `with harvest.lock`
        # `limit` requests per `window_s` enforced, as Greenhouse does (None: unlimited)
        self.server = serve_harvest(kill9_world(), write_latency_s=write_delay_s, limit=limit, window_s=window_s)
        self.url = self.server.url
        self.reset()

    def reset(self) -> None:
        fake = kill9_world()
        if self.first_patch_429_s is not None:
            fake.fail("PATCH", rf"/jobs/{JOB}/openings/\d+", 429, {"message": "Rate limit exceeded"},
                      headers={"Retry-After": str(self.first_patch_429_s)})
        self.server.fake = fake

    @property
    def patches(self) -> dict[int, int]:
        """PATCHes accepted (200) per opening: a second one for the same opening is a doubled write."""
        counts = {o: 0 for o in OPENINGS}
        for call in self.server.fake.writes():
            if call.method == "PATCH" and call.status == 200:
                counts[int(call.path.rsplit("/", 1)[1])] += 1
        return counts

    @property
    def openings(self) -> dict[int, str]:
        return {o["id"]: o["status"] for o in self.server.fake.jobs[JOB]["openings"]}

    @property
    def refused_429(self) -> int:
        return sum(call.status == 429 for call in self.server.fake.writes())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    def __init__(self, env: dict[str, str], port: int) -> None:
        self.port = port
        # KILL9_LOGS=<dir>: each bot process's output kept there (for looking into a failed round)
        logs = os.environ.get("KILL9_LOGS")
        out = open(Path(logs) / f"bot-{time.time():.3f}.log", "wb") if logs else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env, start_new_session=True,
                                     stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError("bot did not become healthy")

    def post(self, body: str) -> int:
        ts = str(int(time.time()))
        sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/slack/events", data=body.encode(), method="POST", headers={
            "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts, "x-slack-signature": sig})
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)


def command(bot: BotProcess, slack: FakeSlack, text: str, user: str) -> None:
    bot.post(urlencode({"command": "/greenhouse", "text": text, "user_id": user, "channel_id": "CASK", "team_id": "T1",
                        "response_url": slack.response_url(user), "trigger_id": "t"}))


def click(bot: BotProcess, slack: FakeSlack, action_id: str, request_id: str, user: str) -> None:
    payload = {"type": "block_actions", "user": {"id": user}, "team": {"id": "T1"}, "channel": {"id": "CAPPROVALS"},
               "container": {"type": "message", "message_ts": "1.1"}, "trigger_id": "t", "response_url": slack.response_url(user),
               "actions": [{"action_id": action_id, "value": request_id, "type": "button", "block_id": "decision"}]}
    bot.post(urlencode({"payload": json.dumps(payload)}))


# --database-url / --postgres: every round on a fresh schema of this PostgreSQL instead of a new SQLite file.
DATABASE_URL: str | None = None


def store_for(workdir: Path, name: str) -> str:
    if DATABASE_URL:
        from tests.pg_cluster import fresh_schema

        return fresh_schema(DATABASE_URL)[1]
    return str(workdir / f"{name}.sqlite")


def request_field(db: str, request_id: str, field: str) -> Any:
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db) as conn:
            row = conn.execute("SELECT value FROM records WHERE kind = 'requests' AND key = %s", (request_id,)).fetchone()
        return row[0][field] if row else None
    with sqlite3.connect(db) as conn:
        row = conn.execute('SELECT value FROM "requests" WHERE key = ?', (request_id,)).fetchone()
    return json.loads(row[0])[field] if row else None


def request_state(db: str, request_id: str) -> str:
    return request_field(db, request_id, "state") or "missing"


def wait_until(check, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def fresh_start(harvest: FakeHarvest, slack: FakeSlack, db: str, *, reset: bool = True) -> tuple[dict[str, str], int]:
    """Reset the fakes; the bot's environment and port for a round on database `db`."""
    if reset:
        harvest.reset()
        slack.reset()
    port = free_port()
    env = {**{k: v for k, v in os.environ.items()
              if not k.startswith(("SLACK_", "GREENHOUSE_", "BOT_")) and k != "DATABASE_URL"},
           "SLACK_BOT_TOKEN": "xoxb-kill9", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.base_url,
           "GREENHOUSE_API_KEY": GH_KEY, "GREENHOUSE_API_URL": harvest.url,
           ("DATABASE_URL" if db.startswith("postgresql://") else "BOT_DB_PATH"): db,
           "BOT_APPROVALS_CHANNEL": "CAPPROVALS", "BOT_POLL_INTERVAL_S": "0", "PORT": str(port)}
    return env, port


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
    global DATABASE_URL
    if args.postgres and not args.database_url:
        from tests.pg_cluster import Cluster

        cluster = Cluster()
        atexit.register(cluster.stop)
        args.database_url = cluster.url
    DATABASE_URL = args.database_url
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
