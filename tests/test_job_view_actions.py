"""Act from where you look (issue 14 item 5): the job view's *Close job…* button and each
candidate's overflow (*Reject…*, *Advance…*, *Move…*) open the same drafts as the slash
commands — the same Harvest reads, the same draft — within Block Kit's limits."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import ADMIN, HM, JOB_ID, OUTSIDER, RECRUITER, RECRUITER_ID, Bot


@pytest.fixture
def settings_overrides():
    return {"bot_approvals_channel": "CAPPROVALS"}


def view(bot, user=HM):
    bot.command(f"job {JOB_ID}", user=user)
    return bot.slack.responses()[-1]["blocks"]


def menus(blocks):
    return {b["text"]["text"]: b["accessory"] for b in blocks if b["type"] == "section" and "accessory" in b}


def overflow(bot, value, user=HM, channel="CASK"):
    return bot.click("job_view_candidate", "", user, channel=channel,
                     extra_action={"type": "overflow", "selected_option": {"value": value}})


def reads(gh, since):
    return [(c.method, c.path, tuple(sorted(c.params.items()))) for c in gh.calls[since:]]


def without_ids(payload) -> str:
    return re.sub(r"req-[0-9a-f]+", "req-X", json.dumps(payload))


def test_the_view_offers_close_and_a_menu_per_candidate(bot, slack, gh):
    blocks = view(bot)
    [close] = [el for b in blocks if b["type"] == "actions" for el in b["elements"] if el["action_id"] == "job_view_close"]
    assert close["value"] == f"close:{JOB_ID}" and close["text"]["text"] == "Close job…"
    found = menus(blocks)
    assert len(found) == 3  # Ada, Grace, Alan: one menu each
    for text, menu in found.items():
        app_id = re.search(r"application `(\d+)`", text).group(1)
        assert menu["type"] == "overflow" and menu["action_id"] == "job_view_candidate"
        assert [(o["text"]["text"], o["value"]) for o in menu["options"]] == [
            ("Reject…", f"reject:{app_id}"), ("Advance…", f"advance:{app_id}"), ("Move…", f"move:{app_id}")]
    assert len(blocks) <= 50
    assert all(len(o["value"]) <= 150 and len(o["text"]["text"]) <= 75 for m in found.values() for o in m["options"])


def test_admins_get_the_actions_outsiders_see_no_candidates_and_no_actions(bot, slack, gh):
    assert len(menus(view(bot, ADMIN))) == 3
    outsider = json.dumps(view(bot, OUTSIDER))
    assert "job_view_candidate" not in outsider and "job_view_close" not in outsider


def test_a_job_without_open_openings_offers_no_close(bot, slack, gh):
    for o in gh.jobs[JOB_ID]["openings"]:
        o["status"] = "closed"
    assert "job_view_close" not in json.dumps(view(bot))


@pytest.mark.parametrize("command, click", [
    (f"close {JOB_ID}", ("job_view_close", f"close:{JOB_ID}")),
    ("reject 11", ("job_view_candidate", "reject:11")),
    ("advance 11", ("job_view_candidate", "advance:11")),
    ("move 11", ("job_view_candidate", "move:11")),
])
def test_a_click_opens_the_same_draft_with_the_same_harvest_reads_as_the_command(tmp_path, slack, gh, command, click):
    by_command = Bot.build(tmp_path / "a", slack, gh, bot_approvals_channel="CAPPROVALS")
    by_click = Bot.build(tmp_path / "b", slack, gh, bot_approvals_channel="CAPPROVALS")
    start = len(gh.calls)
    by_command.command(command, user=HM)
    command_reads, command_draft = reads(gh, start), slack.responses()[-1]
    start = len(gh.calls)
    action_id, value = click
    if action_id == "job_view_close":
        by_click.click(action_id, value, HM, channel="CASK")
    else:
        overflow(by_click, value)
    click_reads, click_draft = reads(gh, start), slack.responses()[-1]
    assert click_reads == command_reads and command_reads  # the same Greenhouse reads, in the same order
    assert without_ids(click_draft["blocks"]) == without_ids(command_draft["blocks"])
    assert click_draft["replace_original"] is False  # the draft comes beside the view, which stays
    [a] = by_command.services.requests.all()
    [b] = by_click.services.requests.all()
    assert a.model_dump(exclude={"id", "created_at", "expires_at"}) == b.model_dump(exclude={"id", "created_at", "expires_at"})
    assert gh.writes() == []


def test_move_from_the_view_picks_a_stage_then_is_approved_and_moved_once(bot, slack, gh):
    overflow(bot, "move:11")
    [draft] = bot.services.requests.all()
    form = slack.responses()[-1]
    elements = {el["action_id"]: el for b in form["blocks"] if b["type"] == "actions" for el in b["elements"]}
    assert set(elements) == {"move_stage", "draft_cancel"}  # nothing to submit before a stage is picked
    options = [o["text"]["text"] for o in elements["move_stage"]["options"]]
    assert options == ["Application Review", "Technical Interview", "Onsite", "Reference Check", "Offer"]  # not its own
    bot.click("draft_submit", draft.id, HM)
    assert "Pick the stage to move it to first" in json.dumps(slack.responses()[-1])
    onsite = next(o["value"] for o in elements["move_stage"]["options"] if o["text"]["text"] == "Onsite")
    bot.click("move_stage", "", HM, extra_action={"type": "static_select", "selected_option": {"value": onsite}})
    redrawn = slack.responses()[-1]
    assert redrawn["replace_original"] is True and "to *Onsite*" in json.dumps(redrawn)
    bot.click("draft_submit", draft.id, HM)
    bot.click("request_approve", draft.id, RECRUITER)
    bot.click("request_approve", draft.id, RECRUITER)
    [write] = gh.writes()
    assert (write.path, write.headers["on-behalf-of"]) == ("/applications/11/move", str(RECRUITER_ID))
    assert write.body == {"from_stage_id": gh.stage(JOB_ID, "Phone Screen")["id"],
                          "to_stage_id": gh.stage(JOB_ID, "Onsite")["id"]}


def test_someone_elses_stage_pick_changes_nothing(bot, slack, gh):
    overflow(bot, "move:11")
    [draft] = bot.services.requests.all()
    value = f"{draft.id}|{gh.stage(JOB_ID, 'Offer')['id']}"
    bot.click("move_stage", "", RECRUITER, extra_action={"type": "static_select", "selected_option": {"value": value}})
    assert "Only the person who asked" in json.dumps(slack.responses()[-1])
    assert bot.services.requests.get(draft.id).to_stage_id is None


@pytest.mark.parametrize("value", ["drop:11", "reject:abc", "reject:11:12", "", "close:<!channel>"])
def test_forged_or_stale_values_are_refused_before_any_harvest_call(bot, slack, gh, value):
    start = len(gh.calls)
    overflow(bot, value)
    assert "out of date" in json.dumps(slack.responses()[-1])
    assert gh.calls[start:] == [] and bot.services.requests.all() == []


def test_an_outsider_clicking_a_forged_menu_learns_nothing(bot, slack, gh):
    for value in ("reject:11", "advance:11", "move:11", f"close:{JOB_ID}"):
        overflow(bot, value, user=OUTSIDER)
    text = bot.replies_text()
    assert text.count("hiring team") == 4 and "Ada" not in text and "Lovelace" not in text
    assert bot.services.requests.all() == [] and gh.writes() == []
