"""Simulate a solved schedule against the instance's forecast (`wfm simulate`).

`simulate_schedule(instance, result)` takes the voice and chat skills whose demand is a forecast,
counts the scheduled agents per interval from the schedule (on shift, not on break) and runs
`simulate_staffing` over the horizon, then pools the replications per skill and day and over the
horizon, next to the Erlang prediction for the same agents.

Routing of multi-skill agents:

* ``activities`` (default): each agent serves, in each interval, the skill of its activity (what
  the engine planned; single-skill agents their skill), so the staffing per skill is the
  schedule's coverage and the Erlang prediction (the one in the solve result) applies to every
  interval;
* ``skills``: multi-skill agents take the longest-waiting call among all their simulated skills
  (skill-based routing); the Erlang prediction is then only given for skills that no multi-skill
  agent serves.

Agents are productive agents: the scheduled count reduced by the forecast's shrinkage other than
breaks (``floor(m * (1 - s))``; for a multi-skill group the largest of its skills' shrinkages).
An interval is *single-skill* when no multi-skill agent serves the skill in it (activities
routing) or no multi-skill agent is on shift (skills routing). Email and back office (deferred
work) are not simulated.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from optimizer.domain.instance import Instance
from optimizer.domain.schedule import SolveResult
from optimizer.simulate.api import AgentGroup, clipped, mean_ci, ratio, simulate_staffing
from optimizer.validate.coverage import scheduled_per_skill

__all__ = ["Routing", "ScheduleSimulation", "simulate_schedule", "working_counts"]

Routing = Literal["activities", "skills"]
HORIZON = "horizon"
ALL = "all"


@dataclass(frozen=True)
class ScheduleSimulation:
    """``intervals``: `SimulationResult.intervals` (per skill and interval: simulated measures with
    ``_lo``/``_hi`` bounds, the Erlang prediction) plus ``scheduled`` and ``single_skill``.
    ``periods``: per skill (and ``all``) and period (a date, or ``horizon``): volume, the
    simulated service_level / mean_wait_s / abandonment pooled per replication with their bounds,
    and the Erlang prediction volume-weighted (``erlang_*``; waits over the intervals where the
    Erlang C queue is stable, NaN when some interval of the period has no prediction)."""

    intervals: object
    periods: object
    skills: list[str]
    skipped: dict[str, str] = field(default_factory=dict)
    routing: str = "activities"
    replications: int = 0
    seed: int = 0
    confidence: float = 0.95
    elapsed_s: float = 0.0


def working_counts(instance: Instance, result: SolveResult) -> dict[tuple[str, ...], list[int]] | None:
    """Scheduled agents per skill set (key: the agent's skills, in order) and interval: on a shift
    covering the whole interval and not on break."""
    n = instance.horizon.num_intervals
    step = dt.timedelta(minutes=instance.horizon.interval_minutes)
    origin = dt.datetime.combine(instance.horizon.start_date, dt.time())
    skills_of = {a.id: a.skill_ids for a in instance.agents}
    counts: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0] * n)
    for shift, t, _lo, _hi in _worked_intervals(result, origin, step, n):
        counts[skills_of.get(shift.agent_id, ())][t] += 1
    counts.pop((), None)
    return dict(counts)


def _worked_intervals(result: SolveResult, origin: dt.datetime, step: dt.timedelta, n: int):  # type: ignore[no-untyped-def]
    for shift in result.assignments:
        first = max(0, -((origin - shift.start) // step))
        last = min(n, (shift.end - origin) // step)
        for t in range(first, last):
            lo = origin + t * step
            hi = lo + step
            if any(b.start < hi and lo < b.end for b in shift.breaks):
                continue
            yield shift, t, lo, hi


def _multi_skill_serving(instance: Instance, result: SolveResult) -> dict[str, np.ndarray]:
    """Per skill and interval: multi-skill agents serving it (by their activities)."""
    n = instance.horizon.num_intervals
    step = dt.timedelta(minutes=instance.horizon.interval_minutes)
    origin = dt.datetime.combine(instance.horizon.start_date, dt.time())
    multi = {a.id for a in instance.agents if len(a.skills) > 1}
    out = {s.id: np.zeros(n, dtype=int) for s in instance.skills}
    for shift, t, lo, hi in _worked_intervals(result, origin, step, n):
        if shift.agent_id not in multi:
            continue
        activity = next((a for a in shift.activities if a.start <= lo and hi <= a.end), None)
        if activity is not None and activity.skill in out:
            out[activity.skill][t] += 1
    return out


def simulate_schedule(
    instance: Instance,
    result: SolveResult,
    *,
    replications: int = 20,
    seed: int = 0,
    routing: Routing = "activities",
    handle_time: Literal["exponential", "lognormal"] = "exponential",
    warmup_intervals: int = 0,
    confidence: float = 0.95,
) -> ScheduleSimulation:
    """Simulate the schedule in `result` (see the module docstring)."""
    from optimizer.requirements.demand import resolve_demand

    started = time.perf_counter()
    resolved = resolve_demand(instance)
    skipped: dict[str, str] = {}
    skills: list[str] = []
    for s in instance.skills:
        if s.id not in resolved.rows:
            skipped[s.id] = "no forecast"
        elif s.channel not in ("voice", "chat"):
            skipped[s.id] = f"{s.channel} is deferred work"
        else:
            skills.append(s.id)
    if not skills:
        raise ValueError("the instance has no voice or chat skill with a forecast to simulate")
    rows = [r for s in skills for r in resolved.rows[s]]
    keep = {s: 1.0 - resolved.rows[s][0].shrinkage.without_breaks for s in skills}
    n = instance.horizon.num_intervals
    multi = _multi_skill_serving(instance, result)
    if routing == "activities":
        # Counted from the shifts, breaks and activities themselves, not read from the result's
        # `coverage` rows (optional, and not what is simulated when they disagree).
        serving = scheduled_per_skill(instance, result.assignments)
        scheduled = {s: list(serving[s]) for s in skills}
        staffing: object = {s: [_productive(m, keep[s]) for m in scheduled[s]] for s in skills}
        single = {s: multi[s] == 0 for s in skills}
    else:
        groups = []
        scheduled = {s: [0] * n for s in skills}
        multi_on = np.zeros(n, dtype=int)
        for key, counts in sorted(working_counts(instance, result).items()):
            served = tuple(s for s in key if s in skills)
            if not served:
                continue
            factor = min(keep[s] for s in served)
            groups.append(AgentGroup(skills=served, agents=[_productive(m, factor) for m in counts]))
            if len(served) == 1:
                scheduled[served[0]] = [a + b for a, b in zip(scheduled[served[0]], counts, strict=True)]
            else:
                multi_on += np.asarray(counts)
        staffing = groups
        single = {s: multi_on == 0 for s in skills}
    sim = simulate_staffing(rows, staffing, interval_minutes=instance.horizon.interval_minutes,  # type: ignore[arg-type]
                            replications=replications, seed=seed, handle_time=handle_time,
                            warmup_intervals=warmup_intervals, confidence=confidence)
    frame = sim.intervals
    frame["scheduled"] = np.concatenate([np.asarray(scheduled[s]) for s in skills])
    frame["single_skill"] = np.concatenate([single[s] for s in skills])
    periods = _periods(instance, skills, frame, sim.raw, confidence)
    return ScheduleSimulation(intervals=frame, periods=periods, skills=skills, skipped=skipped, routing=routing,
                              replications=replications, seed=seed, confidence=confidence,
                              elapsed_s=time.perf_counter() - started)


def _productive(scheduled: int, keep: float) -> int:
    return int(math.floor(scheduled * keep + 1e-9))


def _pooled(raw: dict[str, np.ndarray], skills_idx: list[int], columns: np.ndarray, confidence: float) -> dict:
    """Per replication: sums over the chosen skills and intervals; then mean and bounds."""
    sums = {k: v[:, skills_idx][:, :, columns].sum(axis=(1, 2)) for k, v in raw.items()}
    offered = sums["offered"]
    measures = {
        "service_level": ratio(sums["within"], offered),
        "mean_wait_s": ratio(sums["wait_all"], offered),
        "abandonment": ratio(sums["abandoned"], offered),
    }
    out: dict[str, float] = {"offered": float(offered.mean())}
    for name, values in measures.items():
        mean, lo, hi = mean_ci(values, confidence)
        lo, hi = clipped(name, float(lo), float(hi))
        out[name], out[f"{name}_lo"], out[f"{name}_hi"] = float(mean), lo, hi
    return out


def _erlang(frame, mask: np.ndarray) -> dict[str, float]:  # type: ignore[no-untyped-def]
    part = frame[mask]
    volume = part["volume"].to_numpy(dtype=float)
    total = volume.sum()
    out = {}
    for name in ("service_level", "abandonment"):
        values = part[f"erlang_{name}"].to_numpy(dtype=float)
        out[f"erlang_{name}"] = float((values * volume).sum() / total) if total > 0 else math.nan
    wait = part["erlang_mean_wait_s"].to_numpy(dtype=float)
    finite = np.isfinite(wait) & (volume > 0)
    out["erlang_mean_wait_s"] = float((wait[finite] * volume[finite]).sum() / volume[finite].sum()) \
        if finite.any() else math.nan
    return out


def _periods(instance: Instance, skills: list[str], frame, raw: dict[str, np.ndarray], confidence: float):  # type: ignore[no-untyped-def]
    import pandas as pd

    n = instance.horizon.num_intervals
    per_day = instance.horizon.intervals_per_day
    periods = [(instance.horizon.date_of_day(d).isoformat(), np.arange(d * per_day, (d + 1) * per_day))
               for d in range(instance.horizon.days)] + [(HORIZON, np.arange(n))]
    targets = [*[(s, [k]) for k, s in enumerate(skills)], *([(ALL, list(range(len(skills))))] if len(skills) > 1 else [])]
    day_of = np.tile(np.arange(n) // per_day, len(skills))
    skill_of = np.repeat(np.arange(len(skills)), n)
    records = []
    for name, idx in targets:
        for label, columns in periods:
            in_period = np.isin(day_of, np.unique(columns // per_day)) if label != HORIZON else np.ones(len(frame), bool)
            mask = in_period & np.isin(skill_of, idx)
            record = {"skill": name, "period": label, "volume": float(frame["volume"][mask].sum())}
            record.update(_pooled(raw, idx, columns, confidence))
            record.update(_erlang(frame, mask))
            records.append(record)
    return pd.DataFrame(records)
