"""`POST /greenhouse/webhook`: Greenhouse's deliveries, verified, deduplicated, handed off.

Order matters: the signature is checked on the raw bytes before anything is
parsed (Greenhouse signs the body exactly as sent; re-serialising would break
it). Then the answer is quick — Greenhouse treats a slow answer as a failure
and retries — so the Harvest re-read and the Slack posts run on an executor.
A delivery is recorded by its Greenhouse-Event-ID before it is handed off, so a
retried delivery is acknowledged and dropped. Should the handed-off work fail,
the poller (when on) is the safety net.

Any signed delivery about a job or its applications (CHANGES_A_JOB) also makes the
bot forget what it keeps of that job — the job view shared by every process and the
Home tabs' counts and lists — so the next look reads Greenhouse again instead of
reusing a read from before the change (docs/decisions/0010-view-reuse-and-web-hooks.md).
The Harvest mirror forgets only what the event changed (an application's event: the job's
applications, not the job), and takes a `job_updated` payload in place when it matches the
job's team and openings (docs/decisions/0015-web-hooks-edit-the-mirror.md).
No Harvest request for that: forgetting is a few store writes, done before the answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

from flask import Flask, jsonify, request

from bot.greenhouse.models import Role
from bot.http_body import bounded_body
from bot.services import Services
from bot.workflows.autoclose import HINT_HIRE
from bot.workflows.harvest_mirror import JobEdit

log = logging.getLogger("bot.webhook")

MAX_BODY = 1_000_000

# Events after which a kept job view or Home count may be wrong (Greenhouse's web hook list,
# docs/decisions/0010-view-reuse-and-web-hooks.md): the job's own fields, or its applications (new, moved, rejected,
# hired, gone), or a candidate's name.
CHANGES_A_JOB = frozenset({
    "job_updated", "job_deleted", "job_approved", "job_interview_stage_deleted",
    "new_candidate_application", "application_updated", "delete_application",
    "hire_candidate", "unhire_candidate", "reject_candidate", "unreject_candidate", "candidate_stage_change",
    "update_candidate", "merge_candidate", "delete_candidate", "candidate_anonymized",
})
# The one event about a job's stage plan (docs/decisions/0013-shared-stage-order.md): its payload is
# the deleted stage, `job_interview_stage.job_id` naming the job.
STAGE_DELETED = "job_interview_stage_deleted"
# Events that change a job's applications and not the job itself (its fields, openings,
# team): the Harvest mirror forgets only the applications, so the next view reads those (one
# request) and not the job (v3: four). A hire fills an opening and a job may be deleted: those
# forget both, as does anything not named here.
APPLICATIONS_ONLY = frozenset({
    "new_candidate_application", "application_updated", "delete_application",
    "reject_candidate", "unreject_candidate", "candidate_stage_change",
    "update_candidate", "merge_candidate", "delete_candidate", "candidate_anonymized",
})
# The job's hiring-team roles as `job_updated` names them (docs/decisions/0015-web-hooks-edit-the-mirror.md).
TEAM_ROLES = {"hiring_managers": Role.HIRING_MANAGER, "recruiters": Role.RECRUITER,
              "coordinators": Role.COORDINATOR, "sourcers": Role.SOURCER}


def register(web: Flask, services: Services) -> None:
    @web.post("/greenhouse/webhook")
    def greenhouse_webhook():  # type: ignore[no-untyped-def]
        return handle(services)


def handle(services: Services) -> Any:
    secret = services.settings.greenhouse_webhook_secret
    if secret is None or not secret.get_secret_value():
        log.error("greenhouse_webhook_refused reason=no_secret "
                  "hint='set GREENHOUSE_WEBHOOK_SECRET to the web hook secret key configured in Greenhouse'")
        return jsonify(ok=False, error="web hook secret not configured"), 503
    raw = bounded_body(MAX_BODY)
    if raw is None:
        return jsonify(ok=False, error="too large"), 413
    if not signature_ok(raw, request.headers.get("Signature", ""), secret.get_secret_value()):
        log.warning("greenhouse_webhook_refused reason=bad_signature")
        return jsonify(ok=False, error="invalid signature"), 401
    try:
        action, payload = _envelope(raw)
        if action == "ping":
            log.info("greenhouse_webhook_ping web_hook_id=%s", _int(payload.get("web_hook_id")))
            return jsonify(ok=True)
        work = _job_ids_to_check(action, payload)
        if action == "job_updated" and (edit := _job_edit(payload)) is not None:
            _edited(services, edit)
        elif action in CHANGES_A_JOB:
            _forget(services, _jobs_named(payload), stages=action == STAGE_DELETED,
                    job=action not in APPLICATIONS_ONLY)
    except BadDelivery as exc:
        # Signed, so it is from Greenhouse (or has its secret), but not a shape Greenhouse
        # documents: say so with a 4xx rather than fail on it with a 500.
        log.warning("greenhouse_webhook_malformed reason=%s", exc)
        return jsonify(ok=False, error=f"malformed delivery: {exc}"), 400
    if work is None:
        return jsonify(ok=True, ignored=action[:40])
    event_id = request.headers.get("Greenhouse-Event-ID") or "sha256:" + hashlib.sha256(raw).hexdigest()
    if not services.store.add("deliveries", event_id[:200], {"action": action, "at": time.time()}):
        log.info("greenhouse_webhook_duplicate action=%s", action)
        return jsonify(ok=True, duplicate=True)
    job_ids, application_id, hint = work
    services.webhook_executor.submit(_check, services, action, job_ids, application_id, hint)
    return jsonify(ok=True)


def signature_ok(raw: bytes, header: str, secret: str) -> bool:
    """`Signature: sha256 <hex>`: HMAC-SHA256 of the raw body with the web hook's secret."""
    algorithm, _, digest = header.strip().partition(" ")
    if algorithm.lower() != "sha256" or not digest:
        return False
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())


class BadDelivery(ValueError):
    """A signed delivery whose fields do not have the types Greenhouse documents."""


def _envelope(raw: bytes) -> tuple[str, dict[str, Any]]:
    """`{"action": "...", "payload": {...}}`, checked before anything indexes into it."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise BadDelivery("not JSON") from None
    if not isinstance(body, dict):
        raise BadDelivery("not a JSON object")
    action = body.get("action")
    if not isinstance(action, str):
        raise BadDelivery("action is not a string")
    return action, _object(body.get("payload"), "payload")


def _object(value: Any, what: str) -> dict[str, Any]:
    """A field that must be an object: absent/null reads as empty, any other type is refused."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadDelivery(f"{what} is not an object")
    return value


def _job_ids_to_check(action: str, payload: dict[str, Any]) -> tuple[list[int], int | None, str | None] | None:
    """(job IDs, application ID to resolve, hint) for events that may mean a job closed;
    None for everything else (accepted and ignored)."""
    if action == "job_updated":
        job = _object(payload.get("job"), "payload.job")
        # The payload's status is the job's at the event; an open job is nothing to announce.
        if job.get("status") != "closed" or not _int(job.get("id")):
            return None
        return [_int(job["id"])], None, None  # type: ignore[list-item]
    if action == "hire_candidate":
        app = _object(payload.get("application"), "payload.application")
        # `jobs[]` is current; `job` is the deprecated single form some accounts still send.
        listed = _list(app.get("jobs"), "payload.application.jobs")
        jobs = [j for j in (listed or [_object(app.get("job"), "payload.application.job")]) if isinstance(j, dict)]
        ids = [i for i in (_int(j.get("id")) for j in jobs) if i]
        app_id = None if ids else _int(app.get("id"))
        return (ids, app_id, HINT_HIRE) if ids or app_id else None
    if action == "job_post_updated":
        # Documented: the post's fields sit in payload; some accounts nest them in job_post.
        post = _object(payload.get("job_post"), "payload.job_post") if "job_post" in payload else payload
        job_id = _int(post.get("job_id"))
        # A post going offline may come with its job closing; a live post says nothing.
        if job_id and post.get("live") is False:
            return [job_id], None, None
    return None


def _jobs_named(payload: dict[str, Any]) -> set[int]:
    """Every job ID the payload names: `job`, `application.jobs[]` (or the deprecated
    `application.job`), `candidate.applications[].jobs[]`, `job_interview_stage.job_id`.
    Values of other types are skipped."""
    ids: set[int] = set()

    def of_application(app: Any) -> None:
        if not isinstance(app, dict):
            return
        listed = app.get("jobs")
        for job in (listed if isinstance(listed, list) else []) + [app.get("job")]:
            if isinstance(job, dict) and (job_id := _int(job.get("id"))):
                ids.add(job_id)

    job = payload.get("job")
    if isinstance(job, dict) and (job_id := _int(job.get("id"))):
        ids.add(job_id)
    stage = payload.get("job_interview_stage")
    if isinstance(stage, dict) and (job_id := _int(stage.get("job_id"))):
        ids.add(job_id)
    of_application(payload.get("application"))
    candidate = payload.get("candidate")
    if isinstance(candidate, dict) and isinstance(candidate.get("applications"), list):
        for app in candidate["applications"]:
            of_application(app)
    return ids


def _forget(services: Services, job_ids: set[int], *, stages: bool = False, job: bool = True) -> None:
    for job_id in sorted(job_ids)[:100]:  # a merge names a few jobs; a bound all the same
        if stages:  # the job's stage order, kept for every process, is read again
            services.reference.forget_stages(job_id)
        services.job_views.forget(job_id, job=job)
        if services.home.jobs is not None:
            services.home.jobs.forget_job(job_id)


def _edited(services: Services, edit: JobEdit) -> None:
    """`job_updated`: the job's own fields changed, not its applications."""
    services.job_views.edited(edit)
    if services.home.jobs is not None:
        services.home.jobs.forget_job(edit.job_id)


def _job_edit(payload: dict[str, Any]) -> JobEdit | None:
    """What `job_updated`'s payload says of the job: its fields, its hiring team as (user id,
    role) — `{user_id, employee_id}` members, no names — and its openings' ids (no status);
    None when it names no job. Members or openings of other types are refused."""
    job = _object(payload.get("job"), "payload.job")
    job_id = _int(job.get("id"))
    if job_id is None:
        return None
    team = _object(job.get("hiring_team"), "payload.job.hiring_team")
    members: set[tuple[int, Role]] = set()
    for key, role in TEAM_ROLES.items():
        for member in _list(team.get(key), f"payload.job.hiring_team.{key}"):
            if isinstance(member, dict) and (user_id := _int(member.get("user_id"))):
                members.add((user_id, role))
    openings = {i for o in _list(job.get("openings"), "payload.job.openings")
                if isinstance(o, dict) and (i := _int(o.get("id")))}
    name, requisition = job.get("name"), job.get("requisition_id")
    return JobEdit(job_id=job_id, status=job.get("status") if isinstance(job.get("status"), str) else None,
                   name=name if isinstance(name, str) else None,
                   requisition_id=requisition if isinstance(requisition, str) else None,
                   confidential=job.get("confidential") is True, team=frozenset(members),
                   opening_ids=frozenset(openings))


def _list(value: Any, what: str) -> list[Any]:
    """A field that must be a list: absent/null reads as empty, any other type is refused."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadDelivery(f"{what} is not a list")
    return value


def _check(services: Services, action: str, job_ids: list[int], application_id: int | None, hint: str | None) -> None:
    try:
        if application_id is not None:
            app = services.harvest.get_application(application_id)
            job_ids = [app.job_id] if app and app.job_id else []
        for job_id in job_ids:
            services.autoclose.announce_if_closed(job_id, hint)
    except Exception:  # noqa: BLE001 - off the request thread: log, the poller is the safety net
        log.exception("greenhouse_webhook_work_failed action=%s", action)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):  # True is not job 1
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number > 0 else None
