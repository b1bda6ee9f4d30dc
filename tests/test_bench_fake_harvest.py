"""The benchmark's fake Harvest really enforces the limit and pages like Harvest
(fast: no delay; a wrong fake would make the benchmark's zeros meaningless)."""

from __future__ import annotations

import httpx

from bench.fake_harvest import FakeHarvestServer, HarvestData, serve_v3, v3_env
from bot.demo.harvest_server import RateWindow

KEY = "k-123456"


def _world() -> HarvestData:
    data = HarvestData()
    gh = data.gh
    gh.add_user(1, "Hannah Manager", "hannah@acme.test")
    gh.add_job(10, "Job", team={"hiring_managers": [1]})
    for cid in range(1, 8):
        gh.add_candidate(cid, f"C{cid} X", [gh.application(cid * 10, 10)])
    data.reindex()
    return data


def test_rate_limit_is_enforced_with_headers_and_retry_after() -> None:
    with FakeHarvestServer(_world(), delay_s=0, rate_limit=3, window_s=10, api_key=KEY) as fake:
        with httpx.Client(auth=(KEY, "")) as c:
            statuses = []
            for _ in range(5):
                r = c.get(f"{fake.base_url}/jobs/10")
                statuses.append(r.status_code)
            assert statuses == [200, 200, 200, 429, 429]
            assert r.headers["x-ratelimit-limit"] == "3"
            assert r.headers["x-ratelimit-remaining"] == "0"
            assert 1 <= int(r.headers["retry-after"]) <= 10
        snap = fake.snapshot()
        assert snap["requests"] == 5 and snap["status_429"] == 2 and snap["over_limit"] == 2


def test_v1_window_slides_one_request_frees_one_slot() -> None:
    """v1 (docs/decisions/0008-rate-limit-windows.md): at most `limit` in ANY 10 s."""
    now = [100.0]
    w = RateWindow(2, 10.0, lambda: now[0])
    assert w.admit()[:2] == (True, 1)
    now[0] = 103.0
    assert w.admit()[:2] == (True, 0)
    now[0] = 105.0
    accepted, _, free_in, reset = w.admit()
    assert (accepted, free_in, reset) == (False, 5.0, None)  # the one from 100 s leaves at 110 s
    now[0] = 110.0
    assert w.admit()[0] is True and w.admit()[0] is False  # only that one slot came back


def test_v3_windows_are_fixed_and_start_over_at_the_reset() -> None:
    """v3 (docs/harvest-v3-reference.md §3): a fixed 30 s window, its end as X-RateLimit-Reset."""
    now = [1_790_000_020.0]  # 10 s into a window that began at …010 (a multiple of 30)
    w = RateWindow(2, 30.0, fixed=True, wall=lambda: now[0])
    assert [w.admit() for _ in range(2)] == [(True, 1, 0.0, 1_790_000_040.0), (True, 0, 0.0, 1_790_000_040.0)]
    now[0] += 19.5
    assert w.admit() == (False, 0, 0.5, 1_790_000_040.0)
    now[0] = 1_790_000_040.0
    assert [w.admit()[0] for _ in range(3)] == [True, True, False]  # the whole budget again, and no more


def test_v3_over_http_token_cursor_paging_and_the_limits_headers() -> None:
    data = _world()
    with serve_v3(data.gh, latency_s=0, limit=2, window_s=3600) as fake:
        env = v3_env(fake)
        token = httpx.post(env["GREENHOUSE_AUTH_URL"], data={"grant_type": "client_credentials",
                                                             "sub": env["GREENHOUSE_READ_AS_USER_ID"]},
                           auth=(env["GREENHOUSE_CLIENT_ID"], env["GREENHOUSE_CLIENT_SECRET"])).json()["access_token"]
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as c:
            first = c.get(f"{fake.url}/applications", params={"job_id": 10, "per_page": 5})
            assert first.status_code == 200 and len(first.json()) == 5
            assert first.headers["x-ratelimit-remaining"] == "1"
            assert int(first.headers["x-ratelimit-reset"]) % 3600 == 0  # epoch seconds, the window's end
            nxt = first.headers["link"].split(";")[0].strip("<>")
            assert nxt.startswith(fake.url + "/applications?cursor=")
            assert len(c.get(nxt).json()) == 2
            over = c.get(f"{fake.url}/jobs/10")
            assert over.status_code == 429 and 1 <= int(over.headers["retry-after"]) <= 3600
        assert fake.snapshot()["requests"] == 3  # the token request is not Harvest's budget


def test_paging_users_by_email_applications_and_auth() -> None:
    with FakeHarvestServer(_world(), delay_s=0, rate_limit=None, api_key=KEY) as fake:
        with httpx.Client(auth=(KEY, "")) as c:
            r = c.get(f"{fake.base_url}/candidates", params={"job_id": 10, "per_page": 3})
            ids = [x["id"] for x in r.json()]
            while "next" in r.links:
                r = c.get(r.links["next"]["url"])
                ids += [x["id"] for x in r.json()]
            assert ids == list(range(1, 8))
            assert [u["id"] for u in c.get(f"{fake.base_url}/users", params={"email": "HANNAH@acme.test"}).json()] == [1]
            apps = c.get(f"{fake.base_url}/applications", params={"job_id": 10, "status": "active", "per_page": 500})
            assert len(apps.json()) == 7
            assert c.get(f"{fake.base_url}/candidates/3").json()["first_name"] == "C3"
        assert httpx.get(f"{fake.base_url}/jobs/10", auth=("wrong", "")).status_code == 401


def test_the_benchmark_serves_the_one_fake_greenhouse_writes_included() -> None:
    data = _world()
    data.gh.jobs[10]["openings"] = [data.gh.opening(501)]
    with FakeHarvestServer(data, delay_s=0, rate_limit=None, api_key=KEY) as fake:
        with httpx.Client(auth=(KEY, "")) as c:
            refused = c.patch(f"{fake.base_url}/jobs/10/openings/501", json={"status": "closed"})
            assert refused.status_code == 403  # no On-Behalf-Of
            ok = c.patch(f"{fake.base_url}/jobs/10/openings/501", json={"status": "closed"}, headers={"On-Behalf-Of": "1"})
            assert ok.status_code == 200
            assert c.get(f"{fake.base_url}/jobs/10").json()["status"] == "closed"  # the last opening closed the job
        assert fake.snapshot()["by_route"]["PATCH /jobs/{id}/openings/{id}"] == 2
    assert [(w.status, w.acting_user_name) for w in data.gh.writes()] == [(403, None), (200, "Hannah Manager")]
