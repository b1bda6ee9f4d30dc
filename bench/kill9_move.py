"""kill -9 during an approved stage move (`bench/kill9.py --move`).

Each round: one active application in Phone Screen. The hiring manager asks to advance
it and submits the draft, a recruiter approves; Greenhouse's write is slow (a delayed
write still lands after the bot that sent it died). The bot process group is SIGKILLed
at a random moment (`--kills` times, default 2: in the first run and in the run Retry
starts), restarted (start-up reconciles by reading the application's stage), Approve or
Retry clicked as the request's state offers, then the request is finished. The round
passes when the application ends in Technical Interview, Greenhouse received exactly one
move for it (a second one, whatever Greenhouse answered, is doubled: it refuses a move
from a stage the application has left, so accepted-only counts would hide it), and the
request says `done` / `moved`.
"""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path
from typing import Any

from bench import kill9_harness as kill9
from bench.kill9_harness import JOB, BotProcess, FakeHarvest, click, command, fresh_start, request_state, store_for, wait_until
from bench.kill9_bulk import click_decision, finish
from bot.demo.greenhouse import FakeGreenhouse
from tests.fakes.slack_api import FakeSlack

APPLICATION = 7001
FROM, TO = "Phone Screen", "Technical Interview"


def move_world() -> FakeGreenhouse:
    gh = kill9.kill9_world()
    gh.add_candidate(9001, "Candidate Zero", [gh.application(APPLICATION, JOB, stage=FROM)])
    return gh


class MoveHarvest(FakeHarvest):
    def reset(self) -> None:
        self.server.fake = move_world()

    def moves(self, *, accepted_only: bool) -> int:
        return sum(c.method == "POST" and c.path == f"/applications/{APPLICATION}/move"
                   and (c.status == 200 or not accepted_only) for c in self.server.fake.writes())

    def stage(self) -> str:
        return (self.server.fake.find_application(APPLICATION)["current_stage"] or {}).get("name", "")


def ask_and_approve(bot: BotProcess, slack: FakeSlack, db: str) -> str:
    """Hannah asks to advance the application and submits the draft; Rita approves."""
    command(bot, slack, f"advance {APPLICATION}", "UHM")
    assert wait_until(lambda: "draft_submit" in json.dumps(slack.responses())), "no draft"
    request_id = re.search(r"req-[0-9a-f]+", json.dumps(slack.responses()))[0]
    click(bot, slack, "draft_submit", request_id, "UHM")
    assert wait_until(lambda: request_state(db, request_id) == "requested"), "request not posted"
    click(bot, slack, "request_approve", request_id, "URC")
    return request_id


def move_round(harvest: MoveHarvest, slack: FakeSlack, workdir: Path, n: int, kills: int, max_delay_s: float) -> dict:
    db = store_for(workdir, f"move{n}")
    env, port = fresh_start(harvest, slack, db)
    bot = BotProcess(env, port)
    killed_at: list[dict[str, Any]] = []
    try:
        request_id = ask_and_approve(bot, slack, db)
        pending: int | None = None
        for _ in range(kills):
            time.sleep(random.uniform(0, max_delay_s))
            state = request_state(db, request_id)
            bot.kill()
            killed_at.append({"state": state, "moved_in_greenhouse": harvest.stage() == TO})
            bot = BotProcess(env, port)  # start-up reconciles what the dead process left executing
            wait_until(lambda: request_state(db, request_id) != "executing", 15)
            pending = click_decision(bot, slack, db, request_id)
        finish(bot, slack, db, request_id, pending)
        final = request_state(db, request_id)
        attempts = kill9.request_field(db, request_id, "attempts")
        outcome = (kill9.request_field(db, request_id, "results") or {}).get(str(APPLICATION))
    finally:
        bot.kill()
    with harvest.lock:
        accepted, sent, stage = harvest.moves(accepted_only=True), harvest.moves(accepted_only=False), harvest.stage()
    return {"round": n, "kills": killed_at, "final": final, "attempts": attempts, "outcome": outcome,
            "moves_accepted": accepted, "moves_sent": sent, "stage": stage,
            "lost": int(stage != TO), "doubled": int(sent > 1),
            "misreported": int(final == "done" and outcome != "moved") + int(final == "failed" and stage == TO)}


def main(rounds: int, kills: int, max_delay_s: float, database_url: str | None) -> int:
    kill9.DATABASE_URL = database_url
    harvest, slack = MoveHarvest(write_delay_s=0.25), FakeSlack()
    slack.users.update({"UHM": {"email": "hannah@acme.test"}, "URC": {"email": "rita@acme.test"}})

    def line(r: dict) -> str:
        at = ", ".join(f"{k['state']} ({'moved' if k['moved_in_greenhouse'] else 'not moved'})" for k in r["kills"])
        return (f"killed in {at} → {r['final']:<6} attempts={r['attempts']} stage={r['stage']} "
                f"moves sent={r['moves_sent']} accepted={r['moves_accepted']}")

    results = kill9.play_rounds(lambda tmp, n: move_round(harvest, slack, tmp, n, kills, max_delay_s), line, rounds)
    slack.stop()
    c = kill9.tally(results, "executing")
    print(f"\n{len(results)} rounds of a stage move on {kill9.store_name()}, {c['kills']} kills "
          f"({c['mid']} mid-execution): lost {c['lost']}, doubled {c['doubled']} (sent twice, whatever Greenhouse answered), "
          f"misreported outcomes {c['misreported']}, rounds left executing {c['stuck']}")
    return kill9.verdict(results, "move", c)
