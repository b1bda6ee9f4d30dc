"""Clicks in the App Home tab. Approve, Retry and Deny go through the very same claim
as the thread's buttons (`requests.decide`), so a click here and one in the thread at
the same moment still make one write. *Show job* runs the `/greenhouse job` view (the
same access rule: candidates for the hiring team and admins only) and sends it to the
clicker by DM; Next/Previous jobs redraw the tab at another page of jobs. A Home tab
click has no response_url: answers and failures are told by DM."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from bot.slack.blocks.home import HOME_APPROVE, HOME_DENY, HOME_JOB, HOME_JOBS_NEXT, HOME_JOBS_PREV, HOME_RETRY
from bot.slack.commands.job import job_page
from bot.slack.home_tabs import HomeTabs
from bot.slack.listeners import Event, ack_now, on_click, tell_in_dm

from .requests import decide, open_deny
from .values import button_id, button_request_id


def _republish(event: Event[str]) -> None:
    HomeTabs.of(event.services).publish(event.caller.slack_user_id)


@on_click("home:approve", button_request_id, tell=tell_in_dm)
def approve_from_home(event: Event[str]) -> None:
    try:
        decide(event, retry=False)
    finally:
        _republish(event)  # the clicker sees the request leave their list, or why it did not


@on_click("home:retry", button_request_id, tell=tell_in_dm)
def retry_from_home(event: Event[str]) -> None:
    try:
        decide(event, retry=True)
    finally:
        _republish(event)


@on_click("home:deny", button_request_id, tell=tell_in_dm)
def deny_from_home(event: Event[str]) -> None:
    open_deny(event)  # the same Deny dialog as in the thread; its submission settles the request


@on_click("home:job", button_id, tell=tell_in_dm)
def show_job(event: Event[int]) -> None:
    view = event.services.job_views.load(str(event.value), event.caller)
    page = job_page(event.services, view)
    event.client.chat_postMessage(channel=event.caller.slack_user_id, text=page.text, blocks=page.blocks,
                                  unfurl_links=False)


@on_click("home:jobs_page", button_id, tell=tell_in_dm)
def page_of_jobs(event: Event[int]) -> None:
    HomeTabs.of(event.services).publish(
        event.caller.slack_user_id, jobs_offset=event.value)


def register(app: App, services: Services) -> None:
    app.action(HOME_APPROVE)(ack=ack_now, lazy=[approve_from_home.lazy(services)])
    app.action(HOME_RETRY)(ack=ack_now, lazy=[retry_from_home.lazy(services)])
    app.action(HOME_DENY)(ack=ack_now, lazy=[deny_from_home.lazy(services)])
    app.action(HOME_JOB)(ack=ack_now, lazy=[show_job.lazy(services)])
    for paging in (HOME_JOBS_NEXT, HOME_JOBS_PREV):
        app.action(paging)(ack=ack_now, lazy=[page_of_jobs.lazy(services)])
