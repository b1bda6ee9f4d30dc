"""Background work started with the bot: for now, the Greenhouse poller.

Daemon threads, so they never hold up shutdown; `stop` ends them at the next
wait. With several processes (the Procfile's workers) each runs its own
poller; a lease in the store lets about one of them list jobs per interval, and
each closing is claimed once in the shared store anyway.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

from bot.poller import Poller
from bot.services import Services
from bot.slack.notify import announce_if_closed

log = logging.getLogger("bot.background")


def start_background(services: Services, stop: threading.Event | None = None) -> list[threading.Thread]:
    stop = stop or threading.Event()
    interval = services.settings.bot_poll_interval_s
    if interval <= 0:
        log.info("poller_off reason=BOT_POLL_INTERVAL_S=0")
        return []
    # The lease is shorter than the interval, so whichever process comes next after it
    # ends polls: about one listing per interval however many processes run.
    poller = Poller(services.store, services.harvest, lambda job_id: announce_if_closed(services, job_id),
                    lease_s=interval * 0.8)
    thread = threading.Thread(target=_every, args=(poller.run_once, interval, stop),
                              name="greenhouse-poller", daemon=True)
    thread.start()
    log.info("poller_started interval_s=%s", interval)
    return [thread]


def _every(work: Callable[[], object], interval: float, stop: threading.Event) -> None:
    # A little jitter so that several workers don't hit Harvest in the same second.
    while not stop.wait(random.uniform(0, min(5.0, interval / 10))):
        try:
            work()
        except Exception:  # noqa: BLE001 - a Greenhouse outage must not end the loop
            log.exception("background_work_failed")
        if stop.wait(interval):
            return
