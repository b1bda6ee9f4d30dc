"""The project's fake Greenhouse (bot/demo/greenhouse.py), served over respx for the unit tests.

The logic — data in Harvest v1 shapes, writes that change it as Greenhouse does,
recorded calls, injected faults — lives in the bot package so that tests, bench/
and the demo share it; this module keeps the names the tests import and adds the
respx mounting.
"""

from __future__ import annotations

import json

import httpx
import respx

from bot.demo.greenhouse import NOW, V1_BASE, Call, Fault, _iso, _not_found, _now
from bot.demo.greenhouse import FakeGreenhouse as _FakeGreenhouse

__all__ = ["NOW", "V1_BASE", "Call", "Fault", "FakeGreenhouse", "close_job", "mount_v1", "reopen_job",
           "_iso", "_not_found", "_now"]


def mount_v1(fake: _FakeGreenhouse, router: respx.Router, base: str = V1_BASE) -> None:
    """Answer every request under `base` from `fake`."""
    fake.base = base
    prefix = httpx.URL(base).path

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        return fake.handle(request.method, request.url.path[len(prefix):], dict(request.url.params),
                           request.headers, body, url=str(request.url))

    router.route(url__startswith=base + "/").mock(side_effect=answer)


class FakeGreenhouse(_FakeGreenhouse):
    def mount_v1(self, router: respx.Router, base: str = V1_BASE) -> None:
        mount_v1(self, router, base)


# --- helpers for the auto-close tests (they add, never change, behaviour) ---------------------

def close_job(fake: _FakeGreenhouse, jid: int, *, at: str | None = None, application_id: int | None = None,
              close_reason: dict | None = None) -> dict:
    """Close every open opening and the job as of `at` (default: now), as Greenhouse does after
    the last opening closes; `application_id` marks the last opening as filled by a hire.
    updated_at is always the real now: it is when the change reached Greenhouse."""
    at = at or _now()
    job = fake.jobs[jid]
    for opening in job["openings"]:
        if opening["status"] == "open":
            opening.update(status="closed", closed_at=at, close_reason=close_reason, application_id=application_id)
    job.update(status="closed", closed_at=at, updated_at=_now())
    return job


def reopen_job(fake: _FakeGreenhouse, jid: int, opening_id: int) -> dict:
    """Reopen one opening and with it the job (Greenhouse clears the job's closed_at)."""
    job = fake.jobs[jid]
    for opening in job["openings"]:
        if opening["id"] == opening_id:
            opening.update(status="open", closed_at=None, close_reason=None, application_id=None)
    job.update(status="open", closed_at=None, updated_at=_now())
    return job
