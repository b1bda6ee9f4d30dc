"""`python -m bot store check | migrate | copy`: moving a SQLite deployment to PostgreSQL."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from bot.store import Store, migrations
from bot.store.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def _seed_sqlite(path: str) -> dict[str, dict[str, object]]:
    store = Store(path)
    data: dict[str, dict[str, object]] = {
        "mappings": {"UHM": {"slack_user_id": "UHM", "greenhouse_user_id": 101}},
        "reverse": {"101": {"slack_user_id": "UHM"}},
        "requests": {f"req-{i}": {"state": "requested", "job_id": 6404, "n": i} for i in range(3)},
        "watches": {"6404:C1": {"job_id": 6404, "channel": "C1"}},
        "announced": {"6404:2026-11-20T10:00:00": {"at": 1.0}},
        "deliveries": {"evt-1": {"action": "job_closed"}},
        "state": {"poller:cursor": 1700000000.5},
        "candidate_names": {"1": {"name": "Ada Lovelace"}},  # a table the copy does not know by name
    }
    for table, rows in data.items():
        for key, value in rows.items():
            store.put(table, key, value)
    for i in range(4):
        store.append_audit({"request_id": "req-0", "i": i})
    store.close()
    return data


def test_copy_moves_every_table_once_and_a_second_run_copies_nothing(tmp_path, pg_url):  # type: ignore[no-untyped-def]
    path = str(tmp_path / "bot.sqlite")
    data = _seed_sqlite(path)
    code, first = _run("copy", "--from", path, "--to", pg_url)
    assert code == 0
    total_rows = sum(len(rows) for rows in data.values()) + 4
    assert f"total {total_rows:>8} {total_rows:>8} {0:>14}".split() == first.splitlines()[-1].split()
    assert "candidate_names" in first and "audit" in first

    code, second = _run("copy", "--from", path, "--to", pg_url)
    assert code == 0
    assert f"total {total_rows:>8} {0:>8} {total_rows:>14}".split() == second.splitlines()[-1].split()

    dst, src = Store(pg_url), Store(path)
    for table, rows in data.items():
        assert dict(dst.dump(table)) == rows
    assert list(dst.dump("audit")) == sorted(src.dump("audit"))
    assert dst.count("audit") == 4
    dst.close()
    src.close()


def test_copy_never_overwrites_what_the_target_already_holds(tmp_path, pg_url):  # type: ignore[no-untyped-def]
    path = str(tmp_path / "bot.sqlite")
    _seed_sqlite(path)
    dst = Store(pg_url)
    dst.put("requests", "req-0", {"state": "done", "job_id": 6404})  # newer, written by the running bot
    code, out = _run("copy", "--from", path, "--to", pg_url)
    assert code == 0
    assert dst.get("requests", "req-0") == {"state": "done", "job_id": 6404}
    assert dst.get("requests", "req-1") == {"state": "requested", "job_id": 6404, "n": 1}
    requests_line = next(line for line in out.splitlines() if line.split()[0] == "requests")
    assert requests_line.split() == ["requests", "3", "2", "1"]
    dst.close()


def test_copy_refuses_a_missing_source_file(tmp_path, pg_url):  # type: ignore[no-untyped-def]
    code, out = _run("copy", "--from", str(tmp_path / "nope.sqlite"), "--to", pg_url)
    assert code == 2 and "no such SQLite file" in out


def test_migrate_then_check_through_python_m_bot(tmp_path, pg_url):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GREENHOUSE_", "BOT_"))}
    env["DATABASE_URL"] = pg_url

    def bot(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "bot", "store", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    latest = migrations.latest(migrations.POSTGRES)
    assert "schema version: 0" in bot("check")
    assert f"applied {list(range(1, latest + 1))}; schema version {latest}" in bot("migrate")
    assert f"applied nothing; schema version {latest}" in bot("migrate")
    writer = Store(pg_url)
    writer.put("requests", "r", {"state": "requested"})
    writer.close()
    out = bot("check")
    assert out.splitlines()[0].startswith("backend: postgres postgres@127.0.0.1") or "TEST_DATABASE_URL" in os.environ
    assert f"schema version: {latest} (latest {latest})" in out
    assert ["requests", "1"] in [line.split() for line in out.splitlines()]
    assert "postgresql://" not in out  # no credentials in what it prints
