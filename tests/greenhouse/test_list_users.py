"""The user directory's read, `Harvest.list_users`, on both versions over the same fake data."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.conftest import HM_ID, OUTSIDER_ID, RECRUITER_ID


def test_list_users_reads_everyone_with_every_address_in_pages_of_500(backend):
    gh, h = backend.gh, backend.harvest
    for uid in range(2000, 2600):
        gh.add_user(uid, f"Bulk User{uid}", f"bulk{uid}@acme.test")
    gh.users[HM_ID]["emails"].append("hannah.m@personal.test")
    gh.users[OUTSIDER_ID]["disabled"] = True
    gh.calls.clear()

    users = {u.id: u for u in h.list_users()}

    assert users.keys() == gh.users.keys()
    assert users[HM_ID].all_emails() == ["hannah@acme.test", "hannah.m@personal.test"]
    assert users[OUTSIDER_ID].disabled and not users[RECRUITER_ID].disabled
    user_reads = [c for c in gh.calls if c.path == "/users"]
    assert len(user_reads) == 2  # 604 users: two pages of 500
    first = user_reads[0].params
    assert first.get("per_page") == "500" and "updated_after" not in first and "updated_at" not in first
    if backend.v3:
        # secondary addresses come from /user_emails, also read in pages of 500
        assert [c.params.get("per_page") for c in gh.calls if c.path == "/user_emails"][:1] == ["500"]


def test_list_users_since_reads_only_changed_users(backend):
    gh, h = backend.gh, backend.harvest
    gh.users[RECRUITER_ID].update(disabled=True, updated_at="2026-11-25T08:00:00Z")
    gh.calls.clear()

    changed = list(h.list_users(datetime(2026, 11, 25, 7, 59, tzinfo=timezone.utc)))

    assert [(u.id, u.disabled) for u in changed] == [(RECRUITER_ID, True)]
    first = next(c for c in gh.calls if c.path == "/users")
    if backend.v3:
        assert first.params["updated_at"] == "gte|2026-11-25T07:59:00Z"
    else:
        assert first.params["updated_after"] == "2026-11-25T07:59:00Z"
