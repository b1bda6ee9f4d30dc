"""A real browser on the demo: Playwright for Python driving Debian's Chromium.

Each test starts `python -m bot demo` afresh (its own port and store, so tests
share nothing) and opens pages on it as different people. Playwright's own
browser download is never used: the `chromium` package's binary is given as the
executable (`.ci/run` installs it when missing; CHROMIUM overrides the path).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# As root the sandbox must be off; the rest stop Chromium from calling hosts this machine cannot reach.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1500, "height": 900}

if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
# Every expectation waits on its condition and returns as soon as it holds, so a generous bound
# costs a green run nothing; 8 s was too tight for the bot's background work (the auto-close
# notice: PATCHes, Greenhouse's web hook, the bot's answer, the page's poll) on a loaded machine.
sync_api.expect.set_options(timeout=30_000)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class DemoProcess:
    def __init__(self, tmp: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GREENHOUSE_", "BOT_"))}
        self.log = tmp / "demo.log"
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "demo", "--port", "0", "--db", str(tmp / "demo.sqlite")],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        self.url = ""
        while time.monotonic() < deadline and self.proc.poll() is None:
            found = re.search(r"(http://127\.0\.0\.1:\d+/)", self.log.read_text())
            if found:
                self.url = found[1]
                break
            time.sleep(0.05)
        if not self.url:
            self.stop()
            raise AssertionError("the demo did not start:\n" + self.log.read_text())
        with urllib.request.urlopen(self.url + "api/directory", timeout=5) as r:
            self.directory = json.load(r)

    def person(self, role: str) -> str:
        """The Slack ID of the sample tenant's person whose role starts with `role`."""
        for p in self.directory["people"]:
            if p["role"].startswith(role):
                return p["id"]
        raise LookupError(role)

    def name(self, user_id: str) -> str:
        return next(p["name"] for p in self.directory["people"] if p["id"] == user_id)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoProcess]:
    d = DemoProcess(tmp_path)
    yield d
    d.stop()


@pytest.fixture
def open_as(browser: Any, demo: DemoProcess) -> Iterator[Any]:
    """open_as("U0HANNAH") → a page of the console as that person (own browser context)."""
    contexts = []

    def open_page(user: str, **query: str) -> Any:
        ctx = browser.new_context(viewport=VIEWPORT)
        contexts.append(ctx)
        page = ctx.new_page()
        extra = "".join(f"&{k}={v}" for k, v in query.items())
        page.goto(f"{demo.url}?as={user}{extra}")
        sync_api.expect(page.locator("#conv-title")).not_to_be_empty()
        return page

    yield open_page
    for ctx in contexts:
        ctx.close()
