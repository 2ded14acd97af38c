"""Shifts and breaks.

Planner words: an agent works at most one shift a day, chosen from the templates the agent may
work; each shift has the breaks its template prescribes for its length, each starting inside its
window, in order, with the minimum work between two breaks.

Encoding: one Boolean per (agent, day, shift option) with sum == works[agent, day]; per
(agent, day, template, break rule) one Boolean per allowed absolute break start. Exactly one break
start is chosen when a shift that needs the break is chosen, and a start is only allowed when the
chosen shift's window contains it. Break order and the work between breaks are linear constraints
on the break start times, enforced when a shift of that length is chosen.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from optimizer.model.objective import ObjectiveTerms
from optimizer.model.options import AgentOptions, ShiftOption
from optimizer.model.variables import AgentVars, BreakKey, DayVars

if TYPE_CHECKING:
    from optimizer.model.builder import ScheduleModel

RULE_ONE_SHIFT = "at most one shift per day"
RULE_BREAKS = "breaks inside their windows"


def break_starts(option: ShiftOption, rule_index: int, step: int) -> range:
    """Allowed absolute starts of one break of an option (the break must end inside the shift,
    at least `min_work_after_minutes` before its end)."""
    rule = option.break_rules[rule_index]
    latest = min(rule.latest_offset_minutes, option.length - rule.duration_minutes - rule.min_work_after_minutes)
    return range(option.start + rule.earliest_offset_minutes, option.start + latest + 1, step)


def create_shift_variables(m: ScheduleModel, free: list[AgentOptions]) -> None:
    step = m.grid.step
    for agent_options in free:
        agent = agent_options.agent
        agent_vars = AgentVars(agent=agent, contract=m.instance.contract_of(agent))
        for day, options in agent_options.by_day.items():
            if not options:
                continue
            x = [
                m.model.new_bool_var(f"work[{agent.id},{day},{o.template_id}@{o.start_of_day}+{o.length}]")
                for o in options
            ]
            day_vars = DayVars(day=day, options=options, x=x, works=m.model.new_bool_var(f"works[{agent.id},{day}]"))
            for option in options if m.with_breaks else []:
                for k, rule in enumerate(option.break_rules):
                    key: BreakKey = (option.template_id, rule.name)
                    day_vars.rules[key] = rule
                    positions = day_vars.breaks.setdefault(key, {})
                    for start in break_starts(option, k, step):
                        if start not in positions:
                            positions[start] = m.model.new_bool_var(f"break[{agent.id},{day},{rule.name}@{start}]")
            agent_vars.days[day] = day_vars
        m.agents[agent.id] = agent_vars


def freeze_days(m: ScheduleModel) -> None:
    """Force the frozen (agent, day) shifts and their breaks (see ScheduleModel)."""
    for (agent_id, day), shift in m.frozen.items():
        day_vars = m.agents[agent_id].days[day]
        m.model.add(day_vars.works == 1)
        for x, option in zip(day_vars.x, day_vars.options, strict=True):
            m.model.add(x == int(option == shift.option))
        if not m.with_breaks:
            continue
        for rule, start in shift.breaks:
            m.model.add(day_vars.breaks[(shift.option.template_id, rule.name)][start] == 1)


def add_at_most_one_shift_per_day(m: ScheduleModel) -> ObjectiveTerms:
    for agent_vars in m.agents.values():
        for day_vars in agent_vars.days.values():
            m.model.add(sum(day_vars.x) == day_vars.works).with_name(f"{RULE_ONE_SHIFT}: {agent_vars.agent.id}")
    return ObjectiveTerms.empty()


def add_breaks_inside_their_windows(m: ScheduleModel) -> ObjectiveTerms:
    if not m.with_breaks:
        return ObjectiveTerms.empty()
    step = m.grid.step
    for agent_vars in m.agents.values():
        for day_vars in agent_vars.days.values():
            needs: dict[BreakKey, list[cp_model.IntVar]] = defaultdict(list)
            allowed_by: dict[tuple[BreakKey, int], list[cp_model.IntVar]] = defaultdict(list)
            by_length: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
            for option, x in zip(day_vars.options, day_vars.x, strict=True):
                for k, rule in enumerate(option.break_rules):
                    key = (option.template_id, rule.name)
                    needs[key].append(x)
                    for start in break_starts(option, k, step):
                        allowed_by[(key, start)].append(x)
                if len(option.break_rules) > 1:
                    by_length[(option.template_id, option.length)].append(x)
            for key, positions in day_vars.breaks.items():
                m.model.add(sum(positions.values()) == sum(needs[key]))
                for start, b in positions.items():
                    m.model.add_bool_or([~b, *allowed_by[(key, start)]])
            # Order and minimum work between consecutive breaks of the chosen shift.
            for (template_id, length), xs in by_length.items():
                template = m.instance.template(template_id)
                rules = template.breaks_for_length(length)
                chosen = m.model.new_bool_var(f"len[{agent_vars.agent.id},{day_vars.day},{template_id}+{length}]")
                m.model.add(sum(xs) == chosen)
                for first, second in zip(rules, rules[1:], strict=False):
                    first_start = _break_start(day_vars, (template_id, first.name))
                    second_start = _break_start(day_vars, (template_id, second.name))
                    gap = first.duration_minutes + template.min_work_between_breaks_minutes
                    m.model.add(second_start - first_start >= gap).only_enforce_if(chosen)
    return ObjectiveTerms.empty()


def _break_start(day_vars: DayVars, key: BreakKey) -> cp_model.LinearExprT:
    positions = day_vars.breaks[key]
    return cp_model.LinearExpr.weighted_sum(list(positions.values()), list(positions.keys()))
