"""gunicorn settings beyond the Procfile's command line: Prometheus's multiprocess mode.

With several workers, each process counts its own metrics; prometheus_client's
multiprocess mode has every worker write its samples under PROMETHEUS_MULTIPROC_DIR,
and `GET /metrics` on any worker reads all of them (bot/metrics.py, docs/METRICS.md).
gunicorn reads this file from the working directory (the Procfile also names it).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def on_starting(server) -> None:  # type: ignore[no-untyped-def]
    # In the master, before any worker is forked: workers inherit the variable, and so
    # import prometheus_client in multiprocess mode. Samples of an earlier run are stale.
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="bot-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    Path(path).mkdir(parents=True, exist_ok=True)
    for stale in Path(path).glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:  # type: ignore[no-untyped-def]
    # A dead worker's live gauges (cache sizes) must stop counting; its counters stay.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
