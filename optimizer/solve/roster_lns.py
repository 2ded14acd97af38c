"""Large-neighbourhood search inside one rostering model (shift demand, no interval demand).

Why: with two workers CP-SAT runs one full-model search and one thread that its own LNS shares
with local search and heuristics. On rostering benchmarks (Curtois) an outer loop that re-solves
a neighbourhood of (agent, day) cells with every other cell fixed to the incumbent improves the
schedule far faster. The model is built once: each step clones its proto, fixes the shift
variables of the cells outside the neighbourhood to their incumbent values and hints the whole
incumbent, so each sub-search starts from the best schedule and only has to beat it.

Neighbourhoods: a few agents over the whole horizon; every agent over a window of days; some
agents over a window; every agent over a window around a cover shortfall ("short"); agents who
could work a missing shift, over the whole horizon ("fill": with tight bounds on total minutes
and sequences, moving one shift reshapes an agent's whole roster); an agent whose request (a shift
asked for or a day off) the incumbent does not meet, with agents who could swap that day with them,
over the whole horizon ("wish": on Curtois Instance9 the cover cost is the same in the optimum 439
and in the 441-450 schedules the other kinds stall in; only requests differ). Each kind keeps its
own size, grown when its sub-models are solved to optimality and shrunk when they time out; the
kind that gained the most per second lately is chosen, except for a share of random choices.

When the objective allows it, column generation over whole rosters (optimizer.solve.roster_columns)
runs first: it proves a lower bound and recombines rosters into a schedule that no neighbourhood
reaches; the neighbourhoods go on from there, first inside the full model restricted to the shift
options of the relaxation's rosters, then in the full model. Measured at 60 s, 2 workers, seed 1
(benchmark runs of 2026-11-26; both searches spread by several % from run to run): Curtois
Instance4 1,718 -> 1,716 and Instance11 3,547 -> 3,443, both proven optimal; Instance5 1,149-1,238
-> 1,143-1,145 (but 1,233 in one run of 2026-11-27); Instance8 1,468-1,565 -> 1,306-1,438 (the
restricted model: 1,309-1,520); Instance9 443 -> 451-462 with the integer master alone, 439-444 with
the restricted model (its relaxation is weak, 406 against the optimum 439). With a dive in the
relaxation instead of the integer master (suite runs of 2026-11-29, seeds 1-3): Instance8 1,313 /
1,402 / 1,313, Instance12 4,145 / 4,149 / 4,143 (4,385-5,245 with the master); with pricing
without cutting planes where it can (see roster_columns._pricing_solver), Instance8 1,302 / 1,398 /
1,400, Instance12 4,042 / 4,040 / 4,041.
"""

from __future__ import annotations

import logging
import random
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from optimizer.domain.instance import Instance
from optimizer.domain.schedule import SolveStats
from optimizer.model.builder import ScheduleModel
from optimizer.solve.parallel import one_per_worker
from optimizer.solve.progress import ProgressCallback, ProgressEvent
from optimizer.solve.roster_columns import (
    Columns,
    Dive,
    MasterError,
    Roster,
    fixed_copy,
    hint_all,
    separable,
    shift_cells,
)

if TYPE_CHECKING:
    from optimizer.solve.solver import Budget

logger = logging.getLogger(__name__)

STEP_MAX_S = 1.0
"""Time limit of one neighbourhood's sub-search."""
EXPLORE = 0.3
"""Share of the steps that pick a neighbourhood kind at random rather than the best recent one."""

COLUMNS_SHARE = 0.5
"""Column generation stops when it has used this share of the time left when it started."""
DIVE_SHARE = 0.7
DIVE_LEAVE_FREE = 8
DIVE_NEAR = 0.01
"""Diving in the relaxation (see `_dive`) leaves this many agents free for the full model, and stops
when it has used DIVE_SHARE of the time left. It also dives when generation stopped with its
relaxation within DIVE_NEAR of its bound (Instance12 often stops at 4,040-4,041 against a bound of
4,013-4,037). Measured on Curtois Instance8 (60 s, 2 workers, seeds 1-3): with 3-8 agents left free
the full model completed the dive at 1,304-1,316 within 0.1-3.3 s; with 12-13 free it stalled at
1,400-1,501 (the heaviest rosters as hint). Fixing one agent at a time to the end: 1,320 in 19 s.
On Instance12 (2026-11-29, seeds 1-3) the dive had fixed 37-43 of 60 agents when its share (0.7)
ran out, and the completion found 4,040 (proven optimal by the bound), 4,146 and 4,340; with a share
of 0.5 and fixed steps the dive reached 36 agents and the run ended at 4,901."""
DIVE_COMPLETE_S = 2.0
DIVE_COMPLETE_PER_AGENT_S = 0.4
DIVE_CLOSE = 5
DIVE_DEEPER_SHARE = 0.5
"""Completing a dive (`_complete`): the search restricted to the relaxation's rosters gets
DIVE_COMPLETE_PER_AGENT_S per free agent (at least DIVE_COMPLETE_S: with 18 agents free on Instance12,
2 s gave 4,549 where 7 s gave 4,146), the full model DIVE_COMPLETE_S. When the schedule
costs more than DIVE_CLOSE above the dive's relaxation, the dive goes on to fix every agent, for
at most DIVE_DEEPER_SHARE of the time left after the first dive's share. Measured on Instance8 (60 s,
2 workers, seeds 1-3, 2026-11-29): where the dive's relaxation was 1,305.2 and 1,309.4 the restricted
search proved 1,305 and 1,309 optimal in under 0.3 s; in the third run the dive stopped at 19 agents
fixed (relaxation 1,310.2, the next step jumped to 1,333), the two searches found 1,405 and 1,403,
the dive to the last agent 1,405, and the neighbourhoods ended at 1,314 (1,401 with that seed when
the full model alone completed a dive to 22 agents, 5 s)."""
MASTER_PROBE_S = 2.0
MASTER_PROMISING = 1.15
"""The integer master first runs for MASTER_PROBE_S and goes on only when its schedule costs at most
MASTER_PROMISING times the relaxation's value: on Curtois it either is near the relaxation
(Instance5: 1,146-1,247 against 1,140.7) or far above it for its whole time (after 7-10 s:
Instance8 2,959 against 1,296.6, Instance9 1,091 against 405.7, Instance10 5,975 against 4,631,
Instance11 4,887 against 3,443), when the restricted model and the neighbourhoods do better."""
MASTER_MAX_S = 10.0
MASTER_SHARE = 0.25
"""The integer master's time limit: this share of the time left after generation, at most MASTER_MAX_S.
Measured on Instance5 (60 s, 2 workers, seed 1): the master needs 2.6-5.6 s to reach 1,145-1,148;
cut at 5 s it stopped at 1,247 once (the run then ended at 1,233 or 1,143)."""
RESTRICTED_MAX_S = 10.0
RESTRICTED_SHARE = 0.25
"""The restricted model's time limit (see `_recombine`): this share of the time left then, at most
RESTRICTED_MAX_S. More time does not change Curtois Instance8 (60 s, 2 workers, seeds 1-6,
2026-11-29): up to 30 s at a share of 0.8 ended at 1,303 / 1,400 / 1,312 / 1,304 / 1,303 / 1,308,
and 3 s at 1,313 / 1,306 / 1,308 / 1,308 / 1,399 / 1,314, within the seeds' spread at 10 s."""
RESTRICTED_LNS_SHARE = 0.5
"""After the recombination the neighbourhoods re-solve cells of the restricted model for this share
of the time left, then of the full model. Measured at 60 s, 2 workers (one run per cell; Instance8
spreads by 10% from seed to seed): Instance5 seeds 1 and 2 1,143 both ways, Instance9 443 -> 444,
Instance10 4,638 -> 4,631, Instance11 3,447 -> 3,444, Instance8 1,309 and 1,520 -> 1,405 and 1,417."""

Cell = tuple[str, int]
"""(agent id, day)."""


@dataclass
class Kind:
    """One kind of neighbourhood; `share` in (0, 1] scales its size (agents, days or both)."""

    name: str
    share: float
    rate: float = float("inf")  # gain per second, moving average; untried kinds go first
    tries: int = 0

    def adapt(self, solved: bool) -> None:
        self.share = min(1.0, self.share * 1.15) if solved else max(0.02, self.share / 1.15)

    def record(self, gain: float, seconds: float) -> None:
        observed = gain / max(seconds, 1e-3)
        self.rate = observed if self.rate == float("inf") else 0.7 * self.rate + 0.3 * observed
        self.tries += 1


@dataclass
class Incumbent:
    solution: list[int]
    objective: float
    solver: cp_model.CpSolver
    """The solver whose response holds `solution` (same variable indices as the model)."""


def improve_in_model(
    m: ScheduleModel,
    incumbent: Incumbent,
    budget: Budget,
    emit: ProgressCallback,
    stats: SolveStats,
    bound: float | None,
) -> tuple[Incumbent, float | None]:
    """Re-solve neighbourhoods of `m` around the incumbent until the budget is spent; returns the
    best schedule and the bound, raised by column generation when that ran. With several
    workers, as many one-worker sub-searches run at once (measured on Curtois Instance7: a
    neighbourhood of three agents solves to optimality about ten times faster with one worker and
    linearization level 2 than with two workers); each returns a complete solution of the whole
    model, kept when it is at least as good as the incumbent of that moment. A stop signal
    interrupts the latest sub-search; the others end within STEP_MAX_S."""
    instance: Instance = m.instance
    rng = random.Random(budget.settings.seed + 3)
    agent_ids = list(m.agents)
    days = instance.horizon.days
    cells: dict[Cell, list[int]] = {
        (agent_id, day): [x.index for x in day_vars.x] + [day_vars.works.index]
        for agent_id, agent_vars in m.agents.items() for day, day_vars in agent_vars.days.items()
    }
    kinds = [Kind("agents", min(1.0, 3 / max(1, len(agent_ids)))), Kind("days", 3 / days),
             Kind("block", 0.5), Kind("short", 3 / days), Kind("fill", min(1.0, 3 / max(1, len(agent_ids))))]
    requests = _requests(m)
    if requests:
        kinds.append(Kind("wish", min(1.0, 3 / max(1, len(agent_ids)))))
    shifts: dict[tuple[int, str], list[tuple[str, int]]] = {}  # (day, template) -> (agent, x index)
    for agent_id, agent_vars in m.agents.items():
        for day, day_vars in agent_vars.days.items():
            for option, x in zip(day_vars.options, day_vars.x, strict=True):
                shifts.setdefault((day, option.template_id), []).append((agent_id, x.index))
    demand = []
    for row in instance.shift_demand:
        day = m.grid.day_of_date(row.date)
        demand.append((day, row.required, row.under_weight, shifts.get((day, row.template), [])))
    parallel = max(1, budget.settings.workers)
    iteration = 0
    restricted, restricted_until = None, 0.0
    if separable(instance) and budget.remaining() > 0.05:
        try:
            incumbent, bound, restricted = _recombine(m, incumbent, budget, emit, stats, bound)
        except MasterError as error:  # rare (GLOP failed twice): the neighbourhoods go on from the incumbent
            logger.warning("roster columns: %s; going on without them", error)
        restricted_until = budget.remaining() * (1 - RESTRICTED_LNS_SHARE)

    def submit(pool: ThreadPoolExecutor) -> Future[_Step]:
        nonlocal iteration
        iteration += 1
        kind = _pick(kinds, rng)
        solution = incumbent.solution
        if kind.name == "wish":  # unmet requests, with the agents who could swap that day with the wisher
            aims = [Short(r.weight, r.day, [a for a in agent_ids if a != r.agent_id and r.partner(a, solution)],
                          r.agent_id) for r in requests if not r.met(solution)]
        else:  # cover shortfalls, with the agents free to work one more such shift
            aims = [Short(weight * (required - n), day, [a for a, i in xs if not solution[i]])
                    for day, required, weight, xs in demand if (n := sum(solution[i] for _, i in xs)) < required]
        free = _neighbourhood(kind, agent_ids, days, rng, aims)
        base = restricted if restricted is not None and budget.remaining() > restricted_until else m.model
        model = _fixed_outside(base, cells, free, solution)
        solver = budget.solver(min(STEP_MAX_S, budget.remaining()), workers=1, seed_offset=2000 + iteration)
        solver.parameters.linearization_level = 2
        return pool.submit(_run, solver, model, kind, len(free))

    def running() -> bool:
        return budget.remaining() > 0.05 and (bound is None or incumbent.objective > bound + 1e-6)

    for step in one_per_worker(parallel, submit, running):
        budget.charge(step.solver)
        solver, status = step.solver, step.status
        gain = 0.0
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and \
                solver.objective_value <= incumbent.objective + 1e-6:
            gain = incumbent.objective - solver.objective_value
            incumbent = Incumbent(list(solver.response_proto.solution), solver.objective_value, solver)
            if gain > 0:
                elapsed = budget.elapsed()
                stats.record(elapsed, incumbent.objective, bound)
                emit(ProgressEvent(elapsed, "improve", objective=incumbent.objective, bound=bound,
                                   solutions=iteration, improved=True,
                                   message=f"{step.kind.name} neighbourhood"))
        step.kind.adapt(status == cp_model.OPTIMAL)
        # On one worker the choice of kinds must not depend on the wall clock (determinism).
        step.kind.record(gain, solver.deterministic_time if budget.deterministic else step.seconds)
        logger.debug("roster lns: %s %d cells, %s, %.2f s, objective %.0f", step.kind.name, step.cells,
                     solver.status_name(status), step.seconds, incumbent.objective)
    stats.lns_iterations += iteration
    return incumbent, bound


def _recombine(m: ScheduleModel, incumbent: Incumbent, budget: Budget, emit: ProgressCallback, stats: SolveStats,
               bound: float | None) -> tuple[Incumbent, float | None, cp_model.CpModel | None]:
    """Column generation from the incumbent's rosters for at most COLUMNS_SHARE of the time left;
    then a dive when generation converged or came near its bound (`_dive`), else the integer master;
    then the full model restricted to the relaxation's rosters, the incumbent's and the dive's or the
    master's, hinted with the best schedule so far. Returns the best schedule, the better bound and
    the restricted model (None when generation did not get there)."""
    emit(ProgressEvent(budget.elapsed(), "improve", objective=incumbent.objective, bound=bound,
                       message="column generation over whole rosters"))
    columns = generated_columns(m, incumbent.solution, budget, COLUMNS_SHARE * budget.remaining())
    if columns is None:
        return incumbent, bound, None
    start = columns.rosters_of(incumbent.solution)
    if columns.bound is not None and (bound is None or columns.bound > bound):
        bound = float(columns.bound)
    if columns.abandoned or budget.remaining() <= 0.05 or (bound is not None and incumbent.objective <= bound + 1e-6):
        return incumbent, bound, None
    best = incumbent
    logger.info("roster columns: relaxation %.2f, %d of %d agents integral, %d support columns",
                columns.relaxation or 0, sum(len(r) == 1 for r in columns.support.values()), len(columns.support),
                sum(len(r) for r in columns.support.values()))
    keep = [start]
    dived = _dive(m, columns, budget)
    if dived is not None:
        keep.append(columns.rosters_of(dived.solution))
        if dived.objective < best.objective - 1e-6:
            best = dived
    master = None if dived is not None else _integer_master(columns, start, budget)
    if master is not None and (schedule := _schedule_of(m, master, budget)) is not None:
        keep.append(master)
        if schedule.objective < best.objective - 1e-6:
            best = schedule
    restricted = columns.restricted_model(keep)
    solver = budget.solver(min(RESTRICTED_MAX_S, RESTRICTED_SHARE * budget.remaining()), seed_offset=5001)
    status = solver.solve(hint_all(restricted, best.solution))
    budget.charge(solver)
    logger.info("roster columns: restricted model %s, %s", solver.status_name(status),
                solver.objective_value if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else "-")
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and solver.objective_value < best.objective - 1e-6:
        best = Incumbent(list(solver.response_proto.solution), solver.objective_value, solver)
    if best is not incumbent:
        elapsed = budget.elapsed()
        stats.record(elapsed, best.objective, bound)
        emit(ProgressEvent(elapsed, "improve", objective=best.objective, bound=bound, improved=True,
                           message="rosters recombined"))
    return best, bound, restricted


def _dive(m: ScheduleModel, columns: Columns, budget: Budget) -> Incumbent | None:
    """A schedule by diving (`Columns.dive`) in the relaxation, when generation converged or ended
    within DIVE_NEAR of its bound, until DIVE_LEAVE_FREE agents are free, then completed by the full
    model (`_complete`); when that schedule is not within DIVE_CLOSE of the dive's relaxation, the
    dive goes on to the last agent. For at most DIVE_SHARE of the time left, and DIVE_DEEPER_SHARE
    more for the deeper dive."""
    near = columns.bound is not None and columns.relaxation is not None and \
        columns.relaxation - columns.bound <= DIVE_NEAR * abs(columns.relaxation)
    if not (columns.converged or near):
        return None
    stop_at = budget.remaining() * (1 - DIVE_SHARE)
    deeper_stop_at = stop_at * (1 - DIVE_DEEPER_SHARE)

    def solver_for(seconds: float) -> cp_model.CpSolver:
        return budget.solver(seconds, workers=1, seed_offset=5002)

    dived = columns.dive(lambda: budget.remaining() - stop_at, solver_for, budget.charge, budget.settings.workers,
                         leave_free=DIVE_LEAVE_FREE)
    if dived is None:
        return None
    best = _complete(m, dived, budget)
    if best is None or best.objective > dived.least_objective + DIVE_CLOSE:
        deeper = columns.dive(lambda: budget.remaining() - deeper_stop_at, solver_for, budget.charge,
                              budget.settings.workers, start=dived)
        if deeper is not None and (schedule := _complete(m, deeper, budget)) is not None \
                and (best is None or schedule.objective < best.objective):
            best = schedule
    return best


def _complete(m: ScheduleModel, dived: Dive, budget: Budget) -> Incumbent | None:
    """The best schedule of the full model with the dive's fixed agents fixed, hinted with the free
    agents' heaviest rosters: first with the free agents restricted to the shift options of their
    rosters in the dive's relaxation, then, unless that schedule meets the relaxation, unrestricted
    (time limits: DIVE_COMPLETE_PER_AGENT_S and DIVE_COMPLETE_S)."""
    rosters = {**dived.fixed, **dived.heaviest}
    allowed = {agent_id: set(roster).union(*dived.support.get(agent_id, [])) for agent_id, roster in rosters.items()}
    best: Incumbent | None = None
    for restrict in (True, False) if dived.heaviest else (False,):
        model = fixed_copy(m.model, (
            (x.index, int(cell in allowed[agent_id]) if agent_id in dived.fixed else 0)
            for agent_id, agent_vars in m.agents.items() for cell, x, _ in shift_cells(agent_vars)
            if agent_id in dived.fixed or (restrict and cell not in allowed[agent_id])))
        if best is not None:
            hint_all(model, best.solution)
        else:
            model.clear_hints()
            for agent_id, agent_vars in m.agents.items():
                for cell, x, _ in shift_cells(agent_vars):
                    model.add_hint(x, cell in rosters[agent_id])
        limit = DIVE_COMPLETE_S
        if restrict:
            limit = max(limit, DIVE_COMPLETE_PER_AGENT_S * len(dived.heaviest))
        solver = budget.solver(max(0.05, min(limit, budget.remaining())), seed_offset=5003)
        status = solver.solve(model)
        budget.charge(solver)
        found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        logger.info("roster columns: dive, %d agents fixed (relaxation %.2f), %s: %s %s", len(dived.fixed),
                    dived.relaxation, "restricted" if restrict else "full model", solver.status_name(status),
                    solver.objective_value if found else "-")
        if found and (best is None or solver.objective_value < best.objective):
            best = Incumbent(list(solver.response_proto.solution), solver.objective_value, solver)
        if best is not None and best.objective <= dived.least_objective:
            break
    return best


def _integer_master(columns: Columns, start: dict[str, Roster], budget: Budget) -> dict[str, Roster] | None:
    """The integer master for MASTER_PROBE_S, then for the rest of its time limit only when its best
    schedule is within MASTER_PROMISING of the relaxation."""
    limit = min(MASTER_MAX_S, MASTER_SHARE * budget.remaining())
    solver = budget.solver(min(MASTER_PROBE_S, limit))
    master = columns.integer_master(start, solver)
    budget.charge(solver)
    if master is None or solver.response_proto.status == cp_model.OPTIMAL or limit <= MASTER_PROBE_S \
            or solver.objective_value > MASTER_PROMISING * max(1.0, columns.relaxation or 0.0):
        return master
    solver = budget.solver(limit - MASTER_PROBE_S)
    better = columns.integer_master(master, solver)
    budget.charge(solver)
    return better or master


def generated_columns(m: ScheduleModel, solution: list[int], budget: Budget, limit_s: float) -> Columns | None:
    """Column generation over `m` from the rosters of `solution` (a schedule of `m`) for at most
    `limit_s`; None when it cannot start (an agent's own model differs from its part of `m`, or the
    schedule breaks one)."""
    stop_at = budget.remaining() - limit_s

    def solver_for(seconds: float) -> cp_model.CpSolver:
        return budget.solver(seconds, workers=1, seed_offset=5000)

    try:
        columns = Columns.build(m)
    except ValueError as error:
        logger.warning("roster columns: skipped, %s", error)
        return None
    if not columns.add_rosters(columns.rosters_of(solution), solver_for, budget.charge):
        logger.warning("roster columns: the schedule breaks an agent's own model; skipped")
        return None
    columns.generate(lambda: budget.remaining() - stop_at, solver_for, budget.charge, budget.settings.workers)
    logger.info("roster columns: %d rounds, %s, bound %s, %d columns", columns.rounds,
                "converged" if columns.converged else "abandoned" if columns.abandoned else "stopped", columns.bound,
                sum(len(c) for c in columns.columns.values()))
    return columns


def _schedule_of(m: ScheduleModel, rosters: dict[str, Roster], budget: Budget) -> Incumbent | None:
    """The full model's solution with each agent's shifts fixed to `rosters`."""
    model = fixed_copy(m.model, (
        (x.index, int((day, k) in rosters[agent_id]))
        for agent_id, agent_vars in m.agents.items()
        for day, day_vars in agent_vars.days.items() for k, x in enumerate(day_vars.x)))
    model.proto.solution_hint.vars.clear()  # the construction's hint, for other shifts
    model.proto.solution_hint.values.clear()
    solver = budget.solver(min(STEP_MAX_S * 5, budget.remaining()), workers=1, seed_offset=5001)
    status = solver.solve(model)
    budget.charge(solver)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        logger.warning("roster columns: the recombined rosters do not complete to a schedule (%s)",
                       solver.status_name(status))
        return None
    return Incumbent(list(solver.response_proto.solution), solver.objective_value, solver)


@dataclass
class _Step:
    solver: cp_model.CpSolver
    status: int
    kind: Kind
    cells: int
    seconds: float


def _run(solver: cp_model.CpSolver, model: cp_model.CpModel, kind: Kind, cells: int) -> _Step:
    started = time.perf_counter()
    status = solver.solve(model)
    return _Step(solver, status, kind, cells, time.perf_counter() - started)


def _fixed_outside(model: cp_model.CpModel, cells: dict[Cell, list[int]], free: set[Cell],
                   solution: list[int]) -> cp_model.CpModel:
    """A copy of `model` with the variables of every cell outside `free` fixed to `solution`,
    hinted with the whole of `solution`."""
    return hint_all(fixed_copy(model, ((index, solution[index]) for cell, indices in cells.items() if cell not in free
                                       for index in indices)), solution)


def _pick(kinds: list[Kind], rng: random.Random) -> Kind:
    untried = [k for k in kinds if k.tries == 0]
    if untried:
        return untried[0]
    if rng.random() < EXPLORE:
        return rng.choice(kinds)
    return max(kinds, key=lambda k: (k.rate, rng.random()))  # ties (all stalled at 0): at random


@dataclass
class Short:
    """A cover shortfall of the incumbent: its cost and the agents who could work one more such shift;
    or an agent's unmet request (`wisher`) and the agents who could swap that day with them."""

    cost: int
    day: int
    takers: list[str]
    wisher: str | None = None


@dataclass
class Request:
    """An agent's wish about one day: to work (`on`) or not to work one of the shifts it names (a
    template, or any shift); `by_agent` holds every agent's Booleans of those shifts that day."""

    agent_id: str
    day: int
    weight: int
    on: bool
    by_agent: dict[str, list[int]]

    def met(self, solution: list[int]) -> bool:
        works = any(solution[i] for i in self.by_agent[self.agent_id])
        return works if self.on else not works

    def partner(self, agent_id: str, solution: list[int]) -> bool:
        """Whether `agent_id` holds what the wisher wants (on) or could take what the wisher does not (off)."""
        works = any(solution[i] for i in self.by_agent.get(agent_id, ()))
        return works if self.on else not works and bool(self.by_agent.get(agent_id))


def _requests(m: ScheduleModel) -> list[Request]:
    """Every weighted day-off preference and shift request of the instance, on the model's Booleans."""
    if m.instance.weights.preferences == 0:
        return []
    out = []
    for agent_id, agent_vars in m.agents.items():
        prefs = agent_vars.agent.preferences
        wishes = [(d.date, None, False, d.weight) for d in prefs.days_off]
        wishes += [(r.date, r.template, r.on, r.weight) for r in prefs.shift_requests]
        for date, template_id, on, weight in wishes:
            day = m.grid.day_of_date(date)
            if not weight or not 0 <= day < m.instance.horizon.days:
                continue
            by_agent = {
                other: [x.index for option, x in zip(day_vars.options, day_vars.x, strict=True)
                        if template_id is None or option.template_id == template_id]
                for other, other_vars in m.agents.items() if (day_vars := other_vars.days.get(day)) is not None}
            by_agent.setdefault(agent_id, [])
            out.append(Request(agent_id, day, weight * m.instance.weights.preferences, on, by_agent))
    return out


def _neighbourhood(kind: Kind, agent_ids: list[str], days: int, rng: random.Random,
                   short: list[Short]) -> set[Cell]:
    """The free cells of one step. Around a cover shortfall (picked by its cost): "short" frees every
    agent on a window of days, "fill" frees agents who could work the missing shift over the whole
    horizon (moving a shift there reshapes their whole sequence of working days). "wish" (given
    unmet requests as `short`) frees the wishing agent and agents who could swap with them, over the
    whole horizon. All fall back to random choices when there is nothing to aim at."""
    gap = rng.choices(short, weights=[s.cost for s in short])[0] if short else None
    if kind.name in ("fill", "wish"):
        size = max(1, round(kind.share * len(agent_ids)))
        takers = [gap.wisher] if gap is not None and gap.wisher is not None else []
        if gap is not None:
            takers += rng.sample(gap.takers, min(size - len(takers), len(gap.takers)))
        others = [a for a in agent_ids if a not in takers]
        chosen = takers + rng.sample(others, min(len(others), size - len(takers)))
        return {(agent_id, day) for agent_id in chosen for day in range(days)}
    if kind.name == "short":
        length = max(1, round(kind.share * days))
        if gap is not None:
            first = min(max(0, gap.day - rng.randrange(length)), days - length)
        else:
            first = rng.randrange(days - length + 1)
        return {(agent_id, d) for agent_id in agent_ids for d in range(first, first + length)}
    if kind.name == "agents":
        chosen = rng.sample(agent_ids, max(1, round(kind.share * len(agent_ids))))
        window = range(days)
    elif kind.name == "days":
        chosen = agent_ids
        length = max(1, round(kind.share * days))
        first = rng.randrange(days - length + 1)
        window = range(first, first + length)
    else:  # block: about half the agents and half the days at share 0.5
        chosen = rng.sample(agent_ids, max(1, round(kind.share * len(agent_ids))))
        length = max(1, round(kind.share * days))
        first = rng.randrange(days - length + 1)
        window = range(first, first + length)
    return {(agent_id, day) for agent_id in chosen for day in window}
