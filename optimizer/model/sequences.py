"""Sequences of working days and days off.

Planner words: no more than the contract's maximum consecutive working days; a stretch of days
off between two working stretches lasts at least the contract's minimum.

Encoding: a sliding window sum for the maximum; for the minimum, one clause per forbidden short
pattern "work, off x j, work" (j < minimum).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.model.objective import ObjectiveTerms

if TYPE_CHECKING:
    from optimizer.model.builder import ScheduleModel

RULE_MAX_CONSECUTIVE = "maximum consecutive working days"
RULE_MIN_DAYS_OFF = "minimum consecutive days off"


def add_max_consecutive_working_days(m: ScheduleModel) -> ObjectiveTerms:
    num_days = m.instance.horizon.days
    for agent_vars in m.agents.values():
        limit = agent_vars.contract.max_consecutive_working_days
        if limit is None or limit >= num_days:
            continue
        for first in range(num_days - limit):
            window = [agent_vars.works(d) for d in range(first, first + limit + 1) if agent_vars.can_work(d)]
            if len(window) > limit:
                m.enforce(m.model.add(sum(window) <= limit), RULE_MAX_CONSECUTIVE, agent_vars.agent.id)
    return ObjectiveTerms.empty()


def add_min_consecutive_days_off(m: ScheduleModel) -> ObjectiveTerms:
    num_days = m.instance.horizon.days
    for agent_vars in m.agents.values():
        minimum = agent_vars.contract.min_consecutive_days_off
        for before in range(num_days):
            if not agent_vars.can_work(before):
                continue
            for run in range(1, minimum):
                after = before + run + 1
                if after >= num_days or not agent_vars.can_work(after):
                    continue
                off_days = [agent_vars.days[d].works for d in range(before + 1, after) if agent_vars.can_work(d)]
                clause = [~agent_vars.days[before].works, *off_days, ~agent_vars.days[after].works]
                m.enforce(m.model.add_bool_or(clause), RULE_MIN_DAYS_OFF, agent_vars.agent.id)
    return ObjectiveTerms.empty()
