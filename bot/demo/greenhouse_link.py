"""The demo's one seam to the demo Greenhouse: start it, read its writes and jobs,
hire in it. The console and the runner use only `DemoGreenhouse`.

The Greenhouse is the project's one fake (bot/demo/greenhouse.py) holding the
sample tenant (bot/demo/tenant.py), served over HTTP by bot/demo/harvest_server.py,
and sending its signed web hooks to the bot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import tenant
from .greenhouse import FakeGreenhouse
from .harvest_server import HarvestServer, serve_harvest
from .tenant import APPROVALS_CHANNEL, HIRING_CHANNEL, Person

__all__ = ["APPROVALS_CHANNEL", "HIRING_CHANNEL", "DemoGreenhouse", "Person", "start_greenhouse"]


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
    fake = tenant.sample_tenant()
    fake.api_key = api_key  # this run's key, not the tenant's default
    server = serve_harvest(fake, host="127.0.0.1", port=0)
    if webhook_url and webhook_secret:
        fake.webhook_to(webhook_url, webhook_secret, retry_delays_s=(1.0, 3.0))
    # #approvals is private (requests name candidates): recruiters, coordinators and admins.
    approvers = {p.slack_id for p in tenant.PEOPLE if p.role in ("recruiter", "coordinator", "admin")}
    channels = {ch["id"]: {"name": ch["name"], "is_private": ch["is_private"],
                           "members": approvers if ch["is_private"] else None} for ch in tenant.CHANNELS}
    gh = DemoGreenhouse(fake, server, tuple(tenant.PEOPLE), channels)
    fake.on_write.append(gh._changed)
    return gh
