"""A schedule as the engine holds it between solves: per agent and day the chosen shift option and
its break starts, plus the per-interval skill allocation of multi-skill groups."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from optimizer.domain.instance import Agent, BreakRule, Instance
from optimizer.model.options import AgentOptions, ShiftOption

GroupKey = tuple[str, ...]
"""Agents with the same skill set form a group; coverage is allocated per group, not per agent."""


def group_of(agent: Agent) -> GroupKey:
    return tuple(sorted(agent.skill_ids))


@dataclass(frozen=True)
class PlacedShift:
    option: ShiftOption
    breaks: tuple[tuple[BreakRule, int], ...]
    """(rule, start minute) in rule order."""

    def working_intervals(self, step: int) -> tuple[int, ...]:
        """Intervals (absolute indices) worked, net of breaks."""
        return _working_intervals(self, step)


@functools.lru_cache(maxsize=200_000)
def _working_intervals(shift: PlacedShift, step: int) -> tuple[int, ...]:
    """Cached: the search evaluates the same shifts over and over."""
    on_break = {m // step for rule, start in shift.breaks for m in range(start, start + rule.duration_minutes, step)}
    return tuple(t for t in range(shift.option.start // step, shift.option.end // step) if t not in on_break)


AgentPlan = dict[int, PlacedShift]
Plan = dict[str, AgentPlan]
Allocation = dict[GroupKey, dict[str, list[int]]]
"""Per multi-skill group and skill: agents of the group serving that skill in each interval."""


@dataclass
class FixedPart:
    """What the agents that a sub-model keeps fixed contribute to the global terms."""

    working: dict[GroupKey, list[int]] = field(default_factory=dict)
    shift_counts: Counter[tuple[int, str]] = field(default_factory=Counter)
    patterns: set[tuple[str, int, int]] = field(default_factory=set)
    paid: dict[str, int] = field(default_factory=dict)
    allocation: Allocation = field(default_factory=dict)
    """Skill allocation of multi-skill groups, used where no free agent can work."""

    @classmethod
    def of(
        cls,
        instance: Instance,
        plan: Plan,
        agent_ids: list[str],
        allocation: Allocation,
        frozen: dict[tuple[str, int], PlacedShift] | None = None,
    ) -> FixedPart:
        """The contribution of `agent_ids` (all days) and of the `frozen` days of free agents
        (coverage only: their other terms stay in the model)."""
        step = instance.horizon.interval_minutes
        horizon_intervals = instance.horizon.num_intervals
        agents = {a.id: a for a in instance.agents}
        fixed = cls()
        for agent_id in agent_ids:
            group = group_of(agents[agent_id])
            working = fixed.working.setdefault(group, [0] * horizon_intervals)
            paid = 0
            for day, shift in plan.get(agent_id, {}).items():
                for t in shift.working_intervals(step):
                    if t < horizon_intervals:
                        working[t] += 1
                fixed.shift_counts[(day, shift.option.template_id)] += 1
                fixed.patterns.add(shift.option.pattern)
                paid += shift.option.paid_minutes
            fixed.paid[agent_id] = paid
        fixed_plan = {agent_id: plan.get(agent_id, {}) for agent_id in agent_ids}
        for (agent_id, day), shift in (frozen or {}).items():
            working = fixed.working.setdefault(group_of(agents[agent_id]), [0] * horizon_intervals)
            for t in shift.working_intervals(step):
                if t < horizon_intervals:
                    working[t] += 1
            fixed_plan.setdefault(agent_id, {})[day] = shift
        fixed.allocation = repair_allocation(instance, fixed_plan, allocation)
        return fixed


def working_counts(instance: Instance, plan: Plan) -> dict[GroupKey, list[int]]:
    step = instance.horizon.interval_minutes
    horizon = instance.horizon.num_intervals
    counts: dict[GroupKey, list[int]] = {}
    for agent in instance.agents:
        row = counts.setdefault(group_of(agent), [0] * horizon)
        for shift in plan.get(agent.id, {}).values():
            for t in shift.working_intervals(step):
                if t < horizon:
                    row[t] += 1
    return counts


def repair_allocation(instance: Instance, plan: Plan, allocation: Allocation) -> Allocation:
    """Start from the solver's allocation where it matches the plan's working counts, elsewhere
    from a greedy split, and improve it to the best split (see `split_groups`)."""
    counts = {group: np.asarray(row, dtype=np.int64) for group, row in working_counts(instance, plan).items()}
    _, split = split_groups(CoverageCosts.of(instance), counts, allocation)
    return {group: {skill: row.tolist() for skill, row in by_skill.items()} for group, by_skill in split.items()}


@dataclass(frozen=True)
class CoverageCosts:
    """Per skill: the requirement, the under-staffing weights as an (interval, k) table (entry k
    is what the (k+1)-th missing agent costs) and the over-staffing weight."""

    required: dict[str, np.ndarray]
    under: dict[str, np.ndarray]
    over: dict[str, int]

    @classmethod
    def of(cls, instance: Instance) -> CoverageCosts:
        skills = [s.id for s in instance.skills]
        return cls(required={s: np.asarray(instance.required(s), dtype=np.int64) for s in skills},
                   under={s: weight_table(instance.under_weights_per_interval(s)) for s in skills},
                   over={s: instance.over_weight(s) for s in skills})

    def at(self, intervals: np.ndarray) -> CoverageCosts:
        """The same costs for the given intervals only (in that order)."""
        return CoverageCosts(required={s: r[intervals] for s, r in self.required.items()},
                             under={s: u[intervals] for s, u in self.under.items()}, over=self.over)

    def marginal(self, skill: str, scheduled: np.ndarray) -> np.ndarray:
        """Per interval: the cost one more agent on `skill` removes (minus the over-staffing
        weight where the skill is already covered)."""
        missing = self.required[skill] - scheduled
        weights = self.under[skill]
        cost = weights[np.arange(len(missing)), np.clip(missing, 1, weights.shape[1]) - 1]
        return np.where(missing > 0, cost, -self.over[skill])


def weight_table(per_interval: list[list[int]]) -> np.ndarray:
    """Per-interval under-staffing weights as an (interval, k) table, each row padded with its last
    weight (which repeats)."""
    width = max(len(w) for w in per_interval)
    return np.array([[*w, *[w[-1]] * (width - len(w))] for w in per_interval], dtype=np.int64)


def split_groups(
    costs: CoverageCosts,
    counts: dict[GroupKey, np.ndarray],
    given: Allocation | None = None,
    start: Allocation | None = None,
) -> tuple[dict[str, np.ndarray], dict[GroupKey, dict[str, np.ndarray]]]:
    """Agents serving each skill per interval, and the split of each multi-skill group over its
    skills. Single-skill groups serve their skill; then each multi-skill group, the ones with fewer
    skills first (the more flexible a group, the later it fills what the others leave), gives its
    working agents one at a time to the skill where one more agent removes the most cost (ties: the
    larger shortage). Optimal for one multi-skill group (the costs are convex per skill); the
    least-flexible-first order matters: measured on multiskill-medium, taking the three-skill
    group first left e-mail to it alone and cost a quarter more under-staffing than the best split.
    Where `given` holds a split that matches the counts, that split replaces the greedy one. Then
    `_transfer` moves agents along chains of groups while that lowers the cost, which makes the
    split optimal also where groups overlap without nesting (voice+chat, chat+email, email+voice).
    `start`, a split of counts close to these (the previous call's, before one agent moved), is
    the greedy's starting point: only the difference is placed (agents taken off where one fewer
    costs least, added where one more saves most), so the greedy runs a step or two instead of once
    per working agent; the transfers then make the split optimal as before."""
    horizon = len(next(iter(costs.required.values())))
    scheduled = {s: np.zeros(horizon, dtype=np.int64) for s in costs.required}
    for group, row in counts.items():
        if len(group) == 1:
            scheduled[group[0]] += row
    split: dict[GroupKey, dict[str, np.ndarray]] = {}
    for group in sorted((g for g in counts if len(g) > 1), key=lambda g: (len(g), g)):
        row = counts[group]
        prior = (start or {}).get(group)
        if prior is not None and all(s in prior for s in group):
            out = np.stack([prior[s] for s in group]).astype(np.int64)
            while (columns := np.flatnonzero(out.sum(axis=0) > row)).size:
                lost = np.stack([np.where(out[i] > 0, costs.marginal(s, scheduled[s] + out[i] - 1), np.inf)
                                 for i, s in enumerate(group)])
                out[np.argmin(lost[:, columns], axis=0), columns] -= 1
            left = row - out.sum(axis=0)
        else:
            out = np.zeros((len(group), horizon), dtype=np.int64)
            left = row.copy()
        while (columns := np.flatnonzero(left > 0)).size:
            value = np.stack([
                costs.marginal(s, scheduled[s] + out[i]) + (costs.required[s] - scheduled[s] - out[i]) * 1e-6
                for i, s in enumerate(group)])
            chosen = np.argmax(value[:, columns], axis=0)
            out[chosen, columns] += 1
            left[columns] -= 1
        kept = (given or {}).get(group)
        if kept is not None and all(s in kept for s in group):
            given_rows = np.asarray([kept[s] for s in group], dtype=np.int64)
            keep = given_rows.sum(axis=0) == row
            out[:, keep] = given_rows[:, keep]
        for i, s in enumerate(group):
            scheduled[s] += out[i]
        split[group] = {s: out[i] for i, s in enumerate(group)}
    if split:
        _transfer(costs, scheduled, split)
    return scheduled, split


MAX_TRANSFER_ROUNDS = 100


def _transfer(costs: CoverageCosts, scheduled: dict[str, np.ndarray], split: dict[GroupKey, dict[str, np.ndarray]]) -> None:
    """Improve a split in place: in each interval, move one agent's worth of coverage from skill a to
    skill c where that saves cost, along the shortest chain of groups that can pass it on (a group
    with an agent on a who can serve b, then one with an agent on b who can serve c, ...); repeat
    until no interval gains. The cost depends only on the agents per skill and is convex per skill,
    so a split that no such transfer improves is optimal (the residual-path condition of a
    transportation problem)."""
    skills = list(scheduled)
    index = {s: i for i, s in enumerate(skills)}
    groups = list(split)
    n, horizon = len(skills), len(scheduled[skills[0]])
    member, dense = _dense(skills, split)
    x = np.stack([scheduled[s] for s in skills])
    columns = np.arange(horizon)
    for _ in range(MAX_TRANSFER_ROUNDS):
        gain = np.stack([costs.marginal(s, x[i]) for i, s in enumerate(skills)])  # one more on s
        loss = np.stack([costs.marginal(s, x[i] - 1) for i, s in enumerate(skills)])  # one fewer on s
        hops, first, via = _chains(member, dense)
        saving = np.where(hops <= n, gain[None, :, :] - loss[:, None, :], -np.inf)  # (from a, to c, interval)
        best = saving.reshape(n * n, horizon).argmax(axis=0)
        improving = np.flatnonzero(saving.reshape(n * n, horizon)[best, columns] > 1e-9)
        if improving.size == 0:
            break
        source, target = best[improving] // n, best[improving] % n
        at = source.copy()
        for _hop in range(n):
            moving = at != target
            if not moving.any():
                break
            ts, frm, to = improving[moving], at[moving], first[at[moving], target[moving], improving[moving]]
            g = via[frm, to, ts]
            dense[g, frm, ts] -= 1
            dense[g, to, ts] += 1
            at[moving] = to
        x[source, improving] -= 1
        x[target, improving] += 1
    for g, group in enumerate(groups):
        for s in group:
            split[group][s] = dense[g, index[s]]
    for i, s in enumerate(skills):
        scheduled[s] = x[i]


def _dense(skills: list[str], split: dict[GroupKey, dict[str, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The split as arrays: member[g, s] (group g has skill s) and dense[g, s, t] (its agents on s in t),
    groups in the order of `split`, skills in the order of `skills`."""
    index = {s: i for i, s in enumerate(skills)}
    horizon = len(next(iter(next(iter(split.values())).values())))
    member = np.zeros((len(split), len(skills)), dtype=bool)
    dense = np.zeros((len(split), len(skills), horizon), dtype=np.int64)
    for g, (group, by_skill) in enumerate(split.items()):
        for s in group:
            member[g, index[s]] = True
            dense[g, index[s]] = by_skill[s]
    return member, dense


def _chains(member: np.ndarray, dense: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shortest chains of groups per interval. `member[g, s]`: group g has skill s; `dense[g, s, t]`:
    agents of g on s in t. Returns (hops, first, via), each indexed (from, to, interval) except via:
    hops[a, c, t] is the length of the shortest chain passing one agent's worth of coverage from a to
    c (n + 1: none), first[a, c, t] the first skill after a on it, via[a, b, t] the group that passes
    it from a to b in one hop."""
    n = member.shape[1]
    horizon = dense.shape[2]
    pair = member[:, :, None] & member[:, None, :] & ~np.eye(n, dtype=bool)  # (group, from, to)
    edge = pair[:, :, :, None] & (dense[:, :, None, :] > 0)  # (group, from, to, interval)
    via = np.argmax(edge, axis=0)
    hops = np.where(edge.any(axis=0), 1, n + 1)
    first = np.broadcast_to(np.arange(n)[None, :, None], (n, n, horizon)).copy()
    for k in range(n):
        through = hops[:, k, None, :] + hops[None, k, :, :]
        shorter = through < hops
        hops = np.where(shorter, through, hops)
        first = np.where(shorter, first[:, k, None, :], first)
    return hops, first, via


def chain_values(costs: CoverageCosts, scheduled: dict[str, np.ndarray],
                 split: dict[GroupKey, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per skill and interval: what one more agent on that skill is worth when the multi-skill
    groups may pass coverage on along chains (one more chat agent frees a chat+voice agent for
    voice), that is the best marginal value among the skills reachable from it. Exact for one
    agent when `split` is the best split (`split_groups`): the cost is convex per skill, so the
    best single chain is the best re-split."""
    skills = list(scheduled)
    values = np.stack([costs.marginal(s, scheduled[s]) for s in skills])  # (skill, interval)
    if not split:
        return {s: values[i] for i, s in enumerate(skills)}
    n = len(skills)
    hops = _chains(*_dense(skills, split))[0]
    reachable = (hops <= n) | np.eye(n, dtype=bool)[:, :, None]  # (from, to, interval)
    best = np.max(np.where(reachable, values[None, :, :], np.iinfo(np.int64).min), axis=1)
    return {s: best[i] for i, s in enumerate(skills)}


def pinned_shifts(options: list[AgentOptions]) -> dict[tuple[str, int], PlacedShift]:
    """The published shifts that re-optimization must keep (pinned agent-days with a shift)."""
    result = {}
    for agent_options in options:
        for day, pin in agent_options.pinned.items():
            if pin is None:
                continue
            option, breaks = pin
            rules = {rule.name: rule for rule in option.break_rules}
            result[(agent_options.agent.id, day)] = PlacedShift(
                option=option, breaks=tuple((rules[name], start) for name, start in breaks))
    return result
