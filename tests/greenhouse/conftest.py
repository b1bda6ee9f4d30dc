"""A Harvest backend of either version over the same fake data, for the contract suite."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import respx

from bot.config import load_settings
from bot.greenhouse.harvest import Harvest
from bot.greenhouse.build import build_harvest
from tests.conftest import GH_KEY, seed_world
from tests.fakes.greenhouse import V1_BASE, Call, FakeGreenhouse
from tests.fakes.greenhouse_v3 import AUTH_URL, CLIENT_ID, CLIENT_SECRET, READER_ID, V3_BASE, FakeGreenhouseV3


def harvest_settings(version: str, **overrides: Any) -> Any:
    values: dict[str, Any] = dict(slack_bot_token="xoxb-x", slack_signing_secret="sig-secret", _env_file=None)
    if version == "v1":
        values.update(greenhouse_api_key=GH_KEY, greenhouse_api_url=V1_BASE)
    else:
        values.update(greenhouse_client_id=CLIENT_ID, greenhouse_client_secret=CLIENT_SECRET,
                      greenhouse_read_as_user_id=READER_ID, greenhouse_api_url=V3_BASE, greenhouse_auth_url=AUTH_URL)
    values.update(overrides)
    return load_settings(**values)


@dataclass
class Backend:
    """One Harvest version over the shared fake, and how to read its requests."""

    version: str
    gh: FakeGreenhouse
    harvest: Harvest
    v3: FakeGreenhouseV3 | None = None

    def acting_user(self, call: Call) -> int | None:
        if self.v3 is not None:
            assert "on-behalf-of" not in call.headers  # v3 names the actor in the token only
            return self.v3.sub_of(call)
        return int(call.headers["on-behalf-of"])

    def opening_path(self, job_id: int, opening_id: int) -> str:
        return f"/openings/{opening_id}" if self.v3 else f"/jobs/{job_id}/openings/{opening_id}"


def make_backend(version: str, gh: FakeGreenhouse, router: respx.Router) -> Backend:
    if version == "v1":
        gh.mount_v1(router)
        return Backend("v1", gh, build_harvest(harvest_settings("v1"), sleep=lambda s: None))
    v3 = FakeGreenhouseV3(gh).mount(router)
    v3.add_reader()
    return Backend("v3", gh, build_harvest(harvest_settings("v3"), sleep=lambda s: None), v3)


@pytest.fixture(params=["v1", "v3"])
def backend(request: pytest.FixtureRequest) -> Any:
    gh = FakeGreenhouse()
    seed_world(gh)
    with respx.mock(assert_all_called=False) as router:
        yield make_backend(request.param, gh, router)


@pytest.fixture
def v3() -> Any:
    """The v3 backend alone, for v3-only tests."""
    gh = FakeGreenhouse()
    seed_world(gh)
    with respx.mock(assert_all_called=False) as router:
        yield make_backend("v3", gh, router)
