"""*Your jobs* on the App Home, driven as Slack would: who sees which jobs (the hiring
team as Greenhouse lists it; admins every open job, a page at a time), the counts, the
button that sends the job view privately, escaping, and what it costs Harvest."""

from __future__ import annotations

import json
import math

import pytest

from bench.home_cost import measure
from bot.greenhouse.models import JobListing
from bot.slack.blocks.home import MAX_HOME_BLOCKS, home_view
from bot.workflows.home import HomeTab
from bot.workflows.home_jobs import JOBS_PER_PAGE, JobLine, YourJobs
from tests.conftest import ADMIN, HM, JOB_ID, OUTSIDER, OUTSIDER_ID, RECRUITER, RECRUITER_ID, STRANGER
from tests.test_home_tab import _request, ask_close, buttons, last_home, open_home

CANDIDATES = ("Ada Lovelace", "Grace Hopper", "Alan Turing")


@pytest.fixture
def settings_overrides():
    return {"bot_approvals_channel": "CAPPROVALS"}


def job_lines(view):
    """(text, button) of each job line: a section whose accessory is the Show job button."""
    return [(b["text"]["text"], b["accessory"]) for b in view["blocks"]
            if b["type"] == "section" and b.get("accessory", {}).get("action_id") == "home_job"]


def open_jobs_reads(gh):
    return [c for c in gh.reads("/jobs") if c.path == "/jobs" and c.params.get("status") == "open"]


def test_recruiter_sees_their_open_jobs_with_openings_and_active_counts(bot, slack, gh):
    gh.add_job(7002, "Closed job", team={"recruiters": [RECRUITER_ID]}, status="closed")
    gh.add_job(7003, "Draft job", team={"recruiters": [RECRUITER_ID]}, status="draft")
    gh.add_job(7004, "Someone else's", team={"recruiters": [OUTSIDER_ID]}, openings=[gh.opening(70041)])
    open_home(bot, RECRUITER)
    view = last_home(slack, RECRUITER)
    [(text, show)] = job_lines(view)
    assert "*Your jobs* (1)" in json.dumps(view)
    assert "Archaeologist" in text and "2 open openings" in text and "3 active candidates" in text
    assert "recruiter" in text
    assert show["value"] == str(JOB_ID)
    # a line per job, no candidate on the tab itself
    assert not any(name in json.dumps(view) for name in CANDIDATES)


def test_outsider_and_unmapped_people_see_no_jobs(bot, slack, gh):
    gh.add_job(7004, "Olly's", team={"recruiters": [OUTSIDER_ID]}, openings=[gh.opening(70041)], status="closed")
    for user in (OUTSIDER, STRANGER):
        open_home(bot, user)
        text = json.dumps(last_home(slack, user))
        assert job_lines(last_home(slack, user)) == []
        assert "Archaeologist" not in text and "Your jobs" not in text and "Nothing waits for you" in text


def test_show_job_sends_the_job_view_to_the_clicker_only(bot, slack, gh):
    bot.click("home_job", str(JOB_ID), RECRUITER, channel="D1")
    [dm] = [m for m in slack.calls_to("chat.postMessage") if m["channel"] == RECRUITER]
    shown = json.dumps(dm)
    assert all(name in shown for name in CANDIDATES) and "Archaeologist" in shown
    assert not [m for m in slack.calls_to("chat.postMessage") if m["channel"] != RECRUITER]


def test_a_forged_show_job_click_by_an_outsider_shows_no_candidate(bot, slack, gh):
    bot.click("home_job", str(JOB_ID), OUTSIDER, channel="D1")
    said = json.dumps([m for m in slack.calls_to("chat.postMessage") if m["channel"] == OUTSIDER])
    assert said != "[]" and not any(name in said for name in CANDIDATES)


def test_admin_pages_through_every_open_job(bot, slack, gh):
    for i in range(45):
        gh.add_job(8000 + i, f"Job {i:02d}", team={"recruiters": [OUTSIDER_ID]}, openings=[gh.opening(80000 + i)])
    open_home(bot, ADMIN)
    first = last_home(slack, ADMIN)
    assert len(first["blocks"]) <= MAX_HOME_BLOCKS
    lines = job_lines(first)
    assert len(lines) == JOBS_PER_PAGE and "Archaeologist" in lines[0][0]  # by name: A… first
    assert "1–20 of 46 open jobs" in json.dumps(first, ensure_ascii=False)
    nav = buttons(first)
    assert "home_jobs_prev" not in nav and nav["home_jobs_next"]["value"] == "20"
    bot.click("home_jobs_next", "20", ADMIN, channel="D1")
    bot.click("home_jobs_next", "40", ADMIN, channel="D1")
    last = last_home(slack, ADMIN)
    assert [t for t, _ in job_lines(last)] and len(job_lines(last)) == 6
    assert "41–46 of 46 open jobs" in json.dumps(last, ensure_ascii=False)
    nav = buttons(last)
    assert "home_jobs_next" not in nav and nav["home_jobs_prev"]["value"] == "20"


def test_a_recruiter_cannot_page_into_jobs_that_are_not_theirs(bot, slack, gh):
    for i in range(30):
        gh.add_job(8000 + i, f"Job {i:02d}", team={"recruiters": [OUTSIDER_ID]}, openings=[gh.opening(80000 + i)])
    bot.click("home_jobs_next", "20", RECRUITER, channel="D1")
    view = last_home(slack, RECRUITER)
    assert [("Archaeologist" in t) for t, _ in job_lines(view)] == [True]


def test_job_names_are_escaped(bot, slack, gh):
    gh.add_job(7005, "<!channel> *Boss* <https://evil.test|click>", team={"recruiters": [RECRUITER_ID]},
               openings=[gh.opening(70051)])
    open_home(bot, RECRUITER)
    text = json.dumps(last_home(slack, RECRUITER))
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "<https://evil" not in text


def test_requests_and_a_page_of_jobs_together_stay_within_100_blocks():
    waiting = [_request(i) for i in range(80)]
    page = [JobLine(JobListing(id=8000 + i, name=f"Job {i}", open_openings=1), active=i) for i in range(JOBS_PER_PAGE)]
    tab = HomeTab(RECRUITER, mapped=True, waiting=waiting, mine=waiting[:10],
                  jobs=YourJobs(lines=page, total=45, offset=0))
    view = home_view(tab)
    assert len(view["blocks"]) <= MAX_HOME_BLOCKS and len(job_lines(view)) == JOBS_PER_PAGE
    assert "more: `/greenhouse pending`" in json.dumps(view)  # the requests were cut, not the jobs
    assert buttons(view)["home_jobs_next"]["value"] == "20"


def test_harvest_failing_leaves_the_jobs_out_not_the_tab(bot, slack, gh):
    gh.fail("GET", "/jobs", 500, times=100)  # every read of the job list fails, the retries too
    r = ask_close(bot)
    open_home(bot, RECRUITER)
    view = last_home(slack, RECRUITER)
    text = json.dumps(view)
    assert buttons(view)["home_approve"]["value"] == r.id and "did not answer for your jobs" in text


def test_repeat_opens_and_refreshes_cost_no_harvest_request(bot, slack, gh):
    open_home(bot, RECRUITER)
    before = len(gh.calls)
    open_home(bot, RECRUITER)
    open_home(bot, RECRUITER)
    assert len(gh.calls) == before
    assert len(open_jobs_reads(gh)) == 1


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_recruiter_on_50_jobs_costs_a_few_list_requests_then_none(version):
    cost = measure(version, jobs=50, others=150, active_per_job=20)
    company_pages = math.ceil(cost.company_active / 500)
    if version == "v1":
        # ⌈200 open jobs / 500⌉ + the company's active applications once (6 pages ≤ 20 jobs on the page)
        assert company_pages <= JOBS_PER_PAGE
        assert cost.first == math.ceil(cost.company_jobs / 500) + company_pages
        assert cost.next_page == 0  # those counts were read company-wide
        assert cost.other_recruiter == 0  # the list of every open job serves him too; every count is known
        assert cost.other_process == 1  # that process's list of every open job; the counts are in the store
        assert cost.after_views == 1  # the list; the views told the counts
    else:
        # her team rows (2) + her jobs by id, closed ones too (⌈60/50⌉) + open openings ⌈50/50⌉
        # + the page's active counts ⌈20/50⌉
        assert (cost.jobs, cost.closed_jobs) == (50, 10)
        assert cost.first == 2 + math.ceil(60 / 50) + math.ceil(50 / 50) + 1
        assert cost.next_page == 1  # the next page's counts, 50 jobs a request
        assert cost.other_recruiter == 2 + 2 * math.ceil(150 / 50) + 1  # he is on the 150 other jobs
        assert cost.other_process == cost.first - 1  # her list again; the page's counts are in the store
        assert cost.after_views == cost.first - 1  # her list; the views told the counts
    assert cost.repeat == 0


def test_an_approved_close_takes_the_job_off_the_tabs_at_once(bot, slack, gh):
    r = ask_close(bot)
    open_home(bot, RECRUITER)
    assert "Archaeologist" in job_lines(last_home(slack, RECRUITER))[0][0]
    bot.click("home_approve", r.id, RECRUITER, channel="D1")
    assert bot.services.requests.get(r.id).state == "done" and gh.jobs[JOB_ID]["status"] == "closed"
    # republished after the transition: the closed job is gone, not kept for the cache's TTL
    assert job_lines(last_home(slack, RECRUITER)) == []
    hannahs = last_home(slack, HM)  # the requester's: her request is there, the closed job is not
    assert job_lines(hannahs) == [] and "Approved by" in json.dumps(hannahs)


def test_the_readme_s_picture_of_the_tab_is_drawn_by_the_bot():
    from bench.home_cost import show

    text = show()  # README.md "App Home" pastes this output
    ritas, hannahs = text.split("Hannah's Home tab:")
    assert "Waiting for your approval (1)" in ritas and "[Approve]  [Deny]" in ritas
    assert "[Archaeologist] · job 6404 · req abc123   [Show job]" in ritas and "you: coordinator" in ritas
    assert "Your requests (1)" in hannahs and "[Open the request]" in hannahs and "Your jobs (2)" in hannahs


class Deferred:
    """An executor that keeps what it is given until the test runs it."""

    def __init__(self):
        self.tasks = []

    def submit(self, fn, *args):
        self.tasks.append((fn, args))

    def run(self):
        for fn, args in self.tasks:
            fn(*args)
        self.tasks.clear()


def test_the_requester_hears_posted_before_anyone_s_tab_is_redrawn(tmp_path, slack, gh):
    from tests.conftest import Bot

    redraws = Deferred()
    bot = Bot.build(tmp_path, slack, gh, home_executor=redraws, bot_approvals_channel="CAPPROVALS")
    jobs_reads = len(open_jobs_reads(gh))
    bot.command(f"close {JOB_ID} on hold", user=HM)
    assert "posted" in bot.replies_text() and slack.calls_to("views.publish") == []
    assert len(open_jobs_reads(gh)) == jobs_reads  # no Harvest read for the tabs stood in the way
    redraws.run()
    assert {c["user_id"] for c in slack.calls_to("views.publish")} >= {HM, RECRUITER}
