"""Forecast demand for generated instances: volumes whose derived requirement is a given curve.

`forecast_for(required, channel, interval_minutes)` returns a `DemandForecast` (volume per
interval, a fixed handle time, the channel's targets) from which `optimizer.requirements`
derives, interval by interval, the given required agents (checked by the generator's tests):

* voice and chat (Erlang C): the requirement grows with the volume, so the volumes that give
  exactly ``r`` agents form a band; bisection finds its ends and the forecast takes the middle,
  rounded to 0.1 contacts (far from both ends, so no rounding can cross them);
* email and back office (deferred work with a response time of ``R``): what is due at a time is
  what arrived ``R`` earlier, so the volume ``R`` before an interval sets its requirement; a few
  correction passes fix the carry-over of the rounding.

Deterministic: no randomness, no clock; the same curve gives the same forecast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from optimizer.domain.forecast import DemandForecast, ForecastShrinkage, ForecastTargets


@dataclass(frozen=True)
class ForecastSpec:
    """Handle time, targets and break shrinkage of a generated forecast of one channel."""

    aht_s: float
    targets: dict[str, float] = field(default_factory=dict)
    shrinkage_breaks: float = 0.10


FORECAST_SPECS: dict[str, ForecastSpec] = {
    "voice": ForecastSpec(300.0, {"service_level": 0.8, "threshold_s": 20.0}),
    "chat": ForecastSpec(600.0, {"service_level": 0.8, "threshold_s": 60.0, "concurrency": 2}),
    "email": ForecastSpec(480.0, {"response_time_s": 3600.0}),
    "backoffice": ForecastSpec(900.0, {"response_time_s": 14400.0}),
}

_BISECTION_STEPS = 60
_CORRECTION_PASSES = 50


def forecast_for(required: Sequence[int], channel: str, interval_minutes: int) -> DemandForecast:
    """A forecast of `channel` whose derived requirement is `required` (see the module docstring)."""
    spec = FORECAST_SPECS[channel]
    interval_s = interval_minutes * 60.0
    r = np.asarray(required, dtype=np.int64)
    if channel in ("voice", "chat"):
        concurrency = float(spec.targets.get("concurrency", 1)) if channel == "chat" else 1.0
        volume = _queue_volumes(r, spec.aht_s / concurrency, spec.targets, interval_s)
    else:
        volume = _deferred_volumes(r, spec.aht_s, spec.targets["response_time_s"], interval_s)
    return DemandForecast(
        volume=[float(v) for v in volume],
        aht_s=spec.aht_s,
        targets=ForecastTargets(**spec.targets),
        shrinkage=ForecastShrinkage(breaks=spec.shrinkage_breaks),
    )


def _queue_volumes(required: np.ndarray, aht_s: float, targets: dict[str, float], interval_s: float) -> np.ndarray:
    from optimizer.requirements.erlang import erlang_c_required

    def agents(volume: np.ndarray) -> np.ndarray:
        return erlang_c_required(volume * aht_s / interval_s, aht_s, service_level=targets.get("service_level"),
                                 threshold_s=targets.get("threshold_s", 20.0)).agents

    def largest_volume_with_at_most(target: np.ndarray) -> np.ndarray:
        low = np.zeros(target.shape)
        high = (np.maximum(target, 0) + 1.0) * interval_s / aht_s  # load target + 1 needs target + 2 agents
        for _ in range(_BISECTION_STEPS):
            mid = (low + high) / 2
            ok = agents(mid) <= target
            low, high = np.where(ok, mid, low), np.where(ok, high, mid)
        return low

    upper = largest_volume_with_at_most(required)
    lower = largest_volume_with_at_most(required - 1)
    return np.where(required > 0, np.round((lower + upper) / 2, 1), 0.0) + 0.0  # no -0.0


def _deferred_volumes(required: np.ndarray, aht_s: float, response_time_s: float, interval_s: float) -> np.ndarray:
    from optimizer.requirements.deferred import deferred_required

    lead = int(response_time_s // interval_s)
    target = required.astype(float)
    volume = np.zeros(target.shape)
    volume[: target.size - lead] = target[lead:] * interval_s / aht_s * 0.97
    for _ in range(_CORRECTION_PASSES):
        rounded = np.round(np.maximum(volume, 0.0), 1)
        missing = target - deferred_required(rounded, aht_s, response_time_s, interval_s).agents
        if not missing.any():
            break
        volume[: target.size - lead] += missing[lead:] * interval_s / aht_s * 0.5
    return np.round(np.maximum(volume, 0.0), 1) + 0.0  # no -0.0
