"""Where requests are shown to people: posted for approval, kept in line with their
state, and the requester told how it ended. The Slack layer implements it
(`bot/slack/request_messages.py`); workflows and housekeeping only see this."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .requests import Request


class RequestBoard(Protocol):
    def post(self, r: Request) -> Request:
        """draft → requested once the request is shown to its approvers (or discarded,
        raising UserFacingError with what to do, when it cannot be shown)."""

    def refresh(self, r: Request) -> None:
        """Bring what people see in line with the request's state."""

    def progress_line(self) -> Callable[[Request], None]:
        """For one long execution (a close that rejects the rest): shows the request as
        each write lands, as often as the board sees fit."""

    def settle(self, r: Request) -> None:
        """A decided request: refresh it and tell the requester."""

    def remind(self, r: Request) -> None:
        """One reminder to the approvers of a request still waiting; the requester is told it was sent."""
