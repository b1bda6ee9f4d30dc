"""Publishing App Home tabs (`views.publish`), and keeping them current: the
request board wrapped by `RefreshingBoard` republishes the tab of everyone a
request concerns (its requester, its approvers, whoever decided) after each of
its transitions, not only when someone opens the tab."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor

from slack_sdk import WebClient

from bot.app_links import AppLinks
from bot.identity import Identity
from bot.services import Services
from bot.workflows.home import Home
from bot.workflows.request_board import RequestBoard
from bot.workflows.requests import Request

from .blocks.home import home_view

log = logging.getLogger("bot.slack")


class HomeTabs:
    def __init__(self, client: WebClient, home: Home, identity: Identity, links: AppLinks | None = None, *,
                 redraws: Executor | None = None) -> None:
        self.client = client
        self.links = links
        self.home = home
        self.identity = identity
        # Where the redraws after a transition run (None: right here). *Your jobs* may read
        # Harvest, so the wiring gives them a thread of their own: a requester's "posted" and
        # an approver's outcome do not wait for other people's tabs.
        self.redraws = redraws

    @classmethod
    def of(cls, services: Services) -> HomeTabs:
        """The tabs as a click or an event draws them, names linked like everywhere else."""
        return cls(services.slack, services.home, services.identity, AppLinks(services.settings.greenhouse_app_url))

    def publish(self, slack_user_id: str, jobs_offset: int = 0) -> None:
        """Never raises: a tab that could not be drawn now is drawn at the next change or opening."""
        try:
            tab = self.home.tab_for(self.identity.caller(slack_user_id), jobs_offset)
            self.client.views_publish(user_id=slack_user_id, view=home_view(tab, self.links))
        except Exception as exc:  # noqa: BLE001
            log.warning("home_publish_failed error=%s", type(exc).__name__)

    def after_change(self, r: Request) -> None:
        if r.wrote_something and self.home.jobs is not None:
            self.home.jobs.forget_job(r.job_id)  # its openings or active candidates changed
        concerned = [r.requester, r.decided_by]
        concerned += [self.identity.slack_user_for(gh) for gh in Home.concerned_greenhouse_ids(r)]
        users = list(dict.fromkeys(u for u in concerned if u))
        if self.redraws is None:
            self._publish_all(users)
        else:
            self.redraws.submit(self._publish_all, users)

    def _publish_all(self, users: list[str]) -> None:
        for user in users:
            self.publish(user)


class RefreshingBoard:
    """A RequestBoard that also refreshes the Home tabs a request appears on."""

    def __init__(self, board: RequestBoard, tabs: HomeTabs) -> None:
        self.board = board
        self.tabs = tabs

    def post(self, r: Request) -> Request:
        posted = self.board.post(r)
        self.tabs.after_change(posted)
        return posted

    def refresh(self, r: Request) -> None:
        self.board.refresh(r)
        if r.state not in ("executing", "undoing"):  # passing, and on the way to the writes: settle() redraws the tabs just after
            self.tabs.after_change(r)

    def progress_line(self) -> Callable[[Request], None]:
        return self.board.progress_line()  # the tabs show the outcome, redrawn by settle()

    def settle(self, r: Request) -> None:
        self.board.settle(r)
        self.tabs.after_change(r)

    def remind(self, r: Request) -> None:
        self.board.remind(r)
