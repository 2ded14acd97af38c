"""Shift design solve: `solve_design(instance, settings)` for instances with `design`.

1. Every pattern the templates allow (`optimizer.model.design.enumerate_patterns`).
2. Tiny instances (at most `SMALL_MODEL_COUNTS` count variables): one CP-SAT model over every
   pattern, which proves optimality.
3. Otherwise a greedy peel of the demand (`greedy_design`: the pattern that carries the most of
   what is left and explains its own edges best, repeatedly) gives the first design, then large
   neighbourhoods over pattern sets (`_pattern_lns`): drop a few patterns of the incumbent, score
   every pattern against what is then uncovered (`PatternScorer`), and let CP-SAT re-plan the
   dropped part with the best-scored patterns, every count free around it, the incumbent as the
   hint; one neighbourhood per worker at a time (one CP-SAT worker each). When the model over
   every pattern is small (the shift design files), one worker instead solves it restricted to
   exact covers with the jump rule (`DesignModel(exact=True)`), first over the change-point
   patterns (`change_point_patterns`), then over every pattern; it finds the zero-deviation
   designs of generated demand fast; its design joins the search when found. When that model is
   large (Bonutti's), the search starts with exact covers over the patterns an LP ranks first
   (`rank_by_lp`), and while the incumbent covers the demand exactly, one neighbourhood per batch
   is an exact cover over its lines and a few change-point patterns.
4. Designs where lines cost nothing (shift-pattern weight 0) get the complete model up to
   `PORTFOLIO_MAX_COUNTS`: without the pattern-used link its LP is tight (pyworkforce's problems).

Measured (benchmarks/RESULTS.md): CP-SAT alone on the model over every pattern, or over the
change-point patterns (not restricted to exact covers), stalls far from the optimum: the link "count > 0 implies pattern used" is a
big-M constraint whose LP relaxation bounds nothing, so the search has no guidance.

`account` is the engine's own accounting of a design (terms and coverage), used for every result;
the independent check is `optimizer.validate.design`.
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ortools
from ortools.sat.python import cp_model

from optimizer.domain.ids import time_of_day_minutes
from optimizer.domain.instance import Instance, SolverSettings, set_cp_sat_parameter
from optimizer.domain.schedule import (
    DESIGN_TERMS,
    DesignBreak,
    DesignShift,
    Kpis,
    SolveResult,
    SolveStats,
)
from optimizer.model.design import (
    BreakSpec,
    DesignModel,
    Pattern,
    PatternScorer,
    Solution,
    enumerate_patterns,
    pool_of_skill,
    template_for,
)
from optimizer.model.design_cover import change_point_patterns, rank_by_lp
from optimizer.model.objective import piecewise_cost
from optimizer.solve.extract import coverage_rows
from optimizer.solve.progress import ProgressCallback, ProgressEvent, relative_gap

logger = logging.getLogger(__name__)

SMALL_MODEL_COUNTS = 300
"""Below this many count variables, one model over every pattern (proves optimality)."""

PORTFOLIO_MAX_COUNTS = 20_000
"""Up to this many count variables, one worker solves the exact-cover model over every pattern
alongside the neighbourhoods (shift design files: at most about 2,500; Bonutti: about 200,000)."""

NEIGHBOURHOOD_NEW = 24
"""New patterns offered to each neighbourhood (adapted: more when solved fast, fewer when not)."""

NEIGHBOURHOOD_SECONDS = 2.0
"""Time limit of one neighbourhood."""

GREEDY_RELAX = 2
"""The greedy peel ignores up to this many binding edges when no pattern fits all of its edges."""

NEAR_START_MAX_PATTERNS = 2_000
"""With at most this many patterns, neighbourhoods also offer random patterns starting near the
dropped ones (measured: helps the shift design files, dilutes the scored offers on Bonutti's)."""

LP_START_MAX_PATTERNS = 3_000
"""The LP-guided exact start runs when at most this many patterns have their edges at change points."""

LP_START_SECONDS = 10.0
"""Time limit of the LP ranking (column generation, GLOP)."""

LP_START_SIZES = (30, 40, 60)
"""Exact covers over the first this many patterns of the LP ranking, in turn (on R4: 30 has none,
40 has one in about 1-3 s, 60 or more stalls)."""

LP_START_EXACT_SECONDS = 5.0
"""Time limit of each of them."""

EXACT_NEIGHBOURHOOD_NEW = 20
"""Change-point patterns offered to an exact-cover neighbourhood besides the incumbent's lines."""

FREE_ALL_PATTERNS = 16
"""Up to this many patterns in the incumbent, a neighbourhood frees them all; beyond, it frees the
dropped ones and some that overlap them in time, and keeps the others' counts."""


# --------------------------------------------------------------------------------------------
# Accounting (the engine's own; the validator recomputes independently)


@dataclass
class DesignAccounting:
    terms: dict[str, int]
    scheduled: dict[str, list[int]]

    @property
    def objective(self) -> int:
        return sum(self.terms.values())


def account(instance: Instance, lines: list[DesignShift]) -> DesignAccounting:
    horizon = instance.horizon
    step, n = horizon.interval_minutes, horizon.num_intervals
    scheduled = {s.id: [0] * n for s in instance.skills}
    pools = pool_of_skill(instance)
    count: dict[str, int] = defaultdict(int)
    net: dict[str, int] = defaultdict(int)
    keys = set()
    for line in lines:
        template = instance.template(line.template_id)
        rules = {r.name: r for r in template.breaks}
        start = time_of_day_minutes(line.start)
        pattern = Pattern(start, line.length_minutes, tuple(
            BreakSpec(b.name, b.offset_minutes, rules[b.name].duration_minutes, rules[b.name].paid)
            for b in line.breaks))
        covered = pattern.covered_offsets(step)
        for date, per_skill in line.counts.items():
            first = (horizon.day_of_date(date) * 1440 + start) // step
            for skill, agents in per_skill.items():
                if not agents:
                    continue
                keys.add(pattern.key)
                count[pools[skill].id] += agents
                net[pools[skill].id] += agents * pattern.net_minutes
                row = scheduled[skill]
                for offset in covered:
                    t = first + offset
                    if horizon.cyclic:
                        row[t % n] += agents
                    elif t < n:
                        row[t] += agents
    terms = dict.fromkeys(DESIGN_TERMS, 0)
    for skill in instance.skills:
        weights, over_w = instance.under_weights(skill.id), instance.over_weight(skill.id)
        for r, s in zip(instance.required(skill.id), scheduled[skill.id], strict=True):
            terms["under_staffing"] += piecewise_cost(max(0, r - s), weights)
            terms["over_staffing"] += over_w * max(0, s - r)
    terms["shift_patterns"] = instance.weights.shift_patterns * len(keys)
    assert instance.design is not None
    for pool in instance.design.pools:
        band = pool.avg_net_shift_minutes
        if band is None:
            continue
        n_shifts, work = count[pool.id], net[pool.id]
        deviation = max(0, n_shifts * band.min_minutes - work, work - n_shifts * band.max_minutes)
        terms["avg_shift_length"] += instance.weights.avg_shift_length * (deviation // step)
    return DesignAccounting(terms, scheduled)


def lines_of(instance: Instance, patterns: list[Pattern], solution: Solution) -> list[DesignShift]:
    """Solver counts -> shift lines (one per pattern and template)."""
    pools = pool_of_skill(instance)
    grouped: dict[tuple[int, str], dict] = defaultdict(lambda: defaultdict(dict))
    for (p, d, skill), agents in sorted(solution.items()):
        if not agents:
            continue
        template_id = template_for(patterns[p], d, pools[skill])
        assert template_id is not None
        grouped[(p, template_id)][instance.horizon.date_of_day(d)][skill] = agents
    out = []
    for (p, template_id), counts in sorted(grouped.items(), key=lambda item: (patterns[item[0][0]].key, item[0][1])):
        pattern = patterns[p]
        out.append(DesignShift(
            template_id=template_id, start=f"{pattern.start // 60:02d}:{pattern.start % 60:02d}",
            length_minutes=pattern.length,
            breaks=[DesignBreak(name=b.name, offset_minutes=b.offset) for b in pattern.breaks],
            counts={date: dict(per_skill) for date, per_skill in sorted(counts.items())}))
    return out


def result_from_lines(
    instance: Instance,
    lines: list[DesignShift],
    status: str = "feasible",
    bound: float | None = None,
    stats: SolveStats | None = None,
    wall_time_s: float = 0.0,
) -> SolveResult:
    accounting = account(instance, lines)
    objective = accounting.objective
    if bound is not None and bound >= objective:
        status, bound = "optimal", float(objective)
    return SolveResult(
        instance=instance.name,
        status=status,  # type: ignore[arg-type]
        objective=objective,
        best_bound=None if bound is None else round(bound, 3),
        gap=None if (g := relative_gap(objective, bound)) is None else round(g, 6),
        wall_time_s=round(wall_time_s, 3),
        terms=accounting.terms,
        coverage=coverage_rows(instance, accounting.scheduled),
        kpis=_kpis(instance, lines, accounting),
        design=lines,
        stats=stats or SolveStats(strategy="design"),
    )


def _kpis(instance: Instance, lines: list[DesignShift], accounting: DesignAccounting) -> Kpis:
    hours = instance.horizon.interval_minutes / 60
    required = under = over = 0
    for skill in instance.skills:
        for r, s in zip(instance.required(skill.id), accounting.scheduled[skill.id], strict=True):
            required, under, over = required + r, under + max(0, r - s), over + max(0, s - r)
    shifts = paid = 0
    for line in lines:
        template = instance.template(line.template_id)
        agents = sum(sum(per_skill.values()) for per_skill in line.counts.values())
        shifts += agents
        paid += agents * template.paid_minutes(line.length_minutes)
    return Kpis(
        required_agent_hours=round(required * hours, 2),
        under_staffed_agent_hours=round(under * hours, 2),
        over_staffed_agent_hours=round(over * hours, 2),
        coverage_pct=round(100.0 * (required - under) / required, 2) if required else 100.0,
        paid_hours=round(paid / 60, 2),
        shifts=shifts,
    )


# --------------------------------------------------------------------------------------------
# Solve


@dataclass
class _Outcome:
    status: int
    solution: Solution | None = None
    objective: int | None = None
    bound: float | None = None


@dataclass
class _Search:
    instance: Instance
    settings: SolverSettings
    patterns: list[Pattern]
    started: float
    emit: ProgressCallback
    stop: Callable[[], bool]
    best: Solution | None = None
    best_objective: int | None = None
    bound: float | None = None
    time_to_best_s: float | None = None
    solves: int = 0
    proven: bool = False
    running: list[cp_model.CpSolver] = field(default_factory=list)

    def remaining(self) -> float:
        return self.settings.time_limit_s - (time.perf_counter() - self.started)

    def used(self) -> set[int]:
        return {p for (p, _, _), v in (self.best or {}).items() if v}

    def solver(self, limit_s: float, workers: int) -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.num_workers = workers
        params.random_seed = (self.settings.seed + self.solves) % 2**31  # CP-SAT seeds are int32
        params.max_time_in_seconds = max(0.05, limit_s)
        if self.settings.relative_gap:
            params.relative_gap_limit = self.settings.relative_gap
        for name, value in self.settings.parameters.items():
            set_cp_sat_parameter(params, name, value)
        if self.settings.log:
            params.log_search_progress = True
            params.log_to_stdout = False
            solver.log_callback = lambda line: logger.debug("cp-sat: %s", line)
        self.solves += 1
        return solver

    def solve(self, candidates: set[int], hint: Solution, limit_s: float, workers: int,
              fixed: Solution | None = None, exact: bool = False) -> _Outcome:
        """One CP-SAT solve over `candidates`, the counts of `fixed` kept (thread-safe: touches no
        search state but the solve counter). `exact`: see `DesignModel`."""
        model = DesignModel(self.instance, self.patterns, candidates, fixed, exact)
        model.hint(hint)
        solver = self.solver(limit_s, workers)
        self.running.append(solver)
        try:
            status = solver.solve(model.model)
        finally:
            self.running.remove(solver)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return _Outcome(status)
        if exact:  # optimal among exact covers only: not a bound of the instance
            return _Outcome(cp_model.FEASIBLE, model.read(solver), round(solver.objective_value))
        return _Outcome(status, model.read(solver), round(solver.objective_value), solver.best_objective_bound)

    def accept(self, outcome: _Outcome, phase: str, complete: bool = False) -> bool:
        """Keep `outcome` when it is at least as good as the incumbent (equal: drift on plateaus);
        True when strictly better. `complete`: it solved the model over every pattern, so its
        bound is a bound of the instance."""
        if outcome.solution is None or outcome.objective is None:
            return False
        if complete and outcome.bound is not None:
            self.bound = max(self.bound or 0.0, outcome.bound)
            self.proven = self.proven or outcome.status == cp_model.OPTIMAL
        improved = self.best_objective is None or outcome.objective < self.best_objective
        if improved:
            self.time_to_best_s = round(time.perf_counter() - self.started, 3)
            self.emit(ProgressEvent(time.perf_counter() - self.started, phase, objective=outcome.objective,
                                    bound=self.bound, improved=True))
        if improved or outcome.objective == self.best_objective:
            self.best, self.best_objective = outcome.solution, outcome.objective
        return improved

    def run(self, candidates: set[int], limit_s: float, phase: str, complete: bool = False) -> int:
        """Solve over `candidates` with every worker, hinted with the incumbent."""
        outcome = self.solve(candidates, self.best or {}, limit_s, self.settings.workers)
        logger.debug("%s: %d patterns, status %d, objective %s", phase, len(candidates), outcome.status,
                     outcome.objective)
        self.accept(outcome, phase, complete)
        return outcome.status


def solve_design(
    instance: Instance,
    settings: SolverSettings | None = None,
    on_progress: ProgressCallback | None = None,
    stop: Callable[[], bool] | None = None,
) -> SolveResult:
    settings = settings or instance.solver
    started = time.perf_counter()
    emit = on_progress or (lambda event: None)
    patterns = enumerate_patterns(instance)
    search = _Search(instance, settings, patterns, started, emit, stop or (lambda: False))
    stats = SolveStats(strategy="design", workers=settings.workers, seed=settings.seed,
                       time_limit_s=settings.time_limit_s, ortools_version=ortools.__version__)
    counts = _count_vars(instance, patterns)
    # free lines: no pattern-used link in the objective, so the complete model has a tight LP
    complete = counts <= SMALL_MODEL_COUNTS or (instance.weights.shift_patterns == 0 and counts <= PORTFOLIO_MAX_COUNTS)
    if complete and settings.workers >= 2:
        _small_portfolio(search)
    elif complete:
        search.run(set(range(len(patterns))), search.remaining(), "all patterns", complete=True)
    else:
        _pattern_lns(search, with_full_model=counts <= PORTFOLIO_MAX_COUNTS and settings.workers >= 2)
    stats.time_to_first_s = search.time_to_best_s
    stats.lns_iterations = search.solves
    stats.variables = counts
    wall = time.perf_counter() - started
    if search.best is None:
        return SolveResult(instance=instance.name, status="unknown", wall_time_s=round(wall, 3), stats=stats,
                           explanation=["no design was found within the time limit"])
    lines = lines_of(instance, patterns, search.best)
    result = result_from_lines(instance, lines, "optimal" if search.proven else "feasible", search.bound, stats,
                               wall)
    result.stats.progress = [[search.time_to_best_s or 0.0, float(result.objective or 0), search.bound or 0.0]]
    return result



def _small_portfolio(search: _Search) -> None:
    """Tiny instances: the model over every pattern (proves optimality; its bound is the
    instance's) on all workers but one, and the exact-cover model on that one."""
    from concurrent.futures import ThreadPoolExecutor

    everything = set(range(len(search.patterns)))
    limit = search.remaining()
    with ThreadPoolExecutor(max_workers=2) as pool:
        full = pool.submit(search.solve, everything, {}, limit, search.settings.workers - 1)
        exact = pool.submit(search.solve, everything, {}, limit, 1, None, True)
        search.accept(full.result(), "all patterns", complete=True)
        if search.proven:
            for solver in list(search.running):
                solver.stop_search()
        search.accept(exact.result(), "exact cover")


def _count_vars(instance: Instance, patterns: list[Pattern]) -> int:
    pools = pool_of_skill(instance)
    return sum(1 for p in patterns for d in range(instance.horizon.days) for skill, pool in pools.items()
               if template_for(p, d, pool) is not None)


def _pattern_lns(search: _Search, with_full_model: bool = False) -> None:
    """Large neighbourhoods over pattern sets. The incumbent comes from a greedy peel of the
    demand (`greedy_design`). Each neighbourhood drops a few of the incumbent's patterns (one and
    some that overlap it in time of day), scores every pattern against what is then left uncovered
    (`PatternScorer`), and offers the best ones with the incumbent's patterns to CP-SAT, every count
    free and the incumbent as the hint. With several workers, as many neighbourhoods are solved
    at once (one worker each). `with_full_model`: one of the workers solves the exact-cover model
    over every pattern instead (`DesignModel(exact=True)`), for the whole time or until it is
    solved; its design joins the incumbents as soon as it is found."""
    import numpy as np

    instance, patterns = search.instance, search.patterns
    rng = random.Random(search.settings.seed)
    scorer = PatternScorer(instance, patterns)
    required = np.array([instance.required(skill) for skill in scorer.skills], dtype=np.int64)
    start = greedy_design(scorer, required, GREEDY_RELAX)
    search.accept(_Outcome(cp_model.FEASIBLE, start, account_solution(instance, patterns, start)), "greedy")
    if not with_full_model:
        _lp_guided_exact_start(search)
    parallel = max(1, search.settings.workers - int(with_full_model))
    size = NEIGHBOURHOOD_NEW

    def neighbourhood() -> tuple[set[int], Solution]:
        used = sorted(search.used())
        dropped: set[int] = set()
        free = set(used)
        if used and rng.random() < 0.9:
            seed = rng.choice(used)
            near = [p for p in used if p != seed and _overlap(patterns[p], patterns[seed]) > 0]
            dropped = {seed, *rng.sample(near, min(len(near), rng.choice((0, 1, 1, 2))))}
            if len(used) > FREE_ALL_PATTERNS:
                related = [p for p in used if any(_overlap(patterns[p], patterns[q]) > 0 for q in dropped)]
                free = dropped | set(rng.sample(related, min(len(related), FREE_ALL_PATTERNS - len(dropped))))
        kept = {key: v for key, v in (search.best or {}).items() if key[0] not in dropped}
        residual = required - scorer.cover_of(kept)
        offered: set[int] = set()
        for (counts, slack), share in zip(scorer.evaluate_levels(residual, (0, 1)), (size // 2, size - size // 2),
                                          strict=True):
            total = counts.sum(axis=(1, 2))
            score = total * scorer.net * _explained(scorer, total, slack) ** 2
            order = np.argsort(-score, kind="stable")[: share + len(used)]
            offered |= set([int(p) for p in order if score[p] > 0 and int(p) not in used][:share])
        if dropped and len(patterns) <= NEAR_START_MAX_PATTERNS:
            # patterns starting near the dropped ones, any length: reshape that part of the day
            near_starts = [p for p in range(len(patterns)) if p not in used and any(
                _circular_distance(patterns[p].start, patterns[q].start) <= 120 for q in dropped)]
            offered |= set(rng.sample(near_starts, min(len(near_starts), size // 2)))
        offered |= set(rng.sample(range(len(patterns)), min(3, len(patterns))))
        fixed = {key: v for key, v in (search.best or {}).items() if key[0] not in free}
        return free | offered, fixed

    changes = [] if with_full_model else change_point_patterns(instance, patterns)

    def exact_neighbourhood() -> tuple[set[int], Solution, bool]:
        """The incumbent covers the demand exactly: every line of it and some change-point
        patterns, restricted to exact covers (fewer lines is the only way down)."""
        used = search.used()
        others = [p for p in changes if p not in used]
        return used | set(rng.sample(others, min(len(others), EXACT_NEIGHBOURHOOD_NEW))), {}, True

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=parallel + int(with_full_model)) as pool:
        stages = _exact_cover_stages(search) if with_full_model else []
        full = pool.submit(search.solve, stages.pop(0), {}, search.remaining() - 0.1, 1, None, True) \
            if stages else None
        while search.remaining() > 0.2 and not search.stop():
            limit = min(search.remaining(), NEIGHBOURHOOD_SECONDS)
            hint = dict(search.best or {})
            batch = [(*neighbourhood(), False) for _ in range(parallel)]
            if changes and (scorer.cover_of(search.best or {}) == required).all():
                batch[-1] = exact_neighbourhood()
            futures = [pool.submit(search.solve, candidates, hint, limit, 1, fixed, exact)
                       for candidates, fixed, exact in batch]
            outcomes = [f.result() for f in futures]
            if full is not None and full.done():
                outcomes.append(full.result())
                full = None
                if stages and search.remaining() > 0.5:
                    full = pool.submit(search.solve, stages.pop(0), outcomes[-1].solution or {},
                                       search.remaining() - 0.1, 1, None, True)
            for outcome in sorted(outcomes, key=lambda o: o.objective if o.objective is not None else 1 << 62):
                search.accept(outcome, "neighbourhood")
            if all(o.status == cp_model.OPTIMAL for o in outcomes):
                size = min(size + max(2, size // 4), 120)
            else:
                size = max(6, size - 2)
        if full is not None:
            if search.stop():
                for solver in list(search.running):
                    solver.stop_search()
            search.accept(full.result(), "exact cover")


def _exact_cover_stages(search: _Search) -> list[set[int]]:
    """Candidate sets of the exact-cover worker, in turn: the change-point patterns (a few dozen on
    the shift design files: measured, their reference designs in about 5 s where the model over
    every pattern needs more than 10), then every pattern with the time left."""
    everything = set(range(len(search.patterns)))
    changes = set(change_point_patterns(search.instance, search.patterns))
    return [changes, everything] if changes and changes != everything else [everything]


def _lp_guided_exact_start(search: _Search) -> None:
    """Exact covers over the patterns an LP ranks first (`rank_by_lp` over the change-point
    patterns), with every worker: on Bonutti's R4 (3 skills, where the peel ends near 80 lines)
    it finds a design of 13 to 27 lines in a few seconds."""
    candidates = change_point_patterns(search.instance, search.patterns)
    if not candidates or len(candidates) > LP_START_MAX_PATTERNS:
        return
    order = rank_by_lp(search.instance, search.patterns, candidates, min(LP_START_SECONDS, search.remaining() / 4))
    tried = 0
    for size in LP_START_SIZES:
        if not order or tried >= len(order) or search.remaining() < 2 * LP_START_EXACT_SECONDS:
            break
        tried = size
        outcome = search.solve(set(order[:size]), search.best or {}, LP_START_EXACT_SECONDS, search.settings.workers,
                               None, True)
        logger.debug("LP-guided exact cover over %d patterns: status %d, objective %s", size, outcome.status,
                     outcome.objective)
        search.accept(outcome, "exact cover")
        if outcome.solution is not None:  # the exact neighbourhoods take it from here
            break


def _explained(scorer: PatternScorer, total: Any, slack: Any) -> Any:
    """Share of the jumps at each pattern's edges that its counts explain (1: all of them)."""
    import numpy as np

    explained = scorer.edge_count * total
    return explained / np.maximum(explained + slack, 1)


def _circular_distance(a: int, b: int) -> int:
    return min((a - b) % 1440, (b - a) % 1440)


def _overlap(a: Pattern, b: Pattern) -> int:
    """Minutes of the day both patterns span (cyclic)."""
    sa, sb = set(), set()
    for start, length, out in ((a.start, a.length, sa), (b.start, b.length, sb)):
        out.update(m % 1440 for m in range(start, start + length, 15))
    return len(sa & sb) * 15


def account_solution(instance: Instance, patterns: list[Pattern], solution: Solution) -> int:
    return account(instance, lines_of(instance, patterns, solution)).objective



def greedy_design(scorer: PatternScorer, required: Any, max_relax: int = 2) -> Solution:
    """Peel the demand: repeatedly take the pattern that can carry the most agent-intervals by
    itself and explains its own edges best (`PatternScorer.evaluate`), with those counts; when no
    pattern fits every edge, ignore the most binding one or two (an edge hidden by another
    pattern's); stop when none can carry any."""
    solution: Solution = {}
    residual = required.copy()
    while True:
        for counts, slack in scorer.evaluate_levels(residual, tuple(range(max_relax + 1))):
            total = counts.sum(axis=(1, 2))
            score = total * scorer.net * _explained(scorer, total, slack) ** 4
            p = int(score.argmax())
            if score[p] > 0:
                break
        else:
            return solution
        for d in range(scorer.days):
            for k, skill in enumerate(scorer.skills):
                if counts[p, d, k]:
                    solution[(p, d, skill)] = solution.get((p, d, skill), 0) + int(counts[p, d, k])
        residual = residual - scorer.coverage(p, counts[p])
