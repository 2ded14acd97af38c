"""create_app(settings) -> FastAPI: the routers, the error handling, the job store and the pool.

Start-up: take the store's lock (one server per store), create the tables (WAL mode), mark the
jobs that were running when the last server died as interrupted (re-queued or failed), start the
solver workers. Shutdown: stop the workers (a running job goes back to the queue).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service import __version__
from service.errors import BodySizeLimitMiddleware, CatchAllMiddleware, install_handlers
from service.pool import ServerLock, WorkerPool
from service.routers import health, jobs, tools
from service.settings import ServiceSettings
from service.store import JobStore

logger = logging.getLogger(__name__)

DESCRIPTION = """\
Schedule optimization for contact centers over HTTP: submit an instance as a job, follow its
progress (polling or Server-Sent Events), fetch the schedule (JSON or CSV), cancel it.

* Jobs are durable (SQLite): they survive a server restart; a job interrupted by a crash runs again
  once, and a second interruption fails it with a clear error.
* Errors are `Problem` bodies; invalid input is 422 with the field paths and reasons `wfm solve` gives.
* With API keys configured (`WFM_API_KEYS`), every endpoint but `/v1/health` needs `X-API-Key`, and a
  job is visible only to the key that submitted it.
"""


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or ServiceSettings()
    store = JobStore(settings.db_path)
    lock = ServerLock(settings.db_path)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        lock.acquire()
        try:
            store.init()
            pool = WorkerPool(settings, store)
            app.state.pool = pool
            pool.start()
            try:
                yield
            finally:
                pool.stop()
        finally:
            store.close()
            lock.release()

    app = FastAPI(
        title="wfm-optimizer",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "jobs", "description": "Solves as durable jobs."},
            {"name": "tools", "description": "Stateless checks."},
            {"name": "health", "description": "Liveness and load."},
        ],
    )
    app.state.settings = settings
    app.state.store = store
    app.state.started = time.monotonic()
    install_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(CatchAllMiddleware)  # outermost: added last
    app.include_router(jobs.router)
    app.include_router(tools.router)
    app.include_router(health.router)
    try:  # the requirements module is optional: without it, the endpoint is left out
        from service.routers import requirements
    except ImportError as exc:  # pragma: no cover - present in this repository
        logger.warning("POST /v1/requirements disabled: %s", exc)
    else:
        app.include_router(requirements.router)
    return app
