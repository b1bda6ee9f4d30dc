"""What can go wrong in a workflow, in words meant for the person who asked.

Every layer above (the Slack layer, the web hook) turns these into one sentence
for the user; nothing was written to Greenhouse when one is raised.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """One clear sentence for the person who asked; nothing was written."""


class Refused(UserFacingError):
    """A click or command by someone not allowed to make it (nothing changed)."""


class NotOnHiringTeam(Refused):
    """Only a job's hiring team and bot admins may do this. The job's name is kept
    apart from the sentence so that the layer that shows it can escape it."""

    def __init__(self, job_name: str, job_id: int, doing: str) -> None:
        self.job_name, self.job_id, self.doing = job_name, job_id, doing
        super().__init__(f"Only the hiring team of {job_name} ({job_id}) or a bot admin can {doing}.")
