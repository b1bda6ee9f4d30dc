"""The benchmark's fake Harvest really enforces the limit and pages like Harvest
(fast: no delay; a wrong fake would make the benchmark's zeros meaningless)."""

from __future__ import annotations

import httpx

from bench.fake_harvest import FakeHarvestServer, HarvestData

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
