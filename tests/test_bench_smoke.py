"""Smoke test of the benchmark: `bench/run.py --quick` runs the bot as a real
process against the local fakes and produces figures. Slow (about a minute), so
excluded by default; run with `pytest -m slow`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
