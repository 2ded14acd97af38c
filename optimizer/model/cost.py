"""Labor cost: each shift costs its paid hours at the agent's rate plus the template's cost per
shift, times `weights.labor_cost` (rounded per shift, see optimizer.domain.schedule)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.model.objective import ObjectiveTerms
from optimizer.model.options import labor_cost

if TYPE_CHECKING:
    from optimizer.model.builder import ScheduleModel


def add_labor_cost(m: ScheduleModel) -> ObjectiveTerms:
    terms = ObjectiveTerms()
    templates = {t.id: t for t in m.instance.templates}
    for agent_vars in m.agents.values():
        agent = agent_vars.agent
        for day_vars in agent_vars.days.values():
            terms.add("labor_cost", day_vars.expr(
                lambda o, a=agent: labor_cost(m.instance, a, templates[o.template_id], o.paid_minutes)))
    return terms
