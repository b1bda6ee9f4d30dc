"""Makes docs/demo.png: the console mid-flow, as the recruiter who just approved a close.

    .venv/bin/python tests/browser/make_screenshot.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DemoProcess  # noqa: E402
from tests.browser.test_console_flows import JOB, go, message, open_thread, say  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "docs" / "demo.png"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        demo = DemoProcess(Path(tmp))
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            size = {"width": 1560, "height": 940}
            hannah = browser.new_context(viewport=size, device_scale_factor=1).new_page()
            hannah.goto(f"{demo.url}?as={demo.person('hiring manager')}")
            say(hannah, f"/greenhouse close {JOB} on hold")
            expect(message(hannah, "for approval")).to_be_visible()
            rita = browser.new_context(viewport=size).new_page()
            rita.goto(f"{demo.url}?as={demo.person('recruiter')}")
            say(rita, f"/greenhouse job {JOB}")
            expect(message(rita, "Active candidates")).to_be_visible()
            go(rita, "approvals")
            thread = open_thread(rita, "Close job")
            thread.get_by_role("button", name="Approve").click()
            rita.get_by_role("alertdialog").get_by_role("button", name="Close openings").click()
            expect(thread).to_contain_text("is now closed")
            expect(rita.locator("#gh-writes .gh-write")).to_have_count(2)
            rita.wait_for_timeout(300)
            rita.screenshot(path=str(OUT))
            print(f"wrote {OUT}")
        finally:
            demo.stop()


if __name__ == "__main__":
    main()
