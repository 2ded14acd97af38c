"""A schedule as the engine holds it between solves: per agent and day the chosen shift option and
its break starts, plus the per-interval skill allocation of multi-skill groups."""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from optimizer.domain.instance import Agent, BreakRule, Instance
from optimizer.model.options import AgentOptions, ShiftOption

GroupKey = tuple[str, ...]
"""Agents with the same skill set form a group; coverage is allocated per group, not per agent."""


def group_of(agent: Agent) -> GroupKey:
    return tuple(sorted(agent.skill_ids))


@dataclass(frozen=True)
class PlacedShift:
    option: ShiftOption
    breaks: tuple[tuple[BreakRule, int], ...]
    """(rule, start minute) in rule order."""

    def working_intervals(self, step: int) -> tuple[int, ...]:
        """Intervals (absolute indices) worked, net of breaks."""
        return _working_intervals(self, step)


@functools.lru_cache(maxsize=200_000)
def _working_intervals(shift: PlacedShift, step: int) -> tuple[int, ...]:
    """Cached: the search evaluates the same shifts over and over."""
    on_break = {m // step for rule, start in shift.breaks for m in range(start, start + rule.duration_minutes, step)}
    return tuple(t for t in range(shift.option.start // step, shift.option.end // step) if t not in on_break)


AgentPlan = dict[int, PlacedShift]
Plan = dict[str, AgentPlan]
Allocation = dict[GroupKey, dict[str, list[int]]]
"""Per multi-skill group and skill: agents of the group serving that skill in each interval."""


@dataclass
class FixedPart:
    """What the agents that a sub-model keeps fixed contribute to the global terms."""

    working: dict[GroupKey, list[int]] = field(default_factory=dict)
    shift_counts: Counter[tuple[int, str]] = field(default_factory=Counter)
    patterns: set[tuple[str, int, int]] = field(default_factory=set)
    paid: dict[str, int] = field(default_factory=dict)
    allocation: Allocation = field(default_factory=dict)
    """Skill allocation of multi-skill groups, used where no free agent can work."""

    @classmethod
    def of(
        cls,
        instance: Instance,
        plan: Plan,
        agent_ids: list[str],
        allocation: Allocation,
        frozen: dict[tuple[str, int], PlacedShift] | None = None,
    ) -> FixedPart:
        """The contribution of `agent_ids` (all days) and of the `frozen` days of free agents
        (coverage only: their other terms stay in the model)."""
        step = instance.horizon.interval_minutes
        horizon_intervals = instance.horizon.num_intervals
        agents = {a.id: a for a in instance.agents}
        fixed = cls()
        for agent_id in agent_ids:
            group = group_of(agents[agent_id])
            working = fixed.working.setdefault(group, [0] * horizon_intervals)
            paid = 0
            for day, shift in plan.get(agent_id, {}).items():
                for t in shift.working_intervals(step):
                    if t < horizon_intervals:
                        working[t] += 1
                fixed.shift_counts[(day, shift.option.template_id)] += 1
                fixed.patterns.add(shift.option.pattern)
                paid += shift.option.paid_minutes
            fixed.paid[agent_id] = paid
        fixed_plan = {agent_id: plan.get(agent_id, {}) for agent_id in agent_ids}
        for (agent_id, day), shift in (frozen or {}).items():
            working = fixed.working.setdefault(group_of(agents[agent_id]), [0] * horizon_intervals)
            for t in shift.working_intervals(step):
                if t < horizon_intervals:
                    working[t] += 1
            fixed_plan.setdefault(agent_id, {})[day] = shift
        fixed.allocation = repair_allocation(instance, fixed_plan, allocation)
        return fixed


def working_counts(instance: Instance, plan: Plan) -> dict[GroupKey, list[int]]:
    step = instance.horizon.interval_minutes
    horizon = instance.horizon.num_intervals
    counts: dict[GroupKey, list[int]] = {}
    for agent in instance.agents:
        row = counts.setdefault(group_of(agent), [0] * horizon)
        for shift in plan.get(agent.id, {}).values():
            for t in shift.working_intervals(step):
                if t < horizon:
                    row[t] += 1
    return counts


def repair_allocation(instance: Instance, plan: Plan, allocation: Allocation) -> Allocation:
    """Keep the solver's allocation where it matches the plan's working counts; elsewhere give
    each working agent of a multi-skill group to the skill with the largest remaining need."""
    counts = working_counts(instance, plan)
    horizon = instance.horizon.num_intervals
    required = {s.id: instance.required(s.id) for s in instance.skills}
    single = defaultdict(lambda: [0] * horizon)
    for group, row in counts.items():
        if len(group) == 1:
            for t, n in enumerate(row):
                single[group[0]][t] += n
    result: Allocation = {}
    for group, row in counts.items():
        if len(group) == 1:
            continue
        given = allocation.get(group)
        out = {s: [0] * horizon for s in group}
        for t, n in enumerate(row):
            if given is not None and sum(given[s][t] for s in group) == n:
                for s in group:
                    out[s][t] = given[s][t]
                continue
            need = {s: required[s][t] - single[s][t] for s in group}
            for _ in range(n):
                best = max(group, key=need.__getitem__)
                out[best][t] += 1
                need[best] -= 1
        result[group] = out
        for s in group:
            for t in range(horizon):
                single[s][t] += out[s][t]
    return result


def pinned_shifts(options: list[AgentOptions]) -> dict[tuple[str, int], PlacedShift]:
    """The published shifts that re-optimization must keep (pinned agent-days with a shift)."""
    result = {}
    for agent_options in options:
        for day, pin in agent_options.pinned.items():
            if pin is None:
                continue
            option, breaks = pin
            rules = {rule.name: rule for rule in option.break_rules}
            result[(agent_options.agent.id, day)] = PlacedShift(
                option=option, breaks=tuple((rules[name], start) for name, start in breaks))
    return result
