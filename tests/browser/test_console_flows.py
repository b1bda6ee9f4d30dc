"""End to end in a real browser: people use the console, the real bot answers, the demo
Greenhouse records what was written. Every check is on what a person sees on the page."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from bot.demo import tenant

JOB = str(tenant.BACKEND_JOB)  # two open openings, candidates in every stage
JOB_NAME = "Senior Backend Engineer"
CANDIDATE = tenant.BACKEND_CANDIDATES[0][0]
HIRE_JOB = str(tenant.ANALYST_JOB)  # one open opening left


def application_of(name: str) -> int:
    """The sample tenant's application ID for a candidate (the tenant is built the same each run)."""
    gh = tenant.sample_tenant(clock=lambda: 0.0)
    return next(a["id"] for c in gh.candidates.values() if f"{c['first_name']} {c['last_name']}" == name
                for a in c["applications"])


def say(page: Any, text: str) -> None:
    page.fill("#compose-text", text)
    page.press("#compose-text", "Enter")


def go(page: Any, conversation: str) -> None:
    page.locator("#sidebar .conv", has_text=conversation).click()


def message(page: Any, text: str, where: str = "#messages") -> Any:
    return page.locator(f"{where} .msg", has_text=text).last


def open_thread(page: Any, parent_text: str) -> Any:
    message(page, parent_text).locator(".replies").click()
    return page.locator("#thread-messages")


def test_close_flow_from_request_to_greenhouse_and_the_auto_close_notice(demo: Any, open_as: Any) -> None:
    hm, recruiter = demo.person("hiring manager"), demo.person("recruiter")
    hannah = open_as(hm)

    say(hannah, f"/greenhouse job {tenant.BACKEND_REQUISITION}")  # found by requisition ID
    view = message(hannah, "Active candidates")
    expect(view).to_contain_text(CANDIDATE)
    expect(view).to_contain_text("Only visible to you")

    say(hannah, f"/greenhouse close {JOB} on hold")
    expect(message(hannah, "for approval")).to_contain_text("#approvals")

    rita = open_as(recruiter)
    go(rita, "approvals")
    expect(message(rita, "Close job")).to_contain_text("Waiting for approval")
    thread = open_thread(rita, "Close job")
    expect(thread).to_contain_text(f"@{demo.name(recruiter)}")  # the approvers are mentioned
    thread.get_by_role("button", name="Approve").click()
    dialog = rita.get_by_role("alertdialog", name="Close these openings?")
    expect(dialog).to_contain_text("2 open openings will be closed")
    dialog.get_by_role("button", name="Close openings").click()

    # The request and its thread are updated in place: decided, buttons gone.
    expect(message(rita, "Close job")).to_contain_text(f"Approved by @{demo.name(recruiter)}")
    expect(message(rita, "Close job")).to_contain_text("(edited)")
    expect(thread.get_by_role("button", name="Approve")).to_have_count(0)

    # Greenhouse: one PATCH per open opening, on behalf of the recruiter who approved.
    writes = rita.locator("#gh-writes .gh-write")
    expect(writes).to_have_count(2)
    for i in range(2):
        expect(writes.nth(i)).to_contain_text(f"PATCH /v1/jobs/{JOB}/openings/")
        expect(writes.nth(i)).to_contain_text(f"On-Behalf-Of: {demo.name(recruiter)}")
        expect(writes.nth(i)).to_contain_text('"status": "closed"')
    expect(rita.locator(f"#gh-jobs [data-job='{JOB}'] .gh-status")).to_have_text("closed")

    # Greenhouse closed the job itself: the notice lands in the request's thread and as a DM.
    expect(thread).to_contain_text("is now closed")
    go(hannah, "greenhouse")
    expect(hannah.locator("#messages")).to_contain_text(f"{JOB_NAME} ({JOB}) is now closed")
    expect(hannah.locator("#messages")).to_contain_text("Approved by")  # her request's outcome, by DM


def test_hire_in_greenhouse_auto_closes_and_notifies_watchers(demo: Any, open_as: Any) -> None:
    hm = demo.person("hiring manager")
    hannah = open_as(hm)
    say(hannah, f"/greenhouse watch {HIRE_JOB}")
    expect(message(hannah, "This channel will be told")).to_contain_text(f"({HIRE_JOB})")

    card = hannah.locator(f"#gh-jobs [data-job='{HIRE_JOB}']")
    card.get_by_role("button", name="Hire the last candidate").click()
    expect(card.locator(".gh-status")).to_have_text("closed")
    # The signed web hook reached the bot, which re-read the job and told the channel and the team.
    expect(hannah.locator("#messages")).to_contain_text("is now closed")
    expect(hannah.locator("#messages")).to_contain_text("after a hire")
    go(hannah, "greenhouse")
    expect(hannah.locator("#messages")).to_contain_text("after a hire")


def test_reject_denied_with_a_reason(demo: Any, open_as: Any) -> None:
    hm, recruiter = demo.person("hiring manager"), demo.person("recruiter")
    hannah = open_as(hm)
    say(hannah, f"/greenhouse reject {application_of(CANDIDATE)}")
    draft = message(hannah, "Reject application")
    reason = tenant.REJECTION_REASONS[0]["name"]
    draft.get_by_role("combobox", name="Pick a reason").select_option(label=reason)
    expect(draft).to_contain_text(f"rejected with reason {reason}")
    draft.get_by_role("button", name="Request approval").click()
    expect(message(hannah, "for approval")).to_be_visible()

    rita = open_as(recruiter)
    go(rita, "approvals")
    thread = open_thread(rita, "Reject application")
    thread.get_by_role("button", name="Deny").click()
    modal = rita.get_by_role("dialog", name="Deny request")
    modal.get_by_label("Reason").fill("Let's <b>talk</b> to them first")
    modal.get_by_role("button", name="Deny").click()
    expect(modal).to_have_count(0)

    decided = message(rita, "Reject application")
    expect(decided).to_contain_text(f"Denied by @{demo.name(recruiter)}")
    expect(decided).to_contain_text("Let's <b>talk</b> to them first")  # shown as typed, not as HTML
    expect(rita.locator("#messages b", has_text="talk")).to_have_count(0)
    expect(rita.locator("#gh-writes .gh-write")).to_have_count(0)  # nothing reached Greenhouse
    go(hannah, "greenhouse")
    expect(hannah.locator("#messages")).to_contain_text("Denied by")


def test_an_outsider_sees_the_job_but_no_candidate_and_not_the_approvals_channel(demo: Any, open_as: Any) -> None:
    olly = open_as(demo.person("outsider"))
    say(olly, f"/greenhouse job {JOB}")
    view = message(olly, "Candidates are shown only")
    expect(view).to_contain_text(f"{JOB_NAME} ({JOB})")
    expect(olly.locator("#messages")).not_to_contain_text(CANDIDATE)
    expect(olly.locator("#sidebar .conv", has_text="approvals")).to_have_count(0)


# --- as in Slack: unknown text, stale buttons, double clicks ----------------------------------


def test_unknown_text_and_unknown_commands_answer_as_in_slack(demo: Any, open_as: Any) -> None:
    hannah = open_as(demo.person("hiring manager"))
    say(hannah, "/greenhouse frobnicate now")
    expect(message(hannah, "I don't know")).to_contain_text("frobnicate")
    expect(message(hannah, "I don't know")).to_contain_text("Only visible to you")
    say(hannah, "/greenhous job 1")  # a typo: Slack itself answers, the bot never hears of it
    expect(message(hannah, "is not a valid command")).to_contain_text("Slackbot")
    say(hannah, "<b>plain</b> words")  # an ordinary message, shown as typed
    expect(message(hannah, "plain")).to_contain_text("<b>plain</b> words")


def test_a_stale_button_and_a_double_click_write_once(demo: Any, open_as: Any) -> None:
    hm, first, second = demo.person("hiring manager"), *[p["id"] for p in demo.directory["people"]
                                                         if p["role"] == "recruiter"][:2]
    hannah = open_as(hm)
    say(hannah, f"/greenhouse close {JOB}")
    draft = message(hannah, "Close job")
    draft.get_by_role("combobox", name="Pick a reason").select_option(label="On Hold")
    expect(draft).to_contain_text("with reason On Hold")
    draft.get_by_role("button", name="Request approval").dblclick()  # Slack sends both clicks
    expect(message(hannah, "for approval")).to_be_visible()

    # The second recruiter's page stops hearing from the server (short polls, then blocked),
    # so it still shows the buttons after the first recruiter decided, as a lagging client would.
    late = open_as(second, wait="0.3")
    go(late, "approvals")
    late_thread = open_thread(late, "Close job")
    expect(late_thread.get_by_role("button", name="Approve")).to_be_visible()
    late.route("**/api/seen*", lambda route: route.abort())
    late.wait_for_timeout(400)  # the poll in flight (at most 0.3 s) has come back

    quick = open_as(first)
    go(quick, "approvals")
    expect(quick.locator("#messages .msg", has_text="Close job")).to_have_count(1)  # one request for two clicks
    thread = open_thread(quick, "Close job")
    thread.get_by_role("button", name="Approve").click()
    quick.get_by_role("alertdialog").get_by_role("button", name="Close openings").click()
    expect(message(quick, "Close job")).to_contain_text("Approved by")

    late_thread.get_by_role("button", name="Approve").click()  # still on screen: stale
    late.get_by_role("alertdialog").get_by_role("button", name="Close openings").click()
    late.unroute("**/api/seen*")
    expect(late.locator("#thread-messages")).to_contain_text(f"Already approved by @{demo.name(first)}")
    expect(late.locator("#gh-writes .gh-write")).to_have_count(2)  # still one PATCH per opening
