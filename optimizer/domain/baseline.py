"""Re-optimization input: the roster published before, what may no longer change, and what a
change costs.

Planner words: agents have planned their week around the published roster, so every moved shift
has a price; shifts before the freeze time and locked agents or agent-days stay exactly as
published (shift and breaks, or the day off).

Definitions (the model, the accounting and the validator all follow them):

* An agent-day is an agent and a date (the date a shift starts on). The published shift of an
  agent-day is the baseline assignment of that agent and date (at most one).
* Change cost of an agent-day, comparing the published shift P with the new shift N:
  no P, no N: 0; no P, N: `add_shift`; P, no N: `remove_shift`; P and N with the same template,
  start and end: `move_break` per break whose start differs (matched by break name; a break in
  only one of the two, as when the template's break rules changed, counts); with the
  same template and the start and the end each moved by at most 60 minutes: `move_within_hour`;
  otherwise (another template, or moved more): `move_more`. Date-times are local wall-clock times
  of the horizon (a time zone offset, if any, is dropped).
* Pinned agent-days must equal the published roster exactly (the shift with the same template,
  start, end and break starts, or no shift): every agent-day of a locked agent, every locked
  agent-day, every agent-day whose published shift starts before `freeze_until`, and every
  agent-day whose date starts before `freeze_until` (no shift may be added there either). The
  freeze applies to agents that exist in the new instance; baseline rows of other agents (agents
  who left) are reported, not enforced.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from optimizer.domain.ids import Identifier, Weight
from optimizer.domain.inputs import FrozenInputModel
from optimizer.domain.schedule import Assignment

DEFAULT_CHANGE_HOURS = {
    "move_within_hour": 0.25,
    "move_more": 1.0,
    "add_shift": 1.5,
    "remove_shift": 1.5,
    "move_break": 0.05,
}
"""Default change costs, in agent-hours of under-staffing: a weight left out costs this many hours
times the instance's hourly price of the first missing agent (`weights.under_staffing[0]` per
interval, times the intervals in an hour), rounded, at least 1. So a shift moved by more than an
hour costs as much as one agent missing for an hour, whatever the interval length and weights."""


class ChangeWeights(FrozenInputModel):
    move_within_hour: Weight | None = Field(
        default=None, description="A shift whose start and end move by at most 60 min (default: 0.25 agent-hour).")
    move_more: Weight | None = Field(
        default=None, description="A shift moved by more than an hour, or of another template (default: 1 agent-hour).")
    add_shift: Weight | None = Field(
        default=None, description="A shift on a day the agent had off (default: 1.5 agent-hours).")
    remove_shift: Weight | None = Field(
        default=None, description="A published shift taken away (default: 1.5 agent-hours).")
    move_break: Weight | None = Field(
        default=None, description="Per break moved in an otherwise unchanged shift (default: 0.05 agent-hour).")

    def resolved(self, agent_hour: int) -> ChangeWeights:
        """Every weight given: the defaults priced at `agent_hour` (see DEFAULT_CHANGE_HOURS). Derived
        numbers, not input: not held to the cap on a weight the user gives (1.5 agent-hours at a high
        under-staffing weight exceed it; validating them crashed the solve)."""
        return ChangeWeights.model_construct(**{
            name: value if (value := getattr(self, name)) is not None else max(1, round(hours * agent_hour))
            for name, hours in DEFAULT_CHANGE_HOURS.items()})


class LockedDay(FrozenInputModel):
    agent_id: Identifier
    date: dt.date


class Baseline(FrozenInputModel):
    """The published roster and the rules for changing it (see the module docstring)."""

    assignments: list[Assignment] = Field(
        default_factory=list, description="The published shifts: the `assignments` of an earlier result."
    )
    freeze_until: dt.datetime | None = Field(
        default=None, description="Nothing that starts before this local date-time may change."
    )
    locked_agents: list[Identifier] = Field(default_factory=list, description="Agents kept exactly as published.")
    locked_days: list[LockedDay] = Field(default_factory=list, description="Agent-days kept exactly as published.")
    weights: ChangeWeights = Field(default_factory=ChangeWeights)

    def change_weights(self, under_staffing_weight: int, interval_minutes: int) -> ChangeWeights:
        """The change weights with the defaults filled in from the first under-staffing weight."""
        return self.weights.resolved(agent_hour_price(under_staffing_weight, interval_minutes))

    def shift_of(self, agent_id: str, date: dt.date) -> Assignment | None:
        return self._index().get((agent_id, date))

    def _index(self) -> dict[tuple[str, dt.date], Assignment]:
        index = getattr(self, "_by_agent_day", None)
        if index is None:
            index = {(a.agent_id, a.date): a for a in self.assignments}
            object.__setattr__(self, "_by_agent_day", index)
        return index

    def is_pinned(self, agent_id: str, date: dt.date) -> bool:
        if agent_id in self.locked_agents or LockedDay(agent_id=agent_id, date=date) in self.locked_days:
            return True
        if self.freeze_until is None:
            return False
        published = self.shift_of(agent_id, date)
        freeze = self.freeze_until.replace(tzinfo=None)
        return dt.datetime.combine(date, dt.time()) < freeze or (
            published is not None and published.start.replace(tzinfo=None) < freeze)


def agent_hour_price(under_staffing_weight: int, interval_minutes: int) -> int:
    """What one agent missing for an hour costs (the unit of DEFAULT_CHANGE_HOURS): the first
    under-staffing weight, which is per interval, times the intervals in an hour."""
    return under_staffing_weight * 60 // interval_minutes


def change_weights_of(instance: Any) -> ChangeWeights:
    """The instance's resolved change weights (its baseline must be set)."""
    return instance.baseline.change_weights(instance.weights.under_staffing[0], instance.horizon.interval_minutes)


def change_cost(weights: ChangeWeights, published: Assignment | None, start: dt.datetime | None,
                end: dt.datetime | None, template_id: str | None, break_starts: dict[str, dt.datetime]) -> int:
    """The change cost of one agent-day; the new shift is given by its fields (None: no shift)."""
    if any(getattr(weights, name) is None for name in DEFAULT_CHANGE_HOURS):
        raise ValueError("change weights must be resolved first (change_weights_of)")
    if published is None:
        return 0 if start is None else weights.add_shift
    if start is None or end is None:
        return weights.remove_shift
    p_start, p_end = published.start.replace(tzinfo=None), published.end.replace(tzinfo=None)
    if template_id == published.template_id and start == p_start and end == p_end:
        before = {b.name: b.start.replace(tzinfo=None) for b in published.breaks}
        return weights.move_break * sum(1 for name in before.keys() | break_starts.keys()
                                        if before.get(name) != break_starts.get(name))
    hour = dt.timedelta(minutes=60)
    if template_id == published.template_id and abs(start - p_start) <= hour and abs(end - p_end) <= hour:
        return weights.move_within_hour
    return weights.move_more

