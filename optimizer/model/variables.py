"""Variable containers with query methods, so constraint families read like the rules they state."""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from optimizer.domain.instance import Agent, BreakRule, Contract
from optimizer.model.options import ShiftOption

BreakKey = tuple[str, str]
"""(template id, break rule name): break variables are shared by all options of a template."""


@dataclass
class DayVars:
    """One agent, one day: a Boolean per shift option (at most one is true) and, per break rule of
    the templates in play, a Boolean per allowed break start (absolute minute)."""

    day: int
    options: list[ShiftOption]
    x: list[cp_model.IntVar]
    works: cp_model.IntVar
    breaks: dict[BreakKey, dict[int, cp_model.IntVar]] = field(default_factory=dict)
    rules: dict[BreakKey, BreakRule] = field(default_factory=dict)

    def expr(self, coefficient: callable) -> cp_model.LinearExprT:  # type: ignore[valid-type]
        """sum(coefficient(option) * x) over the options, skipping zero coefficients."""
        pairs = [(v, c) for o, v in zip(self.options, self.x, strict=True) if (c := coefficient(o))]
        if not pairs:
            return cp_model.LinearExpr.constant(0)
        return cp_model.LinearExpr.weighted_sum([v for v, _ in pairs], [c for _, c in pairs])

    def of_template(self, template_id: str) -> cp_model.LinearExprT:
        return self.expr(lambda o: int(o.template_id == template_id))

    def start(self) -> cp_model.LinearExprT:
        return self.expr(lambda o: o.start)

    def end(self) -> cp_model.LinearExprT:
        return self.expr(lambda o: o.end)

    def start_of_day(self) -> cp_model.LinearExprT:
        return self.expr(lambda o: o.start_of_day)

    def paid(self) -> cp_model.LinearExprT:
        return self.expr(lambda o: o.paid_minutes)


@dataclass
class AgentVars:
    agent: Agent
    contract: Contract
    days: dict[int, DayVars] = field(default_factory=dict)

    def works(self, day: int) -> cp_model.LinearExprT | int:
        """1 when the agent works on `day` (0 for days without any possible shift)."""
        day_vars = self.days.get(day)
        return day_vars.works if day_vars is not None else 0

    def can_work(self, day: int) -> bool:
        return day in self.days

    def paid(self) -> cp_model.LinearExprT:
        return sum((d.paid() for d in self.days.values()), cp_model.LinearExpr.constant(0))

    def working_days(self) -> cp_model.LinearExprT:
        return sum((d.works for d in self.days.values()), cp_model.LinearExpr.constant(0))
