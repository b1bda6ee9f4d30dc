"""The rate limiter waits as long as Greenhouse says, for every combination of
`Retry-After`, `X-RateLimit-Reset` and `X-RateLimit-Remaining` — on a fake clock,
so a wait is asserted exactly and costs no time."""

from __future__ import annotations

from email.utils import format_datetime
from datetime import datetime, timezone

import httpx
import pytest
import respx

from bot.greenhouse.ratelimit import RateLimiter, ServerWord
from bot.greenhouse.transport import HarvestTransport
from bot.greenhouse.v1 import V1Auth

EPOCH = 1_790_000_000.0  # the wall clock at the start (any fixed moment: no test reads today's date)
BASE = "https://harvest.test/v1"


class Clocks:
    """A monotonic clock and a wall clock that move together when anyone sleeps."""

    def __init__(self) -> None:
        self.mono = 500.0
        self.skew = 0.0  # how far our wall clock is ahead of Greenhouse's

    def monotonic(self) -> float:
        return self.mono

    def wall(self) -> float:
        return EPOCH + self.skew + (self.mono - 500.0)

    def server_wall(self) -> float:
        return EPOCH + (self.mono - 500.0)

    def sleep(self, seconds: float) -> None:
        self.mono += seconds


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


def limiter(clocks: Clocks, limit: int = 50, window_s: float = 10.0, *, fixed_window: bool = False) -> RateLimiter:
    return RateLimiter(limit, window_s, clock=clocks.monotonic, wall=clocks.wall, sleep=clocks.sleep, jitter_s=0.0,
                       fixed_window=fixed_window)


def waited_for_next(lim: RateLimiter, clocks: Clocks) -> float:
    before = clocks.mono
    lim.acquire()
    return clocks.mono - before


def http_date(epoch: float) -> str:
    return format_datetime(datetime.fromtimestamp(epoch, timezone.utc), usegmt=True)


OUT = {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "0"}  # what a rate-limited answer carries


@pytest.mark.parametrize(
    ("status", "headers", "expected_wait"),
    [
        # 429: Retry-After in seconds wins over Remaining 0 and over a later reset
        (429, {**OUT, "Retry-After": "2"}, 2.0),
        (429, {**OUT, "Retry-After": "2", "X-RateLimit-Reset": str(int(EPOCH) + 7)}, 2.0),
        # 429: Retry-After as an HTTP date
        (429, {**OUT, "Retry-After": http_date(EPOCH + 3)}, 3.0),
        # 429: no Retry-After, the reset as epoch seconds (v3), as seconds from now, as an HTTP date
        (429, {**OUT, "X-RateLimit-Reset": str(int(EPOCH) + 4)}, 4.0),
        (429, {**OUT, "X-RateLimit-Reset": "6"}, 6.0),
        (429, {**OUT, "X-RateLimit-Reset": http_date(EPOCH + 5)}, 5.0),
        # 429 with neither: the only guess left is a whole window
        (429, OUT, 10.0),
        (429, {}, 10.0),
        # 200 with nothing left: until the reset when given, else a window
        (200, {**OUT, "X-RateLimit-Reset": str(int(EPOCH) + 3)}, 3.0),
        (200, {**OUT, "X-RateLimit-Reset": "1"}, 1.0),
        (200, OUT, 10.0),
        # 200 with budget left: no pause at all
        (200, {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "10", "X-RateLimit-Reset": str(int(EPOCH) + 9)}, 0.0),
        # a 429 whose reset is already past waits a second, not a window; a huge wait is capped at 300 s
        (429, {**OUT, "X-RateLimit-Reset": str(int(EPOCH) - 30)}, 1.0),
        (200, {**OUT, "X-RateLimit-Reset": str(int(EPOCH) - 30)}, 0.0),
        (429, {**OUT, "Retry-After": "86400"}, 300.0),
    ],
)
def test_the_wait_is_what_greenhouse_says(clocks, status, headers, expected_wait):
    lim = limiter(clocks)
    lim.acquire()
    assert lim.observe(headers, status=status) == pytest.approx(expected_wait)
    assert waited_for_next(lim, clocks) == pytest.approx(expected_wait, abs=1e-6)


def test_dates_are_read_against_the_servers_clock_when_it_sends_one(clocks):
    clocks.skew = 40.0  # our wall clock runs 40 s ahead of Greenhouse's
    lim = limiter(clocks)
    lim.acquire()
    headers = {**OUT, "Date": http_date(clocks.server_wall()), "X-RateLimit-Reset": str(int(clocks.server_wall()) + 3)}
    assert lim.observe(headers, status=429) == pytest.approx(3.0)
    # Without `Date` the same reset looks 37 s in the past from our skewed clock: no wait, not a wrong one.
    assert ServerWord.read({"X-RateLimit-Reset": str(int(clocks.server_wall()) + 3)}, wall_now=clocks.wall()).reset_in_s == 0


def test_after_the_named_moment_a_fixed_windows_whole_budget_is_back(clocks):
    # Remaining 0 made us count the budget as spent; once Greenhouse's FIXED window (v3)
    # has turned over, we may send the full limit again without a further window's wait.
    # (On a sliding window, v1, it is not: tests/greenhouse/test_ratelimit_windows.py.)
    lim = limiter(clocks, limit=5, fixed_window=True)
    lim.acquire()
    lim.observe({"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "Retry-After": "1"}, status=429)
    start = clocks.mono
    for _ in range(5):
        lim.acquire()
    assert clocks.mono - start == pytest.approx(1.0, abs=1e-6)
    before = clocks.mono
    lim.acquire()  # the sixth within our own sliding window waits again
    assert clocks.mono - before > 0


def test_unreadable_headers_are_ignored_not_trusted(clocks):
    word = ServerWord.read({"Retry-After": "soon", "X-RateLimit-Reset": "later", "X-RateLimit-Remaining": "x"},
                           wall_now=clocks.wall())
    assert (word.retry_after_s, word.reset_in_s, word.remaining) == (None, None, None)
    lim = limiter(clocks)
    lim.acquire()
    assert lim.observe({"Retry-After": "soon"}, status=429) == 10.0  # unreadable = not there: a window


def test_two_429s_with_retry_after_1_cost_two_seconds_through_the_transport(clocks):
    """The bug this fixes: Remaining 0 on a 429 used to add a whole window on top of Retry-After."""
    lim = limiter(clocks)
    times: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        times.append(clocks.mono)
        if len(times) <= 2:
            return httpx.Response(429, json={"message": "Rate limit exceeded"}, headers={**OUT, "Retry-After": "1"})
        return httpx.Response(200, json={"id": 6404}, headers={"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "47"})

    with respx.mock(base_url=BASE) as router:
        router.get("/jobs/6404").mock(side_effect=answer)
        transport = HarvestTransport(BASE, V1Auth("k"), lim, http=httpx.Client(), sleep=clocks.sleep)
        assert transport.get("jobs/6404") == {"id": 6404}
    assert [round(t - times[0], 6) for t in times] == [0.0, 1.0, 2.0]


def test_the_store_shared_budget_follows_the_same_word(clocks, tmp_path):
    """The budget shared through the store (bot/store/budget.py) waits the same way."""
    from bot.store import Store
    from bot.store.budget import StoreBudget

    store = Store(str(tmp_path / "bot.sqlite"))
    budget = StoreBudget(store, "v3:abc", limit=5, window_s=10.0, clock=clocks.wall)
    lim = RateLimiter(budget=budget, wall=clocks.wall, sleep=clocks.sleep, jitter_s=0.0, fixed_window=True)
    lim.acquire()
    lim.observe({"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "Retry-After": "1"}, status=429)
    start = clocks.mono
    for _ in range(5):
        lim.acquire()  # Retry-After, not a window; then the whole budget is back
    assert clocks.mono - start == pytest.approx(1.0, abs=1e-6)
    lim.observe({"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                 "X-RateLimit-Reset": str(int(clocks.wall()) + 3)})
    assert waited_for_next(lim, clocks) == pytest.approx(3.0, abs=1e-6)
    store.close()
