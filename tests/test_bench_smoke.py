"""Smoke test of the benchmark: `bench/run.py --quick` and `bench/company_day.py` run the
bot as a real process against the local fakes and produce figures. Slow (about a minute
each), so excluded by default; run with `pytest -m slow`. The company day's reading of the
mirror's progress from the store is fast and runs by default."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_company_day_reads_the_mirrors_progress_where_the_bot_keeps_it(store: Any, target: str) -> None:
    """The bench waits for the mirror's first full sweep and samples how old its last sync is, reading
    `mirror:state` from the store the bot writes (SQLite file or PostgreSQL), through a connection of its own."""
    from bench.company_day import MIRROR_KEY, MirrorWatch

    watch = MirrorWatch(target)
    try:
        assert watch.wait_swept(0.6) is None  # nothing yet: bounded, then None
        store.put(*MIRROR_KEY, {"synced_until": time.time() - 40, "jobs_at": time.time()})
        assert watch.wait_swept(0.6) is None  # incremental reads are no full sweep
        store.put(*MIRROR_KEY, json.dumps({"swept_at": time.time() - 45, "synced_until": time.time() - 40}))
        ready = watch.wait_swept(5)
        assert ready is not None and ready < 1.5
        watch.sample_during(every_s=0.05)
        time.sleep(0.3)
        report = watch.stop()
    finally:
        watch.close()
    assert report["sync_age_samples"] >= 2
    assert 39 < report["sync_age_max_s"] < 60 and report["samples_stale"] == report["sync_age_samples"]
    assert report["state_at_end"]["swept_at"] > 0


@pytest.mark.slow
def test_quick_bench_produces_figures(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "bench/run.py", "--quick", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "| Active applications |" in proc.stdout

    r = json.loads(out.read_text())
    assert r["mode"] == "quick"
    assert r["job_views"], "no job views measured"
    for view in r["job_views"]:
        assert view["answered"] and view["answer_correct"], view
        assert view["harvest_requests"] > 0
        assert view["final_answer_ms"] > 0
        assert view["naive_requests"] == view["active_applications"] + 1 + (view["active_applications"] - 1) // 500
        assert view["memory_after"]["max_peak_mib"] > 0
    for key in ("ack_latency", "burst"):
        load = r[key]
        assert load["commands"] > 0
        assert load["ack_p50_ms"] is not None and load["ack_p99_ms"] is not None
        assert load["all_answered"], load
        # Views of a job asked about within BOT_VIEW_CACHE_S cost nothing: at most job + one page each.
        assert 0 <= load["harvest"]["requests"] <= 2 * load["commands"]
        assert "rate_limit_reached_user" in load and "harvest_over_limit" in r["burst"]


@pytest.mark.slow
def test_company_day_runs_against_the_procfile_and_reports(tmp_path: Path) -> None:
    """bench/company_day.py on a small company for a few seconds: the figures docs/PERFORMANCE.md quotes are there."""
    out = tmp_path / "day.json"
    proc = subprocess.run(
        [sys.executable, "bench/company_day.py", "--people", "20", "--jobs", "5", "--candidates", "200",
         "--seconds", "6", "--rate", "2", "--warmup", "0", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r = json.loads(out.read_text())
    assert r["topology"].startswith("1 × Procfile") and r["stream"]["sent"] > 0
    assert r["harvest"]["requests"] > 0 and r["harvest"]["budget_per_minute"] == 300
    assert r["commands"] > 0 and 0 <= r["commands_within_3s"] <= 1 and r["wrong_view_answers"] == 0
    workers = [k for k in r["peak_rss_mib"]["replica 0"] if k.startswith("worker")]
    assert len(workers) == 2  # the Procfile's two workers, each measured
    # The mirror's figures are reported; with a mirror in the code, its first full sweep came before the stream.
    has_mirror = (ROOT / "bot" / "workflows" / "harvest_mirror.py").exists()
    assert r["mirror"]["on"] is has_mirror
    assert (r["mirror_ready_s"] is not None) is has_mirror
    assert {"hits", "misses", "share_from_mirror", "measured", "sync"} <= set(r["mirror"])
    assert r["view_cache"]["measured"]["hits"] >= 0


@pytest.mark.slow
def test_company_day_without_the_mirror_turns_it_off(tmp_path: Path) -> None:
    """--no-mirror: the "before" column — the bot runs with BOT_MIRROR_S=0 and nothing waits for a sweep."""
    out = tmp_path / "day.json"
    proc = subprocess.run(
        [sys.executable, "bench/company_day.py", "--people", "20", "--jobs", "5", "--candidates", "200",
         "--seconds", "4", "--rate", "2", "--warmup", "0", "--no-mirror", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r = json.loads(out.read_text())
    assert r["env"]["BOT_MIRROR_S"] == "0"
    assert r["mirror"]["on"] is False and r["mirror_ready_s"] is None and r["mirror"]["sync"] is None
    assert r["mirror"]["hits"] == 0
    assert r["commands"] > 0 and r["wrong_view_answers"] == 0
