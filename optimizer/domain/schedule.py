"""What a solve returns: the schedule, coverage, KPIs, violations and the solve statistics.

The objective is the sum of these integer terms (names as in `SolveResult.terms`); the model and
the independent validator each compute them, and must agree exactly.

* ``under_staffing``: for each skill and interval of the horizon, with shortfall
  s = max(0, required - scheduled), the sum of the first s entries of the interval's
  under-staffing weights (the last entry repeats). In head-count mode these are the skill's
  weights (`Skill.under_staffing_weights`, else `weights.under_staffing`) in every interval. In
  service-level mode (`Skill.under_staffing_mode`, else `weights.under_staffing_mode`, is
  ``service_level`` and the skill's demand is a voice or chat forecast) each interval t has its
  own list, from the forecast volume v and the required count r of that interval (see
  `optimizer.requirements.demand.service_level_weights`), for k = 1 .. min(r, 8):
  ``raw_k = weights.service_level_scale * v * (SL(r - k + 1) - SL(r - k))`` and
  ``w_k = max(w_(k-1), 1, floor(raw_k + 1/2))`` (w_0 = 0; ``[1]`` when r = 0), where SL(m) is the
  service level predicted for m scheduled agents (productive: ``floor(m * (1 - shrinkage other
  than breaks))``; Erlang C, or Erlang A with patience; chat with its effective handle time).
  So the k-th missing agent costs the contacts it pushes past the threshold, times the scale;
  the weights never decrease (a convex cost), and from the 8th missing agent on each costs w_8.
* ``over_staffing``: for each skill and interval, max(0, scheduled - required) times the skill's
  over-staffing weight.
* ``labor_cost``: for each shift, ``round(weights.labor_cost * (paid_minutes * cost_per_hour / 60
  + template.cost_per_shift))`` with the agent's cost per hour (Python's round).
* ``preferences``: ``weights.preferences`` times the weight of each preference not honored: a
  worked day whose start time of day is outside the start window, a worked preferred day off, a
  shift request not met (on: no shift that date, of that template if named; off: a shift that
  date, of that template if named).
* ``fairness``: ``weights.fairness`` times, per contract with two or more agents, the spread
  (max - min) of the agents' paid minutes.
* ``shift_patterns``: ``weights.shift_patterns`` times the number of distinct
  (template, start time of day, length) used.
* ``shift_demand``: per shift-demand row, under_weight per missing and over_weight per extra
  shift of that template starting that date.
* ``contract_soft``: per soft contract rule, its weight times the violation (minutes, days or
  weekends beyond the bound; minutes beyond the start-variation bound).
* ``changes`` (re-optimization, when the instance has a `baseline`): per agent of the instance and
  date of the horizon, the change cost of that agent-day against the published roster, as defined
  in `optimizer.domain.baseline`.

An agent counts for a skill in an interval when a shift covers the whole interval, no break
does, and the agent serves that skill then: single-skill agents always serve their skill;
multi-skill agents serve the skill of the activity covering the interval.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

from optimizer.domain.service_level import DemandDerivation, ServiceLevelRow, ServiceLevelSummary

Status = Literal["optimal", "feasible", "infeasible", "unknown", "invalid"]

OBJECTIVE_TERMS = (
    "under_staffing",
    "over_staffing",
    "labor_cost",
    "preferences",
    "fairness",
    "shift_patterns",
    "shift_demand",
    "contract_soft",
    "changes",
)

DESIGN_TERMS = ("under_staffing", "over_staffing", "shift_patterns", "avg_shift_length")
"""The objective of shift design (`instance.design`), defined in `DesignShift`."""


class BreakSlot(BaseModel):
    name: str
    start: dt.datetime
    end: dt.datetime
    paid: bool


class Activity(BaseModel):
    skill: str
    start: dt.datetime
    end: dt.datetime


class Assignment(BaseModel):
    agent_id: str
    date: dt.date
    start: dt.datetime
    end: dt.datetime
    template_id: str
    paid_minutes: int = Field(description="Shift length minus unpaid breaks (informative).")
    breaks: list[BreakSlot] = Field(default_factory=list)
    activities: list[Activity] = Field(
        default_factory=list, description="Which skill each worked stretch serves (multi-skill agents)."
    )


class CoverageRow(BaseModel):
    skill: str
    interval_start: dt.datetime
    required: int
    scheduled: int
    volume: float | None = Field(default=None, description="Forecast contacts (skills whose demand is a forecast).")
    required_net: int | None = Field(
        default=None, description="Forecast: productive agents the targets need (required adds shrinkage).")


class Kpis(BaseModel):
    required_agent_hours: float = 0.0
    under_staffed_agent_hours: float = 0.0
    over_staffed_agent_hours: float = 0.0
    coverage_pct: float = Field(
        default=100.0, description="Share of required agent-hours that are scheduled (capped per interval)."
    )
    paid_hours: float = 0.0
    labor_cost: float = Field(default=0.0, description="Money cost of shifts (unweighted).")
    shifts: int = 0
    preferences_total: int = 0
    preferences_honored: int = 0
    hours_per_agent_min: float = 0.0
    hours_per_agent_max: float = 0.0
    hours_per_agent_spread: float = 0.0
    service_level: list[ServiceLevelSummary] = Field(
        default_factory=list,
        description="Predicted service per skill with a forecast (and 'all' voice and chat skills), per "
        "day and for the horizon; see `optimizer.domain.service_level`.",
    )

    @classmethod
    def from_totals(
        cls,
        interval_minutes: int,
        coverage: Iterable[tuple[int, int]],
        paid_hours: list[float],
        labor_cost: float,
        shifts: int,
        preferences: tuple[int, int],
    ) -> Kpis:
        """The KPIs from (required, scheduled) per skill and interval, paid hours per agent, the money
        cost, the number of shifts and (preferences in play, honored)."""
        hours_per_interval = interval_minutes / 60
        required = under = over = 0
        for r, s in coverage:
            required += r
            under += max(0, r - s)
            over += max(0, s - r)
        return cls(
            required_agent_hours=round(required * hours_per_interval, 2),
            under_staffed_agent_hours=round(under * hours_per_interval, 2),
            over_staffed_agent_hours=round(over * hours_per_interval, 2),
            coverage_pct=round(100.0 * (required - under) / required, 2) if required else 100.0,
            paid_hours=round(sum(paid_hours), 2),
            labor_cost=round(labor_cost, 2),
            shifts=shifts,
            preferences_total=preferences[0],
            preferences_honored=preferences[1],
            hours_per_agent_min=round(min(paid_hours, default=0.0), 2),
            hours_per_agent_max=round(max(paid_hours, default=0.0), 2),
            hours_per_agent_spread=round(max(paid_hours, default=0.0) - min(paid_hours, default=0.0), 2),
        )


class Violation(BaseModel):
    rule: str
    agent_id: str | None = None
    start: dt.datetime | None = None
    message: str
    penalty: int = 0


class AnonymousPattern(BaseModel):
    """Anonymous mode: how many agents of a skill group work this shift on this date."""

    skill_group: list[str]
    date: dt.date
    template_id: str
    start: dt.datetime
    end: dt.datetime
    count: int
    breaks: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Per break name: start time (HH:MM) -> number of agents."
    )


class DesignBreak(BaseModel):
    name: str
    offset_minutes: int = Field(description="Break start, minutes after the shift start.")


class DesignShift(BaseModel):
    """Shift design: one shift line and how many agents work it, per date and skill.

    The design objective is the sum of these terms (`DESIGN_TERMS`), over the horizon's intervals
    and the skills (with a cyclic horizon, time past its end wraps to its beginning):

    * ``under_staffing``/``over_staffing``: as in named mode; an agent counts for the skill of
      its line in each interval its shift covers whole outside its breaks;
    * ``shift_patterns``: ``weights.shift_patterns`` per distinct (start time of day, length,
      break offsets) among the lines with a positive count (the template is not part of it);
    * ``avg_shift_length``: per pool with `avg_net_shift_minutes` = [lo, hi], with N the pool's
      shifts and W their total net minutes (length minus unpaid breaks), ``weights.avg_shift_length``
      times max(0, N*lo - W, W - N*hi) / interval_minutes.
    """

    template_id: str
    start: str = Field(description="Start time of day, HH:MM.")
    length_minutes: int
    breaks: list[DesignBreak] = Field(default_factory=list)
    counts: dict[dt.date, dict[str, int]] = Field(
        default_factory=dict, description="Date -> skill -> number of agents starting this shift that date."
    )


class SolveStats(BaseModel):
    strategy: str = ""
    workers: int = 0
    seed: int = 0
    time_limit_s: float = 0.0
    build_time_s: float = 0.0
    time_to_first_s: float | None = None
    anonymous_time_s: float = 0.0
    lns_iterations: int = 0
    cancelled: bool = Field(default=False, description="The solve was stopped before its time limit.")
    variables: int = 0
    constraints: int = 0
    ortools_version: str = ""
    progress: list[list[float]] = Field(
        default_factory=list, description="[elapsed_s, objective, bound] at each improvement."
    )

    def record(self, elapsed_s: float, objective: float, bound: float | None) -> None:
        """One row of `progress` (a missing bound is written as -1)."""
        self.progress.append([round(elapsed_s, 3), objective, bound if bound is not None else -1])


ChangeKind = Literal["unchanged", "moved", "added", "removed", "break_moved"]


class DayChange(BaseModel):
    """One agent-day of a re-optimized roster against the published one."""

    agent_id: str
    date: dt.date
    change: ChangeKind
    before_template: str | None = None
    before_start: dt.datetime | None = None
    before_end: dt.datetime | None = None
    after_template: str | None = None
    after_start: dt.datetime | None = None
    after_end: dt.datetime | None = None
    start_moved_minutes: int | None = Field(default=None, description="After minus before start (moved shifts).")
    end_moved_minutes: int | None = None
    breaks_moved: int = 0
    paid_hours_delta: float = 0.0


class RosterDiff(BaseModel):
    """The re-optimized roster against the published one (`instance.baseline`), per agent and day:
    every agent-day with a shift before or after, and the totals. `kpis_before` and `objective_before`
    evaluate the published roster against the new instance (its demand), `kpis_after` the new roster."""

    days: list[DayChange] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict, description="Agent-days per change kind.")
    agent_days: int = Field(default=0, description="Agent-days of the horizon (agents x days).")
    agent_days_changed: int = 0
    changed_share: float = Field(default=0.0, description="agent_days_changed / agent_days.")
    paid_hours_added: float = 0.0
    paid_hours_removed: float = 0.0
    agents_left: list[str] = Field(default_factory=list, description="Published agents not in the instance.")
    agents_joined: list[str] = Field(default_factory=list, description="Agents without published shifts.")
    kpis_before: Kpis = Field(default_factory=Kpis)
    kpis_after: Kpis = Field(default_factory=Kpis)
    objective_before: int | None = Field(default=None, description=(
        "The published roster's objective under the new instance (the shifts it can still express; its "
        "hard rules are not checked), to set against the new objective: why a roster changes at all."))


class SelfCheck(BaseModel):
    """The independent validator's verdict on a result, run by the engine before returning it
    (`optimizer.validate`, which shares no code with the model). Not ok means an engine defect:
    the schedule is still returned, so that nothing is lost, and flagged."""

    ok: bool
    hard_violations: int = 0
    mismatches: int = 0
    details: list[str] = Field(default_factory=list, description="The first hard violations and mismatches.")


class SolveResult(BaseModel):
    instance: str
    status: Status
    objective: int | None = None
    best_bound: float | None = None
    gap: float | None = Field(default=None, description=(
        "(objective - best_bound) / objective, at least 0; at an objective of 0 or less, 0 when the bound "
        "reaches it."))
    anonymous_bound: float | None = Field(
        default=None,
        description="Lower bound on under_staffing + over_staffing + labor_cost + shift_demand, "
        "from the anonymous (no named agents) model.",
    )
    wall_time_s: float = 0.0
    terms: dict[str, int] = Field(default_factory=dict)
    assignments: list[Assignment] = Field(default_factory=list)
    coverage: list[CoverageRow] = Field(default_factory=list)
    kpis: Kpis = Field(default_factory=Kpis)
    violations: list[Violation] = Field(default_factory=list)
    explanation: list[str] = Field(
        default_factory=list, description="When infeasible: which rules conflict, in planner words."
    )
    anonymous: list[AnonymousPattern] = Field(default_factory=list)
    design: list[DesignShift] = Field(
        default_factory=list, description="Shift design mode: the shift lines and their counts."
    )
    changes: RosterDiff | None = Field(
        default=None, description="Re-optimization: the new roster against the published one."
    )
    notes: list[str] = Field(
        default_factory=list, description="What the engine did that a planner should know (re-optimization)."
    )
    derived_demand: list[DemandDerivation] = Field(
        default_factory=list, description="Skills whose demand was given as a forecast, and how it was derived.")
    service_level: list[ServiceLevelRow] = Field(
        default_factory=list, description="Predicted service per skill with a forecast and interval.")
    stats: SolveStats = Field(default_factory=SolveStats)
    self_check: SelfCheck | None = Field(
        default=None, description="The independent validator's verdict on this schedule (None without one).")
