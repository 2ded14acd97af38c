"""solve(instance) -> SolveResult: the engine's entry point.

1. Cheap pre-checks (an agent whose availability cannot reach the contract minimum, ...).
2. The anonymous model: a lower bound on coverage and labor cost (the yardstick).
3. Either one CP-SAT model for the whole instance (small instances, proves optimality), or a
   construction agent batch by agent batch followed by large-neighbourhood search (large ones).
   Every hard rule is per agent, so the batch construction is feasible whenever each agent is.
4. Infeasible: the rules that conflict, per agent, from an assumption core.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

import ortools
from ortools.sat.python import cp_model

from optimizer.domain.instance import Instance, SolverSettings, set_cp_sat_parameter
from optimizer.domain.schedule import SelfCheck, SolveResult, SolveStats
from optimizer.model.anonymous import AnonymousResult, solve_anonymous
from optimizer.model.builder import ScheduleModel
from optimizer.model.options import AgentOptions, agent_options
from optimizer.model.plan import Allocation, Plan, repair_allocation
from optimizer.service_level import attach_service_level
from optimizer.solve import diff, explain, extract, lns, roster_lns, warm
from optimizer.solve.parallel import add_build_time
from optimizer.solve.progress import ProgressCallback, ProgressEvent, SolutionReporter, relative_gap
from optimizer.solve.roster_columns import separable
from optimizer.timegrid import TimeGrid, daylight_saving_notes

logger = logging.getLogger(__name__)

BUILD_SECONDS_PER_ITEM = 1e-5
"""Deterministic stand-in for model building time: about what Python takes per variable or constraint."""

MONOLITHIC_MAX_OPTIONS = 600
"""'auto' solves one model when the instance has at most this many (agent, day, shift) options
(measured: beyond a few agents, one model finds good schedules far more slowly than the LNS);
rostering without interval demand only up to ROSTERING_MIN_OPTIONS."""
ROSTERING_MAX_OPTIONS = 30_000
"""Rostering without interval demand (cover per shift type only: no coverage variables, so the
models stay small): 'auto' solves it by 'roster' (one model, then neighbourhoods of that model)
from ROSTERING_MIN_OPTIONS up to this many options. Measured (40 s, 2 workers, loaded machine): Curtois Instance9 583 with
one model against 908 with the agent-batch LNS and 880 with 'hybrid'; one model proves
pyworkforce's roster optima (under MONOLITHIC_MAX_OPTIONS) in seconds where the LNS cannot.
'roster' at 60 s: Curtois Instance5-12 against one model, see optimizer.solve.roster_lns."""
ROSTERING_MIN_OPTIONS = 400
"""Below this many options, rostering without interval demand stays one model for the whole time
(it proves small optima, e.g. Curtois Instance1-2, that 'roster' would only match). Above it,
'roster' beats the one model even under MONOLITHIC_MAX_OPTIONS. Measured 2026-11-26 (60 s,
2 workers, seeds 1-3, idle machine): Curtois Instance3 (598 options) 1001/1001/1001 by 'roster'
against 1001/1001/1002 by one model; Instance4 (560) 1718/1718/1716 against 1721/1722/1716."""
HYBRID_MONOLITHIC_SHARE = 0.5
"""'hybrid': one model for this share of the time, then the LNS from its best schedule."""
ANONYMOUS_SHARE = 0.1
"""Time share of the anonymous model (the lower bound on coverage and labor cost)."""
ROSTER_ANONYMOUS_SHARE = 0.02
"""'roster': the anonymous model sees cover per shift type only, far below the schedule's cost
(Curtois Instance12: 700 against 4040), so it gets less time."""
COLUMNS_BOUND_SHARE = 0.2
"""On instances that column generation can bound (cover per shift type and day, see
optimizer.solve.roster_columns), the one model's search first gives it up to this share of its
time; a schedule that meets its bound ends the search, proven optimal. Curtois Instance2: the
relaxation converges in under a second at 828, the optimum, which CP-SAT alone reaches in 4 s but
does not prove in 60 s (its bound stays at 209)."""
ROSTER_MONOLITHIC_SHARE = 0.05
"""'roster': one model for this share of the time (enough for its first schedules, after which
it improves more slowly than the neighbourhoods), then neighbourhoods of that same model
(optimizer.solve.roster_lns) from its best schedule."""


def auto_strategy(instance: Instance, total_options: int) -> str:
    interval_demand = any(any(instance.required(row.skill)) for row in instance.demand)  # forecasts: derived
    if not interval_demand and ROSTERING_MIN_OPTIONS < total_options <= ROSTERING_MAX_OPTIONS:
        return "roster"
    if total_options <= MONOLITHIC_MAX_OPTIONS:
        return "monolithic"
    return "lns"


class StopSignal(Protocol):
    """What `solve(stop=...)` accepts: a `threading.Event` or a `multiprocessing.Event`."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass
class Budget:
    """Time accounting. With one worker, CP-SAT's deterministic time is used for every limit, so
    that a fixed seed gives the same schedule on any machine; otherwise wall-clock seconds.
    A stop signal ends the budget at once: `remaining()` is 0 and the running CP-SAT search is
    interrupted (see `watch_stop`)."""

    settings: SolverSettings
    started: float
    stop: StopSignal | None = None
    active: cp_model.CpSolver | None = field(default=None, repr=False)

    @property
    def deterministic(self) -> bool:
        return self.settings.workers == 1

    @property
    def cancelled(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def __post_init__(self) -> None:
        self.used_deterministic = 0.0

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def remaining(self) -> float:
        if self.cancelled:
            return 0.0
        if self.deterministic:
            return self.settings.time_limit_s - self.used_deterministic
        return self.settings.time_limit_s - self.elapsed()

    def charge(self, solver: cp_model.CpSolver, model_size: int = 0) -> None:
        """Count a solve against the budget; `model_size` (variables + constraints) stands for the
        time spent building the model, which CP-SAT's deterministic clock does not see."""
        self.used_deterministic += solver.deterministic_time + BUILD_SECONDS_PER_ITEM * model_size

    def solver(
        self, limit_s: float, *, workers: int | None = None, seed_offset: int = 0, submodel: bool = False,
        presolve: bool = True,
    ) -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.num_workers = workers or self.settings.workers
        params.random_seed = (self.settings.seed + seed_offset) % 2**31  # CP-SAT seeds are int32
        limit_s = max(0.05, limit_s)
        if self.deterministic:
            params.max_deterministic_time = limit_s
            params.max_time_in_seconds = max(30.0, 20 * limit_s)  # safety net only
        else:
            params.max_time_in_seconds = limit_s
        if self.settings.relative_gap:
            params.relative_gap_limit = self.settings.relative_gap
        if submodel:
            # Measured on the generated instances: the LP of a neighbourhood is nearly always tight,
            # and LP-guided branching on the full linearization finds its optimum many times faster.
            # The same holds for construction batches (medium: construction 29 s -> 20 s under load,
            # its objective 337k -> 305k). Probing in presolve took most of a one-second step: without
            # it, medium's construction is 30% faster (10.2 s -> 7.3 s, objective 304.5k -> 299.5k,
            # load 4) and a two-agent neighbourhood at 1 s gains about what it gained at 2 s.
            params.linearization_level = 2
            params.search_branching = params.LP_SEARCH
            params.cp_model_probing_level = 0
        if not presolve:
            params.cp_model_presolve = False
        for name, value in self.settings.parameters.items():
            set_cp_sat_parameter(params, name, value)  # checked the same way when the settings were read
        if self.settings.log:
            params.log_search_progress = True
            params.log_to_stdout = False
            solver.log_callback = lambda line: logger.debug("cp-sat: %s", line)
        self.active = solver
        return solver

    def watch_stop(self, done: threading.Event) -> threading.Thread | None:
        """Interrupt the active CP-SAT search once the stop signal is set (polled, so that a search
        started just after the signal is stopped too) until `done`."""
        stop = self.stop
        if stop is None:
            return None

        def watch() -> None:
            while not done.is_set():
                if stop.wait(0.1) and self.active is not None:
                    self.active.stop_search()
                    done.wait(0.05)

        thread = threading.Thread(target=watch, name="wfm-stop-watch", daemon=True)
        thread.start()
        return thread


def solve(
    instance: Instance,
    settings: SolverSettings | None = None,
    on_progress: ProgressCallback | None = None,
    stop: StopSignal | None = None,
) -> SolveResult:
    """Solve within `settings.time_limit_s`. Setting `stop` ends the solve early: the best schedule
    found so far is returned (status feasible, `stats.cancelled`), or status unknown if none yet."""
    settings = settings or instance.solver
    if instance.design is not None:  # shift design: no named agents (optimizer.solve.design)
        from optimizer.solve.design import solve_design

        result = solve_design(instance, settings, on_progress, stop=None if stop is None else stop.is_set)
        result.notes.extend(daylight_saving_notes(instance.horizon))
        return self_checked(instance, attach_service_level(instance, result))
    budget = Budget(settings, time.perf_counter(), stop)
    done = threading.Event()
    watcher = budget.watch_stop(done)
    try:
        result = _solve(instance, settings, on_progress, budget)
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
    if instance.design is None and not instance.agents:
        result.notes.append("the instance has no agents: every interval's demand is left uncovered")
    result.notes.extend(daylight_saving_notes(instance.horizon))
    if budget.cancelled:
        result.stats.cancelled = True
        if result.assignments:  # a schedule, not a failure to explain
            result.notes.append("the solve was cancelled before its time limit: the best schedule found until then")
        else:
            result.explanation.append("the solve was cancelled before its time limit, before the first complete "
                                      "schedule")
    return self_checked(instance, attach_service_level(instance, result))  # forecast skills: predicted service level


SELF_CHECK_DETAILS = 10


def self_checked(instance: Instance, result: SolveResult) -> SolveResult:
    """`result` with the independent validator's verdict on its schedule (`result.self_check`).
    A schedule that fails it is an engine defect: returned all the same (nothing is lost), flagged,
    and logged as an error; the CLI then exits 1. (About 0.4 s on multiskill-medium.)"""
    if result.status not in ("optimal", "feasible"):  # no schedule (an empty one is checked too)
        return result
    from optimizer.validate import validate

    report = validate(instance, result)
    details = [f"[{v.rule}] {v.message}" for v in report.hard] + report.mismatches
    result.self_check = SelfCheck(ok=report.ok, hard_violations=len(report.hard), mismatches=len(report.mismatches),
                                  details=details[:SELF_CHECK_DETAILS])
    if not report.ok:
        logger.error("%s: the schedule fails the independent validator (%d hard violation(s), %d mismatch(es)): %s",
                     instance.name, len(report.hard), len(report.mismatches), "; ".join(details[:3]))
    return result


def _solve(
    instance: Instance,
    settings: SolverSettings,
    on_progress: ProgressCallback | None,
    budget: Budget,
) -> SolveResult:
    emit = on_progress or (lambda event: None)
    stats = SolveStats(workers=settings.workers, seed=settings.seed, time_limit_s=settings.time_limit_s,
                       ortools_version=ortools.__version__)

    grid = TimeGrid(instance.horizon)
    options = [agent_options(instance, agent, grid) for agent in instance.agents]
    problems = explain.precheck(instance, options)
    if problems:
        return _infeasible(instance, problems, budget, stats)

    total_options = sum(len(o) for a in options for o in a.by_day.values())
    strategy = settings.strategy
    if strategy == "auto":
        strategy = auto_strategy(instance, total_options)
    stats.strategy = strategy
    logger.info("%d agents, %d shift options: %s strategy", len(options), total_options, strategy)

    # A complete schedule first (every hard rule is per agent, so this only fails when some agent
    # cannot be scheduled at all), then the yardstick, then the improvement.
    warm_plan, notes = {}, []
    if instance.baseline is not None and settings.use_hints:
        warm_plan, notes = warm.published_plan(instance, options, budget)
        emit(ProgressEvent(budget.elapsed(), "construct",
                           message=f"published roster kept for {len(warm_plan)}/{len(options)} agents"))
    built = lns.construct(instance, options, budget, emit, stats, start=warm_plan)
    if built == "infeasible":
        return _infeasible(instance, explain.explain_infeasible(instance, options, budget), budget, stats)
    first = None if isinstance(built, str) else built
    if first is not None:
        stats.time_to_first_s = round(budget.elapsed(), 3)
        objective = extract.account(instance, *first).objective
        emit(ProgressEvent(budget.elapsed(), "construct", objective=objective, solutions=1, improved=True,
                           message="first complete schedule"))

    if budget.cancelled:
        anonymous = AnonymousResult("skipped")
    else:
        emit(ProgressEvent(budget.elapsed(), "anonymous", message="anonymous lower bound"))
        share = ROSTER_ANONYMOUS_SHARE if strategy == "roster" else ANONYMOUS_SHARE
        anonymous = solve_anonymous(instance, budget.solver(min(30.0, share * settings.time_limit_s)))
        budget.used_deterministic += anonymous.deterministic_time
        stats.anonymous_time_s = round(anonymous.wall_time_s, 3)

    if strategy == "monolithic":
        outcome = _solve_monolithic(instance, options, first, budget, emit, stats, anonymous.bound)
    elif strategy == "roster":
        outcome = _solve_roster(instance, options, first, budget, emit, stats, anonymous.bound)
    elif strategy == "hybrid":
        share = HYBRID_MONOLITHIC_SHARE * budget.remaining()
        outcome = _solve_monolithic(instance, options, first, budget, emit, stats, anonymous.bound, share)
        if outcome.status == "feasible" and outcome.plan is not None and outcome.allocation is not None:
            outcome = lns.solve_lns(instance, options, (outcome.plan, outcome.allocation), budget, emit, stats,
                                    outcome.bound)
    elif first is not None:
        outcome = lns.solve_lns(instance, options, first, budget, emit, stats, anonymous.bound)
    else:
        outcome = Outcome("unknown")
    if outcome.status == "infeasible":
        return _infeasible(instance, explain.explain_infeasible(instance, options, budget), budget, stats)
    if outcome.plan is None and first is not None:
        outcome = Outcome("feasible", *first, anonymous.bound)
    if outcome.plan is None:
        return SolveResult(instance=instance.name, status="unknown", wall_time_s=round(budget.elapsed(), 3),
                           anonymous_bound=anonymous.bound, stats=stats,
                           explanation=["no schedule was found within the time limit"] if not budget.cancelled else [])

    result = build_result(instance, outcome.plan, outcome.allocation, outcome.status, outcome.bound, budget, stats)
    result.anonymous_bound = anonymous.bound
    result.anonymous = anonymous.patterns
    if result.status == "feasible" and result.best_bound is not None and result.objective is not None \
            and result.best_bound >= result.objective:
        result.status = "optimal"
    if instance.baseline is not None:
        result.changes = diff.roster_diff(instance, result.assignments, result.kpis)
        result.notes.extend(notes)
    return result


@dataclass
class Outcome:
    status: str
    plan: Plan | None = None
    allocation: Allocation | None = None
    bound: float | None = None


def _solve_monolithic(
    instance: Instance,
    options: list[AgentOptions],
    first: tuple[Plan, Allocation] | None,
    budget: Budget,
    emit: ProgressCallback,
    stats: SolveStats,
    anonymous_bound: float | None,
    limit_s: float | None = None,
) -> Outcome:
    m = _hinted_model(instance, options, first, budget, stats)
    limit = budget.remaining() if limit_s is None else limit_s
    columns_bound = None
    if first is not None and separable(instance):
        before = budget.remaining()
        columns_bound = _columns_bound(m, budget, COLUMNS_BOUND_SHARE * limit)
        limit -= before - budget.remaining()
    solver, status = _search(m, first, budget, emit, stats, limit, stop_at=columns_bound)
    if status == cp_model.INFEASIBLE:
        return Outcome("infeasible")
    bound = _bound(solver, status, anonymous_bound)
    if columns_bound is not None:
        bound = columns_bound if bound is None else max(bound, columns_bound)
    return _read_outcome(m, solver, status, first, bound)


def _columns_bound(m: ScheduleModel, budget: Budget, limit_s: float) -> int | None:
    """The column generation bound of `m`, from the rosters of the schedule it is hinted with,
    within `limit_s`; None when there is none (no exact round, or generation could not start)."""
    hint = dict(zip(m.model.proto.solution_hint.vars, m.model.proto.solution_hint.values, strict=True))
    columns = roster_lns.generated_columns(m, [hint.get(index, 0) for index in range(len(m.model.proto.variables))],
                                           budget, limit_s)
    return None if columns is None else columns.bound


def _solve_roster(
    instance: Instance,
    options: list[AgentOptions],
    first: tuple[Plan, Allocation] | None,
    budget: Budget,
    emit: ProgressCallback,
    stats: SolveStats,
    anonymous_bound: float | None,
) -> Outcome:
    """One model for a share of the time; unless that proves optimality, neighbourhoods of the same
    model from its best solution for the rest (optimizer.solve.roster_lns)."""
    m = _hinted_model(instance, options, first, budget, stats)
    solver, status = _search(m, first, budget, emit, stats, ROSTER_MONOLITHIC_SHARE * budget.remaining())
    if status == cp_model.INFEASIBLE:
        return Outcome("infeasible")
    bound = _bound(solver, status, anonymous_bound)
    if status == cp_model.FEASIBLE:
        best, bound = roster_lns.improve_in_model(
            m, roster_lns.Incumbent(list(solver.response_proto.solution), solver.objective_value, solver),
            budget, emit, stats, bound)
        solver = best.solver
        if bound is not None and best.objective <= bound + 1e-6:
            status = cp_model.OPTIMAL  # the bound (column generation's) proves it
    elif status != cp_model.OPTIMAL:  # no solution yet: the one model keeps the rest of the time
        solver, status = _search(m, first, budget, emit, stats, budget.remaining(), first_search=False)
        if status == cp_model.INFEASIBLE:
            return Outcome("infeasible")
    return _read_outcome(m, solver, status, first, bound)


def _hinted_model(instance: Instance, options: list[AgentOptions], first: tuple[Plan, Allocation] | None,
                  budget: Budget, stats: SolveStats) -> ScheduleModel:
    """The one model over every agent, hinted with the construction's schedule."""
    m = ScheduleModel(instance, options)
    add_build_time(stats, m.build_time_s)
    if first is not None:
        lns.hint(m, *first)
    stats.variables, stats.constraints = m.num_variables, m.num_constraints
    return m


def _search(m: ScheduleModel, first: tuple[Plan, Allocation] | None, budget: Budget, emit: ProgressCallback,
            stats: SolveStats, limit_s: float, first_search: bool = True,
            stop_at: float | None = None) -> tuple[cp_model.CpSolver, int]:
    """CP-SAT on the one model, reporting only schedules better than the construction's; the first
    search also charges the model's build to the budget."""
    solver = budget.solver(limit_s)
    incumbent = extract.account(m.instance, *first).objective if first is not None else None
    reporter = SolutionReporter(emit, budget.started, "solve", best=incumbent, stop_at=stop_at)
    status = solver.solve(m.model, reporter)
    budget.charge(solver, m.num_variables + m.num_constraints if first_search else 0)
    if stats.time_to_first_s is None:
        stats.time_to_first_s = reporter.first_solution_s
    return solver, status


def _bound(solver: cp_model.CpSolver, status: int, anonymous_bound: float | None) -> float | None:
    """The better of CP-SAT's bound (when it has one) and the anonymous bound."""
    bound = solver.best_objective_bound if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
    if anonymous_bound is not None:
        bound = anonymous_bound if bound is None else max(bound, anonymous_bound)
    return bound


def _read_outcome(m: ScheduleModel, solver: cp_model.CpSolver, status: int, first: tuple[Plan, Allocation] | None,
                  bound: float | None) -> Outcome:
    """The solver's schedule, or the construction's when the search found none or a worse one."""
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Outcome("feasible", *first, bound) if first is not None else Outcome("unknown")
    plan = extract.read_plan(m, solver)
    allocation = extract.read_allocation(m, solver)
    if first is not None and extract.account(m.instance, *first).objective < extract.account(
            m.instance, plan, repair_allocation(m.instance, plan, allocation)).objective:
        plan, allocation = first  # the search ended before it caught up with the construction
    return Outcome("optimal" if status == cp_model.OPTIMAL else "feasible", plan, allocation, bound)


def build_result(
    instance: Instance,
    plan: Plan,
    allocation: Allocation | None,
    status: str,
    bound: float | None,
    budget: Budget,
    stats: SolveStats,
) -> SolveResult:
    allocation = repair_allocation(instance, plan, allocation or {})
    accounting = extract.account(instance, plan, allocation)
    objective = accounting.objective
    if status == "optimal" and bound is not None:
        bound = float(objective) if bound >= objective - 1e-6 else bound
    return SolveResult(
        instance=instance.name,
        status=status,  # type: ignore[arg-type]
        objective=objective,
        best_bound=None if bound is None else round(bound, 3),
        gap=None if (g := relative_gap(objective, bound)) is None else round(g, 6),
        wall_time_s=round(budget.elapsed(), 3),
        terms=accounting.terms,
        assignments=extract.assignments(instance, plan, allocation),
        coverage=extract.coverage_rows(instance, accounting.scheduled),
        kpis=extract.kpis(instance, plan, accounting),
        violations=accounting.violations,
        stats=stats,
    )


def _infeasible(instance: Instance, explanation: list[str], budget: Budget, stats: SolveStats) -> SolveResult:
    return SolveResult(instance=instance.name, status="infeasible", wall_time_s=round(budget.elapsed(), 3),
                       explanation=explanation, stats=stats)
