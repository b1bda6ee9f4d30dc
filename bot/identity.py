"""Slack user ⇄ Greenhouse user.

Forward: on first use, Slack profile email → the Greenhouse user directory kept
in the store (bot/user_directory.py: no Harvest request), or, for a person it does
not know yet, `Harvest.find_user_by_email` (v1 `GET /users?email=`; v3 `primary_email`, then
`/user_emails` — secondary emails match on both);
stored with when and how. Admins can link by hand when the emails differ. A stored
mapping is re-checked after `BOT_IDENTITY_TTL_S` — against the directory while its
refreshes succeed, else against Greenhouse — so a user disabled in Greenhouse loses access.

Reverse (a job's recruiter → who to mention in Slack): the Greenhouse user's
emails (from the directory when it knows them) → Slack `users.lookupByEmail`,
cached for the same TTL.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

from pydantic import BaseModel

from bot.greenhouse.harvest import Harvest
from bot.greenhouse.models import GreenhouseUser
# These sentences are mrkdwn (they carry mentions): names and emails in them go through the one
# escaping helper the Slack layer uses.
from bot.mrkdwn import esc
from bot.store import Store
from bot.user_directory import UserDirectory


class Directory(Protocol):
    """The chat side of identity (implemented over Slack's Web API)."""

    def email_of(self, slack_user_id: str) -> str | None: ...

    def user_for_email(self, email: str) -> str | None: ...


class Mapping(BaseModel):
    slack_user_id: str
    greenhouse_user_id: int
    name: str
    email: str | None = None
    mapped_at: str
    how: str  # "email" (automatic) or "admin:<slack id>"
    checked_at: float = 0.0
    disabled: bool = False


class IdentityProblem(Exception):
    """A sentence for the Slack user: why they are not mapped, and what to ask for."""


@dataclass(frozen=True)
class Caller:
    """Who is asking: built once per command or click (`Identity.caller`), then handed
    to every workflow that decides what they may see or do."""

    slack_user_id: str
    is_admin: bool
    mapping: Mapping | None = None
    unmapped_because: str | None = None  # IdentityProblem's sentence, when mapping is None

    @property
    def greenhouse_user_id(self) -> int | None:
        return self.mapping.greenhouse_user_id if self.mapping else None

    def mapped(self) -> Mapping:
        """The caller's Greenhouse user, for what acts in their name (a request, a write):
        even admins need one. Raises IdentityProblem saying why there is none."""
        if self.mapping is None:
            raise IdentityProblem(self.unmapped_because or "I don't know your Greenhouse user.")
        return self.mapping

    def team_member_id(self) -> int | None:
        """The Greenhouse user to look for on a job's hiring team. Admins see every job
        and need none; anyone else must be mapped (raises IdentityProblem if not)."""
        return self.greenhouse_user_id if self.is_admin else self.mapped().greenhouse_user_id


log = logging.getLogger("bot.identity")

EMAIL_RE = re.compile(r"^[^@\s<>|]+@[^@\s<>|]+\.[^@\s<>|]+$")


class Identity:
    def __init__(
        self,
        store: Store,
        harvest: Harvest,
        directory: Directory,
        *,
        admins: Iterable[str] = (),
        ttl_s: float = 3600,
        clock: Callable[[], float] = time.time,
        users: UserDirectory | None = None,
    ) -> None:
        self.store = store
        self.harvest = harvest
        self.directory = directory
        # BOT_ADMINS holds Slack user IDs and emails (config checks each is one or the other).
        self.admins = frozenset(a for a in admins if "@" not in a)
        self.admin_emails = frozenset(a.lower() for a in admins if "@" in a)
        self.ttl_s = ttl_s
        self._clock = clock
        self.users = users  # the Greenhouse user directory; None: every look-up reads Greenhouse
        # Set by the start-up check when the Slack token lacks users:read.email (bot/readiness.py).
        self.email_scope_missing = False

    def set_email_scope_missing(self, missing: bool) -> None:
        self.email_scope_missing = missing

    # --- forward ---------------------------------------------------------------------

    def caller(self, slack_user_id: str) -> Caller:
        """Who is asking, resolved once. A mapping that cannot be made is not an error
        yet: only what needs it (`Caller.mapped`) says why."""
        is_admin = slack_user_id in self.admins
        try:
            mapping = self.resolve(slack_user_id)
            return Caller(slack_user_id, is_admin or self._admin_by_email(slack_user_id, mapping), mapping)
        except IdentityProblem as exc:
            return Caller(slack_user_id, is_admin or self._admin_by_email(slack_user_id), None, str(exc))
        except Exception:
            if is_admin:  # an admin sees as admin even while Greenhouse cannot map them
                log.warning("admin_mapping_unavailable")
                return Caller(slack_user_id, is_admin, None, "I can't reach Greenhouse to find your user right now.")
            raise

    def stored(self, slack_user_id: str) -> Mapping | None:
        raw = self.store.get("mappings", slack_user_id)
        return Mapping(**raw) if raw else None

    def resolve(self, slack_user_id: str) -> Mapping:
        """The caller's Greenhouse user, mapping them on first use. Raises IdentityProblem."""
        mapping = self.stored(slack_user_id)
        if mapping is None:
            mapping = self._map_by_email(slack_user_id)
        elif self._clock() - mapping.checked_at >= self.ttl_s:
            mapping = self._recheck(mapping)
        if mapping.disabled:
            raise IdentityProblem(
                f"Your Greenhouse user ({esc(mapping.name)}) is disabled, so I can't act for you. "
                f"{self._ask_admin('check your Greenhouse account and mapping')}"
            )
        return mapping

    def _map_by_email(self, slack_user_id: str) -> Mapping:
        email = self.directory.email_of(slack_user_id)
        if not email and self.email_scope_missing:
            raise IdentityProblem(
                "I can't see anyone's email address: the bot's Slack app is missing the `users:read.email` "
                "permission. This is the app's configuration, not your profile; ask a Slack admin to add the "
                "scope and reinstall the app. " + self._admin_list()
            )
        if not email:
            raise IdentityProblem(
                "Slack doesn't show me an email address for you, so I can't find your Greenhouse user. "
                + self._ask_admin(f"run `/greenhouse link <@{slack_user_id}> <your Greenhouse user ID or email>`")
            )
        user = self._user_by_email(email)
        if user is None:
            raise IdentityProblem(
                f"No Greenhouse user has the email {esc(email)}. "
                + self._ask_admin(f"run `/greenhouse link <@{slack_user_id}> <your Greenhouse user ID or email>`")
            )
        return self._save(slack_user_id, user, email=email, how="email")

    def _user_by_email(self, email: str) -> GreenhouseUser | None:
        user = self.users.by_email(email) if self.users is not None else None
        if user is None:
            # Not in the directory (yet): the single look-up, remembered for next time.
            user = self.harvest.find_user_by_email(email)
            if user is not None and self.users is not None:
                self.users.remember(user)
        return user

    def _user_by_id(self, user_id: int) -> GreenhouseUser | None:
        """From the directory while it is being refreshed (a disabled user shows there within
        one refresh interval); from Greenhouse if it is not, or does not know the user."""
        if self.users is not None:
            user = self.users.by_id(user_id)
            if user is not None and self.users.fresh_within(self.ttl_s):
                return user
        return self.harvest.get_user(user_id)

    def _recheck(self, mapping: Mapping) -> Mapping:
        user = self._user_by_id(mapping.greenhouse_user_id)
        disabled = user is None or user.disabled
        updated = mapping.model_copy(
            update={"checked_at": self._clock(), "disabled": disabled, "name": user.name if user else mapping.name}
        )
        self.store.put("mappings", mapping.slack_user_id, updated.model_dump())
        return updated

    def _save(self, slack_user_id: str, user: GreenhouseUser, *, email: str | None, how: str) -> Mapping:
        mapping = Mapping(
            slack_user_id=slack_user_id,
            greenhouse_user_id=user.id,
            name=user.name,
            email=email or user.primary_email,
            mapped_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            how=how,
            checked_at=self._clock(),
            disabled=user.disabled,
        )
        self.store.put("mappings", slack_user_id, mapping.model_dump())
        return mapping

    # --- admin fixes -------------------------------------------------------------------

    def link(self, admin_slack_id: str, target_slack_id: str, reference: str) -> Mapping:
        self._require_admin(admin_slack_id, "link")
        reference = reference.strip()
        if reference.isdigit():
            user = self.harvest.get_user(int(reference))
        elif EMAIL_RE.match(reference):
            user = self.harvest.find_user_by_email(reference)
        else:
            raise IdentityProblem("Give a Greenhouse user ID (a number) or an email address.")
        if user is None:
            raise IdentityProblem(f"No Greenhouse user matches `{reference}`.")
        if user.disabled:
            raise IdentityProblem(f"That Greenhouse user ({esc(user.name)}) is disabled; I won't link to it.")
        return self._save(target_slack_id, user, email=None, how=f"admin:{admin_slack_id}")

    def unlink(self, admin_slack_id: str, target_slack_id: str) -> bool:
        self._require_admin(admin_slack_id, "unlink")
        existed = self.stored(target_slack_id) is not None
        self.store.delete("mappings", target_slack_id)
        return existed

    def _admin_by_email(self, slack_user_id: str, mapping: Mapping | None = None) -> bool:
        """An admin named in BOT_ADMINS by email: their Slack profile email (as mapped, or
        read from Slack) is on the list. Costs nothing when no admin is named by email."""
        if not self.admin_emails:
            return False
        email = mapping.email if mapping is not None and mapping.email else self.directory.email_of(slack_user_id)
        return bool(email) and email.lower() in self.admin_emails

    def _require_admin(self, slack_user_id: str, verb: str) -> None:
        if slack_user_id not in self.admins and not self._admin_by_email(slack_user_id, self.stored(slack_user_id)):
            raise IdentityProblem(f"Only bot admins can {verb} Slack users to Greenhouse users. {self._admin_list()}")

    def _admin_list(self) -> str:
        if not self.admins and not self.admin_emails:
            return "No bot admins are configured (BOT_ADMINS)."
        named = [f"<@{a}>" for a in sorted(self.admins)] + sorted(self.admin_emails)
        return "Bot admins: " + ", ".join(named) + "."

    def _ask_admin(self, what: str) -> str:
        return f"Ask a bot admin to {what}. {self._admin_list()}"

    # --- reverse -----------------------------------------------------------------------

    def slack_user_for(self, greenhouse_user_id: int) -> str | None:
        """The Slack user of a Greenhouse user (e.g. a job's recruiter), or None."""
        key = str(greenhouse_user_id)
        for raw in self.store.values("mappings"):
            if raw.get("greenhouse_user_id") == greenhouse_user_id and not raw.get("disabled"):
                return raw["slack_user_id"]
        cached = self.store.get("reverse", key)
        if cached and self._clock() - cached.get("looked_up_at", 0) < self.ttl_s:
            return cached.get("slack_user_id")
        slack_id = None
        user = self._user_by_id(greenhouse_user_id)
        if user is not None and not user.disabled:
            for email in user.all_emails():
                slack_id = self.directory.user_for_email(email)
                if slack_id:
                    break
        self.store.put("reverse", key, {"slack_user_id": slack_id, "looked_up_at": self._clock()})
        return slack_id
