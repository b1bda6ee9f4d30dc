#!/usr/bin/env python3
"""Store queries at a company's scale (issue 17, item 7): how long `pending`, `history`,
the Home tab, the expiry / stuck / reminder sweeps, a job's requests (auto-close) and the
requests-by-state metric take with 100,000 requests and 1,000,000 audit rows, on SQLite
and on PostgreSQL — each through the same workflow code the bot runs.

    python bench/store_scale.py                          # both stores, full size (~10 min)
    python bench/store_scale.py --sqlite --requests 20000 --audit 200000
    python bench/store_scale.py --postgres --database-url postgresql://…

The history is what two years of a busy company leave: ~1 % of requests still open
(drafts, waiting, failed, executing; they expire after 72 h), the rest decided; 500
requesters, 300 approvers (1–3 per request), 2,000 jobs, ten audit rows per request.
"after": each question answered from its index (bot/store/indexes.py), long lists a page at
a time and sweeps a batch at a time. "unpaged": the admin's lists and the sweeps as the first
indexed version answered them — every OPEN request, from the index (one `state IN (…)` query).
"before": the same answer the way main answered it before indexes — every record read and
filtered in Python (`Requests.all()`, `store.items("audit")`) — timed on fewer runs, as it is slow.
Prints a Markdown table (median / p99 ms) and writes bench/out/store_scale-<ts>.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.identity import Caller, Mapping  # noqa: E402
from bot.metrics import RequestStates  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.base import encode  # noqa: E402
from bot.workflows.home import Home  # noqa: E402
from bot.workflows.reminders import Reminders  # noqa: E402
from bot.workflows.home import DECIDABLE  # noqa: E402
from bot.workflows.requests import OPEN_STATES, Request, Requests  # noqa: E402
from bot.store.indexes import AtMost  # noqa: E402

NOW = 1_800_000_000.0
DAY = 86_400.0
TTL = 72 * 3600.0
REQUESTERS, APPROVERS, JOBS = 500, 300, 2000
FINAL = (("done", 0.70), ("denied", 0.15), ("expired", 0.10), ("discarded", 0.05))
OPEN = ("draft", "posting", "requested", "requested", "requested", "requested", "failed", "executing")


def history(n_requests: int, n_audit: int, seed: int = 17) -> tuple[list[tuple[str, Any]], Iterator[tuple[str, Any]]]:
    """The requests, and their audit rows as a generator (a million dicts need not sit in memory)."""
    rng = random.Random(seed)
    requests = []
    n_open = max(1, n_requests // 100)
    for i in range(n_requests):
        is_open = i >= n_requests - n_open
        created = NOW - rng.uniform(0, TTL) if is_open else NOW - rng.uniform(3 * DAY, 730 * DAY)
        state = rng.choice(OPEN) if is_open else rng.choices([s for s, _ in FINAL], [w for _, w in FINAL])[0]
        job = rng.randrange(JOBS)
        rid = f"{i:08d}-{rng.getrandbits(32):08x}"
        requests.append((rid, {
            "id": rid, "kind": "close_job", "state": state, "job_id": 10_000 + job, "job_name": f"Job {job}",
            "requester": f"U{rng.randrange(REQUESTERS):05d}", "requester_gh": 1, "requester_name": "R",
            "origin_channel": "C1", "approver_gh_ids": rng.sample(range(1, APPROVERS + 1), rng.randint(1, 3)),
            "opening_ids": [1, 2], "created_at": created, "expires_at": created + TTL,
            "decided_at": created + 60 if state == "executing" else None,
        }))

    def audit() -> Iterator[tuple[str, Any]]:
        per_request = max(1, n_audit // n_requests)
        for i, (rid, r) in enumerate(requests):
            for k in range(per_request):
                at = r["created_at"] + k
                yield f"{int(at * 1e9):020d}-{i:08x}{k:02x}", {
                    "at": at, "request_id": rid, "kind": "close_job", "job_id": r["job_id"], "from": "requested",
                    "to": r["state"], "who": "U1", "detail": "", "results": {}}

    return requests, audit()


def fill(store: Store, requests: list[tuple[str, Any]], audit: Iterator[tuple[str, Any]]) -> float:
    """Bulk load through the records tables (the index triggers fire as for any write)."""
    t0 = time.perf_counter()
    if store.backend == "sqlite":
        for table, rows in (("requests", requests), ("audit", audit)):
            store.count(table)  # the table exists
            with store._write() as conn:  # type: ignore[attr-defined]
                conn.executemany(f'INSERT INTO "{table}" (key, value) VALUES (?, ?)',
                                 ((k, encode(v)) for k, v in rows))
        # No ANALYZE: the bot never runs it on SQLite (see docs/decisions/0005).
    else:
        with store.pool.connection() as conn:  # type: ignore[attr-defined]
            with conn.cursor() as cur:
                for table, rows in (("requests", requests), ("audit", audit)):
                    with cur.copy("COPY records (kind, key, value) FROM STDIN") as copy:
                        for k, v in rows:
                            copy.write_row((table, k, encode(v)))
            conn.execute("VACUUM ANALYZE records")
            conn.execute("VACUUM ANALYZE index_requests_approver_gh_ids")
    return time.perf_counter() - t0


def timed(fn: Callable[[random.Random], Any], runs: int, seed: int = 1) -> dict[str, float]:
    rng = random.Random(seed)
    fn(rng)  # warm
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn(rng)
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {"median_ms": statistics.median(samples), "p99_ms": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
            "runs": runs}


def caller(rng: random.Random, *, admin: bool = False) -> Caller:
    slack = f"U{rng.randrange(REQUESTERS):05d}"
    gh = rng.randrange(1, APPROVERS + 1)
    return Caller(slack, admin, Mapping(slack_user_id=slack, greenhouse_user_id=gh, name="P", mapped_at="x", how="email"))


def questions(store: Store) -> dict[str, Callable[[random.Random], Any]]:
    """Each read path, as the bot's workflow code makes it."""
    clock = lambda: NOW  # noqa: E731
    requests = Requests(store, None, None, clock=clock)  # type: ignore[arg-type]  # no Harvest on these paths
    home = Home(requests, allow_self_approval=False)
    reminders = Reminders(store, requests, after_hours=24, clock=clock)
    states = RequestStates(lambda: store.count_by("requests", "state"),
                           lambda: store.find("requests", state="executing"), every_s=0, clock=clock)
    return {
        "pending (approver)": lambda rng: requests.pending_for(caller(rng)),
        "pending (admin)": lambda rng: requests.pending_for(caller(rng, admin=True)),
        "history (newest 20 of a job)": lambda rng: store.find(
            "audit", job_id=10_000 + rng.randrange(JOBS), order_by="key", newest_first=True, limit=20)[::-1],
        "Home tab (approver)": lambda rng: home.tab_for(caller(rng)),
        "Home tab (admin)": lambda rng: home.tab_for(caller(rng, admin=True)),
        # What falls due within the next day (about a third of the open ones): its first batch.
        "expiry sweep (first batch)": lambda rng: next(requests.walk(
            (*OPEN_STATES, "failed"), "expires_at", upto=NOW + rng.uniform(0, DAY)), []),
        "stuck sweep (first batch)": lambda rng: next(requests.walk(("executing",), "created_at"), []),
        "reminder sweep": lambda rng: reminders.due(),  # every waiting one past 24 h, each batch's claims looked up
        "a job's requests (auto-close)": lambda rng: requests.for_job(10_000 + rng.randrange(JOBS)),
        "requests by state (metric)": lambda rng: list(states.collect()),
    }


def unpaged(store: Store) -> dict[str, Callable[[random.Random], Any]]:
    """The first indexed version's admin lists and sweeps: every open request the question
    covers, from one `state IN (…)` query (what the pages and batches replaced)."""
    requests = Requests(store, None, None, clock=lambda: NOW)  # type: ignore[arg-type]

    def admin_home(rng: random.Random) -> list[Request]:
        c = caller(rng, admin=True)
        return [r for r in requests.in_states(*DECIDABLE) if r.requester != c.slack_user_id]

    def reminders(rng: random.Random) -> list[Request]:
        due = [Request(**raw) for raw in store.find("requests", state="requested", created_at=AtMost(NOW - DAY),
                                                     order_by="created_at")]
        waiting = [r for r in due if NOW < r.expires_at]
        reminded = store.get_many("reminders", [r.id for r in waiting])
        return [r for r in waiting if r.id not in reminded]

    return {
        "pending (admin)": lambda rng: requests.in_states(*DECIDABLE),
        "Home tab (admin)": admin_home,
        "expiry sweep (first batch)": lambda rng: [Request(**raw) for raw in store.find(
            "requests", state=(*OPEN_STATES, "failed"), expires_at=AtMost(NOW + rng.uniform(0, DAY)),
            order_by="expires_at")],
        "stuck sweep (first batch)": lambda rng: requests.in_states("executing"),
        "reminder sweep": reminders,
    }


def before(store: Store) -> dict[str, Callable[[random.Random], Any]]:
    """The same answers the way they were found before: every record read as main's `items()` did
    (sqlitedict's iteration; one PostgreSQL `SELECT … ORDER BY key`), then filtered in Python."""
    def whole(table: str) -> Iterator[tuple[str, Any]]:
        if store.backend == "sqlite":
            return store._dict(table).items()  # type: ignore[attr-defined, no-any-return]
        with store.pool.connection() as conn:  # type: ignore[attr-defined]
            return iter(conn.execute("SELECT key, value FROM records WHERE kind = %s ORDER BY key", (table,)).fetchall())

    def every_request() -> list[Request]:
        return [Request(**raw) for _, raw in whole("requests")]

    def pending(rng: random.Random) -> list[Request]:
        c = caller(rng)
        return [r for r in every_request() if r.state in ("requested", "failed")
                and (r.requester == c.slack_user_id or c.greenhouse_user_id in r.approver_gh_ids)]

    def history(rng: random.Random) -> list[Any]:
        job = 10_000 + rng.randrange(JOBS)
        return [e for _, e in whole("audit") if e.get("job_id") == job][-20:]

    def counts(rng: random.Random) -> dict[str, int]:
        out: dict[str, int] = {}
        for _, raw in whole("requests"):
            out[raw["state"]] = out.get(raw["state"], 0) + 1
        return out

    return {"pending (approver)": pending, "history (newest 20 of a job)": history,
            "Home tab (approver)": pending,  # the same read of every request, filtered twice
            "expiry sweep (first batch)": lambda rng: [r for r in every_request() if r.expires_at <= NOW],
            "requests by state (metric)": counts}


def run_backend(name: str, target: str, args: argparse.Namespace) -> dict[str, Any]:
    store = Store(target)
    requests, audit = history(args.requests, args.audit)
    loaded = fill(store, requests, audit)
    del requests, audit
    print(f"[{name}] filled {args.requests:,} requests and {args.audit:,} audit rows in {loaded:.0f} s", flush=True)
    out: dict[str, Any] = {"fill_s": loaded, "after": {}, "unpaged": {}, "before": {}}
    for label, fn in questions(store).items():
        out["after"][label] = timed(fn, args.runs)
        print(f"[{name}] after  {label:<32} {out['after'][label]['median_ms']:8.2f} ms", flush=True)
        if label in (old := unpaged(store)):
            out["unpaged"][label] = timed(old[label], args.runs)
            print(f"[{name}] unpaged {label:<31} {out['unpaged'][label]['median_ms']:8.2f} ms", flush=True)
    if args.before_runs:
        for label, fn in before(store).items():
            out["before"][label] = timed(fn, args.before_runs)
            print(f"[{name}] before {label:<32} {out['before'][label]['median_ms']:8.0f} ms", flush=True)
    store.close()
    return out


def table(results: dict[str, Any]) -> str:
    backends = list(results)
    head = "| question | " + " | ".join(f"{b} after: median / p99 ms | {b} unpaged: median / p99 ms | "
                                       f"{b} before: median ms" for b in backends) + " |"
    lines = [head, "|" + " --- |" * (1 + 3 * len(backends))]
    for label in results[backends[0]]["after"]:
        cells = []
        for b in backends:
            a = results[b]["after"][label]
            mid = results[b].get("unpaged", {}).get(label)
            pre = results[b]["before"].get(label)
            cells += [f"{a['median_ms']:.2f} / {a['p99_ms']:.2f}",
                      f"{mid['median_ms']:.2f} / {mid['p99_ms']:.2f}" if mid else "—",
                      f"{pre['median_ms']:,.0f}" if pre else "—"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sqlite", action="store_true", help="SQLite only")
    p.add_argument("--postgres", action="store_true", help="PostgreSQL only")
    p.add_argument("--database-url", help="a PostgreSQL to use (default: a throwaway cluster)")
    p.add_argument("--requests", type=int, default=100_000)
    p.add_argument("--audit", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=200, help="timed runs per question (after)")
    p.add_argument("--before-runs", type=int, default=3, help="timed runs per question the old way (0: skip)")
    args = p.parse_args()
    both = not (args.sqlite or args.postgres)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.sqlite or both:
            results["SQLite"] = run_backend("SQLite", str(Path(tmp) / "bot.sqlite"), args)
        if args.postgres or both:
            from tests.pg_cluster import schema_on

            with schema_on(args.database_url) as url:
                results["PostgreSQL"] = run_backend("PostgreSQL", url, args)
    print()
    print(f"{args.requests:,} requests, {args.audit:,} audit rows; {args.runs} runs per question after, "
          f"{args.before_runs} before")
    print(table(results))
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"store_scale-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    print(f"\n{path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
