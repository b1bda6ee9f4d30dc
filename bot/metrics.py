"""Operator metrics in Prometheus's text format at `GET /metrics` (docs/METRICS.md).

Every metric is defined here, and nothing else imports prometheus_client: the Harvest
transport reports through a small observer (`HarvestMetrics`, set on it at wiring),
caches through `CacheCounter`, and the Slack and web layers call the two `observe_*`
functions. Labels are closed sets (endpoint classes with IDs replaced by `:id`,
command names, Slack request kinds, cache names, request states): never a person's
or a job's name or ID.

Under gunicorn (the Procfile's two workers) set PROMETHEUS_MULTIPROC_DIR, as
gunicorn.conf.py does: each worker then writes its samples to files there and a
scrape of either worker answers for all of them (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import hmac
import os
import re
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

# --- Harvest ---------------------------------------------------------------------------------

HARVEST_REQUESTS = Counter(
    "bot_harvest_requests_total", "HTTP requests sent to Harvest, retries included",
    ["endpoint", "method", "status"],
)
HARVEST_RATE_LIMITED = Counter("bot_harvest_rate_limited_total", "Harvest answers 429 (rate limit exceeded)")
HARVEST_SECONDS = Histogram(
    "bot_harvest_request_seconds", "Time Harvest took to answer one request", ["endpoint"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20),
)
LIMITER_WAIT = Histogram(
    "bot_harvest_limiter_wait_seconds", "Time a request waited for the shared rate limiter before it was sent",
    buckets=(0.001, 0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120),
)
BUDGET_REMAINING = Gauge(
    "bot_harvest_budget_remaining", "X-RateLimit-Remaining of the last Harvest answer (for the whole credential)",
    multiprocess_mode="mostrecent",
)
BUDGET_LIMIT = Gauge(
    "bot_harvest_budget_limit", "X-RateLimit-Limit of the last Harvest answer (requests per window)",
    multiprocess_mode="mostrecent",
)

# --- Slack -----------------------------------------------------------------------------------

SLACK_ACK = Histogram(
    "bot_slack_ack_seconds", "Time from Slack's request reaching the bot to the bot's HTTP answer (the ack)",
    ["kind"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5),
)
ANSWER = Histogram(
    "bot_answer_seconds", "Time from a slash command reaching the bot to its final answer", ["command"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120),
)
SLACK_KINDS = frozenset({"command", "block_actions", "view_submission", "view_closed", "shortcut",
                         "message_action", "event_callback", "url_verification"})

# --- caches ----------------------------------------------------------------------------------

CACHE_HITS = Counter("bot_cache_hits_total", "Lookups answered from a cache", ["cache"])
CACHE_MISSES = Counter("bot_cache_misses_total", "Lookups a cache could not answer", ["cache"])
CACHE_ENTRIES = Gauge("bot_cache_entries", "Entries held by a cache (summed over workers)", ["cache"],
                      multiprocess_mode="livesum")
CACHE_BYTES = Gauge("bot_cache_bytes", "Estimated bytes held by a cache (summed over workers)", ["cache"],
                    multiprocess_mode="livesum")


class CacheCounter:
    """Hit, miss and size reporting for one named cache (see bot/cache.py)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._hits = CACHE_HITS.labels(name)
        self._misses = CACHE_MISSES.labels(name)
        self._entries = CACHE_ENTRIES.labels(name)
        self._bytes = CACHE_BYTES.labels(name)

    def hit(self) -> None:
        self._hits.inc()

    def miss(self) -> None:
        self._misses.inc()

    def size(self, entries: int, nbytes: int) -> None:
        self._entries.set(entries)
        self._bytes.set(nbytes)


# --- hooks -----------------------------------------------------------------------------------

_ID = re.compile(r"^\d+$")


def endpoint_class(path: str) -> str:
    """`/jobs/6404/openings/4542441002` → `/jobs/:id/openings/:id` (no IDs, no query)."""
    parts = [":id" if _ID.match(p) else p for p in path.split("?", 1)[0].strip("/").split("/") if p]
    return "/" + "/".join(parts[:4])


class HarvestMetrics:
    """The Harvest transport's observer (bot/greenhouse/transport.py `TransportObserver`)."""

    def harvest_request(self, method: str, path: str, status: int | None, seconds: float) -> None:
        endpoint = endpoint_class(path)
        HARVEST_REQUESTS.labels(endpoint, method, str(status) if status is not None else "no_answer").inc()
        if status == 429:
            HARVEST_RATE_LIMITED.inc()
        HARVEST_SECONDS.labels(endpoint).observe(seconds)

    def limiter_waited(self, seconds: float) -> None:
        LIMITER_WAIT.observe(seconds)

    def budget(self, limit: int | None, remaining: int | None) -> None:
        if limit is not None:
            BUDGET_LIMIT.set(limit)
        if remaining is not None:
            BUDGET_REMAINING.set(remaining)


def observe_answer(command: str, seconds: float) -> None:
    ANSWER.labels(command).observe(seconds)


def slack_kind(content_type: str, form: Mapping[str, str], payload_type: Callable[[], Any]) -> str:
    if content_type.startswith("application/json"):
        return "event_callback"
    if "command" in form:
        return "command"
    kind = payload_type()
    return kind if kind in SLACK_KINDS else "other"


# --- approval requests by state (read from the store at scrape time) ---------------------------


class RequestStates:
    """`bot_approval_requests{state}` and the age of the oldest execution, from the store's
    indexed counts and executing requests (never every request: bot/store/indexes.py), at
    most every `every_s` seconds."""

    def __init__(self, counts: Callable[[], Mapping[Any, int]], executing: Callable[[], Iterable[dict[str, Any]]], *,
                 every_s: float = 30.0, clock: Callable[[], float] = time.time) -> None:
        self._read_counts = counts
        self._executing = executing
        self._every_s = every_s
        self._clock = clock
        self._lock = threading.Lock()
        self._at = -1e18
        self._counts: Tally[str] = Tally()
        self._oldest_executing = 0.0

    def collect(self) -> Iterable[GaugeMetricFamily]:
        with self._lock:
            now = self._clock()
            if now - self._at >= self._every_s:
                counts: Tally[str] = Tally()
                for state, n in self._read_counts().items():
                    counts[str(state or "unknown")] += n
                oldest = max((now - float(row.get("decided_at") or now) for row in self._executing()), default=0.0)
                self._counts, self._oldest_executing, self._at = counts, oldest, now
            counts, oldest = self._counts, self._oldest_executing
        by_state = GaugeMetricFamily("bot_approval_requests", "Approval requests in the store, by state",
                                     labels=["state"])
        usual = ("draft", "posting", "requested", "executing", "failed", "done", "denied", "expired", "discarded",
                 "undoing", "undone")
        for state in (*usual, *sorted(set(counts) - set(usual))):
            by_state.add_metric([state], counts.get(state, 0))
        yield by_state
        yield GaugeMetricFamily("bot_approval_executing_oldest_seconds",
                                "Seconds since the oldest request still executing was approved (0: none)",
                                value=oldest)


# --- the endpoint -------------------------------------------------------------------------------


def exposition(extra: Iterable[Any] = ()) -> bytes:
    """Every worker's samples (multiprocess mode) or this process's, plus `extra` collectors."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    own = CollectorRegistry()
    for collector in extra:
        own.register(collector)
    return text + generate_latest(own)


def register(web: Flask, services: Any) -> None:
    """`GET /metrics` (Bearer BOT_METRICS_TOKEN required when set) and Slack ack timing."""
    secret = services.settings.bot_metrics_token
    token = secret.get_secret_value() if secret is not None else None
    states = RequestStates(lambda: services.store.count_by("requests", "state"),
                           lambda: services.store.find("requests", state="executing"))

    @web.before_request
    def _stamp() -> None:
        g.metrics_started = time.monotonic()

    @web.after_request
    def _ack_time(response):  # type: ignore[no-untyped-def]
        # A 413 was refused unread (bot/http_body.py): parsing its form here would read it after all.
        if request.path == "/slack/events" and request.method == "POST" and response.status_code != 413:
            SLACK_ACK.labels(slack_kind(request.content_type or "", request.form, _payload_type)).observe(
                time.monotonic() - g.get("metrics_started", time.monotonic()))
        return response

    @web.get("/metrics")
    def metrics():  # type: ignore[no-untyped-def]
        if token:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return Response("metrics need the bearer token (BOT_METRICS_TOKEN)", 401,
                                {"WWW-Authenticate": "Bearer"})
        return Response(exposition([states]), 200, {"Content-Type": CONTENT_TYPE_LATEST})


def _payload_type() -> Any:
    import json

    try:
        payload = json.loads(request.form.get("payload", ""))
    except ValueError:
        return None
    return payload.get("type") if isinstance(payload, dict) else None
