"""Wiring: build every long-lived object once, from settings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import httpx
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.config import Settings
from bot.greenhouse.harvest import Harvest
from bot.greenhouse.ratelimit import limiter_for
from bot.greenhouse.transport import HarvestTransport
from bot.greenhouse.v1 import HarvestV1, V1Auth
from bot.identity import Identity
from bot.logs import register_secret
from bot.slack.directory import SlackDirectory
from bot.store import Store
from bot.workflows.job_view import JobViews
from bot.workflows.reference import ReferenceLists
from bot.workflows.requests import Requests


@dataclass
class Services:
    settings: Settings
    store: Store
    harvest: Harvest
    identity: Identity
    job_views: JobViews
    slack: WebClient
    reference: ReferenceLists
    requests: Requests
    request_messages: Any
    extra: dict[str, Any] = field(default_factory=dict)

    def is_admin(self, slack_user_id: str) -> bool:
        return self.settings.is_admin(slack_user_id)


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def build_harvest(settings: Settings, *, http: httpx.Client | None = None, sleep: Any = None) -> Harvest:
    kwargs: dict[str, Any] = {"http": http}
    if sleep is not None:
        kwargs["sleep"] = sleep
    if settings.harvest_version == "v3":
        from bot.greenhouse.v3 import build_v3

        return build_v3(settings, **kwargs)
    key = settings.greenhouse_api_key.get_secret_value()  # type: ignore[union-attr]
    register_secret(key)
    # Harvest v1 documents its limit per 10 seconds; the number comes from X-RateLimit-Limit.
    limiter = limiter_for(f"v1:{_fingerprint(key)}", limit=50, window_s=10.0)
    transport = HarvestTransport(settings.harvest_base_url, V1Auth(key), limiter, **kwargs)
    return HarvestV1(transport)


def build_slack_client(settings: Settings) -> WebClient:
    token = settings.slack_bot_token.get_secret_value()
    register_secret(token)
    client = WebClient(token=token, base_url=settings.slack_api_url)
    # Slack's `ratelimited` answers carry Retry-After: wait and send again (twice at most).
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def build_services(
    settings: Settings,
    *,
    slack: WebClient | None = None,
    harvest: Harvest | None = None,
    store: Store | None = None,
) -> Services:
    for secret in (settings.slack_signing_secret, settings.slack_app_token, settings.greenhouse_client_secret,
                   settings.greenhouse_webhook_secret):
        if secret is not None:
            register_secret(secret.get_secret_value())
    slack = slack or build_slack_client(settings)
    harvest = harvest or build_harvest(settings)
    store = store or Store(settings.bot_db_path)
    identity = Identity(
        store, harvest, SlackDirectory(slack), admins=settings.bot_admins, ttl_s=settings.bot_identity_ttl_s
    )
    from bot.slack.request_messages import RequestMessages

    reference = ReferenceLists(harvest, ttl_s=settings.bot_cache_ttl_s)
    requests = Requests(
        store, harvest, reference,
        ttl_hours=settings.bot_request_ttl_hours, allow_self_approval=settings.bot_allow_self_approval,
    )
    return Services(
        settings=settings,
        store=store,
        harvest=harvest,
        identity=identity,
        job_views=JobViews(harvest, reuse_s=settings.bot_view_cache_s),
        slack=slack,
        reference=reference,
        requests=requests,
        request_messages=RequestMessages(slack, identity, requests, settings.bot_approvals_channel),
    )
