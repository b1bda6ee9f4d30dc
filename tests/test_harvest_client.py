"""The Harvest transport on its own (HarvestTransport + HarvestV1 + RateLimiter over respx):
paging, rate limits, retries, typed errors, and what every request carries. No Slack.

Time is a fake clock: the limiter and the transport sleep on it, so a 10 s window
or a Retry-After costs nothing and the waits can be asserted exactly."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import httpx
import pytest
import respx

from bot.greenhouse.errors import (
    AuthenticationError,
    GreenhouseError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    Unconfirmed,
    Unreachable,
    ValidationFailed,
)
from bot.greenhouse.ratelimit import RateLimiter
from bot.greenhouse.transport import HarvestTransport
from bot.greenhouse.v1 import HarvestV1, V1Auth
from tests.fakes.clock import StepClock

BASE = "https://harvest.test/v1"
KEY = "harvest-client-test-key-0042"
BASIC = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
FIXTURES = Path(__file__).parent / "fixtures" / "greenhouse"


def cassette(name: str) -> tuple[int, object]:
    """(status, body) of the one interaction in a recorded greenhouse_io cassette."""
    data = json.loads((FIXTURES / f"grnhse_greenhouse_io__spec_fixtures_cassettes_client_{name}.json").read_text())
    response = data["http_interactions"][0]["response"]
    return response["status"]["code"], response["body"]


@pytest.fixture
def clock() -> StepClock:
    return StepClock(1000.0)


@pytest.fixture
def limiter(clock: StepClock) -> RateLimiter:
    return RateLimiter(50, 10.0, clock=clock, sleep=clock.sleep)


@pytest.fixture
def router():
    with respx.mock(base_url=BASE, assert_all_called=False) as r:
        yield r


@pytest.fixture
def transport(limiter: RateLimiter, clock: StepClock, router) -> HarvestTransport:
    return HarvestTransport(BASE, V1Auth(KEY), limiter, http=httpx.Client(), sleep=clock.sleep,
                            max_attempts=4, max_rate_limited=8, backoff_s=0.5)


@pytest.fixture
def harvest(transport: HarvestTransport) -> HarvestV1:
    return HarvestV1(transport)


def sent(route) -> list[httpx.Request]:
    return [call.request for call in route.calls]


def sequence(*responses):
    """A side effect answering each call with the next item (response or exception)."""
    items = list(responses)

    def answer(request: httpx.Request):
        item = items.pop(0) if len(items) > 1 else items[0]
        if isinstance(item, Exception):
            raise item
        return item

    return answer


# --- paging --------------------------------------------------------------------------------


def test_paging_follows_next_links_and_sends_params_only_first(harvest, router):
    page2 = f"{BASE}/jobs/6404/openings?page=2&per_page=2"
    page3 = f"{BASE}/jobs/6404/openings?page=3&per_page=2"

    def openings(request: httpx.Request) -> httpx.Response:
        page = request.url.params.get("page", "1")
        items = {"1": [1, 2], "2": [3, 4], "3": [5]}[page]
        link = {"1": f'<{page2}>; rel="next", <{page3}>; rel="last"', "2": f'<{page3}>; rel="next"', "3": ""}[page]
        body = [{"id": i, "status": "open"} for i in items]
        return httpx.Response(200, json=body, headers={"Link": link} if link else {})

    route = router.get(url__regex=r"/jobs/6404/openings").mock(side_effect=openings)
    got = harvest.list_openings(6404)
    assert [o.id for o in got] == [1, 2, 3, 4, 5]
    requests = sent(route)
    assert len(requests) == 3
    assert dict(requests[0].url.params) == {"per_page": "500"}
    # Later pages are the next URL exactly as given: no params added on top.
    assert str(requests[1].url) == page2 and str(requests[2].url) == page3
    assert all(r.headers["authorization"] == BASIC for r in requests)


def test_paging_refuses_a_next_link_to_another_host(harvest, router):
    router.get("/close_reasons").respond(
        200, json=[{"id": 1, "name": "On Hold"}],
        headers={"Link": '<https://evil.test/v1/close_reasons?page=2>; rel="next"'},
    )
    evil = router.get(url__startswith="https://evil.test/").respond(200, json=[])
    with pytest.raises(GreenhouseError, match="outside the configured API"):
        harvest.list_close_reasons()
    assert evil.call_count == 0


@pytest.mark.parametrize("next_url", [
    "http://harvest.test/v1/close_reasons?page=2",      # downgraded to plain HTTP
    "https://harvest.test/v2/close_reasons?page=2",     # same host, another API
    "https://harvest.test.evil.test/v1/close_reasons",  # look-alike host
])
def test_paging_refuses_next_links_outside_the_api(harvest, router, next_url):
    route = router.get(url__regex=r"/close_reasons").respond(
        200, json=[{"id": 1, "name": "On Hold"}], headers={"Link": f'<{next_url}>; rel="next"'})
    other = router.route(url__regex=r"^(http://|https://harvest\.test/v2|https://harvest\.test\.evil)").respond(200, json=[])
    with pytest.raises(GreenhouseError):
        harvest.list_close_reasons()
    assert route.call_count == 1 and other.call_count == 0


# --- 429 and the limiter -------------------------------------------------------------------


def test_429_with_retry_after_pauses_then_succeeds(harvest, router, clock):
    times: list[float] = []

    def answer(request):
        times.append(clock.now)
        if len(times) == 1:
            return httpx.Response(429, json={"message": "Rate limit exceeded"}, headers={"Retry-After": "0.05"})
        return httpx.Response(200, json={"id": 7, "name": "Rita Recruiter", "emails": []})

    route = router.get("/users/7").mock(side_effect=answer)
    user = harvest.get_user(7)
    assert user is not None and user.name == "Rita Recruiter"
    assert route.call_count == 2
    # The second request went out no sooner than Retry-After (plus at most the jitter).
    assert 0.05 <= times[1] - times[0] <= 0.05 + 0.25 + 0.01


def test_429_storm_beyond_the_bound_raises_rate_limited_with_a_sentence(harvest, transport, router):
    route = router.get("/jobs/6404").respond(429, json={"message": "Rate limit exceeded"}, headers={"Retry-After": "1"})
    with pytest.raises(RateLimited) as info:
        harvest.get_job(6404)
    assert route.call_count == transport.max_rate_limited + 1
    assert info.value.retry_after == 1.0
    sentence = info.value.user_message()
    assert "rate limit" in sentence and "try again" in sentence


def test_a_huge_retry_after_is_capped(transport, router, clock):
    router.get("/jobs/1").mock(side_effect=sequence(
        httpx.Response(429, headers={"Retry-After": "86400"}), httpx.Response(200, json={"id": 1})))
    transport.get("jobs/1")
    assert sum(clock.sleeps) <= 300 + 0.25 + 0.5


def test_429_on_a_write_is_repeated_because_greenhouse_did_nothing(harvest, router):
    route = router.patch("/jobs/6404/openings/9").mock(side_effect=sequence(
        httpx.Response(429, headers={"Retry-After": "0.05"}), httpx.Response(200, json={"success": "true"})))
    harvest.close_opening(6404, 9, None, acting_user_id=102)
    assert route.call_count == 2
    assert all(r.headers["on-behalf-of"] == "102" for r in sent(route))


def test_remaining_zero_makes_the_next_acquire_wait_for_the_window(transport, router, clock):
    router.get("/jobs/1").respond(200, json={"id": 1}, headers={"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "0"})
    router.get("/jobs/2").respond(200, json={"id": 2})
    transport.get("jobs/1")
    assert clock.sleeps == []
    before = clock.now
    transport.get("jobs/2")
    assert clock.now - before >= transport.limiter.window_s - 1e-9


def test_remaining_counts_what_others_spent_on_the_same_key(clock):
    limiter = RateLimiter(10, 10.0, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    # Greenhouse says 2 are left: another process used 7 of our 10.
    limiter.observe({"x-ratelimit-limit": "10", "x-ratelimit-remaining": "2"})
    limiter.acquire()
    limiter.acquire()
    assert clock.sleeps == []
    limiter.acquire()  # the eleventh in the window must wait
    assert clock.sleeps and clock.now - 1000.0 >= 10.0 - 1e-9


def test_limiter_never_sends_more_than_the_limit_in_a_window(clock):
    limiter = RateLimiter(5, 10.0, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(23):
        limiter.acquire()
        stamps.append(clock.now)
    for t in stamps:
        assert sum(1 for s in stamps if t <= s < t + 10.0) <= 5
    assert limiter.waits > 0


# --- 5xx, timeouts, dropped connections -------------------------------------------------------


def test_5xx_on_get_is_retried_then_succeeds(harvest, router):
    route = router.get("/jobs/6404").mock(side_effect=sequence(
        httpx.Response(502, text="Bad Gateway"), httpx.Response(500, json={"message": "oops"}),
        httpx.Response(200, json={"id": 6404, "name": "Archaeologist"})))
    job = harvest.get_job(6404)
    assert job is not None and job.name == "Archaeologist"
    assert route.call_count == 3


def test_5xx_on_get_is_retried_within_a_bound(harvest, transport, router, clock):
    route = router.get("/jobs/6404").respond(503, text="Service Unavailable")
    with pytest.raises(ServerError) as info:
        harvest.get_job(6404)
    assert route.call_count == transport.max_attempts
    assert len(clock.sleeps) == transport.max_attempts - 1  # backoff between tries
    assert "server error (503)" in info.value.user_message()
    assert "Traceback" not in info.value.user_message()


@pytest.mark.parametrize("method,path,call", [
    ("PATCH", "/jobs/6404/openings/9", lambda h: h.close_opening(6404, 9, 3, acting_user_id=102)),
    ("POST", "/applications/11/reject",
     lambda h: h.reject_application(11, rejection_reason_id=8, notes=None, email_template_id=None, acting_user_id=102)),
])
def test_5xx_on_a_write_is_not_retried(harvest, router, method, path, call):
    route = router.route(method=method, path=path).respond(500, json={"message": "Internal error"})
    with pytest.raises(ServerError):
        call(harvest)
    assert route.call_count == 1


@pytest.mark.parametrize("exc", [httpx.ReadTimeout("read timed out"), httpx.RemoteProtocolError("peer closed")])
def test_timeouts_and_dropped_connections_on_get_are_retried(harvest, router, exc):
    route = router.get("/jobs/6404").mock(side_effect=sequence(exc, httpx.Response(200, json={"id": 6404})))
    assert harvest.get_job(6404).id == 6404
    assert route.call_count == 2


def test_get_that_never_answers_gives_up_within_the_bound(harvest, transport, router):
    route = router.get("/jobs/6404").mock(side_effect=httpx.ReadTimeout("read timed out"))
    with pytest.raises(Unreachable) as info:
        harvest.get_job(6404)
    assert route.call_count == transport.max_attempts
    assert "did not answer" in info.value.user_message()


@pytest.mark.parametrize("exc", [httpx.ReadTimeout("read timed out"), httpx.RemoteProtocolError("peer closed"),
                                 httpx.WriteTimeout("write timed out")])
def test_a_write_lost_after_sending_is_unconfirmed_and_not_repeated(harvest, router, exc):
    route = router.patch("/jobs/6404/openings/9").mock(side_effect=exc)
    with pytest.raises(Unconfirmed) as info:
        harvest.close_opening(6404, 9, None, acting_user_id=102)
    assert route.call_count == 1
    assert "may or may not have been made" in info.value.user_message()


def test_a_reject_lost_after_sending_is_not_repeated(harvest, router):
    route = router.post("/applications/11/reject").mock(side_effect=httpx.ReadTimeout("read timed out"))
    with pytest.raises(Unconfirmed):
        harvest.reject_application(11, rejection_reason_id=8, notes="n", email_template_id=42, acting_user_id=102)
    assert route.call_count == 1


@pytest.mark.parametrize("exc", [httpx.ConnectError("connection refused"), httpx.ConnectTimeout("connect timeout")])
def test_a_write_that_never_connected_is_retried(harvest, router, exc):
    route = router.patch("/jobs/6404/openings/9").mock(side_effect=sequence(exc, httpx.Response(200, json={"success": "true"})))
    harvest.close_opening(6404, 9, 3, acting_user_id=102)
    assert route.call_count == 2
    for request in sent(route):
        assert request.headers["on-behalf-of"] == "102"
        assert json.loads(request.content) == {"status": "closed", "close_reason_id": 3}


def test_a_write_that_can_never_connect_gives_up_within_the_bound(harvest, transport, router):
    route = router.patch("/jobs/6404/openings/9").mock(side_effect=httpx.ConnectError("connection refused"))
    with pytest.raises(Unreachable):
        harvest.close_opening(6404, 9, 3, acting_user_id=102)
    assert route.call_count == transport.max_attempts


# --- typed errors in Greenhouse's words --------------------------------------------------------


def test_bad_acting_user_on_patch_is_403_in_greenhouses_words(harvest, router):
    status, body = cassette("update_application_invalid_on_behalf_of")
    route = router.patch("/jobs/6404/openings/9").respond(status, json=body)
    with pytest.raises(PermissionDenied) as info:
        harvest.close_opening(6404, 9, None, acting_user_id=101010)
    assert route.call_count == 1
    assert info.value.status == 403
    assert "You do not have access to that record" in info.value.user_message()


def test_bad_acting_user_on_post_is_404_in_greenhouses_words(harvest, router):
    status, body = cassette("create_candidate_note_invalid_on_behalf_of")
    route = router.post("/applications/11/reject").respond(status, json=body)
    with pytest.raises(NotFound) as info:
        harvest.reject_application(11, rejection_reason_id=None, notes=None, email_template_id=None, acting_user_id=99)
    assert route.call_count == 1
    assert "Resource not found" in info.value.user_message()
    assert "acting Greenhouse user may lack access" in info.value.user_message()


def test_422_lists_each_error_with_its_field(harvest, router):
    status, body = cassette("create_candidate_note_invalid_missing_field")
    route = router.post("/applications/11/reject").respond(status, json=body)
    with pytest.raises(ValidationFailed) as info:
        harvest.reject_application(11, rejection_reason_id=8, notes=None, email_template_id=None, acting_user_id=102)
    assert route.call_count == 1
    assert info.value.errors == ["body: Missing required field: body"]
    assert info.value.user_message() == "Greenhouse rejected the change: body: Missing required field: body."


def test_401_is_not_retried_and_says_to_check_credentials(harvest, router):
    route = router.get("/jobs/6404").respond(401, json={"message": "Invalid Basic Auth credentials"})
    with pytest.raises(AuthenticationError) as info:
        harvest.get_job(6404)
    assert route.call_count == 1
    assert "credentials" in info.value.user_message()
    assert KEY not in info.value.user_message()


def test_404_on_a_read_is_none_not_an_error(harvest, router):
    router.get("/jobs/1").respond(404, json={"message": "Resource not found"})
    assert harvest.get_job(1) is None


def test_non_json_error_body_is_kept_short(transport, router):
    router.get("/jobs/1").respond(418, text="<html>" + "x" * 5000 + "</html>")
    with pytest.raises(GreenhouseError) as info:
        transport.get("jobs/1")
    assert len(info.value.user_message()) < 400


# --- what every request carries ------------------------------------------------------------------


def test_reads_carry_basic_auth_and_no_acting_user(harvest, router):
    route = router.get("/users").respond(200, json=[{"id": 7, "name": "Rita", "emails": ["rita@acme.test"]}])
    harvest.find_user_by_email("rita@acme.test")
    [request] = sent(route)
    assert request.headers["authorization"] == BASIC
    assert "on-behalf-of" not in request.headers
    assert request.url.params["email"] == "rita@acme.test"


def test_writes_carry_the_acting_user(harvest, router):
    patch = router.patch("/jobs/6404/openings/9").respond(200, json={"success": "true"})
    post = router.post("/applications/11/reject").respond(200, json={"id": 11})
    harvest.close_opening(6404, 9, 4012092002, acting_user_id=102)
    harvest.reject_application(11, rejection_reason_id=8, notes="asked by H, approved by R", email_template_id=42,
                               acting_user_id=103)
    [p] = sent(patch)
    assert p.headers["on-behalf-of"] == "102" and p.headers["authorization"] == BASIC
    assert json.loads(p.content) == {"status": "closed", "close_reason_id": 4012092002}
    [r] = sent(post)
    assert r.headers["on-behalf-of"] == "103"
    assert json.loads(r.content) == {"rejection_reason_id": 8, "notes": "asked by H, approved by R",
                                     "rejection_email": {"email_template_id": 42}}


@pytest.mark.parametrize("acting", [None, 0, -5, "102"])
def test_a_write_without_an_acting_user_is_refused_before_sending(harvest, transport, router, acting):
    route = router.route(method="PATCH").respond(200, json={})
    with pytest.raises(ValueError, match="acting Greenhouse user"):
        harvest.close_opening(6404, 9, None, acting_user_id=acting)
    with pytest.raises(ValueError):
        transport.write("POST", "applications/11/reject", json={}, acting_user_id=acting)
    assert route.call_count == 0 and transport.requests_sent == 0


def test_the_key_is_not_in_reprs(transport):
    assert KEY not in repr(transport.auth)
    assert base64.b64encode(f"{KEY}:".encode()).decode() not in repr(transport.auth)


def test_each_call_is_logged_as_one_line_without_query_or_key(harvest, router, caplog):
    router.get("/users").respond(200, json=[], headers={"X-Request-Id": "req-abc"})
    with caplog.at_level(logging.INFO, logger="bot.harvest"):
        harvest.find_user_by_email("secret.person@acme.test")
    [record] = [r for r in caplog.records if r.name == "bot.harvest"]
    assert record.getMessage() == "harvest_call"
    fields = record.fields
    assert fields["method"] == "GET" and fields["path"] == "/v1/users" and fields["status"] == 200
    assert fields["request_id"] == "req-abc" and isinstance(fields["duration_ms"], int)
    assert "secret.person" not in repr(fields) and KEY not in repr(fields)
