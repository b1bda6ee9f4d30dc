"""Background upkeep of requests: expire the ones nobody decided, and settle
executions whose process died (by reading Greenhouse, never by writing), and
remind the approvers once of a request still waiting (bot/workflows/reminders.py);
likewise settle undos whose process died, and take the Undo button off rejections
whose window passed (bot/workflows/requests/undo.py). Shared job reads older than a few
minutes leave the store (bot/store/flight.py), and so do stage orders past their TTL
(bot/workflows/stage_order.py) and the marks of outsiders refused by the Harvest mirror's
team past their window (bot/workflows/outsider_asks.py)."""

from __future__ import annotations

import logging

from bot.services import Services

log = logging.getLogger("bot.housekeeping")


def run_once(services: Services) -> None:
    for request in services.requests.reconcile_stuck():
        log.info("request_reconciled request=%s state=%s", request.id, request.state)
        services.request_messages.settle(request)
    for request in services.requests.reconcile_stuck_undos():
        log.info("request_undo_reconciled request=%s state=%s", request.id, request.state)
        services.request_messages.settle(request)
    for request in services.requests.undo_offers_to_close():
        services.request_messages.refresh(request)  # its undo window passed: the button goes
    for request in services.requests.expire_due():
        log.info("request_expired request=%s", request.id)
        services.request_messages.settle(request)
    for request in services.reminders.due():
        log.info("request_reminded request=%s", request.id)
        services.request_messages.remind(request)
    if services.job_views.shared is not None:
        services.job_views.shared.sweep()
    if services.reference.order is not None:
        services.reference.order.sweep()
    if services.job_views.outsider_asks is not None:
        services.job_views.outsider_asks.sweep()
