"""The benchmark's Harvest: the project's one fake Greenhouse (bot/demo/greenhouse.py)
served over real HTTP by bot/demo/harvest_server.py, with a delay per request
(default 200 ms, like a far-away Harvest) and Harvest's rate limit ENFORCED
(default 50 requests per 10 s: 429 with Retry-After past it).

This module only keeps the names bench/run.py was written against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.demo.greenhouse import FakeGreenhouse
from bot.demo.harvest_server import HarvestServer

__all__ = ["HarvestData", "FakeHarvestServer"]


@dataclass
class HarvestData:
    """The Harvest world, built with `gh`'s helpers (the same shapes as the unit tests)."""

    gh: FakeGreenhouse = field(default_factory=FakeGreenhouse)

    def reindex(self) -> None:
        """Kept for bench/run.py: the fake reads its data directly, there is nothing to index."""


class FakeHarvestServer(HarvestServer):
    """Serve `data` on 127.0.0.1:<free port>/v1. Use as a context manager or call stop()."""

    def __init__(self, data: HarvestData, *, delay_s: float = 0.200, rate_limit: int | None = 50,
                 window_s: float = 10.0, api_key: str | None = None) -> None:
        if api_key is not None:
            data.gh.api_key = api_key
        super().__init__(data.gh, latency_s=delay_s, limit=rate_limit, window_s=window_s)
        self.data = data
        self.base_url = self.url

    def stop(self) -> None:
        self.close()

    def __enter__(self) -> Any:
        return self
