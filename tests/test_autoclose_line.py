"""Where the closing's announcement after an Approve click stands in the rate limiter's line
(bot/slack/actions/requests.py: decide; bot/greenhouse/ratelimit.py; bot/waiting.py).

The click's work runs inside its `Waiting`, placed in the line at the click's start. Once
the approver has their answer, the announcement is new work: it queues from when it starts,
behind commands that started before it (even after the click), and nobody is told of its
wait. Before, its reads went ahead of them all with the click's old start time."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

from bot.greenhouse.ratelimit import LocalBudget, RateLimiter
from bot.slack.actions.requests import decide
from bot.slack.listeners import Event
from bot.waiting import WaitEstimate, Waiting, waiting_as
from tests.fakes.clock import GatedClock

JOB_ID = 6404


def approval(announce: Any) -> Event[str]:
    """An Approve click on a close request whose execution closes the job; the announcement
    is `announce`. Only what `decide` asks of the workflows is there."""
    closed = SimpleNamespace(id="r1", kind="close_job", job_id=JOB_ID, job_status_after="closed",
                             job_after=None, reject_rest=False)
    requests = SimpleNamespace(get=lambda _id: closed, may_decide=lambda _r, _c: None,
                               claim=lambda _id, _c, retry: closed, execute=lambda r, progress: r)
    messages = SimpleNamespace(refresh=lambda _r: None, settle=lambda _r: None, progress_line=lambda: None)
    services = SimpleNamespace(requests=requests, request_messages=messages,
                               autoclose=SimpleNamespace(announce_if_closed=announce))
    caller = SimpleNamespace(mapped=lambda: None)
    return Event(services, caller, "r1", {}, None, None)  # type: ignore[arg-type]


def in_line(lim: RateLimiter, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(lim._line) < count and time.monotonic() < deadline:
        time.sleep(0.001)
    assert len(lim._line) == count


def test_the_announcement_queues_from_when_it_starts_behind_a_command_begun_after_the_click():
    clock = GatedClock(100.0, opened=False)
    lim = RateLimiter(budget=LocalBudget(1, 30.0, clock=clock), sleep=clock.sleep, jitter_s=0.0)
    lim.acquire()  # the window is spent: every request below waits in the line
    served: list[str] = []
    told_approver: list[WaitEstimate] = []

    def announce(job_id: int, hint: str | None = None, known: Any = None) -> None:
        lim.acquire()  # the announcement's first Harvest read
        served.append(f"announcement of {job_id} ({hint})")

    click = Waiting(told_approver.append)  # the approver clicks first…
    time.sleep(0.002)
    command = Waiting()  # …someone's command starts after the click…

    def run_command() -> None:
        with waiting_as(command):
            lim.acquire()
        served.append("command")

    threads: list[threading.Thread] = []
    start_in_line(lim, threads, run_command)
    time.sleep(0.002)  # …and the approval's writes end after it: the announcement starts now

    def run_click() -> None:
        with waiting_as(click):  # as bot/slack/listeners.py runs every handler
            decide(approval(announce), retry=False)

    start_in_line(lim, threads, run_click)
    open_and_join(clock, threads)

    assert served == ["command", f"announcement of {JOB_ID} (bot_request)"]
    click.settle()
    assert told_approver == []  # answered already: the announcement's wait is nobody's to hear


def test_the_announcement_is_not_last_in_line_behind_commands_that_start_after_it():
    # Fair from now, not +inf (the names read ahead's place): a command begun after the
    # announcement goes after it, so under load the announcement is not starved.
    clock = GatedClock(100.0, opened=False)
    lim = RateLimiter(budget=LocalBudget(1, 30.0, clock=clock), sleep=clock.sleep, jitter_s=0.0)
    lim.acquire()
    served: list[str] = []
    announcing = threading.Event()

    def announce(job_id: int, hint: str | None = None, known: Any = None) -> None:
        announcing.set()
        lim.acquire()
        served.append("announcement")

    def run_click() -> None:
        with waiting_as(Waiting()):
            decide(approval(announce), retry=False)

    threads: list[threading.Thread] = []
    start_in_line(lim, threads, run_click)
    assert announcing.is_set()
    time.sleep(0.002)
    later = Waiting()

    def run_command() -> None:
        with waiting_as(later):
            lim.acquire()
        served.append("later command")

    start_in_line(lim, threads, run_command)
    open_and_join(clock, threads)
    assert served == ["announcement", "later command"]


def start_in_line(lim: RateLimiter, threads: list[threading.Thread], work: Any) -> None:
    """Start `work` on its own thread and wait until it queues in the limiter's line."""
    threads.append(threading.Thread(target=work))
    threads[-1].start()
    in_line(lim, len(threads))


def open_and_join(clock: Any, threads: list[threading.Thread]) -> None:
    """Let the window turn (the budget frees one slot at a time) and wait for every thread."""
    clock.gate.set()
    for t in threads:
        t.join(10)
