#!/usr/bin/env python3
"""The two commands a newcomer needs (only Python required):

    python3 tasks.py run    # make .venv, install the bot, start it (reads .env);
                            # with no Slack or Greenhouse settings at all: the demo in the browser
    python3 tasks.py test   # make .venv, install the bot with test extras, run the tests

`python3 tasks.py bench` runs the benchmarks in bench/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_env(extras: str = "") -> None:
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    spec = f".[{extras}]" if extras else "."
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", spec],
                   cwd=ROOT, check=True)


def given_settings(environ: dict[str, str], env_file: Path) -> list[str]:
    """Names of the Slack and Greenhouse settings given (non-empty) in the environment or .env."""
    found = {k.upper() for k, v in environ.items() if k.upper().startswith(("SLACK_", "GREENHOUSE_")) and v.strip()}
    if env_file.exists():
        for line in env_file.read_text(encoding="utf-8", errors="replace").splitlines():
            name, eq, value = line.strip().removeprefix("export ").partition("=")
            name = name.strip().upper()
            if eq and name.startswith(("SLACK_", "GREENHOUSE_")) and value.strip().strip("'\"").strip():
                found.add(name)
    return sorted(found)


def run_command(environ: dict[str, str], env_file: Path) -> list[str]:
    """`python -m bot`, or the demo when neither Slack nor Greenhouse is configured at all
    (some settings but not all: the bot starts and names what is missing)."""
    if given_settings(environ, env_file):
        return [str(PY), "-m", "bot"]
    print("No Slack or Greenhouse settings in the environment or .env: starting the demo instead.", flush=True)
    return [str(PY), "-m", "bot", "demo"]


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else "help"
    if what == "run":
        ensure_env()
        return subprocess.call(run_command(dict(os.environ), ROOT / ".env"), cwd=ROOT)
    if what == "test":
        ensure_env("test")
        return subprocess.call([str(PY), "-m", "pytest", *argv[2:]], cwd=ROOT)
    if what == "bench":
        ensure_env("test")
        return subprocess.call([str(PY), "bench/run.py", *argv[2:]], cwd=ROOT)
    print(__doc__)
    return 0 if what == "help" else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
