"""A long execution's progress line in its request message ("Rejected 14 of 20…"),
redrawn at most every few seconds: one chat.update per write would spend the
workspace's chat.update budget (Slack's Tier 3: about 50 a minute) and slow the run."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.workflows.requests import Request

PROGRESS_EVERY_S = 3.0


class ProgressLine:
    """Calls `show` with the request as it stands: the first time, then only once
    `every_s` has passed since the last redraw (and only if the line changed). The
    request's final state is drawn by `RequestMessages.settle`, not here."""

    def __init__(self, show: Callable[[Request], None], render: Callable[[Request], str], *,
                 every_s: float = PROGRESS_EVERY_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._show, self._render, self._every_s, self._clock = show, render, every_s, clock
        self._last_at: float | None = None
        self._last_line = ""
        self.redraws = 0

    def __call__(self, request: Request) -> None:
        now = self._clock()
        if self._last_at is not None and now - self._last_at < self._every_s:
            return
        line = self._render(request)
        if line == self._last_line:
            return
        self._last_at, self._last_line = now, line
        self.redraws += 1
        self._show(request)
