"""Background work started with the bot: request housekeeping, the Greenhouse
poller and the user directory's refresh, each a loop of `every()`.

Daemon threads, so they never hold up shutdown; `stop` ends them at the next
wait. With several processes (the Procfile's workers) each runs its own
loops: a lease in the store lets about one poller list jobs per interval, each
closing is claimed once in the shared store anyway, and housekeeping's
transitions are compare-and-sets.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

from bot import housekeeping
from bot.greenhouse.harvest import HarvestOverHttp
from bot.poller import Poller
from bot.services import Services
from bot.slack.blocks.job import candidates_on_page
from bot.workflows.name_read_ahead import SHARE, NameReadAhead

log = logging.getLogger("bot.background")


def start_housekeeping(services: Services, stop: threading.Event) -> threading.Thread:
    """At once (settle what a previous run left executing), then every interval."""
    return every("housekeeping", lambda: housekeeping.run_once(services),
                 services.settings.bot_housekeeping_interval_s, stop, jitter_s=0)


def start_directory_refresh(services: Services, stop: threading.Event) -> list[threading.Thread]:
    """Load the Greenhouse user directory right after start, then keep it fresh every interval,
    so that neither the first command after a deploy nor the one after each interval pays the
    read (⌈users/500⌉ requests in full, one incremental request after). In the background:
    boot and GET /readyz do not wait for it; a command that comes first still finds its
    person with the single look-up. Across processes the directory's compare-and-set claim
    lets one read per interval through (bot/user_directory.py), so the Procfile's workers
    and several replicas starting together read it once."""
    users = services.identity.users
    if users is None or users.refresh_s <= 0:
        return []
    # A small jitter: workers started together do not all claim in the same instant
    # (the claim would hold anyway; this only spares them the contended write).
    return [every("user-directory", users.refresh_if_due, users.refresh_s, stop, jitter_s=min(1.0, users.refresh_s))]


def start_decoration_read_ahead(services: Services) -> threading.Thread:
    """Once, right after start: the names that only decorate a job view (v3: departments and
    offices; v1: nothing), so that the first view a process answers does not pay for them.
    Best-effort: a failure here only means the first view reads them itself."""

    def read() -> None:
        try:
            services.harvest.read_ahead_decorations()
        except Exception:  # noqa: BLE001 - decorative names; the view reads them if this fails
            log.warning("decoration_read_ahead_failed")

    thread = threading.Thread(target=read, name="decoration-read-ahead", daemon=True)
    thread.start()
    return thread


def start_mirror_sync(services: Services, stop: threading.Event) -> list[threading.Thread]:
    """Keep the Harvest mirror (bot/workflows/harvest_mirror.py) in step: the changes every
    interval, the open jobs and a full sweep at once and when due, each on a thread of its
    own so that the turns go on while the others read. Every process runs the three loops;
    the store's leases let one process at a time do each (decision 0012)."""
    mirror = services.job_views.mirror
    if mirror is None:
        log.info("mirror_off")
        return []
    return [every("harvest-mirror", mirror.sync_once, mirror.interval_s, stop, jitter_s=min(1.0, mirror.interval_s)),
            every("harvest-mirror-jobs", mirror.jobs_once, mirror.interval_s, stop, jitter_s=0),
            every("harvest-mirror-sweep", mirror.sweep_once, mirror.interval_s, stop, jitter_s=0)]


def start_name_read_ahead(services: Services, stop: threading.Event) -> list[threading.Thread]:
    """Read the names of the mirror's active candidates before anyone views them, on spare
    budget only (bot/workflows/name_read_ahead.py): every process runs the loop, a lease in
    the store lets one at a time read."""
    ahead = name_read_ahead(services)
    if ahead is None:
        log.info("names_ahead_off")
        return []
    return [every("names-ahead", lambda: ahead.run_once(stop), ahead.interval_s, stop,
                  jitter_s=min(1.0, ahead.interval_s))]


def name_read_ahead(services: Services) -> NameReadAhead | None:
    """The read-ahead over this bot's mirror, name cache and rate limiter; None when turned
    off (BOT_NAMES_AHEAD=0), without a mirror, or without a limiter to ask."""
    views = services.job_views
    harvest = services.harvest
    if (not services.settings.bot_names_ahead or views.mirror is None or views.names is None
            or not isinstance(harvest, HarvestOverHttp)):
        return None
    limiter = harvest.t.limiter
    order = services.reference.order
    return NameReadAhead(services.store, views.mirror, views.names, idle=lambda: limiter.idle(SHARE),
                         first_page=candidates_on_page,
                         stage_order=order.known if order is not None else (lambda job_id: None))


def start_poller(services: Services, stop: threading.Event | None = None) -> list[threading.Thread]:
    stop = stop or threading.Event()
    interval = services.settings.bot_poll_interval_s
    if interval <= 0:
        log.info("poller_off reason=BOT_POLL_INTERVAL_S=0")
        return []
    # The lease is shorter than the interval, so whichever process comes next after it
    # ends polls: about one listing per interval however many processes run.
    poller = Poller(services.store, services.harvest, services.autoclose.announce_listed, lease_s=interval * 0.8)
    # A little jitter so that several workers don't hit Harvest in the same second.
    thread = every("greenhouse-poller", poller.run_once, interval, stop, jitter_s=min(5.0, interval / 10))
    log.info("poller_started interval_s=%s", interval)
    return [thread]


def every(name: str, work: Callable[[], object], interval_s: float, stop: threading.Event, *,
          jitter_s: float) -> threading.Thread:
    """Run `work` after up to `jitter_s`, then again every `interval_s`, until `stop`."""

    def loop() -> None:
        while not stop.wait(random.uniform(0, jitter_s) if jitter_s else 0):
            try:
                work()
            except Exception:  # noqa: BLE001 - a Greenhouse outage must not end the loop; the next round retries
                log.exception("background_work_failed work=%s", name)
            if stop.wait(interval_s):
                return

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread
