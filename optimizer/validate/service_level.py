"""Under-staffing weights per interval, recomputed for the validator (service-level mode), and the
forecast columns of coverage rows (`volume`, `required_net`) checked against the instance.

The definition is in `optimizer.domain.schedule` (the ``under_staffing`` term). This module builds
the weights from it on its own; only *data derivation* comes from the requirements module: the
forecast as rows (`optimizer.requirements.demand.forecast_rows`) and the predicted service level
for a number of scheduled agents (`optimizer.requirements.demand.service_level_curve`, the
Erlang formulas). Those are the forecast's numbers, not constraint or objective code, so the
validator stays independent of the engine's model and of its `service_level_weights`. The required
counts are the instance's (`Instance.required`, derived from the same forecast).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from optimizer.domain.instance import Instance
from optimizer.domain.schedule import CoverageRow
from optimizer.validate.rules import horizon_origin

SEGMENTS = 8
"""The first 8 missing agents of an interval are priced from the Erlang curve; the 8th weight repeats."""


def under_weights_by_interval(instance: Instance, skill_id: str) -> list[list[int]]:
    """The under-staffing weights of each interval of the horizon for `skill_id`."""
    skill = next(s for s in instance.skills if s.id == skill_id)
    n = instance.horizon.num_intervals
    head_count = list(skill.under_staffing_weights or instance.weights.under_staffing)
    mode = skill.under_staffing_mode or instance.weights.under_staffing_mode
    index = next((i for i, row in enumerate(instance.demand) if row.skill == skill_id), None)
    forecast = None if index is None else instance.demand[index].forecast
    if mode != "service_level" or forecast is None or skill.channel not in ("voice", "chat"):
        return [head_count] * n
    from optimizer.requirements.demand import forecast_rows, service_level_curve  # data derivation

    assert index is not None
    rows = forecast_rows(instance, index, instance.demand[index])
    required = instance.required(skill_id)
    counts = [[max(0, r - j) for j in range(SEGMENTS + 1)] for r in required]
    curve = service_level_curve(rows, counts, instance.horizon.interval_minutes * 60.0)  # type: ignore[arg-type]
    scale = instance.weights.service_level_scale
    out = []
    for t, r in enumerate(required):
        weights: list[int] = []
        for k in range(1, min(r, SEGMENTS) + 1):
            lost = float(curve[t][k - 1]) - float(curve[t][k])  # service level the k-th missing agent costs
            cost = math.floor(scale * forecast.volume[t] * lost + 0.5)
            weights.append(max(cost, 1, weights[-1] if weights else 0))
        out.append(weights or [1])
    return out


def compare_forecast_columns(instance: Instance, rows: Sequence[CoverageRow]) -> list[str]:
    """Mismatches between the forecast columns of the reported coverage rows (when given) and the
    instance: `volume` must be the forecast's contacts of that interval, `required_net` the
    productive agents its targets need (the requirements module's numbers: data derivation, as
    above). Rows off the grid are left to `compare_coverage`."""
    forecasts = {row.skill: row.forecast.volume for row in instance.demand if row.forecast is not None}
    if not forecasts or not any(r.volume is not None or r.required_net is not None for r in rows):
        return []
    from optimizer.requirements.demand import resolve_demand  # data derivation (Erlang)

    resolved = resolve_demand(instance)
    net = {skill: [r.required_net for r in sorted(req.rows, key=lambda r: r.interval_start)]
           for skill, req in resolved.requirements.items()}
    origin = horizon_origin(instance)
    step = dt.timedelta(minutes=instance.horizon.interval_minutes)
    out = []
    for row in rows:
        offset = row.interval_start - origin
        t = offset // step
        if row.skill not in forecasts or offset % step or not 0 <= t < len(forecasts[row.skill]):
            continue
        where = f"coverage {row.skill} {row.interval_start.isoformat(timespec='minutes')}"
        volume = forecasts[row.skill][t]
        if row.volume is not None and not math.isclose(row.volume, volume, rel_tol=1e-9, abs_tol=1e-9):
            out.append(f"{where}: schedule reports volume {row.volume:g}, the forecast has {volume:g}")
        if row.required_net is not None and row.required_net != net[row.skill][t]:
            out.append(f"{where}: schedule reports required_net {row.required_net}, the forecast needs "
                       f"{net[row.skill][t]}")
    return out
