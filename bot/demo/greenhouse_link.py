"""The demo's one seam to the demo Greenhouse: start it, read its writes and jobs,
hire in it. The console and the runner use only `DemoGreenhouse`.

The Greenhouse is the project's one fake (bot/demo/greenhouse.py), served over
HTTP by bot/demo/harvest_server.py, sending its signed web hooks to the bot.
INTERIM: the sample tenant below stands in until bot/demo/tenant.py lands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .greenhouse import FakeGreenhouse
from .harvest_server import HarvestServer, serve_harvest

HIRING_CHANNEL = "C0HIRING"
APPROVALS_CHANNEL = "C0APPROVALS"


@dataclass(frozen=True)
class Person:
    slack_id: str
    name: str
    email: str
    role: str  # how the console introduces them
    greenhouse_id: int | None
    admin: bool = False


PEOPLE = (
    Person("U0HANNAH", "Hannah Manager", "hannah@acme.test", "hiring manager", 101),
    Person("U0RITA", "Rita Recruiter", "rita@acme.test", "recruiter", 102),
    Person("U0CODY", "Cody Coordinator", "cody@acme.test", "coordinator", 103),
    Person("U0OLLY", "Olly Outsider", "olly@acme.test", "outsider (on no hiring team)", 104),
    Person("U0ADA", "Ada Admin", "ada@acme.test", "bot admin", 105, admin=True),
)


@dataclass
class DemoGreenhouse:
    fake: FakeGreenhouse
    server: HarvestServer
    people: tuple[Person, ...]
    channels: dict[str, dict[str, Any]]
    changed: list[Any] = field(default_factory=list)  # called after each write or hire

    @property
    def base_url(self) -> str:
        return self.server.url

    def writes(self) -> list[dict[str, Any]]:
        """Every Harvest write, oldest first: method, path, acting user, body, answer."""
        return [{"seq": i + 1, **c.as_dict(), "path": "/v1" + c.as_dict()["path"]}
                for i, c in enumerate(self.fake.writes())]

    def jobs(self) -> list[dict[str, Any]]:
        out = []
        for job in list(self.fake.jobs.values()):
            active = sum(1 for c in list(self.fake.candidates.values()) for a in c["applications"]
                         if a["status"] == "active" and not a.get("prospect")
                         and any(j["id"] == job["id"] for j in a["jobs"]))
            out.append({"id": job["id"], "name": job["name"], "status": job["status"],
                        "open_openings": sum(1 for o in job["openings"] if o["status"] == "open"),
                        "openings": len(job["openings"]), "active_candidates": active,
                        "confidential": job["confidential"]})
        return out

    def hire_last_candidate(self, job_id: int) -> dict[str, Any]:
        result = self.fake.hire_last_candidate(job_id)
        self._changed()
        return result

    def _changed(self, *_: Any) -> None:
        for fn in list(self.changed):
            fn()

    def stop(self) -> None:
        self.server.close()
        for hook in list(self.fake.webhooks):
            hook.close()


def start_greenhouse(*, api_key: str, webhook_url: str | None = None, webhook_secret: str | None = None) -> DemoGreenhouse:
    fake = FakeGreenhouse(api_key=api_key)
    _seed(fake)
    server = serve_harvest(fake, host="127.0.0.1", port=0)
    if webhook_url and webhook_secret:
        fake.webhook_to(webhook_url, webhook_secret, retry_delays_s=(1.0, 3.0))
    channels = {
        HIRING_CHANNEL: {"name": "hiring", "is_private": False, "members": None},
        APPROVALS_CHANNEL: {"name": "approvals", "is_private": True,
                            "members": {p.slack_id for p in PEOPLE if p.role in ("recruiter", "coordinator") or p.admin}},
    }
    gh = DemoGreenhouse(fake, server, PEOPLE, channels)
    fake.on_write.append(gh._changed)
    return gh


def _seed(gh: FakeGreenhouse) -> None:
    for p in PEOPLE:
        gh.add_user(p.greenhouse_id, p.name, p.email)  # type: ignore[arg-type]
    gh.close_reasons += [{"id": 4012092002, "name": "On Hold"}, {"id": 365, "name": "Hire - New Headcount"},
                         {"id": 366, "name": "Backfill"}, {"id": 367, "name": "Not Filling"}]
    gh.rejection_reasons += [
        {"id": 262, "name": "Missing resume", "type": {"id": 1, "name": "We rejected them"}},
        {"id": 8, "name": "Lacking skill(s)/qualification(s)", "type": {"id": 1, "name": "We rejected them"}},
        {"id": 14, "name": "Accepted another offer", "type": {"id": 2, "name": "They rejected us"}},
    ]
    gh.email_templates += [{"id": 42, "name": "Standard rejection", "type": "candidate_rejection", "user": None}]
    team = {"hiring_managers": [101], "recruiters": [102], "coordinators": [103]}
    gh.add_job(6404, "Archaeologist", requisition_id="abc123", team=team,
               openings=[gh.opening(4542441002), gh.opening(4542441003),
                         gh.opening(4530863002, "closed", close_reason={"id": 4012092002, "name": "On Hold"})])
    gh.add_job(7001, "Data Engineer", requisition_id="req-7001", team=team, openings=[gh.opening(4600000001)])
    names = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Edsger Dijkstra",
             "Barbara Liskov", "Donald Knuth", "Margaret Hamilton", "Ken Thompson", "Frances Allen"]
    stages = ["Application Review", "Phone Screen", "Technical Interview", "Onsite", "Offer"]
    for i, name in enumerate(names):
        job = 6404 if i < 6 else 7001
        gh.add_candidate(i + 1, name, [gh.application((i + 1) * 10 + 1, job, stage=stages[i % len(stages)])])
