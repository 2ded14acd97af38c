"""Minimum rest between shifts.

Planner words: between the end of one shift and the start of the next an agent rests at least
the contract's minimum (and two shifts never overlap, even with no minimum).

Encoding: start(day2) - end(day1) >= rest, enforced when both days are worked, for every pair of
days close enough that the rule can bind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.model.objective import ObjectiveTerms

if TYPE_CHECKING:
    from optimizer.model.builder import ScheduleModel

RULE = "minimum rest between shifts"


def add_min_rest_between_shifts(m: ScheduleModel) -> ObjectiveTerms:
    for agent_vars in m.agents.values():
        rest = agent_vars.contract.min_rest_minutes
        days = sorted(agent_vars.days)
        for i, first_day in enumerate(days):
            first = agent_vars.days[first_day]
            latest_end = max(o.end for o in first.options)
            for second_day in days[i + 1:]:
                second = agent_vars.days[second_day]
                if min(o.start for o in second.options) >= latest_end + rest:
                    break  # later days start later still
                constraint = m.model.add(second.start() - first.end() >= rest)
                constraint.only_enforce_if([first.works, second.works, *m.guard(RULE, agent_vars.agent.id)])
                constraint.with_name(f"{RULE}: {agent_vars.agent.id}")
    return ObjectiveTerms.empty()
