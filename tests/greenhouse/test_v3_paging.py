"""Harvest v3 only: cursor paging (filters on the first request only, the next link
followed exactly, never off the API) and `ids` batches of at most 50."""

from __future__ import annotations

import math

import httpx
import pytest

from bot.greenhouse.errors import GreenhouseError, ValidationFailed
from tests.conftest import JOB_ID
from tests.fakes.greenhouse_v3 import CURSOR_RULE, V3_BASE


def _bulk(gh, n: int) -> None:
    for i in range(n):
        gh.add_candidate(1000 + i, f"Bulk Person{i}", [gh.application(10_000 + i, JOB_ID)])


def test_filters_go_on_the_first_request_only_then_the_cursor_alone(v3):
    gh = v3.gh
    _bulk(gh, 1100)
    apps = list(v3.harvest.iter_active_applications(JOB_ID))
    assert len(apps) == 1103
    first, *rest = gh.reads("/applications")
    assert first.params == {"job_ids": str(JOB_ID), "status": "active", "per_page": "500"}
    assert len(rest) == 2
    for page in rest:
        assert list(page.params) == ["cursor"]  # exactly the cursor Greenhouse sent, nothing added


def test_candidate_names_in_batches_of_at_most_50(v3):
    gh = v3.gh
    _bulk(gh, 120)
    list(v3.harvest.iter_active_applications(JOB_ID))
    batches = [c.params["ids"].split(",") for c in gh.reads("/candidates")]
    assert all(len(b) <= 50 for b in batches)
    assert len(batches) == math.ceil(123 / 50)
    assert sorted(int(i) for b in batches for i in b) == sorted({*range(1000, 1120), 1, 2, 3})


def test_a_cursor_with_other_params_is_refused(v3):
    # The fake enforces Greenhouse's rule; the transport surfaces it as a 422.
    v3.gh.rate_limit = 10_000
    with pytest.raises(ValidationFailed) as err:
        v3.harvest.t.get("users?cursor=abc&per_page=50")
    assert CURSOR_RULE in err.value.details()


@pytest.mark.parametrize("next_url", [
    "https://evil.test/v3/users?cursor=abc",
    "http://harvest.test/v3/users?cursor=abc",  # downgraded scheme
    "https://harvest.test/v1/users?page=2",  # another API on the same host
])
def test_a_next_link_leaving_the_api_is_refused(v3, next_url):
    gh = v3.gh
    page = [{"id": 101, "first_name": "A", "last_name": "B", "primary_email": "a@b.test"}]
    gh.faults.append(_page_fault(page, next_url))
    with pytest.raises(GreenhouseError, match="outside the configured API"):
        list(v3.harvest._list("users"))
    assert len(gh.calls) == 1  # nothing sent to the foreign link


def test_the_date_filter_keeps_its_pipe(v3):
    from datetime import datetime, timezone

    list(v3.harvest.iter_jobs_updated_since(datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)))
    [call] = v3.gh.reads("/jobs")
    assert call.params["updated_at"] == "gte|2025-01-02T03:04:05Z"
    assert "updated_at=gte|2025-01-02T03%3A04%3A05Z" in call.url  # `|` literal, as in Greenhouse's examples


def _page_fault(body, next_url):
    from tests.fakes.greenhouse import Fault

    return Fault("GET", "/users", lambda: httpx.Response(200, json=body, headers={"Link": f'<{next_url}>; rel="next"'}))


def test_base_is_the_v3_api(v3):
    assert v3.harvest.t.base_url == V3_BASE
