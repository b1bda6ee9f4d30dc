"""The composition root: the one place that builds the bot, bottom up —
settings → store → Harvest → Slack client → workflows → Slack layer → web app —
and starts its background work. Nothing else builds a long-lived object, and
nothing imports this module but the entry points (`python -m bot`, gunicorn's
`bot.runtime:wsgi()`)."""

from __future__ import annotations

import logging
import sys
import threading
from urllib.parse import urlsplit
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass

from flask import Flask
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot import logs
from bot.app_links import AppLinks
from bot.background import (
    start_decoration_read_ahead, start_directory_refresh, start_housekeeping, start_mirror_sync, start_name_read_ahead,
    start_poller,
)
from bot.cache import BoundedCache
from bot.config import ConfigError, Settings, load_settings
from bot.greenhouse.build import build_harvest
from bot.greenhouse.harvest import Harvest, HarvestOverHttp
from bot.greenhouse.v3 import HarvestV3
from bot.identity import Identity
from bot.logs import register_secret
from bot.metrics import CacheCounter, HarvestMetrics
from bot.services import Services
from bot.slack.app import create_app
from bot.slack.closing_notices import SlackClosingNotices
from bot.slack.directory import SlackDirectory
from bot.slack.home_tabs import HomeTabs, RefreshingBoard
from bot.slack.request_messages import RequestMessages
from bot.store import Store, is_postgres_url
from bot.store.budget import budget_factory
from bot.store.flight import Sealer, StoreFlight
from bot.readiness import StartupChecks
from bot.user_directory import UserDirectory
from bot.web import create_web_app
from bot.workflows.autoclose import AutoClose
from bot.workflows.candidate_names import CandidateNames
from bot.workflows.home import Home
from bot.workflows.harvest_mirror import HarvestMirror
from bot.workflows.home_jobs import HomeJobs
from bot.workflows.job_counts import JobCounts
from bot.workflows.job_view import JobViews
from bot.workflows.outsider_asks import OutsiderAsks
from bot.workflows.reference import ReferenceLists
from bot.workflows.reminders import Reminders
from bot.workflows.requests import Requests
from bot.workflows.stage_order import StageOrder
from bot.workflows.watches import Watches

log = logging.getLogger("bot")
MIB = 1024 * 1024
# Bolt's after-ack work per process. Most of these threads wait in the Harvest limiter's
# line when the budget is short; with too few, a command waits in the pool's queue
# instead, where nobody can tell its person how long (bench/company_day.py: with 32, every
# command of the busy hour heard of its wait only after 3 s).
LISTENER_THREADS = 128


# --- settings ------------------------------------------------------------------------------


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        print("The bot cannot start; fix these settings (environment or .env):", file=sys.stderr)
        for line in str(exc).splitlines():
            print(f"  - {line}", file=sys.stderr)
        raise SystemExit(2) from None


# --- the outside world: Harvest and Slack --------------------------------------------------


def build_slack_client(settings: Settings) -> WebClient:
    token = settings.slack_bot_token.get_secret_value()
    register_secret(token)
    client = WebClient(token=token, base_url=settings.slack_api_url)
    # Slack's `ratelimited` answers carry Retry-After: wait and send again (twice at most).
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


# --- the bot's own objects -----------------------------------------------------------------


def build_store(settings: Settings) -> Store:
    """PostgreSQL for DATABASE_URL, else SQLite; opening applies pending migrations."""
    if settings.database_url is not None:
        url = settings.database_url.get_secret_value()
        register_secret(url)
        register_secret(urlsplit(url).password)
    target = settings.store_target
    store = Store(target, pool_max=settings.bot_db_pool_max) if is_postgres_url(target) else Store(target)
    log.info("store_opened backend=%s schema_version=%s", store.backend, store.schema_version())
    return store


def build_services(
    settings: Settings,
    *,
    slack: WebClient | None = None,
    harvest: Harvest | None = None,
    store: Store | None = None,
    webhook_executor: Executor | None = None,
    home_executor: Executor | None = None,
) -> Services:
    """Every long-lived object, once. Tests pass fakes for the outside world."""
    for secret in (settings.slack_signing_secret, settings.slack_app_token, settings.greenhouse_client_secret,
                   settings.greenhouse_webhook_secret, settings.bot_metrics_token):
        if secret is not None:
            register_secret(secret.get_secret_value())
    slack = slack or build_slack_client(settings)
    store = store or build_store(settings)
    # One Harvest budget for every process and host on this store, not one per process.
    harvest = harvest or build_harvest(settings, budget_for=budget_factory(store))
    if isinstance(harvest, HarvestOverHttp):
        harvest.t.observer = HarvestMetrics()
    users = UserDirectory(store, harvest, refresh_s=settings.bot_directory_refresh_s,
                          stats=CacheCounter("user_directory"))
    if isinstance(harvest, HarvestV3) and settings.bot_directory_refresh_s > 0:
        harvest.decorations.user_names = users.names  # the team's names from the directory, not /users
    identity = Identity(
        store, harvest, SlackDirectory(slack), admins=settings.bot_admins, ttl_s=settings.bot_identity_ttl_s,
        users=users if settings.bot_directory_refresh_s > 0 else None,
    )
    shared = shared_reads(settings, store)  # one read at a time across processes (None: off)
    reference = ReferenceLists(harvest, cache=BoundedCache(
        ttl_s=settings.bot_cache_ttl_s, max_entries=1024, max_bytes=8 * MIB, stats=CacheCounter("reference")),
        order=StageOrder(store, ttl_s=settings.bot_stage_order_ttl_s, flight=shared))  # what views sort by
    links = AppLinks(settings.greenhouse_app_url)  # names in messages link to Greenhouse's pages
    # Active candidates per job, shared by every process: the Home tabs' counts, fed by views too.
    job_counts = JobCounts(store, ttl_s=settings.bot_cache_ttl_s)
    mirror = harvest_mirror(settings, store, harvest, reference.order)
    job_views = JobViews(harvest, reuse_s=settings.bot_view_cache_s, stage_order=reference.job_stages,
                         names=CandidateNames(store, harvest), stale_days=settings.bot_stale_days,
                         cache=BoundedCache(ttl_s=300, max_entries=settings.bot_view_cache_entries,
                                            max_bytes=int(settings.bot_view_cache_mb * MIB),
                                            stats=CacheCounter("job_view")),
                         shared=shared,
                         counted=lambda job_id, n: job_counts.remember({job_id: n}), mirror=mirror,
                         # whom the mirror's team refused lately (decision 0017), on the mirror's clock
                         outsider_asks=OutsiderAsks(store, clock=mirror.now) if mirror is not None else None)
    requests = Requests(
        store, harvest, reference,
        ttl_hours=settings.bot_request_ttl_hours, allow_self_approval=settings.bot_allow_self_approval,
        stage_moves_need_approval=settings.bot_stage_moves_need_approval,
        lease_s=settings.bot_claim_lease_s, undo_minutes=settings.bot_undo_minutes, views=job_views,
    )
    watches = Watches(store, harvest)
    home = Home(requests, allow_self_approval=settings.bot_allow_self_approval,
                jobs=HomeJobs(harvest, ttl_s=settings.bot_cache_ttl_s, shared=job_counts, mirror=mirror))
    autoclose = AutoClose(store, harvest, requests, watches,
                          SlackClosingNotices(slack, identity, dm=settings.bot_notify_dm, links=links))
    # One thread redraws the Home tabs after each transition, in order (bot/slack/home_tabs.py).
    home_tabs = HomeTabs(slack, home, identity, links=links,
                         redraws=home_executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix="home-tabs"))
    return Services(
        settings=settings,
        store=store,
        harvest=harvest,
        identity=identity,
        job_views=job_views,
        slack=slack,
        reference=reference,
        requests=requests,
        request_messages=RefreshingBoard(RequestMessages(slack, identity, requests, settings.bot_approvals_channel,
                                                         links=links),
                                         home_tabs),
        home=home,
        reminders=Reminders(store, requests, after_hours=settings.bot_remind_after_hours),
        watches=watches,
        autoclose=autoclose,
        webhook_executor=webhook_executor or ThreadPoolExecutor(max_workers=4, thread_name_prefix="gh-webhook"),
        readiness=StartupChecks(harvest, slack, approvals_channel=settings.bot_approvals_channel,
                                on_email_scope_missing=identity.set_email_scope_missing),
    )


def harvest_mirror(settings: Settings, store: Store, harvest: Harvest,
                   stage_order: StageOrder | None = None) -> HarvestMirror | None:
    """The store's copy of every open job and active application (decision 0012), sealed
    with the shared reads' key, reading the open jobs' stage orders ahead into `stage_order`
    where Harvest lists them in batches (v3); None when either is turned off."""
    secret = settings.greenhouse_api_key or settings.greenhouse_client_secret
    if settings.bot_mirror_s <= 0 or not settings.bot_shared_reads or secret is None:
        return None
    v1 = harvest.version == "v1"
    if isinstance(harvest, HarvestOverHttp):
        # A few slots of each window kept for the mirror's turns and job reads, which go
        # first (v1 2 of 50, v3 3 of 75): the rest of the budget is everyone's.
        harvest.t.limiter.reserve = max(1, harvest.t.limiter.limit // 25)
    # v1: one request for 500 jobs, every 20 s, trusted 10 s more (30 s: decision 0010's window);
    # v3: a dozen, every 240 s, trusted 70 s more (310 s: decision 0006's team window) — a spent
    # budget spreads a v3 read over windows even with the reserve.
    jobs_s = settings.bot_mirror_jobs_s or (20 if v1 else 240)
    return HarvestMirror(store, harvest, Sealer(secret.get_secret_value(), b"greenhouse-slack-bot mirror v1"),
                         interval_s=settings.bot_mirror_s, full_s=settings.bot_mirror_full_s, jobs_s=jobs_s,
                         jobs_grace_s=settings.bot_mirror_s if v1 else 70,
                         # Three turns, plus on v3 its fixed 30 s window: a turn's one request may
                         # wait for the window's reset when the budget is spent.
                         fresh_s=3 * settings.bot_mirror_s + (0 if v1 else 30),
                         stats=CacheCounter("mirror"),
                         # A sweep's pages at a fifth of the budget: v1 50 per 10 s, v3 75 per 30 s.
                         page_gap_s=1.0 if v1 else 2.0, stage_order=stage_order)


def shared_reads(settings: Settings, store: Store) -> StoreFlight | None:
    """One read of a job across every process on the store, its result sealed with a key
    derived from the Harvest credential, which every replica holds and nothing else needs."""
    secret = settings.greenhouse_api_key or settings.greenhouse_client_secret
    if not settings.bot_shared_reads or secret is None:
        return None
    return StoreFlight(store, Sealer(secret.get_secret_value()), reuse_s=settings.bot_view_cache_s)


# --- starting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Running:
    services: Services
    app: App
    web: Flask | None  # the HTTP app; None in Socket Mode
    stop: threading.Event  # set it to end the background work


def start(mode: str, settings: Settings | None = None) -> Running:
    """`settings` given (the demo builds its own) are used instead of the environment's."""
    logs.configure()
    settings = settings or settings_or_exit()
    services = build_services(settings)
    # Bolt's default pool has 5 threads: too few when a burst of commands each wait on
    # Harvest. The shared rate limiter, not this pool, bounds what reaches Greenhouse.
    # Its threads are not daemons, so a graceful stop (SIGTERM) lets in-flight work finish.
    app = create_app(services, listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="bolt"))
    stop = threading.Event()
    # Harvest and Slack are checked in the background, retried with backoff: an outage at
    # start shows in GET /readyz and the log, and never stops the worker (bot/readiness.py).
    if services.readiness is not None:
        services.readiness.start(stop)
    # Settle what a previous run left executing before anything else, then keep watching.
    start_housekeeping(services, stop)
    start_poller(services, stop)
    start_directory_refresh(services, stop)
    start_decoration_read_ahead(services)
    start_mirror_sync(services, stop)
    start_name_read_ahead(services, stop)
    web = create_web_app(services, app) if mode == "http" else None
    log.info("bot_started mode=%s harvest=%s", mode, services.harvest.version)
    return Running(services=services, app=app, web=web, stop=stop)


def wsgi() -> Flask:
    """Entry point for gunicorn (see Procfile): `gunicorn 'bot.runtime:wsgi()'`."""
    web = start(mode="http").web
    assert web is not None
    return web
