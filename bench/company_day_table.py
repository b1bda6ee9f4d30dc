#!/usr/bin/env python3
"""The Markdown rows docs/PERFORMANCE.md ("A company day") quotes, from bench/company_day.py's JSON files,
so that the table says exactly what the runs measured.

    python bench/company_day_table.py bench/out/company-day-v1-1r-*.json
    python bench/company_day_table.py --routes bench/out/company-day-v1-1r-run-….json   # + Harvest requests by route
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

HEADER = ("| run (JSON in bench/out/) | topology | Harvest requests / min (budget) | 429s | ack p50 / p99 | "
          "view answer p50 / p99 (unanswered of views) | commands answered ≤ 3 s | told they wait (of them after 3 s) "
          "| view cache share | views from the mirror | mirror ready after | peak RSS per worker |")


def _num(x: Any, fmt: str = "{:.0f}") -> str:
    return "–" if x is None else fmt.format(x)


def _share(x: Any) -> str:
    return "–" if x is None else f"{x * 100:.1f} %".replace(".0 %", " %")


def row(path: Path) -> str:
    r = json.loads(path.read_text())
    h, view = r["harvest"], r["by_kind"].get("view", {})
    workers = [v for rep in r["peak_rss_mib"].values() for k, v in rep.items() if k.startswith("worker")]
    mirror = r.get("mirror") or {}
    measured = (mirror.get("measured") or {}).get("share")
    return " | ".join([
        f"| `{path.name}`", r["topology"] + ("" if r["harvest_version"] == "v1" else f", Harvest {r['harvest_version']}"),
        f"{_num(h['per_minute'])} ({h['budget_per_minute']})", str(h["status_429"]),
        f"{_num(r['ack_p50_ms'])} / {_num(r['ack_p99_ms'])} ms",
        f"{_num(view.get('answer_p50_s'), '{:.1f}')} / {_num(view.get('answer_p99_s'), '{:.1f}')} s "
        f"({view.get('unanswered', '–')} of {view.get('count', 0)})",
        f"**{_share(r['commands_within_3s'])}**",
        f"{r['commands_told_they_wait']} ({r['told_after_3s']})",
        _share(r["view_cache"]["share_from_cache"]),
        "off" if not mirror.get("on") else _share(measured),
        _num(r.get("mirror_ready_s"), "{:.0f} s"),
        f"{max(workers):.0f} MiB" if workers else "–",
    ]) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--routes", action="store_true", help="also each run's Harvest requests by route")
    args = parser.parse_args()
    print(HEADER)
    print("|" + "---|" * HEADER.count(" | ") + "---|")
    for f in args.files:
        print(row(f))
    if args.routes:
        for f in args.files:
            r = json.loads(f.read_text())
            routes = ", ".join(f"`{k}` {v}" for k, v in r["harvest"]["by_route"].items())
            print(f"\n{f.name}: {r['harvest']['requests']} requests for {r['commands']} commands "
                  f"({r['stream']['sent']} sent): {routes}")


if __name__ == "__main__":
    main()
