"""A fake clock for code that waits (the rate limiter's sleep, the budget's window):
time moves only when the code sleeps, and only while the test keeps the gate open."""

from __future__ import annotations

import threading
import time


class GatedClock:
    """Epoch seconds that the code under test moves by sleeping. `gate` starts open
    (`opened=True`) or closed: while it is closed every sleeper waits (at most 10 s),
    so a test can line several threads up behind a spent window, then let them go."""

    def __init__(self, now: float = 1_800_000_000.0, *, opened: bool = True) -> None:
        self.now = now
        self.gate = threading.Event()
        if opened:
            self.gate.set()
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        self.gate.wait(10)
        with self._lock:
            self.now += seconds
        time.sleep(0.002)  # a little real time too: the other waiting threads get their turn


class StepClock:
    """Epoch seconds the test moves by hand (`now`), or the code under test by sleeping;
    no real time passes. `sleeps` lists every sleep asked for, in order, so a test can
    check how long the code chose to wait."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
