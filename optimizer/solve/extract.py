"""The only code that reads solver values: variables -> `Plan`, and `Plan` -> `SolveResult`.

The objective terms of a result are recomputed exactly from the plan here (the CP-SAT objective
of a non-optimal solution can exceed them, since slack variables need not be tight). This is the
engine's own accounting; the independent validator in `optimizer.validate` checks it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from optimizer.domain.baseline import change_weights_of
from optimizer.domain.ids import time_of_day_minutes
from optimizer.domain.instance import Agent, Instance
from optimizer.domain.schedule import (
    Activity,
    Assignment,
    BreakSlot,
    CoverageRow,
    Kpis,
    Violation,
)
from optimizer.model import changes
from optimizer.model.builder import ScheduleModel
from optimizer.model.objective import piecewise_cost
from optimizer.model.options import labor_cost
from optimizer.model.plan import Allocation, GroupKey, PlacedShift, Plan, group_of, working_counts
from optimizer.timegrid import TimeGrid


def read_plan(m: ScheduleModel, solver: cp_model.CpSolver) -> Plan:
    plan: Plan = {}
    for agent_id, agent_vars in m.agents.items():
        days: dict[int, PlacedShift] = {}
        for day, day_vars in agent_vars.days.items():
            chosen = [o for o, x in zip(day_vars.options, day_vars.x, strict=True) if solver.boolean_value(x)]
            if not chosen:
                continue
            option = chosen[0]
            breaks = []
            for rule in option.break_rules:
                positions = day_vars.breaks[(option.template_id, rule.name)]
                start = next(p for p, b in positions.items() if solver.boolean_value(b))
                breaks.append((rule, start))
            days[day] = PlacedShift(option=option, breaks=tuple(breaks))
        plan[agent_id] = days
    return plan


def read_allocation(m: ScheduleModel, solver: cp_model.CpSolver) -> Allocation:
    return {
        group: {skill: [int(solver.value(v)) for v in values] for skill, values in by_skill.items()}
        for group, by_skill in m.coverage.alloc.items()
    }


def scheduled_per_skill(instance: Instance, plan: Plan, allocation: Allocation) -> dict[str, list[int]]:
    horizon = instance.horizon.num_intervals
    scheduled = {s.id: [0] * horizon for s in instance.skills}
    for group, row in working_counts(instance, plan).items():
        if len(group) == 1:
            for t, n in enumerate(row):
                scheduled[group[0]][t] += n
        else:
            for skill in group:
                for t, n in enumerate(allocation[group][skill]):
                    scheduled[skill][t] += n
    return scheduled


@dataclass
class Accounting:
    terms: dict[str, int]
    scheduled: dict[str, list[int]]
    violations: list[Violation] = field(default_factory=list)
    preferences_total: int = 0
    preferences_honored: int = 0

    @property
    def objective(self) -> int:
        return sum(self.terms.values())


def account(instance: Instance, plan: Plan, allocation: Allocation) -> Accounting:
    """Every objective term, recomputed from the plan (see optimizer.domain.schedule)."""
    grid = TimeGrid(instance.horizon)
    scheduled = scheduled_per_skill(instance, plan, allocation)
    terms = dict.fromkeys(
        ("under_staffing", "over_staffing", "labor_cost", "preferences", "fairness", "shift_patterns",
         "shift_demand", "contract_soft", "changes"), 0)
    violations: list[Violation] = []
    for skill in instance.skills:
        weights = instance.under_weights_per_interval(skill.id)
        over_weight = instance.over_weight(skill.id)
        for r, s, w in zip(instance.required(skill.id), scheduled[skill.id], weights, strict=True):
            terms["under_staffing"] += piecewise_cost(max(0, r - s), w)
            terms["over_staffing"] += over_weight * max(0, s - r)

    patterns: set[tuple[str, int, int]] = set()
    shift_counts: Counter[tuple[int, str]] = Counter()
    paid_by_agent: dict[str, int] = {}
    pref_total = pref_honored = 0
    for agent in instance.agents:
        shifts = plan.get(agent.id, {})
        local = agent_terms(instance, agent, shifts, grid)
        for name in ("labor_cost", "preferences", "contract_soft", "changes"):
            terms[name] += getattr(local, name)
        violations.extend(local.violations)
        pref_total += local.preferences_total
        pref_honored += local.preferences_honored
        paid_by_agent[agent.id] = sum(shift.option.paid_minutes for shift in shifts.values())
        for day, shift in shifts.items():
            patterns.add(shift.option.pattern)
            shift_counts[(day, shift.option.template_id)] += 1

    if instance.weights.fairness:
        by_contract = defaultdict(list)
        for agent in instance.agents:
            by_contract[agent.contract].append(paid_by_agent[agent.id])
        for values in by_contract.values():
            if len(values) >= 2:
                terms["fairness"] += instance.weights.fairness * (max(values) - min(values))
    terms["shift_patterns"] = instance.weights.shift_patterns * len(patterns)
    for row in instance.shift_demand:
        count = shift_counts[(grid.day_of_date(row.date), row.template)]
        penalty = row.under_weight * max(0, row.required - count) + row.over_weight * max(0, count - row.required)
        terms["shift_demand"] += penalty
        if penalty:  # a soft rule not met: listed with the others
            violations.append(Violation(rule="shift_demand", start=grid.datetime(grid.day_of_date(row.date) * 1440),
                                        message=f"{count} {row.template} shifts start on {row.date}; "
                                                f"{row.required} are wanted", penalty=penalty))
    return Accounting(terms=terms, scheduled=scheduled, violations=violations,
                      preferences_total=pref_total, preferences_honored=pref_honored)


@dataclass
class AgentTerms:
    """The objective terms that depend on one agent's shifts alone."""

    labor_cost: int = 0
    preferences: int = 0
    contract_soft: int = 0
    changes: int = 0
    violations: list[Violation] = field(default_factory=list)
    preferences_total: int = 0
    preferences_honored: int = 0

    @property
    def total(self) -> int:
        return self.labor_cost + self.preferences + self.contract_soft + self.changes


def agent_terms(instance: Instance, agent: Agent, shifts: dict[int, PlacedShift], grid: TimeGrid) -> AgentTerms:
    result = AgentTerms()
    scale = instance.weights.preferences
    paid = 0
    for shift in shifts.values():
        option = shift.option
        paid += option.paid_minutes
        result.labor_cost += labor_cost(instance, agent, instance.template(option.template_id), option.paid_minutes)

    def prefer(ok: bool, weight: int, message: str, day: int) -> None:
        result.preferences_total += 1
        if ok:
            result.preferences_honored += 1
        elif weight * scale:
            result.preferences += weight * scale
            result.violations.append(Violation(rule="preferences", agent_id=agent.id,
                                               start=grid.datetime(day * 1440), message=message,
                                               penalty=weight * scale))

    prefs = agent.preferences
    if prefs.start_window is not None:
        lo, hi = time_of_day_minutes(prefs.start_window.earliest), time_of_day_minutes(prefs.start_window.latest)
        for day, shift in sorted(shifts.items()):
            sod = shift.option.start_of_day
            prefer(lo <= sod <= hi, prefs.start_window.weight,
                   f"{agent.id} starts at {sod // 60:02d}:{sod % 60:02d} on {grid.horizon.date_of_day(day)}, "
                   f"outside the preferred {prefs.start_window.earliest}-{prefs.start_window.latest}", day)
    for day_off in prefs.days_off:
        day = grid.day_of_date(day_off.date)
        prefer(day not in shifts, day_off.weight, f"{agent.id} works on preferred day off {day_off.date}", day)
    for request in prefs.shift_requests:
        day = grid.day_of_date(request.date)
        shift = shifts.get(day)
        matched = shift is not None and (request.template is None or shift.option.template_id == request.template)
        what = f"a shift of template {request.template}" if request.template else "a shift"
        prefer(matched == request.on, request.weight,
               f"{agent.id} {'requested' if request.on else 'asked not to have'} {what} on {request.date}", day)

    result.changes = _change_costs(instance, agent, shifts)
    soft = _soft_contract_violations(instance, agent.id, instance.contract_of(agent), shifts, paid, grid)
    result.contract_soft = sum(v.penalty for v in soft)
    result.violations.extend(soft)
    return result


def _soft_contract_violations(instance, agent_id, contract, shifts, paid, grid) -> list[Violation]:  # type: ignore[no-untyped-def]
    out: list[Violation] = []

    def soft(rule: str, amount: int, message: str) -> None:
        if amount > 0 and contract.soft.get(rule, 0) > 0:  # listed when penalized, as preferences are
            out.append(Violation(rule=rule, agent_id=agent_id, message=message,
                                 penalty=contract.soft[rule] * amount))

    days = len(shifts)
    soft("min_paid_minutes", contract.min_paid_minutes - paid,
         f"{agent_id} is paid {paid} minutes; contract {contract.id} asks at least {contract.min_paid_minutes}")
    if contract.max_paid_minutes is not None:
        soft("max_paid_minutes", paid - contract.max_paid_minutes,
             f"{agent_id} is paid {paid} minutes; contract {contract.id} allows {contract.max_paid_minutes}")
    soft("min_working_days", contract.min_working_days - days,
         f"{agent_id} works {days} days; contract {contract.id} asks at least {contract.min_working_days}")
    if contract.max_working_days is not None:
        soft("max_working_days", days - contract.max_working_days,
             f"{agent_id} works {days} days; contract {contract.id} allows {contract.max_working_days}")
    if contract.max_working_weekends is not None:
        worked = sum(1 for wk in grid.weekends() if any(d in shifts for d in wk))
        soft("max_working_weekends", worked - contract.max_working_weekends,
             f"{agent_id} works {worked} weekends; contract {contract.id} allows {contract.max_working_weekends}")
    if contract.max_start_variation_minutes is not None and shifts:
        starts = [s.option.start_of_day for s in shifts.values()]
        spread = max(starts) - min(starts)
        soft("max_start_variation_minutes", spread - contract.max_start_variation_minutes,
             f"{agent_id}'s start times vary by {spread} minutes; contract {contract.id} allows "
             f"{contract.max_start_variation_minutes}")
    return out


def assign_activities(instance: Instance, plan: Plan, allocation: Allocation) -> dict[tuple[str, int], list[tuple[str, int, int]]]:
    """Per (agent, day) of a multi-skill agent: (skill, start minute, end minute) stretches that
    realize the group allocation, keeping each agent on one skill as long as the quotas allow."""
    step = instance.horizon.interval_minutes
    horizon = instance.horizon.num_intervals
    members: dict[GroupKey, list[str]] = defaultdict(list)
    for agent in instance.agents:
        if len(agent.skills) > 1:
            members[group_of(agent)].append(agent.id)
    result: dict[tuple[str, int], list[tuple[str, int, int]]] = {}
    for group, agent_ids in members.items():
        at: dict[int, list[tuple[str, int]]] = defaultdict(list)  # interval -> (agent, day) working
        for agent_id in agent_ids:
            for day, shift in plan.get(agent_id, {}).items():
                for t in shift.working_intervals(step):
                    at[t].append((agent_id, day))
        primary = {a.id: min(a.skills, key=lambda s: s.priority).skill  # priority 1 (the first listed on a tie)
                   for a in instance.agents if a.id in set(agent_ids)}
        current: dict[str, str] = {}
        chosen: dict[tuple[str, int], list[tuple[int, str]]] = defaultdict(list)
        for t in sorted(at):
            workers = at[t]
            if t < horizon:
                quota = {s: allocation[group][s][t] for s in group}
            else:  # after the horizon: no demand, agents stay on their skill
                quota = {s: len(workers) for s in group}
            pending = []
            for agent_id, day in workers:
                skill = current.get(agent_id, primary[agent_id])
                if quota.get(skill, 0) > 0:
                    quota[skill] -= 1
                    chosen[(agent_id, day)].append((t, skill))
                    current[agent_id] = skill
                else:
                    pending.append((agent_id, day))
            for agent_id, day in pending:
                skill = max(group, key=lambda s: (quota[s], s == primary[agent_id]))
                quota[skill] -= 1
                chosen[(agent_id, day)].append((t, skill))
                current[agent_id] = skill
        for key, items in chosen.items():
            stretches: list[tuple[str, int, int]] = []
            for t, skill in items:
                if stretches and stretches[-1][0] == skill and stretches[-1][2] == t * step:
                    stretches[-1] = (skill, stretches[-1][1], (t + 1) * step)
                else:
                    stretches.append((skill, t * step, (t + 1) * step))
            result[key] = stretches
    return result


def assignments(instance: Instance, plan: Plan, allocation: Allocation) -> list[Assignment]:
    grid = TimeGrid(instance.horizon)
    activities = assign_activities(instance, plan, allocation)
    out: list[Assignment] = []
    for agent in instance.agents:
        for day, shift in sorted(plan.get(agent.id, {}).items()):
            option = shift.option
            out.append(Assignment(
                agent_id=agent.id,
                date=instance.horizon.date_of_day(day),
                start=grid.datetime(option.start),
                end=grid.datetime(option.end),
                template_id=option.template_id,
                paid_minutes=option.paid_minutes,
                breaks=[BreakSlot(name=rule.name, start=grid.datetime(start),
                                  end=grid.datetime(start + rule.duration_minutes), paid=rule.paid)
                        for rule, start in shift.breaks],
                activities=[Activity(skill=s, start=grid.datetime(a), end=grid.datetime(b))
                            for s, a, b in activities.get((agent.id, day), [])],
            ))
    return out


def coverage_rows(instance: Instance, scheduled: dict[str, list[int]]) -> list[CoverageRow]:
    grid = TimeGrid(instance.horizon)
    step = grid.step
    return [
        CoverageRow(skill=skill.id, interval_start=grid.datetime(t * step), required=r, scheduled=scheduled[skill.id][t])
        for skill in instance.skills
        for t, r in enumerate(instance.required(skill.id))
    ]


def kpis(instance: Instance, plan: Plan, accounting: Accounting) -> Kpis:
    coverage = [pair for skill in instance.skills
                for pair in zip(instance.required(skill.id), accounting.scheduled[skill.id], strict=True)]
    templates = {t.id: t for t in instance.templates}
    paid_hours = []
    money = 0.0
    shifts = 0
    for agent in instance.agents:
        minutes = 0
        for shift in plan.get(agent.id, {}).values():
            minutes += shift.option.paid_minutes
            money += shift.option.paid_minutes * agent.cost_per_hour / 60
            money += templates[shift.option.template_id].cost_per_shift
            shifts += 1
        paid_hours.append(minutes / 60)
    return Kpis.from_totals(instance.horizon.interval_minutes, coverage, paid_hours, money, shifts,
                            (accounting.preferences_total, accounting.preferences_honored))


def _change_costs(instance: Instance, agent: Agent, shifts: dict[int, PlacedShift]) -> int:
    """The `changes` term of one agent (see optimizer.domain.baseline)."""
    if instance.baseline is None:
        return 0
    weights = change_weights_of(instance)
    published = changes.published_shifts(instance)
    return sum(changes.shift_change_cost(weights, published.get((agent.id, day)), shifts.get(day))
               for day in range(instance.horizon.days))
