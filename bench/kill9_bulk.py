"""kill -9 during a close-and-reject-the-rest of 20 candidates (`bench/kill9.py --bulk`).

Each round: a job with 2 open openings and 20 active candidates. The hiring manager
asks to close it and reject the rest (reason and email picked in the draft), a
recruiter approves; the writes are slow (a delayed write still lands after the bot
that sent it died). The bot process group is SIGKILLed at a random moment of the run,
restarted (start-up reconciles by reading Greenhouse), Retry is clicked if the request
failed — and the new run is SIGKILLed again mid-way (`--kills`, default 2 per round).
Finally the request is finished. The round passes when both openings were closed and
every application rejected, and Greenhouse accepted exactly one PATCH per opening and
one reject per application: lost = a write that never happened, doubled = one that
happened twice.
"""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import kill9_harness as kill9
from bench.kill9_harness import JOB, USERS, BotProcess, FakeHarvest, click, command, fresh_start, request_state, store_for, wait_until
from bot.demo.greenhouse import FakeGreenhouse
from tests.fakes.slack_api import FakeSlack

OPENINGS = (1001, 1002)
APPLICATIONS = tuple(range(5001, 5021))  # 20 active candidates
HARVEST_LIMIT = 50
REASON = 9
TEMPLATE = 77


def bulk_world() -> FakeGreenhouse:
    gh = FakeGreenhouse(api_key=kill9.GH_KEY)
    for uid, (name, email) in USERS.items():
        gh.add_user(uid, name, email)
    gh.close_reasons.append({"id": 7, "name": "On Hold"})
    gh.rejection_reasons.append({"id": REASON, "name": "Position filled", "type": {"id": 1, "name": "We rejected them"}})
    gh.email_templates.append({"id": TEMPLATE, "name": "Standard rejection", "type": "candidate_rejection", "user": None})
    gh.add_job(JOB, "Archaeologist", team={"hiring_managers": [101], "recruiters": [102]},
               openings=[gh.opening(o) for o in OPENINGS])
    for n, app_id in enumerate(APPLICATIONS):
        gh.add_candidate(9000 + n, f"Candidate {n}", [gh.application(app_id, JOB, stage="Onsite")])
    return gh


class BulkHarvest(FakeHarvest):
    def reset(self) -> None:
        self.server.fake = bulk_world()

    def received(self, *, accepted_only: bool) -> tuple[dict[int, int], dict[int, int]]:
        """Writes that reached Greenhouse (or only those it accepted): PATCHes per opening,
        rejects per application. Greenhouse refuses a second reject of a rejected
        application (422), so a doubled reject shows in what it received, not what it accepted."""
        patches = {o: 0 for o in OPENINGS}
        rejects = {a: 0 for a in APPLICATIONS}
        for call in self.server.fake.writes():
            if accepted_only and call.status != 200:
                continue
            if call.method == "PATCH":
                patches[int(call.path.rsplit("/", 1)[1])] += 1
            elif call.method == "POST" and call.path.endswith("/reject"):
                rejects[int(call.path.split("/")[2])] += 1
        return patches, rejects

    def finished(self) -> bool:
        fake = self.server.fake
        return (all(o["status"] == "closed" for o in fake.jobs[JOB]["openings"])
                and all(fake.find_application(a)["status"] == "rejected" for a in APPLICATIONS))


def select(bot: BotProcess, slack: FakeSlack, action_id: str, value: str, user: str) -> None:
    payload = {"type": "block_actions", "user": {"id": user}, "team": {"id": "T1"}, "channel": {"id": "CASK"},
               "container": {"type": "message", "message_ts": "1.1"}, "trigger_id": "t", "response_url": slack.response_url(user),
               "actions": [{"action_id": action_id, "type": "static_select", "block_id": "draft_rest",
                            "selected_option": {"value": value}}]}
    bot.post(urlencode({"payload": json.dumps(payload)}))


def ask_and_approve(bot: BotProcess, slack: FakeSlack, db: str) -> str:
    """Hannah asks to close the job and reject the rest, picks reason and email, submits; Rita approves."""
    command(bot, slack, f"close {JOB} on hold reject rest", "UHM")
    assert wait_until(lambda: "draft_rest_reason" in json.dumps(slack.responses())), "no draft"
    request_id = re.search(r"req-[0-9a-f]+", json.dumps(slack.responses()))[0]
    select(bot, slack, "draft_rest_reason", f"{request_id}|{REASON}", "UHM")
    assert wait_until(lambda: kill9.request_field(db, request_id, "rejection_reason_id") == REASON)
    select(bot, slack, "draft_rest_template", f"{request_id}|{TEMPLATE}", "UHM")
    assert wait_until(lambda: kill9.request_field(db, request_id, "email_template_id") == TEMPLATE)
    click(bot, slack, "draft_submit", request_id, "UHM")
    assert wait_until(lambda: request_state(db, request_id) == "requested"), "request not posted"
    click(bot, slack, "request_approve", request_id, "URC")
    return request_id


def rejected_so_far(harvest: BulkHarvest) -> int:
    return sum(harvest.server.fake.find_application(a)["status"] == "rejected" for a in APPLICATIONS)


def click_decision(bot: BotProcess, slack: FakeSlack, db: str, request_id: str) -> int | None:
    """Rita clicks what the request's state offers (Approve when `requested`, Retry when
    `failed`). Returns the attempts counted before the click (a claim counts one more), or
    None when nothing was clicked: the caller knows when the click was taken."""
    state = request_state(db, request_id)
    if state not in ("requested", "failed"):
        return None
    before = kill9.request_field(db, request_id, "attempts") or 0
    click(bot, slack, "request_approve" if state == "requested" else "request_retry", request_id, "URC")
    return before


def taken(db: str, request_id: str, attempts_before: int) -> bool:
    """Has the click's claim happened (an execution started)? Until then the request still
    reads `failed`: a state read then says nothing about the outcome of that Retry."""
    return (kill9.request_field(db, request_id, "attempts") or 0) > attempts_before


def finish(bot: BotProcess, slack: FakeSlack, db: str, request_id: str, pending: int | None) -> None:
    """After the kills: let the last click be taken, then Retry what a kill left failed (3 times
    at most). Before reading any outcome the last click must have been taken: a request still
    `failed` a moment after Retry was clicked is not an outcome (reading it as one, the bench
    used to stop a run that had just begun and count its writes lost)."""
    if pending is not None:
        wait_until(lambda: taken(db, request_id, pending), 10)
    for _ in range(3):
        wait_until(lambda: request_state(db, request_id) in ("done", "failed"), 30)
        before = click_decision(bot, slack, db, request_id)
        if before is None:
            return
        wait_until(lambda: taken(db, request_id, before), 10)


def bulk_round(harvest: BulkHarvest, slack: FakeSlack, workdir: Path, n: int, kills: int, max_delay_s: float) -> dict:
    db = store_for(workdir, f"bulk{n}")
    env, port = fresh_start(harvest, slack, db)
    bot = BotProcess(env, port)
    killed_at: list[dict[str, Any]] = []
    try:
        request_id = ask_and_approve(bot, slack, db)
        pending: int | None = None  # attempts before the last click, until it is taken
        for k in range(kills):
            time.sleep(random.uniform(0.05, max_delay_s))
            state = request_state(db, request_id)
            bot.kill()
            killed_at.append({"state": state, "rejected_in_greenhouse": rejected_so_far(harvest)})
            bot = BotProcess(env, port)  # start-up reconciles what the dead process left executing
            wait_until(lambda: request_state(db, request_id) != "executing", 15)
            # killed before the click was processed (`requested`), or the run left `failed`: click
            # again. The next kill may come before this click is taken: a lost click, clicked again.
            pending = click_decision(bot, slack, db, request_id)
        finish(bot, slack, db, request_id, pending)
        final = request_state(db, request_id)
        attempts = kill9.request_field(db, request_id, "attempts")
        results = kill9.request_field(db, request_id, "results") or {}
    finally:
        bot.kill()
    with harvest.lock:
        patches, rejects = harvest.received(accepted_only=True)
        sent_patches, sent_rejects = harvest.received(accepted_only=False)
        finished = harvest.finished()
    # What the request says it did: each application rejected by it (none "skipped" by mistake).
    wrong = {a: results.get(f"app:{a}") for a in APPLICATIONS if results.get(f"app:{a}") != "rejected"}
    misreported = len(wrong)
    return {"round": n, "kills": killed_at, "final": final, "attempts": attempts,
            "patches": patches, "rejects": rejects, "misreported": misreported, "outcomes_misreported": wrong,
            "lost": max(int(not finished), sum(c == 0 for c in (*patches.values(), *rejects.values()))),
            "doubled": sum(c > 1 for c in (*sent_patches.values(), *sent_rejects.values()))}


def main(rounds: int, kills: int, max_delay_s: float, database_url: str | None) -> int:
    kill9.DATABASE_URL = database_url  # this module sees bench.kill9, not the __main__ that parsed the arguments
    # Harvest's own limit (50 requests per 10 s): the bot must pace itself by X-RateLimit-Remaining.
    harvest, slack = BulkHarvest(write_delay_s=0.15, limit=HARVEST_LIMIT, window_s=10.0), FakeSlack()
    slack.users.update({"UHM": {"email": "hannah@acme.test"}, "URC": {"email": "rita@acme.test"}})

    def line(r: dict) -> str:
        at = ", ".join(f"{k['state']} ({k['rejected_in_greenhouse']}/20 rejected)" for k in r["kills"])
        return (f"killed in {at} → {r['final']:<6} attempts={r['attempts']} lost={r['lost']} doubled={r['doubled']} "
                f"misreported={r['misreported']}")

    results = kill9.play_rounds(lambda tmp, n: bulk_round(harvest, slack, tmp, n, kills, max_delay_s), line, rounds)
    slack.stop()
    c = kill9.tally(results, "executing")
    writes = sum(len(r["patches"]) + len(r["rejects"]) for r in results)
    stats = harvest.server.snapshot()
    print(f"\nrate limit {HARVEST_LIMIT} per 10 s: {stats['requests']} Harvest requests, "
          f"{stats['over_limit']} over the limit (answered 429)")
    print(f"{len(results)} rounds of close + reject 20 on {kill9.store_name()}, {c['kills']} kills "
          f"({c['mid']} mid-execution): {writes} writes expected, lost {c['lost']}, doubled {c['doubled']} "
          f"(sent twice, whatever Greenhouse answered), misreported outcomes {c['misreported']}, "
          f"rounds left executing {c['stuck']}")
    return kill9.verdict(results, "bulk", c)
