"""/v1/jobs: submit a solve, follow it, fetch its schedule, cancel it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from optimizer.domain.baseline import Baseline
from optimizer.domain.instance import (
    ENGINE_PARAMETERS,
    FieldIssue,
    Instance,
    SolverSettings,
    cp_sat_parameter_problems,
    instance_errors,
    previous_schedule_errors,
    previous_schedule_path,
)
from optimizer.domain.schedule import SolveResult
from service.deps import OwnerDep, PoolDep, SettingsDep, StoreDep, text_is_unicode
from service.errors import ApiError, field_path
from service.examples import JOB_EXAMPLES
from service.export import schedule_csv
from service.schemas import (
    AUTH,
    BODY_ERRORS,
    FINISHED,
    Issue,
    JobError,
    JobPage,
    JobRequest,
    JobState,
    JobStatus,
    Problem,
    Progress,
    ResultSummary,
    SolverOverrides,
)
from service.settings import ServiceSettings
from service.store import JobRow, JobStore, NewJob

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], dependencies=[Depends(text_is_unicode)])

JobId = Annotated[str, Path(description="The job id returned by POST /v1/jobs.", max_length=200)]

NOT_FOUND = {404: {"model": Problem, "description": "No such job (or it belongs to another API key)."}}
INVALID = {422: {"model": Problem, "description": "Invalid input: each issue has its source, path and reason."}}


def job_url(job_id: str) -> str:
    return f"/v1/jobs/{job_id}"


def job_status(row: JobRow) -> JobStatus:
    url = job_url(row.id)
    return JobStatus(
        id=row.id,
        url=url,
        status=JobState(row.status),
        instance=row.instance_name,
        created_at=row.created_at,  # type: ignore[arg-type]
        started_at=row.started_at,  # type: ignore[arg-type]
        finished_at=row.finished_at,  # type: ignore[arg-type]
        updated_at=row.updated_at,  # type: ignore[arg-type]
        attempts=row.attempts,
        interruptions=row.interruptions,
        cancel_requested=row.cancel_requested,
        time_limit_s=row.time_limit_s,
        solver_workers=row.solver_workers,
        previous_schedule_stored=row.has_previous,
        progress=None if row.progress is None else Progress.model_validate(row.progress),
        error=None if row.error_code is None else JobError(code=row.error_code, message=row.error_message or ""),
        result=None if row.result_summary is None else ResultSummary.model_validate(row.result_summary),
        schedule_url=f"{url}/schedule" if row.has_schedule else None,
        notes=row.notes,
    )


def _find(store: JobStore, job_id: str, owner: str | None) -> JobRow:
    row = store.get(job_id, owner)
    if row is None:
        raise ApiError(404, f"no job '{job_id}'", error="not_found")
    return row


SERVER_PARAMETERS = {**ENGINE_PARAMETERS, "log_to_stdout": "log"}
"""CP-SAT parameters the server sets itself (they would bypass its caps): use the named setting."""


def _check_cp_sat_parameters(parameters: dict[str, Any], source: str, prefix: str) -> list[Issue]:
    """Each name and value, with its own path (`SolverSettings` checks them too, but names only the
    field)."""
    return [Issue(path=f"{prefix}{name}", reason=reason, source=source)
            for name, reason in cp_sat_parameter_problems(parameters, SERVER_PARAMETERS, "the server")]


def effective_settings(
    instance: Instance, overrides: SolverOverrides | None, server: ServiceSettings
) -> tuple[SolverSettings, list[str]]:
    """The instance's solver settings with the request's overrides, then the server's caps."""
    values = instance.solver.model_dump()
    if overrides is not None:
        values.update(overrides.model_dump(exclude_none=True))
    from_request = overrides is not None and overrides.parameters is not None
    issues = _check_cp_sat_parameters(values.get("parameters") or {}, "settings" if from_request else "instance",
                                      "parameters." if from_request else "solver.parameters.")
    if issues:  # before SolverSettings, which checks them too but names only the field `parameters`
        raise ApiError(422, "invalid CP-SAT parameters", error="invalid_input", issues=issues)
    try:
        settings = SolverSettings.model_validate(values)
    except ValidationError as exc:
        issues = [Issue(path=field_path(e["loc"]), reason=e["msg"].removeprefix("Value error, "), source="settings")
                  for e in exc.errors(include_url=False)]
        raise ApiError(422, "invalid solver settings", error="invalid_input", issues=issues) from None
    notes = []
    if settings.time_limit_s > server.max_time_limit_s:
        notes.append(f"time limit {settings.time_limit_s:g} s capped at the server's {server.max_time_limit_s:g} s")
        settings = settings.model_copy(update={"time_limit_s": server.max_time_limit_s})
    if settings.workers > server.max_solver_workers:
        notes.append(f"{settings.workers} CP-SAT workers capped at the server's {server.max_solver_workers}")
        settings = settings.model_copy(update={"workers": server.max_solver_workers})
    return settings, notes


def request_hash(payload: JobRequest) -> str:
    canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _instance_issue(issue: FieldIssue, previous_given: bool) -> Issue:
    """An instance issue; one about the published rows of a previous schedule is named as the
    client sent them (`assignments[3]`, source `previous_schedule`)."""
    row = previous_schedule_path(issue.path) if previous_given else None
    if row is not None:
        return Issue(path=row, reason=issue.reason, source="previous_schedule")
    return Issue(path=issue.path, reason=issue.reason, source="instance")


@router.post(
    "",
    status_code=202,
    response_model=JobStatus,
    summary="Submit a solve",
    description=(
        "Queues a solve of the instance and answers at once with the job (202, `Location` header). "
        "The instance is checked first, exactly as `wfm solve` checks a file: an invalid one gets 422 "
        "listing each field path and reason (source `instance`). Solver settings given here replace the "
        "instance's; the server caps the time limit and the CP-SAT workers (see `notes`). A previous "
        "schedule is stored with the job for re-optimization.\n\n"
        "**Idempotency**: with an `Idempotency-Key` header, the same key and the same body return the "
        "original job again (202, header `Idempotent-Replayed: true`) instead of a new one; the same key "
        "with a different body is refused with 422 (`error: idempotency_key_reused`). Keys are scoped "
        "to the API key.\n\n"
        "**Back-pressure**: when `WFM_MAX_QUEUED_JOBS` jobs are waiting, 429 with `Retry-After`."
    ),
    responses={
        202: {"description": "Accepted: the job, queued.",
              "headers": {"Location": {"description": "The job's URL.", "schema": {"type": "string"}}}},
        **AUTH,
        **BODY_ERRORS,
        **INVALID,
        429: {"model": Problem, "description": "Too many queued jobs; retry after `Retry-After` seconds.",
              "headers": {"Retry-After": {"description": "Seconds.", "schema": {"type": "integer"}}}},
    },
)
def submit_job(
    payload: Annotated[JobRequest, Body(openapi_examples=JOB_EXAMPLES)],  # type: ignore[arg-type]
    response: Response,
    settings: SettingsDep,
    store: StoreDep,
    pool: PoolDep,
    owner: OwnerDep,
    idempotency_key: Annotated[
        str | None,
        Header(description="Makes retries safe: the same key and body return the same job.", min_length=1,
               max_length=200, pattern=r"^[\x21-\x7e]+$"),
    ] = None,
) -> JobStatus:
    instance = payload.instance
    if payload.previous_schedule is not None:
        if instance.baseline is not None:
            raise ApiError(422, "give the published roster either as previous_schedule or as instance.baseline, "
                           "not both", error="invalid_input",
                           issues=[Issue(path="previous_schedule", reason="the instance already has a baseline",
                                         source="previous_schedule")])
        if issues := previous_schedule_errors(payload.previous_schedule.status):
            raise ApiError(422, "the previous schedule is not a published roster", error="invalid_input",
                           issues=[Issue(path=i.path, reason=i.reason, source="previous_schedule") for i in issues])
        # Re-optimization against the published roster, default change costs, no freeze (the
        # instance's `baseline` block says more: freeze_until, locks, change weights).
        instance = instance.model_copy(update={"baseline": Baseline(assignments=payload.previous_schedule.assignments)})
    issues = instance_errors(instance)
    if issues:
        raise ApiError(422, f"the instance is not a valid input ({len(issues)} issue(s))", error="invalid_input",
                       issues=[_instance_issue(i, payload.previous_schedule is not None) for i in issues])
    solver, notes = effective_settings(instance, payload.settings, settings)
    job = NewJob(
        instance_name=instance.name,
        instance_json=instance.model_dump_json(),
        settings_json=solver.model_dump_json(),
        previous_schedule_json=None if payload.previous_schedule is None else payload.previous_schedule.model_dump_json(),
        time_limit_s=solver.time_limit_s,
        solver_workers=solver.workers,
        request_hash=request_hash(payload),
        idempotency_key=idempotency_key,
        api_key_hash=owner or "",
        notes=notes + (["re-optimization: the previous schedule is the published roster (instance.baseline)"]
                       if payload.previous_schedule is not None else []),
    )
    outcome = store.submit(job, settings.max_queued_jobs)
    if outcome.kind == "queue_full":
        raise ApiError(429, f"{settings.max_queued_jobs} jobs are already queued; retry later",
                       error="too_many_queued_jobs", headers={"Retry-After": str(settings.retry_after_s)})
    assert outcome.job is not None
    if outcome.kind == "key_reused":
        raise ApiError(422, "this Idempotency-Key was used with a different request body",
                       error="idempotency_key_reused",
                       issues=[Issue(path="Idempotency-Key", reason=f"already used for job {outcome.job.id} with "
                                     "another body", source="header")])
    if outcome.kind == "replayed":
        response.headers["Idempotent-Replayed"] = "true"
    else:
        pool.wake()
    response.headers["Location"] = job_url(outcome.job.id)
    return job_status(outcome.job)


@router.get(
    "",
    response_model=JobPage,
    summary="List jobs",
    description="Newest first, in submission order (stable: new jobs never shift a page). Pass `next_cursor` "
    "as `cursor` for the next page. With API keys, only the caller's jobs.",
    responses={**AUTH, **INVALID},
)
def list_jobs(
    store: StoreDep,
    owner: OwnerDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Jobs per page.")] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.", max_length=40)] = None,
    status: Annotated[JobState | None, Query(description="Only jobs in this state.")] = None,
) -> JobPage:
    before = None
    if cursor is not None:
        # ASCII digits only: `isdigit` also takes "²" (which `int` refuses: a 503) and "１"
        if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 18:
            raise ApiError(422, "invalid cursor", error="invalid_input",
                           issues=[Issue(path="cursor", reason="not a cursor returned by this endpoint",
                                         source="query")])
        before = int(cursor)
    rows = store.list(owner, limit + 1, before, None if status is None else status.value)
    more = len(rows) > limit
    rows = rows[:limit]
    return JobPage(items=[job_status(r) for r in rows], limit=limit,
                   next_cursor=str(rows[-1].seq) if more and rows else None)


@router.get(
    "/{job_id}",
    response_model=JobStatus,
    summary="A job's status and progress",
    responses={**AUTH, **NOT_FOUND, **INVALID},
)
def get_job(job_id: JobId, store: StoreDep, owner: OwnerDep) -> JobStatus:
    return job_status(_find(store, job_id, owner))


def _sse(event: str, data: str, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {data}\n\n"


SSE_EXAMPLE = (
    'retry: 2000\n\nid: 3\nevent: status\ndata: {"id": "9f2c...", "status": "running", "progress": '
    '{"elapsed_s": 1.2, "objective": 1234, ...}, ...}\n\nid: 7\nevent: end\ndata: {"id": "9f2c...", '
    '"status": "succeeded", ...}\n\n'
)


@router.get(
    "/{job_id}/events",
    summary="Follow a job (Server-Sent Events)",
    description=(
        "A `text/event-stream`: an `event: status` with the job (the same body as GET /v1/jobs/{id}) "
        "whenever it changes, then `event: end` with its final state, and the stream closes. A finished "
        "job gets its `end` event at once. Event ids are the job's version; comment lines keep an idle "
        "stream open. The server closes a stream after WFM_SSE_MAX_DURATION_S; reconnect to go on."
    ),
    response_class=StreamingResponse,
    responses={
        200: {"description": "The event stream.",
              "content": {"text/event-stream": {"schema": {"type": "string"}, "example": SSE_EXAMPLE}}},
        **AUTH, **NOT_FOUND, **INVALID,
    },
)
async def job_events(job_id: JobId, store: StoreDep, owner: OwnerDep, settings: SettingsDep) -> StreamingResponse:
    await run_in_threadpool(lambda: _find(store, job_id, owner))

    async def stream() -> AsyncIterator[str]:
        yield "retry: 2000\n\n"
        version = None
        started = last_sent = time.monotonic()
        while True:
            row = await run_in_threadpool(store.get, job_id, owner)
            if row is None:  # pragma: no cover - records are never deleted
                return
            now = time.monotonic()
            if row.version != version:
                version = row.version
                finished = JobState(row.status) in FINISHED
                yield _sse("end" if finished else "status", job_status(row).model_dump_json(), row.version)
                last_sent = now
                if finished:
                    return
            elif now - last_sent >= settings.sse_keepalive_s:
                yield ": keepalive\n\n"
                last_sent = now
            if now - started >= settings.sse_max_duration_s:
                return
            await asyncio.sleep(settings.sse_poll_s)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get(
    "/{job_id}/schedule",
    summary="The schedule of a finished job",
    description=(
        "The solve result (`wfm solve -o` format): status, objective, bound, assignments with breaks and "
        "activities, coverage, KPIs, violations and, when infeasible, the explanation. `format=csv` gives "
        "one row per shift: agent_id, date, start, end, template_id, paid_minutes, breaks, activities. "
        "409 while the job is queued or running, or when it ended without a schedule (failed, or cancelled "
        "before the first schedule)."
    ),
    response_model=SolveResult,
    responses={
        200: {"description": "The schedule.",
              "content": {"text/csv": {"schema": {"type": "string"},
                                       "example": "agent_id,date,start,end,template_id,paid_minutes,breaks,"
                                                  "activities\na1,2026-03-02,2026-03-02T08:00,2026-03-02T16:00,"
                                                  "day,420,lunch 12:00-13:00 unpaid,\n"}}},
        **AUTH, **NOT_FOUND,
        409: {"model": Problem, "description": "No schedule (yet)."},
        **INVALID,
    },
)
def get_schedule(
    job_id: JobId,
    store: StoreDep,
    owner: OwnerDep,
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv.")] = "json",
) -> Response:
    row = _find(store, job_id, owner)
    text = store.result_json(job_id) if row.has_schedule else None
    if text is None:
        state = JobState(row.status)
        if state in (JobState.queued, JobState.running):
            raise ApiError(409, f"the job is {state.value}: no schedule yet", error="not_ready",
                           headers={"Retry-After": "1"})
        why = {JobState.failed: "the job failed", JobState.cancelled: "the job was cancelled before its first "
               "schedule"}.get(state, "the job has no schedule")
        raise ApiError(409, why, error="no_schedule")
    if format == "csv":
        return Response(schedule_csv(SolveResult.model_validate_json(text)), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{row.instance_name}-{job_id[:8]}.csv"'})
    return Response(text, media_type="application/json")


@router.delete(
    "/{job_id}",
    response_model=JobStatus,
    summary="Cancel a job",
    description=(
        "A queued job is cancelled at once (200; it never runs). A running job is asked to stop (202): its "
        "worker stops the search within a fraction of a second and keeps the best schedule found so far "
        "(status `cancelled`, `schedule_url` set when a schedule existed). Cancelling a cancelled job "
        "again is harmless (200); a job that already succeeded or failed gets 409."
    ),
    responses={
        202: {"model": JobStatus, "description": "Stop requested; the job is still running for a moment."},
        **AUTH, **NOT_FOUND,
        409: {"model": Problem, "description": "The job already succeeded or failed."},
        **INVALID,
    },
)
def cancel_job(job_id: JobId, response: Response, store: StoreDep, owner: OwnerDep) -> JobStatus:
    _find(store, job_id, owner)
    outcome = store.request_cancel(job_id)
    row = _find(store, job_id, owner)
    if outcome == "requested":
        response.status_code = 202
    elif outcome == "finished" and row.status != JobState.cancelled:
        raise ApiError(409, f"the job already {row.status}", error="conflict")
    return job_status(row)
