"""Settings from the environment (and a `.env` file), validated once at start.

Every problem is reported as one line naming the variable, so a newcomer fixes
all of them in one go instead of one per restart.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.app_links import APP_URL_RE, DEFAULT_APP_URL


SLACK_USER_ID_RE = re.compile(r"^[UW][A-Z0-9]+$")
EMAIL_RE = re.compile(r"^[^@\s<>|,]+@[^@\s<>|,]+\.[^@\s<>|,]+$")

# The combination problems found on the raw values of the settings being built now:
# load_settings adds them to the fields' own errors when those stop validation early.
_found: ContextVar[list[str]] = ContextVar("config_combination_problems", default=[])


def _given(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return bool(str(value).strip())


def combination_problems(raw: dict[str, Any]) -> list[str]:
    """What is wrong with how the settings go together, every problem at once."""
    values = {str(k).lower(): v for k, v in raw.items()}
    problems = []
    has_key = _given(values.get("greenhouse_api_key"))
    has_id, has_secret = _given(values.get("greenhouse_client_id")), _given(values.get("greenhouse_client_secret"))
    has_oauth = has_id or has_secret
    if has_key and has_oauth:
        problems.append("GREENHOUSE_API_KEY (Harvest v1) and GREENHOUSE_CLIENT_ID/GREENHOUSE_CLIENT_SECRET "
                        "(Harvest v3) are both set: set only one of them")
    elif not has_key and not has_oauth:
        problems.append("set GREENHOUSE_CLIENT_ID and GREENHOUSE_CLIENT_SECRET (Harvest v3) "
                        "or GREENHOUSE_API_KEY (Harvest v1)")
    elif has_oauth:
        if not (has_id and has_secret):
            problems.append("Harvest v3 needs both GREENHOUSE_CLIENT_ID and GREENHOUSE_CLIENT_SECRET")
        if not _given(values.get("greenhouse_read_as_user_id")):
            problems.append("Harvest v3 needs GREENHOUSE_READ_AS_USER_ID: the Greenhouse user ID of a Site Admin "
                            "the bot reads as")
    if not _given(values.get("slack_app_token")) and not _given(values.get("slack_signing_secret")):
        problems.append("SLACK_SIGNING_SECRET is required in HTTP mode (when SLACK_APP_TOKEN is not set)")
    return problems


class ConfigError(Exception):
    """Raised with one line per missing or malformed variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    # Slack
    slack_bot_token: SecretStr
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"

    # Greenhouse Harvest v1 (API key) or v3 (OAuth client credentials)
    greenhouse_api_key: SecretStr | None = None
    greenhouse_api_url: str | None = None
    greenhouse_client_id: str | None = None
    greenhouse_client_secret: SecretStr | None = None
    greenhouse_read_as_user_id: int | None = None
    greenhouse_auth_url: str = "https://auth.greenhouse.io/token"
    greenhouse_webhook_secret: SecretStr | None = None
    # Greenhouse's web app, where names link to (bot/app_links.py): another subdomain under SSO.
    greenhouse_app_url: str = DEFAULT_APP_URL

    # The store: PostgreSQL when DATABASE_URL is set (Heroku's name for it), else a SQLite file.
    database_url: SecretStr | None = None
    # Connections each process may open to PostgreSQL (mind the plan's limit: processes × this).
    bot_db_pool_max: int = Field(default=8, ge=1, le=100)
    bot_db_path: str = "data/bot.sqlite"

    # The bot
    bot_admins: Annotated[frozenset[str], NoDecode] = frozenset()
    bot_approvals_channel: str | None = None
    bot_allow_self_approval: bool = False
    # Stage moves (`/greenhouse advance`, `move`) wait for a recruiter's approval; false: the
    # requester's own confirm click carries them out (bot/workflows/requests/moves.py).
    bot_stage_moves_need_approval: bool = True
    bot_request_ttl_hours: float = Field(default=72, gt=0)
    # One reminder in the thread of a request still waiting after this (0 = none).
    bot_remind_after_hours: float = Field(default=24, ge=0)
    bot_poll_interval_s: float = Field(default=300, ge=0)
    # An approved execution's claim: renewed by a heartbeat while it lives, taken over
    # by housekeeping (which runs every BOT_HOUSEKEEPING_INTERVAL_S) once not renewed
    # for this long (docs/decisions/0001-atomic-claim.md).
    bot_claim_lease_s: float = Field(default=120, gt=0)
    bot_housekeeping_interval_s: float = Field(default=60, gt=0)
    bot_notify_dm: bool = True
    # How long a stored Slack ⇄ Greenhouse mapping is trusted before the Greenhouse
    # user is read again (to notice a disabled user).
    bot_identity_ttl_s: float = Field(default=3600, ge=0)
    # How often the Greenhouse user directory kept in the store is refreshed with the users
    # changed since (bot/user_directory.py); shared by every process. 0: no directory, every
    # person's first command looks their email up in Greenhouse.
    bot_directory_refresh_s: float = Field(default=300, ge=0)
    # How long reference lists (close/rejection reasons, templates) and a job's
    # hiring team are cached; see docs/decisions/0003-caching.md.
    bot_cache_ttl_s: float = Field(default=300, ge=0)
    # How long a job's stage order (names only: what the job view sorts by) read by one
    # process serves every process and replica on the store; 0: each process reads its own
    # (docs/decisions/0013-shared-stage-order.md). Moves always read stages per BOT_CACHE_TTL_S.
    bot_stage_order_ttl_s: float = Field(default=1800, ge=0)
    # How long a job view (job, hiring team, active candidates) read for one command may
    # answer another command about the same job (docs/decisions/0003-caching.md).
    bot_view_cache_s: float = Field(default=30, ge=0)
    # Processes and replicas on one store share a job's read: one reads, the others take its
    # result, kept sealed in the store for minutes (docs/decisions/0009-shared-reads-across-replicas.md).
    bot_shared_reads: bool = True
    # The Harvest mirror (docs/decisions/0012-harvest-mirror.md): every open job and active
    # application kept in the store by one sync for every process; a view answered from it
    # reads no Harvest. Synced every BOT_MIRROR_S seconds (0: no mirror), swept whole every
    # BOT_MIRROR_FULL_S; the open jobs (openings, hiring teams) re-read every
    # BOT_MIRROR_JOBS_S (unset: 20 s on v1, one request; 240 s on v3, about 13 for 200 jobs).
    # Needs BOT_SHARED_READS (its key seals the application rows).
    bot_mirror_s: float = Field(default=10, ge=0)
    bot_mirror_full_s: float = Field(default=300, gt=0)
    bot_mirror_jobs_s: float | None = Field(default=None, gt=0)
    # Candidate names read ahead from the mirror's active applications, on Harvest's spare
    # budget only (bot/workflows/name_read_ahead.py, docs/decisions/0016-names-read-ahead.md),
    # so that a view from the mirror reads no names either. Needs the mirror.
    bot_names_ahead: bool = True
    # Bounds of the job view cache, per process (docs/decisions/0003-caching.md): a 5,000-candidate
    # view holds about 8 MiB; the least recently used views go first.
    bot_view_cache_entries: int = Field(default=200, ge=1)
    bot_view_cache_mb: float = Field(default=64, gt=0)
    # The job view flags an active candidate with no activity for this many days.
    bot_stale_days: int = Field(default=14, ge=1)
    # A rejection the bot made may be undone from Slack for this many minutes after it.
    bot_undo_minutes: float = Field(default=10, ge=0)
    # When set, GET /metrics answers only requests with `Authorization: Bearer <token>`.
    bot_metrics_token: SecretStr | None = None
    port: int = Field(default=3000, ge=1, le=65535)

    @field_validator("bot_admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("bot_admins", mode="after")
    @classmethod
    def _admins_are_ids_or_emails(cls, value: frozenset[str]) -> frozenset[str]:
        wrong = sorted(a for a in value if not (SLACK_USER_ID_RE.match(a) or EMAIL_RE.match(a)))
        if wrong:
            raise ValueError(
                "has entries that are neither Slack user IDs (U… or W…, e.g. U024BE7LH) nor email "
                f"addresses: {', '.join(wrong)}"
            )
        return value

    @field_validator("greenhouse_app_url", mode="after")
    @classmethod
    def _app_url(cls, value: str) -> str:
        if not APP_URL_RE.fullmatch(value):
            raise ValueError("must be Greenhouse's web address as your browser shows it, e.g. https://app.greenhouse.io")
        return value.rstrip("/")

    @field_validator("bot_approvals_channel", "greenhouse_client_id", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="wrap")
    @classmethod
    def _check_combinations(cls, data: Any, handler: Any) -> Settings:
        # Checked on the raw values, before (and whatever) the fields' own validation says,
        # so that one start names every problem: a missing token and a missing Harvest
        # credential in one go, not one per restart.
        problems = combination_problems(data if isinstance(data, dict) else {})
        _found.set(problems)
        settings = handler(data)
        if problems:
            raise ValueError("\n".join(problems))
        return settings

    @property
    def harvest_version(self) -> str:
        return "v3" if self.greenhouse_client_id else "v1"

    @property
    def harvest_base_url(self) -> str:
        if self.greenhouse_api_url:
            return self.greenhouse_api_url.rstrip("/")
        return f"https://harvest.greenhouse.io/{self.harvest_version}"

    @property
    def store_target(self) -> str:
        """What `Store()` opens: the DATABASE_URL if set, else the SQLite file."""
        from bot.store.base import target_from

        url = self.database_url.get_secret_value() if self.database_url is not None else None
        return target_from(url, self.bot_db_path)

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def is_admin(self, slack_user_id: str) -> bool:
        return slack_user_id in self.bot_admins


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's report into one line per variable."""
    token = _found.set([])
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines: list[str] = []
        for err in exc.errors():
            loc = [str(part) for part in err.get("loc", ()) if part]
            name = loc[0].upper() if loc else ""
            msg = err.get("msg", "invalid").removeprefix("Value error, ")
            if err.get("type") == "missing":
                msg = "is required but not set"
            lines += (f"{name} {msg}".strip() if name else msg).splitlines()
        # Field errors stop pydantic before the combination check runs: add what it found.
        lines += [p for p in _found.get() if p not in lines]
        raise ConfigError("\n".join(lines)) from None
    finally:
        _found.reset(token)
