"""What can go wrong in a workflow, in words meant for the person who asked.

Every layer above (the Slack layer, the web hook) turns these into one sentence
for the user; nothing was written to Greenhouse when one is raised.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """One clear sentence for the person who asked; nothing was written."""


class Refused(UserFacingError):
    """A click or command by someone not allowed to make it (nothing changed)."""
