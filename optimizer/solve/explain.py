"""Infeasibility, explained in planner words.

Every hard rule of the engine concerns one agent (coverage and the other global goals are soft),
so an instance is infeasible exactly when some agent's own rules conflict. Cheap pre-checks catch
the common cases before any model is built; otherwise each agent's rules are solved alone with
one assumption literal per rule, and CP-SAT's infeasibility core names the rules that conflict.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from optimizer.domain.ids import time_of_day_minutes
from optimizer.domain.instance import Agent, Instance, Lock, TimeWindow
from optimizer.model import options as shift_options
from optimizer.model.builder import HARD_FAMILIES, ScheduleModel
from optimizer.model.options import AgentOptions
from optimizer.timegrid import TimeGrid

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
        published = ""
        if kept_off:
            joined = instance.baseline is not None and not any(a.agent_id == agent.id
                                                               for a in instance.baseline.assignments)
            published = (f"; {', '.join(kept_off)} are kept off (frozen or locked; the agent has no published shifts)"
                         if joined else f"; the published days off {', '.join(kept_off)} are kept (frozen or locked)")
        for lock in agent.locks:
            day = instance.horizon.day_of_date(lock.date)
            if not lock.off and not agent_options.by_day.get(day):
                problems.append(
                    f"{agent.id} is locked to a {lock.template} shift at {lock.start} on {lock.date}, but "
                    f"{_lock_obstacles(instance, agent, lock)}."
                )
        if not contract.is_soft("min_working_days") and len(days) < contract.min_working_days:
            problems.append(
                f"{agent.id} can work on only {len(days)} day(s) (availability, time off, locks, allowed shift "
                f"types{published}), but contract {contract.id} requires at least {contract.min_working_days} "
                "working days."
            )
        if contract.min_paid_minutes and not contract.is_soft("min_paid_minutes"):
            best_per_day = sorted((max(o.paid_minutes for o in agent_options.by_day[d]) for d in days), reverse=True)
            hard_days = contract.max_working_days is not None and not contract.is_soft("max_working_days")
            limit = contract.max_working_days if hard_days else len(best_per_day)  # soft: more days at a price
            reachable = sum(best_per_day[:limit])
            if reachable < contract.min_paid_minutes:
                problems.append(
                    f"{agent.id} can be paid at most {_hours(reachable)} in the horizon (availability, time off, "
                    f"locks, allowed shift types, at most {limit} working day{'s' if limit != 1 else ''}{published}), "
                    f"but contract {contract.id} "
                    "requires at least "
                    f"{_hours(contract.min_paid_minutes)}."
                )
    return problems


WEEKDAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
                 "sat": "Saturday", "sun": "Sunday"}


def _lock_obstacles(instance: Instance, agent: Agent, lock: Lock) -> str:
    """Why no shift satisfies a shift lock, in planner words: the contract's allowed shift types,
    the template's weekdays, or the agent's availability or time off (alone or together); under
    re-optimization, the day kept as published (frozen or locked) when it is."""
    assert lock.template is not None and lock.start is not None  # a shift lock (checked with the instance)
    baseline = instance.baseline
    if baseline is not None and baseline.is_pinned(agent.id, lock.date):
        published = baseline.shift_of(agent.id, lock.date)
        length = None if published is None else int((published.end - published.start).total_seconds()) // 60
        if published is None or (published.template_id, f"{published.start:%H:%M}") != (lock.template, lock.start) \
                or lock.length_minutes not in (None, length):  # else the published shift is the lock's: see below
            kept = "off" if published is None else \
                f"{published.template_id} {published.start:%H:%M}-{published.end:%H:%M}"
            return f"the day is frozen or locked as published ({kept})"
    contract = instance.contract_of(agent)
    template = instance.template(lock.template)
    day = instance.horizon.day_of_date(lock.date)
    weekday = instance.horizon.weekday_of_day(day)
    reasons = []
    if contract.allowed_templates is not None and template.id not in contract.allowed_templates:
        reasons.append(f"contract {contract.id} does not allow {template.id} shifts")
    if not template.allowed_on(weekday):
        reasons.append(f"template {template.id} is worked on {', '.join(template.days or [])} only, and "
                       f"{lock.date} is a {WEEKDAY_NAMES[weekday]}")
    if reasons:
        return " and ".join(reasons)
    grid = TimeGrid(instance.horizon)
    wanted = [o for o in shift_options.template_options(instance, template, day)
              if o.start_of_day == time_of_day_minutes(lock.start)
              and lock.length_minutes in (None, o.length)]
    windows = [grid.window(w) for w in agent.availability] if agent.availability is not None else None
    available = [o for o in wanted if windows is None or any(a <= o.start and o.end <= b for a, b in windows)]
    clashes = [w for w in agent.time_off if any(o.start < grid.minute(w.end) and grid.minute(w.start) < o.end
                                                for o in wanted)]
    free = [o for o in wanted if not any(o.start < grid.minute(w.end) and grid.minute(w.start) < o.end
                                         for w in agent.time_off)]
    shown = ", ".join(_window_text(w) for w in clashes[:MAX_LISTED])
    if not available and not free:
        return f"it lies outside their availability and overlaps their time off ({shown})"
    if not available:
        return "it lies outside their availability"
    if not free:
        return f"it overlaps their time off ({shown})"
    return f"every such shift lies outside their availability or overlaps their time off ({shown})"


def explain_infeasible(instance: Instance, options: list[AgentOptions], budget: Budget) -> list[str]:
    """Per agent whose own rules conflict: the conflicting rules, from an assumption core, and the
    agent's own limits (time off, availability, locks) without which they would hold."""
    explanation: list[str] = []
    for agent_options in options:
        core = conflicting_rules(instance, agent_options, budget)
        if core:
            agent = agent_options.agent
            contract = instance.contract_of(agent)
            line = f"{agent.id} (contract {contract.id}): these rules cannot all hold together: " + ", ".join(core) + "."
            limits = personal_limits(instance, agent_options, budget, core)
            if limits:
                line += f" Without {agent.id}'s {limits} they could."
            explanation.append(line)
            if len(explanation) >= MAX_REPORTED_AGENTS:
                explanation.append("(further agents not checked)")
                break
    if not explanation:
        explanation.append("No schedule satisfies every hard rule, but no single agent's rules conflict on their "
                           "own; the time limit may be too short to find a schedule.")
    return explanation


PERSONAL_LIMITS = {"time_off": "time off", "availability": "availability", "locks": "locked days"}
"""The agent's own limits that shape its shift options rather than being rules of the model, so
that an assumption core cannot name them (field -> planner words)."""


def personal_limits(instance: Instance, agent_options: AgentOptions, budget: Budget, core: list[str]) -> str:
    """Which of the agent's own limits the conflict needs, in words ("time off (2026-03-04,
    2026-03-06)"), or "" when the rules conflict without them: each limit alone is lifted and the
    agent's rules solved again; when no single one resolves the conflict, all of them together.
    Locks are left out when the core already names the locked assignment."""
    agent = agent_options.agent
    present = [field for field in PERSONAL_LIMITS if getattr(agent, field)
               and not (field == "locks" and "locked assignment" in core)]
    if agent_options.pinned:
        present.append(PINNED)

    def holds_without(fields: list[str]) -> bool:
        relaxed = agent.model_copy(update={f: None if f == "availability" else [] for f in fields if f != PINNED})
        unpinned = instance if PINNED not in fields else _without_pins(instance, agent.id)
        return rules_hold(unpinned, shift_options.agent_options(unpinned, relaxed, TimeGrid(instance.horizon)), budget)

    def text(field: str) -> str:
        return _pinned_text(instance, agent_options) if field == PINNED else _limit_text(agent, field)

    single = [field for field in present if holds_without([field])]
    if single:
        return ", or without their ".join(text(field) for field in single)
    if len(present) > 1 and holds_without(present):
        return " and ".join(text(field) for field in present) + " together"
    return ""


PINNED = "pinned"
"""Re-optimization's frozen and locked published days (`instance.baseline`): like the limits above,
they shape the agent's shift options (`AgentOptions.pinned`) and no core can name them."""


def _without_pins(instance: Instance, agent_id: str) -> Instance:
    """The instance with none of the agent's published days frozen or locked (the freeze is lifted
    for everyone: only this agent's own rules are solved with it)."""
    baseline = instance.baseline
    assert baseline is not None  # an agent has pinned days only under a baseline
    return instance.model_copy(update={"baseline": baseline.model_copy(update={
        "freeze_until": None, "locked_agents": [a for a in baseline.locked_agents if a != agent_id],
        "locked_days": [d for d in baseline.locked_days if d.agent_id != agent_id]})})


def _pinned_text(instance: Instance, agent_options: AgentOptions) -> str:
    dates = [str(instance.horizon.date_of_day(day)) for day in sorted(agent_options.pinned)]
    shown = ", ".join(dates[:MAX_LISTED]) + (f" and {len(dates) - MAX_LISTED} more" if len(dates) > MAX_LISTED else "")
    return f"frozen or locked published days ({shown})"


def rules_hold(instance: Instance, agent_options: AgentOptions, budget: Budget) -> bool:
    """Whether the agent's hard rules can all hold (a schedule of the agent's own model is found)."""
    m = ScheduleModel(instance, [agent_options], families=HARD_FAMILIES)
    return budget.solver(5.0, workers=1).solve(m.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def _limit_text(agent: Agent, field: str) -> str:
    if field == "locks":
        items = [f"{lock.date} off" if lock.off else f"{lock.date} {lock.template} at {lock.start}"
                 for lock in agent.locks]
    else:
        items = [_window_text(w) for w in getattr(agent, field)]
    shown = ", ".join(items[:MAX_LISTED]) + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")
    return f"{PERSONAL_LIMITS[field]} ({shown})"


MAX_LISTED = 3


def _window_text(window: TimeWindow) -> str:
    """Whole days as dates ("2026-03-04", "2026-03-04 to 2026-03-06"), otherwise the times."""
    start, end = window.start, window.end
    if start.time() == end.time() == dt.time() and end > start:
        last = end.date() - dt.timedelta(days=1)
        return str(start.date()) if last == start.date() else f"{start.date()} to {last}"
    if start.date() == end.date():
        return f"{start.date()} {start:%H:%M}-{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"


def conflicting_rules(instance: Instance, agent_options: AgentOptions, budget: Budget) -> list[str]:
    """The agent's hard rules that conflict, each needed for the conflict (none when they can all hold)."""
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
