"""Coverage of demand per skill and interval, net of breaks.

Planner words: in every interval each skill should have its required number of agents; each
missing agent costs more than the previous one, each extra agent costs the over-staffing weight.
A multi-skill agent serves one skill per interval.

Encoding (compact, per the field hints): agents are grouped by skill set. Per group, the number
of agents working in interval t follows a running sum over shift and break start/end events
(`working[t] = working[t-1] + shift starts - shift ends - break starts + break ends`), so each
option Boolean appears in two coverage constraints rather than one per covered interval. A
multi-skill group splits its working agents over its skills with integer allocation variables.
Then per skill and interval: scheduled + under - over == required.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from optimizer.domain.instance import Instance
from optimizer.model.objective import ObjectiveTerms, piecewise_cost, piecewise_shortfall
from optimizer.model.plan import Allocation, GroupKey, group_of

if TYPE_CHECKING:
    from optimizer.model.builder import ScheduleModel

RULE = "coverage"

Expr = cp_model.LinearExprT


@dataclass
class CoverageVars:
    free_working: dict[GroupKey, list[Expr]] = field(default_factory=dict)
    alloc: dict[GroupKey, dict[str, list[Expr]]] = field(default_factory=dict)
    scheduled: dict[str, list[Expr]] = field(default_factory=dict)


Events = list[list[tuple[cp_model.IntVar, int]]]
"""Per interval: (variable, +1/-1) for each shift or break starting or ending then."""


def add_coverage(m: ScheduleModel) -> ObjectiveTerms:
    horizon = m.instance.horizon.num_intervals
    step = m.grid.step
    free_size: dict[GroupKey, int] = defaultdict(int)
    events: dict[GroupKey, Events] = {}
    active = [False] * horizon
    for agent_vars in m.agents.values():
        group = group_of(agent_vars.agent)
        free_size[group] += 1
        group_events = events.setdefault(group, [[] for _ in range(horizon)])
        for day, day_vars in agent_vars.days.items():
            if (agent_vars.agent.id, day) in m.frozen:
                continue  # counted in the fixed part
            for option, x in zip(day_vars.options, day_vars.x, strict=True):
                add_event(group_events, option.start // step, x, +1)
                add_event(group_events, option.end // step, x, -1)
                mark_active(active, option.start // step, option.end // step)
            for key, positions in day_vars.breaks.items():
                duration = day_vars.rules[key].duration_minutes
                for start, b in positions.items():
                    add_event(group_events, start // step, b, -1)
                    add_event(group_events, (start + duration) // step, b, +1)
    return coverage_terms(m.model, m.instance, events, free_size, active, m.fixed.working, m.fixed.allocation, m.coverage)


def coverage_terms(
    model: cp_model.CpModel,
    instance: Instance,
    events: dict[GroupKey, Events],
    free_size: dict[GroupKey, int],
    active: list[bool],
    fixed_working: dict[GroupKey, list[int]],
    fixed_allocation: Allocation,
    cov: CoverageVars,
) -> ObjectiveTerms:
    """Running working counts per group, allocation to skills, and the under/over-staffing terms.

    `free_size[g]` bounds the working agents of group g that the events can add. Only `active`
    intervals (where some free shift could be worked) get variables; elsewhere coverage is the
    fixed part's, allocated as in `fixed_allocation`, and its cost is a constant."""
    _working_chains(model, instance, events, free_size, active, cov)
    scheduled, upper = _scheduled(model, instance, events, free_size, active, fixed_working, fixed_allocation, cov)
    return _staffing_terms(model, instance, active, scheduled, upper, cov)


def _working_chains(
    model: cp_model.CpModel,
    instance: Instance,
    events: dict[GroupKey, Events],
    free_size: dict[GroupKey, int],
    active: list[bool],
    cov: CoverageVars,
) -> None:
    horizon = instance.horizon.num_intervals
    for group, group_events in events.items():
        working: list[Expr | None] = []
        previous: cp_model.IntVar | None = None
        for t in range(horizon):
            if not active[t]:
                previous = None  # no free shift covers t: every free shift has ended
            elif group_events[t]:
                var = model.new_int_var(0, free_size[group], f"working[{'+'.join(group)},{t}]")
                delta = cp_model.LinearExpr.weighted_sum([v for v, _ in group_events[t]], [c for _, c in group_events[t]])
                model.add(var == (previous if previous is not None else 0) + delta)
                previous = var
            working.append(previous)
        cov.free_working[group] = working



def _scheduled(
    model: cp_model.CpModel,
    instance: Instance,
    events: dict[GroupKey, Events],
    free_size: dict[GroupKey, int],
    active: list[bool],
    fixed_working: dict[GroupKey, list[int]],
    fixed_allocation: Allocation,
    cov: CoverageVars,
) -> tuple[dict[str, list[list[Expr]]], dict[str, list[int]]]:
    """Per skill and interval: the expressions adding up to the scheduled agents, and their upper bound."""
    horizon = instance.horizon.num_intervals
    scheduled: dict[str, list[list[Expr]]] = {s.id: [[] for _ in range(horizon)] for s in instance.skills}
    upper: dict[str, list[int]] = {s.id: [0] * horizon for s in instance.skills}
    for group in sorted(set(events) | set(fixed_working)):
        fixed = fixed_working.get(group, [0] * horizon)
        free = cov.free_working.get(group, [None] * horizon)
        for t in range(horizon):
            bound = fixed[t] + (free_size[group] if free[t] is not None else 0)
            if bound == 0:
                continue
            total = fixed[t] + free[t] if free[t] is not None else cp_model.LinearExpr.constant(fixed[t])
            if len(group) > 1 and not active[t]:
                for skill in group:
                    count = fixed_allocation[group][skill][t]
                    scheduled[skill][t].append(cp_model.LinearExpr.constant(count))
                    upper[skill][t] += count
                continue
            if len(group) == 1:
                scheduled[group[0]][t].append(total)
                upper[group[0]][t] += bound
                continue
            allocation = cov.alloc.setdefault(group, {skill: [0] * horizon for skill in group})
            parts = []
            for skill in group:
                var = model.new_int_var(0, bound, f"alloc[{'+'.join(group)},{skill},{t}]")
                allocation[skill][t] = var
                scheduled[skill][t].append(var)
                upper[skill][t] += bound
                parts.append(var)
            model.add(sum(parts) == total)

    return scheduled, upper


def _staffing_terms(
    model: cp_model.CpModel,
    instance: Instance,
    active: list[bool],
    scheduled: dict[str, list[list[Expr]]],
    upper: dict[str, list[int]],
    cov: CoverageVars,
) -> ObjectiveTerms:
    terms = ObjectiveTerms()
    horizon = instance.horizon.num_intervals
    constant_cost = over_cost = 0
    for skill in instance.skills:
        required = instance.required(skill.id)
        interval_weights = instance.under_weights_per_interval(skill.id)  # service-level mode: per interval
        over_weight = instance.over_weight(skill.id)
        cov.scheduled[skill.id] = [sum(parts, cp_model.LinearExpr.constant(0)) for parts in scheduled[skill.id]]
        for t in range(horizon):
            r, top = required[t], upper[skill.id][t]
            weights = interval_weights[t]
            # Missing agents that no schedule can provide are a constant; the avoidable ones are
            # the last, most expensive units of the shortfall.
            if not active[t]:  # nothing free can change coverage here
                constant_cost += piecewise_cost(max(0, r - top), weights)
                over_cost += over_weight * max(0, top - r)
                continue
            unavoidable = max(0, r - top)
            constant_cost += piecewise_cost(unavoidable, weights)
            if top == 0:
                continue
            name = f"{skill.id},{t}"
            shifted = [weights[min(k, len(weights) - 1)] for k in range(unavoidable, unavoidable + len(weights))]
            under, under_cost = piecewise_shortfall(model, r - unavoidable, shifted, f"under[{name}]")
            over: Expr | int = 0
            if top > r:
                over = model.new_int_var(0, top - r, f"over[{name}]")
                if over_weight:
                    terms.add("over_staffing", over_weight * over)
            model.add(cov.scheduled[skill.id][t] + under - over == r - unavoidable)
            terms.add("under_staffing", under_cost)
    if constant_cost:
        terms.add("under_staffing", cp_model.LinearExpr.constant(constant_cost))
    if over_cost:
        terms.add("over_staffing", cp_model.LinearExpr.constant(over_cost))
    return terms


def mark_active(active: list[bool], first: int, end: int) -> None:
    for t in range(max(0, first), min(end, len(active))):
        active[t] = True


def add_event(events: list[list[tuple[cp_model.IntVar, int]]], t: int, var: cp_model.IntVar, sign: int) -> None:
    if 0 <= t < len(events):
        events[t].append((var, sign))
