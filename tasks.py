#!/usr/bin/env python3
"""The two commands a newcomer needs (only Python required):

    python3 tasks.py run    # make .venv, install the bot, start it (reads .env)
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


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else "help"
    if what == "run":
        ensure_env()
        return subprocess.call([str(PY), "-m", "bot"], cwd=ROOT)
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
