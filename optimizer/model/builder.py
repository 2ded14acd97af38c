"""ScheduleModel: creates the variables, calls every constraint family in order, minimizes the sum
of the named objective terms.

One builder serves three uses:
* the whole instance in one model (`free` = every agent, no `fixed` part);
* a neighbourhood of a large-neighbourhood search or a batch of the construction (`free` = some
  agents, `fixed` = what the other agents contribute to coverage and the global terms);
* one agent alone with an assumption literal per (rule, agent), to explain infeasibility.

`with_breaks=False` leaves breaks out (a caller that places them itself, as the greedy
construction does). `frozen` (agent, day) -> shift keeps those days of free agents exactly as they are: their
options are just that shift, and their coverage is part of `fixed`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimizer.domain.instance import Instance
from optimizer.model import (
    changes,
    contracts,
    cost,
    coverage,
    fairness,
    preferences,
    rest,
    sequences,
    shift_demand,
    shifts,
    stability,
)
from optimizer.model.objective import ObjectiveTerms
from optimizer.model.options import AgentOptions
from optimizer.model.plan import FixedPart, PlacedShift, pinned_shifts
from optimizer.model.variables import AgentVars
from optimizer.timegrid import TimeGrid

logger = logging.getLogger(__name__)

Family = Callable[["ScheduleModel"], ObjectiveTerms]

HARD_FAMILIES: list[Family] = [
    shifts.add_at_most_one_shift_per_day,
    shifts.add_breaks_inside_their_windows,
    contracts.add_locked_assignments,
    contracts.add_paid_minutes_bounds,
    contracts.add_working_days_bounds,
    contracts.add_max_working_weekends,
    contracts.add_max_shifts_per_template,
    contracts.add_forbidden_successions,
    rest.add_min_rest_between_shifts,
    sequences.add_max_consecutive_working_days,
    sequences.add_min_consecutive_days_off,
    sequences.add_min_consecutive_working_days,
    stability.add_start_time_stability,
]
SOFT_FAMILIES: list[Family] = [
    coverage.add_coverage,
    cost.add_labor_cost,
    preferences.add_preferences,
    fairness.add_fairness_of_hours,
    fairness.add_distinct_shift_patterns,
    shift_demand.add_shift_demand,
    changes.add_change_penalties,
]


@dataclass(frozen=True)
class Assumption:
    rule: str
    agent_id: str


class ScheduleModel:
    def __init__(
        self,
        instance: Instance,
        free: list[AgentOptions],
        fixed: FixedPart | None = None,
        *,
        explain: bool = False,
        families: list[Family] | None = None,
        frozen: dict[tuple[str, int], PlacedShift] | None = None,
        with_breaks: bool = True,
    ) -> None:
        started = time.perf_counter()
        self.instance = instance
        self.grid = TimeGrid(instance.horizon)
        self.model = cp_model.CpModel()
        self.fixed = fixed or FixedPart()
        self.explain = explain
        self.assumptions: dict[int, Assumption] = {}
        self._guards: dict[tuple[str, str], cp_model.IntVar] = {}
        self.agents: dict[str, AgentVars] = {}
        self.options: dict[str, AgentOptions] = {o.agent.id: o for o in free}
        self.terms = ObjectiveTerms()
        self.coverage = coverage.CoverageVars()
        # Published shifts pinned by re-optimization are frozen in every model, like LNS windows.
        self.frozen = {**pinned_shifts(free), **(frozen or {})}
        self.with_breaks = with_breaks
        shifts.create_shift_variables(self, free)
        shifts.freeze_days(self)
        for family in families if families is not None else HARD_FAMILIES + SOFT_FAMILIES:
            family_started = time.perf_counter()
            self.terms.merge(family(self))
            logger.debug("%s: %.3f s", family.__name__, time.perf_counter() - family_started)
        self.model.minimize(self.terms.total())
        self.build_time_s = time.perf_counter() - started
        proto = self.model.proto
        logger.debug(
            "model for %d agents: %d variables, %d constraints, built in %.2f s",
            len(free), len(proto.variables), len(proto.constraints), self.build_time_s,
        )

    @property
    def num_variables(self) -> int:
        return len(self.model.proto.variables)

    @property
    def num_constraints(self) -> int:
        return len(self.model.proto.constraints)

    def guard(self, rule: str, agent_id: str) -> list[cp_model.IntVar]:
        """Enforcement literals of a hard rule for an agent: none normally; in explain mode one
        assumption literal per (rule, agent), so the infeasibility core names the rules."""
        if not self.explain:
            return []
        key = (rule, agent_id)
        if key not in self._guards:
            literal = self.model.new_bool_var(f"assume[{rule}|{agent_id}]")
            self._guards[key] = literal
            self.assumptions[literal.index] = Assumption(rule, agent_id)
            self.model.add_assumption(literal)
        return [self._guards[key]]

    def enforce(self, constraint: cp_model.Constraint, rule: str, agent_id: str) -> None:
        guard = self.guard(rule, agent_id)
        if guard:
            constraint.only_enforce_if(guard)
        constraint.with_name(f"{rule}: {agent_id}")
