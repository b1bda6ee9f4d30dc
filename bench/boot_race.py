"""Fresh boots of the Procfile's topology: does every worker start on a NEW store?

Each boot: a new, empty store (a SQLite path that does not exist yet, or with
--database-url a fresh PostgreSQL schema), then the Procfile's `web:` command as
written (gunicorn, 2 workers) against a local fake Slack and fake Harvest. A boot
counts as good when both workers log `bot_started` and the master is still up;
a worker that fails to boot makes gunicorn exit, which counts as bad. The two
workers open the new store at the same instant, which is the race issue 16
measured (SQLite: "database is locked" while switching to WAL).

    python bench/boot_race.py --boots 100
    python bench/boot_race.py --boots 100 --database-url postgresql://…   # or --postgres: a throwaway cluster

Loopback only; every wait is bounded; exits non-zero if any boot failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.replicas import bot_env, free_port  # noqa: E402
from bot.demo.greenhouse import FakeGreenhouse  # noqa: E402
from bot.demo.harvest_server import HarvestServer  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

SECRET = "boot-race-secret"


def procfile_web() -> list[str]:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return shlex.split(line.removeprefix("web:").strip())
    raise SystemExit("Procfile has no web: line")


def workers_of(argv: list[str]) -> int:
    return int(argv[argv.index("--workers") + 1]) if "--workers" in argv else 1


def one_boot(n: int, store: str, env_base: dict[str, str], workdir: Path, timeout_s: float) -> dict:
    port = free_port()
    argv = [a.replace("$PORT", str(port)) for a in procfile_web()]
    argv[0] = str(Path(sys.executable).with_name(argv[0]))  # the venv's gunicorn
    env = {**env_base, "PORT": str(port)}
    env.pop("DATABASE_URL", None)
    env.pop("BOT_DB_PATH", None)
    env["DATABASE_URL" if store.startswith(("postgres://", "postgresql://")) else "BOT_DB_PATH"] = store
    log_path = workdir / f"boot{n}.log"
    started = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        want, outcome = workers_of(argv), "timeout"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = log_path.read_text(errors="replace")
            if proc.poll() is not None:
                outcome = "master exited"
                break
            if "Worker failed to boot" in text or "Exception in worker process" in text:
                outcome = "worker failed"
                break
            if text.count("bot_started") >= want:
                outcome = "ok"
                break
            time.sleep(0.05)
        boot_s = time.monotonic() - started
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)
    text = log_path.read_text(errors="replace")
    error = next((line for line in text.splitlines() if "locked" in line or "Error:" in line), None)
    if outcome == "ok":
        log_path.unlink()
    else:  # keep the whole log of a failed boot to read later
        kept = ROOT / "bench" / "out" / "boot-race-failures"
        kept.mkdir(parents=True, exist_ok=True)
        log_path.rename(kept / f"{int(time.time())}-{log_path.name}")
    return {"boot": n, "outcome": outcome, "seconds": round(boot_s, 2), "error": error}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boots", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds one boot may take")
    parser.add_argument("--database-url", help="boot on PostgreSQL (a fresh schema per boot) instead of SQLite")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL cluster for this run")
    args = parser.parse_args()
    cluster = None
    if args.postgres and not args.database_url:
        from tests.pg_cluster import Cluster

        cluster = Cluster()
        args.database_url = cluster.url
    slack, gh = FakeSlack(), FakeGreenhouse()
    harvest = HarvestServer(gh)
    env_base = bot_env(secret=SECRET, slack_url=slack.base_url, harvest_url=harvest.url, harvest_key="boot-key",
                       store="unused.sqlite")
    results = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in range(1, args.boots + 1):
                if args.database_url:
                    from tests.pg_cluster import fresh_schema

                    _, store = fresh_schema(args.database_url)
                else:
                    store = str(Path(tmp) / f"boot{n}" / "data" / "bot.sqlite")
                r = one_boot(n, store, env_base, Path(tmp), args.timeout)
                results.append(r)
                print(f"boot {n:3d}: {r['outcome']:<14} {r['seconds']:5.2f}s {r['error'] or ''}", flush=True)
    finally:
        harvest.close()
        slack.stop()
        if cluster:
            cluster.stop()
    good = sum(r["outcome"] == "ok" for r in results)
    backend = "postgres" if args.database_url else "sqlite"
    secs = sorted(r["seconds"] for r in results if r["outcome"] == "ok")
    median = secs[len(secs) // 2] if secs else None
    print(f"\n{backend}: {good} of {len(results)} fresh boots of the Procfile's web: line "
          f"({workers_of(procfile_web())} workers) started every worker; median boot {median}s")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"boot_race_{backend}.json").write_text(json.dumps(results, indent=1))
    return 0 if good == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
