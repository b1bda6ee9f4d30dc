#!/usr/bin/env python3
"""A company day (issue 17, item 9): 500 people, 200 jobs, 50,000 candidates, and a
mixed stream of views, drafts, approvals, Home tabs and web hooks, against the
Procfile's topology or against three replicas on PostgreSQL, with a fake Harvest
that enforces its limit.

    python bench/company_day.py                       # the Procfile's web line (gunicorn, its workers), SQLite
    python bench/company_day.py --replicas 3          # three Procfile replicas on a throwaway PostgreSQL
    python bench/company_day.py --seconds 90 --rate 4 # the busy hour of issue 17's Why (the default)
    python bench/company_day.py --harvest v3          # the same day on Harvest v3 (75 per fixed 30 s window)
    python bench/company_day.py --no-mirror           # the same day without the Harvest mirror (BOT_MIRROR_S=0)

The world: 500 Greenhouse users, each a Slack user with the same email; 200 jobs, each
with a hiring team of five (a hiring manager, two recruiters, a coordinator, a
sourcer) and two open openings; 50,000 candidates with one application each, spread
over the jobs by popularity (a few big, old requisitions, a long tail), 30 % active.
Harvest answers in 100 ms and enforces its limit as each version documents it
(bench/fake_harvest.py, docs/decisions/0008-rate-limit-windows.md): v1 50 requests per
sliding 10 s, v3 75 per fixed 30 s window with `X-RateLimit-Reset` (the same data served
in v3's shapes: OAuth token, cursor paging); 429 with Retry-After past it. The bot's user
directory is warm (it loads at start). A bot running since the morning has also read the
company into its Harvest mirror (bot/workflows/harvest_mirror.py): after start the bench
waits (at most --mirror-wait s) until the store's `mirror:state` names a completed full
sweep (`swept_at`), and reports how long that took (`mirror_ready_s`; None: no mirror in
this code, the mirror turned off, or no sweep in time).

The stream: commands at `--rate` a second (Poisson arrivals) for `--seconds`, each one
of: a job view (the job picked by popularity, the person on its team nine times in
ten), a Home tab opened, `pending`, `whoami`, a close request (posted at once: it names
its reason), a rejection draft, an Approve click on a pending close request; plus
Greenhouse web hooks (`job_updated`, signed) at `--hooks` a second. Requests go
round-robin to the replicas, as a load balancer would.

Measured: Harvest requests per minute against the budget (and 429s), ack and answer
p50/p99 per kind, the share of commands answered within 3 s (and told within 3 s when
they must wait), the share of views that cost no Harvest read of their own (view
cache and shared reads; views answered from the mirror: cache="mirror", from /metrics),
how old the mirror's last incremental sync got during the measured stream, and the peak
RSS (VmHWM) of every worker.
The population is the issue's; on a small machine shorten the run with --seconds,
never the population. Results: bench/out/company-day-*.json and a Markdown row.
Loopback only; every wait is bounded; every process started is stopped.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fake_harvest import serve_v3, v3_env  # noqa: E402
from bench.replicas import bot_env, free_port  # noqa: E402
from bench.run import pct  # noqa: E402
from bot.demo.greenhouse import FakeGreenhouse  # noqa: E402
from bot.demo.harvest_server import HarvestServer  # noqa: E402
from bot.demo.webhooks import job_updated_payload  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

OUT = ROOT / "bench" / "out"
SECRET = "company-day-signing-secret"
GH_KEY = "company-day-harvest-key"
HOOK_SECRET = "company-day-webhook-secret"
ON_HOLD = 4012092002
STAGES = ("Application Review", "Phone Screen", "Technical Interview", "Onsite", "Offer")
WAIT_MARK = ":stopwatch:"
# The busy hour's mix of what people do (shares of the command stream).
MIX = {"view": 0.58, "home": 0.15, "pending": 0.05, "whoami": 0.03, "close": 0.04, "reject": 0.08, "approve": 0.07}
ANSWER_DEADLINE_S = 3.0
MIRROR_KEY = ("state", "mirror:state")  # bot/workflows/harvest_mirror.py: {"swept_at", "synced_until", "jobs_at"}
# Views are answered from the mirror while its last turn is younger than this (docs/decisions/0012-harvest-mirror.md:
# 3 × BOT_MIRROR_S on v1; on v3 plus its fixed 30 s window).
MIRROR_FRESH_S = {"v1": 30.0, "v3": 60.0}


# --- the world ----------------------------------------------------------------------------


@dataclass
class Company:
    gh: FakeGreenhouse
    people: list[str]  # Slack user IDs
    teams: dict[int, dict[str, list[str]]]  # job id -> role -> Slack user IDs
    jobs: list[int]
    weights: list[float]  # how often each job is looked at
    active_apps: dict[int, list[int]]  # job id -> active application IDs
    expected_active: dict[int, int]


def build_company(people: int, jobs: int, candidates: int, seed: int) -> Company:
    rnd = random.Random(seed)
    gh = FakeGreenhouse()
    gh.api_key = GH_KEY
    gh.close_reasons += [{"id": ON_HOLD, "name": "On Hold"}, {"id": 366, "name": "Backfill"}]
    gh.rejection_reasons += [{"id": 8, "name": "Lacking skill(s)/qualification(s)",
                              "type": {"id": 1, "name": "We rejected them"}}]
    gh.email_templates += [{"id": 42, "name": "Standard rejection", "type": "candidate_rejection", "user": None}]
    slack_ids = []
    for i in range(people):
        gh.add_user(10_000 + i, f"Person {i:03d}", f"p{i:03d}@acme.test")
        slack_ids.append(f"UP{i:03d}")
    # Recruiters are a fifth of the company; everyone else manages, coordinates or sources.
    recruiters = list(range(0, people, 5))
    others = [i for i in range(people) if i % 5]
    teams: dict[int, dict[str, list[str]]] = {}
    job_ids = [20_000 + j for j in range(jobs)]
    for j, jid in enumerate(job_ids):
        r = rnd.sample(recruiters, 2)
        hm, co, so = rnd.sample(others, 3)
        team = {"hiring_managers": [hm], "recruiters": r, "coordinators": [co], "sourcers": [so]}
        gh.add_job(jid, f"Job {j:03d}", requisition_id=f"REQ-{j:03d}",
                   team={k: [10_000 + i for i in v] for k, v in team.items()},
                   openings=[gh.opening(jid * 10 + 1), gh.opening(jid * 10 + 2)])
        teams[jid] = {k: [slack_ids[i] for i in v] for k, v in team.items()}
    # Popularity: a few big, old requisitions and a long tail (weight ∝ rank^-0.7).
    weights = [1 / (rank + 1) ** 0.7 for rank in range(jobs)]
    active: dict[int, list[int]] = {jid: [] for jid in job_ids}
    for c in range(candidates):
        jid = rnd.choices(job_ids, weights)[0]
        cid, aid = 1_000_000 + c, 10_000_000 + c
        status = "active" if rnd.random() < 0.3 else "rejected"
        gh.add_candidate(cid, f"Cand {c} Person", [gh.application(aid, jid, status=status, stage=rnd.choice(STAGES))])
        if status == "active":
            active[jid].append(aid)
    return Company(gh=gh, people=slack_ids, teams=teams, jobs=job_ids, weights=weights, active_apps=active,
                   expected_active={jid: len(a) for jid, a in active.items()})


# --- what the fake Slack sees ----------------------------------------------------------------


class Seen:
    """response_url answers by bench id, Home tabs published and request threads, with times."""

    def __init__(self, slack: FakeSlack) -> None:
        self.lock = threading.Condition()
        self.responses: dict[str, list[tuple[float, dict[str, Any]]]] = {}
        self.homes: dict[str, list[float]] = {}
        self.approved: dict[str, float] = {}  # request id -> when its thread said "Approved by"
        self.threads: dict[str, set[str]] = {}  # a request message's ts -> the request ids its buttons carried
        self.pending: list[tuple[str, int, str | None]] = []  # (request id, job id, an approver) waiting
        self._slack = slack
        slack.handlers["respond"] = self._respond
        slack.handlers["views.publish"] = self._home
        original = slack._default

        def default(method: str, params: dict[str, Any]) -> dict[str, Any]:
            answer = original(method, params)
            if method in ("chat.postMessage", "chat.update"):
                self._request_message(params, answer.get("ts") if method == "chat.postMessage" else params.get("ts"))
            return answer

        slack._default = default  # type: ignore[method-assign]

    def _respond(self, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.responses.setdefault(str(params.get("bench_id")), []).append((time.monotonic(), params))
            self.lock.notify_all()
        return {"ok": True}

    def _home(self, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.homes.setdefault(str(params.get("user_id")), []).append(time.monotonic())
        return {"ok": True, "view": {"id": "VHOME"}}

    def _request_message(self, params: dict[str, Any], ts: Any) -> None:
        blocks = params.get("blocks")
        text = blocks if isinstance(blocks, str) else json.dumps(blocks or [])
        with self.lock:
            for m in re.finditer(r'"action_id": ?"request_approve"[^}]*?"value": ?"([^"]+)"', text):
                if ts:
                    self.threads.setdefault(str(ts), set()).add(m[1])  # the message's later updates name no id
                # The thread names the job as "Close <name> (<id>)" and mentions its approvers
                # (the job's recruiters and coordinators): the click is the first one's. Before,
                # the job was looked for as "job <id>", not found, and the click came from
                # whoever the mix had picked: refused, so no approval ever wrote.
                job = re.search(r"\((\d+)\):", text) or re.search(r"/jobs/(\d+)|job (\d+)", text)
                who = re.search(r"<@(U[A-Z0-9]+)>", text)
                if m[1] not in {r for r, *_ in self.pending} and m[1] not in self.approved:
                    self.pending.append((m[1], int(next(g for g in job.groups() if g)) if job else 0,
                                         who[1] if who else None))
            if "Approved by" in text:
                # The first update after the click says "Approved by …; writing to Greenhouse…": the
                # clicker's answer. It replaces the buttons, so the request is known by its message.
                for rid in self.threads.get(str(ts), set()) | set(re.findall(r'"value": ?"([^"]+)"', text)):
                    self.pending = [p for p in self.pending if p[0] != rid]
                    self.approved.setdefault(rid, time.monotonic())

    def answer(self, bench_id: str) -> tuple[float | None, float | None]:
        """(when it was told it waits, when the answer came): monotonic times or None."""
        with self.lock:
            got = self.responses.get(bench_id, [])
        told = next((t for t, p in got if str(p.get("text", "")).startswith(WAIT_MARK)), None)
        answer = next((t for t, p in got if not str(p.get("text", "")).startswith(WAIT_MARK)), None)
        return told, answer

    def answer_text(self, bench_id: str) -> str:
        """The answer as Slack got it (text and blocks)."""
        with self.lock:
            got = self.responses.get(bench_id, [])
        return next((json.dumps(p) for _, p in got if not str(p.get("text", "")).startswith(WAIT_MARK)), "")

    def take_pending(self) -> tuple[str, int, str | None] | None:
        with self.lock:
            return self.pending.pop(0) if self.pending else None


# --- the bot ----------------------------------------------------------------------------------


def procfile_web(port: int) -> list[str]:
    """The Procfile's `web:` line as written, with $PORT filled in."""
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    return shlex.split(line.removeprefix("web:").replace("$PORT", str(port)))


class Replica:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.log_path = log_path
        argv = procfile_web(self.port)
        argv[0] = str(Path(sys.executable).parent / argv[0])  # the venv's gunicorn
        self.proc = subprocess.Popen(argv, cwd=ROOT, env={**env, "PORT": str(self.port)}, start_new_session=True,
                                     stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"replica exited: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"replica not ready: {self.log_path.read_text()[-2000:]}")

    def workers(self) -> list[int]:
        """The gunicorn master's children."""
        kids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    kids.append(int(entry))
        return kids

    def peak_rss_mib(self) -> dict[str, float]:
        found = {}
        for pid in [self.proc.pid, *self.workers()]:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            kb = int(re.search(r"VmHWM:\s+(\d+)", status)[1])  # type: ignore[index]
            found["master" if pid == self.proc.pid else f"worker {pid}"] = round(kb / 1024, 1)
        return found

    def metrics(self) -> str:
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=10) as r:
            return r.read().decode()

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._log.close()


# --- sending what Slack and Greenhouse send --------------------------------------------------


@dataclass
class Sent:
    kind: str
    bench_id: str
    user: str
    text: str
    started: float
    ack_s: float | None = None
    status: int | None = None
    job: int | None = None
    request_id: str | None = None


def post(replica: Replica, path: str, body: bytes, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", replica.port, timeout=10)
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def slack_post(replica: Replica, body: str, content_type: str) -> int:
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return post(replica, "/slack/events", body.encode(), {
        "content-type": content_type, "x-slack-request-timestamp": ts, "x-slack-signature": sig})


class Stream:
    def __init__(self, company: Company, replicas: list[Replica], slack: FakeSlack, seen: Seen, seed: int) -> None:
        self.c = company
        self.replicas = replicas
        self.slack = slack
        self.seen = seen
        self.rnd = random.Random(seed)
        self.sent: list[Sent] = []
        self._n = 0
        self._lock = threading.Lock()

    def _replica(self) -> Replica:
        with self._lock:
            self._n += 1
            return self.replicas[self._n % len(self.replicas)]

    def _id(self, kind: str) -> str:
        with self._lock:
            return f"{kind}-{len(self.sent) + self._n}-{self.rnd.randrange(1 << 30)}"

    def plan_one(self) -> Sent:
        """Pick what happens next (on the planning thread: the random stream is reproducible)."""
        kind = self.rnd.choices(list(MIX), list(MIX.values()))[0]
        jid = self.rnd.choices(self.c.jobs, self.c.weights)[0]
        team = self.c.teams[jid]
        members = [u for role in team.values() for u in role]
        user = self.rnd.choice(members) if self.rnd.random() < 0.9 else self.rnd.choice(self.c.people)
        text = ""
        if kind == "view":
            text = f"job {jid}"
        elif kind in ("pending", "whoami"):
            text = kind
        elif kind == "close":
            user, text = team["hiring_managers"][0], f"close {jid} on hold"
        elif kind == "reject":
            apps = self.c.active_apps[jid]
            if apps:
                user, text = team["hiring_managers"][0], f"reject {self.rnd.choice(apps)} lacking skill"
            else:
                kind, text = "view", f"job {jid}"
        elif kind == "home":
            user = self.rnd.choice(self.c.people)
        return Sent(kind=kind, bench_id=self._id(kind), user=user, text=text, started=0.0, job=jid)

    def send(self, s: Sent) -> None:
        replica = self._replica()
        s.started = time.monotonic()
        try:
            if s.kind == "home":
                body = json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1",
                                   "event_id": f"Ev{s.bench_id}", "event_time": int(time.time()),
                                   "event": {"type": "app_home_opened", "user": s.user, "channel": "D1", "tab": "home"}})
                s.status = slack_post(replica, body, "application/json")
            elif s.kind == "approve":
                payload = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": s.user}, "api_app_id": "A1",
                           "trigger_id": "1.2.3", "channel": {"id": "CAPPROVALS"},
                           "container": {"type": "message", "message_ts": "1.1", "channel_id": "CAPPROVALS"},
                           "message": {"ts": "1.1", "text": "", "blocks": []},
                           "response_url": self._response_url(s),
                           "actions": [{"action_id": "request_approve", "block_id": "b1", "value": s.request_id,
                                        "type": "button", "action_ts": f"{time.time():.6f}"}]}
                s.status = slack_post(replica, urlencode({"payload": json.dumps(payload)}),
                                      "application/x-www-form-urlencoded")
            else:
                s.status = slack_post(replica, urlencode({
                    "team_id": "T1", "channel_id": "CHIRING", "user_id": s.user, "command": "/greenhouse",
                    "text": s.text, "response_url": self._response_url(s), "trigger_id": "1.2.3"}),
                    "application/x-www-form-urlencoded")
        except OSError:
            s.status = None
        s.ack_s = time.monotonic() - s.started

    def _response_url(self, s: Sent) -> str:
        return f"http://127.0.0.1:{self.slack.port}/respond/{s.bench_id}?bench_id={s.bench_id}"

    def hook(self) -> Sent:
        jid = self.rnd.choice(self.c.jobs)
        s = Sent(kind="webhook", bench_id=self._id("hook"), user="-", text="", started=time.monotonic(), job=jid)
        body = json.dumps({"action": "job_updated", "payload": job_updated_payload(self.c.gh.jobs[jid])}).encode()
        sig = "sha256 " + hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        try:
            s.status = post(self._replica(), "/greenhouse/webhook", body, {
                "content-type": "application/json", "Signature": sig, "Greenhouse-Event-ID": s.bench_id})
        except OSError:
            s.status = None
        s.ack_s = time.monotonic() - s.started
        return s

    def run(self, seconds: float, rate: float, hooks_per_s: float) -> None:
        threads = []
        t0 = time.monotonic()
        next_cmd = t0 + self.rnd.expovariate(rate)
        next_hook = t0 + (self.rnd.expovariate(hooks_per_s) if hooks_per_s > 0 else float("inf"))
        while True:
            at = min(next_cmd, next_hook)
            if at - t0 >= seconds:
                break
            time.sleep(max(0.0, at - time.monotonic()))
            if at == next_hook:
                target, args = (lambda: self.sent.append(self.hook())), ()
                next_hook += self.rnd.expovariate(hooks_per_s)
            else:
                s = self.plan_one()
                if s.kind == "approve":
                    taken = self.seen.take_pending()
                    if taken is None:
                        s.kind, s.text = "view", f"job {s.job}"
                    else:
                        s.request_id, s.job, approver = taken
                        s.user = approver or (self.c.teams[s.job]["recruiters"][0] if s.job in self.c.teams else s.user)
                self.sent.append(s)
                target, args = self.send, (s,)
                next_cmd += self.rnd.expovariate(rate)
            t = threading.Thread(target=target, args=args, daemon=True)
            t.start()
            threads.append(t)
        for t in threads:
            t.join(30)


# --- the run ---------------------------------------------------------------------------------


def cache_share(metrics_texts: list[str], cache: str = "job_view") -> dict[str, float]:
    """One cache's hits and misses summed over replicas (each already sums its workers)."""
    total = {"hits": 0.0, "misses": 0.0}
    for text in metrics_texts:
        for kind in total:
            for m in re.finditer(rf'^bot_cache_{kind}_total\{{cache="{re.escape(cache)}"\}} (\S+)$', text, re.M):
                total[kind] += float(m[1])
    return total


def share(counts: dict[str, float]) -> float | None:
    looked = counts["hits"] + counts["misses"]
    return round(counts["hits"] / looked, 3) if looked else None


def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before.get(k, 0.0) for k in after}


# --- the Harvest mirror's progress, read from the store as the bot keeps it ---------------------


def has_mirror() -> bool:
    """Whether this checkout's bot has the mirror at all (the bench runs older code too)."""
    return (ROOT / "bot" / "workflows" / "harvest_mirror.py").exists()


class MirrorWatch:
    """Reads `mirror:state` from the bot's store (SQLite file or PostgreSQL URL)."""

    def __init__(self, target: str, fresh_s: float = MIRROR_FRESH_S["v1"]) -> None:
        from bot.store import Store

        self.store = Store(target)
        self.fresh_s = fresh_s
        self.ages: list[float] = []  # seconds since `synced_until`, sampled during the measured stream
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def state(self) -> dict[str, Any]:
        raw = self.store.get(*MIRROR_KEY)
        if isinstance(raw, str | bytes):
            try:
                raw = json.loads(raw)
            except ValueError:
                return {}
        return raw if isinstance(raw, dict) else {}

    def wait_swept(self, timeout_s: float) -> float | None:
        """Seconds until a full sweep is recorded, or None when none is within `timeout_s`."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout_s:
            if self.state().get("swept_at"):
                return round(time.monotonic() - t0, 1)
            time.sleep(0.5)
        return None

    def sample_during(self, every_s: float = 2.0) -> None:
        """Start sampling the age of the last incremental sync every `every_s` (until `stop()`)."""
        def loop() -> None:
            while not self._stop.wait(every_s):
                synced = self.state().get("synced_until")
                if synced:
                    self.ages.append(time.time() - float(synced))
        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def wait_named(self, timeout_s: float, still_s: float = 45.0) -> dict[str, Any]:
        """Wait while the names read-ahead (bot/workflows/name_read_ahead.py) names the active
        candidates on the spare budget, as a bot running since the morning has: until the
        store's `candidate_names` table stops growing for `still_s` (longer than v3's 30 s window:
        the read-ahead waits out a window it has used half of), or `timeout_s`."""
        t0 = time.monotonic()
        count, changed = self.store.count("candidate_names"), t0
        while time.monotonic() - t0 < timeout_s and time.monotonic() - changed < still_s:
            time.sleep(2.0)
            now_count = self.store.count("candidate_names")
            if now_count != count:
                count, changed = now_count, time.monotonic()
        return {"waited_s": round(time.monotonic() - t0, 1), "named": count}

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        if self._thread:
            self._thread.join(10)
        state = self.state()
        ages = self.ages
        state.pop("known", None)  # the job ids it holds rows for: long, and no figure
        return {"state_at_end": state, "fresh_s": self.fresh_s, "sync_age_samples": len(ages),
                "sync_age_max_s": round(max(ages), 1) if ages else None,
                "sync_age_p50_s": pct(ages, 50),
                "samples_stale": sum(1 for a in ages if a >= self.fresh_s)}

    def close(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(10)
        self.store.close()


def summarize(stream: Stream, seen: Seen, company: Company) -> dict[str, Any]:
    by_kind: dict[str, dict[str, Any]] = {}
    commands_ok = commands = told_late = waited = 0
    wrong = 0
    for kind in sorted({s.kind for s in stream.sent}):
        rows = [s for s in stream.sent if s.kind == kind]
        acks = [s.ack_s for s in rows if s.ack_s is not None]
        answers = []
        unanswered = 0
        for s in rows:
            end = None
            if kind in ("webhook",):
                continue
            if kind == "home":
                with seen.lock:
                    end = next((t for t in seen.homes.get(s.user, []) if t >= s.started), None)
            elif kind == "approve":
                end = seen.approved.get(s.request_id or "")
            else:
                told, end = seen.answer(s.bench_id)
                if told is not None:
                    waited += 1
                    if told - s.started > ANSWER_DEADLINE_S:
                        told_late += 1
                if kind == "view" and end is not None:
                    said, n = seen.answer_text(s.bench_id), company.expected_active[s.job or 0]
                    right = f": {n} active candidates" if n else ": no active candidates"
                    if right not in said and "shown only to this job's hiring team" not in said:
                        wrong += 1
            if end is None:
                unanswered += 1
            else:
                answers.append(end - s.started)
            if kind not in ("webhook", "home", "approve"):
                commands += 1
                commands_ok += end is not None and end - s.started <= ANSWER_DEADLINE_S
        by_kind[kind] = {
            "count": len(rows), "ack_p50_ms": pct([a * 1000 for a in acks], 50),
            "ack_p99_ms": pct([a * 1000 for a in acks], 99), "acks_not_200": sum(1 for s in rows if s.status != 200),
            "answer_p50_s": pct(answers, 50), "answer_p99_s": pct(answers, 99),
            "within_3s": round(sum(1 for a in answers if a <= ANSWER_DEADLINE_S) / len(rows), 3) if rows and
            kind != "webhook" else None,
            "unanswered": unanswered if kind != "webhook" else None,
        }
    all_acks = [s.ack_s * 1000 for s in stream.sent if s.ack_s is not None]
    return {"by_kind": by_kind, "commands": commands, "commands_within_3s": round(commands_ok / max(commands, 1), 3),
            "commands_told_they_wait": waited, "told_after_3s": told_late, "wrong_view_answers": wrong,
            "ack_p50_ms": pct(all_acks, 50), "ack_p99_ms": pct(all_acks, 99)}


def wait_drained(harvest: HarvestServer, quiet_s: float = 3.0, timeout_s: float = 240.0) -> None:
    """Until Harvest has seen no request for `quiet_s` (the bot's line is empty)."""
    deadline = time.monotonic() + timeout_s
    last, since = harvest.snapshot()["requests"], time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet_s:
        time.sleep(0.5)
        now = harvest.snapshot()["requests"]
        if now != last:
            last, since = now, time.monotonic()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=1, help="1: the Procfile on SQLite; more: on PostgreSQL")
    parser.add_argument("--database-url", help="a PostgreSQL you have (default: a throwaway cluster)")
    parser.add_argument("--sqlite", action="store_true", help="several replicas on one SQLite file instead")
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--rate", type=float, default=4.0, help="commands a second")
    parser.add_argument("--hooks", type=float, default=0.2, help="Greenhouse web hooks a second")
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--candidates", type=int, default=50_000)
    parser.add_argument("--latency", type=float, default=0.1, help="Harvest's answer time, seconds")
    parser.add_argument("--harvest", choices=("v1", "v3"), default="v1", help="the Harvest version to serve")
    parser.add_argument("--limit", type=int, help="requests per window (default: v1 50, v3 75)")
    parser.add_argument("--window", type=float, help="seconds (default: v1 10, sliding; v3 30, fixed)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds of unmeasured stream first (0: cold)")
    parser.add_argument("--names-wait", type=float, default=0.0,
                        help="after the warm-up, up to this many seconds for the names read-ahead to name the "
                             "active candidates on the spare budget, as a bot running since the morning has (0: none)")
    parser.add_argument("--label", default="")
    parser.add_argument("--out", type=Path, help="write the JSON here (default: bench/out/company-day-*.json)")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the bot (e.g. BOT_VIEW_CACHE_S=0)")
    parser.add_argument("--no-mirror", action="store_true", help="the bot without its Harvest mirror (BOT_MIRROR_S=0)")
    parser.add_argument("--mirror-wait", type=float, default=180.0,
                        help="seconds to wait at most for the mirror's first full sweep before the stream")
    args = parser.parse_args()
    if args.limit is None:
        args.limit = 75 if args.harvest == "v3" else 50
    if args.window is None:
        args.window = 30.0 if args.harvest == "v3" else 10.0

    built = time.monotonic()
    company = build_company(args.people, args.jobs, args.candidates, args.seed)
    print(f"world built in {time.monotonic() - built:.1f} s", file=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix="company-day-"))
    cluster = None
    if args.replicas > 1 and not args.sqlite:
        from tests.pg_cluster import Cluster, fresh_schema

        if not args.database_url:
            cluster = Cluster()
            args.database_url = cluster.url
        store = fresh_schema(args.database_url)[1]
    else:
        store = str(workdir / "bot.sqlite")
    slack = FakeSlack()
    for i, uid in enumerate(company.people):
        slack.users[uid] = {"email": f"p{i:03d}@acme.test"}
    seen = Seen(slack)
    if args.harvest == "v3":
        harvest = serve_v3(company.gh, latency_s=args.latency, limit=args.limit, window_s=args.window)
    else:
        harvest = HarvestServer(company.gh, latency_s=args.latency, limit=args.limit, window_s=args.window)
    extra = dict(kv.split("=", 1) for kv in args.env)
    if args.no_mirror:
        extra["BOT_MIRROR_S"] = "0"
    mirror_on = has_mirror() and extra.get("BOT_MIRROR_S", "").strip() not in ("0", "0.0")
    env = bot_env(secret=SECRET, slack_url=slack.base_url, harvest_url=harvest.url, harvest_key=GH_KEY, store=store,
                  BOT_APPROVALS_CHANNEL="CAPPROVALS", GREENHOUSE_WEBHOOK_SECRET=HOOK_SECRET,
                  PYTHONUNBUFFERED="1", **extra)
    if args.harvest == "v3":
        del env["GREENHOUSE_API_KEY"]  # v3 is chosen by its OAuth client instead
        env.update(v3_env(harvest))
    replicas: list[Replica] = []
    result: dict[str, Any] = {}
    watch: MirrorWatch | None = None
    try:
        replicas = [Replica(env, workdir / f"replica{i}.log") for i in range(args.replicas)]
        for r in replicas:
            r.wait_ready()
        # The bot has been running since the morning: its mirror holds the company (a full sweep done).
        mirror_ready_s = None
        if mirror_on:
            watch = MirrorWatch(store, MIRROR_FRESH_S[args.harvest])
            mirror_ready_s = watch.wait_swept(args.mirror_wait)
            print(f"mirror swept after {mirror_ready_s} s" if mirror_ready_s is not None
                  else f"no mirror sweep within {args.mirror_wait:.0f} s", file=sys.stderr)
        # Wait for the directory's warm-up (one read, by whichever worker claims it).
        deadline = time.monotonic() + 15  # (a bot without the warm-up loads it at its first command)
        while time.monotonic() < deadline and not harvest.snapshot()["by_route"].get("GET /users"):
            time.sleep(0.2)
        if args.warmup > 0:
            # The day before the busy hour: the same kind of stream, not measured, so that the
            # name and stage caches hold what a bot running since the morning would.
            Stream(company, replicas, slack, seen, args.seed + 1).run(args.warmup, args.rate, args.hooks)
            wait_drained(harvest)
        named = watch.wait_named(args.names_wait) if watch else None
        print(f"names known: {named}", file=sys.stderr)
        time.sleep(args.window + 0.5)  # an empty rate-limit window to start from
        stream = Stream(company, replicas, slack, seen, args.seed)
        before = harvest.snapshot()
        metrics_before = [r.metrics() for r in replicas]
        if watch:
            watch.sample_during()
        t0 = time.monotonic()
        stream.run(args.seconds, args.rate, args.hooks)
        sent_for = time.monotonic() - t0
        # Let the line drain (bounded): the busy hour's commands are answered after it.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            pending = [s for s in stream.sent if s.kind not in ("webhook", "home", "approve")
                       and seen.answer(s.bench_id)[1] is None]
            if not pending:
                break
            time.sleep(0.5)
        drained = time.monotonic() - t0
        time.sleep(1.0)
        h = HarvestServer.delta(before, harvest.snapshot())
        metrics = [r.metrics() for r in replicas]
        cache = cache_share(metrics)
        looked = cache["hits"] + cache["misses"]
        mirror = cache_share(metrics, "mirror")
        mirror_measured = delta(cache_share(metrics_before, "mirror"), mirror)
        cache_measured = delta(cache_share(metrics_before), cache)
        mirror_sync = watch.stop() if watch else None
        result = {
            "when": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "label": args.label,
            "topology": f"{args.replicas} × Procfile ({'PostgreSQL' if store.startswith('postgres') else 'SQLite'})",
            "harvest_version": args.harvest, "window": {"limit": args.limit, "seconds": args.window,
                                                        "kind": "fixed" if args.harvest == "v3" else "sliding"},
            "population": {"people": args.people, "jobs": args.jobs, "candidates": args.candidates},
            "stream": {"warmup_s": args.warmup, "seconds": args.seconds, "rate_per_s": args.rate, "hooks_per_s": args.hooks,
                       "sent": len(stream.sent), "sent_for_s": round(sent_for, 1), "drained_s": round(drained, 1)},
            "harvest": {"requests": h["requests"], "per_minute": round(h["requests"] / (drained / 60), 1),
                        "budget_per_minute": round(args.limit * 60 / args.window), "status_429": h["status_429"],
                        "by_route": dict(sorted(h["by_route"].items(), key=lambda kv: -kv[1])),
                        "by_query": dict(sorted(h["by_query"].items(), key=lambda kv: -kv[1]))},
            # Since the bot started (warm-up included), as earlier runs reported it; `measured`: the stream only.
            "view_cache": {**cache, "share_from_cache": round(cache["hits"] / looked, 3) if looked else None,
                           "measured": {**cache_measured, "share": share(cache_measured)}},
            "mirror_ready_s": mirror_ready_s,
            # Names known when the busy hour began (--names-wait: the read-ahead given time first).
            "names_before": {**(named or {}), "active_applications": sum(len(a) for a in company.active_apps.values())},
            "mirror": {"on": mirror_on, **mirror, "share_from_mirror": share(mirror),
                       "measured": {**mirror_measured, "share": share(mirror_measured)}, "sync": mirror_sync},
            "peak_rss_mib": {f"replica {i}": r.peak_rss_mib() for i, r in enumerate(replicas)},
            **summarize(stream, seen, company),
            "env": extra,
        }
    finally:
        if watch:
            watch.close()
        for r in replicas:
            r.stop()
        harvest.close()
        slack.stop()
        if cluster:
            cluster.stop()
    OUT.mkdir(parents=True, exist_ok=True)
    label = args.label or ("nomirror" if args.no_mirror else "run")
    name = f"company-day-{args.harvest}-{args.replicas}r-{label}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.json"
    (args.out or OUT / name).write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    print(f"logs: {workdir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
