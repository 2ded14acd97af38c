"""/v1/health: liveness and load, without authentication."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request

from service import __version__
from service.deps import PoolDep, StoreDep
from service.schemas import Health, Problem, WorkersHealth

router = APIRouter(prefix="/v1", tags=["health"])

OVERDUE_SLACK_S = 30.0
"""A running job this long past its time limit is reported: a solve stops within a second or two of
its limit (the wall-clock guard allows far more before it stops one)."""


@router.get(
    "/health",
    response_model=Health,
    summary="Version, queue depth and workers",
    description="No API key needed. `degraded` when fewer solver workers are alive than configured, or when "
    "a running job is far past its time limit (`overdue`).",
    responses={503: {"model": Problem, "description": "The job store is unavailable."}},
)
def health(request: Request, store: StoreDep, pool: PoolDep) -> Health:
    counts = store.counts()
    alive = pool.alive()
    overdue = store.overdue(OVERDUE_SLACK_S)
    return Health(
        status="ok" if alive >= pool.size and not overdue else "degraded",
        version=__version__,
        queue_depth=counts.get("queued", 0),
        running=counts.get("running", 0),
        overdue=overdue,
        workers=WorkersHealth(configured=pool.size, alive=alive, executor=pool.settings.executor),
        uptime_s=round(time.monotonic() - request.app.state.started, 3),
    )
