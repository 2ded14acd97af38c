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

from typing import TYPE_CHECKING

from optimizer.domain.baseline import change_cost, change_weights_of
from optimizer.model.objective import ObjectiveTerms

if TYPE_CHECKING:
    from optimizer.model.builder import ScheduleModel


def add_change_penalties(m: ScheduleModel) -> ObjectiveTerms:
    terms = ObjectiveTerms()
    baseline = m.instance.baseline
    if baseline is None:
        return terms
    weights = change_weights_of(m.instance)
    terms.add("changes", unplaceable_change_cost(m))
    for agent_id, agent_vars in m.agents.items():
        for day, day_vars in agent_vars.days.items():
            published = baseline.shift_of(agent_id, m.instance.horizon.date_of_day(day))
            costs = [change_cost(weights, published, m.grid.datetime(o.start), m.grid.datetime(o.end),
                                 o.template_id, {}) for o in day_vars.options]
            terms.add_weighted("changes", day_vars.x, costs)
            if published is None:
                continue
            terms.add("changes", weights.remove_shift * (1 - day_vars.works))
            if not m.with_breaks or not weights.move_break:
                continue
            start, end = m.grid.minute(published.start), m.grid.minute(published.end)
            for option, x in zip(day_vars.options, day_vars.x, strict=True):
                if (option.template_id, option.start, option.end) != (published.template_id, start, end):
                    continue
                for slot in published.breaks:
                    positions = day_vars.breaks.get((option.template_id, slot.name), {})
                    at_published = positions.get(m.grid.minute(slot.start))
                    moved = m.model.new_bool_var(f"break_moved[{agent_id},{day},{slot.name}]")
                    m.model.add(moved >= x - at_published if at_published is not None else moved >= x)
                    terms.add("changes", weights.move_break * moved)
    return terms


def unplaceable_change_cost(m: ScheduleModel) -> int:
    """Change cost of the agent-days without any shift option (a published shift there is removed
    whatever the solver does): a constant of the objective."""
    baseline = m.instance.baseline
    if baseline is None:
        return 0
    total = 0
    for agent_id, agent_vars in m.agents.items():
        for day in range(m.instance.horizon.days):
            if day not in agent_vars.days:
                published = baseline.shift_of(agent_id, m.instance.horizon.date_of_day(day))
                total += change_cost(change_weights_of(m.instance), published, None, None, None, {})
    return total
