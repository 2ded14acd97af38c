"""One sub-solve per worker at a time.

CP-SAT releases the GIL while it searches, so small one-worker models solved in threads use every
core; the caller keeps the incumbent and decides, in its own thread, what each finished sub-solve
is worth. Used by the construction, the interval neighbourhoods (optimizer.solve.lns) and the
rostering neighbourhoods (optimizer.solve.roster_lns).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

from optimizer.domain.schedule import SolveStats

T = TypeVar("T")

_stats_lock = threading.Lock()


def one_per_worker(
    parallel: int, submit: Callable[[ThreadPoolExecutor], Future[T]], running: Callable[[], bool]
) -> Iterator[T]:
    """Keep `parallel` sub-solves in flight and yield each one's result as it finishes; after the
    caller has taken a result, the next one is submitted while `running()` holds. With one worker
    the sub-solves run one after another, each submitted after the previous one was taken (so a
    fixed seed gives the same sequence). Leaving the loop early waits for those still in flight."""
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        pending = set()
        while len(pending) < parallel and running():
            pending.add(submit(pool))
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
                if running():
                    pending.add(submit(pool))


def add_build_time(stats: SolveStats, seconds: float) -> None:
    """Count a model's build time in `stats` (sub-models are built in several threads)."""
    with _stats_lock:
        stats.build_time_s = round(stats.build_time_s + seconds, 3)
