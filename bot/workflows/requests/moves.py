"""Stage moves: `/greenhouse advance <application>` (the next stage of the job's plan) and
`/greenhouse move <application> <stage words>`, as requests like a reject.

A move is drafted from what Greenhouse shows now (the application's stage, the job's
stages); approved in the thread like a reject — or, when the hiring team decided so
(`BOT_STAGE_MOVES_NEED_APPROVAL=false`), carried out after the requester's own confirm
click, through the same claim (draft|failed → executing, one compare-and-set), so it is
written once however often it is clicked. Greenhouse is read again right before the write:
an application no longer in the stage it was drafted from is not moved ("changed
meanwhile"), and Greenhouse itself refuses a stale `from_stage_id` with its own words.
Both ids are the job's stage ids (docs/harvest-applications-move.md; v3: row 17 of
docs/harvest-v3-reference.md §4)."""

from __future__ import annotations

from collections.abc import Callable

from bot.greenhouse.errors import GreenhouseError
from bot.greenhouse.models import Application, Stage
from bot.identity import Caller

from ..errors import NotVisible, Refused, UserFacingError
from ..jobs import may_see_candidates
from ..reference import match_by_words
from .execute import failed_outcome, may_have_landed
from .lease import executor_id
from .model import APPLICATION_ID_RE, NotDoable, Request
from .recovery import Recovery

MOVED = "moved"
PICK_STAGE = "Pick the stage to move it to first."


def current_stage(app: Application, stages: list[Stage]) -> Stage | None:
    """The job stage the application is in: by id when the backend gives it (v1), else by
    its stage's name (v3, whose application `stage_id` is not a job stage's id)."""
    if app.stage_id is not None:
        return next((s for s in stages if s.id == app.stage_id), None) or (
            Stage(id=app.stage_id, name=app.stage) if app.stage else None)
    named = [s for s in stages if s.name == app.stage]
    return named[0] if len(named) == 1 else None


def stage_list(stages: list[Stage]) -> str:
    return ", ".join(s.name for s in stages) or "none"


class Moves(Recovery):
    """The move kind of request: drafting, the requester's own confirm, the write, and
    what housekeeping reads after a crash. Every state change goes through `_transition`."""

    def draft_move(self, caller: Caller, application_ref: str, stage_words: str, channel: str, *,
                   advance: bool) -> Request:
        actor = caller.mapped()  # a request is made in the requester's name: even admins need a mapping
        if not APPLICATION_ID_RE.fullmatch(application_ref):
            raise UserFacingError("Give the application ID (a number; `/greenhouse job <job>` lists them).")
        app = self.harvest.get_application(int(application_ref))
        job = self.harvest.get_job(app.job_id) if app is not None and app.job_id else None
        if app is None or job is None or not may_see_candidates(job, caller):
            # One answer whether or not it exists: an outsider learns nothing about it.
            raise NotVisible("application", application_ref, "move", whose="its job's")
        if app.status != "active" or app.prospect:
            what = "a prospect" if app.prospect and app.status == "active" else app.status
            raise UserFacingError("Application {app} is {what}, not an active candidate: only those can be moved.",
                                  app=app.id, what=what)
        stages = self.reference.stages(job.id)
        here = current_stage(app, stages)
        if here is None:
            raise UserFacingError("Application {app} is in stage {stage}, which is not among the stages of {job} "
                                  "({stages}), so I cannot tell where to move it from.", app=app.id,
                                  stage=app.stage or "none", job=job.name, stages=stage_list(stages))
        if advance:
            target: Stage | None = self._next_stage(app, here, stages, job.name)
        else:  # no words: the requester picks the stage on the draft (the job view's Move…)
            target = self._named_stage(stage_words, here, stages, job.name) if stage_words.strip() else None
        request = self._new(
            "move_application", job.id, job.name, actor, channel,
            # Nobody is asked to approve a move that needs no approval (nor shown it as waiting for them).
            approver_gh_ids=sorted(job.approver_user_ids()) if self.stage_moves_need_approval else [],
            application_id=app.id, candidate_name=app.candidate_name, candidate_id=app.candidate_id, stage=here.name,
            from_stage_id=here.id, to_stage_id=target.id if target else None,
            to_stage_name=target.name if target else None,
            needs_approval=self.stage_moves_need_approval,
        )
        self._save_new(request)
        return request

    @staticmethod
    def _next_stage(app: Application, here: Stage, stages: list[Stage], job_name: str) -> Stage:
        ids = [s.id for s in stages]
        if here.id not in ids:
            raise UserFacingError("Application {app} is in {stage}, which is not in the current plan of {job}: "
                                  "name the stage with `/greenhouse move`. Its stages: {stages}.",
                                  app=app.id, stage=here.name, job=job_name, stages=stage_list(stages))
        later = stages[ids.index(here.id) + 1:]
        if not later:
            raise UserFacingError("Application {app} is in {stage}, the last stage of {job}: there is no next stage "
                                  "(to hire or reject, use Greenhouse or `/greenhouse reject`).",
                                  app=app.id, stage=here.name, job=job_name)
        return later[0]

    @staticmethod
    def _named_stage(words: str, here: Stage, stages: list[Stage], job_name: str) -> Stage:
        found = match_by_words(words, stages, lambda s: s.name)
        if not found:
            raise UserFacingError("No stage of {job} matches “{words}”. Its stages: {stages}.",
                                  job=job_name, words=words[:100], stages=stage_list(stages))
        if len(found) > 1:
            raise UserFacingError("“{words}” matches several stages of {job}: {found}. Give more of the name.",
                                  words=words[:100], job=job_name, found=stage_list(found))
        if found[0].id == here.id:
            raise UserFacingError("The application is in {stage} already.", stage=here.name)
        return found[0]

    def stage_choices(self, request: Request) -> list[Stage]:
        """The stages a move's draft offers: the job's plan without the one it is in."""
        return [s for s in self.reference.stages(request.job_id) if s.id != request.from_stage_id]

    def choose_stage(self, request_id: str, caller: Caller, stage_id: int) -> Request:
        """The requester picks the stage to move to on their draft."""
        request = self.get(request_id)
        if request is None or request.state != "draft":
            raise UserFacingError("This draft is no longer open; run the command again.")
        if request.requester != caller.slack_user_id:
            raise Refused("Only the person who asked can change this draft.")
        stage = next((s for s in self.stage_choices(request) if s.id == stage_id), None)
        if request.kind != "move_application" or stage is None:
            raise UserFacingError("That stage is not one of the job's stages any more; run the command again.")
        return self._transition(request.id, ("draft",), "draft", caller.slack_user_id, "choose",
                                to_stage_id=stage.id, to_stage_name=stage.name)

    def confirm_own_move(self, request_id: str, caller: Caller) -> Request:
        """A move that needs no approval: the requester's confirm click (or Retry after a
        failure) claims it — draft|failed → executing, one compare-and-set, a new generation
        — so of any number of clicks one carries it out."""
        request = self.get(request_id)
        if request is None or request.kind != "move_application":
            raise self.not_open(request_id)
        if request.requester != caller.slack_user_id:
            raise Refused("Only the person who asked can confirm this move.")
        if request.needs_approval:
            raise Refused("This move needs the approval of a recruiter or coordinator of the job: use *Request approval*.")
        if request.to_stage_id is None:
            raise UserFacingError(PICK_STAGE)
        actor = caller.mapped()
        # Authority is the job's team in Greenhouse now, as for an approver.
        job = self.harvest.get_job(request.job_id)
        if job is None or not may_see_candidates(job, caller):
            raise NotVisible("application", str(request.application_id), "move", whose="its job's")
        now = self._clock()
        return self._transition(
            request_id, ("draft", "failed"), "executing", actor.slack_user_id,
            "retry" if request.state == "failed" else "confirmed",
            only_if=lambda raw: raw["expires_at"] > now,
            computed=lambda raw: {"attempts": raw.get("attempts", 0) + 1,
                                  "claim_generation": raw.get("claim_generation", 0) + 1},
            decided_by=actor.slack_user_id, decided_by_gh=actor.greenhouse_user_id, decided_by_name=actor.name,
            decided_at=now, lease_until=now + self.lease_s, executor=executor_id(), error=None,
        )

    # --- the write ---------------------------------------------------------------------------

    def _carry_out(self, request: Request, progress: Callable[[Request], None] | None) -> None:
        if request.kind != "move_application":
            super()._carry_out(request, progress)
            return
        key = str(request.application_id)
        if request.results.get(key) == MOVED:
            return
        app = self.harvest.get_application(request.application_id)  # type: ignore[arg-type]
        if app is None:
            raise NotDoable(f"Greenhouse no longer shows application {request.application_id}. Nothing was moved.")
        here = self._stage_now(request, app)
        if here is not None and here.id == request.to_stage_id and may_have_landed(request.results.get(key)):
            self._record(request.id, key, MOVED)  # an earlier attempt's write went through
            return
        if app.status != "active":
            raise NotDoable(f"Application {app.id} is {app.status} now: only active applications can be moved. "
                            "Nothing was moved.")
        if here is None or here.id != request.from_stage_id:
            raise NotDoable(f"The application's stage changed meanwhile: it is in {app.stage or 'no stage'} now, "
                            f"not {request.stage}. Nothing was moved; ask again if it should still move.")
        try:
            self.harvest.move_application(
                request.application_id, request.from_stage_id, request.to_stage_id,  # type: ignore[arg-type]
                acting_user_id=request.decided_by_gh,  # type: ignore[arg-type]
                before_send=self._fence(request.id, request.claim_generation, key),
            )
        except GreenhouseError as exc:
            self._record(request.id, key, failed_outcome(exc))
            raise
        self._record(request.id, key, MOVED)

    def _stage_now(self, request: Request, app: Application) -> Stage | None:
        if app.stage_id is not None:  # v1: no list needed
            return Stage(id=app.stage_id, name=app.stage or "")
        return current_stage(app, self.reference.stages(request.job_id))

    def _done_in_greenhouse(self, request: Request) -> bool:
        if request.kind != "move_application":
            return super()._done_in_greenhouse(request)
        app = self.harvest.get_application(request.application_id)  # type: ignore[arg-type]
        here = self._stage_now(request, app) if app is not None else None
        done = here is not None and here.id == request.to_stage_id
        if done:
            self._record(request.id, str(request.application_id), MOVED)
        return done
