"""Harvest v3 only: tokens (cache, expiry, single flight, 401 → refresh once), the
token endpoint's errors, and secrets kept out of messages and logs."""

from __future__ import annotations

import logging
import threading
import time

import httpx
import pytest
import respx

from bot.greenhouse.errors import AuthenticationError, GreenhouseError, ServerError
from bot.greenhouse.v3_auth import V3TokenAuth
from bot.logs import RedactingFormatter
from tests.conftest import HM_ID, RECRUITER_ID
from tests.fakes.greenhouse_v3 import AUTH_URL, CLIENT_ID, CLIENT_SECRET, READER_ID

from .conftest import harvest_settings


def test_reads_use_the_read_as_user_and_the_token_is_cached(v3):
    fake, h = v3.v3, v3.harvest
    h.get_user(HM_ID)
    h.get_user(RECRUITER_ID)
    [mint] = fake.token_requests
    assert mint["form"] == {"grant_type": "client_credentials", "sub": str(READER_ID)}
    expected_basic = httpx.BasicAuth(CLIENT_ID, CLIENT_SECRET)._auth_header
    assert mint["headers"]["authorization"] == expected_basic
    reads = v3.gh.reads()
    assert len(reads) == 2 and {fake.sub_of(c) for c in reads} == {READER_ID}
    assert all(c.headers["authorization"].startswith("Bearer ") and "on-behalf-of" not in c.headers for c in reads)


def test_writes_mint_a_token_per_acting_user(v3):
    fake, h = v3.v3, v3.harvest
    h.close_opening(6404, 4542441002, None, acting_user_id=RECRUITER_ID)
    h.close_opening(6404, 4542441003, None, acting_user_id=HM_ID)
    h.get_user(HM_ID)
    assert [t["form"]["sub"] for t in fake.token_requests] == [str(RECRUITER_ID), str(HM_ID), str(READER_ID)]
    assert [fake.sub_of(w) for w in v3.gh.writes()] == [RECRUITER_ID, HM_ID]


def _auth(router: respx.Router, body: dict, clock) -> tuple[V3TokenAuth, list]:
    seen: list = []

    def token(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"access_token": f"t{len(seen)}", "token_type": "Bearer", **body})

    router.post(AUTH_URL).mock(side_effect=token)
    return V3TokenAuth(AUTH_URL, CLIENT_ID, CLIENT_SECRET, READER_ID, http=httpx.Client(), clock=clock), seen


def test_expires_in_renews_a_minute_before_expiry():
    now = [1_000_000.0]
    with respx.mock() as router:
        auth, seen = _auth(router, {"expires_in": 3600}, lambda: now[0])
        assert auth.headers(None) == {"Authorization": "Bearer t1"}
        now[0] += 3600 - 61
        assert auth.headers(None) == {"Authorization": "Bearer t1"} and len(seen) == 1
        now[0] += 2  # now inside the last minute
        assert auth.headers(None) == {"Authorization": "Bearer t2"} and len(seen) == 2


def test_expires_at_is_accepted():
    start = time.time()
    now = [start]
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 600))
    with respx.mock() as router:
        auth, seen = _auth(router, {"expires_at": at}, lambda: now[0])
        auth.token(READER_ID)
        now[0] += 500
        auth.token(READER_ID)
        assert len(seen) == 1
        now[0] += 60  # 40 s or less left
        auth.token(READER_ID)
        assert len(seen) == 2


def test_twenty_threads_one_token_request_per_user():
    calls: list[str] = []
    gate = threading.Event()

    def slow_token(request: httpx.Request) -> httpx.Response:
        calls.append(request.content.decode())
        gate.wait(2)  # hold the first minter until everyone is queued behind it
        return httpx.Response(200, json={"access_token": f"tok{len(calls)}", "expires_in": 3600})

    with respx.mock() as router:
        router.post(AUTH_URL).mock(side_effect=slow_token)
        auth = V3TokenAuth(AUTH_URL, CLIENT_ID, CLIENT_SECRET, READER_ID, http=httpx.Client())
        results: list[str] = []
        threads = [threading.Thread(target=lambda: results.append(auth.token(RECRUITER_ID))) for _ in range(20)]
        for t in threads:
            t.start()
        time.sleep(0.1)
        gate.set()
        for t in threads:
            t.join()
    assert len(calls) == 1 and f"sub={RECRUITER_ID}" in calls[0]
    assert results == ["tok1"] * 20


def test_401_refreshes_the_token_and_retries_once(v3):
    fake, gh, h = v3.v3, v3.gh, v3.harvest
    h.get_user(HM_ID)
    fake.revoke_all()  # the cached token is no longer accepted
    assert h.get_user(HM_ID).id == HM_ID
    first, stale, retried = gh.reads()
    assert stale.headers["authorization"] == first.headers["authorization"]
    assert retried.headers["authorization"] != stale.headers["authorization"]
    assert len(fake.token_requests) == 2


def test_a_second_401_is_an_authentication_error(v3):
    gh, h = v3.gh, v3.harvest
    gh.fail("GET", "/users", 401, {"message": "Unauthorized", "errors": ["Token could not be decoded"]}, times=2)
    with pytest.raises(AuthenticationError):
        h.get_user(HM_ID)
    assert len(gh.reads()) == 2 and len(v3.v3.token_requests) == 2


def test_write_401_refreshes_the_acting_users_token(v3):
    fake, gh, h = v3.v3, v3.gh, v3.harvest
    gh.fail("PATCH", r"/openings/\d+", 401, {"message": "Unauthorized"})
    h.close_opening(6404, 4542441002, 365, acting_user_id=RECRUITER_ID)
    assert [fake.sub_of(w) for w in gh.writes()][-1] == RECRUITER_ID
    assert [t["form"]["sub"] for t in fake.token_requests] == [str(RECRUITER_ID)] * 2


def test_bad_client_credentials(v3, caplog):
    v3.v3.client_secret = "a-different-secret-000"  # Greenhouse no longer knows ours
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError) as err:
        v3.harvest.get_user(HM_ID)
    assert "invalid_client" in str(err.value)
    assert len(v3.v3.token_requests) == 1  # one attempt, no retry
    assert v3.gh.calls == []  # nothing reached Harvest
    _assert_no_secrets(caplog, str(err.value), err.value.user_message())


def test_token_endpoint_400_echoing_the_client_id_is_scrubbed(caplog):
    caplog.set_level(logging.DEBUG)
    with respx.mock() as router:
        router.post(AUTH_URL).mock(return_value=httpx.Response(
            400, json={"message": f"client_id={CLIENT_ID} does not contain a valid client ID suffix", "errorId": 7}))
        auth = V3TokenAuth(AUTH_URL, CLIENT_ID, CLIENT_SECRET, READER_ID, http=httpx.Client())
        with pytest.raises(GreenhouseError) as err:
            auth.headers(None)
    assert err.value.status == 400 and "valid client ID suffix" in str(err.value)
    _assert_no_secrets(caplog, str(err.value), err.value.details())


def test_token_endpoint_failure_is_one_attempt():
    fake_requests: list = []
    with respx.mock() as router:
        router.post(AUTH_URL).mock(side_effect=lambda r: fake_requests.append(r) or httpx.Response(503, text="down"))
        auth = V3TokenAuth(AUTH_URL, CLIENT_ID, CLIENT_SECRET, READER_ID, http=httpx.Client())
        with pytest.raises(ServerError):
            auth.token(READER_ID)
    assert len(fake_requests) == 1


def test_token_requests_skip_the_harvest_rate_limiter(v3):
    v3.harvest.get_user(HM_ID)
    limiter = v3.harvest.t.limiter
    assert limiter.budget.sent_in_window() == len(v3.gh.calls) == 1


def test_secrets_and_tokens_never_logged(v3, caplog):
    caplog.set_level(logging.DEBUG)
    v3.harvest.get_job(6404)
    v3.harvest.close_opening(6404, 4542441002, 365, acting_user_id=RECRUITER_ID)
    assert v3.v3.tokens
    _assert_no_secrets(caplog, tokens=tuple(v3.v3.tokens))


def test_settings_select_v3_and_refuse_both():
    from bot.config import ConfigError

    assert harvest_settings("v3").harvest_version == "v3"
    with pytest.raises(ConfigError, match="set only one"):
        harvest_settings("v3", greenhouse_api_key="some-v1-key")


def _assert_no_secrets(caplog: pytest.LogCaptureFixture, *messages: str, tokens: tuple[str, ...] = ()) -> None:
    """Neither the raw log records (message and structured fields) nor the lines as
    formatted, nor the given error messages, carry the credentials or a token."""
    assert caplog.records, "expected some log lines to check"
    formatter = RedactingFormatter("%(message)s")
    texts = list(messages)
    for record in caplog.records:
        texts.append(record.getMessage() + " " + " ".join(f"{k}={v}" for k, v in getattr(record, "fields", {}).items()))
        texts.append(formatter.format(record))
    for text in texts:
        for secret in (CLIENT_SECRET, CLIENT_ID, *tokens):
            assert secret not in text


def test_expires_at_wins_over_expires_in_when_both_are_sent():
    start = time.time()
    now = [start]
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 600))
    with respx.mock() as router:
        auth, seen = _auth(router, {"expires_at": at, "expires_in": 7200}, lambda: now[0])
        auth.token(READER_ID)
        now[0] += 560  # 40 s left by expires_at (expires_in would say well over an hour)
        auth.token(READER_ID)
        assert len(seen) == 2


@pytest.mark.parametrize("offset", ["Z", "+00:00", "+02:00"])
def test_expires_at_with_an_offset_as_greenhouse_writes_it(offset):
    # Greenhouse's own client's test uses `2099-12-31T23:59:59+00:00` (docs/harvest-v3-reference.md §1).
    from datetime import datetime, timedelta, timezone

    start = 1_800_000_000.0
    now = [start]
    zone = timezone(timedelta(hours=2)) if offset == "+02:00" else timezone.utc
    at = datetime.fromtimestamp(start + 600, tz=zone).strftime("%Y-%m-%dT%H:%M:%S") + offset
    with respx.mock() as router:
        auth, seen = _auth(router, {"expires_at": at}, lambda: now[0])
        auth.token(READER_ID)
        now[0] += 530  # 70 s left: still the same token
        auth.token(READER_ID)
        assert len(seen) == 1
        now[0] += 20  # 50 s left: renewed
        auth.token(READER_ID)
        assert len(seen) == 2
