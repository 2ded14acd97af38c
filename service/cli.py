"""`wfm serve`: the HTTP service under uvicorn. Registered on the `wfm` app by `register(app)`;
nothing heavy is imported until the command runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Annotated

import typer


def serve(
    host: Annotated[str | None, typer.Option("--host", help="Interface (default WFM_HOST or 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default WFM_PORT or 8000).")] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Solver worker processes (default WFM_WORKERS).")
                       ] = None,
    db: Annotated[Path | None, typer.Option("--db", help="SQLite job store (default WFM_DB_PATH).")] = None,
    log_level: Annotated[str | None, typer.Option(
        "--log-level", help="critical, error, warning, info or debug (default WFM_LOG_LEVEL or info).")] = None,
) -> None:
    """Run the HTTP service: a job API over a durable SQLite store and a pool of solver processes."""
    import logging

    import uvicorn
    from pydantic import ValidationError

    from service.main import create_app
    from service.pool import ServerLock, StoreLockedError
    from service.settings import ServiceSettings
    from service.store import JobStore

    overrides = {"host": host, "port": port, "workers": workers, "db_path": db, "log_level": log_level}
    try:
        settings = ServiceSettings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            typer.echo(f"error: {'.'.join(str(p) for p in error['loc'])}: {error['msg']}", err=True)
        raise typer.Exit(2) from None
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s [%(processName)s] %(name)s: %(message)s")
    from optimizer.io import output_problem

    problem = output_problem(Path(settings.db_path))
    if problem is not None:
        typer.echo(f"error: --db {settings.db_path}: {problem}", err=True)
        raise typer.Exit(2)
    probe = ServerLock(settings.db_path)  # fail fast, before uvicorn (the app takes the lock itself)
    try:
        probe.acquire()
        store = JobStore(settings.db_path)  # a file SQLite cannot open fails here, not in uvicorn's start-up
        try:
            store.init()
        finally:
            store.close()
    except StoreLockedError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except (OSError, RuntimeError, sqlite3.Error) as exc:
        typer.echo(f"error: --db {settings.db_path}: cannot open the job store ({exc})", err=True)
        raise typer.Exit(2) from None
    finally:
        probe.release()
    typer.echo(f"wfm serve: http://{settings.host}:{settings.port}/docs  ({settings.workers} solver worker(s), "
               f"job store {settings.db_path})", err=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level,
                timeout_graceful_shutdown=15)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
