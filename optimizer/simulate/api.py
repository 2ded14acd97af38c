"""`simulate_staffing`: forecast rows + agents per interval -> simulated service per interval, with
confidence intervals over replications, next to the Erlang prediction."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import t as student_t

from optimizer.domain.instance import FieldIssue
from optimizer.requirements.compute import effective_aht, infer_interval_minutes
from optimizer.requirements.erlang import erlang_c_metrics, offered_load
from optimizer.requirements.erlang_a import erlang_a_metrics
from optimizer.requirements.forecast import DEFERRED_CHANNELS, ForecastError, ForecastRow, parse_forecast_rows
from optimizer.simulate.engine import GroupInput, HandleTime, QueueInput, simulate_replications

__all__ = ["AgentGroup", "SimulationResult", "simulate_staffing"]


@dataclass(frozen=True)
class AgentGroup:
    """Agents with the same skills: they take the longest-waiting call among their skills.
    ``agents`` holds the head count per interval of the timeline."""

    skills: tuple[str, ...]
    agents: Sequence[int]


@dataclass(frozen=True)
class SimulationResult:
    """``intervals``: one row per skill and interval (pandas DataFrame), columns

    * ``skill``, ``interval_start``, ``volume`` (forecast), ``agents`` (the skill's dedicated
      agents; NaN when multi-skill groups serve it), ``offered`` (mean simulated calls);
    * ``service_level``, ``asa_s`` (mean wait of answered calls), ``mean_wait_s`` (all offered
      calls, abandoned ones until they left) and ``abandonment``, each the mean over replications
      with ``_lo`` / ``_hi`` bounds of the two-sided ``confidence`` interval (Student t over the
      replications in which the interval had calls);
    * ``erlang_service_level``, ``erlang_mean_wait_s``, ``erlang_abandonment``: the Erlang C (or
      Erlang A with patience) prediction for the dedicated agents, NaN for multi-skill skills.

    ``summary``: per skill, the same measures pooled over the whole horizon (per replication:
    sums over intervals, then mean and confidence interval over replications).
    ``raw``: the per-replication counts, arrays (replications, skills, intervals)."""

    intervals: object
    summary: object
    replications: int
    seed: int
    elapsed_s: float
    raw: dict[str, np.ndarray] = field(repr=False, default_factory=dict)


def _timeline(rows: Sequence[ForecastRow], interval_minutes: int) -> list[dt.datetime]:
    starts = sorted({r.interval_start for r in rows})
    step = dt.timedelta(minutes=interval_minutes)
    count = int(round((starts[-1] - starts[0]) / step)) + 1
    timeline = [starts[0] + i * step for i in range(count)]
    off_grid = [s for s in starts if (s - starts[0]) % step]
    if off_grid:
        raise ForecastError([FieldIssue(path="rows", reason=(
            f"interval start {off_grid[0].isoformat()} is not on the {interval_minutes}-minute grid "
            f"starting at {starts[0].isoformat()}"))])
    return timeline


MAX_REPLICATIONS = 1_000
"""More replications are refused: the per-replication counts are kept (replications x skills x
intervals, six arrays), so a typo like 1e9 asked numpy for 9.8 TiB and ended in a traceback; 1,000
is far more than a confidence interval needs (20 by default) and a week of 15-minute intervals at
five skills keeps about 160 MB."""


def replications_problem(replications: int) -> str | None:
    """Why `replications` cannot be simulated (the CLI names it `--replications`), or None."""
    if 1 <= replications <= MAX_REPLICATIONS:
        return None
    return f"must be from 1 to {MAX_REPLICATIONS:,} (got {replications:,})"

MEASURE_RANGE = {"service_level": (0.0, 1.0), "abandonment": (0.0, 1.0), "asa_s": (0.0, math.inf),
                 "mean_wait_s": (0.0, math.inf)}
"""Values a measure can take: a Student-t interval from few replications can reach past them
(a service level of -57%); its bounds are clipped to them."""


def clipped(name: str, lo: Any, hi: Any) -> tuple[Any, Any]:
    """A confidence interval of measure `name` within the values it can take (NaN stays NaN)."""
    least, most = MEASURE_RANGE.get(name, (-math.inf, math.inf))
    return np.clip(lo, least, most), np.clip(hi, least, most)


def mean_ci(values: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and confidence bounds over axis 0, ignoring NaN (replications without calls)."""
    count = np.sum(~np.isnan(values), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(np.where(count > 0, values, 0.0), axis=0)
        mean = np.where(count > 0, mean, np.nan)
        sd = np.sqrt(np.nansum((values - mean) ** 2, axis=0) / np.maximum(count - 1, 1))
        q = student_t.ppf(0.5 + confidence / 2.0, np.maximum(count - 1, 1))
        half = np.where(count > 1, q * sd / np.sqrt(np.maximum(count, 1)), np.nan)
    return mean, mean - half, mean + half


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _measures(raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {
        "service_level": ratio(raw["within"], raw["offered"]),
        "asa_s": ratio(raw["wait_answered"], raw["answered"]),
        "mean_wait_s": ratio(raw["wait_all"], raw["offered"]),
        "abandonment": ratio(raw["abandoned"], raw["offered"]),
    }


def simulate_staffing(
    forecast_rows: Sequence[ForecastRow] | Sequence[dict],
    staffing: Mapping[str, Sequence[int]] | Sequence[AgentGroup],
    *,
    interval_minutes: int | None = None,
    replications: int = 20,
    seed: int = 0,
    handle_time: HandleTime = "exponential",
    handle_time_cv: float = 1.0,
    warmup_intervals: int = 0,
    confidence: float = 0.95,
) -> SimulationResult:
    """Simulate a staffing against a forecast (voice and chat skills; chat with its effective
    handle time, as in the requirements).

    ``staffing`` is either a mapping skill -> agents per interval (dedicated agents, the engine's
    per-interval skill allocation) or a list of `AgentGroup` (multi-skill agents). Counts are
    productive agents on the queue, one per interval of the timeline: every interval from the
    first forecast interval start to the last (skills without a row in an interval have no
    traffic there). Patience comes from the rows' ``patience_s`` (none: no abandonment), the
    service-level threshold from ``threshold_s``. Seeded: the same arguments give the same result.
    """
    started = time.perf_counter()
    rows = parse_forecast_rows(forecast_rows)
    issues = [FieldIssue(path=f"rows[{i}].channel", reason=f"the simulation covers voice and chat, not {r.channel}")
              for i, r in enumerate(rows) if r.channel in DEFERRED_CHANNELS]
    if (reason := replications_problem(replications)) is not None:
        issues.append(FieldIssue(path="replications", reason=reason))
    if handle_time_cv <= 0:
        issues.append(FieldIssue(path="handle_time_cv", reason=f"must be greater than 0 (got {handle_time_cv})"))
    if interval_minutes is not None and interval_minutes <= 0:
        issues.append(FieldIssue(path="interval_minutes", reason=f"must be greater than 0 (got {interval_minutes})"))
    if warmup_intervals < 0:
        issues.append(FieldIssue(path="warmup_intervals", reason=f"must not be negative (got {warmup_intervals})"))
    if not 0 < confidence < 1:
        issues.append(FieldIssue(path="confidence", reason=f"must be between 0 and 1 (got {confidence})"))
    if issues:
        raise ForecastError(issues)
    if interval_minutes is None:
        interval_minutes = infer_interval_minutes(rows)
    interval_s = interval_minutes * 60.0
    timeline = _timeline(rows, interval_minutes)
    position = {s: i for i, s in enumerate(timeline)}
    skills = list(dict.fromkeys(r.skill for r in rows))
    k_of = {s: k for k, s in enumerate(skills)}
    n_int = len(timeline)
    volume = np.zeros((len(skills), n_int))
    aht = np.ones((len(skills), n_int)) * 60.0
    threshold = np.full((len(skills), n_int), 20.0)
    patience = np.full((len(skills), n_int), np.inf)
    present = np.zeros((len(skills), n_int), dtype=bool)
    for r in rows:
        k, i = k_of[r.skill], position[r.interval_start]
        volume[k, i], aht[k, i], threshold[k, i] = r.volume, effective_aht(r), r.targets.threshold_s
        if r.targets.patience_s is not None:
            patience[k, i] = r.targets.patience_s
        present[k, i] = True

    groups = _groups(staffing, skills, n_int)
    queues = [QueueInput(volume=volume[k], aht_s=aht[k], threshold_s=threshold[k], patience_s=patience[k])
              for k in range(len(skills))]
    raw = simulate_replications(queues, [GroupInput(skills=tuple(k_of[s] for s in g.skills),
                                                    agents=np.asarray(g.agents, dtype=int)) for g in groups],
                                interval_s, replications=replications, seed=seed, handle_time=handle_time,
                                handle_time_cv=handle_time_cv, warmup_intervals=warmup_intervals)

    dedicated = np.full((len(skills), n_int), np.nan)
    shared = {k_of[s] for g in groups if len(g.skills) > 1 for s in g.skills}
    for k in range(len(skills)):
        if k not in shared:
            dedicated[k] = sum((np.asarray(g.agents, dtype=float) for g in groups if g.skills == (skills[k],)),
                               np.zeros(n_int))
    prediction = _erlang_prediction(volume, aht, threshold, patience, dedicated, interval_s)

    import pandas as pd

    measures = _measures(raw)
    table: dict[str, object] = {
        "skill": np.repeat(skills, n_int),
        "interval_start": timeline * len(skills),
        "volume": volume.ravel(),
        "agents": dedicated.ravel(),
        "offered": raw["offered"].mean(axis=0).ravel(),
    }
    for name, values in measures.items():
        mean, lo, hi = mean_ci(values, confidence)
        lo, hi = clipped(name, lo, hi)
        table[name], table[f"{name}_lo"], table[f"{name}_hi"] = mean.ravel(), lo.ravel(), hi.ravel()
    for name, values in prediction.items():
        table[f"erlang_{name}"] = values.ravel()
    intervals = pd.DataFrame(table)
    intervals = intervals[present.ravel()].reset_index(drop=True)

    pooled = _measures({k: v.sum(axis=2, keepdims=True) for k, v in raw.items()})
    summary: dict[str, object] = {"skill": skills, "offered": raw["offered"].sum(axis=2).mean(axis=0)}
    for name, values in pooled.items():
        mean, lo, hi = mean_ci(values, confidence)
        lo, hi = clipped(name, lo, hi)
        summary[name], summary[f"{name}_lo"], summary[f"{name}_hi"] = mean[:, 0], lo[:, 0], hi[:, 0]
    return SimulationResult(intervals=intervals, summary=pd.DataFrame(summary), replications=replications,
                            seed=seed, elapsed_s=time.perf_counter() - started, raw=raw)


def _groups(staffing, skills: list[str], n_int: int) -> list[AgentGroup]:
    if isinstance(staffing, Mapping):
        groups = [AgentGroup(skills=(s,), agents=list(v)) for s, v in staffing.items()]
        label = [f"staffing.{s}" for s in staffing]
    else:
        groups = [g if isinstance(g, AgentGroup) else AgentGroup(**g) for g in staffing]
        groups = [AgentGroup(skills=tuple(g.skills), agents=list(g.agents)) for g in groups]
        label = [f"staffing[{i}]" for i in range(len(groups))]
    issues = []
    for g, path in zip(groups, label, strict=True):
        unknown = [s for s in g.skills if s not in skills]
        if unknown or not g.skills:
            issues.append(FieldIssue(path=f"{path}.skills", reason=(
                f"unknown skill '{unknown[0]}' (the forecast has {', '.join(skills)})" if unknown
                else "an agent group needs at least one skill")))
        if len(g.agents) != n_int:
            issues.append(FieldIssue(path=f"{path}.agents", reason=(
                f"{len(g.agents)} values for {n_int} intervals in the forecast's timeline")))
        elif any(a < 0 for a in g.agents):
            issues.append(FieldIssue(path=f"{path}.agents", reason="agent counts must not be negative"))
    if issues:
        raise ForecastError(issues)
    return groups


def _erlang_prediction(volume, aht, threshold, patience, agents, interval_s) -> dict[str, np.ndarray]:
    load = offered_load(volume, aht, interval_s)
    n = np.nan_to_num(agents, nan=0.0)
    c = erlang_c_metrics(n, load, aht, threshold)
    out = {"service_level": c.service_level.copy(), "mean_wait_s": c.asa_s.copy(),
           "abandonment": c.abandonment.copy()}
    finite = np.isfinite(patience)
    if finite.any():
        a = erlang_a_metrics(n[finite], load[finite], aht[finite], patience[finite], threshold[finite])
        out["service_level"][finite] = a.service_level
        out["mean_wait_s"][finite] = a.asa_s
        out["abandonment"][finite] = a.abandonment
    for value in out.values():
        value[np.isnan(agents)] = np.nan
    return out
