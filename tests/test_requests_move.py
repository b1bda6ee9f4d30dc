"""Stage moves through the running bot, on Harvest v1 and v3: `/greenhouse advance` and
`/greenhouse move` drafted like a reject, approved in the thread (or, with
BOT_STAGE_MOVES_NEED_APPROVAL=false, confirmed by the requester), one POST /move with the
stage ids, in the name of whoever approved."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
import respx

from bot import housekeeping
from tests.conftest import COORDINATOR, HM, HM_ID, JOB_ID, OUTSIDER, RECRUITER, RECRUITER_ID, Bot, seed_world
from tests.fakes.greenhouse import Call, FakeGreenhouse
from tests.fakes.greenhouse_v3 import AUTH_URL, CLIENT_ID, CLIENT_SECRET, READER_ID, V3_BASE, FakeGreenhouseV3

V3_SETTINGS = dict(greenhouse_api_key=None, greenhouse_client_id=CLIENT_ID, greenhouse_client_secret=CLIENT_SECRET,
                   greenhouse_read_as_user_id=READER_ID, greenhouse_api_url=V3_BASE, greenhouse_auth_url=AUTH_URL)


@dataclass
class World:
    version: str
    gh: FakeGreenhouse
    v3: FakeGreenhouseV3 | None
    tmp_path: Any
    slack: Any

    def bot(self, **overrides: Any) -> Bot:
        settings = {"bot_approvals_channel": "CAPPROVALS", **(V3_SETTINGS if self.v3 else {}), **overrides}
        return Bot.build(self.tmp_path, self.slack, self.gh, **settings)

    def acting_user(self, call: Call) -> int:
        if self.v3 is not None:
            assert "on-behalf-of" not in call.headers  # v3 names the actor in the token only
            return self.v3.sub_of(call)  # type: ignore[return-value]
        return int(call.headers["on-behalf-of"])

    def stage_id(self, name: str) -> int:
        return self.gh.stage(JOB_ID, name)["id"]

    def stage_of(self, application_id: int) -> str:
        return self.gh.find_application(application_id)["current_stage"]["name"]


@pytest.fixture(params=["v1", "v3"])
def world(request, tmp_path, slack) -> Any:
    gh = FakeGreenhouse()
    seed_world(gh)
    with respx.mock(assert_all_called=False) as router:
        v3 = None
        if request.param == "v1":
            gh.mount_v1(router)
        else:
            v3 = FakeGreenhouseV3(gh).mount(router)
            v3.add_reader()
        yield World(request.param, gh, v3, tmp_path, slack)


def the_draft(bot: Bot):
    [draft] = [r for r in bot.services.requests.all() if r.state == "draft"]
    return draft


def elements(blocks: list[dict]) -> dict[str, dict]:
    return {el["action_id"]: el for b in blocks if b["type"] == "actions" for el in b["elements"]}


def moves(gh: FakeGreenhouse) -> list[Call]:
    return [c for c in gh.writes() if c.path.endswith("/move")]


def test_advance_is_approved_in_the_thread_and_moves_once_in_the_approvers_name(world, slack):
    bot, gh = world.bot(), world.gh
    bot.command("advance 11", user=HM)
    draft = the_draft(bot)
    assert (draft.kind, draft.stage, draft.to_stage_name) == ("move_application", "Phone Screen", "Technical Interview")
    form = slack.responses()[-1]
    assert "Phone Screen" in json.dumps(form) and "Technical Interview" in json.dumps(form)
    assert set(elements(form["blocks"])) == {"move_stage", "draft_submit", "draft_cancel"}
    bot.click("draft_submit", draft.id, HM)
    assert bot.services.requests.get(draft.id).state == "requested"
    thread = slack.calls_to("chat.postMessage")[1]
    confirm = json.dumps(elements(thread["blocks"])["request_approve"]["confirm"])
    assert "from *Phone Screen* to *Technical Interview*" in confirm and "Ada Lovelace" in confirm
    assert gh.writes() == []
    bot.click("request_approve", draft.id, RECRUITER)
    [write] = gh.writes()
    assert (write.method, write.path, write.body) == ("POST", "/applications/11/move", {
        "from_stage_id": world.stage_id("Phone Screen"), "to_stage_id": world.stage_id("Technical Interview")})
    assert world.acting_user(write) == RECRUITER_ID
    assert world.stage_of(11) == "Technical Interview"
    done = bot.services.requests.get(draft.id)
    assert done.state == "done" and done.results == {"11": "moved"}
    assert "was moved to Technical Interview" in json.dumps(slack.calls_to("chat.update")[-1]["blocks"])


def test_move_matches_stage_words(world, slack):
    bot, gh = world.bot(), world.gh
    bot.command("move 21 reference CHECK", user=HM)
    draft = the_draft(bot)
    assert (draft.stage, draft.to_stage_name) == ("Onsite", "Reference Check")
    assert (draft.from_stage_id, draft.to_stage_id) == (world.stage_id("Onsite"), world.stage_id("Reference Check"))
    bot.click("draft_submit", draft.id, HM)
    bot.click("request_approve", draft.id, RECRUITER)
    [write] = moves(gh)
    assert write.body == {"from_stage_id": world.stage_id("Onsite"), "to_stage_id": world.stage_id("Reference Check")}
    assert world.stage_of(21) == "Reference Check"


def test_double_click_retry_and_second_approver_make_one_post(world, slack):
    bot, gh = world.bot(), world.gh
    bot.command("advance 11", user=HM)
    draft = the_draft(bot)
    bot.click("draft_submit", draft.id, HM)
    bot.click("request_approve", draft.id, RECRUITER)
    bot.click("request_approve", draft.id, RECRUITER, headers={"x-slack-retry-num": "1"})
    bot.click("request_approve", draft.id, COORDINATOR)
    assert len(moves(gh)) == 1
    assert world.stage_of(11) == "Technical Interview"  # not advanced twice
    assert "Already approved by <@URC>" in json.dumps(slack.responses()[-1])


def test_a_stage_changed_meanwhile_is_not_moved(world, slack):
    bot, gh = world.bot(), world.gh
    bot.command("move 11 onsite", user=HM)
    draft = the_draft(bot)
    bot.click("draft_submit", draft.id, HM)
    onsite = gh.stage(JOB_ID, "Reference Check")
    gh.find_application(11)["current_stage"] = {"id": onsite["id"], "name": onsite["name"]}  # moved in Greenhouse
    bot.click("request_approve", draft.id, RECRUITER)
    assert moves(gh) == []
    failed = bot.services.requests.get(draft.id)
    assert failed.state == "failed"
    assert "changed meanwhile: it is in Reference Check now, not Phone Screen" in failed.error
    shown = json.dumps(slack.calls_to("chat.update")[-1]["blocks"])
    assert "changed meanwhile" in shown and "was not moved" in shown


def test_greenhouse_refusing_the_move_is_told_in_its_words(world, slack):
    bot, gh = world.bot(), world.gh
    bot.command("advance 11", user=HM)
    draft = the_draft(bot)
    bot.click("draft_submit", draft.id, HM)
    gh.fail("POST", r"/applications/11/move", 422, {"message": "Validation error", "errors": [
        {"message": "Application is not in stage 1; its current stage is 2", "field": "from_stage_id"}]})
    bot.click("request_approve", draft.id, RECRUITER)
    failed = bot.services.requests.get(draft.id)
    assert failed.state == "failed" and failed.error.startswith("Greenhouse refused:")
    assert "its current stage is 2" in failed.error
    assert world.stage_of(11) == "Phone Screen"


def test_unknown_and_ambiguous_stage_words_list_the_stages(world, slack):
    bot = world.bot()
    bot.command("move 11 final round", user=HM)
    text = bot.replies_text()
    assert "No stage of Archaeologist matches" in text
    assert "Application Review, Phone Screen, Technical Interview, Onsite, Reference Check, Offer" in text
    bot.command("move 11 re", user=HM)
    assert "matches several stages of Archaeologist" in json.dumps(slack.responses()[-1])
    bot.command("move 11 phone screen", user=HM)
    assert "is in Phone Screen already" in json.dumps(slack.responses()[-1])
    assert bot.services.requests.all() == [] and world.gh.writes() == []


def test_advance_from_the_last_stage_and_usage(world, slack):
    bot, gh = world.bot(), world.gh
    offer = gh.stage(JOB_ID, "Offer")
    gh.find_application(21)["current_stage"] = {"id": offer["id"], "name": "Offer"}
    bot.command("advance 21", user=HM)
    assert "the last stage of Archaeologist" in bot.replies_text()
    reads = len(gh.calls)
    ack = bot.command("move eleven", user=HM)  # not an application ID: said at the ack, nothing read
    assert "Usage: `/greenhouse move <application id> [stage name words]`" in ack.get_data(as_text=True)
    assert len(gh.calls) == reads
    assert bot.services.requests.all() == []


def test_only_active_candidates_are_moved(world, slack):
    bot = world.bot()
    bot.command("advance 41", user=HM)  # a rejected application
    assert "Application 41 is rejected, not an active candidate" in bot.replies_text()
    assert bot.services.requests.all() == []


def test_outsider_cannot_draft_a_move_nor_learn_the_candidate(world, slack):
    bot = world.bot()
    bot.command("advance 11", user=OUTSIDER)
    bot.command("move 11 onsite", user=OUTSIDER)
    text = bot.replies_text()
    assert text.count("you are not on its job's hiring team") == 2 and "Ada" not in text
    assert bot.services.requests.all() == [] and world.gh.writes() == []


def test_without_approval_the_requesters_confirm_moves_once_in_their_name(world, slack):
    bot, gh = world.bot(bot_stage_moves_need_approval=False), world.gh
    bot.command("advance 11", user=HM)
    draft = the_draft(bot)
    assert not draft.needs_approval
    form = slack.responses()[-1]
    buttons = elements(form["blocks"])
    assert set(buttons) == {"move_stage", "move_confirm", "draft_cancel"}  # no approval to ask for
    assert "Technical Interview" in json.dumps(buttons["move_confirm"]["confirm"])
    bot.click("move_confirm", draft.id, RECRUITER)  # someone else's draft
    assert "Only the person who asked" in json.dumps(slack.responses()[-1])
    assert gh.writes() == []
    bot.click("move_confirm", draft.id, HM)
    bot.click("move_confirm", draft.id, HM)  # double click
    bot.click("move_confirm", draft.id, HM, headers={"x-slack-retry-num": "1"})
    [write] = gh.writes()
    assert write.path == "/applications/11/move" and world.acting_user(write) == HM_ID
    assert write.body == {"from_stage_id": world.stage_id("Phone Screen"),
                          "to_stage_id": world.stage_id("Technical Interview")}
    done = bot.services.requests.get(draft.id)
    assert done.state == "done" and done.decided_by == HM
    assert "Confirmed by <@UHM>" in bot.replies_text() and "was moved to Technical Interview" in bot.replies_text()
    assert "Already confirmed by <@UHM>" in json.dumps(slack.responses()[-1])


def test_without_approval_a_stage_changed_meanwhile_fails_with_retry(world, slack):
    bot, gh = world.bot(bot_stage_moves_need_approval=False), world.gh
    bot.command("advance 11", user=HM)
    draft = the_draft(bot)
    onsite = gh.stage(JOB_ID, "Onsite")
    gh.find_application(11)["current_stage"] = {"id": onsite["id"], "name": "Onsite"}
    bot.click("move_confirm", draft.id, HM)
    assert gh.writes() == []
    outcome = slack.responses()[-1]
    assert "changed meanwhile" in json.dumps(outcome) and "move_confirm" in elements(outcome["blocks"])
    phone = gh.stage(JOB_ID, "Phone Screen")
    gh.find_application(11)["current_stage"] = {"id": phone["id"], "name": "Phone Screen"}  # moved back
    bot.click("move_confirm", draft.id, HM)  # Retry
    assert len(moves(gh)) == 1 and bot.services.requests.get(draft.id).state == "done"


def test_with_approval_the_requester_cannot_confirm_alone(world, slack):
    bot, gh = world.bot(), world.gh
    bot.command("advance 11", user=HM)
    draft = the_draft(bot)
    bot.click("move_confirm", draft.id, HM)  # a forged click: the draft offers no such button
    assert "needs the approval" in json.dumps(slack.responses()[-1])
    assert gh.writes() == [] and bot.services.requests.get(draft.id).state == "draft"


@pytest.mark.parametrize("greenhouse_did_it", [True, False])
def test_a_move_cut_off_by_a_crash_is_settled_by_reading(world, slack, greenhouse_did_it):
    bot, gh = world.bot(), world.gh
    bot.command("advance 11", user=HM)
    draft = the_draft(bot)
    bot.click("draft_submit", draft.id, HM)
    bot.services.requests.claim(draft.id, bot.services.identity.caller(RECRUITER))
    bot.services.store.update("requests", draft.id,
                              lambda raw: {**raw, "executor": raw["executor"].split(":")[0] + ":999999999"})
    if greenhouse_did_it:
        stage = gh.stage(JOB_ID, "Technical Interview")
        gh.find_application(11)["current_stage"] = {"id": stage["id"], "name": stage["name"]}
    bot.services.store.close()
    restarted = world.bot()
    housekeeping.run_once(restarted.services)
    settled = restarted.services.requests.get(draft.id)
    assert gh.writes() == []  # settled by reading, never by writing
    assert settled.state == ("done" if greenhouse_did_it else "failed")
    if not greenhouse_did_it:
        restarted.click("request_retry", draft.id, COORDINATOR)
        assert len(moves(gh)) == 1 and world.stage_of(11) == "Technical Interview"


def test_a_move_that_needs_no_approval_waits_for_nobody(world, slack):
    bot = world.bot(bot_stage_moves_need_approval=False)
    bot.command("advance 11", user=HM)
    draft = the_draft(bot)
    assert draft.approver_gh_ids == []  # no recruiter's Home tab lists it as waiting for them
    bot.click("request_approve", draft.id, RECRUITER)  # nor can it be approved: it was never posted
    assert world.gh.writes() == [] and bot.services.requests.get(draft.id).state == "draft"


@pytest.mark.slow
def test_kill9_bench_of_a_stage_move():
    """bench/kill9.py --move: real bot processes SIGKILLed twice per round around an approved move, restarted, retried."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "bench/kill9.py", "--move", "--rounds", "2"], cwd=root,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "lost 0, doubled 0 (sent twice, whatever Greenhouse answered), misreported outcomes 0, rounds left executing 0" \
        in run.stdout
