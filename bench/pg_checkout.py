#!/usr/bin/env python3
"""What the PostgreSQL pool's check before lending a connection costs (issue 17, item 7).

psycopg_pool's `check_connection` sends an empty query before each connection it lends,
so every store call is two round trips. This times the store calls the bot makes most
(`get` of one record, and `find` of the requests naming one approver) through
`PostgresStore` with each checking policy:

    always : check every connection before lending it (psycopg_pool's check_connection)
    idle   : check only a connection left unused for BOT_PG_CHECK_IDLE_S or more
    never  : no check

    python bench/pg_checkout.py [--calls 3000] [--database-url postgresql://…]

Prints median / p99 µs per call and the ratio to `always`; writes bench/out/pg_checkout-<ts>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.store.indexes import Contains  # noqa: E402
from bot.store.postgres import PostgresStore  # noqa: E402


POLICIES = (("always", 0.0), ("idle", 30.0), ("never", None))


def run(url: str, calls: int, rounds: int = 30) -> dict[str, Any]:
    """The three policies side by side, interleaved in rounds (a loaded machine drifts)."""
    stores = {policy: PostgresStore(url, check_idle_s=idle_s) for policy, idle_s in POLICIES}
    try:
        first = stores["always"]
        for i in range(200):
            first.put("requests", f"r{i}", {"id": f"r{i}", "state": "requested", "created_at": float(i),
                                            "approver_gh_ids": [i % 20], "requester": "U1"})
        asks = {
            "get": lambda s: s.get("requests", "r7"),
            "find (approver)": lambda s: s.find("requests", approver_gh_ids=Contains(3), state="requested",
                                                order_by="created_at"),
        }
        samples: dict[str, dict[str, list[float]]] = {p: {a: [] for a in asks} for p in stores}
        checks_before = {p: s.liveness.round_trips if s.liveness else 0 for p, s in stores.items()}
        per_round = max(1, calls // rounds)
        for _ in range(rounds):
            for policy, store in stores.items():
                for ask, fn in asks.items():
                    for _ in range(per_round):
                        t0 = time.perf_counter()
                        fn(store)
                        samples[policy][ask].append((time.perf_counter() - t0) * 1e6)
        out: dict[str, Any] = {}
        for policy, store in stores.items():
            checks = (store.liveness.round_trips if store.liveness else 0) - checks_before[policy]
            out[policy] = {"checks_per_call": checks / (per_round * rounds * len(asks))}
            for ask, xs in samples[policy].items():
                xs.sort()
                out[policy][ask] = {"median_us": statistics.median(xs), "p99_us": xs[int(len(xs) * 0.99)]}
            print(f"{policy:<7} checks/call {out[policy]['checks_per_call']:.3f}  "
                  + "  ".join(f"{a} {out[policy][a]['median_us']:.0f} µs" for a in asks), flush=True)
        return out
    finally:
        for store in stores.values():
            store.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=3000)
    p.add_argument("--database-url", help="a PostgreSQL to use (default: a throwaway cluster)")
    args = p.parse_args()
    from tests.pg_cluster import schema_on

    with schema_on(args.database_url) as url:
        results = run(url, args.calls)
    print()
    print("| call | " + " | ".join(f"{p}: median / p99 µs" for p in results) + " | idle / always |")
    print("|" + " --- |" * (2 + len(results)))
    print("| checks sent per call | " + " | ".join(f"{results[p]['checks_per_call']:.3f}" for p in results) + " | |")
    for call in ("get", "find (approver)"):
        cells = [f"{results[p][call]['median_us']:.0f} / {results[p][call]['p99_us']:.0f}" for p in results]
        ratio = results["idle"][call]["median_us"] / results["always"][call]["median_us"]
        print(f"| {call} | " + " | ".join(cells) + f" | {ratio:.2f} |")
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"pg_checkout-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    print(f"\n{path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
