"""Service configuration: environment variables with the prefix ``WFM_`` (pydantic-settings).

Every field below is ``WFM_<NAME>`` in the environment (``WFM_API_KEYS=k1,k2``, ``WFM_WORKERS=2``);
`wfm serve` flags override the environment. The README section "HTTP service" lists them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _default_workers() -> int:
    return max(1, (os.cpu_count() or 2) // 2)


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WFM_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Interface `wfm serve` listens on.")
    port: int = Field(default=8000, ge=0, le=65535, description="TCP port `wfm serve` listens on.")
    db_path: Path = Field(default=Path("wfm-jobs.db"), description="SQLite job store (WAL mode).")
    workers: int = Field(
        default_factory=_default_workers, ge=0, le=64,
        description="Solver worker processes (0: jobs are accepted and queued but not run).",
    )
    executor: Literal["process", "thread"] = Field(
        default="process",
        description="'process': a pool of spawned solver processes (production); 'thread': solver "
        "threads inside the API process (tests only).",
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated API keys; when set, every endpoint but /v1/health (and the API's own "
        "description, /openapi.json and /docs) requires X-API-Key and a job is visible only to the key that "
        "submitted it.",
    )
    max_time_limit_s: float = Field(default=600.0, gt=0, description="Cap on any job's time limit.")
    max_solver_workers: int = Field(
        default_factory=lambda: os.cpu_count() or 2, ge=1, le=64, description="Cap on CP-SAT workers per job."
    )
    max_request_bytes: int = Field(default=32 * 1024 * 1024, ge=1024, description="Larger requests get 413.")
    max_queued_jobs: int = Field(default=100, ge=1, description="Submits beyond this many queued jobs get 429.")
    retry_after_s: int = Field(default=5, ge=1, description="Retry-After of a 429 (seconds).")
    max_attempts: int = Field(
        default=2, ge=1, le=10,
        description="Runs a job may start: a job interrupted by a server stop is re-queued until then, "
        "then failed.",
    )
    progress_interval_s: float = Field(default=0.5, gt=0, description="At most one progress write per interval.")
    cancel_poll_s: float = Field(default=0.2, gt=0, description="How often a worker checks for a cancel request.")
    poll_s: float = Field(default=0.5, gt=0, description="How often an idle worker looks for queued jobs.")
    sse_poll_s: float = Field(default=0.25, gt=0, description="How often an event stream reads the job.")
    sse_keepalive_s: float = Field(default=15.0, gt=0, description="Comment line on an idle event stream.")
    sse_max_duration_s: float = Field(
        default=3600.0, gt=0, description="An event stream closes after this long; clients reconnect."
    )
    wall_guard_factor: float = Field(
        default=3.0, ge=1.0,
        description="A solve still running after factor x time limit + 30 s (wall clock) is stopped.",
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value
