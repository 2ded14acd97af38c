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

    def __hash__(self) -> int:
        # Options are dictionary keys in every sub-model and best response; hashing the pydantic
        # break rules each time was a tenth of a best-response sweep (equal options still compare
        # every field).
        return hash((self.day, self.template_id, self.start, self.length))

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


PinnedBreaks = tuple[tuple[str, int], ...]
"""(break rule name, start minute) of a pinned shift, in rule order."""


@dataclass
class AgentOptions:
    """The options of one agent, per day (days without options are days the agent cannot work).

    Re-optimization: `pinned` holds the agent-days that must stay as published (see
    `optimizer.domain.baseline`): the one option left that day with its break starts, or None for
    a day off; `pin_problems` says why a published shift could not be kept (rules changed)."""

    agent: Agent
    by_day: dict[int, list[ShiftOption]] = field(default_factory=dict)
    pinned: dict[int, tuple[ShiftOption, PinnedBreaks] | None] = field(default_factory=dict)
    pin_problems: list[str] = field(default_factory=list)

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
    if instance.baseline is not None:
        _pin(instance, result, grid)
    return result


def _pin(instance: Instance, result: AgentOptions, grid: TimeGrid) -> None:
    """Leave pinned agent-days only their published shift (or none)."""
    baseline = instance.baseline
    assert baseline is not None
    agent = result.agent
    for day, options in result.by_day.items():
        date = instance.horizon.date_of_day(day)
        if not baseline.is_pinned(agent.id, date):
            continue
        published = baseline.shift_of(agent.id, date)
        if published is None:
            result.by_day[day] = []
            result.pinned[day] = None
            continue
        start, end = grid.minute(published.start), grid.minute(published.end)
        match = next((o for o in options if o.template_id == published.template_id and o.start == start
                      and o.end == end), None)
        what = (f"{agent.id}'s published {published.template_id} shift on {date} "
                f"({published.start:%H:%M}-{published.end:%H:%M})")
        if match is None:
            result.pin_problems.append(
                f"{what} is frozen or locked, but the instance no longer allows it (its template, start window, "
                f"lengths, the agent's contract, availability, time off or locks changed).")
            result.by_day[day] = []
            continue
        breaks = tuple((b.name, grid.minute(b.start)) for b in published.breaks)
        rules = [r.name for r in match.break_rules]
        if sorted(name for name, _ in breaks) != sorted(rules):
            result.pin_problems.append(
                f"{what} is frozen or locked, but its breaks ({', '.join(n for n, _ in breaks) or 'none'}) are not "
                f"the breaks its template now requires ({', '.join(rules) or 'none'}).")
            result.by_day[day] = []
            continue
        # A break whose window changed has no position left at its published start: the day
        # cannot be kept (the model would have no variable to fix, the validator would reject it).
        from optimizer.model.shifts import break_starts  # shifts imports this module

        published_at = dict(breaks)
        moved = [f"{rule.name} at {grid.datetime(published_at[rule.name]):%H:%M}"
                 for k, rule in enumerate(match.break_rules)
                 if published_at[rule.name] not in break_starts(match, k, grid.step)]
        if moved:
            result.pin_problems.append(
                f"{what} is frozen or locked, but its {', '.join(moved)} is no longer inside the break's window "
                f"(the template's break rules changed).")
            result.by_day[day] = []
            continue
        order = {name: i for i, name in enumerate(rules)}
        result.by_day[day] = [match]
        result.pinned[day] = (match, tuple(sorted(breaks, key=lambda b: order[b[0]])))
