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
