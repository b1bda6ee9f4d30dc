"""kill -9 during an undo of a rejection (`bench/kill9.py --undo`).

Each round: the hiring manager asks to reject an application, the recruiter approves
and the rejection is done (no kill yet). Then the recruiter clicks *Undo rejection*;
Greenhouse's write is slow (a delayed unreject still lands after the bot that sent it
died). The bot process group is SIGKILLed at a random moment (`--kills` times, default
2: in the first undo and in the one clicked after the restart), restarted (start-up
settles a dead undo by reading the application: active → undone, still rejected → back
to done with Undo offered again), Undo clicked again when the request is back at `done`,
then finished. The round passes when the application ends active, Greenhouse received
exactly one unreject (a second one, whatever Greenhouse answered, is doubled: it
refuses to unreject an active application), and the request says `undone` / `unrejected`.
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
from bot.demo.greenhouse import FakeGreenhouse
from tests.fakes.slack_api import FakeSlack

APPLICATION = 7101
REASON = 262


def undo_world() -> FakeGreenhouse:
    gh = kill9.kill9_world()
    gh.rejection_reasons.append({"id": REASON, "name": "Missing resume", "type": {"id": 1, "name": "We rejected them"}})
    gh.add_candidate(9101, "Candidate One", [gh.application(APPLICATION, JOB, stage="Phone Screen")])
    return gh


class UndoHarvest(FakeHarvest):
    def reset(self) -> None:
        self.server.fake = undo_world()

    def unrejects(self, *, accepted_only: bool) -> int:
        return sum(c.method == "POST" and c.path == f"/applications/{APPLICATION}/unreject"
                   and (c.status == 200 or not accepted_only) for c in self.server.fake.writes())

    def status(self) -> str:
        return self.server.fake.find_application(APPLICATION)["status"]


def rejected(bot: BotProcess, slack: FakeSlack, db: str) -> str:
    """Hannah asks to reject the application, Rita approves; the rejection is done."""
    command(bot, slack, f"reject {APPLICATION} missing resume", "UHM")
    assert wait_until(lambda: "draft_submit" in json.dumps(slack.responses())), "no draft"
    request_id = re.search(r"req-[0-9a-f]+", json.dumps(slack.responses()))[0]
    click(bot, slack, "draft_submit", request_id, "UHM")
    assert wait_until(lambda: request_state(db, request_id) == "requested"), "request not posted"
    click(bot, slack, "request_approve", request_id, "URC")
    assert wait_until(lambda: request_state(db, request_id) == "done", 30), "rejection not done"
    return request_id


def generation(db: str, request_id: str) -> int:
    return kill9.request_field(db, request_id, "claim_generation") or 0


def click_undo(bot: BotProcess, slack: FakeSlack, db: str, request_id: str) -> int | None:
    """Rita clicks Undo when the request offers it (`done`): the claim generation before the
    click (an undo's claim takes one more), or None when nothing was clicked."""
    if request_state(db, request_id) != "done":
        return None
    before = generation(db, request_id)
    click(bot, slack, "request_undo", request_id, "URC")
    return before


def undo_round(harvest: UndoHarvest, slack: FakeSlack, workdir: Path, n: int, kills: int, max_delay_s: float) -> dict:
    db = store_for(workdir, f"undo{n}")
    env, port = fresh_start(harvest, slack, db)
    bot = BotProcess(env, port)
    killed_at: list[dict[str, Any]] = []
    try:
        request_id = rejected(bot, slack, db)
        pending = click_undo(bot, slack, db, request_id)
        for _ in range(kills):
            time.sleep(random.uniform(0, max_delay_s))
            state = request_state(db, request_id)
            bot.kill()
            killed_at.append({"state": state, "active_in_greenhouse": harvest.status() == "active"})
            bot = BotProcess(env, port)  # start-up settles an undo the dead process left `undoing`
            wait_until(lambda: request_state(db, request_id) != "undoing", 15)
            # back at `done` (Undo again) or `undone`; a click the kill lost is clicked again here
            pending = click_undo(bot, slack, db, request_id)
        for _ in range(3):  # finish: Undo again what a kill sent back to done
            if pending is not None:  # the click must be taken before `done` means anything
                before = pending
                wait_until(lambda: generation(db, request_id) > before, 10)
            wait_until(lambda: request_state(db, request_id) in ("done", "undone"), 30)
            pending = click_undo(bot, slack, db, request_id)
            if pending is None:
                break
        final = request_state(db, request_id)
        outcome = (kill9.request_field(db, request_id, "results") or {}).get("undo")
    finally:
        bot.kill()
    with harvest.lock:
        accepted, sent, status = (harvest.unrejects(accepted_only=True), harvest.unrejects(accepted_only=False),
                                  harvest.status())
    return {"round": n, "kills": killed_at, "final": final, "outcome": outcome, "unrejects_accepted": accepted,
            "unrejects_sent": sent, "status": status, "lost": int(status != "active"), "doubled": int(sent > 1),
            "misreported": int(final == "undone" and outcome != "unrejected") + int(final != "undone" and status == "active")}


def main(rounds: int, kills: int, max_delay_s: float, database_url: str | None) -> int:
    kill9.DATABASE_URL = database_url
    harvest, slack = UndoHarvest(write_delay_s=0.25), FakeSlack()
    slack.users.update({"UHM": {"email": "hannah@acme.test"}, "URC": {"email": "rita@acme.test"}})

    def line(r: dict) -> str:
        at = ", ".join(f"{k['state']} ({'active' if k['active_in_greenhouse'] else 'rejected'})" for k in r["kills"])
        return (f"killed in {at} → {r['final']:<6} application {r['status']} "
                f"unrejects sent={r['unrejects_sent']} accepted={r['unrejects_accepted']}")

    results = kill9.play_rounds(lambda tmp, n: undo_round(harvest, slack, tmp, n, kills, max_delay_s), line, rounds)
    slack.stop()
    c = kill9.tally(results, "undoing")
    print(f"\n{len(results)} rounds of an undo on {kill9.store_name()}, {c['kills']} kills "
          f"({c['mid']} mid-undo): lost {c['lost']}, doubled {c['doubled']} (sent twice, whatever Greenhouse answered), "
          f"misreported outcomes {c['misreported']}, rounds left undoing {c['stuck']}")
    return kill9.verdict(results, "undo", c)
