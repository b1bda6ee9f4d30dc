"""What the App Home's *Your jobs* costs Greenhouse: Harvest requests for a recruiter on
50 open jobs (in a company of 200 open jobs), first open and repeat, on v1 and v3.

The whole bot runs in this process, driven as Slack drives it (a signed `app_home_opened`
event), against the project's fake Slack and fake Greenhouse (v1 shapes, and the same data
in v3 shapes); the fake counts every request. The recruiter is mapped first (a `whoami`),
so the counts are the tab's own. No delay, no rate limit: counts, not times.

    .venv/bin/python bench/home_cost.py            # the table in docs/PERFORMANCE.md
    .venv/bin/python bench/home_cost.py --jobs 120 # another size
    .venv/bin/python bench/home_cost.py --show     # a recruiter's and a hiring manager's tab as text (README)

tests/test_home_jobs.py runs `measure` and checks the rule in bot/workflows/home_jobs.py.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import respx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import HM, HM_ID, JOB_ID, RECRUITER, RECRUITER_ID, Bot, seed_world  # noqa: E402
from tests.fakes.greenhouse import FakeGreenhouse  # noqa: E402
from tests.fakes.greenhouse_v3 import FakeGreenhouseV3  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

V3_SETTINGS = dict(greenhouse_api_key=None, greenhouse_client_id="gh-client-id-3344",
                   greenhouse_client_secret="gh-client-secret-9f0e1d", greenhouse_read_as_user_id=900,
                   greenhouse_api_url="https://harvest.test/v3", greenhouse_auth_url="https://auth.test/token")


@dataclass
class Cost:
    version: str
    jobs: int  # the recruiter's open jobs
    closed_jobs: int  # and closed ones (v3 reads her jobs by id before it knows which are open)
    company_jobs: int  # open jobs in the company
    company_active: int  # active applications in the company
    first: int  # requests for the first open (cold caches)
    repeat: int  # opening it again (within the TTL)
    next_page: int  # the "Next jobs" button (jobs 21-40)
    other_recruiter: int  # another recruiter's first open, right after
    other_process: int  # her first open on another process (worker or replica) on the same store, right after
    after_views: int  # her first open (new process and store) right after someone viewed her page's 20 jobs


def fill(gh: FakeGreenhouse, jobs: int, others: int, active_per_job: int) -> None:
    """The recruiter on `jobs` open jobs (the seed's Archaeologist and `jobs` - 1 more), `others`
    open jobs of someone else, ten closed jobs of hers; `active_per_job` active applications on
    every added job, one candidate each."""
    gh.add_user(105, "Other Recruiter", "rob@acme.test")
    aid = 1_000_000
    for i in range(jobs - 1 + others):
        team = {"recruiters": [RECRUITER_ID if i < jobs - 1 else 105]}
        gh.add_job(20_000 + i, f"Job {i:03d}", team=team, openings=[gh.opening(200_000 + i)], stages=("Onsite",))
        for _ in range(active_per_job):
            aid += 1
            gh.add_candidate(aid, f"Person {aid}", [gh.application(aid, 20_000 + i, stage="Onsite")])
    for i in range(10):
        gh.add_job(30_000 + i, f"Closed {i}", team={"recruiters": [RECRUITER_ID]}, status="closed")


def open_home(bot: Bot, user: str) -> None:
    body = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": f"Ev{time.time_ns()}",
            "event": {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"}}
    assert bot.post_signed(json.dumps(body), content_type="application/json").status_code == 200


def measure(version: str, jobs: int = 50, others: int = 150, active_per_job: int = 20) -> Cost:
    gh = FakeGreenhouse()
    seed_world(gh)
    fill(gh, jobs, others, active_per_job)
    gh.rate_limit = 1_000_000  # counts are measured here, not the limiter
    slack = FakeSlack()
    slack.users.update({RECRUITER: {"email": "rita@acme.test"}, "UROB": {"email": "rob@acme.test"}})
    try:
        with tempfile.TemporaryDirectory() as tmp, respx.mock(assert_all_called=False) as router:
            gh.mount_v1(router)
            FakeGreenhouseV3(gh).mount(router).add_reader()
            bot = Bot.build(Path(tmp), slack, gh, **(V3_SETTINGS if version == "v3" else {}))
            bot.command("whoami", user=RECRUITER)  # maps her: identity's requests are not the tab's
            bot.command("whoami", user="UROB")

            def requests(do: object) -> int:
                before = len(gh.calls)
                do()  # type: ignore[operator]
                return len(gh.calls) - before

            first = requests(lambda: open_home(bot, RECRUITER))
            repeat = requests(lambda: open_home(bot, RECRUITER))
            next_page = requests(lambda: bot.click("home_jobs_next", "20", RECRUITER, channel="D1"))
            other = requests(lambda: open_home(bot, "UROB"))
            # Another worker or replica: its own memory, the same store.
            elsewhere = Bot.build(Path(tmp), slack, gh, **(V3_SETTINGS if version == "v3" else {}))
            elsewhere.command("whoami", user=RECRUITER)
            other_process = requests(lambda: open_home(elsewhere, RECRUITER))
            # A fresh store and process where her first page's jobs were just viewed (job views
            # tell the counts they read): the tab pays for its job list only.
            fresh = Bot.build(Path(tmp) / "fresh", slack, gh, **(V3_SETTINGS if version == "v3" else {}))
            fresh.command("whoami", user=RECRUITER)
            first_page = sorted((j for j in gh.jobs.values() if j["status"] == "open"
                                 and RECRUITER_ID in {m["id"] for m in j["hiring_team"]["recruiters"]}),
                                key=lambda j: (j["name"].lower(), j["id"]))[:20]
            for job in first_page:
                fresh.command(f"job {job['id']}", user=RECRUITER)
            after_views = requests(lambda: open_home(fresh, RECRUITER))
            active = sum(1 for c in gh.candidates.values() for a in c["applications"] if a["status"] == "active")
            hers = [j for j in gh.jobs.values()
                    if RECRUITER_ID in {m["id"] for m in j["hiring_team"]["recruiters"]}]
            open_jobs = sum(1 for j in gh.jobs.values() if j["status"] == "open")
            return Cost(version, sum(1 for j in hers if j["status"] == "open"),
                        sum(1 for j in hers if j["status"] == "closed"), open_jobs, active, first, repeat,
                        next_page, other, other_process, after_views)
    finally:
        slack.stop()


_EMOJI = {"hourglass_flowing_sand": "⏳", "warning": "⚠️", "lock": "🔒", "white_check_mark": "✅", "x": "❌"}


def as_text(view: dict, names: dict[str, str]) -> str:
    """A Home view as plain text, block by block (the README's picture of the tab)."""
    def inline(text: str) -> str:
        text = re.sub(r"<!date\^\d+\^[^|>]*\|([^>]*)>", r"\1", text)
        text = re.sub(r"<@(\w+)>", lambda m: "@" + names.get(m[1], m[1]), text)
        text = re.sub(r"<#(\w+)>", lambda m: "#" + names.get(m[1], m[1]), text)
        text = re.sub(r"<[^|>]+\|([^>]*)>", r"[\1]", text)
        text = re.sub(r"\*([^*\n]+)\*", r"\1", text)  # bold
        text = re.sub(r":([a-z_]+):", lambda m: _EMOJI.get(m[1], m[0]), text)
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    lines: list[str] = []
    for block in view["blocks"]:
        kind = block["type"]
        if kind == "header":
            lines.append(block["text"]["text"].upper())
        elif kind == "divider":
            lines.append("─" * 60)
        elif kind == "section":
            text = inline(block["text"]["text"]).split("\n")
            accessory = block.get("accessory")
            if accessory:
                text[0] += f"   [{accessory['text']['text']}]"
            lines += text
        elif kind == "context":
            lines += ["  " + inline(e["text"]) for e in block["elements"]]
        elif kind == "actions":
            lines.append("  ".join(f"[{e['text']['text']}]" for e in block["elements"]))
    return "\n".join(lines)


def show() -> str:
    """Hannah (hiring manager) asks to close Archaeologist; Rita (its recruiter, and coordinator
    of Geologist) and Hannah open their Home tabs. Both tabs as text."""
    gh = FakeGreenhouse()
    seed_world(gh)
    gh.add_job(7001, "Geologist", requisition_id="GEO-7", openings=[gh.opening(70011)],
               team={"coordinators": [RECRUITER_ID], "hiring_managers": [HM_ID]})
    gh.add_candidate(60, "Marie Curie", [gh.application(600, 7001, stage="Onsite")])
    slack = FakeSlack()
    slack.users.update({HM: {"email": "hannah@acme.test"}, RECRUITER: {"email": "rita@acme.test"}})
    names = {HM: "Hannah", RECRUITER: "Rita", "CAPPROVALS": "approvals"}
    try:
        with tempfile.TemporaryDirectory() as tmp, respx.mock(assert_all_called=False) as router:
            gh.mount_v1(router)
            bot = Bot.build(Path(tmp), slack, gh, bot_approvals_channel="CAPPROVALS")
            bot.command(f"close {JOB_ID} on hold", user=HM)
            out = []
            for user in (RECRUITER, HM):
                open_home(bot, user)
                view = [c["view"] for c in slack.calls_to("views.publish") if c["user_id"] == user][-1]
                view = json.loads(view) if isinstance(view, str) else view
                out.append(f"{names[user]}'s Home tab:\n\n" + as_text(view, names))
            return "\n\n".join(out)
    finally:
        slack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--others", type=int, default=150)
    parser.add_argument("--active", type=int, default=20, help="active applications per open job")
    parser.add_argument("--show", action="store_true", help="print two Home tabs as text instead")
    args = parser.parse_args()
    if args.show:
        print(show())
        return
    print("| Harvest | recruiter's jobs: open / closed | company: open jobs / active applications | first open "
          "| repeat | Next jobs page | another recruiter's first open | her first open on another process "
          "| her first open after views of her page's jobs |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for version in ("v1", "v3"):
        c = measure(version, args.jobs, args.others, args.active)
        print(f"| {c.version} | {c.jobs} / {c.closed_jobs} | {c.company_jobs} / {c.company_active:,} | {c.first} | {c.repeat} "
              f"| {c.next_page} | {c.other_recruiter} | {c.other_process} | {c.after_views} |")


if __name__ == "__main__":
    main()
