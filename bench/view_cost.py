"""What a job view costs Greenhouse on Harvest v1 and v3, side by side (issue 12 item 4):
Harvest requests for the first and a repeat view of a job with 10 / 1,000 / 5,000 active
applications (one candidate each, no history), and for its first view in a bot that has
already shown another job (in another department and office, with other candidates).

The whole bot runs in this process, driven as Slack drives it (signed slash commands),
against the project's fake Slack and fake Greenhouse (v1 shapes, and the same data in v3
shapes); the fake counts every request. Each size gets a fresh bot and store. The asker is
mapped first (a `whoami`): the user directory's read is identity's, not the view's. Each bot
first makes its start-up check, as a deployed one does (one `GET close_reasons`, not counted). The
view cache is off (BOT_VIEW_CACHE_S=0) so that the repeat view really reads Greenhouse. "first"
is the process's first view, so v3's decoration lists (departments, offices; the close reasons
came with the start-up check) are paid by it; "first, running" is the job's first view after another job's (a fresh bot and
store again): the lists are known, the job, its team, its stages and its candidates' names
are not. No delay, no rate limit: counts, not times.

    .venv/bin/python bench/view_cost.py              # the table in docs/PERFORMANCE.md
    .venv/bin/python bench/view_cost.py --sizes 10,300
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import respx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.home_cost import V3_SETTINGS  # noqa: E402
from tests.conftest import HM, HM_ID, JOB_ID, Bot, seed_world  # noqa: E402
from tests.fakes.greenhouse import FakeGreenhouse  # noqa: E402
from tests.fakes.greenhouse_v3 import FakeGreenhouseV3  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402


@dataclass
class Cost:
    version: str
    active: int
    first: int
    repeat: int
    first_by_path: dict[str, int]
    running_first: int = 0  # the job's first view after another job's
    running_by_path: dict[str, int] | None = None


OTHER_JOB = 7070  # the job viewed before, in the "first, running" case


def is_identity(call: Any, version: str) -> bool:
    """v1 `/users?email=`; v3 the user directory (`/users`, `/user_emails` without ids)."""
    if version == "v1":
        return call.path == "/users"
    return call.path == "/user_emails" or (call.path == "/users" and "ids" not in call.params)


def start_up(bot: Bot) -> None:
    """What a deployed bot does when it starts, before anyone asks anything: its Harvest check
    (bot/readiness.py: one `GET close_reasons`, whose answer v3 keeps for naming closed openings)
    and the read-ahead of the names that only decorate a view (bot/background.py: v3 reads
    departments and offices; v1 nothing)."""
    assert bot.services.readiness is not None and bot.services.readiness.check_harvest().ok
    bot.services.harvest.read_ahead_decorations()


def world(active: int) -> FakeGreenhouse:
    gh = FakeGreenhouse()
    seed_world(gh)
    gh.rate_limit = 1_000_000
    gh.candidates.clear()  # exactly `active` active applications on the job
    for i in range(active):
        gh.add_candidate(10_000 + i, f"Bulk Person{i}", [gh.application(100_000 + i, JOB_ID, stage="Onsite")])
    other = gh.add_job(OTHER_JOB, "Surveyor", team={"hiring_managers": [HM_ID]},
                       openings=[gh.opening(70_701), gh.opening(70_702, "closed", close_reason={"id": 365, "name": "Hire - New Headcount"})])
    other["departments"], other["offices"] = [{"id": 71, "name": "Field work"}], [{"id": 72, "name": "Remote"}]
    gh.add_candidate(9_000, "Other Person", [gh.application(90_000, OTHER_JOB, stage="Onsite")])
    return gh


def by_path(calls: list[Any]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for c in calls:
        counted[c.path] = counted.get(c.path, 0) + 1
    return dict(sorted(counted.items()))


def measure(version: str, active: int) -> Cost:
    gh = world(active)
    slack = FakeSlack()
    slack.users[HM] = {"email": "hannah@acme.test"}
    try:
        with respx.mock(assert_all_called=False) as router, tempfile.TemporaryDirectory() as tmp:
            gh.mount_v1(router)
            FakeGreenhouseV3(gh).mount(router).add_reader(V3_SETTINGS["greenhouse_read_as_user_id"])
            settings = {"bot_view_cache_s": 0, **(V3_SETTINGS if version == "v3" else {})}
            bot = Bot.build(Path(tmp), slack, gh, **settings)
            start_up(bot)
            bot.command("whoami", user=HM)
            at = len(gh.calls)
            bot.command(f"job {JOB_ID}", user=HM)
            middle = len(gh.calls)
            bot.command(f"job {JOB_ID}", user=HM)
            first_calls = [c for c in gh.calls[at:middle] if not is_identity(c, version)]
            repeat = sum(1 for c in gh.calls[middle:] if not is_identity(c, version))
        with respx.mock(assert_all_called=False) as router, tempfile.TemporaryDirectory() as tmp:
            gh.mount_v1(router)
            FakeGreenhouseV3(gh).mount(router).add_reader(V3_SETTINGS["greenhouse_read_as_user_id"])
            bot = Bot.build(Path(tmp), slack, gh, **settings)
            start_up(bot)
            bot.command("whoami", user=HM)
            bot.command(f"job {OTHER_JOB}", user=HM)
            at = len(gh.calls)
            bot.command(f"job {JOB_ID}", user=HM)
            running_calls = [c for c in gh.calls[at:] if not is_identity(c, version)]
    finally:
        slack.stop()
    return Cost(version, active, len(first_calls), repeat, by_path(first_calls), len(running_calls),
                by_path(running_calls))


def table(costs: list[Cost]) -> str:
    rows = ["| active applications | v1 first | v3 first | v3 / v1 | v1 first, running | v3 first, running | v3 / v1 "
            "| v1 repeat | v3 repeat | v3 / v1 |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    sizes = sorted({c.active for c in costs})
    for n in sizes:
        v1 = next(c for c in costs if c.version == "v1" and c.active == n)
        v3 = next(c for c in costs if c.version == "v3" and c.active == n)
        rows.append(f"| {n:,} | {v1.first} | {v3.first} | {v3.first / v1.first:.1f}× | {v1.running_first} | "
                    f"{v3.running_first} | {v3.running_first / v1.running_first:.1f}× | {v1.repeat} | {v3.repeat} | "
                    f"{v3.repeat / v1.repeat:.1f}× |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,1000,5000")
    args = parser.parse_args()
    costs = [measure(version, int(n)) for n in args.sizes.split(",") for version in ("v1", "v3")]
    print(table(costs))
    for c in costs:
        print(f"{c.version} {c.active:>5} first view by path: {c.first_by_path}")
        print(f"{c.version} {c.active:>5} first view, running, by path: {c.running_by_path}")


if __name__ == "__main__":
    main()
