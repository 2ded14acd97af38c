"""Start-time stability across the week.

Planner words: an agent's shifts start at similar times of day through the week: the latest
start minus the earliest start (times of day, over the worked days) stays within the contract's
maximum variation.

Encoding: earliest and latest start variables bounded by each worked day's start time of day
(enforced by works[day]); their difference is bounded, or priced per minute when soft.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.model.objective import ObjectiveTerms

if TYPE_CHECKING:
    from optimizer.model.builder import ScheduleModel

RULE = "start-time stability"


def add_start_time_stability(m: ScheduleModel) -> ObjectiveTerms:
    terms = ObjectiveTerms()
    for agent_vars in m.agents.values():
        contract, agent_id = agent_vars.contract, agent_vars.agent.id
        limit = contract.max_start_variation_minutes
        if limit is None or len(agent_vars.days) < 2:
            continue
        starts = {o.start_of_day for d in agent_vars.days.values() for o in d.options}
        if max(starts) - min(starts) <= limit:
            continue
        earliest = m.model.new_int_var(min(starts), max(starts), f"earliest_start[{agent_id}]")
        latest = m.model.new_int_var(min(starts), max(starts), f"latest_start[{agent_id}]")
        for day_vars in agent_vars.days.values():
            m.model.add(earliest <= day_vars.start_of_day()).only_enforce_if(day_vars.works)
            m.model.add(latest >= day_vars.start_of_day()).only_enforce_if(day_vars.works)
        if contract.is_soft("max_start_variation_minutes"):
            excess = m.model.new_int_var(0, max(starts) - min(starts), f"start_variation_excess[{agent_id}]")
            m.model.add(latest - earliest - excess <= limit)
            terms.add("contract_soft", contract.soft["max_start_variation_minutes"] * excess)
        else:
            m.enforce(m.model.add(latest - earliest <= limit), RULE, agent_id)
    return terms
