"""Background upkeep of requests: expire the ones nobody decided, and settle
executions whose process died (by reading Greenhouse, never by writing)."""

from __future__ import annotations

import logging
import threading

from bot.services import Services

log = logging.getLogger("bot.housekeeping")


def run_once(services: Services) -> None:
    for request in services.requests.reconcile_stuck():
        log.info("request_reconciled request=%s state=%s", request.id, request.state)
        services.request_messages.settle(request)
    for request in services.requests.expire_due():
        log.info("request_expired request=%s", request.id)
        services.request_messages.settle(request)


def start(services: Services, stop: threading.Event, interval_s: float = 60.0) -> threading.Thread:
    def loop() -> None:
        while not stop.is_set():
            try:
                run_once(services)
            except Exception:  # noqa: BLE001 - keep the loop alive; the next round retries
                log.exception("housekeeping_failed")
            stop.wait(interval_s)

    thread = threading.Thread(target=loop, name="housekeeping", daemon=True)
    thread.start()
    return thread
