"""Contract rules over the horizon and locked assignments.

Planner words: paid minutes and working days between the contract's minimum and maximum; at most
so many working weekends; at most so many shifts of a template; no forbidden succession of shift
types on consecutive days; a locked day is worked exactly as locked (or off).

Encoding: linear sums of the shift Booleans. A rule listed in `contract.soft` gets a slack
variable priced in the `contract_soft` term instead of a hard bound.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from optimizer.domain.instance import SoftContractRule
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.variables import AgentVars

if TYPE_CHECKING:
    from optimizer.model.builder import ScheduleModel

RULE_LOCKS = "locked assignment"
RULE_MIN_PAID = "minimum paid hours"
RULE_MAX_PAID = "maximum paid hours"
RULE_MIN_DAYS = "minimum working days"
RULE_MAX_DAYS = "maximum working days"
RULE_WEEKENDS = "maximum working weekends"
RULE_PER_TEMPLATE = "maximum shifts of a shift type"
RULE_SUCCESSIONS = "forbidden shift succession"


def add_locked_assignments(m: ScheduleModel) -> ObjectiveTerms:
    for agent_vars in m.agents.values():
        for lock in agent_vars.agent.locks:
            if lock.off:
                continue  # the day has no options at all
            day = m.grid.day_of_date(lock.date)
            works = agent_vars.works(day)
            if isinstance(works, int):  # the lock leaves no possible shift (availability, time off)
                works = m.model.new_constant(0)
            m.enforce(m.model.add(works == 1), RULE_LOCKS, agent_vars.agent.id)
    return ObjectiveTerms.empty()


def bounded(
    m: ScheduleModel,
    agent_vars: AgentVars,
    expr: cp_model.LinearExprT,
    lower: int,
    upper: int | None,
    rules: tuple[SoftContractRule, SoftContractRule],
    names: tuple[str, str],
    limit: int,
) -> ObjectiveTerms:
    """lower <= expr <= upper, each side hard or soft as the contract says."""
    terms = ObjectiveTerms()
    contract, agent_id = agent_vars.contract, agent_vars.agent.id
    if lower > 0:
        if contract.is_soft(rules[0]):
            short = m.model.new_int_var(0, lower, f"short[{rules[0]},{agent_id}]")
            m.model.add(expr + short >= lower)
            terms.add("contract_soft", contract.soft[rules[0]] * short)
        else:
            m.enforce(m.model.add(expr >= lower), names[0], agent_id)
    if upper is not None:
        if contract.is_soft(rules[1]):
            excess = m.model.new_int_var(0, max(0, limit - upper), f"excess[{rules[1]},{agent_id}]")
            m.model.add(expr - excess <= upper)
            terms.add("contract_soft", contract.soft[rules[1]] * excess)
        else:
            m.enforce(m.model.add(expr <= upper), names[1], agent_id)
    return terms


def add_paid_minutes_bounds(m: ScheduleModel) -> ObjectiveTerms:
    terms = ObjectiveTerms()
    for agent_vars in m.agents.values():
        c = agent_vars.contract
        limit = m.instance.horizon.days * 1440
        terms.merge(bounded(m, agent_vars, agent_vars.paid(), c.min_paid_minutes, c.max_paid_minutes,
                            ("min_paid_minutes", "max_paid_minutes"), (RULE_MIN_PAID, RULE_MAX_PAID), limit))
    return terms


def add_working_days_bounds(m: ScheduleModel) -> ObjectiveTerms:
    terms = ObjectiveTerms()
    for agent_vars in m.agents.values():
        c = agent_vars.contract
        terms.merge(bounded(m, agent_vars, agent_vars.working_days(), c.min_working_days, c.max_working_days,
                            ("min_working_days", "max_working_days"), (RULE_MIN_DAYS, RULE_MAX_DAYS),
                            m.instance.horizon.days))
    return terms


def add_max_working_weekends(m: ScheduleModel) -> ObjectiveTerms:
    terms = ObjectiveTerms()
    for agent_vars in m.agents.values():
        c = agent_vars.contract
        if c.max_working_weekends is None:
            continue
        worked = []
        for days in m.grid.weekends():
            literals = [agent_vars.works(d) for d in days if agent_vars.can_work(d)]
            if not literals:
                continue
            weekend = m.model.new_bool_var(f"weekend[{agent_vars.agent.id},{days[0]}]")
            m.model.add_max_equality(weekend, literals)
            worked.append(weekend)
        if len(worked) > c.max_working_weekends:
            terms.merge(bounded(m, agent_vars, sum(worked), 0, c.max_working_weekends,
                                ("min_working_days", "max_working_weekends"), ("", RULE_WEEKENDS), len(worked)))
    return terms


def add_max_shifts_per_template(m: ScheduleModel) -> ObjectiveTerms:
    for agent_vars in m.agents.values():
        for template_id, limit in agent_vars.contract.max_shifts_per_template.items():
            count = sum(d.of_template(template_id) for d in agent_vars.days.values())
            m.enforce(m.model.add(count <= limit), RULE_PER_TEMPLATE, agent_vars.agent.id)
    return ObjectiveTerms.empty()


def add_forbidden_successions(m: ScheduleModel) -> ObjectiveTerms:
    for agent_vars in m.agents.values():
        for first, second in agent_vars.contract.forbidden_successions:
            for day, today in agent_vars.days.items():
                tomorrow = agent_vars.days.get(day + 1)
                if tomorrow is None:
                    continue
                m.enforce(m.model.add(today.of_template(first) + tomorrow.of_template(second) <= 1),
                          RULE_SUCCESSIONS, agent_vars.agent.id)
    return ObjectiveTerms.empty()
