"""Links to Greenhouse's own pages for a job, a candidate and an application: built
here and nowhere else, from numbers only (no name ever reaches a URL).

The page paths are Greenhouse's: its web hook payloads (developers.greenhouse.io/webhooks.html,
e.g. "Application updated") carry a job's `"url": "https://app.greenhouse.io/sdash/{job id}"`,
a candidate's `"url": "https://app.greenhouse.io/people/{candidate id}"` and an application's
`"url": "https://app.greenhouse.io/people/{candidate id}?application_id={application id}"`.
An organization on single sign-on with its own subdomain (support.greenhouse.io, "Troubleshoot
error when clicking Greenhouse Recruiting link") or on app2…app5 sets GREENHOUSE_APP_URL to
what its address bar shows (README, GREENHOUSE_APP_URL). On the ground floor: pure, no imports."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_APP_URL = "https://app.greenhouse.io"
# Scheme and host (and an optional path), nothing Slack's <url|text> could read as its end.
APP_URL_RE = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?")


@dataclass(frozen=True)
class AppLinks:
    app_url: str = DEFAULT_APP_URL

    def __post_init__(self) -> None:
        if not APP_URL_RE.fullmatch(self.app_url):
            raise ValueError(f"not a Greenhouse web address: {self.app_url!r}")
        object.__setattr__(self, "app_url", self.app_url.rstrip("/"))

    def job(self, job_id: int) -> str:
        return f"{self.app_url}/sdash/{int(job_id)}"

    def candidate(self, candidate_id: int) -> str:
        return f"{self.app_url}/people/{int(candidate_id)}"

    def application(self, candidate_id: int, application_id: int) -> str:
        """The candidate's page opened on this application."""
        return f"{self.app_url}/people/{int(candidate_id)}?application_id={int(application_id)}"
