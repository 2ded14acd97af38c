"""Working agents per skill group and interval, kept up to date one agent at a time (numpy), and
what one more agent of each group is worth in each interval.

The construction and the best-response sweeps ask this question thousands of times; answering it
incrementally instead of re-accounting the whole schedule is what makes them fast. Multi-skill
groups are split over their skills at the best split, as `plan.repair_allocation` does
(`plan.split_groups`). Shifts per (day, template) are counted as well, for the cover per shift
type (`shift_demand`).
"""

from __future__ import annotations

import numpy as np

from optimizer.domain.instance import Instance
from optimizer.model.plan import (
    CoverageCosts,
    GroupKey,
    PlacedShift,
    Plan,
    chain_values,
    group_of,
    split_groups,
)


class CoverageState:
    def __init__(self, instance: Instance, plan: Plan | None = None) -> None:
        self.horizon = instance.horizon.num_intervals
        self.step = instance.horizon.interval_minutes
        self.group_of = {agent.id: group_of(agent) for agent in instance.agents}
        self.groups = sorted(set(self.group_of.values()))
        self.counts = {g: np.zeros(self.horizon, dtype=np.int64) for g in self.groups}
        self.skills = [s.id for s in instance.skills]
        self.costs = CoverageCosts.of(instance)
        self.required, self.under_weights = self.costs.required, self.costs.under
        self.shift_rows = {(instance.horizon.day_of_date(row.date), row.template): row for row in instance.shift_demand}
        self.shift_counts = dict.fromkeys(self.shift_rows, 0)
        self._values = {g: np.zeros(self.horizon, dtype=np.int64) for g in self.groups}
        self._valued_counts: np.ndarray | None = None  # the counts `_values` was computed for
        # The best split of those counts over each multi-skill group's skills (none yet: all zero).
        self._split = {g: {s: np.zeros(self.horizon, dtype=np.int64) for s in g} for g in self.groups if len(g) > 1}
        for agent_id, shifts in (plan or {}).items():
            self.add(agent_id, shifts, +1)

    def add(self, agent_id: str, shifts: dict[int, PlacedShift], sign: int) -> None:
        """Add (sign +1) or remove (sign -1) an agent's shifts."""
        counts = self.counts[self.group_of[agent_id]]
        for day, shift in shifts.items():
            intervals = [t for t in shift.working_intervals(self.step) if t < self.horizon]
            counts[intervals] += sign
            key = (day, shift.option.template_id)
            if key in self.shift_counts:
                self.shift_counts[key] += sign

    def shift_values(self) -> dict[tuple[int, str], int]:
        """Per (day, template) with a cover row: what one more shift is worth (the under weight
        while short, minus the over weight once covered). Exact for one agent."""
        return {key: row.under_weight if self.shift_counts[key] < row.required else -row.over_weight
                for key, row in self.shift_rows.items()}

    def scheduled(self) -> dict[str, np.ndarray]:
        return split_groups(self.costs, self.counts)[0]

    def under_cost_by_day(self, days: int) -> np.ndarray:
        """Per day: what its under-staffing costs now (intervals and cover per shift type), in
        objective units; where the improvement should look."""
        scheduled = self.scheduled()
        per_interval = np.zeros(self.horizon, dtype=np.int64)
        for skill in self.skills:
            missing = np.maximum(self.required[skill] - scheduled[skill], 0)
            weights = self.under_weights[skill]
            width = weights.shape[1]
            cumulative = np.cumsum(weights, axis=1)
            index = np.clip(missing, 1, width) - 1
            cost = cumulative[np.arange(self.horizon), index] + np.maximum(missing - width, 0) * weights[:, -1]
            per_interval += np.where(missing > 0, cost, 0)
        per_day = per_interval[: days * (self.horizon // days)].reshape(days, -1).sum(axis=1)
        for key, row in self.shift_rows.items():
            per_day[key[0]] += row.under_weight * max(0, row.required - self.shift_counts[key])
        return per_day

    def marginal_values(self) -> dict[GroupKey, np.ndarray]:
        """Per group and interval: the under-staffing cost one more working agent removes (or minus
        the over-staffing cost it adds), on the skill where it is worth most, counting the skills
        it reaches by freeing multi-skill agents (`plan.chain_values`). Exact for one agent.
        Incremental: intervals are independent, so only those whose counts changed since the last
        call are recomputed (a best-response step changes one or two agents' intervals)."""
        if not self.groups:  # no agents
            return {}
        counts = np.stack([self.counts[g] for g in self.groups])
        changed = (np.arange(self.horizon) if self._valued_counts is None
                   else np.flatnonzero((counts != self._valued_counts).any(axis=0)))
        if changed.size:
            costs = self.costs.at(changed)
            start = {g: {s: row[changed] for s, row in by_skill.items()} for g, by_skill in self._split.items()}
            scheduled, split = split_groups(costs, {g: self.counts[g][changed] for g in self.groups}, start=start)
            per_skill = chain_values(costs, scheduled, split)
            for g, by_skill in split.items():
                for s, row in by_skill.items():
                    self._split[g][s][changed] = row
            for g in self.groups:
                self._values[g][changed] = np.max(np.stack([per_skill[s] for s in g]), axis=0)
            self._valued_counts = counts
        return {g: values.copy() for g, values in self._values.items()}

