"""Construction and large-neighbourhood search for instances too large for one model.

Construction: agents in batches of two; each batch is one small CP-SAT model of its agents' own
rules, in which a worked interval earns what one more agent is worth given the earlier batches.
All hard rules are per agent, so the schedule is complete and feasible after the last batch. On
large instances as many batches are solved at once as there are workers.

Improvement: repeatedly free a neighbourhood of agents (from one skill group, or from the groups
serving the worst-covered skill, or at random), re-solve it with everyone else fixed and the
incumbent as a hint, and keep the result when the exactly recomputed objective improves. The
neighbourhood grows when sub-models solve to optimality and shrinks when they time out. With
several workers, as many one-worker sub-solves run at once, each kept when it improves the
incumbent of the moment it ends (measured on demo-small: a neighbourhood of three agents over the
week solves to optimality in 1.4-2.2 s on one worker and mostly not within 3 s on two).
"""

from __future__ import annotations

import logging
import random
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from ortools.sat.python import cp_model

from optimizer.domain.baseline import change_weights_of
from optimizer.domain.instance import BreakRule, Instance, ShiftTemplate
from optimizer.domain.schedule import SolveStats
from optimizer.model import changes, cost, preferences, shifts
from optimizer.model.builder import HARD_FAMILIES, ScheduleModel
from optimizer.model.coverage import CoverageVars, coverage_terms
from optimizer.model.options import AgentOptions, ShiftOption
from optimizer.model.plan import (
    Allocation,
    FixedPart,
    PlacedShift,
    Plan,
    group_of,
    repair_allocation,
    working_counts,
)
from optimizer.model.shifts import break_starts
from optimizer.solve import extract
from optimizer.solve.coverage_state import CoverageState
from optimizer.solve.extract import agent_terms
from optimizer.solve.parallel import add_build_time, one_per_worker
from optimizer.solve.progress import ProgressCallback, ProgressEvent
from optimizer.timegrid import TimeGrid

if TYPE_CHECKING:
    from optimizer.solve.solver import Budget, Outcome

logger = logging.getLogger(__name__)

OPTIONS_PER_SUBMODEL = 700
"""Target size of a construction batch or an agent neighbourhood, in shift options (about five
full-time agents of the generated instances: such a model solves in a second or two)."""

GREEDY_BATCH_AGENTS = 2
GREEDY_FAMILIES = [f for f in HARD_FAMILIES if f is not shifts.add_breaks_inside_their_windows] + [
    cost.add_labor_cost, preferences.add_preferences, changes.add_change_penalties]
PARALLEL_BATCHES_FROM = 40
"""Construction solves several batches at once only from this many batches on: a batch in flight
does not see the others, which costs less the smaller a share of the agents each batch is. Measured
(2 workers, seed 1): multiskill-medium (75 batches) construction 8.5 s -> 5.2 s, its objective
248,586 -> 259,252, and the final objective at 60 s about 1% higher (6 runs 140,755-143,694 against
139,683-142,385); multiskill-large (400 batches) first schedule 61.7 -> 40.0 s on a slow machine,
final 1,659,974 -> 1,447,277; demo-small (13 batches, 0.4 s either way) 40,657 -> 49,122."""
LNS_STEP_MAX_S = 1.0
DAY_NEIGHBOURHOOD_EVERY = 5
"""Every so many steps the neighbourhood kind with the lower recent gain rate is tried anyway.
Measured: on the generated instances agent neighbourhoods (a few agents, whole week) gain far more
than day windows; on rostering benchmarks (Curtois) windows of many days for all agents do."""
DAY_WINDOW_MAX = 14
AGENTS_PER_CHECK = 50
"""Best-response sweeps recompute the objective exactly after every len(agents) / 50 agents
(measured on medium: an exact recomputation takes 0.03 s, one agent's best response 0.1 s)."""
BEST_RESPONSE_MODELS_KEPT = 400
"""Best-response sweeps keep each agent's model for the next sweep up to this many agents (measured
on multiskill-large: about 0.4 MB of memory per agent model; a model takes 0.015-0.03 s to build)."""
RESTART_PROBE_SHARE = 0.1
RESTART_PROBE_MIN_S = 5.0
RESTART_BELOW_GAIN = 0.001
"""After the sweeps converge, the neighbourhoods run for a probe (a tenth of the sweeps' time,
at least 5 s); when that gains under 0.1% and there is time for another round of sweeps, the
sweeps start again from the first schedule in another order of the agents, and the better result
goes on (once the probe gains more, the same neighbourhood search goes on to the end). Sweeps in
different orders from one schedule end 1-2% apart, while on the generated instances the
neighbourhoods gain about 0.01% in the 30 s after the sweeps converge. Measured at 300 s, 2 workers,
seed 1: multiskill-medium's re-optimization after the forecast change 208,672 (83.0 agent-h short,
237 agent-days changed) -> 204,804-204,856 in three runs (81.0-81.25 h, 218-219; 8 restarts ending
at 204,996-209,815), multiskill-medium 141,342 -> 141,391 (10 restarts; no gain). At 60 s none fits on
either; demo-small's neighbourhoods keep gaining, so it does not restart."""
SWEEPS_LEAVE = 0.1
"""The best-response sweeps run until they converge or only this share of the time they started
with is left (then the CP-SAT neighbourhoods). Measured at 60 s, 2 workers, with exact marginal
values: multiskill-large seed 1 1,178,638 -> 862,475 (8% left: 897,326), seed 2 (8%) 1,193,497 ->
927,296 against leaving half (its sweeps had not converged, and its CP-SAT neighbourhoods gain far
less per second); multiskill-medium and its re-optimization about equal (their sweeps converge by
35 s)."""
TARGETED_SHARE = 0.5
"""Share of the neighbourhoods drawn around a day that is short (see `short_day`)."""


def solve_lns(
    instance: Instance,
    options: list[AgentOptions],
    first: tuple[Plan, Allocation],
    budget: Budget,
    emit: ProgressCallback,
    stats: SolveStats,
    bound: float | None,
) -> Outcome:
    from optimizer.solve.solver import Outcome

    plan, allocation = first
    objective = first_objective = extract.account(instance, plan, allocation).objective
    stats.record(budget.elapsed(), objective, bound)
    multi_skill = any(len(group_of(a)) > 1 for a in instance.agents)
    reserve = allocation_time(budget) + 0.5 if multi_skill else 0.2
    models: dict[tuple[str, ...], ScheduleModel] | None = {} if len(options) <= BEST_RESPONSE_MODELS_KEPT else None

    def spent() -> float:  # in the units of budget.remaining(), so that one worker stays deterministic
        return budget.used_deterministic if budget.deterministic else budget.elapsed()

    started, built = spent(), stats.build_time_s
    plan, allocation, objective = best_response(instance, options, dict(first[0]), objective, budget, emit, stats,
                                                bound, models=models)
    # What another round of sweeps takes: as long, less the agent models it builds once (wall-clock).
    sweeps_s = spent() - started
    if models is not None and not budget.deterministic:
        sweeps_s -= stats.build_time_s - built
    restart = 0
    while budget.remaining() > reserve and (bound is None or objective > bound + 1e-6):
        probe = max(RESTART_PROBE_MIN_S, RESTART_PROBE_SHARE * sweeps_s)
        restart_fits = budget.remaining() - probe >= sweeps_s + reserve
        plan, allocation, objective, stalled = improve(instance, options, plan, allocation, objective, budget, emit,
                                                       stats, bound, reserve, round_=restart,
                                                       probe_s=probe if restart_fits else None)
        if not stalled:
            break
        restart += 1
        emit(ProgressEvent(budget.elapsed(), "improve", message=f"restart {restart}: sweeps in another order"))
        started, marked = spent(), len(stats.progress)
        again, again_allocation, again_objective = best_response(
            instance, options, dict(first[0]), first_objective, budget, lambda event: None, stats, bound,
            order=restart, models=models)
        del stats.progress[marked:]  # the trace follows the incumbent, not the restart's own descent
        sweeps_s = spent() - started
        logger.debug("restart %d: sweeps from the first schedule in another order: %d (incumbent %d)",
                     restart, again_objective, objective)
        if again_objective < objective:
            plan, allocation, objective = again, again_allocation, again_objective
            stats.record(budget.elapsed(), objective, bound)
            emit(ProgressEvent(budget.elapsed(), "improve", objective=objective, bound=bound, improved=True,
                               message=f"restart {restart} is better"))
    allocation = best_allocation(instance, plan, allocation, budget)
    return Outcome("feasible", plan, allocation, bound)


def allocation_time(budget: Budget) -> float:
    return max(1.0, min(5.0, budget.settings.time_limit_s * 0.02))


def best_allocation(instance: Instance, plan: Plan, allocation: Allocation, budget: Budget) -> Allocation:
    """With every shift fixed, the best split of each multi-skill group's working agents over its
    skills, interval by interval (a small model without shift variables)."""
    if all(len(group_of(a)) == 1 for a in instance.agents):
        return allocation
    model = cp_model.CpModel()
    cov = CoverageVars()
    counts = working_counts(instance, plan)
    current = repair_allocation(instance, plan, allocation)
    terms = coverage_terms(model, instance, {}, {}, [True] * instance.horizon.num_intervals, counts, current, cov)
    model.minimize(terms.total())
    for group, by_skill in cov.alloc.items():
        for skill, values in by_skill.items():
            for t, var in enumerate(values):
                if isinstance(var, cp_model.IntVar):
                    model.add_hint(var, current[group][skill][t])
    solver = budget.solver(allocation_time(budget))
    status = solver.solve(model)
    budget.charge(solver)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return current
    found = {group: {skill: [int(solver.value(v)) for v in values] for skill, values in by_skill.items()}
             for group, by_skill in cov.alloc.items()}
    before = extract.account(instance, plan, current).objective
    after = extract.account(instance, plan, repair_allocation(instance, plan, found)).objective
    return found if after < before else current


def best_response(
    instance: Instance,
    options: list[AgentOptions],
    plan: Plan,
    objective: int,
    budget: Budget,
    emit: ProgressCallback,
    stats: SolveStats,
    bound: float | None,
    order: int = 0,
    models: dict[tuple[str, ...], ScheduleModel] | None = None,
) -> tuple[Plan, Allocation, int]:
    """Sweeps over the agents: take one agent out and schedule it again against what everyone
    else covers. The marginal values are exact for one agent (it changes each interval's coverage
    by at most one, and they count the re-split of the multi-skill groups), so comparing the
    agent's old and new shifts under them is an exact best response for coverage plus the agent's
    own terms. The global terms (fairness, patterns, shift demand) are checked by recomputing the
    objective exactly at checkpoints: a stretch of the sweep that made it worse loses its
    multi-skill moves (a safety net: a split the transfers left short of the best), then if still
    worse all of its moves.
    A checkpoint every `AGENTS_PER_CHECK`-th of the agents keeps the recomputations (linear in the
    agents) at about a tenth of the sweep's time.
    Stops when a sweep gains under 0.1% or when `SWEEPS_LEAVE` of the remaining time is left.
    `order` draws another order of the agents (restarts); `models` keeps each agent's model from one
    call to the next (see BEST_RESPONSE_MODELS_KEPT)."""
    rng = random.Random(budget.settings.seed + 2 + 7919 * order)
    grid = TimeGrid(instance.horizon)
    step = grid.step
    horizon = instance.horizon.num_intervals
    stop_at = budget.remaining() * SWEEPS_LEAVE
    state = CoverageState(instance, plan)

    def score(agent_options: AgentOptions, shifts: dict[int, PlacedShift], value: np.ndarray,
              shift_values: dict[tuple[int, str], int]) -> float:
        gain = sum(int(value[t]) for shift in shifts.values() for t in shift.working_intervals(step) if t < horizon)
        gain += sum(shift_values.get((day, shift.option.template_id), 0) for day, shift in shifts.items())
        return agent_terms(instance, agent_options.agent, shifts, grid).total - gain

    def exact() -> int:
        return extract.account(instance, plan, repair_allocation(instance, plan, {})).objective

    def revert(moves: list[tuple[str, dict[int, PlacedShift], dict[int, PlacedShift]]]) -> None:
        for agent_id, before, after in reversed(moves):
            state.add(agent_id, after, -1)
            state.add(agent_id, before, +1)
            plan[agent_id] = before

    check_every = max(1, -(-len(options) // AGENTS_PER_CHECK))
    sweep = 0
    while budget.remaining() > stop_at and (bound is None or objective > bound + 1e-6):
        sweep += 1
        at_start = objective
        order = list(options)
        rng.shuffle(order)
        moves, kept = 0, 0
        pending: list[tuple[str, dict[int, PlacedShift], dict[int, PlacedShift]]] = []
        for position, agent_options in enumerate(order):
            if budget.remaining() <= stop_at:
                break
            agent_id = agent_options.agent.id
            current = plan.get(agent_id, {})
            state.add(agent_id, current, -1)
            values = state.marginal_values()
            shift_values = state.shift_values()
            group = state.group_of[agent_id]
            status, sub_plan = _greedy_batch(instance, [agent_options], {group: values[group]}, budget, 2.0,
                                             sweep, stats, shift_values, models)
            stats.lns_iterations += 1
            chosen = current
            if sub_plan is not None and sub_plan[agent_id] != current:
                if score(agent_options, sub_plan[agent_id], values[group], shift_values) < score(
                        agent_options, current, values[group], shift_values):
                    chosen = sub_plan[agent_id]
                    plan[agent_id] = chosen
                    pending.append((agent_id, current, chosen))
                    moves += 1
            state.add(agent_id, chosen, +1)
            last = position + 1 == len(order) or budget.remaining() <= stop_at
            if pending and (last or (position + 1) % check_every == 0):
                value = exact()
                multi = [m for m in pending if len(state.group_of[m[0]]) > 1]
                if value > objective and multi:  # the estimate misled: undo the multi-skill moves
                    revert(multi)
                    pending = [m for m in pending if len(state.group_of[m[0]]) == 1]
                    value = exact()
                if value > objective:  # a global term got worse: undo the stretch
                    revert(pending)
                    pending, value = [], objective
                kept += len(pending)
                objective, pending = value, []
        elapsed = budget.elapsed()
        stats.record(elapsed, objective, bound)
        emit(ProgressEvent(elapsed, "improve", objective=objective, bound=bound, improved=objective < at_start,
                           solutions=stats.lns_iterations, message=f"sweep {sweep}: {kept} agents moved"))
        logger.debug("best-response sweep %d: %d moves, %d kept, %d -> %d", sweep, moves, kept, at_start, objective)
        if at_start - objective < 0.001 * at_start:
            break
    return plan, repair_allocation(instance, plan, {}), objective


def _size(agent_options: AgentOptions) -> int:
    return sum(len(v) for v in agent_options.by_day.values())


def _batches(options: list[AgentOptions], rng: random.Random) -> list[list[AgentOptions]]:
    order = list(options)
    rng.shuffle(order)
    batches: list[list[AgentOptions]] = [[]]
    size = 0
    for agent_options in order:
        if batches[-1] and size + _size(agent_options) > OPTIONS_PER_SUBMODEL:
            batches.append([])
            size = 0
        batches[-1].append(agent_options)
        size += _size(agent_options)
    return batches


def _restrict(agent_options: AgentOptions, plan: Plan, window: set[int]) -> tuple[AgentOptions, dict]:
    """Options of an agent whose days outside `window` stay as in the plan (and whose pinned days
    inside it stay pinned, breaks included)."""
    current = plan.get(agent_options.agent.id, {})
    restricted = AgentOptions(agent=agent_options.agent,
                              pinned={day: pin for day, pin in agent_options.pinned.items() if day in window})
    frozen = {}
    for day, options in agent_options.by_day.items():
        if day in window:
            restricted.by_day[day] = options
        elif day in current:
            restricted.by_day[day] = [current[day].option]
            frozen[(agent_options.agent.id, day)] = current[day]
        else:
            restricted.by_day[day] = []
    return restricted, frozen


def _solve_submodel(
    instance: Instance,
    free: list[AgentOptions],
    plan: Plan,
    allocation: Allocation,
    budget: Budget,
    limit_s: float,
    seed_offset: int,
    stats: SolveStats,
    window: set[int] | None = None,
    hard_only: bool = False,
    workers: int | None = None,
) -> tuple[int, Plan | None, Allocation | None]:
    """Re-solve `free` agents (only the `window` days, when given) with everyone else fixed."""
    frozen: dict = {}
    if window is not None:
        restricted = []
        for agent_options in free:
            options, agent_frozen = _restrict(agent_options, plan, window)
            restricted.append(options)
            frozen.update(agent_frozen)
        free = restricted
    free_ids = {o.agent.id for o in free}
    fixed_ids = [a.id for a in instance.agents if a.id in plan and a.id not in free_ids]
    fixed = FixedPart.of(instance, plan, fixed_ids, allocation, frozen)
    m = ScheduleModel(instance, free, fixed, frozen=frozen, families=HARD_FAMILIES if hard_only else None)
    add_build_time(stats, m.build_time_s)
    stats.variables = max(stats.variables, m.num_variables)
    stats.constraints = max(stats.constraints, m.num_constraints)
    hint(m, plan, allocation)
    if not hard_only:
        complete_hint(m, budget)
    solver = budget.solver(limit_s, workers=workers, seed_offset=seed_offset, submodel=not hard_only)
    status = solver.solve(m.model)
    budget.charge(solver, m.num_variables + m.num_constraints)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return status, None, None
    return status, extract.read_plan(m, solver), extract.read_allocation(m, solver)


class BreakWindows:
    """What a break of a given duration loses when it starts at each interval: the per-interval
    values it covers, from prefix sums (past the horizon a break loses nothing)."""

    def __init__(self, value: np.ndarray, step: int) -> None:
        self.prefix: list[int] = [0, *np.cumsum(value).tolist()]
        self.step = step
        self._lost: dict[int, list[int]] = {}
        self._shapes: dict[tuple[str, int], list[tuple[BreakRule, int, int, int]]] = {}

    def window(self, start: int, duration: int) -> int:
        horizon = len(self.prefix) - 1
        return self.prefix[min((start + duration) // self.step, horizon)] - self.prefix[min(start // self.step, horizon)]

    def lost(self, duration: int) -> list[int]:
        """By start interval i (a start at i * step): the value a break of `duration` loses."""
        if duration not in self._lost:
            prefix = np.asarray(self.prefix)
            horizon = len(prefix) - 1
            starts = np.arange(horizon + 1)
            self._lost[duration] = (prefix[np.minimum(starts + duration // self.step, horizon)] - prefix[starts]).tolist()
        return self._lost[duration]

    def shape(self, option: ShiftOption, template: ShiftTemplate) -> list[tuple[BreakRule, int, int, int]]:
        """Per break of a shift of this template and length: the rule, its first and last allowed
        start (minutes after the shift's start, leaving room for the breaks after it), and the
        work required before the next break."""
        key = (template.id, option.length)
        if key not in self._shapes:
            gap = template.min_work_between_breaks_minutes
            allowed = [break_starts(option, k, self.step) for k in range(len(option.break_rules))]
            latest = [r[-1] if r else -1 for r in allowed]
            for k in range(len(allowed) - 2, -1, -1):
                latest[k] = min(latest[k], latest[k + 1] - option.break_rules[k].duration_minutes - gap)
            self._shapes[key] = [(rule, r.start - option.start, latest[k] - option.start, gap)
                                 for k, (rule, r) in enumerate(zip(option.break_rules, allowed, strict=True))]
        return self._shapes[key]


def best_breaks(option: ShiftOption, template: ShiftTemplate, windows: BreakWindows) -> tuple[int, tuple]:
    """Break starts for an option that lose the least value (each break in order, at its best
    position after the previous one), and the value lost. (Called for every shift option of every
    construction batch and best response: the allowed offsets of a template and length are worked
    out once per `windows`, and positions on the interval grid are looked up in `windows.lost`.)"""
    step = windows.step
    lost, placed, earliest = 0, [], option.start
    for rule, first_offset, last_offset, gap in windows.shape(option, template):
        duration = rule.duration_minutes
        first, last = option.start + first_offset, option.start + last_offset
        if earliest > first:
            first += -(-(earliest - first) // step) * step
        if first > last:
            raise ValueError(f"no room for {rule.name} in {option}")
        by_interval = windows.lost(duration)
        if first % step == 0 and last // step < len(by_interval):
            values = by_interval[first // step:last // step + 1]
            value = min(values)
            start = first + values.index(value) * step
        else:  # off the grid or past the horizon
            start = min(range(first, last + 1, step), key=lambda p: windows.window(p, duration))  # noqa: B023
            value = windows.window(start, duration)
        lost += value
        placed.append((rule, start))
        earliest = start + duration + gap
    return lost, tuple(placed)


def published_breaks(instance: Instance, agent_id: str, option: ShiftOption, step: int) -> tuple | None:
    """The published break placement of `option` when it is the agent's published shift of that day
    and those breaks are still allowed; None otherwise."""
    published = changes.published_shifts(instance).get((agent_id, option.day))
    if published is None or (published.template_id, published.start, published.end) != (
            option.template_id, option.start, option.end):
        return None
    placed = []
    for k, rule in enumerate(option.break_rules):
        start = published.breaks.get(rule.name)
        if start not in break_starts(option, k, step):
            return None
        placed.append((rule, start))
    return tuple(placed)


def _cheaper_breaks(published: tuple, best: tuple, best_lost: int, windows: BreakWindows,
                    move_break: int) -> tuple[int, tuple]:
    """The published breaks of an unchanged shift, or the best placement when the value it saves
    exceeds `move_break` per moved break; with the value lost (change cost included)."""
    published_lost = sum(windows.window(start, rule.duration_minutes) for rule, start in published)
    moved = sum(1 for (_, a), (_, b) in zip(published, best, strict=True) if a != b)
    if best_lost + move_break * moved < published_lost:
        return best_lost + move_break * moved, best
    return published_lost, published


def _greedy_batch(
    instance: Instance,
    batch: list[AgentOptions],
    values: dict[tuple[str, ...], np.ndarray],
    budget: Budget,
    limit_s: float,
    seed_offset: int,
    stats: SolveStats,
    shift_values: dict[tuple[int, str], int] | None = None,
    models: dict[tuple[str, ...], ScheduleModel] | None = None,
) -> tuple[int, Plan | None]:
    """The batch's agents under their own rules and terms, with coverage replaced by a linear
    proxy: each worked interval earns the current marginal value of one more agent, breaks placed
    where they lose the least; a shift of a (day, template) with cover per shift type earns what
    one more such shift is worth. Only the proxy changes from call to call, so a caller that
    solves the same batch again (best-response sweeps) passes `models` to build its model once."""
    key = tuple(agent_options.agent.id for agent_options in batch)
    m = models.get(key) if models is not None else None
    if m is None:
        m = ScheduleModel(instance, batch, families=GREEDY_FAMILIES, with_breaks=False)
        add_build_time(stats, m.build_time_s)
        if models is not None:
            models[key] = m
    step = instance.horizon.interval_minutes
    templates = {t.id: t for t in instance.templates}
    move_break = change_weights_of(instance).move_break if instance.baseline is not None else 0
    placements: dict[tuple[str, ShiftOption], tuple] = {}
    proxy_vars: list[cp_model.IntVar] = []
    proxy_coefs: list[int] = []
    for group, value in values.items():
        windows = BreakWindows(value, step)
        prefix = windows.prefix
        for agent_vars in m.agents.values():
            if group_of(agent_vars.agent) != group:
                continue
            for day_vars in agent_vars.days.values():
                pinned = m.frozen.get((agent_vars.agent.id, day_vars.day))
                for option, x in zip(day_vars.options, day_vars.x, strict=True):
                    key = (agent_vars.agent.id, option)
                    if pinned is not None and pinned.option == option:  # frozen or locked: breaks too
                        placements[key] = pinned.breaks
                        lost = sum(windows.window(start, rule.duration_minutes) for rule, start in pinned.breaks)
                    else:
                        lost, placements[key] = best_breaks(option, templates[option.template_id], windows)
                        kept = published_breaks(instance, agent_vars.agent.id, option, step)
                        if kept is not None:  # re-optimization: an unchanged shift's breaks move if that pays
                            lost, placements[key] = _cheaper_breaks(kept, placements[key], lost, windows, move_break)
                    first, last = option.start // step, min(option.end // step, len(value))
                    proxy_vars.append(x)
                    proxy_coefs.append(int(lost - (prefix[last] - prefix[first])))
    for agent_vars in m.agents.values():
        for day, day_vars in agent_vars.days.items():
            for option, x in zip(day_vars.options, day_vars.x, strict=True):
                worth = (shift_values or {}).get((day, option.template_id), 0)
                if worth:
                    proxy_vars.append(x)
                    proxy_coefs.append(-worth)
    m.model.minimize(m.terms.total() + cp_model.LinearExpr.weighted_sum(proxy_vars, proxy_coefs))
    # Without presolve: these models (one or two agents, no coverage) are small enough that presolve
    # is most of their time. Measured at 60 s, 2 workers: multiskill-large seed 1 construction
    # 1,960k -> 1,644k and final 1,473k -> 1,335k, seed 2 construction 33 s -> 29 s and final
    # 1,444k -> 1,156k; multiskill-medium and its re-optimization about equal (sweeps converge).
    solver = budget.solver(limit_s, seed_offset=seed_offset, workers=1, submodel=True, presolve=False)
    status = solver.solve(m.model)
    budget.charge(solver, m.num_variables + m.num_constraints)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return status, None
    sub_plan: Plan = {}
    for agent_id, agent_vars in m.agents.items():
        sub_plan[agent_id] = {
            day: PlacedShift(option=option, breaks=placements[(agent_id, option)])
            for day, day_vars in agent_vars.days.items()
            for option, x in zip(day_vars.options, day_vars.x, strict=True)
            if solver.boolean_value(x)
        }
    return status, sub_plan


def construct(
    instance: Instance,
    options: list[AgentOptions],
    budget: Budget,
    emit: ProgressCallback,
    stats: SolveStats,
    start: Plan | None = None,
) -> tuple[Plan, Allocation] | str:
    """Greedy: small batches of agents, each scheduled against the demand the earlier batches
    left uncovered. Agents already in `start` (a warm start) keep their shifts. With several
    workers, as many batches are solved at once, each against the demand left when it was drawn
    (so it does not see the batches still in flight)."""
    rng = random.Random(budget.settings.seed)
    plan: Plan = dict(start or {})
    order = [o for o in options if o.agent.id not in plan]
    rng.shuffle(order)
    batches = [order[i:i + GREEDY_BATCH_AGENTS] for i in range(0, len(order), GREEDY_BATCH_AGENTS)]
    state = CoverageState(instance, plan)
    parallel = 1 if budget.deterministic or len(batches) < PARALLEL_BATCHES_FROM else max(1, budget.settings.workers)
    drawn = done = 0

    def submit(pool: ThreadPoolExecutor) -> Future[tuple[int, Plan | None]]:
        nonlocal drawn
        i, drawn = drawn, drawn + 1
        share = max(0.5, min(5.0, 0.3 * budget.remaining() / (len(batches) - i) * parallel))
        return pool.submit(_construct_batch, instance, batches[i], state.marginal_values(), state.shift_values(),
                           budget, share, i, stats)

    def running() -> bool:
        return drawn < len(batches) and not budget.cancelled

    for status, sub_plan in one_per_worker(parallel, submit, running):
        if status == cp_model.INFEASIBLE:
            return "infeasible"
        if sub_plan is None:
            return "unknown"
        plan.update(sub_plan)
        for agent_id, agent_shifts in sub_plan.items():
            state.add(agent_id, agent_shifts, +1)
        done += 1
        if done % max(1, len(batches) // 10) == 0 or done == len(batches):
            emit(ProgressEvent(budget.elapsed(), "construct", message=f"{len(plan)}/{len(options)} agents"))
    if done < len(batches):  # cancelled
        return "unknown"
    return plan, repair_allocation(instance, plan, {})


def _construct_batch(
    instance: Instance,
    batch: list[AgentOptions],
    values: dict[tuple[str, ...], np.ndarray],
    shift_values: dict[tuple[int, str], int],
    budget: Budget,
    share: float,
    index: int,
    stats: SolveStats,
) -> tuple[int, Plan | None]:
    """One construction batch, retried with more time when it finds nothing in its share (a
    loaded machine can leave a batch without a schedule)."""
    status, sub_plan = _greedy_batch(instance, batch, values, budget, share, index, stats, shift_values)
    for retry in range(2):
        if sub_plan is not None or status == cp_model.INFEASIBLE or budget.cancelled:
            break
        share *= 4
        logger.debug("construction batch %d: no schedule yet, retrying with %.1f s", index, share)
        status, sub_plan = _greedy_batch(instance, batch, values, budget, share, index + 7919 * (retry + 1), stats,
                                         shift_values)
    return status, sub_plan


class Neighbourhood:
    """One kind of neighbourhood with its own adaptive size (agents) and, for day neighbourhoods,
    window (days): both grow when sub-models solve to optimality and shrink when they time out.
    `rate` is a moving average of the objective gained per second, which picks the kind to try."""

    def __init__(self, name: str, size: int, least: int, most: int, window: int = 0, most_window: int = 0) -> None:
        self.name, self.size, self.least, self.most = name, size, least, most
        self.window, self.most_window = window, most_window
        self.rate = float("inf")  # untried: try it first

    def adapt(self, status: int) -> None:
        if status == cp_model.OPTIMAL:
            if self.size >= self.most and self.window:
                self.window = min(self.most_window, self.window + 1)
            self.size = min(self.most, self.size + max(1, self.size // 5))
        else:
            if self.window > 1 and self.size >= self.most:
                self.window -= 1
            else:
                self.size = max(self.least, self.size - max(1, self.size // 4))

    def record(self, gain: float, seconds: float) -> None:
        observed = gain / max(seconds, 1e-3)
        self.rate = observed if self.rate == float("inf") else 0.8 * self.rate + 0.2 * observed


@dataclass
class _Step:
    """One neighbourhood's sub-solve, as it comes back from its thread."""

    nb: Neighbourhood
    agents: int
    status: int
    plan: Plan | None
    allocation: Allocation | None
    seconds: float
    """Wall-clock seconds, or on one worker CP-SAT's deterministic time (the neighbourhoods' gain
    rates, and so the choice of kind, must not depend on the machine's speed there)."""


def improve(
    instance: Instance,
    options: list[AgentOptions],
    plan: Plan,
    allocation: Allocation,
    objective: int,
    budget: Budget,
    emit: ProgressCallback,
    stats: SolveStats,
    bound: float | None,
    reserve_s: float = 0.2,
    round_: int = 0,
    probe_s: float | None = None,
) -> tuple[Plan, Allocation, int, bool]:
    """Agent neighbourhoods (a few agents, the whole horizon; from one skill group or at random)
    interleave with day neighbourhoods (many agents, one to three consecutive days) every fifth step.
    One step per worker runs at a time (one step on one worker, in the same order as ever, so that a
    fixed seed keeps its schedule); a step's agents are re-solved against the incumbent of the moment
    it was drawn and its result is priced against the incumbent of the moment it ends. Measured at
    60 s, 2 workers, seeds 1-3, against one two-worker step at a time: demo-small 25,311 / 25,682 /
    24,548 -> 23,909 / 25,247 / 24,097 (about twice as many steps); multiskill-medium equal (its
    best-response sweeps leave the neighbourhoods little to gain). `round_` draws other
    neighbourhoods when the search comes back to this after a restart. With `probe_s`, it stops
    after that long when it has gained under RESTART_BELOW_GAIN, and says so (`stalled`)."""
    rng = random.Random(budget.settings.seed + 1 + 7919 * round_)
    by_group: dict[tuple[str, ...], list[AgentOptions]] = {}
    for agent_options in options:
        by_group.setdefault(group_of(agent_options.agent), []).append(agent_options)
    groups = sorted(by_group)
    days = instance.horizon.days
    mean_size = max(1, sum(_size(o) for o in options) // max(1, len(options)))
    agents_nb = Neighbourhood("agents", max(2, OPTIONS_PER_SUBMODEL // mean_size), 2, len(options))
    days_nb = Neighbourhood("days", max(2, 3 * OPTIONS_PER_SUBMODEL * days // mean_size), 2, len(options),
                            window=min(3, days), most_window=min(DAY_WINDOW_MAX, days))
    iteration = 0
    parallel = 1 if budget.deterministic else max(1, budget.settings.workers)

    def submit(pool: ThreadPoolExecutor) -> Future[_Step]:
        nonlocal iteration
        iteration += 1
        nb = pick_neighbourhood(agents_nb, days_nb, iteration, rng)
        target = short_day(instance, plan, rng) if rng.random() < TARGETED_SHARE else None
        if target is not None and nb is agents_nb:
            free = _agents_for_day(options, plan, target, nb.size, rng)
        else:
            if rng.random() < 0.5:
                pool_of = list(by_group[rng.choice(groups)])
                if len(pool_of) < nb.size:
                    others = [o for o in options if o not in pool_of]
                    pool_of += rng.sample(others, min(nb.size - len(pool_of), len(others)))
            else:
                pool_of = list(options)
            free = rng.sample(pool_of, min(nb.size, len(pool_of)))
        window = None
        if nb is days_nb:
            length = rng.randint(max(1, nb.window - 2), nb.window)
            lowest = 0 if target is None else max(0, target - length + 1)
            highest = days - length if target is None else min(days - length, target)
            first = rng.randint(lowest, highest)
            window = set(range(first, first + length))
        limit = min(budget.remaining() - reserve_s, LNS_STEP_MAX_S)
        snapshot = (dict(plan), allocation)
        return pool.submit(_step, nb, free, window, snapshot, limit, 1000 + iteration)

    def _step(nb: Neighbourhood, free: list[AgentOptions], window: set[int] | None,
              snapshot: tuple[Plan, Allocation], limit: float, seed_offset: int) -> _Step:
        started, charged = time.perf_counter(), budget.used_deterministic
        status, sub_plan, sub_alloc = _solve_submodel(
            instance, free, *snapshot, budget, limit, seed_offset, stats, window, workers=1)
        seconds = budget.used_deterministic - charged if budget.deterministic else time.perf_counter() - started
        return _Step(nb, len(free), status, sub_plan, sub_alloc, seconds)

    start_objective, stalled = objective, False
    probe_until = None if probe_s is None else budget.remaining() - probe_s

    def running() -> bool:
        nonlocal probe_until, stalled
        if probe_until is not None and budget.remaining() <= probe_until:
            probe_until = None
            stalled = start_objective - objective < RESTART_BELOW_GAIN * start_objective
        return not stalled and budget.remaining() > reserve_s and len(options) > 1 and (
            bound is None or objective > bound + 1e-6)

    for step in one_per_worker(parallel, submit, running):
        gain = 0
        if step.plan is not None and step.allocation is not None:
            # Against the incumbent of now: another step may have moved it since this one
            # started; every hard rule is per agent, so the combination is a schedule.
            candidate = {**plan, **step.plan}
            value = extract.account(instance, candidate,
                                    repair_allocation(instance, candidate, step.allocation)).objective
            gain = max(0, objective - value)
            if value < objective:
                plan, allocation, objective = candidate, step.allocation, value
                elapsed = budget.elapsed()
                stats.record(elapsed, objective, bound)
                emit(ProgressEvent(elapsed, "improve", objective=objective, bound=bound,
                                   solutions=iteration + 1, improved=True))
        step.nb.adapt(step.status)
        step.nb.record(gain, step.seconds)
        logger.debug("lns %d: %s %d agents, %s, %.2f s, objective %d", iteration, step.nb.name, step.agents,
                     getattr(step.status, "name", step.status), step.seconds, objective)
    stats.lns_iterations += iteration
    return plan, allocation, objective, stalled


def short_day(instance: Instance, plan: Plan, rng: random.Random) -> int | None:
    """A day drawn with probability proportional to what its under-staffing costs now (None when
    nothing is short): the neighbourhoods that can fix a shortage are the ones around it."""
    per_day = CoverageState(instance, plan).under_cost_by_day(instance.horizon.days)
    if per_day.sum() <= 0:
        return None
    return rng.choices(range(len(per_day)), weights=per_day.tolist())[0]


def _agents_for_day(options: list[AgentOptions], plan: Plan, day: int, size: int,
                    rng: random.Random) -> list[AgentOptions]:
    """Half of the neighbourhood from the agents off on `day` who could work it (they can add or
    move a shift there), the rest from everyone (whose shifts elsewhere may move to make room)."""
    off = [o for o in options if o.by_day.get(day) and day not in plan.get(o.agent.id, {})]
    free = rng.sample(off, min(len(off), max(1, size // 2)))
    chosen = {id(o) for o in free}
    rest = [o for o in options if id(o) not in chosen]
    return free + rng.sample(rest, min(len(rest), size - len(free)))


def pick_neighbourhood(agents_nb: Neighbourhood, days_nb: Neighbourhood, iteration: int,
                       rng: random.Random) -> Neighbourhood:
    """Mostly the kind that has gained the most per second lately; every DAY_NEIGHBOURHOOD_EVERY-th
    step the other one, so that neither is starved when its rate is stale."""
    best, other = (agents_nb, days_nb) if agents_nb.rate >= days_nb.rate else (days_nb, agents_nb)
    explore = iteration % DAY_NEIGHBOURHOOD_EVERY == 0 or rng.random() < 0.05
    return other if explore else best


def complete_hint(m: ScheduleModel, budget: Budget) -> None:
    """Extend a hint of the shift and break variables to every variable (coverage, slacks, ...),
    by solving the model with the hinted variables fixed: CP-SAT's neighbourhoods then start from
    the incumbent instead of searching for it."""
    solver = budget.solver(1.0, workers=1)
    solver.parameters.fix_variables_to_their_hinted_value = True
    status = solver.solve(m.model)
    budget.charge(solver)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return
    values = solver.response_proto.solution
    m.model.clear_hints()
    for index, value in enumerate(values):
        m.model.add_hint(m.model.get_int_var_from_proto_index(index), value)


def hint(m: ScheduleModel, plan: Plan, allocation: Allocation) -> None:
    for agent_id, agent_vars in m.agents.items():
        current = plan.get(agent_id)
        if current is None:
            continue
        for day, day_vars in agent_vars.days.items():
            shift = current.get(day)
            for option, x in zip(day_vars.options, day_vars.x, strict=True):
                m.model.add_hint(x, shift is not None and shift.option == option)
            m.model.add_hint(day_vars.works, shift is not None)
            starts = {(shift.option.template_id, rule.name): start for rule, start in shift.breaks} if shift else {}
            for key, positions in day_vars.breaks.items():
                for start, b in positions.items():
                    m.model.add_hint(b, starts.get(key) == start)
    for group, by_skill in m.coverage.alloc.items():
        given = allocation.get(group)
        if given is None:
            continue
        for skill, values in by_skill.items():
            for t, var in enumerate(values):
                if isinstance(var, cp_model.IntVar) and skill in given:
                    m.model.add_hint(var, given[skill][t])
