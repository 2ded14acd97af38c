"""Progress is data: events from the solver, consumed by the CLI, the service and benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model


@dataclass(frozen=True)
class ProgressEvent:
    elapsed_s: float
    phase: str
    objective: float | None = None
    bound: float | None = None
    solutions: int = 0
    improved: bool = False
    message: str = ""

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound)


ProgressCallback = Callable[[ProgressEvent], None]


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    if objective <= 0:
        return 0.0 if bound >= objective else None
    return max(0.0, (objective - bound) / objective)


class SolutionReporter(cp_model.CpSolverSolutionCallback):
    """Turns CP-SAT solutions into ProgressEvents (objective shifted by `offset`, the constant part
    of the objective that a sub-model does not see). Only solutions better than `best` (the
    incumbent the search started from, if any) and than every earlier one are reported."""

    def __init__(self, emit: ProgressCallback | None, started: float, phase: str, offset: int = 0,
                 best: float | None = None, stop_at: float | None = None) -> None:
        super().__init__()
        self._stop_at = stop_at  # a proven lower bound: a solution that meets it ends the search
        self._emit = emit
        self._started = started
        self._phase = phase
        self._offset = offset
        self._best = best
        self.solutions = 0
        self.first_solution_s: float | None = None

    def on_solution_callback(self) -> None:
        self.solutions += 1
        elapsed = time.perf_counter() - self._started
        if self.first_solution_s is None:
            self.first_solution_s = elapsed
        objective = self.objective_value + self._offset
        if self._stop_at is not None and objective <= self._stop_at + 1e-6:
            self.stop_search()
        if self._best is not None and objective >= self._best:
            return  # CP-SAT's early solutions can be worse than the schedule it was hinted with
        self._best = objective
        if self._emit is not None:
            self._emit(ProgressEvent(
                elapsed_s=elapsed,
                phase=self._phase,
                objective=objective,
                bound=self.best_objective_bound + self._offset,
                solutions=self.solutions,
                improved=True,
            ))
