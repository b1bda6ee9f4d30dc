"""What a change costs the Harvest mirror (docs/decisions/0015-web-hooks-edit-the-mirror.md):
a `job_updated` web hook whose payload matches the job's team and openings is taken in place
(no Harvest request, now or at the next view); anything else it says forgets the job, not its
applications; an application's event — or the bot's own reject — forgets the applications,
not the job; and a job read again after a forgetting fills the mirror for every process.
Driven as Greenhouse and Slack drive the bot, Harvest requests counted, on v1 and v3."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.demo.webhooks import job_updated_payload
from bot.workflows.harvest_mirror import JOBS
from tests.autoclose_support import WEBHOOK_SECRET, deliver, sync_webhooks
from tests.conftest import HM, JOB_ID, OUTSIDER_ID, RECRUITER, Bot, approved_reject
from tests.fakes.clock import StepClock
from tests.test_harvest_mirror import JOB_READS, START, paths, ready, view_text
from tests.test_home_jobs import job_lines
from tests.test_home_tab import last_home, open_home
from tests.test_known_counts import archaeologist_line
from tests.test_job_view_v3 import V3_SETTINGS
from tests.test_user_directory import v3_gh  # noqa: F401 - the v3 fixture

# What re-reading the job itself costs (v1: the job; v3: the job, its openings and team),
# apart from its applications.
JOB_ONLY = JOB_READS - {"/applications"}


@pytest.fixture(params=["v1", "v3"])
def hooked(request, tmp_path, slack, gh, v3_gh):  # type: ignore[no-untyped-def]  # noqa: F811
    """A bot with a web hook secret, its mirror ready, its people mapped; one clock."""
    fake = gh if request.param == "v1" else v3_gh
    clock = StepClock(START)
    fake.clock = clock
    settings = {**(V3_SETTINGS if request.param == "v3" else {}), "greenhouse_webhook_secret": WEBHOOK_SECRET}
    bot = sync_webhooks(Bot.build(tmp_path, slack, fake, **settings))
    bot.services.job_views.mirror.clock = clock
    for person in (HM, RECRUITER):
        bot.command("whoami", user=person)
    ready(bot.services.job_views.mirror)
    assert "Ada Lovelace" in view_text(bot)  # the names of the page known: later views read none
    return bot, fake, clock


def job_update(fake: Any, **changes: Any) -> dict[str, Any]:
    """Greenhouse's signed `job_updated` for the job as the fake holds it, with `changes` made
    there first (as an edit in Greenhouse would)."""
    fake.jobs[JOB_ID].update(changes)
    return {"action": "job_updated", "payload": job_updated_payload(fake.jobs[JOB_ID])}


def hook(bot: Bot, body: dict[str, Any], event: str) -> None:
    assert deliver(bot, body, event_id=event).status_code == 200


def test_a_job_updated_that_matches_the_mirror_is_taken_in_place(hooked):  # type: ignore[no-untyped-def]
    bot, fake, clock = hooked
    fake.calls.clear()
    hook(bot, job_update(fake, name="Senior Archaeologist", requisition_id="REQ-9"), "evt-rename")
    assert fake.calls == []  # the payload was enough: no read at the delivery…
    clock.now += 1
    text = view_text(bot, RECRUITER)
    assert "Senior Archaeologist" in text and "REQ-9" in text and "Ada Lovelace" in text
    assert not JOB_READS & set(paths(fake)), paths(fake)  # …nor at the next view


@pytest.mark.parametrize("change", ["team", "opening", "closed", "confidentiality lifted"])
def test_a_job_updated_the_mirror_cannot_take_forgets_the_job_not_its_applications(hooked, change):  # type: ignore[no-untyped-def]
    bot, fake, clock = hooked
    mirror = bot.services.job_views.mirror
    job = fake.jobs[JOB_ID]
    if change == "confidentiality lifted":
        # The mirror last read the job confidential; a delivery saying it is not may be a late
        # retry from before it was made so: only a read lifts it.
        fake.jobs[JOB_ID]["confidential"] = True
        mirror.fill_job(bot.services.harvest.get_job(JOB_ID), as_of=clock.now)
        assert mirror.open_job(JOB_ID).confidential
    body = job_update(fake)
    payload_job = body["payload"]["job"]
    if change == "team":  # someone added to the hiring team (the payload carries ids only)
        payload_job["hiring_team"]["coordinators"].append({"user_id": OUTSIDER_ID, "employee_id": None})
    elif change == "opening":  # an opening the mirror has not seen
        payload_job["openings"].append({"id": 9_000_001, "opening_id": "new-1", "custom_fields": []})
    elif change == "closed":
        payload_job["status"] = "closed"
    else:
        payload_job["confidential"] = False
    clock.now += 1
    hook(bot, body, f"evt-{change}")
    assert mirror.open_job(JOB_ID) is None  # not answered from the mirror…
    assert mirror.active_rows(JOB_ID) is not None  # …but its applications still are
    if change == "closed":
        return  # (the view of a closed job is the auto-close tests' business)
    fake.calls.clear()
    text = view_text(bot)
    assert "Ada Lovelace" in text
    read = set(paths(fake))
    assert read & JOB_ONLY and "/applications" not in read, paths(fake)  # the job alone is read again
    fake.calls.clear()
    clock.now += 1
    view_text(bot, RECRUITER)
    assert not JOB_READS & set(paths(fake)), paths(fake)  # that read filled the mirror again


def test_an_application_s_event_forgets_its_job_s_applications_not_the_job(hooked):  # type: ignore[no-untyped-def]
    bot, fake, clock = hooked
    app = fake.find_application(11)
    clock.now += 1
    app.update(status="rejected", last_activity_at=fake.stamp())  # rejected in Greenhouse
    hook(bot, {"action": "reject_candidate", "payload": {"application": {
        "id": 11, "status": "rejected", "jobs": [{"id": JOB_ID, "name": "Archaeologist"}]}}}, "evt-reject")
    fake.calls.clear()
    text = view_text(bot)
    assert "Ada Lovelace" not in text and "Grace Hopper" in text  # at once, not at the next turn
    read = set(paths(fake))
    assert "/applications" in read and not read & JOB_ONLY, paths(fake)


def test_the_bot_s_own_reject_reads_the_applications_again_not_the_job(hooked):  # type: ignore[no-untyped-def]
    bot, fake, clock = hooked
    assert approved_reject(bot, 11).state == "done"
    fake.calls.clear()
    clock.now += 1
    text = view_text(bot)
    assert "Ada Lovelace" not in text and "Grace Hopper" in text
    read = set(paths(fake))
    assert "/applications" in read and not read & JOB_ONLY, paths(fake)


def test_a_home_tab_s_read_of_a_forgotten_job_serves_the_next_view(hooked):  # type: ignore[no-untyped-def]
    bot, fake, clock = hooked
    body = job_update(fake)
    body["payload"]["job"]["hiring_team"]["sourcers"].append({"user_id": OUTSIDER_ID, "employee_id": None})
    clock.now += 1
    hook(bot, body, "evt-team")  # the job is forgotten
    fake.calls.clear()
    open_home(bot, RECRUITER)
    assert archaeologist_line(bot.slack)
    assert set(paths(fake)) & JOB_ONLY  # the tab read the job once…
    fake.calls.clear()
    clock.now += 1
    assert "Ada Lovelace" in view_text(bot)
    assert not JOB_READS & set(paths(fake)), paths(fake)  # …and the view took it from the mirror


def test_a_late_delivery_of_an_old_edit_lasts_until_the_next_read_of_the_jobs(hooked):  # type: ignore[no-untyped-def]
    """The payload is stamped when it arrives: the next read of the open jobs (every jobs_s)
    replaces it, so an old name sticks at most one period."""
    bot, fake, clock = hooked
    mirror = bot.services.job_views.mirror
    old = copy.deepcopy(job_update(fake, name="Old Name"))
    fake.jobs[JOB_ID]["name"] = "Archaeologist"
    clock.now += 1
    hook(bot, old, "evt-late")
    assert mirror.open_job(JOB_ID).name == "Old Name"
    clock.now += mirror.jobs_s
    assert mirror.jobs_once() and mirror.sync_once()
    assert mirror.open_job(JOB_ID).name == "Archaeologist"


def test_a_job_the_bot_closed_leaves_the_home_tabs_without_a_read(hooked):  # type: ignore[no-untyped-def]
    bot, fake, clock = hooked
    bot.services.autoclose._clock = clock  # the closing is announced (recent by the fake's stamps)
    bot.command(f"close {JOB_ID} on hold", user=HM)
    [request] = [r for r in bot.services.requests.all() if r.state == "requested"]
    fake.calls.clear()
    bot.click("request_approve", request.id, RECRUITER)  # its requester's and approver's tabs redrawn
    assert fake.jobs[JOB_ID]["status"] == "closed"
    clock.now += 1
    for person in (RECRUITER, HM):
        open_home(bot, person)
    assert [t for t, _ in job_lines(last_home(bot.slack, RECRUITER)) if "Archaeologist" in t] == []
    # The approval's own reads and writes, the announcement's read (v3: the team alone, the
    # request being the cause), and nothing for the tabs: the status read back after the
    # writes said closed.
    openings = [4542441002, 4542441003]
    if bot.services.harvest.version == "v1":  # the job is one request; the status read's serves the announcement
        assert paths(fake) == [f"/jobs/{JOB_ID}", f"/jobs/{JOB_ID}/openings",
                               *[f"/jobs/{JOB_ID}/openings/{o}" for o in openings], f"/jobs/{JOB_ID}"]
    else:
        assert paths(fake) == ["/job_owners", "/openings", *[f"/openings/{o}" for o in openings], "/jobs",
                               "/job_owners", "/job_hiring_managers"]


def test_a_job_updated_saying_closed_leaves_the_home_tabs_without_a_read(hooked):  # type: ignore[no-untyped-def]
    bot, fake, clock = hooked
    body = job_update(fake, status="closed")
    clock.now += 1
    hook(bot, body, "evt-closed")
    fake.calls.clear()
    open_home(bot, RECRUITER)
    assert [t for t, _ in job_lines(last_home(bot.slack, RECRUITER)) if "Archaeologist" in t] == []
    assert not set(paths(fake)) & JOB_ONLY, paths(fake)


def test_a_job_just_closed_is_read_once_for_its_views_within_the_jobs_window(hooked):  # type: ignore[no-untyped-def]
    bot, fake, clock = hooked
    mirror = bot.services.job_views.mirror
    bot.command(f"close {JOB_ID} on hold", user=HM)
    [request] = [r for r in bot.services.requests.all() if r.state == "requested"]
    bot.click("request_approve", request.id, RECRUITER)
    assert fake.jobs[JOB_ID]["status"] == "closed"
    fake.calls.clear()
    clock.now += 1
    assert "Ada Lovelace" in view_text(bot)  # still looked at: its active candidates stay
    assert set(paths(fake)) & JOB_ONLY and "/applications" in paths(fake)  # read: the close forgot it
    fake.calls.clear()
    clock.now += 1
    text = view_text(bot, RECRUITER)
    assert "Ada Lovelace" in text and "closed" in text.lower()
    assert not JOB_READS & set(paths(fake)), paths(fake)  # the first view's read serves the next
    assert mirror.open_job(JOB_ID).status == "closed"
    clock.now += mirror.jobs_s + mirror.jobs_grace_s + 1  # no read of the open jobs refreshes a closed one
    assert mirror.jobs_once() and mirror.sync_once()
    assert mirror.open_job(JOB_ID) is None  # too old to trust: the next view reads it again
    assert f"job:{JOB_ID}" not in dict(bot.services.store.items(JOBS))  # and the table let it go


def test_a_closed_job_kept_for_its_views_and_reopened_is_read_again(hooked):  # type: ignore[no-untyped-def]
    bot, fake, clock = hooked
    mirror = bot.services.job_views.mirror
    fake.jobs[JOB_ID]["status"] = "closed"
    mirror.fill_job(bot.services.harvest.get_job(JOB_ID), as_of=clock.now)  # a view read it closed
    assert mirror.open_job(JOB_ID).status == "closed"
    clock.now += 1
    hook(bot, job_update(fake, status="open"), "evt-reopened")  # team and openings as the mirror has them
    assert mirror.open_job(JOB_ID) is None  # not taken in place: the next view reads it, open
