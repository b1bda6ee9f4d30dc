"""Claim latency under 20 concurrent clicks: how long the atomic requested → executing
claim (`Store.update`, the same call bot/workflows/requests.py makes) takes when 20
approvers' clicks hit one request at the same instant, spread over three replicas.

Each of 3 replicas is a process with its own store (its own connection pool);
each runs ~7 threads, one per click. A round puts a fresh request; all 20 threads
wait on a barrier, then claim it; exactly one must win. Latency is from the
barrier to the claim's answer, winners and losers alike.

    python bench/claim_latency.py --rounds 50                 # PostgreSQL (a throwaway cluster)
    python bench/claim_latency.py --rounds 50 --sqlite        # one SQLite file

Loopback only; prints p50/p99/max and exits non-zero if a round had other than one winner.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.replicas import bench_store  # noqa: E402
from bot.store import Store  # noqa: E402

CLICKS, REPLICAS = 20, 3


def replica(target: str, index: int, rounds: int, barrier, out) -> None:  # type: ignore[no-untyped-def]
    store = Store(target)
    mine = [i for i in range(CLICKS) if i % REPLICAS == index]
    for n in range(rounds):
        key = f"req-{n}"
        samples: list[tuple[float, bool]] = []

        def click(who: int) -> None:
            def take(raw):  # type: ignore[no-untyped-def]
                if raw["state"] != "requested":
                    return None
                return {**raw, "state": "executing", "decided_by": f"U{who}"}

            barrier.wait(60)
            t0 = time.perf_counter()
            won = store.update("requests", key, take) is not None
            samples.append((time.perf_counter() - t0, won))

        threads = [threading.Thread(target=click, args=(who,)) for who in mine]
        [t.start() for t in threads]
        [t.join(60) for t in threads]
        out.put((n, samples))
    store.close()


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    target, cluster = bench_store(args, Path(tempfile.mkdtemp(prefix="claim-latency-")))
    setup = Store(target)
    for n in range(args.rounds):
        setup.put("requests", f"req-{n}", {"state": "requested"})
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(CLICKS), ctx.Queue()
    procs = [ctx.Process(target=replica, args=(target, i, args.rounds, barrier, out)) for i in range(REPLICAS)]
    try:
        [p.start() for p in procs]
        by_round: dict[int, list[tuple[float, bool]]] = {}
        for _ in range(args.rounds * REPLICAS):
            n, samples = out.get(timeout=300)
            by_round.setdefault(n, []).extend(samples)
        [p.join(60) for p in procs]
    finally:
        setup.close()
        if cluster:
            cluster.stop()
    latencies = [s for samples in by_round.values() for s, _ in samples]
    bad_rounds = [n for n, samples in by_round.items() if sum(w for _, w in samples) != 1]
    result = {
        "backend": "sqlite" if args.sqlite else "postgres", "rounds": args.rounds, "clicks_per_round": CLICKS,
        "replicas": REPLICAS, "claims": len(latencies), "rounds_without_exactly_one_winner": len(bad_rounds),
        "p50_ms": round(pct(latencies, 50) * 1000, 2), "p99_ms": round(pct(latencies, 99) * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2),
    }
    print(json.dumps(result, indent=1))
    outdir = ROOT / "bench" / "out"
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / f"claim-latency-{result['backend']}.json").write_text(json.dumps(result, indent=1))
    return 1 if bad_rounds else 0


if __name__ == "__main__":
    sys.exit(main())
