"""The API's request and response bodies. The instance and the schedule are the library's own
models (`optimizer.domain`), so the HTTP format and the file format are the same."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from optimizer.domain.inputs import InputModel
from optimizer.domain.instance import Instance
from optimizer.domain.schedule import Kpis, SolveResult, Status, Violation


class _Body(InputModel):
    """A request body: unknown fields and booleans given for numbers are errors."""


class SolverOverrides(_Body):
    """Solver settings for this job; each field given replaces the instance's `solver` field.
    `null` or absent: the instance's value. The server caps `time_limit_s` and `workers`."""

    time_limit_s: float | None = Field(default=None, description="Seconds (capped by the server).")
    workers: int | None = Field(default=None, description="CP-SAT workers; 1 is deterministic.")
    seed: int | None = None
    relative_gap: float | None = None
    log: bool | None = None
    use_hints: bool | None = None
    strategy: Literal["auto", "monolithic", "lns", "hybrid", "roster"] | None = None
    parameters: dict[str, Any] | None = Field(default=None, description="Extra CP-SAT parameters.")


class JobRequest(_Body):
    instance: Instance = Field(description="The problem, in the instance format (`wfm schema instance`).")
    settings: SolverOverrides | None = Field(default=None, description="Overrides of `instance.solver`.")
    previous_schedule: SolveResult | None = Field(
        default=None,
        description="The schedule agents were already told (a solve result): the job re-optimizes against "
        "it with minimal change (default change costs, no freeze; for a freeze, locks or other costs give "
        "`instance.baseline` instead).",
    )


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


FINISHED = frozenset({JobState.succeeded, JobState.failed, JobState.cancelled})


class Progress(BaseModel):
    elapsed_s: float = Field(description="Seconds since the solve started (at the last report).")
    phase: str = Field(description="construct, anonymous, solve or improve.")
    objective: float | None = Field(default=None, description="Best objective so far.")
    best_bound: float | None = Field(default=None, description="Best lower bound so far.")
    gap: float | None = Field(default=None, description="(objective - bound) / objective.")
    solutions: int = Field(default=0, description="Improving schedules found so far.")
    message: str = ""


class JobError(BaseModel):
    code: str = Field(description="solver_error, interrupted, invalid_job, stuck, record_error (the end of the run "
                      "could not be stored) or engine_error (the schedule fails the independent validator; it is kept).")
    message: str


class ResultSummary(BaseModel):
    status: Status = Field(description="The solve's status (optimal, feasible, infeasible, unknown).")
    objective: int | None = None
    best_bound: float | None = None
    gap: float | None = None
    wall_time_s: float = 0.0
    assignments: int = Field(default=0, description="Number of shifts in the schedule.")
    cancelled: bool = Field(default=False, description="The solve was stopped before its time limit.")
    explanation: list[str] = Field(default_factory=list, description="When infeasible: the conflicting rules.")


class JobStatus(BaseModel):
    id: str
    url: str = Field(description="This job's URL (path).")
    status: JobState
    instance: str = Field(description="The instance's name.")
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    updated_at: dt.datetime
    attempts: int = Field(description="Runs started (a run interrupted by a server stop counts).")
    interruptions: int = Field(default=0, description="Runs lost to a server or worker stop.")
    cancel_requested: bool = False
    time_limit_s: float = Field(description="The effective time limit (after the server's cap).")
    solver_workers: int = Field(description="CP-SAT workers (after the server's cap).")
    previous_schedule_stored: bool = False
    progress: Progress | None = None
    error: JobError | None = None
    result: ResultSummary | None = Field(default=None, description="Once finished with a solve result.")
    schedule_url: str | None = Field(default=None, description="Where the schedule is, once available.")
    notes: list[str] = Field(default_factory=list, description="Limits applied, interruptions, re-queues.")


class JobPage(BaseModel):
    items: list[JobStatus]
    limit: int
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next (older) page; null on the last page."
    )


class Issue(BaseModel):
    path: str = Field(description="Field path inside `source`, as `wfm solve` prints it (agents[3].contract).")
    reason: str
    source: str = Field(
        default="body", description="instance, settings, previous_schedule, schedule, query, path, header or body."
    )


class Problem(BaseModel):
    """Every error answer: a machine-readable code, a sentence, and for invalid input the issues."""

    error: str = Field(description="invalid_input, not_found, not_ready, conflict, unauthorized, ...")
    detail: str
    issues: list[Issue] = Field(default_factory=list)


class ValidateRequest(_Body):
    instance: Instance
    schedule: SolveResult = Field(description="A solve result (at least its assignments).")


class ValidateResponse(BaseModel):
    ok: bool = Field(description="No hard violation and no mismatch with the schedule's own numbers.")
    hard: list[Violation] = Field(default_factory=list)
    soft: list[Violation] = Field(default_factory=list)
    terms: dict[str, int] = Field(default_factory=dict, description="Every objective term, recomputed.")
    objective: int = 0
    mismatches: list[str] = Field(default_factory=list)
    kpis: Kpis = Field(description="Recomputed from the schedule by the independent validator.")


class WorkersHealth(BaseModel):
    configured: int
    alive: int
    executor: str


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    queue_depth: int = Field(description="Jobs waiting for a worker.")
    running: int
    overdue: list[str] = Field(default_factory=list, description=(
        "Running jobs more than 30 s past their time limit (a solve that does not stop; "
        "the worker abandons it after the wall-clock guard): the status is then `degraded`."))
    workers: WorkersHealth
    uptime_s: float


# OpenAPI declarations of the error answers that several endpoints share.
AUTH = {401: {"model": Problem, "description": "Missing or invalid API key (when the server has keys)."}}
BODY_ERRORS = {
    413: {"model": Problem, "description": "The request body is larger than WFM_MAX_REQUEST_BYTES."},
    415: {"model": Problem, "description": "The body is not sent as JSON (Content-Type: application/json)."},
}
"""Answers about the body itself, for every endpoint that takes one."""
