"""Every objective term, recomputed by name exactly as `optimizer.domain.schedule` defines it.

* ``under_staffing`` / ``over_staffing``: from the recomputed coverage (see `coverage.py`), per skill
  of the instance and interval of the horizon (a skill without a demand row requires 0); the
  under-staffing weights of each interval from `service_level.py` (in service-level mode derived
  from the forecast: it calls the requirements module for the Erlang numbers, see there).
* ``labor_cost``: per shift of a known agent and template,
  ``round(weights.labor_cost * (paid_minutes * cost_per_hour / 60 + cost_per_shift))`` in that
  order, with paid minutes recomputed from the shift length and the template's break rules.
* ``preferences``: ``weights.preferences`` times the weight of each preference not honored: each
  shift whose start time of day is outside the (inclusive) start window, each preferred day off on
  which a shift starts, each shift request not met (on: no shift starts that date, of that template
  when named; off: one does).
* ``fairness``: ``weights.fairness`` times, per contract with two or more agents in the instance,
  max minus min of their recomputed paid minutes (an agent without shifts has 0).
* ``shift_patterns``: ``weights.shift_patterns`` times the number of distinct (template id, start
  time of day, length in minutes) over all assignments.
* ``shift_demand``: per row, under_weight per missing and over_weight per extra shift of that
  template starting on that date.
* ``contract_soft``: per agent and rule in its contract's `soft`, the weight times the minutes,
  days or weekends short of or beyond the bound (see `rules.contract_limit_excess`).
* ``changes``: per agent-day, the change cost against the instance's published roster (see
  `baseline.py`).

The soft violations (preferences, shift demand rows, soft contract rules) are listed with their
penalty, only when it is positive, and their penalties add up to the corresponding terms.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from optimizer.domain.ids import time_of_day_minutes
from optimizer.domain.instance import Agent, Instance, ShiftTemplate
from optimizer.domain.schedule import OBJECTIVE_TERMS, Assignment, Violation
from optimizer.validate.baseline import changes
from optimizer.validate.rules import (
    CONTRACT_LIMIT_RULES,
    agent_paid_minutes,
    contract_limit_excess,
    contract_of,
    hm,
    paid_minutes_of,
    shift_length_minutes,
    shifts_by_agent,
    start_of_day_minutes,
)
from optimizer.validate.service_level import under_weights_by_interval

PREFERRED_START_WINDOW = "preferred start window"
PREFERRED_DAY_OFF = "preferred day off"
SHIFT_REQUEST = "shift request"
SHIFT_DEMAND = "shift demand"


def under_staffing_cost(shortfall: int, weights: Sequence[int]) -> int:
    """Sum of the first `shortfall` weights, the last weight repeating (without a loop over the
    units: a shortfall can be very large)."""
    if shortfall <= 0:
        return 0
    if shortfall <= len(weights):
        return sum(weights[:shortfall])
    return sum(weights) + weights[-1] * (shortfall - len(weights))


def under_staffing(instance: Instance, assignments: Sequence[Assignment], scheduled: dict[str, list[int]]) -> int:
    total = 0
    for skill in instance.skills:
        weights = under_weights_by_interval(instance, skill.id)
        for required, have, w in zip(instance.required(skill.id), scheduled[skill.id], weights, strict=True):
            total += under_staffing_cost(max(0, required - have), w)
    return total


def over_staffing(instance: Instance, assignments: Sequence[Assignment], scheduled: dict[str, list[int]]) -> int:
    total = 0
    for skill in instance.skills:
        weight = instance.over_weight(skill.id)
        for required, have in zip(instance.required(skill.id), scheduled[skill.id], strict=True):
            total += weight * max(0, have - required)
    return total


def shift_labor_cost(instance: Instance, agent: Agent, template: ShiftTemplate, paid_minutes: int) -> int:
    return round(instance.weights.labor_cost * (paid_minutes * agent.cost_per_hour / 60 + template.cost_per_shift))


def labor_cost(instance: Instance, assignments: Sequence[Assignment], scheduled: dict[str, list[int]]) -> int:
    agents = {a.id: a for a in instance.agents}
    templates = {t.id: t for t in instance.templates}
    total = 0
    for s in assignments:
        agent, template = agents.get(s.agent_id), templates.get(s.template_id)
        if agent is not None and template is not None:
            total += shift_labor_cost(instance, agent, template, paid_minutes_of(template, shift_length_minutes(s)))
    return total


def preference_violations(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    scale = instance.weights.preferences
    by_agent = shifts_by_agent(assignments)
    out: list[Violation] = []
    for agent in instance.agents:
        shifts = by_agent.get(agent.id, [])
        prefs = agent.preferences

        def add(rule: str, weight: int, message: str, agent_id: str = agent.id) -> None:
            if weight * scale > 0:
                out.append(Violation(rule=rule, agent_id=agent_id, message=message, penalty=weight * scale))

        window = prefs.start_window
        if window is not None:
            lo, hi = time_of_day_minutes(window.earliest), time_of_day_minutes(window.latest)
            for s in shifts:
                if not lo <= start_of_day_minutes(s.start) <= hi:
                    add(PREFERRED_START_WINDOW, window.weight,
                        f"{agent.id} starts at {hm(s.start)} on {s.start.date()}, outside the preferred "
                        f"{window.earliest}-{window.latest}")
        dates = {s.start.date() for s in shifts}
        for day_off in prefs.days_off:
            if day_off.date in dates:
                add(PREFERRED_DAY_OFF, day_off.weight, f"{agent.id} works on preferred day off {day_off.date}")
        for request in prefs.shift_requests:
            met = any(s.start.date() == request.date and request.template in (None, s.template_id) for s in shifts)
            if met != request.on:
                what = f"a shift of template {request.template}" if request.template else "a shift"
                verb = "requested" if request.on else "asked not to have"
                add(SHIFT_REQUEST, request.weight, f"{agent.id} {verb} {what} on {request.date}")
    return out


def shift_demand_violations(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    counts = Counter((s.start.date(), s.template_id) for s in assignments)
    out = []
    for row in instance.shift_demand:
        have = counts[(row.date, row.template)]
        penalty = row.under_weight * max(0, row.required - have) + row.over_weight * max(0, have - row.required)
        if penalty > 0:
            out.append(Violation(rule=SHIFT_DEMAND, penalty=penalty,
                                 message=f"{have} {row.template} shifts start on {row.date}; "
                                         f"{row.required} are wanted"))
    return out


def soft_contract_violations(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    by_agent = shifts_by_agent(assignments)
    out = []
    for agent in instance.agents:
        contract = contract_of(instance, agent)
        if contract is None:
            continue
        for rule, weight in contract.soft.items():
            amount, message = contract_limit_excess(instance, agent, contract, by_agent.get(agent.id, []), rule)
            if amount * weight > 0:
                out.append(Violation(rule=CONTRACT_LIMIT_RULES[rule], agent_id=agent.id,
                                     message=f"{message} (soft, {weight} per unit)", penalty=amount * weight))
    return out


def soft_violations(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    """Every penalized soft violation except staffing (not listed per interval)."""
    return [
        *preference_violations(instance, assignments),
        *shift_demand_violations(instance, assignments),
        *soft_contract_violations(instance, assignments),
    ]


def preferences(instance: Instance, assignments: Sequence[Assignment], scheduled: dict[str, list[int]]) -> int:
    return sum(v.penalty for v in preference_violations(instance, assignments))


def fairness(instance: Instance, assignments: Sequence[Assignment], scheduled: dict[str, list[int]]) -> int:
    by_agent = shifts_by_agent(assignments)
    paid_by_contract: dict[str, list[int]] = defaultdict(list)
    for agent in instance.agents:
        paid_by_contract[agent.contract].append(agent_paid_minutes(instance, by_agent.get(agent.id, [])))
    spread = sum(max(paid) - min(paid) for paid in paid_by_contract.values() if len(paid) >= 2)
    return instance.weights.fairness * spread


def shift_patterns(instance: Instance, assignments: Sequence[Assignment], scheduled: dict[str, list[int]]) -> int:
    patterns = {(s.template_id, start_of_day_minutes(s.start), shift_length_minutes(s)) for s in assignments}
    return instance.weights.shift_patterns * len(patterns)


def shift_demand(instance: Instance, assignments: Sequence[Assignment], scheduled: dict[str, list[int]]) -> int:
    return sum(v.penalty for v in shift_demand_violations(instance, assignments))


def contract_soft(instance: Instance, assignments: Sequence[Assignment], scheduled: dict[str, list[int]]) -> int:
    return sum(v.penalty for v in soft_contract_violations(instance, assignments))


Term = Callable[[Instance, Sequence[Assignment], dict[str, list[int]]], int]

TERMS: dict[str, Term] = {
    "under_staffing": under_staffing,
    "over_staffing": over_staffing,
    "labor_cost": labor_cost,
    "preferences": preferences,
    "fairness": fairness,
    "shift_patterns": shift_patterns,
    "shift_demand": shift_demand,
    "contract_soft": contract_soft,
    "changes": changes,
}


def recompute_terms(
    instance: Instance, assignments: Sequence[Assignment], scheduled: dict[str, list[int]]
) -> dict[str, int]:
    """Every name in `OBJECTIVE_TERMS` -> its recomputed value (KeyError if the domain gains a term
    this module does not know)."""
    return {name: TERMS[name](instance, assignments, scheduled) for name in OBJECTIVE_TERMS}
