"""Forecast demand of an instance -> required agents and service-level weights.

`resolve_demand(instance)` is the one place where a skill's forecast (`SkillDemand.forecast`, see
`optimizer.domain.forecast`) becomes its requirement: `Instance.required` and
`Instance.under_weights_per_interval` call it, so the model, the anonymous bound, the LNS
coverage state, the extraction and the validator all see the same numbers. It runs once per
instance object (a cache keyed by the object, dropped when the object is), and `parse_instance`
runs it first so that a bad forecast is reported with field paths before anything else happens.

* Requirement: the forecast's intervals become `ForecastRow`s (interval start, volume, handle
  time, the skill's channel, targets, shrinkage) and `compute_requirements` derives
  ``required_scheduled`` per interval: productive agents grossed up by the shrinkage other than
  breaks (the engine places breaks and counts coverage net of them).
* Service-level weights (skills in service-level mode, see `service_level_weights`): per interval,
  the cost of the k-th missing agent from the Erlang curve.
"""

from __future__ import annotations

import datetime as dt
import math
import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError

from optimizer.domain.instance import FieldIssue
from optimizer.domain.service_level import DemandDerivation
from optimizer.requirements.compute import Requirements, compute_requirements, queue_metrics_for_rows
from optimizer.requirements.forecast import (
    ForecastError,
    ForecastRow,
    Shrinkage,
    Targets,
    parse_forecast_rows,
)

if TYPE_CHECKING:
    from optimizer.domain.instance import Instance, SkillDemand

__all__ = [
    "SERVICE_LEVEL_SEGMENTS",
    "ResolvedDemand",
    "forecast_rows",
    "resolve_demand",
    "service_level_curve",
    "service_level_weights",
]

SERVICE_LEVEL_SEGMENTS = 8
"""Service-level mode prices the first 8 missing agents of an interval from its Erlang curve; the
8th weight repeats for any further one (CP-SAT gets at most 8 segments per interval)."""

MAX_ISSUES_PER_FIELD = 10


@dataclass(frozen=True)
class ResolvedDemand:
    """What the forecasts of an instance resolve to, per skill with a forecast."""

    required: dict[str, list[int]] = field(default_factory=dict)
    """``required_scheduled`` per interval of the horizon."""
    requirements: dict[str, Requirements] = field(default_factory=dict)
    rows: dict[str, list[ForecastRow]] = field(default_factory=dict)
    under_weights: dict[str, list[list[int]]] = field(default_factory=dict)
    """Skills in service-level mode: the under-staffing weights of each interval."""
    derivations: list[DemandDerivation] = field(default_factory=list)


_CACHE: dict[int, ResolvedDemand] = {}


def resolve_demand(instance: Instance) -> ResolvedDemand:
    """The derived requirements (and service-level weights) of every forecast of `instance`.
    Raises `ForecastError` (an `InstanceError`) naming ``demand[i].forecast...`` fields."""
    key = id(instance)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    resolved = _resolve(instance)
    _CACHE[key] = resolved
    weakref.finalize(instance, _CACHE.pop, key, None)
    return resolved


def _resolve(instance: Instance) -> ResolvedDemand:
    resolved = ResolvedDemand()
    issues: list[FieldIssue] = []
    hours = instance.horizon.interval_minutes / 60
    for i, row in enumerate(instance.demand):
        if row.forecast is None:
            continue
        try:
            rows = forecast_rows(instance, i, row)
            locate = _Locator(instance, i, row)
            requirements = compute_requirements(rows, interval_minutes=instance.horizon.interval_minutes,
                                                locate=locate)  # type: ignore[arg-type]
        except ForecastError as exc:
            issues += _tidy(instance, exc.issues)
            continue
        ordered = sorted(requirements.rows, key=lambda r: r.interval_start)
        required = [r.required_scheduled for r in ordered]
        resolved.required[row.skill] = required
        resolved.requirements[row.skill] = requirements
        resolved.rows[row.skill] = rows
        skill = instance.skill(row.skill)
        mode = (skill.under_staffing_mode or instance.weights.under_staffing_mode)
        if mode == "service_level" and skill.channel in ("voice", "chat"):
            resolved.under_weights[row.skill] = service_level_weights(
                rows, required, instance.weights.service_level_scale, instance.horizon.interval_minutes * 60.0)
        else:
            mode = "head_count"
        first = rows[0]
        resolved.derivations.append(DemandDerivation(
            skill=row.skill, channel=first.channel, model=ordered[0].model if ordered else "",
            targets=_targets_set(first),
            shrinkage_applied=first.shrinkage.without_breaks, shrinkage_breaks=first.shrinkage.breaks,
            volume=round(sum(r.volume for r in rows), 3),
            required_agent_hours=round(sum(required) * hours, 2),
            required_net_agent_hours=round(sum(r.required_net for r in ordered) * hours, 2),
            peak_required=max(required, default=0),
            binding=dict(sorted(Counter(r.binding for r in ordered).items())),
            under_staffing_mode=mode,
        ))
    if issues:
        raise ForecastError(issues)
    return resolved


def _targets_set(row: ForecastRow) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, value in row.targets.model_dump().items():
        if value is None or (name == "threshold_s" and row.targets.service_level is None):
            continue
        if name in ("concurrency", "concurrency_efficiency") and row.channel != "chat":
            continue
        out[name] = value
    return out


def interval_starts(instance: Instance) -> list[dt.datetime]:
    """Local start of each interval of the horizon (naive date-times)."""
    origin = dt.datetime.combine(instance.horizon.start_date, dt.time())
    step = dt.timedelta(minutes=instance.horizon.interval_minutes)
    return [origin + t * step for t in range(instance.horizon.num_intervals)]


def forecast_rows(instance: Instance, index: int, row: SkillDemand) -> list[ForecastRow]:
    """The forecast of ``instance.demand[index]`` as one `ForecastRow` per interval, in time order.
    Raises `ForecastError` with ``demand[index].forecast...`` paths."""
    forecast = row.forecast
    assert forecast is not None
    base = f"demand[{index}].forecast"
    skill = instance.skill(row.skill)
    targets_data: dict[str, Any] = forecast.targets.model_dump(exclude_none=True)
    if skill.channel == "chat" and "concurrency" not in targets_data:
        targets_data["concurrency"] = skill.concurrency
    issues: list[FieldIssue] = []
    targets = shrinkage = None
    try:
        targets = Targets.model_validate(targets_data)
    except ValidationError as exc:
        issues += _pydantic_issues(exc, f"{base}.targets")
    try:
        shrinkage = Shrinkage.model_validate(forecast.shrinkage.model_dump())
    except ValidationError as exc:
        issues += _pydantic_issues(exc, f"{base}.shrinkage")
    # With bad targets or shrinkage, the per-interval values are still checked (against stand-ins).
    stand_in = Targets(response_time_s=1e12) if skill.channel in ("email", "backoffice") else Targets(
        service_level=0.5)
    raw = [
        {"interval_start": start, "volume": forecast.volume[t], "aht_s": forecast.aht_at(t),
         "channel": skill.channel, "skill": row.skill, "targets": targets or stand_in,
         "shrinkage": shrinkage or Shrinkage()}
        for t, start in enumerate(interval_starts(instance))
    ]
    try:
        rows = parse_forecast_rows(raw, _Locator(instance, index, row))  # type: ignore[arg-type]
    except ForecastError as exc:
        issues += [i for i in exc.issues if not issues or i.path.startswith((f"{base}.volume", f"{base}.aht_s"))]
    if issues:
        raise ForecastError(_tidy(instance, issues))
    return rows


def _pydantic_issues(error: ValidationError, prefix: str) -> list[FieldIssue]:
    out = []
    for item in error.errors(include_url=False):
        loc = ".".join(str(p) for p in item["loc"])
        out.append(FieldIssue(path=f"{prefix}.{loc}" if loc else prefix,
                              reason=item["msg"].removeprefix("Value error, ")))
    return out


class _Locator:
    """Field paths of forecast-row problems inside the instance: per-interval values by index
    (``demand[0].forecast.volume[37]``); targets and shrinkage once, with the interval in the
    reason (marked ``@t`` here and rewritten by `_tidy`)."""

    def __init__(self, instance: Instance, index: int, row: SkillDemand) -> None:
        self.base = f"demand[{index}].forecast"
        self.per_interval_aht = isinstance(row.forecast.aht_s, list) if row.forecast else False
        self.skill_path = next(f"skills[{j}].channel" for j, s in enumerate(instance.skills) if s.id == row.skill)

    def __call__(self, index: int, field: str = "") -> str:
        if field == "volume" or (field == "aht_s" and self.per_interval_aht):
            return f"{self.base}.{field}[{index}]"
        if field == "aht_s":
            return f"{self.base}.aht_s"
        if field == "channel":
            return self.skill_path
        if field in ("", "interval_start"):
            return f"{self.base}@{index}"
        return f"{self.base}.{field}@{index}"


def _tidy(instance: Instance, issues: Sequence[FieldIssue]) -> list[FieldIssue]:
    """Issues as a planner wants them: a target or shrinkage problem once per field (with its
    first interval, the others counted), at most `MAX_ISSUES_PER_FIELD` per per-interval list,
    no duplicates."""
    starts = interval_starts(instance)
    out: list[FieldIssue] = []
    per_list: Counter[str] = Counter()
    at_interval: dict[str, list[tuple[int, str]]] = {}
    for issue in issues:
        path, marker, at = issue.path.partition("@")
        if marker:
            at_interval.setdefault(path, []).append((int(at), issue.reason))
            continue
        if path.endswith("]"):
            base = path.rsplit("[", 1)[0]
            per_list[base] += 1
            if per_list[base] > MAX_ISSUES_PER_FIELD:
                continue
        if issue not in out:
            out.append(issue)
    out += [FieldIssue(path=base, reason=f"and {n - MAX_ISSUES_PER_FIELD} more values with problems")
            for base, n in per_list.items() if n > MAX_ISSUES_PER_FIELD]
    for path, items in at_interval.items():
        first, reason = items[0]
        if len(items) == len(starts):  # the same in every interval
            out.append(FieldIssue(path=path, reason=reason))
            continue
        more = f" (and {len(items) - 1} more interval(s))" if len(items) > 1 else ""
        out.append(FieldIssue(path=path, reason=f"at {starts[first]:%Y-%m-%d %H:%M} (interval {first}): "
                              f"{reason}{more}"))
    return out


# --------------------------------------------------------------------------------------------
# Service-level weights


def service_level_curve(rows: Sequence[ForecastRow], scheduled: np.ndarray, interval_s: float) -> np.ndarray:
    """Predicted service level of each row (voice or chat) at each count of ``scheduled`` (an
    array (rows, k) of scheduled agents net of breaks): productive agents are
    ``floor(scheduled * (1 - shrinkage without breaks))``, then Erlang C, or Erlang A with
    patience, as in the requirements (`queue_metrics_for_rows`)."""
    scheduled = np.asarray(scheduled, dtype=float)
    keep = np.array([1.0 - r.shrinkage.without_breaks for r in rows])
    productive = np.floor(scheduled * keep[:, None] + 1e-9)
    width = scheduled.shape[1]
    repeated = [r for r in rows for _ in range(width)]
    metrics = queue_metrics_for_rows(repeated, productive.ravel(), interval_s)
    return np.asarray(metrics.service_level, dtype=float).reshape(scheduled.shape)


def service_level_weights(rows: Sequence[ForecastRow], required: Sequence[int], scale: int,
                          interval_s: float) -> list[list[int]]:
    """Per interval t with requirement ``r`` and volume ``v``: the cost of the k-th missing agent,
    ``k = 1 .. min(r, SERVICE_LEVEL_SEGMENTS)``:

        raw_k = scale * v * (SL(r - k + 1) - SL(r - k))      (contacts pushed past the threshold)
        w_k   = max(w_(k-1), 1, floor(raw_k + 1/2))           (w_0 = 0)

    with SL from `service_level_curve`. The running maximum makes the weights non-decreasing, so
    the piecewise-linear shortfall cost is convex: where the Erlang curve flattens (the queue
    is already overloaded, SL = 0) further missing agents cost as much as the last one. Every
    missing agent costs at least 1. An interval with r = 0 gets ``[1]`` (no shortfall possible)."""
    width = SERVICE_LEVEL_SEGMENTS + 1
    counts = np.array([[max(0, r - k) for k in range(width)] for r in required], dtype=float)
    curve = service_level_curve(rows, counts, interval_s)
    out: list[list[int]] = []
    for t, r in enumerate(required):
        weights: list[int] = []
        last = 0
        for k in range(1, min(r, SERVICE_LEVEL_SEGMENTS) + 1):
            raw = scale * rows[t].volume * (float(curve[t, k - 1]) - float(curve[t, k]))
            last = max(last, 1, math.floor(raw + 0.5))
            weights.append(last)
        out.append(weights or [1])
    return out
