"""Change costs against a published roster (re-optimization).

Planner words: every published shift that is moved, removed or added, and every break moved in an
otherwise unchanged shift, has a price (`baseline.weights`); see `optimizer.domain.baseline` for
the exact definition. Pinned agent-days (frozen or locked) are fixed through the shift options
and `ScheduleModel.frozen`, so they cost nothing here.

Encoding: per agent-day a linear expression over the option Booleans (each option's cost against
the published shift, `remove_shift` times "no shift"); for the option identical to the published
shift, one Boolean per break that is not at its published start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from optimizer.domain.baseline import ChangeWeights, change_weights_of
from optimizer.domain.instance import Instance
from optimizer.model.objective import ObjectiveTerms
from optimizer.timegrid import TimeGrid

if TYPE_CHECKING:
    from optimizer.model.builder import ScheduleModel
    from optimizer.model.options import ShiftOption
    from optimizer.model.plan import PlacedShift


@dataclass(frozen=True)
class PublishedShift:
    """A published shift in minutes from the horizon start (break starts by break name)."""

    template_id: str
    start: int
    end: int
    breaks: dict[str, int]


def published_shifts(instance: Instance) -> dict[tuple[str, int], PublishedShift]:
    """(agent, day) -> its published shift, worked out once per instance: every model of a
    re-optimization (one per best response, batch and neighbourhood) compares each of its shift
    options with the published shift of that day; date-time arithmetic per option was a third of
    the Python time of the best-response sweeps on multiskill-medium."""
    baseline = instance.baseline
    rows = baseline.assignments if baseline is not None else []
    cached = getattr(instance, "_published_minutes", None)
    # model_copy copies the cache with the rest: it holds only while rows and horizon are the same.
    if cached is not None and cached[0] is rows and cached[1] is instance.horizon:
        return cached[2]
    grid = TimeGrid(instance.horizon)
    result: dict[tuple[str, int], PublishedShift] = {}
    for row in rows:
        day = grid.day_of_date(row.date)
        if 0 <= day < instance.horizon.days:
            result[(row.agent_id, day)] = PublishedShift(
                row.template_id, grid.minute(row.start), grid.minute(row.end),
                {b.name: grid.minute(b.start) for b in row.breaks})
    object.__setattr__(instance, "_published_minutes", (rows, instance.horizon, result))
    return result


def option_change_cost(weights: ChangeWeights, published: PublishedShift | None, option: ShiftOption) -> int:
    """`optimizer.domain.baseline.change_cost` of working `option` (its breaks at the published
    starts), in grid minutes."""
    if published is None:
        return weights.add_shift
    if option.template_id != published.template_id:
        return weights.move_more
    if option.start == published.start and option.end == published.end:
        return 0
    if abs(option.start - published.start) <= 60 and abs(option.end - published.end) <= 60:
        return weights.move_within_hour
    return weights.move_more


def shift_change_cost(weights: ChangeWeights, published: PublishedShift | None, shift: PlacedShift | None) -> int:
    """`optimizer.domain.baseline.change_cost` of one agent-day, in grid minutes."""
    if shift is None:
        return 0 if published is None else weights.remove_shift
    cost = option_change_cost(weights, published, shift.option)
    if cost or published is None:
        return cost
    starts = {rule.name: start for rule, start in shift.breaks}
    return weights.move_break * sum(1 for name in published.breaks.keys() | starts.keys()
                                    if published.breaks.get(name) != starts.get(name))


def add_change_penalties(m: ScheduleModel) -> ObjectiveTerms:
    terms = ObjectiveTerms()
    baseline = m.instance.baseline
    if baseline is None:
        return terms
    weights = change_weights_of(m.instance)
    published_of = published_shifts(m.instance)
    terms.add("changes", unplaceable_change_cost(m))
    for agent_id, agent_vars in m.agents.items():
        for day, day_vars in agent_vars.days.items():
            published = published_of.get((agent_id, day))
            terms.add_weighted("changes", day_vars.x, [option_change_cost(weights, published, o)
                                                       for o in day_vars.options])
            if published is None:
                continue
            terms.add("changes", weights.remove_shift * (1 - day_vars.works))
            if not m.with_breaks or not weights.move_break:
                continue
            for option, x in zip(day_vars.options, day_vars.x, strict=True):
                if (option.template_id, option.start, option.end) != (
                        published.template_id, published.start, published.end):
                    continue
                # A break of the option's that the published shift lacks (a rule added) has moved too.
                terms.add("changes", weights.move_break * x * sum(
                    1 for rule in option.break_rules if rule.name not in published.breaks))
                for name, minute in published.breaks.items():
                    positions = day_vars.breaks.get((option.template_id, name), {})
                    at_published = positions.get(minute)
                    moved = m.model.new_bool_var(f"break_moved[{agent_id},{day},{name}]")
                    m.model.add(moved >= x - at_published if at_published is not None else moved >= x)
                    terms.add("changes", weights.move_break * moved)
    return terms


def unplaceable_change_cost(m: ScheduleModel) -> int:
    """Change cost of the agent-days without any shift option (a published shift there is removed
    whatever the solver does): a constant of the objective."""
    if m.instance.baseline is None:
        return 0
    weights, published = change_weights_of(m.instance), published_shifts(m.instance)
    return sum(shift_change_cost(weights, published.get((agent_id, day)), None)
               for agent_id, agent_vars in m.agents.items()
               for day in range(m.instance.horizon.days) if day not in agent_vars.days)
