"""What every kill -9 bench (bench/kill9.py and its modes: kill9_bulk.py, kill9_move.py,
kill9_undo.py) shares: the fake Harvest and Slack, a bot process started and killed, signed
commands and clicks, and reading a request's state straight from the store.

`DATABASE_URL` is set by bench/kill9.py's command line (--postgres / --database-url): every
round then gets a fresh PostgreSQL schema instead of a SQLite file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
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


def play_rounds(play: Callable[[Path, int], dict], line: Callable[[dict], str], rounds: int) -> list[dict]:
    """Play `rounds` rounds in one temporary directory, printing each round's line as it ends."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(1, rounds + 1):
            results.append(play(Path(tmp), n))
            print(f"round {n:3d}: {line(results[-1])}", flush=True)
    return results


def tally(results: list[dict], working: str) -> dict[str, int]:
    """What the modes' summaries count; `working` is the state a run is in while it writes
    (`executing`, or `undoing` for an undo): a round that ended in it was left unfinished."""
    return {
        "lost": sum(r["lost"] for r in results),
        "doubled": sum(r["doubled"] for r in results),
        "misreported": sum(r["misreported"] for r in results),
        "stuck": sum(r["final"] == working for r in results),
        "mid": sum(k["state"] == working for r in results for k in r["kills"]),
        "kills": sum(len(r["kills"]) for r in results),
    }


def verdict(results: list[dict], mode: str, counts: dict[str, int]) -> int:
    """Keep the rounds in bench/out/kill9-<mode>[-postgres].json; non-zero on any violation."""
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"kill9-{mode}{'-postgres' if DATABASE_URL else ''}.json").write_text(json.dumps(results, indent=1))
    return 1 if counts["lost"] or counts["doubled"] or counts["misreported"] or counts["stuck"] else 0


def store_name() -> str:
    return "postgres" if DATABASE_URL else "sqlite"
