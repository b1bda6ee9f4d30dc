"""Several bot processes (`python -m bot`, HTTP mode) on one store, for tests and benchmarks.

Each replica is a real process on its own port, as several dynos or VMs behind a
load balancer would be; they share only the store (DATABASE_URL, or a SQLite file)
and the fakes' URLs. Loopback only; every wait is bounded.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_store(args: Any, workdir: Path) -> tuple[str, Any]:
    """The store a bench's processes share: a SQLite file in `workdir` (`--sqlite`), the
    PostgreSQL of `--database-url`, or a throwaway cluster. Returns (target, cluster to stop or None);
    on PostgreSQL each run gets a fresh schema."""
    if args.sqlite:
        return str(workdir / "bot.sqlite"), None
    from tests.pg_cluster import Cluster, fresh_schema

    cluster = None
    if not args.database_url:
        cluster = Cluster()
        args.database_url = cluster.url
    return fresh_schema(args.database_url)[1], cluster


def bot_env(*, secret: str, slack_url: str, harvest_url: str, harvest_key: str, store: str,
            **extra: str) -> dict[str, str]:
    """The environment of one replica; `store` is a postgres URL or a SQLite path."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "GREENHOUSE_", "BOT_")) and k not in ("DATABASE_URL", "PORT")}
    env.update({"SLACK_BOT_TOKEN": "xoxb-replica-token", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": slack_url,
                "GREENHOUSE_API_KEY": harvest_key, "GREENHOUSE_API_URL": harvest_url,
                "BOT_POLL_INTERVAL_S": "0", **extra})
    if store.startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"] = store
    else:
        env["BOT_DB_PATH"] = store
    return env


class Replica:
    def __init__(self, env: dict[str, str], *, secret: str, log_path: Path | None = None,
                 argv: list[str] | None = None) -> None:
        self.port = free_port()
        self.secret = secret
        self.log_path = log_path
        out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - closed in stop()
        self._out = out
        self.proc = subprocess.Popen(argv or [sys.executable, "-m", "bot"], cwd=ROOT,
                                     env={**env, "PORT": str(self.port)}, start_new_session=True,
                                     stdout=out, stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def wait_healthy(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"replica exited with {self.proc.returncode}")
            if self.healthy():
                return
            time.sleep(0.1)
        raise RuntimeError("replica did not become healthy")

    def post(self, body: str, timeout_s: float = 10) -> int:
        ts = str(int(time.time()))
        sig = "v0=" + hmac.new(self.secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        req = urllib.request.Request(f"{self.url}/slack/events", data=body.encode(), method="POST", headers={
            "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts,
            "x-slack-signature": sig})
        with urllib.request.urlopen(req, timeout=timeout_s) as r:
            return r.status

    def command(self, text: str, user: str, response_url: str, channel: str = "CASK") -> int:
        return self.post(urlencode({"command": "/greenhouse", "text": text, "user_id": user, "channel_id": channel,
                                    "team_id": "T1", "response_url": response_url, "trigger_id": "t"}))

    def click(self, action_id: str, value: str, user: str, response_url: str) -> int:
        payload = {"type": "block_actions", "user": {"id": user}, "team": {"id": "T1"},
                   "channel": {"id": "CAPPROVALS"}, "container": {"type": "message", "message_ts": "1.1"},
                   "trigger_id": "t", "response_url": response_url,
                   "actions": [{"action_id": action_id, "value": value, "type": "button", "block_id": "decision"}]}
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 20) -> None:
        try:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout_s)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        if self._out is not subprocess.DEVNULL:
            self._out.close()


def start_replicas(n: int, env: dict[str, str], *, secret: str, log_dir: Path | None = None) -> list[Replica]:
    """Start `n` replicas at once (they race to open and migrate the store) and wait for all."""
    replicas = [Replica(env, secret=secret, log_path=(log_dir / f"replica{i}.log") if log_dir else None)
                for i in range(n)]
    try:
        for r in replicas:
            r.wait_healthy()
    except BaseException:
        for r in replicas:
            r.stop(signal.SIGKILL)
        raise
    return replicas


def request_state(store: Any, request_id: str) -> str:
    raw = store.get("requests", request_id)
    return raw["state"] if raw else "missing"


def wait_until(check: Any, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False
