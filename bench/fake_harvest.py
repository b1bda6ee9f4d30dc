"""The benchmark's Harvest: the project's one fake Greenhouse (bot/demo/greenhouse.py)
served over real HTTP by bot/demo/harvest_server.py, with a delay per request
(default 200 ms, like a far-away Harvest) and Harvest's rate limit ENFORCED as each
version documents it (docs/decisions/0008-rate-limit-windows.md): v1 50 requests per
10 s, a sliding window (429 with Retry-After past it); v3 (`serve_v3`) 75 per fixed
30 s window, `X-RateLimit-Reset` on every answer.

`serve_v3` serves the same data in Harvest v3's shapes (the unit tests' fake,
tests/fakes/greenhouse_v3.py: OAuth token endpoint, cursor paging, Site Admin reads)
at …/v3, its token endpoint at …/token; `V3_ENV` is what the bot needs to use it.
This module also keeps the names bench/run.py was written against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.demo.greenhouse import FakeGreenhouse
from bot.demo.harvest_server import HarvestServer

__all__ = ["HarvestData", "FakeHarvestServer", "V3_LIMIT", "V3_WINDOW_S", "serve_v3", "v3_env"]

V3_LIMIT, V3_WINDOW_S = 75, 30.0  # docs/harvest-v3-reference.md §3: a fixed 30 s window; 75 is its example


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


def serve_v3(gh: FakeGreenhouse, *, latency_s: float = 0.1, limit: int | None = V3_LIMIT,
             window_s: float = V3_WINDOW_S) -> HarvestServer:
    """`gh` served in Harvest v3's shapes over HTTP, its limit enforced in fixed windows.
    `.url` ends in /v3; the token endpoint is `.origin + "/token"`."""
    from tests.fakes.greenhouse_v3 import FakeGreenhouseV3

    v3 = FakeGreenhouseV3(gh)
    v3.add_reader()
    server = HarvestServer(gh, latency_s=latency_s, limit=limit, window_s=window_s, fixed_window=True,
                           api_path="/v3")
    v3.base = server.url  # next-page links point back at this server

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token" and request.method == "POST":
            return v3._token(request)
        if request.url.path.startswith("/v3/"):
            return v3._handle(request)
        return httpx.Response(404, json={"message": "Not found"})

    server.handler = answer
    return server


def v3_env(server: HarvestServer) -> dict[str, str]:
    """The bot's settings for `serve_v3`'s server (GREENHOUSE_API_KEY must not be set with them)."""
    from tests.fakes.greenhouse_v3 import CLIENT_ID, CLIENT_SECRET, READER_ID

    return {"GREENHOUSE_CLIENT_ID": CLIENT_ID, "GREENHOUSE_CLIENT_SECRET": CLIENT_SECRET,
            "GREENHOUSE_READ_AS_USER_ID": str(READER_ID), "GREENHOUSE_API_URL": server.url,
            "GREENHOUSE_AUTH_URL": server.origin + "/token"}
