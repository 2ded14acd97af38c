"""Shift options: every concrete shift an agent may work on a day, after availability, time off,
locks, allowed templates and weekdays are applied. The model creates one Boolean per option.

Also the break positions each option allows, and the per-agent cost coefficients. Pure data: no
ortools here, so the anonymous model, the named model and the explanations share one view of
what a shift can be.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from optimizer.domain.ids import time_of_day_minutes
from optimizer.domain.instance import Agent, BreakRule, Instance, ShiftTemplate
from optimizer.timegrid import TimeGrid


@dataclass(frozen=True)
class ShiftOption:
    day: int
    template_id: str
    start: int
    length: int
    paid_minutes: int
    break_rules: tuple[BreakRule, ...]

    @property
    def end(self) -> int:
        return self.start + self.length

    @property
    def start_of_day(self) -> int:
        """Start time of day in minutes after the local midnight of the shift's date."""
        return self.start - self.day * 1440

    @property
    def pattern(self) -> tuple[str, int, int]:
        """What makes two shifts 'the same pattern': template, start time of day, length."""
        return (self.template_id, self.start_of_day, self.length)

    def break_positions(self, rule: BreakRule, step: int) -> range:
        return range(self.start + rule.earliest_offset_minutes, self.start + rule.latest_offset_minutes + 1, step)


def labor_cost(instance: Instance, agent: Agent, template: ShiftTemplate, paid_minutes: int) -> int:
    """Objective coefficient of one shift (the `labor_cost` term, see optimizer.domain.schedule)."""
    return round(
        instance.weights.labor_cost * (paid_minutes * agent.cost_per_hour / 60 + template.cost_per_shift)
    )


def template_options(instance: Instance, template: ShiftTemplate, day: int) -> Iterator[ShiftOption]:
    """All shifts of a template on a day, before any agent-specific filter."""
    weekday = instance.horizon.weekday_of_day(day)
    if not template.allowed_on(weekday):
        return
    for start_of_day in template.start_minutes_of_day():
        for length in template.lengths_minutes:
            yield ShiftOption(
                day=day,
                template_id=template.id,
                start=day * 1440 + start_of_day,
                length=length,
                paid_minutes=template.paid_minutes(length),
                break_rules=tuple(template.breaks_for_length(length)),
            )


@dataclass
class AgentOptions:
    """The options of one agent, per day (days without options are days the agent cannot work)."""

    agent: Agent
    by_day: dict[int, list[ShiftOption]] = field(default_factory=dict)

    def all(self) -> Iterator[ShiftOption]:
        for options in self.by_day.values():
            yield from options

    def days(self) -> list[int]:
        return sorted(d for d, opts in self.by_day.items() if opts)


def agent_options(instance: Instance, agent: Agent, grid: TimeGrid) -> AgentOptions:
    locks = {grid.day_of_date(lock.date): lock for lock in agent.locks}
    availability = [grid.window(w) for w in agent.availability] if agent.availability is not None else None
    time_off = [grid.window(w) for w in agent.time_off]
    templates = instance.templates_for(agent)
    result = AgentOptions(agent=agent)
    for day in range(instance.horizon.days):
        lock = locks.get(day)
        options: list[ShiftOption] = []
        if lock is None or not lock.off:
            for template in templates:
                if lock is not None and lock.template != template.id:
                    continue
                for option in template_options(instance, template, day):
                    if lock is not None:
                        assert lock.start is not None
                        if option.start_of_day != time_of_day_minutes(lock.start):
                            continue
                        if lock.length_minutes is not None and option.length != lock.length_minutes:
                            continue
                    if availability is not None and not any(
                        a <= option.start and option.end <= b for a, b in availability
                    ):
                        continue
                    if any(option.start < b and a < option.end for a, b in time_off):
                        continue
                    options.append(option)
        result.by_day[day] = options
    return result
