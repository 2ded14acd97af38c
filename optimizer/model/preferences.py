"""Agent preferences as weighted soft constraints.

Planner words: each preference not honored costs its weight (times `weights.preferences`): a
worked day starting outside the preferred start window, a worked preferred day off, a shift
request not met.

Encoding: linear in the shift Booleans; the constant part of "1 - works" goes into the term so
that the reported term equals the validator's count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from optimizer.domain.ids import time_of_day_minutes
from optimizer.model.objective import ObjectiveTerms

if TYPE_CHECKING:
    from optimizer.model.builder import ScheduleModel

RULE = "preferences"


def add_preferences(m: ScheduleModel) -> ObjectiveTerms:
    terms = ObjectiveTerms()
    scale = m.instance.weights.preferences
    if scale == 0:
        return terms
    for agent_vars in m.agents.values():
        prefs = agent_vars.agent.preferences
        if prefs.start_window is not None and prefs.start_window.weight:
            lo = time_of_day_minutes(prefs.start_window.earliest)
            hi = time_of_day_minutes(prefs.start_window.latest)
            weight = scale * prefs.start_window.weight
            for day_vars in agent_vars.days.values():
                terms.add("preferences", day_vars.expr(lambda o, lo=lo, hi=hi, w=weight: 0 if lo <= o.start_of_day <= hi else w))
        for day_off in prefs.days_off:
            day_vars = agent_vars.days.get(m.grid.day_of_date(day_off.date))
            if day_vars is not None:
                terms.add("preferences", scale * day_off.weight * day_vars.works)
        for request in prefs.shift_requests:
            weight = scale * request.weight
            day_vars = agent_vars.days.get(m.grid.day_of_date(request.date))
            matched: cp_model.LinearExprT = cp_model.LinearExpr.constant(0)
            if day_vars is not None:
                matched = day_vars.of_template(request.template) if request.template else day_vars.works
            terms.add("preferences", weight * (1 - matched) if request.on else weight * matched)
    return terms
