"""The sentence a person reads when their command waits for Harvest's budget.

The limiter (bot/greenhouse/ratelimit.py) only estimates; this words it. Said once,
as soon as the wait is known to be a few seconds or more, ephemerally where the
person asked; the answer follows in the same place (bot/slack/listeners.py).
"""

from __future__ import annotations

import math

from bot.waiting import WaitEstimate

WAIT_MARK = ":stopwatch:"  # how a "you are waiting" sentence begins (bench/company_day.py looks for it)
_PLACES = {0: "next", 1: "next but one", 2: "next but two", 3: "next but three"}
# What the work is, as the person would say it (the listener's label → a noun).
_NOUNS = {"command:job": "view", "command:close": "close draft", "command:reject": "rejection draft"}


def noun_for(label: str) -> str:
    if label in _NOUNS:
        return _NOUNS[label]
    return "command" if label.startswith("command:") else "click"


def about(seconds: float) -> str:
    """A duration as a person would round it: 4 s, 15 s, 1 min, 3 min."""
    if seconds < 10:
        return f"{max(1, math.ceil(seconds))} s"
    if seconds < 60:
        return f"{math.ceil(seconds / 5) * 5} s"
    return f"{math.ceil(seconds / 60)} min"


def per_window(window_s: float) -> str:
    return "a minute" if window_s == 60 else f"every {about(window_s)}"


def waiting_sentence(estimate: WaitEstimate, noun: str = "command") -> str:
    place = _PLACES.get(estimate.ahead, f"number {estimate.ahead + 1} in line")
    return (f"{WAIT_MARK} Greenhouse allows {estimate.limit} requests {per_window(estimate.window_s)} "
            f"for everyone using this bot, and they are spent for the moment. Your {noun} is {place}: "
            f"about {about(estimate.seconds)}. The answer will appear here.")
