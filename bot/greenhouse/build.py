"""Build the Harvest client the settings ask for — v1 (API key) or v3 (OAuth) —
with its transport and the process-wide rate limiter of its credential."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import httpx

from bot.config import Settings
from bot.logs import register_secret

from .decorations import DecorationNames
from .harvest import Harvest
from .ratelimit import BudgetFactory, limiter_for
from .transport import HarvestTransport
from .v1 import HarvestV1, V1Auth
from .v3 import HarvestV3
from .v3_auth import V3TokenAuth

# Starting guesses only: the limit is taken from X-RateLimit-Limit at run time.
V1_LIMIT, V1_WINDOW_S = 50, 10.0  # Harvest v1 documents its limit per 10 seconds
V3_LIMIT, V3_WINDOW_S = 50, 30.0  # v3: fixed 30 s window; 50 until X-RateLimit-Limit says (docs/HARVEST_V3.md §5)


def _fingerprint(secret: str) -> str:
    # The limiter registry is keyed by a fingerprint, never by the secret itself.
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def build_harvest(
    settings: Settings, *, http: httpx.Client | None = None, sleep: Callable[[float], None] | None = None,
    budget_for: BudgetFactory | None = None,
) -> Harvest:
    """The Harvest client for `settings.harvest_version`. `http` and `sleep` are for tests.
    `budget_for` makes the rate-limit budget shared by every process (the store's)."""
    http = http or httpx.Client(timeout=20.0)
    kwargs: dict[str, Any] = {"http": http}
    if sleep is not None:
        kwargs["sleep"] = sleep
    if settings.harvest_version == "v3":
        client_id = settings.greenhouse_client_id
        secret = settings.greenhouse_client_secret.get_secret_value()  # type: ignore[union-attr]
        auth: Any = V3TokenAuth(
            settings.greenhouse_auth_url, client_id, secret, settings.greenhouse_read_as_user_id, http=http
        )
        limiter = limiter_for(f"v3:{_fingerprint(client_id)}", limit=V3_LIMIT, window_s=V3_WINDOW_S,
                              fixed_window=True, budget_for=budget_for)
        return HarvestV3(HarvestTransport(settings.harvest_base_url, auth, limiter, **kwargs),
                         decorations=DecorationNames(ttl_s=settings.bot_cache_ttl_s))
    key = settings.greenhouse_api_key.get_secret_value()  # type: ignore[union-attr]
    register_secret(key)
    limiter = limiter_for(f"v1:{_fingerprint(key)}", limit=V1_LIMIT, window_s=V1_WINDOW_S,
                          budget_for=budget_for)
    return HarvestV1(HarvestTransport(settings.harvest_base_url, V1Auth(key), limiter, **kwargs))
