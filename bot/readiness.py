"""Start-up checks and the readiness answer (`GET /readyz`).

At start the bot checks its Harvest credential and its Slack token with one cheap call
each, in the background: an outage at start is retried with backoff and shown here,
never fatal (the worker serves `/healthz` and acks Slack meanwhile). What the checks
find — a refused key, a missing Harvest permission, a Slack token without a scope the
bot needs — is logged once and shown by `/readyz` until it is fixed.

- Harvest: `GET /close_reasons` (one page; the bot needs it for every close request).
  401 means the key (or v3 client) is refused; 403 a permission missing on the key.
- Slack: `auth.test`, whose `X-OAuth-Scopes` header lists the token's scopes. Without
  `users:read.email` Slack hides every profile's email: the bot then tells people it is
  the app's configuration, not their profile (bot/identity.py).
- The approvals channel, once Slack answers: a public one is warned about (requests name
  candidates).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.greenhouse.errors import AuthenticationError, GreenhouseError, PermissionDenied
from bot.greenhouse.harvest import Harvest

log = logging.getLogger("bot.readiness")

# manifest.yml's bot scopes, and what each is for (README: "Scopes, and why").
REQUIRED_SCOPES = ("commands", "chat:write", "users:read", "users:read.email", "channels:read", "groups:read")
EMAIL_SCOPE = "users:read.email"
MAX_BACKOFF_S = 300.0


@dataclass
class Check:
    ok: bool | None = None  # None: not answered yet
    detail: str = "not checked yet"
    retries: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"ok": bool(self.ok), "detail": self.detail, "retries": self.retries}


class StartupChecks:
    def __init__(self, harvest: Harvest, slack: WebClient, *, approvals_channel: str | None = None,
                 on_email_scope_missing: Callable[[bool], None] | None = None) -> None:
        self.harvest = harvest
        self.slack = slack
        self.approvals_channel = approvals_channel
        self.on_email_scope_missing = on_email_scope_missing or (lambda missing: None)
        self.harvest_check = Check()
        self.slack_check = Check()
        self._lock = threading.Lock()

    # --- the checks ----------------------------------------------------------------------------

    def check_harvest(self) -> Check:
        try:
            self.harvest.list_close_reasons()
            return Check(True, f"Harvest {self.harvest.version} answered")
        except AuthenticationError:
            return Check(False, f"Harvest {self.harvest.version} refused the bot's credentials (401): check "
                                "GREENHOUSE_API_KEY, or GREENHOUSE_CLIENT_ID/GREENHOUSE_CLIENT_SECRET")
        except PermissionDenied:
            return Check(False, "the Harvest credential lacks a permission the bot needs (403 on GET close_reasons): "
                                "grant the permissions docs/DEPLOY.md lists")
        except GreenhouseError as exc:
            return Check(False, f"Harvest unreachable or failing ({type(exc).__name__}); retrying")
        except Exception as exc:  # noqa: BLE001 - a network error of any kind is an outage, not a crash
            return Check(False, f"Harvest unreachable ({type(exc).__name__}); retrying")

    def check_slack(self) -> Check:
        try:
            answer = self.slack.auth_test()
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error in ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"):
                return Check(False, f"Slack refused SLACK_BOT_TOKEN ({error})")
            return Check(False, f"Slack answered auth.test with {error}; retrying")
        except Exception as exc:  # noqa: BLE001 - unreachable: retried, never fatal
            return Check(False, f"Slack unreachable ({type(exc).__name__}); retrying")
        header = (answer.headers or {}).get("x-oauth-scopes") or (answer.headers or {}).get("X-OAuth-Scopes")
        if header is not None:
            granted = {s.strip() for s in str(header).split(",") if s.strip()}
            missing = [s for s in REQUIRED_SCOPES if s not in granted]
            self.on_email_scope_missing(EMAIL_SCOPE in missing)
            if missing:
                return Check(False, f"the Slack app lacks the scope(s) {', '.join(missing)}: add them "
                                    "(manifest.yml lists them) and reinstall the app")
        self._warn_if_public_approvals_channel()
        return Check(True, "Slack answered; the token has the scopes the bot needs")

    def _warn_if_public_approvals_channel(self) -> None:
        channel = self.approvals_channel
        if not channel:
            return
        try:
            info = self.slack.conversations_info(channel=channel)["channel"]
        except Exception as exc:  # noqa: BLE001 - cannot tell: no warning rather than a wrong one
            log.info("approvals_channel_unchecked channel=%s error=%s", channel, type(exc).__name__)
            return
        if not (info.get("is_private") or info.get("is_im") or info.get("is_mpim")):
            log.warning("approvals_channel_public channel=%s: requests name candidates; use a private channel", channel)

    # --- running them ------------------------------------------------------------------------

    def run_once(self) -> bool:
        """Run the checks that have not passed yet; True when both have."""
        for name, attr, check in (("harvest", "harvest_check", self.check_harvest),
                                  ("slack", "slack_check", self.check_slack)):
            with self._lock:
                before = getattr(self, attr)
            if before.ok:
                continue
            result = check()
            result.retries = before.retries + (0 if before.ok is None else 1)
            with self._lock:
                setattr(self, attr, result)
            if result.ok:
                log.info("startup_check_ok check=%s", name)
            elif result.detail != before.detail:  # said once, not at every retry
                log.error("startup_check_failed check=%s problem=%s", name, result.detail)
        return bool(self.harvest_check.ok and self.slack_check.ok)

    def run(self, stop: threading.Event, first_wait_s: float = 1.0) -> None:
        wait = first_wait_s
        while not stop.is_set() and not self.run_once():
            stop.wait(wait)
            wait = min(wait * 2, MAX_BACKOFF_S)

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="startup-checks", daemon=True)
        thread.start()
        return thread

    def report(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {"harvest": self.harvest_check.as_dict(), "slack": self.slack_check.as_dict()}


def store_writable(store: Any) -> tuple[bool, str]:
    """A real write to the store (not a SELECT on an open connection): a deleted data
    folder, a read-only disk or a lost database fails here."""
    try:
        store.ping()
        store.put("state", "readyz", {"at": time.time()})
        return True, "writable"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        log.error("readyz_store_failed error=%s", type(exc).__name__)
        return False, f"not writable ({type(exc).__name__})"
