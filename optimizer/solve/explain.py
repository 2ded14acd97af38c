"""Infeasibility, explained in planner words.

Every hard rule of the engine concerns one agent (coverage and the other global goals are soft),
so an instance is infeasible exactly when some agent's own rules conflict. Cheap pre-checks catch
the common cases before any model is built; otherwise each agent's rules are solved alone with
one assumption literal per rule, and CP-SAT's infeasibility core names the rules that conflict.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from optimizer.domain.instance import Instance
from optimizer.model.builder import HARD_FAMILIES, ScheduleModel
from optimizer.model.options import AgentOptions

if TYPE_CHECKING:
    from optimizer.solve.solver import Budget

logger = logging.getLogger(__name__)

MAX_REPORTED_AGENTS = 20


def _hours(minutes: int) -> str:
    return f"{minutes // 60}h{minutes % 60:02d}"


def precheck(instance: Instance, options: list[AgentOptions]) -> list[str]:
    """Problems visible without a solver: too few possible days or hours, locks that no allowed
    shift satisfies."""
    problems: list[str] = []
    for agent_options in options:
        agent = agent_options.agent
        contract = instance.contract_of(agent)
        days = agent_options.days()
        problems.extend(agent_options.pin_problems)
        kept_off = sorted(str(instance.horizon.date_of_day(d)) for d, shift in agent_options.pinned.items()
                          if shift is None)
        published = (f"; the published days off {', '.join(kept_off)} are kept (frozen or locked)" if kept_off
                     else "")
        for lock in agent.locks:
            day = instance.horizon.day_of_date(lock.date)
            if not lock.off and not agent_options.by_day.get(day):
                problems.append(
                    f"{agent.id} is locked to a {lock.template} shift at {lock.start} on {lock.date}, but no such "
                    f"shift fits their availability, time off and contract {contract.id}'s allowed shift types."
                )
        if not contract.is_soft("min_working_days") and len(days) < contract.min_working_days:
            problems.append(
                f"{agent.id} can work on only {len(days)} day(s) (availability, time off, locks, allowed shift "
                f"types{published}), but contract {contract.id} requires at least {contract.min_working_days} "
                "working days."
            )
        if contract.min_paid_minutes and not contract.is_soft("min_paid_minutes"):
            best_per_day = sorted((max(o.paid_minutes for o in agent_options.by_day[d]) for d in days), reverse=True)
            limit = contract.max_working_days if contract.max_working_days is not None else len(best_per_day)
            reachable = sum(best_per_day[:limit])
            if reachable < contract.min_paid_minutes:
                problems.append(
                    f"{agent.id} can be paid at most {_hours(reachable)} in the horizon (availability, time off, "
                    f"at most {limit} working day{'s' if limit != 1 else ''}{published}), but contract {contract.id} "
                    "requires at least "
                    f"{_hours(contract.min_paid_minutes)}."
                )
    return problems


def explain_infeasible(instance: Instance, options: list[AgentOptions], budget: Budget) -> list[str]:
    """Per agent whose own rules conflict: the conflicting rules, from an assumption core."""
    explanation: list[str] = []
    for agent_options in options:
        core = conflicting_rules(instance, agent_options, budget)
        if core:
            contract = instance.contract_of(agent_options.agent)
            explanation.append(
                f"{agent_options.agent.id} (contract {contract.id}): these rules cannot all hold together: "
                + ", ".join(core) + "."
            )
            if len(explanation) >= MAX_REPORTED_AGENTS:
                explanation.append("(further agents not checked)")
                break
    if not explanation:
        explanation.append("No schedule satisfies every hard rule, but no single agent's rules conflict on their "
                           "own; the time limit may be too short to find a schedule.")
    return explanation


def conflicting_rules(instance: Instance, agent_options: AgentOptions, budget: Budget) -> list[str]:
    m = ScheduleModel(instance, [agent_options], explain=True, families=HARD_FAMILIES)
    solver = budget.solver(5.0, workers=1)
    status = solver.solve(m.model)
    if status != cp_model.INFEASIBLE:
        return []
    core = list(solver.sufficient_assumptions_for_infeasibility())
    # CP-SAT's core is sufficient, not minimal: drop each rule without which the rest still conflict.
    for index in list(core):
        trial = [i for i in core if i != index]
        m.model.clear_assumptions()
        m.model.add_assumptions([m.model.get_bool_var_from_proto_index(i) for i in trial])
        if budget.solver(5.0, workers=1).solve(m.model) == cp_model.INFEASIBLE:
            core = trial
    rules = []
    for index in core:
        assumption = m.assumptions[index]
        if assumption.rule not in rules:
            rules.append(assumption.rule)
    return rules or ["its shift structure (no allowed shift on the days it must work)"]
