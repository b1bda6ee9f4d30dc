"""How long `python -m bot demo` takes to be ready: from starting the process to the
console page, its API and the bot's /healthz all answering 200 on the printed URL.

    python bench/demo_ready.py [--runs 5]

Each run is a fresh process on a free port with its own store (as a user's first
`python3 tasks.py run` after install, minus pip). Prints each run and min/median/max.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def one_run() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "demo.log"
        started = time.monotonic()
        with log.open("w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "bot", "demo", "--port", "0", "--db", f"{tmp}/demo.sqlite"],
                                    cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = None
            while time.monotonic() - started < 30:
                found = re.search(r"http://127\.0\.0\.1:\d+/", log.read_text())
                if found and all(ok(found[0] + p) for p in ("", "api/directory", "healthz")):
                    url = found[0]
                    break
                time.sleep(0.01)
            if url is None:
                raise SystemExit("the demo did not become ready:\n" + log.read_text())
            return time.monotonic() - started
        finally:
            proc.terminate()
            proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times = []
    for i in range(args.runs):
        t = one_run()
        times.append(t)
        print(f"run {i + 1}: ready in {t:.2f} s")
    print(f"demo ready: min {min(times):.2f} s, median {statistics.median(times):.2f} s, max {max(times):.2f} s "
          f"over {len(times)} runs (goal: 3 s)")


if __name__ == "__main__":
    main()
