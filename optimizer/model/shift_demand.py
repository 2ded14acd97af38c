"""Cover per shift type and day (hospital-style demand).

Planner words: on each date, the required number of shifts of a template; each missing one costs
`under_weight`, each extra one `over_weight`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.model.objective import ObjectiveTerms

if TYPE_CHECKING:
    from optimizer.model.builder import ScheduleModel


def add_shift_demand(m: ScheduleModel) -> ObjectiveTerms:
    terms = ObjectiveTerms()
    for i, row in enumerate(m.instance.shift_demand):
        day = m.grid.day_of_date(row.date)
        free = [a.days[day].of_template(row.template) for a in m.agents.values() if day in a.days]
        count = m.fixed.shift_counts[(day, row.template)] + sum(free)
        top = m.fixed.shift_counts[(day, row.template)] + len(free)
        under = m.model.new_int_var(0, row.required, f"shift_under[{i}]")
        over = m.model.new_int_var(0, max(0, top - row.required), f"shift_over[{i}]")
        m.model.add(count + under - over == row.required)
        terms.add("shift_demand", row.under_weight * under + row.over_weight * over)
    return terms
