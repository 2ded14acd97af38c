"""Coverage: scheduled agents per skill per interval, recomputed from the shifts' own datetimes.

Interval `t` is [start_date 00:00 + t * interval_minutes, + interval_minutes) for t in
0..num_intervals-1. An agent counts for a skill in an interval when one of its shifts covers the
whole interval, none of that shift's break slots overlaps it, and the agent serves that skill then:
a single-skill agent its only skill (activities, if any, do not change that); a multi-skill agent
the skill of the first activity in list order that covers the whole interval, when the agent has
that skill (otherwise it serves nothing there). Time before the horizon start or after its end
counts for nothing.

Readings chosen where the domain is silent: shifts of unknown agents count for nothing; an agent
counts at most once per interval (the earliest listed shift wins when two shifts of one agent
overlap, which is a hard violation anyway).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from optimizer.domain.instance import Agent, Instance
from optimizer.domain.schedule import Assignment, CoverageRow
from optimizer.validate.rules import horizon_origin

RULE = "coverage"


def interval_start(instance: Instance, t: int) -> dt.datetime:
    return horizon_origin(instance) + dt.timedelta(minutes=t * instance.horizon.interval_minutes)


def _served_skill(agent: Agent, shift: Assignment, lo: dt.datetime, hi: dt.datetime) -> str | None:
    if len(agent.skills) == 1:
        return agent.skills[0].skill
    activity = next((a for a in shift.activities if a.start <= lo and hi <= a.end), None)
    if activity is None or activity.skill not in agent.skill_ids:
        return None
    return activity.skill


def scheduled_per_skill(instance: Instance, assignments: Sequence[Assignment]) -> dict[str, list[int]]:
    """Per skill of the instance, the number of agents serving it in each interval of the horizon."""
    origin = horizon_origin(instance)
    step = dt.timedelta(minutes=instance.horizon.interval_minutes)
    horizon = instance.horizon.num_intervals
    agents = {a.id: a for a in instance.agents}
    serving: dict[tuple[str, int], str] = {}
    for shift in assignments:
        agent = agents.get(shift.agent_id)
        if agent is None:
            continue
        first = max(0, -((origin - shift.start) // step))  # first interval starting at or after the start
        last = min(horizon, (shift.end - origin) // step)  # intervals ending at or before the end
        for t in range(first, last):
            if (agent.id, t) in serving:
                continue
            lo = origin + t * step
            hi = lo + step
            if any(b.start < hi and lo < b.end for b in shift.breaks):
                continue
            skill = _served_skill(agent, shift, lo, hi)
            if skill is not None:
                serving[(agent.id, t)] = skill
    counts = {s.id: [0] * horizon for s in instance.skills}
    for (_agent_id, t), skill in serving.items():
        if skill in counts:
            counts[skill][t] += 1
    return counts


def _when(value: dt.datetime) -> str:
    return value.isoformat(timespec="minutes")


def compare_coverage(
    instance: Instance, scheduled: dict[str, list[int]], rows: Sequence[CoverageRow]
) -> list[str]:
    """Mismatches between the reported coverage rows and the recomputed coverage: a wrong
    `scheduled` or `required`, a row for no skill and interval of the horizon, a row given twice,
    and, per skill, the intervals with no row."""
    origin = horizon_origin(instance)
    step = dt.timedelta(minutes=instance.horizon.interval_minutes)
    horizon = instance.horizon.num_intervals
    required = {s.id: instance.required(s.id) for s in instance.skills}
    seen: set[tuple[str, int]] = set()
    out = []
    for row in rows:
        where = f"coverage {row.skill} {_when(row.interval_start)}"
        offset = row.interval_start - origin
        t = offset // step
        if row.skill not in scheduled or offset % step or not 0 <= t < horizon:
            out.append(f"{where}: not a skill and interval of the horizon")
            continue
        if (row.skill, t) in seen:
            out.append(f"{where}: reported twice")
            continue
        seen.add((row.skill, t))
        if row.scheduled != scheduled[row.skill][t]:
            out.append(f"{where}: schedule reports {row.scheduled}, recomputed {scheduled[row.skill][t]}")
        if row.required != required[row.skill][t]:
            out.append(f"{where}: schedule reports required {row.required}, the instance requires "
                       f"{required[row.skill][t]}")
    for skill in scheduled:
        missing = [t for t in range(horizon) if (skill, t) not in seen]
        if missing:
            out.append(f"coverage {skill}: {len(missing)} interval(s) missing from the schedule, the first "
                       f"{_when(interval_start(instance, missing[0]))}")
    return out
