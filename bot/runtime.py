"""Starting the bot: settings, logs, services, the Bolt app, background jobs."""

from __future__ import annotations

import logging
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from slack_bolt import App

from bot import logs
from bot.background import start_background
from bot.config import ConfigError, Settings, load_settings
from bot.services import Services, build_services
from bot.slack.app import create_app
from bot.web import create_web_app

log = logging.getLogger("bot")


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        print("The bot cannot start; fix these settings (environment or .env):", file=sys.stderr)
        for line in str(exc).splitlines():
            print(f"  - {line}", file=sys.stderr)
        raise SystemExit(2) from None


def start(mode: str) -> tuple[Services, Flask | None, App]:
    logs.configure()
    settings = settings_or_exit()
    services = build_services(settings)
    # Bolt's default pool has 5 threads: too few when a burst of commands each wait on
    # Harvest. The shared rate limiter, not this pool, bounds what reaches Greenhouse.
    # Its threads are not daemons, so a graceful stop (SIGTERM) lets in-flight work finish.
    app = create_app(services, listener_executor=ThreadPoolExecutor(max_workers=32, thread_name_prefix="bolt"))
    warn_if_public_approvals_channel(services)
    # Settle what a previous run left executing before anything else, then keep watching.
    from bot import housekeeping

    stop = threading.Event()
    services.extra["stop"] = stop
    housekeeping.start(services, stop)
    start_background(services, stop)
    web = create_web_app(services, app) if mode == "http" else None
    log.info("bot_started mode=%s harvest=%s", mode, services.harvest.version)
    return services, web, app


def warn_if_public_approvals_channel(services: Services) -> None:
    channel = services.settings.bot_approvals_channel
    if channel and services.request_messages.is_public(channel):
        log.warning("approvals_channel_public channel=%s: requests name candidates; use a private channel", channel)
