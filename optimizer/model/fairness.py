"""Fairness of hours and the number of distinct shift patterns.

Planner words: agents on the same contract get similar paid hours (the spread between the most
and the least paid costs `weights.fairness` per minute); fewer distinct shift patterns
(template, start time, length) make a roster easier to run (`weights.shift_patterns` each).

Encoding: max/min variables over the contract's agents' paid minutes (fixed agents enter as
constants); one "used" Boolean per pattern implied by every shift of that pattern.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from optimizer.model.objective import ObjectiveTerms

if TYPE_CHECKING:
    from optimizer.model.builder import ScheduleModel


def add_fairness_of_hours(m: ScheduleModel) -> ObjectiveTerms:
    terms = ObjectiveTerms()
    weight = m.instance.weights.fairness
    if weight == 0:
        return terms
    members = defaultdict(list)
    for agent in m.instance.agents:
        members[agent.contract].append(agent.id)
    horizon_minutes = m.instance.horizon.days * 1440
    for contract_id, agent_ids in members.items():
        if len(agent_ids) < 2:
            continue
        most = m.model.new_int_var(0, horizon_minutes, f"most_paid[{contract_id}]")
        least = m.model.new_int_var(0, horizon_minutes, f"least_paid[{contract_id}]")
        for agent_id in agent_ids:
            paid: cp_model.LinearExprT
            if agent_id in m.agents:
                paid = m.agents[agent_id].paid()
            else:
                paid = cp_model.LinearExpr.constant(m.fixed.paid.get(agent_id, 0))
            m.model.add(most >= paid)
            m.model.add(least <= paid)
        terms.add("fairness", weight * (most - least))
    return terms


def add_distinct_shift_patterns(m: ScheduleModel) -> ObjectiveTerms:
    terms = ObjectiveTerms()
    weight = m.instance.weights.shift_patterns
    if weight == 0:
        return terms
    uses = defaultdict(list)
    for agent_vars in m.agents.values():
        for day_vars in agent_vars.days.values():
            for option, x in zip(day_vars.options, day_vars.x, strict=True):
                if option.pattern not in m.fixed.patterns:
                    uses[option.pattern].append(x)
    used = []
    for pattern, xs in uses.items():
        flag = m.model.new_bool_var(f"pattern_used[{pattern[0]}@{pattern[1]}+{pattern[2]}]")
        for x in xs:
            m.model.add_implication(x, flag)
        used.append(flag)
    terms.add("shift_patterns", weight * (sum(used) + len(m.fixed.patterns)))
    return terms
