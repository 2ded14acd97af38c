"""The anonymous model: how many agents of each skill set and contract work which shift on which
day, with breaks placed in aggregate; no names, no sequences, no availability.

It is a relaxation of the named model for the coverage-and-cost part of the objective
(under_staffing + over_staffing + labor_cost + shift_demand): any named schedule, counted per
(skill set, contract), is a solution of it with the same coverage and at least the same labor
cost (shifts are priced at the cohort's cheapest rate, plus `rate_premium`). Its optimum, or CP-SAT's bound on it, is therefore
a lower bound on that part of the named objective: the yardstick of every named solve, and the
answer of the anonymous mode ("how many agents on which patterns?").

Relaxations: availability, time off, locks, preferences, rest and day sequences are ignored; the
minimum work between two breaks is not enforced; breaks are placed per (cohort, day, template,
rule) with each start allowed when some chosen shift's window contains it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from optimizer.domain.instance import Contract, Instance
from optimizer.domain.schedule import AnonymousPattern
from optimizer.model.coverage import CoverageVars, Events, add_event, coverage_terms, mark_active
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.options import ShiftOption, labor_cost, template_options
from optimizer.model.plan import GroupKey, group_of
from optimizer.model.shifts import break_starts
from optimizer.timegrid import TimeGrid


@dataclass
class Cohort:
    group: GroupKey
    contract: Contract
    size: int
    cheapest_agent_index: int


@dataclass
class AnonymousResult:
    status: str
    bound: float | None = None
    objective: int | None = None
    patterns: list[AnonymousPattern] = field(default_factory=list)
    wall_time_s: float = 0.0
    deterministic_time: float = 0.0
    variables: int = 0


def build_cohorts(instance: Instance) -> list[Cohort]:
    members: dict[tuple[GroupKey, str], list[int]] = defaultdict(list)
    for i, agent in enumerate(instance.agents):
        members[(group_of(agent), agent.contract)].append(i)
    return [
        Cohort(group=group, contract=instance.contract(contract_id), size=len(indices),
               cheapest_agent_index=min(indices, key=lambda i: instance.agents[i].cost_per_hour))
        for (group, contract_id), indices in sorted(members.items())
    ]


def solve_anonymous(instance: Instance, solver: cp_model.CpSolver) -> AnonymousResult:  # noqa: C901
    started = time.perf_counter()
    grid = TimeGrid(instance.horizon)
    step = grid.step
    horizon = instance.horizon.num_intervals
    model = cp_model.CpModel()
    terms = ObjectiveTerms()
    events: dict[GroupKey, Events] = {}
    group_size: dict[GroupKey, int] = defaultdict(int)
    counts: list[tuple[Cohort, ShiftOption, cp_model.IntVar]] = []
    break_counts: list[tuple[Cohort, int, str, str, int, cp_model.IntVar]] = []
    per_day_template: dict[tuple[int, str], list[cp_model.IntVar]] = defaultdict(list)
    templates = {t.id: t for t in instance.templates}
    active = [False] * horizon

    for c, cohort in enumerate(build_cohorts(instance)):
        group_size[cohort.group] += cohort.size
        group_events = events.setdefault(cohort.group, [[] for _ in range(horizon)])
        cheapest = instance.agents[cohort.cheapest_agent_index]
        allowed = cohort.contract.allowed_templates
        paid_terms, day_terms = [], []
        for day in range(instance.horizon.days):
            day_vars = []
            needs: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
            allowed_by: dict[tuple[str, str, int], list[cp_model.IntVar]] = defaultdict(list)
            rules = {}
            for template in instance.templates:
                if allowed is not None and template.id not in allowed:
                    continue
                for option in template_options(instance, template, day):
                    n = model.new_int_var(0, cohort.size, f"n[{c},{day},{option.template_id}@{option.start_of_day}+{option.length}]")
                    counts.append((cohort, option, n))
                    day_vars.append(n)
                    add_event(group_events, option.start // step, n, +1)
                    add_event(group_events, option.end // step, n, -1)
                    mark_active(active, option.start // step, option.end // step)
                    paid_terms.append(option.paid_minutes * n)
                    per_day_template[(day, option.template_id)].append(n)
                    cost = labor_cost(instance, cheapest, templates[option.template_id], option.paid_minutes)
                    if cost:
                        terms.add("labor_cost", cost * n)
                    for k, rule in enumerate(option.break_rules):
                        key = (option.template_id, rule.name)
                        rules[key] = rule
                        needs[key].append(n)
                        for start in break_starts(option, k, step):
                            allowed_by[(*key, start)].append(n)
            if not day_vars:
                continue
            works = sum(day_vars)
            model.add(works <= cohort.size)
            day_terms.append(works)
            by_key: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
            for (template_id, name, start), ns in allowed_by.items():
                b = model.new_int_var(0, cohort.size, f"nb[{c},{day},{template_id},{name}@{start}]")
                model.add(b <= sum(ns))
                by_key[(template_id, name)].append(b)
                break_counts.append((cohort, day, template_id, name, start, b))
                duration = rules[(template_id, name)].duration_minutes
                add_event(group_events, start // step, b, -1)
                add_event(group_events, (start + duration) // step, b, +1)
            for key, bs in by_key.items():
                model.add(sum(bs) == sum(needs[key]))
        # Aggregate contract bounds (hard ones only: soft ones may be exceeded).
        paid, days = sum(paid_terms), sum(day_terms)
        contract, size = cohort.contract, cohort.size
        if contract.min_paid_minutes and not contract.is_soft("min_paid_minutes"):
            model.add(paid >= size * contract.min_paid_minutes)
        if contract.max_paid_minutes is not None and not contract.is_soft("max_paid_minutes"):
            model.add(paid <= size * contract.max_paid_minutes)
        if contract.min_working_days and not contract.is_soft("min_working_days"):
            model.add(days >= size * contract.min_working_days)
        if contract.max_working_days is not None and not contract.is_soft("max_working_days"):
            model.add(days <= size * contract.max_working_days)

    terms.add("labor_cost", cp_model.LinearExpr.constant(rate_premium(instance)))
    terms.merge(coverage_terms(model, instance, events, group_size, active, {}, {}, CoverageVars()))
    for i, row in enumerate(instance.shift_demand):
        day = grid.day_of_date(row.date)
        ns = per_day_template.get((day, row.template), [])
        under = model.new_int_var(0, row.required, f"shift_under[{i}]")
        over = model.new_int_var(0, max(0, len(instance.agents) - row.required), f"shift_over[{i}]")
        model.add(sum(ns) + under - over == row.required)
        terms.add("shift_demand", row.under_weight * under + row.over_weight * over)
    model.minimize(terms.total())

    status = solver.solve(model)
    result = AnonymousResult(status=solver.status_name(status), wall_time_s=time.perf_counter() - started,
                             deterministic_time=solver.deterministic_time, variables=len(model.proto.variables))
    if status == cp_model.INFEASIBLE:
        return result
    floor = float(labor_floor(instance))
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        result.objective = round(solver.objective_value)
        result.bound = max(floor, float(solver.best_objective_bound))
        result.patterns = _patterns(instance, grid, counts, break_counts, solver)
    else:
        result.bound = max(floor, float(solver.best_objective_bound))
    return result


def labor_floor(instance: Instance) -> int:
    """A lower bound on the labor_cost term alone: every agent is paid at least its hard contract
    minimum at its own rate (less one per shift for the rounding of each shift's cost). Used when
    the anonymous model's own bound is weaker (large instances whose LP does not finish in time)."""
    floor = 0.0
    for agent in instance.agents:
        contract = instance.contract_of(agent)
        if contract.is_soft("min_paid_minutes") or not contract.min_paid_minutes:
            continue
        max_shifts = max_shifts_of(instance, contract)
        pay = instance.weights.labor_cost * agent.cost_per_hour * contract.min_paid_minutes / 60
        floor += max(0.0, pay - max_shifts)
    return int(floor)


def max_shifts_of(instance: Instance, contract: Contract) -> int:
    """The most shifts an agent of the contract works in the horizon: its hard maximum of working
    days, else one a day (a soft maximum may be exceeded at a price)."""
    if contract.max_working_days is None or contract.is_soft("max_working_days"):
        return instance.horizon.days
    return contract.max_working_days


def rate_premium(instance: Instance) -> int:
    """A lower bound on what agents cost above their cohort's cheapest rate: each agent is paid
    at least its hard contract minimum at its own rate. Per shift, the two rounded costs differ by
    at least the exact difference minus one, hence the `- max shifts` slack."""
    premium = 0.0
    for cohort in build_cohorts(instance):
        cheapest = instance.agents[cohort.cheapest_agent_index].cost_per_hour
        contract = cohort.contract
        if contract.is_soft("min_paid_minutes") or not contract.min_paid_minutes:
            continue
        max_shifts = max_shifts_of(instance, contract)
        for agent in instance.agents:
            if group_of(agent) == cohort.group and agent.contract == contract.id:
                extra = instance.weights.labor_cost * (agent.cost_per_hour - cheapest) * contract.min_paid_minutes / 60
                premium += max(0.0, extra - max_shifts)
    return int(premium)


def _patterns(instance, grid, counts, break_counts, solver) -> list[AnonymousPattern]:  # type: ignore[no-untyped-def]
    breaks: dict[tuple[GroupKey, int, str], dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for cohort, day, template_id, name, start, b in break_counts:
        value = solver.value(b)
        if value:
            at = grid.datetime(start).strftime("%H:%M")
            slot = breaks[(cohort.group, day, template_id)][name]
            slot[at] = slot.get(at, 0) + value
    merged: dict[tuple[GroupKey, int, str, int, int], int] = defaultdict(int)
    for cohort, option, n in counts:
        value = solver.value(n)
        if value:
            merged[(cohort.group, option.day, option.template_id, option.start, option.end)] += value
    return [
        AnonymousPattern(skill_group=list(group), date=instance.horizon.date_of_day(day), template_id=template_id,
                         start=grid.datetime(start), end=grid.datetime(end), count=count,
                         breaks={k: dict(v) for k, v in breaks.get((group, day, template_id), {}).items()})
        for (group, day, template_id, start, end), count in sorted(merged.items())
    ]
