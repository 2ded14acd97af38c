"""The worker pool, owned by the API process: recovers the store at start-up, starts the solver
workers, restarts any that die (re-queueing the job it held), and stops them on shutdown.

The API process never solves: it writes jobs to the store and wakes the workers, which claim them.
"""

from __future__ import annotations

import fcntl
import gc
import logging
import multiprocessing
import os
import threading
import time
from pathlib import Path
from typing import IO, Any

from service.settings import ServiceSettings
from service.store import JobStore
from service.worker import WorkerConfig, worker_loop, worker_process_main

logger = logging.getLogger(__name__)


class StoreLockedError(RuntimeError):
    pass


class ServerLock:
    """One server per job store: start-up recovery re-queues every running job, which is only right
    when no other server is running them. An flock, released by the kernel when the process dies."""

    def __init__(self, db_path: Path) -> None:
        self.path = Path(str(db_path) + ".lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held for the server's lifetime
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise StoreLockedError(f"{self.path}: another wfm server is using this job store") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class WorkerPool:
    def __init__(self, settings: ServiceSettings, store: JobStore) -> None:
        self.settings = settings
        self.store = store
        self.config = WorkerConfig(
            db_path=str(settings.db_path),
            poll_s=settings.poll_s,
            cancel_poll_s=settings.cancel_poll_s,
            progress_interval_s=settings.progress_interval_s,
            wall_guard_factor=settings.wall_guard_factor,
            log_level=settings.log_level,
        )
        self.in_process = settings.executor == "thread"
        if self.in_process:
            self._shutdown: Any = threading.Event()
            self._wake: Any = threading.Event()
        else:
            self._ctx = multiprocessing.get_context("spawn")
            self._shutdown = self._ctx.Event()
            self._wake = self._ctx.Event()
        self._workers: dict[str, Any] = {}
        self._restarts = 0
        self._monitor: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return self.settings.workers

    def alive(self) -> int:
        with self._lock:
            return sum(1 for w in self._workers.values() if w.is_alive())

    def recover(self) -> None:
        """At start-up no worker runs anything: every job still marked running was interrupted."""
        for job_id, status in self.store.interrupt_running("the server stopped while it ran",
                                                           self.settings.max_attempts):
            logger.warning("job %s was running when the server stopped: now %s", job_id, status)

    def start(self) -> None:
        self.recover()
        for index in range(self.size):
            self._spawn(f"worker-{index}")
        if self.size:
            self._monitor = threading.Thread(target=self._watch, name="wfm-pool-monitor", daemon=True)
            self._monitor.start()
        logger.info("%d solver worker(s) (%s) on %s", self.size, self.settings.executor, self.settings.db_path)

    def _spawn(self, slot: str) -> None:
        name = f"{slot}.{self._restarts}"
        if self.in_process:
            worker: Any = threading.Thread(target=worker_loop, name=name, daemon=True,
                                           args=(name, self.config, self._shutdown, self._wake, True))
        else:
            worker = self._ctx.Process(target=worker_process_main, name=name, daemon=True,
                                       args=(name, self.config, self._shutdown, self._wake))
        worker.start()
        with self._lock:
            self._workers[slot] = worker

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            for slot, worker in list(self._workers.items()):
                if worker.is_alive() or self._stopping.is_set():
                    continue
                code = getattr(worker, "exitcode", None)
                logger.error("%s exited unexpectedly (exit code %s): restarting it", worker.name, code)
                try:
                    self.store.interrupt_running(f"its worker process exited with code {code}",
                                                 self.settings.max_attempts, worker=worker.name)
                except Exception:
                    logger.exception("cannot re-queue the jobs of %s", worker.name)
                    continue
                self._restarts += 1
                self._spawn(slot)

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask the workers to stop (a running solve is stopped and its job re-queued), then wait."""
        self._stopping.set()
        self._shutdown.set()
        self._wake.set()
        deadline = time.monotonic() + timeout_s
        for worker in self._workers.values():
            worker.join(max(0.0, deadline - time.monotonic()))
        for worker in self._workers.values():
            if worker.is_alive() and not self.in_process:
                logger.warning("%s did not stop in %g s: killing it", worker.name, timeout_s)
                worker.kill()
                worker.join(2.0)
        if self._monitor is not None:
            self._monitor.join(2.0)
        if not self.in_process:  # unlink the named semaphores now (no "leaked semaphore" warnings at exit)
            self._workers.clear()
            self._shutdown, self._wake = threading.Event(), threading.Event()
            gc.collect()
        try:
            self.store.interrupt_running("the server stopped while it ran", self.settings.max_attempts)
        except Exception:
            logger.exception("cannot re-queue the running jobs at shutdown")
