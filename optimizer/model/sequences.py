"""Sequences of working days and days off.

Planner words: no more than the contract's maximum consecutive working days; a working stretch
between two days off lasts at least the contract's minimum; so does a stretch of days off between
two working stretches. Stretches touching the edge of the horizon are exempt from the minimums.

Encoding: a sliding window sum for the maximum; for the minimums, one clause per forbidden short
pattern "work, off x j, work" or "off, work x j, off" (j < minimum).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.model.objective import ObjectiveTerms

if TYPE_CHECKING:
    from optimizer.model.builder import ScheduleModel

RULE_MAX_CONSECUTIVE = "maximum consecutive working days"
RULE_MIN_DAYS_OFF = "minimum consecutive days off"
RULE_MIN_CONSECUTIVE = "minimum consecutive working days"


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


def add_min_consecutive_working_days(m: ScheduleModel) -> ObjectiveTerms:
    num_days = m.instance.horizon.days
    for agent_vars in m.agents.values():
        minimum = agent_vars.contract.min_consecutive_working_days
        for first in range(1, num_days - 1):
            for run in range(1, minimum):
                last = first + run - 1
                if last + 1 >= num_days:
                    break
                if not all(agent_vars.can_work(d) for d in range(first, last + 1)):
                    break  # a day that cannot be worked ends every longer run too
                # Days that cannot be worked are off anyway: they drop out of the clause.
                clause = [agent_vars.days[d].works for d in (first - 1, last + 1) if agent_vars.can_work(d)]
                clause += [~agent_vars.days[d].works for d in range(first, last + 1)]
                m.enforce(m.model.add_bool_or(clause), RULE_MIN_CONSECUTIVE, agent_vars.agent.id)
    return ObjectiveTerms.empty()
