"""Long lists in pages (issue 17, item 7): an admin's `pending` and Home tab list the oldest
few of however many requests are open, say how many more there are (counted by the store,
not by reading them) and where to see them; each page reads a bounded number of records."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from bot.workflows.requests import Request
from tests.conftest import ADMIN, HM, OUTSIDER, RECRUITER, RECRUITER_ID, Bot

T0 = 1_900_000_000.0  # far ahead: nothing seeded here expires during the test


def _seed(bot: Bot, n: int, state: str, requester: str, approvers: list[int], *, at: float) -> Request:
    r = Request(id=f"seed-{n:05d}", kind="close_job", state=state, job_id=6404, job_name=f"Job {n}",
                requester=requester, requester_gh=1, requester_name="Someone", origin_channel="C1",
                approver_gh_ids=approvers, opening_ids=[1], created_at=at, expires_at=at + 10 * 86_400)
    bot.services.store.put("requests", r.id, r.model_dump())
    return r


@pytest.fixture
def seeded(bot: Bot) -> dict[str, list[Request]]:
    """150 waiting and 50 failed by others (every other one naming the recruiter as approver),
    3 waiting made by the admin, 4 by the recruiter (2 naming themselves), and finished history."""
    out: dict[str, list[Request]] = {"others": [], "admin": [], "recruiter": []}
    n = 0
    for i in range(200):
        state = "failed" if i % 4 == 3 else "requested"
        out["others"].append(_seed(bot, n, state, HM if i % 2 else "UOTHER", [RECRUITER_ID] if i % 2 == 0 else [999],
                                   at=T0 + i))
        n += 1
    for i in range(3):
        out["admin"].append(_seed(bot, n, "requested", ADMIN, [RECRUITER_ID], at=T0 - 100 + i))  # oldest of all
        n += 1
    for i in range(4):
        out["recruiter"].append(_seed(bot, n, "requested", RECRUITER, [RECRUITER_ID] if i < 2 else [999],
                                      at=T0 + 0.5 + i))
        n += 1
    for i in range(300):
        _seed(bot, n, "done", "UOTHER", [RECRUITER_ID], at=T0 - 10_000 + i)
        n += 1
    return out


def _text(message: Any) -> str:
    return json.dumps(message, ensure_ascii=False)


def _listed_ids(message: dict[str, Any]) -> list[str]:
    """Each request line of a `pending` answer names the job (`Job <n>`), which is the seed's number."""
    text = json.dumps(message["blocks"])
    return [f"seed-{int(n):05d}" for n in re.findall(r"Job (\d+)", text)]


class FindSpy:
    """How many request records the store's indexed queries returned."""

    def __init__(self, bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rows = 0
        store = bot.services.store
        find = store.find

        def spy(table: str, **query: Any) -> list[Any]:
            found = find(table, **query)
            if table == "requests":
                self.rows += len(found)
            return found

        monkeypatch.setattr(store, "find", spy)


def test_admin_pending_lists_the_oldest_forty_and_says_how_many_more(bot, slack, gh, seeded, monkeypatch):
    everyone = sorted(seeded["others"] + seeded["admin"] + seeded["recruiter"], key=lambda r: r.created_at)
    spy = FindSpy(bot, monkeypatch)
    bot.command("pending", user=ADMIN)
    page = slack.responses()[-1]
    assert page["text"] == "207 open request(s)"
    assert _listed_ids(page) == [r.id for r in everyone[:40]]
    text = _text(page)
    assert "1\u201340 of 207, oldest first" in text
    assert "and 167 more: `/greenhouse pending 2` for the next page" in text
    # One query per undecided state, each stopping after the page: not the 207 open ones.
    assert spy.rows <= 2 * 40

    bot.command("pending 6", user=ADMIN)
    last = slack.responses()[-1]
    assert _listed_ids(last) == [r.id for r in everyone[200:]]
    assert "201\u2013207 of 207" in _text(last) and "more:" not in _text(last)

    bot.command("pending 9", user=ADMIN)
    assert "There are 207 open request(s): 6 page(s)" in _text(slack.responses()[-1])


def test_a_page_that_is_not_a_number_is_refused_at_the_ack(bot, slack, gh):
    resp = bot.command("pending two", user=ADMIN)
    assert "Usage: `/greenhouse pending [page]`" in resp.get_data(as_text=True)
    assert slack.responses() == []


def test_an_approver_pending_counts_theirs_and_those_naming_them_once(bot, slack, gh, seeded):
    # Theirs (4, 2 of which name them too) ∪ the others naming them (100): 104, listed once each.
    bot.command("pending", user=RECRUITER)
    page = slack.responses()[-1]
    assert page["text"] == "107 open request(s)"  # + the admin's 3, which name the recruiter
    mine_or_naming = sorted(seeded["recruiter"] + seeded["admin"]
                            + [r for r in seeded["others"] if RECRUITER_ID in r.approver_gh_ids],
                            key=lambda r: r.created_at)
    assert _listed_ids(page) == [r.id for r in mine_or_naming[:40]]
    bot.command("pending 3", user=RECRUITER)
    assert _listed_ids(slack.responses()[-1]) == [r.id for r in mine_or_naming[80:]]


def test_a_requester_with_few_sees_one_page_without_paging_words(bot, slack, gh, seeded):
    bot.command("pending", user=OUTSIDER)
    assert "No open requests that you made or may approve." in _text(slack.responses()[-1])
    _seed(bot, 9000, "requested", OUTSIDER, [999], at=T0)
    bot.command("pending", user=OUTSIDER)
    text = _text(slack.responses()[-1])
    assert "Job 9000" in text and " of " not in text and "more" not in text


def _open_home(bot: Bot, user: str) -> dict[str, Any]:
    body = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": f"Ev{time.time_ns()}",
            "event": {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"}}
    assert bot.post_signed(json.dumps(body), content_type="application/json").status_code == 200
    views = [c["view"] for c in bot.slack.calls_to("views.publish") if c["user_id"] == user]
    view = views[-1]
    return json.loads(view) if isinstance(view, str) else view


def _approve_values(view: dict[str, Any]) -> list[str]:
    return [el["value"] for b in view["blocks"] if b["type"] == "actions" for el in b["elements"]
            if el["action_id"] in ("home_approve", "home_retry")]


def test_admin_home_lists_the_oldest_of_the_others_and_counts_them_all(bot, slack, gh, seeded, monkeypatch):
    spy = FindSpy(bot, monkeypatch)
    view = _open_home(bot, ADMIN)
    text = _text(view)
    others = sorted(seeded["others"] + seeded["recruiter"], key=lambda r: r.created_at)  # not the admin's own 3
    assert "*Waiting for your approval* (204)" in text
    shown = _approve_values(view)
    assert shown and shown == [r.id for r in others[:len(shown)]]
    assert f"and {204 - len(shown)} more: `/greenhouse pending`" in text
    assert spy.rows <= 2 * 25 + 3 + 10  # two pages of 25 (one per state), their own 3, "Your requests"


def test_approver_home_counts_those_naming_them_but_not_their_own(bot, slack, gh, seeded):
    view = _open_home(bot, RECRUITER)
    text = _text(view)
    # 100 others and the admin's 3 name the recruiter; their own 2 that name them are not theirs to decide.
    assert "*Waiting for your approval* (103)" in text
    naming = sorted(seeded["admin"] + [r for r in seeded["others"] if RECRUITER_ID in r.approver_gh_ids],
                    key=lambda r: r.created_at)
    shown = _approve_values(view)
    assert shown == [r.id for r in naming[:len(shown)]]
    assert f"and {103 - len(shown)} more" in text


# --- housekeeping sweeps: oldest due first, a bounded batch at a time ----------------------------


def test_sweeps_walk_every_due_request_once_in_small_batches(bot, monkeypatch):
    """Expiry and reminders over more due requests than a batch holds, with equal times
    straddling the batches' ends: each due one handled once, oldest due first, and no query
    returns more than a batch per state."""
    from bot.workflows.requests import transitions

    monkeypatch.setattr(transitions, "SWEEP_BATCH", 3)  # odd: pairs of equal times straddle batches
    requests, reminders = bot.services.requests, bot.services.reminders
    now = T0 + 1_000_000
    monkeypatch.setattr(requests, "_clock", lambda: now)
    monkeypatch.setattr(reminders, "_clock", lambda: now)
    monkeypatch.setattr(reminders, "after_s", 3600.0)
    store = bot.services.store
    largest: list[int] = []
    find = store.find
    monkeypatch.setattr(store, "find", lambda table, **q: largest.append(len(r := find(table, **q))) or r)

    def put(n: int, state: str, created: float, expires: float) -> None:
        r = _seed(bot, n, state, HM, [RECRUITER_ID], at=created)
        store.put("requests", r.id, {**r.model_dump(), "expires_at": expires})

    # 11 requested + 4 failed + 3 drafts past their TTL, in pairs of equal expiry; 2 not yet due.
    for i in range(18):
        state = "failed" if i % 5 == 4 else "draft" if i % 6 == 5 else "requested"
        put(i, state, now - 90_000 - i, now - 1000 + i // 2)
    put(50, "requested", now - 7200, now + 50)  # due a reminder, not yet expired
    put(51, "requested", now - 7200, now + 50)  # the same instant
    put(52, "requested", now - 60, now + 5000)  # too young for a reminder
    expired = requests.expire_due()  # state by state, oldest due first within each
    assert [r.id for r in expired] == [f"seed-{i:05d}" for i in range(18) if i % 5 != 4 and i % 6 != 5] + [
        f"seed-{i:05d}" for i in range(18) if i % 5 == 4]
    assert len(store.find("audit", request_id="seed-00000")) == 1
    assert max(largest) <= 3
    assert {store.get("requests", f"seed-{i:05d}")["state"] for i in range(18)} == {"expired", "discarded"}
    # Reminders: the requested ones still waiting past the threshold, once; then none.
    for i in range(54, 62):
        put(i, "requested", now - 7200 - i, now + 60)
    largest.clear()
    due = reminders.due()
    assert sorted(r.id for r in due) == sorted(["seed-00050", "seed-00051", *[f"seed-{i:05d}" for i in range(54, 62)]])
    assert [r.created_at for r in due] == sorted(r.created_at for r in due)  # oldest first
    assert max(largest) <= 3
    assert reminders.due() == []
