"""Exact-cover candidates for the shift-design model: which patterns an exact cover of the demand
(coverage equal to the demand everywhere) is likely made of.

* `change_point_patterns`: the patterns whose every edge (start, end, break start and end) falls at
  a time of day where some skill's demand changes on some date. An exact cover whose edges never
  cancel out is made of these only (on generated demand, all of its patterns).
* `exact_caps`: in an exact cover, a line carries at most the demand of the least demanding
  interval it covers: cap[p, d, k] = min of skill k's demand over pattern p's intervals on date d.
* `rank_by_lp`: the LP relaxation of "fewest lines that cover the demand exactly", with those caps
  (x[p, d, k] <= cap * y[p], so y[p] >= the line's largest share of a cap), by column generation
  with GLOP from the support of a cheaper LP. Patterns with a large y are the ones exact covers
  are made of. Measured on Bonutti's R4 (447 change-point patterns): the LP over all of them takes
  GLOP about 20 s and ranks the optimum's 13 lines in its first 25 (CP-SAT then finds the optimum
  among the first 40 in about 1.5 s); started from the cheaper LP's support (122 columns, 1 s)
  it takes 2-3 s and ranks 12 of them in its first 20 (the 13th is outside that support), where
  CP-SAT finds an exact cover of 27 lines, which the exact neighbourhoods then bring to 13.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ortools.linear_solver import pywraplp

from optimizer.domain.instance import Instance
from optimizer.model.design import Pattern, pool_of_skill, template_for

logger = logging.getLogger(__name__)

SHORTFALL_COST = 100.0
"""LP cost per agent-interval of coverage away from the demand (keeps a column subset feasible;
high enough that the LP prefers any exact cover, whose cost is in lines)."""

COLUMNS_PER_ROUND = 60
"""Columns with a negative reduced cost added per column-generation round."""


def change_point_patterns(instance: Instance, patterns: list[Pattern]) -> list[int]:
    horizon = instance.horizon
    step, n = horizon.interval_minutes, horizon.num_intervals
    changes = set()
    for skill in instance.skills:
        req = instance.required(skill.id)
        for t in range(n):
            before = req[t - 1] if t or horizon.cyclic else 0
            if req[t] != before:
                changes.add(t * step % 1440)
    return [p for p, pattern in enumerate(patterns) if pattern.edge_times_of_day() <= changes]


def exact_caps(instance: Instance, patterns: list[Pattern], candidates: list[int]) -> dict[tuple[int, int, str], Any]:
    """(p, d, skill) -> (cap, covered interval indices), for the entries with a positive cap."""
    import numpy as np

    horizon = instance.horizon
    step, n = horizon.interval_minutes, horizon.num_intervals
    pools = pool_of_skill(instance)
    skills = [s.id for s in instance.skills if s.id in pools]
    required = {skill: np.asarray(instance.required(skill), dtype=np.int64) for skill in skills}
    out: dict[tuple[int, int, str], Any] = {}
    for p in candidates:
        pattern = patterns[p]
        offsets = np.asarray(pattern.covered_offsets(step), dtype=np.int64)
        for d in range(horizon.days):
            slots = (d * 1440 + pattern.start) // step + offsets
            slots = slots % n if horizon.cyclic else slots[slots < n]
            if not len(slots):
                continue
            for skill in skills:
                if template_for(pattern, d, pools[skill]) is None:
                    continue
                cap = int(required[skill][slots].min())
                if cap > 0:
                    out[(p, d, skill)] = (cap, slots)
    return out


def rank_by_lp(instance: Instance, patterns: list[Pattern], candidates: list[int],
               time_limit_s: float = 10.0) -> list[int]:
    """Candidates with a positive y in the LP relaxation, largest y first (empty when the demand
    has no fractional exact cover or the LP could not be solved in time). The first columns are
    the support of a cheaper LP (minimize the sum of every count's share of its cap)."""
    started = time.perf_counter()
    entries = exact_caps(instance, patterns, candidates)
    by_pattern: dict[int, list[tuple[str, int, Any]]] = {}
    for (p, _, skill), (cap, slots) in entries.items():
        by_pattern.setdefault(p, []).append((skill, cap, slots))
    skills = sorted({skill for (_, _, skill) in entries})
    if not by_pattern:
        return []
    shares = _share_lp(instance, by_pattern, skills, time_limit_s)
    if shares is None:
        return []
    first = [p for p, share in shares.items() if share > 1e-6]
    left = time_limit_s - (time.perf_counter() - started)
    return _line_lp(instance, by_pattern, skills, first, left) if left > 0 else []


def _share_lp(instance: Instance, by_pattern: dict[int, list[tuple[str, int, Any]]], skills: list[str],
              time_limit_s: float) -> dict[int, float] | None:
    """Exact fractional cover minimizing the sum of count / cap; each pattern's largest share."""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return None
    rows = {(skill, t): solver.Constraint(r, r) for skill in skills for t, r in enumerate(instance.required(skill))}
    objective = solver.Objective()
    counts: dict[int, list[tuple[pywraplp.Variable, int]]] = {}
    for p, items in by_pattern.items():
        for skill, cap, slots in items:
            x = solver.NumVar(0, cap, "")
            counts.setdefault(p, []).append((x, cap))
            objective.SetCoefficient(x, 1 / cap)
            for t in slots:
                row = rows[(skill, int(t))]
                row.SetCoefficient(x, row.GetCoefficient(x) + 1)
    objective.SetMinimization()
    solver.SetTimeLimit(max(1, int(1000 * time_limit_s)))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return {p: max(x.solution_value() / cap for x, cap in xs) for p, xs in counts.items()}


def _line_lp(instance: Instance, by_pattern: dict[int, list[tuple[str, int, Any]]], skills: list[str],
             first: list[int], time_limit_s: float) -> list[int]:
    """The lines LP (x <= cap * y, minimize the sum of y) by column generation from `first`."""
    import numpy as np

    started = time.perf_counter()
    n = instance.horizon.num_intervals
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return []
    rows = {}
    objective = solver.Objective()
    for skill in skills:
        for t, r in enumerate(instance.required(skill)):
            row = solver.Constraint(r, r)
            under, over = solver.NumVar(0, r, ""), solver.NumVar(0, solver.infinity(), "")
            row.SetCoefficient(under, 1)
            row.SetCoefficient(over, -1)
            objective.SetCoefficient(under, SHORTFALL_COST)
            objective.SetCoefficient(over, SHORTFALL_COST)
            rows[(skill, t)] = row
    objective.SetMinimization()
    y: dict[int, pywraplp.Variable] = {}

    def add(p: int) -> None:
        y[p] = var = solver.NumVar(0, 1, "")
        objective.SetCoefficient(var, 1)
        for skill, cap, slots in by_pattern[p]:
            x = solver.NumVar(0, cap, "")
            link = solver.Constraint(-solver.infinity(), 0)
            link.SetCoefficient(x, 1)
            link.SetCoefficient(var, -cap)
            for t in slots:
                row = rows[(skill, int(t))]
                row.SetCoefficient(x, row.GetCoefficient(x) + 1)

    for p in first:
        add(p)
    values: dict[int, float] = {}
    while time.perf_counter() - started < time_limit_s:
        solver.SetTimeLimit(max(1, int(1000 * (time_limit_s - (time.perf_counter() - started)))))
        if solver.Solve() != pywraplp.Solver.OPTIMAL:
            break
        values = {p: var.solution_value() for p, var in y.items()}
        duals = {skill: np.array([rows[(skill, t)].dual_value() for t in range(n)]) for skill in skills}
        # y = 1 with each count at its cap where the duals pay for it: worth opening when over 1
        gains = {p: sum(max(0.0, cap * float(duals[skill][slots].sum())) for skill, cap, slots in items)
                 for p, items in by_pattern.items() if p not in y}
        entering = sorted((p for p, gain in gains.items() if gain > 1 + 1e-6), key=lambda q: -gains[q])
        logger.debug("design LP: %d columns, objective %.3f, %d entering, %.1f s", len(y), objective.Value(),
                     len(entering), time.perf_counter() - started)
        if not entering:
            break
        for p in entering[:COLUMNS_PER_ROUND]:
            add(p)
    return sorted((p for p, v in values.items() if v > 1e-6), key=lambda q: -values[q])
