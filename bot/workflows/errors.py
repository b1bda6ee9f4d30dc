"""What can go wrong in a workflow, in words meant for the person who asked.

Every layer above (the Slack layer, the web hook) turns these into one sentence
for the user; nothing was written to Greenhouse when one is raised.
"""

from __future__ import annotations

from collections.abc import Callable


class UserFacingError(Exception):
    """One clear sentence for the person who asked; nothing was written.

    Text that came from Greenhouse or Slack (a job's name, a candidate's) is passed as
    keyword arguments, never formatted in by the caller: `str(exc)` shows it as is, and
    the layer that shows the sentence renders it with its own escaping (`render`)."""

    def __init__(self, text: str, **untrusted: object) -> None:
        self.template, self.untrusted = text, untrusted
        super().__init__(self.render(str))

    def render(self, escape: Callable[[str], str]) -> str:
        if not self.untrusted:
            return self.template
        return self.template.format(**{k: escape(str(v)) for k, v in self.untrusted.items()})


class Refused(UserFacingError):
    """A click or command by someone not allowed to make it (nothing changed)."""


class NotVisible(Refused):
    """The job (or application) is not there, or the caller may not see it: one answer
    for both, so that an outsider learns neither that it exists nor what it is called.
    The reference is the caller's own (validated) text."""

    def __init__(self, what: str, ref: str, doing: str, whose: str = "its") -> None:
        super().__init__(
            f"I can't find {what} `{ref}` that you can {doing}: either Greenhouse has none, "
            f"or you are not on {whose} hiring team (nor a bot admin)."
        )
