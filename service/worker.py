"""Solver workers: each takes the oldest queued job from the store, solves it and writes the
result back. A worker is a spawned process (or, for tests, a thread of the API process).

While a job runs, a watcher thread in the worker polls the store every `cancel_poll_s`: a cancel
request (or a server shutdown, or the wall-clock guard) sets the stop Event passed to `solve()`,
which ends the search at once and keeps the best schedule so far. The same thread writes the
latest progress to the store, at most once per `progress_interval_s`. A solve that has not stopped
`stop_grace_s` after a cancel or the guard is abandoned: the job is recorded (cancelled, or failed
with `error.code: stuck`) and the worker process exits; the pool starts a fresh one.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from optimizer.domain.instance import Instance, SolverSettings, parse_instance
from optimizer.domain.schedule import SolveResult
from optimizer.solve.progress import ProgressEvent, relative_gap
from service.store import ClaimedJob, JobStore

logger = logging.getLogger(__name__)


class Flag(Protocol):
    def is_set(self) -> bool: ...

    def set(self) -> None: ...

    def clear(self) -> None: ...

    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker needs from the service settings (picklable for spawn)."""

    db_path: str
    poll_s: float = 0.5
    cancel_poll_s: float = 0.2
    progress_interval_s: float = 0.5
    wall_guard_factor: float = 3.0
    log_level: str = "info"
    stop_grace_s: float = 30.0
    """A solve still running this long after a cancel or the wall-clock guard stopped it (it is inside
    code that does not look at the stop event) is abandoned: the job is recorded, and the worker
    process exits so that the pool starts a fresh one. Only for process workers."""


def run_solve(
    instance: Instance,
    settings: SolverSettings,
    previous_schedule: SolveResult | None,
    on_progress: Any,
    stop: Flag,
) -> SolveResult:
    """The hook between a job and the engine. A previous schedule was turned into the instance's
    `baseline` (the published roster) at submission, so the instance says everything."""
    from optimizer.solve.solver import solve

    del previous_schedule  # kept with the job for the record; already in instance.baseline
    return solve(instance, settings, on_progress=on_progress, stop=stop)


class ProgressTracker:
    """Receives the solver's events (on the solver's threads); keeps the best numbers so far."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, Any] | None = None
        self._changed = False
        self._solutions = 0
        self._best: float | None = None
        self._bound: float | None = None

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            if event.objective is not None and (self._best is None or event.objective < self._best):
                self._best = event.objective
                self._solutions += 1
            if event.bound is not None and (self._bound is None or event.bound > self._bound):
                self._bound = event.bound
            gap = relative_gap(self._best, self._bound)
            self._state = {
                "elapsed_s": round(event.elapsed_s, 3),
                "phase": event.phase,
                "objective": self._best,
                "best_bound": None if self._bound is None else round(self._bound, 3),
                "gap": None if gap is None else round(gap, 6),
                "solutions": self._solutions,
                "message": event.message,
            }
            self._changed = True

    def take(self) -> dict[str, Any] | None:
        """The latest state if it changed since the last call."""
        with self._lock:
            if not self._changed:
                return None
            self._changed = False
            return dict(self._state or {})

    def latest(self) -> dict[str, Any] | None:
        with self._lock:
            return None if self._state is None else dict(self._state)


def result_summary(result: SolveResult) -> dict[str, Any]:
    return {
        "status": result.status,
        "objective": result.objective,
        "best_bound": result.best_bound,
        "gap": result.gap,
        "wall_time_s": result.wall_time_s,
        "assignments": len(result.assignments),
        "cancelled": result.stats.cancelled,
        "explanation": list(result.explanation),
    }


def final_progress(result: SolveResult, tracker: ProgressTracker) -> dict[str, Any]:
    latest = tracker.latest() or {"solutions": 0, "message": ""}
    return {
        "elapsed_s": result.wall_time_s,
        "phase": "done",
        "objective": result.objective,
        "best_bound": result.best_bound,
        "gap": result.gap,
        "solutions": latest.get("solutions", 0),
        "message": f"finished: {result.status}",
    }


class _Watch:
    """The watcher thread of one job: polls the store for a cancel request, the server for a shutdown
    and the clock for the guard, and sets `stop` on the first; writes the latest progress; with
    `can_exit`, abandons a solve that does not stop within `config.stop_grace_s` of a cancel or the
    guard (records the job, then ends the process)."""

    def __init__(self, store: JobStore, job: ClaimedJob, config: WorkerConfig, shutdown: Flag, parent_alive: Any,
                 tracker: ProgressTracker, can_exit: bool, guard_s: float) -> None:
        self.store, self.job, self.config, self.shutdown, self.parent_alive = store, job, config, shutdown, parent_alive
        self.tracker, self.can_exit, self.guard_s = tracker, can_exit, guard_s
        self.stop = threading.Event()
        self.done = threading.Event()
        self.reason: list[str] = []
        self.started = time.monotonic()

    def run(self) -> None:
        last_write = 0.0
        stopped_at: float | None = None
        while not self.done.wait(self.config.cancel_poll_s):
            if self.stop.is_set() and self.can_exit and self.reason[0] != "shutdown":
                stopped_at = stopped_at or time.monotonic()
                if time.monotonic() - stopped_at > self.config.stop_grace_s:
                    self._abandon(self.reason[0])
                    return
            if not self.stop.is_set():
                self._check()
            now = time.monotonic()
            if now - last_write >= self.config.progress_interval_s:
                progress = self.tracker.take()
                if progress is not None:
                    last_write = now
                    try:
                        self.store.write_progress(self.job.id, self.job.claim_token, progress)
                    except Exception:  # busy store: skip this report; the watcher must live on (cancel, guard)
                        logger.warning("job %s: cannot write its progress", self.job.id, exc_info=True)

    def _check(self) -> None:
        if self.shutdown.is_set() or not self.parent_alive():
            self.reason.append("shutdown")
        elif self.cancel_requested():
            self.reason.append("cancel")
        elif time.monotonic() - self.started > self.guard_s:
            self.reason.append("guard")
        if self.reason:
            logger.info("job %s: stopping the solve (%s)", self.job.id, self.reason[0])
            self.stop.set()

    def cancel_requested(self) -> bool:
        """The store's flag; a failed read is asked again at the next poll (it must not end the watcher)."""
        try:
            return self.store.cancel_requested(self.job.id, self.job.claim_token)
        except Exception:
            logger.warning("job %s: cannot read its cancel flag", self.job.id, exc_info=True)
            return False

    def _abandon(self, why: str) -> None:
        message = (f"the solve did not stop within {self.config.stop_grace_s:g} s of the "
                   f"{'cancel request' if why == 'cancel' else 'wall-clock guard'}; its worker process was restarted")
        logger.error("job %s: %s", self.job.id, message)
        if why == "cancel":
            self.store.finish(self.job.id, self.job.claim_token, "cancelled", progress=self.tracker.latest(),
                              note=message)
        else:
            self.store.finish(self.job.id, self.job.claim_token, "failed", progress=self.tracker.latest(),
                              error=("stuck", message))
        _exit_process(75)


def _exit_process(code: int) -> None:
    os._exit(code)  # noqa: SLF001 - the solve's thread cannot be stopped; only the process can end


def run_job(store: JobStore, job: ClaimedJob, config: WorkerConfig, shutdown: Flag, parent_alive: Any,
            can_exit: bool = False) -> str:
    """Solve one claimed job and record its end. Returns the job's new status (or "released").
    With `can_exit` (a worker process of its own), a solve that does not stop within
    `config.stop_grace_s` of a cancel or the guard ends the process, its job recorded first."""
    try:
        instance = parse_instance(json.loads(job.instance_json))
        settings = SolverSettings.model_validate_json(job.settings_json)
        previous = (None if job.previous_schedule_json is None
                    else SolveResult.model_validate_json(job.previous_schedule_json))
    except Exception as exc:  # a record written by an older version, or damaged: fail it, keep serving
        logger.exception("job %s: cannot read its stored input", job.id)
        store.finish(job.id, job.claim_token, "failed", error=("invalid_job", f"stored input unreadable: {exc}"))
        return "failed"

    tracker = ProgressTracker()
    watch = _Watch(store, job, config, shutdown, parent_alive, tracker, can_exit,
                   guard_s=config.wall_guard_factor * settings.time_limit_s + 30.0)
    stop, done, reason, guard_s = watch.stop, watch.done, watch.reason, watch.guard_s
    watcher = threading.Thread(target=watch.run, name=f"wfm-watch-{job.id[:8]}", daemon=True)
    watcher.start()
    logger.info("job %s: solving %s (attempt %d, time limit %g s)", job.id, instance.name, job.attempts,
                settings.time_limit_s)
    try:
        result = run_solve(instance, settings, previous, tracker, stop)
    except Exception as exc:
        done.set()
        watcher.join()
        logger.exception("job %s: the solver failed", job.id)
        store.finish(job.id, job.claim_token, "failed", progress=tracker.latest(),
                     error=("solver_error", f"{type(exc).__name__}: {exc}"))
        return "failed"
    done.set()
    watcher.join()

    why = reason[0] if reason else None
    if why == "shutdown":
        if not parent_alive():
            return "released"  # the server is gone; its successor re-queues the job
        if not watch.cancel_requested():
            store.release(job.id, job.claim_token, "run stopped by a server shutdown; re-queued")
            return "released"
        why = "cancel"  # a cancel (answered 202) the watcher had not read yet: record it, not a re-queue
    status = "cancelled" if why == "cancel" and result.stats.cancelled else "succeeded"
    note = None
    if why == "guard":
        note = f"stopped by the server's wall-clock guard after {guard_s:.0f} s"
    elif why == "cancel" and status == "succeeded":
        note = "cancel requested after the solve had finished"
    has_schedule = bool(result.assignments) or (status == "succeeded" and result.status != "unknown")
    error = None
    if result.self_check is not None and not result.self_check.ok:
        # An engine defect: a client that reads only the status must not take the schedule as good.
        # The schedule is kept (GET .../schedule) so that the defect can be reported and examined.
        status = "failed"
        error = ("engine_error", "ENGINE ERROR: the schedule fails the independent validator "
                 f"({result.self_check.hard_violations} hard violation(s), {result.self_check.mismatches} "
                 "mismatch(es)); the schedule is kept with its result.self_check")
    store.finish(job.id, job.claim_token, status, progress=final_progress(result, tracker),
                 result_json=result.model_dump_json(), result_summary=result_summary(result),
                 has_schedule=has_schedule, error=error, note=note)
    logger.info("job %s: %s (%s, objective %s)", job.id, status, result.status, result.objective)
    return status


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when the server process dies (even by SIGKILL)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:  # pragma: no cover - no libc by that name
            pass


def _fail_unrecorded(store: JobStore, job: ClaimedJob, exc: Exception) -> None:
    """A run whose end could not be recorded must not stay `running` for the server's life (a
    cancel would answer 202, event streams would never end): fail it, if the store takes that."""
    try:
        store.finish(job.id, job.claim_token, "failed",
                     error=("record_error", f"the end of the run could not be recorded: {type(exc).__name__}: {exc}"))
    except Exception:  # the store is down too: a restart re-queues the job (interrupted)
        logger.exception("job %s: cannot record its failure either", job.id)


def worker_loop(name: str, config: WorkerConfig, shutdown: Flag, wake: Flag, in_process: bool = False) -> None:
    """Claim and run jobs until `shutdown` is set."""
    store = JobStore(config.db_path)
    parent = os.getppid()

    def parent_alive() -> bool:
        return in_process or os.getppid() == parent

    try:
        while not shutdown.is_set() and parent_alive():
            try:
                job = store.claim_next(name)
            except Exception:  # the store is busy or broken: log, back off, retry
                logger.exception("worker %s: cannot claim a job", name)
                shutdown.wait(config.poll_s * 4)
                continue
            if job is None:
                wake.wait(config.poll_s)
                wake.clear()
                continue
            try:
                run_job(store, job, config, shutdown, parent_alive, can_exit=not in_process)
            except Exception as exc:
                logger.exception("worker %s: job %s could not be recorded", name, job.id)
                _fail_unrecorded(store, job, exc)
    finally:
        store.close()


def worker_process_main(name: str, config: WorkerConfig, shutdown: Flag, wake: Flag) -> None:
    """Entry point of a spawned worker process."""
    _die_with_parent()
    # Ctrl-C or a SIGTERM to the process group reaches the workers too: the server decides (it sets
    # `shutdown`, and the running job is released back to the queue).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=config.log_level.upper(), format="%(asctime)s %(levelname)s [%(processName)s] "
                        "%(name)s: %(message)s")
    logging.getLogger("optimizer").setLevel(max(logging.INFO, logging.getLogger().level))
    import optimizer.solve.solver  # noqa: F401 - imported now, so that the first job does not wait for it

    worker_loop(name, config, shutdown, wake)
