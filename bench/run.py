#!/usr/bin/env python3
"""Benchmark: the bot as a real process (HTTP mode under gunicorn) against a fake
Harvest that adds 200 ms per request and enforces the 50-per-10-s rate limit,
and a fake Slack Web API.

    python bench/run.py            # full run (a few minutes)
    python bench/run.py --quick    # smoke run, smaller sizes (< 60 s)

Measures (issue 2 §6 and issue 6 "Load"):
  a. job view of jobs with 10 / 1,000 / 5,000 active applications: Harvest
     requests per view beside the naive path (list applications, then one
     candidate lookup each), time to the final answer, peak memory of the bot;
  b. ack latency p50/p99 over 200 slash commands, and time until all answered;
  c. burst: 100 slash commands within one second on 20 jobs: ack p50/p99, time
     until all answered, Harvest requests, requests over the limit, 429s that
     reached a user.

Everything listens on 127.0.0.1 (the bot binds where bot/__main__.py says);
every phase has a deadline; the bot subprocess is stopped even on error.
Results go to bench/out/ as JSON, and a Markdown table is printed.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import math
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.fake_harvest import FakeHarvestServer, HarvestData  # noqa: E402
from bot.slack.waits import WAIT_MARK  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

OUT_DIR = ROOT / "bench" / "out"
SIGNING_SECRET = "bench-signing-secret-3c1d"
BOT_TOKEN = "xoxb-bench-bot-token-0000"
GH_KEY = "bench-harvest-key-9f9f"
ADMIN = "UBENCHADMIN"  # configured as admin, never used to ask: askers go through the hiring team
STAGES = ("Application Review", "Phone Screen", "Onsite", "Offer")
# Words that would mean Harvest's rate limit reached a person.
RATE_LIMIT_WORDS = re.compile(r"rate.?limit|too many|busy|429|slow down|try again later", re.I)


@dataclass
class Profile:
    sizes: tuple[int, ...]
    ack_commands: int
    ack_rate_per_s: float
    burst_commands: int
    burst_jobs: int
    burst_spread_s: float
    users: int
    small_job_apps: int
    rate_limit: int = 50
    window_s: float = 10.0
    delay_s: float = 0.200


FULL = Profile(sizes=(10, 1000, 5000), ack_commands=200, ack_rate_per_s=10, burst_commands=100, burst_jobs=20,
               burst_spread_s=1.0, users=20, small_job_apps=10)
QUICK = Profile(sizes=(10, 600), ack_commands=20, ack_rate_per_s=20, burst_commands=20, burst_jobs=5,
                burst_spread_s=1.0, users=5, small_job_apps=10)


# --- the world ------------------------------------------------------------------------------


@dataclass
class World:
    data: HarvestData
    slack_users: dict[str, str]  # slack id -> email
    size_jobs: dict[int, int]  # active applications -> job id
    small_jobs: list[int]
    expected_active: dict[int, int] = field(default_factory=dict)  # job id -> active applications


def build_world(p: Profile) -> World:
    data = HarvestData()
    gh = data.gh
    slack_users: dict[str, str] = {}
    uids = []
    for i in range(p.users):
        email = f"bench{i:02d}@acme.test"
        uid = 5000 + i
        gh.add_user(uid, f"Bench User{i:02d}", email)
        slack_users[f"UBENCH{i:02d}"] = email
        uids.append(uid)
    gh.close_reasons += [{"id": 365, "name": "Hire - New Headcount"}, {"id": 366, "name": "Backfill"}]
    # Every bench user is on every job's hiring team, in one role or another.
    team = {
        "hiring_managers": uids[0::4],
        "recruiters": uids[1::4],
        "coordinators": uids[2::4],
        "sourcers": uids[3::4],
    }

    def add_job(jid: int, name: str) -> None:
        gh.add_job(jid, name, requisition_id=f"REQ-{jid}", team=team,
                   openings=[gh.opening(jid * 10 + 1), gh.opening(jid * 10 + 2, "closed",
                                                                   close_reason={"id": 366, "name": "Backfill"})])

    next_cid = [100_000]

    def add_candidates(jid: int, n: int) -> None:
        for k in range(n):
            cid = next_cid[0]
            next_cid[0] += 1
            gh.add_candidate(cid, f"Cand{cid} Person{k}", [gh.application(cid * 10, jid, stage=STAGES[k % len(STAGES)])])

    world = World(data=data, slack_users=slack_users, size_jobs={}, small_jobs=[])
    for i, n in enumerate(p.sizes):
        jid = 7001 + i
        add_job(jid, f"Sized job {n}")
        add_candidates(jid, n)
        world.size_jobs[n] = jid
        world.expected_active[jid] = n
    for i in range(p.burst_jobs):
        jid = 8001 + i
        add_job(jid, f"Small job {i:02d}")
        add_candidates(jid, p.small_job_apps)
        world.small_jobs.append(jid)
        world.expected_active[jid] = p.small_job_apps
    data.reindex()
    return world


# --- answers seen by the fake Slack ----------------------------------------------------------


class Answers:
    """Every response_url POST, keyed by the bench_id we put in the URL."""

    def __init__(self) -> None:
        self.by_id: dict[str, list[tuple[float, dict[str, Any]]]] = {}
        self._cond = threading.Condition()

    def record(self, params: dict[str, Any]) -> dict[str, Any]:
        bench_id = str(params.get("bench_id", "?"))
        with self._cond:
            self.by_id.setdefault(bench_id, []).append((time.monotonic(), params))
            self._cond.notify_all()
        return {"ok": True}

    def final(self, bench_id: str) -> tuple[float, dict[str, Any]] | None:
        """The answer: the first message that is not a "you are waiting" sentence (bot/slack/waits.py)."""
        with self._cond:
            got = [m for m in self.by_id.get(bench_id) or [] if not str(m[1].get("text", "")).startswith(WAIT_MARK)]
            return got[0] if got else None

    def wait_all(self, ids: list[str], deadline: float) -> bool:
        with self._cond:
            while True:
                if all(self.final(i) for i in ids):
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.5))


# --- talking to the bot like Slack does ------------------------------------------------------


@dataclass
class Sent:
    bench_id: str
    user: str
    text: str
    started: float
    ack_ms: float | None = None
    status: int | None = None
    ack_body: str = ""
    error: str | None = None


class SlackSide:
    def __init__(self, bot_port: int, slack: FakeSlack) -> None:
        self.bot_port = bot_port
        self.slack = slack
        self._n = 0
        self._lock = threading.Lock()

    def next_id(self, tag: str) -> str:
        with self._lock:
            self._n += 1
            return f"{tag}-{self._n}"

    def command(self, user: str, text: str, bench_id: str) -> Sent:
        """POST one signed slash command; the HTTP round trip is the ack latency."""
        response_url = f"http://127.0.0.1:{self.slack.port}/respond/{bench_id}?bench_id={bench_id}"
        body = urlencode({
            "token": "legacy", "team_id": "T1", "channel_id": "CBENCH", "channel_name": "hiring",
            "user_id": user, "user_name": user.lower(), "command": "/greenhouse", "text": text,
            "response_url": response_url, "trigger_id": "1.2.3",
        })
        ts = str(int(time.time()))
        sig = "v0=" + hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        sent = Sent(bench_id=bench_id, user=user, text=text, started=time.monotonic())
        conn = http.client.HTTPConnection("127.0.0.1", self.bot_port, timeout=10)
        try:
            conn.request("POST", "/slack/events", body=body.encode(), headers={
                "content-type": "application/x-www-form-urlencoded",
                "x-slack-request-timestamp": ts, "x-slack-signature": sig,
            })
            resp = conn.getresponse()
            sent.ack_body = resp.read().decode(errors="replace")
            sent.status = resp.status
        except OSError as exc:
            sent.error = f"{type(exc).__name__}: {exc}"
        finally:
            sent.ack_ms = (time.monotonic() - sent.started) * 1000
            conn.close()
        return sent

    def schedule(self, plan: list[tuple[float, str, str, str]]) -> list[Sent]:
        """Send each (offset_s, user, text, bench_id) at its offset from now."""
        return send_at_offsets(plan, lambda i, user, text, bench_id: self.command(user, text, bench_id))


def send_at_offsets(plan: list[tuple[float, str, str, str]], send: Callable[[int, str, str, str], Sent]) -> list[Sent]:
    """Call `send(i, user, text, bench_id)` for each plan row at its offset from now, each on its
    own thread so a slow ack does not delay the next command; the answers, in plan order."""
    results: list[Sent | None] = [None] * len(plan)
    threads = []
    t0 = time.monotonic()

    def go(i: int, user: str, text: str, bench_id: str) -> None:
        results[i] = send(i, user, text, bench_id)

    for i, (offset, user, text, bench_id) in enumerate(plan):
        delay = t0 + offset - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        t = threading.Thread(target=go, args=(i, user, text, bench_id), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join(timeout=30)
    return [r for r in results if r is not None]


# --- the bot process --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    def __init__(self, *, slack_url: str, harvest_url: str, workdir: Path, log_path: Path, admins: str,
                 variant: str = "as-is") -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SLACK_", "GREENHOUSE_", "BOT_")) and k != "PORT"}
        env.update({
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_url,
            "GREENHOUSE_API_KEY": GH_KEY,
            "GREENHOUSE_API_URL": harvest_url,
            "BOT_DB_PATH": str(workdir / "bot.sqlite"),
            "BOT_ADMINS": admins,
            "PORT": str(self.port),
            "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
            "PYTHONUNBUFFERED": "1",
        })
        self.log_path = log_path
        self._log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        # cwd is a temp dir so a developer's .env in the repo cannot change the run.
        if variant == "no-cache":
            env["BOT_VIEW_CACHE_S"] = "0"  # every command reads its job view from Greenhouse
        self.proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=workdir, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait_healthy(self, timeout_s: float = 30) -> float:
        started = time.monotonic()
        deadline = started + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the bot exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                r = httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                if r.status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the bot did not answer /healthz within {timeout_s} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def pids(self) -> list[int]:
        """The bot (gunicorn master) and its descendants (the worker)."""
        found = [self.proc.pid]
        parents: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
        i = 0
        while i < len(found):
            found += parents.get(found[i], [])
            i += 1
        return found

    def memory(self) -> dict[str, Any]:
        """VmHWM (peak resident set) and VmRSS per process, in MiB."""
        procs = {}
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)

            def mib(key: str) -> float:
                return round(int(fields.get(key, "0 kB").split()[0]) / 1024, 1)

            procs[pid] = {"name": fields.get("Name", "").strip(), "peak_mib": mib("VmHWM"), "rss_mib": mib("VmRSS")}
        return {
            "processes": procs,
            "max_peak_mib": max((p["peak_mib"] for p in procs.values()), default=0.0),
            "sum_peak_mib": round(sum(p["peak_mib"] for p in procs.values()), 1),
        }

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # our own session: the master and its worker
                self.proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        self._log.close()

    def harvest_calls_in_log(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for line in self.log_path.read_text(errors="replace").splitlines():
            if "harvest_call" in line:
                m = re.search(r"status=(\S+)", line)
                key = m[1] if m else "?"
                counts[key] = counts.get(key, 0) + 1
        return counts


# --- the naive path ---------------------------------------------------------------------------


def naive_job_view(base_url: str, job_id: int) -> dict[str, Any]:
    """What a straightforward client would do: list the job's active applications,
    then look up each application's candidate for the name."""
    requests = 0
    started = time.monotonic()
    with httpx.Client(auth=(GH_KEY, ""), timeout=30, limits=httpx.Limits(max_connections=16)) as client:
        apps: list[dict[str, Any]] = []
        r = client.get(f"{base_url}/applications", params={"job_id": job_id, "status": "active", "per_page": 500})
        requests += 1
        while True:
            r.raise_for_status()
            apps += r.json()
            nxt = r.links.get("next", {}).get("url")
            if not nxt:
                break
            r = client.get(nxt)
            requests += 1

        def candidate(cid: int) -> str:
            c = client.get(f"{base_url}/candidates/{cid}")
            c.raise_for_status()
            return c.json()["first_name"]

        with ThreadPoolExecutor(16) as pool:
            names = list(pool.map(candidate, [a["candidate_id"] for a in apps]))
        requests += len(names)
    return {"requests": requests, "applications": len(apps), "seconds_unthrottled": round(time.monotonic() - started, 2)}


# --- measurements -----------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return round(ordered[k], 1)


SLACK_ACK_DEADLINE_MS = 3000  # Slack shows the user an error when the ack takes longer


def summarize_commands(sent: list[Sent], answers: Answers, world: World) -> dict[str, Any]:
    # Latency over EVERY command: a 404 or a client time-out (10 s) counts with the time it took.
    acks = [s.ack_ms for s in sent if s.ack_ms is not None]
    ok = [s.ack_ms for s in sent if s.ack_ms is not None and s.status == 200 and s.ack_ms <= SLACK_ACK_DEADLINE_MS]
    finals = []
    wrong = []
    rate_limited_to_user = []
    errors_to_user = []
    unanswered = 0
    for s in sent:
        texts = [s.ack_body]
        got = answers.final(s.bench_id)
        if got is None:
            unanswered += 1
        else:
            at, params = got
            finals.append((at - s.started) * 1000)
            texts.append(json.dumps(params))
            if not params.get("blocks"):
                errors_to_user.append(str(params.get("text"))[:200])
            else:
                jid = int(s.text.split()[1])
                expected = world.expected_active.get(jid)
                if f": {expected} active candidates" not in str(params.get("text")):
                    wrong.append(str(params.get("text"))[:200])
        for t in texts:
            if RATE_LIMIT_WORDS.search(t):
                rate_limited_to_user.append(t[:200])
                break
    statuses: dict[str, int] = {}
    for s in sent:
        key = str(s.status) if s.status is not None else (s.error or "no answer")
        statuses[key] = statuses.get(key, 0) + 1
    return {
        "commands": len(sent),
        "ack_statuses": statuses,
        "ack_p50_ms": pct(acks, 50),
        "ack_p99_ms": pct(acks, 99),
        "ack_max_ms": round(max(acks), 1) if acks else None,
        "acks_over_100ms": sum(1 for a in acks if a > 100),
        # Failed acks: not a 200 with the bot's text within Slack's 3 s (Slack would show an error).
        "acks_failed": len(sent) - len(ok),
        "acks_ok_p50_ms": pct(ok, 50),
        "acks_ok_p99_ms": pct(ok, 99),
        "ack_raw": [{"ms": round(s.ack_ms or 0, 1), "status": s.status, "error": s.error} for s in sent],
        "final_p50_ms": pct(finals, 50),
        "final_p99_ms": pct(finals, 99),
        "unanswered": unanswered,
        "errors_to_user": len(errors_to_user),
        "error_samples": errors_to_user[:5],
        "wrong_answers": len(wrong),
        "rate_limit_reached_user": len(rate_limited_to_user),
        "rate_limit_samples": rate_limited_to_user[:5],
    }


def run(p: Profile, *, quick: bool, out_path: Path | None, variant: str = "as-is") -> dict[str, Any]:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    t_build = time.monotonic()
    world = build_world(p)
    results: dict[str, Any] = {
        "when": stamp,
        "mode": "quick" if quick else "full",
        "variant": variant,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "profile": p.__dict__ | {"sizes": list(p.sizes)},
        "world_build_s": round(time.monotonic() - t_build, 2),
    }
    slack = FakeSlack()
    answers = Answers()
    slack.handlers["respond"] = answers.record
    for uid, email in world.slack_users.items():
        slack.users[uid] = {"email": email}
    harvest = FakeHarvestServer(world.data, delay_s=p.delay_s, rate_limit=p.rate_limit, window_s=p.window_s,
                                api_key=GH_KEY)
    # Same data, same server code, no delay and no limit: only to count the naive path's
    # requests (at 50 per 10 s the naive 5,000-application view alone would take ~17 min).
    naive_harvest = FakeHarvestServer(world.data, delay_s=0.0, rate_limit=None, api_key=GH_KEY)
    workdir = Path(tempfile.mkdtemp(prefix="bench-bot-"))
    bot = BotProcess(slack_url=slack.base_url, harvest_url=harvest.base_url, workdir=workdir,
                     log_path=OUT_DIR / f"bot-{stamp}.log", admins=ADMIN, variant=variant)
    users = list(world.slack_users)
    try:
        results["bot_startup_s"] = round(bot.wait_healthy(), 2)
        results["memory_idle"] = bot.memory()
        side = SlackSide(bot.port, slack)

        # Warm-up: map every bench user (users.info -> GET /users?email=) once.
        before = harvest.snapshot()
        plan = [(i * 0.05, u, "whoami", side.next_id("warm")) for i, u in enumerate(users)]
        sent = side.schedule(plan)
        ok = answers.wait_all([s.bench_id for s in sent], time.monotonic() + 60)
        results["warmup"] = {"users": len(users), "all_answered": ok,
                             "harvest": FakeHarvestServer.delta(before, harvest.snapshot())}
        time.sleep(p.window_s + 0.5)  # let the rate-limit window empty

        # a. job views by size, smallest first (VmHWM only grows), one at a time.
        views = []
        for n in p.sizes:
            jid = world.size_jobs[n]
            before = harvest.snapshot()
            bench_id = side.next_id(f"view{n}")
            s = side.command(users[0], f"job {jid}", bench_id)
            ok = answers.wait_all([bench_id], time.monotonic() + 120)
            got = answers.final(bench_id)
            time.sleep(0.3)  # any stray request would land in this view's count
            delta = FakeHarvestServer.delta(before, harvest.snapshot())
            naive = naive_job_view(naive_harvest.base_url, jid)
            text = str(got[1].get("text")) if got else None
            views.append({
                "active_applications": n,
                "job_id": jid,
                "ack_ms": round(s.ack_ms or 0, 1),
                "ack_status": s.status,
                "answered": ok,
                "final_answer_ms": round((got[0] - s.started) * 1000, 1) if got else None,
                "answer_text": text,
                "answer_correct": bool(text and f": {n} active candidates" in text),
                "harvest_requests": delta["requests"],
                "harvest_by_route": delta["by_route"],
                "harvest_429": delta["status_429"],
                "bound_2_plus_ceil_n_500": 2 + math.ceil(n / 500),
                "naive_requests": naive["requests"],
                "naive_applications": naive["applications"],
                "naive_over_bot_ratio": round(naive["requests"] / delta["requests"], 1) if delta["requests"] else None,
                "naive_min_seconds_at_limit": round(max(0, naive["requests"] - p.rate_limit) * p.window_s / p.rate_limit, 1),
                "memory_after": bot.memory(),
            })
        results["job_views"] = views

        # b. ack latency over many commands, paced, spread over users and small jobs.
        time.sleep(p.window_s + 0.5)
        before = harvest.snapshot()
        gap = 1.0 / p.ack_rate_per_s
        plan = [(i * gap, users[i % len(users)], f"job {world.small_jobs[i % len(world.small_jobs)]}",
                 side.next_id("ack")) for i in range(p.ack_commands)]
        t0 = time.monotonic()
        sent = side.schedule(plan)
        deadline = t0 + 60 + 3 * (2 * p.ack_commands / p.rate_limit) * p.window_s
        all_ok = answers.wait_all([s.bench_id for s in sent], deadline)
        t_all = time.monotonic() - t0
        summary = summarize_commands(sent, answers, world)
        summary.update({
            "send_rate_per_s": p.ack_rate_per_s,
            "all_answered": all_ok,
            "all_answered_s": round(t_all, 1) if all_ok else None,
            "harvest": FakeHarvestServer.delta(before, harvest.snapshot()),
        })
        results["ack_latency"] = summary

        # c. burst: N commands within ~1 s on M jobs, starting from an empty window.
        time.sleep(p.window_s + 0.5)
        before = harvest.snapshot()
        spread = p.burst_spread_s / p.burst_commands
        plan = [(i * spread, users[i % len(users)], f"job {world.small_jobs[i % p.burst_jobs]}", side.next_id("burst"))
                for i in range(p.burst_commands)]
        t0 = time.monotonic()
        sent = side.schedule(plan)
        sent_within = max(s.started for s in sent) - t0 if sent else None
        deadline = t0 + 60 + 3 * (2 * p.burst_commands / p.rate_limit) * p.window_s
        all_ok = answers.wait_all([s.bench_id for s in sent], deadline)
        t_all = time.monotonic() - t0
        time.sleep(0.5)
        summary = summarize_commands(sent, answers, world)
        h = FakeHarvestServer.delta(before, harvest.snapshot())
        summary.update({
            "jobs": p.burst_jobs,
            "sent_within_s": round(sent_within, 3) if sent_within is not None else None,
            "all_answered": all_ok,
            "all_answered_s": round(t_all, 1) if all_ok else None,
            "harvest": h,
            "harvest_requests": h["requests"],
            "harvest_over_limit": h["over_limit"],
            "harvest_429": h["status_429"],
            "min_seconds_at_limit": round(max(0, h["requests"] - p.rate_limit) * p.window_s / p.rate_limit, 1),
        })
        results["burst"] = summary
        results["memory_end"] = bot.memory()
        results["harvest_total"] = harvest.snapshot()
        results["bot_log_harvest_calls_by_status"] = bot.harvest_calls_in_log()
        results["bot_log"] = str(bot.log_path.relative_to(ROOT))
    finally:
        bot.stop()
        harvest.stop()
        naive_harvest.stop()
        slack.stop()
        for f in workdir.glob("*"):
            f.unlink(missing_ok=True)
        workdir.rmdir()

    tag = results["mode"] + ("" if variant == "as-is" else f"-{variant}")
    path = out_path or OUT_DIR / f"bench-{tag}-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
    (OUT_DIR / f"latest-{tag}.json").write_text(json.dumps(results, indent=2))
    results["json_path"] = str(path)
    return results


def table(r: dict[str, Any]) -> str:
    lines = [f"Benchmark ({r['mode']}, bot {r['variant']}), {r['machine']['cpus']} CPUs, Python {r['machine']['python']}, {r['when']}", ""]
    lines += ["| Active applications | Harvest requests (bot) | Naive requests | Naive / bot | "
              "Time to final answer | Ack | Bot peak RSS after (max process / sum) | Correct |",
              "|---:|---:|---:|---:|---:|---:|---:|:--:|"]
    for v in r["job_views"]:
        fa = f"{v['final_answer_ms'] / 1000:.2f} s" if v["final_answer_ms"] is not None else "no answer"
        mem = v["memory_after"]
        lines.append(f"| {v['active_applications']:,} | {v['harvest_requests']} | {v['naive_requests']:,} | "
                     f"{v['naive_over_bot_ratio']}× | {fa} | {v['ack_ms']:.0f} ms | "
                     f"{mem['max_peak_mib']} / {mem['sum_peak_mib']} MiB | {'yes' if v['answer_correct'] else 'NO'} |")
    idle = r["memory_idle"]
    lines += ["", f"Bot peak RSS right after start: {idle['max_peak_mib']} MiB (max process), "
                  f"{idle['sum_peak_mib']} MiB (master + worker).", ""]
    lines += ["Ack percentiles are over every command; a failed ack (404 from Bolt after its 3 s ack timeout, "
              "or no answer within the client's 10 s) counts with the time it took.", ""]
    lines += ["| Load | Commands | Ack p50 | Ack p99 | Ack max | Acks > 100 ms | Acks failed (non-200 or > 3 s) | "
              "All answered after | Final p50 / p99 | Harvest requests | Over limit | 429s | 429 reaching a user | Errors to user |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key, label in (("ack_latency", f"paced {r['ack_latency'].get('send_rate_per_s')}/s"),
                       ("burst", f"burst in {r['burst'].get('sent_within_s')} s on {r['burst'].get('jobs')} jobs")):
        s = r[key]
        h = s["harvest"]
        done = f"{s['all_answered_s']} s" if s["all_answered"] else f"NOT ALL ({s['unanswered']} unanswered)"
        fin = (f"{(s['final_p50_ms'] or 0) / 1000:.1f} / {(s['final_p99_ms'] or 0) / 1000:.1f} s")
        lines.append(f"| {label} | {s['commands']} | {s['ack_p50_ms']} ms | {s['ack_p99_ms']} ms | {s['ack_max_ms']} ms | "
                     f"{s['acks_over_100ms']} | {s['acks_failed']} {_statuses(s)} | {done} | {fin} | {h['requests']} | "
                     f"{h['over_limit']} | {h['status_429']} | {s['rate_limit_reached_user']} | {s['errors_to_user']} |")
    return "\n".join(lines)


def _statuses(s: dict[str, Any]) -> str:
    return "(" + ", ".join(f"{k}: {v}" for k, v in sorted(s["ack_statuses"].items())) + ")"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, a smoke run under a minute")
    ap.add_argument("--variant", choices=("as-is", "no-cache"), default="as-is",
                    help="as-is: the bot with its defaults. no-cache: BOT_VIEW_CACHE_S=0, to count "
                         "Harvest requests without the job-view cache")
    ap.add_argument("--out", type=Path, help="where to write the JSON (default bench/out/bench-<mode>-<time>.json)")
    args = ap.parse_args(argv)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    results = run(QUICK if args.quick else FULL, quick=args.quick, out_path=args.out, variant=args.variant)
    print(table(results))
    print(f"\nJSON: {results['json_path']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
