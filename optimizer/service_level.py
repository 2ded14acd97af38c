"""The service a schedule is predicted to deliver, for skills whose demand is a forecast.

`attach_service_level(instance, result)` completes a solve result from its coverage (scheduled
agents per skill and interval, net of breaks): coverage rows gain the forecast volume and the
productive requirement, `derived_demand` says how each forecast became a requirement,
`service_level` holds the prediction per skill and interval and `kpis.service_level` the
summaries per day and for the horizon (definitions in `optimizer.domain.service_level`). The
predictions are `optimizer.requirements.predict_service` with ``agents_are="scheduled"``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence

from optimizer.domain.instance import Instance
from optimizer.domain.schedule import SolveResult
from optimizer.domain.service_level import ServiceLevelRow, ServiceLevelSummary

__all__ = ["attach_service_level", "service_level_lines", "service_level_report"]

HORIZON = "horizon"
ALL = "all"


def _value(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def attach_service_level(instance: Instance, result: SolveResult) -> SolveResult:
    """Add the forecast columns, the derivations and the predicted service to `result` (in place;
    returned for convenience). Results without coverage or instances without a forecast are left
    as they are."""
    if not result.coverage or all(row.forecast is None for row in instance.demand):
        return result
    from optimizer.requirements.demand import resolve_demand

    resolved = resolve_demand(instance)
    step = instance.horizon.interval_minutes
    origin = dt.datetime.combine(instance.horizon.start_date, dt.time())
    n = instance.horizon.num_intervals
    scheduled = {skill: [0] * n for skill in resolved.rows}
    net = {skill: sorted(((r.interval_start, r.required_net) for r in req.rows), key=lambda p: p[0])
           for skill, req in resolved.requirements.items()}
    coverage = []
    for row in result.coverage:
        t = int((row.interval_start.replace(tzinfo=None) - origin).total_seconds() // 60) // step
        if row.skill in scheduled and 0 <= t < n:
            scheduled[row.skill][t] = row.scheduled
            row = row.model_copy(update={"volume": resolved.rows[row.skill][t].volume,
                                         "required_net": net[row.skill][t][1]})
        coverage.append(row)
    result.coverage = coverage
    result.derived_demand = list(resolved.derivations)
    result.service_level, result.kpis.service_level = service_level_report(instance, scheduled)
    return result


def service_level_report(
    instance: Instance, scheduled: dict[str, Sequence[int]]
) -> tuple[list[ServiceLevelRow], list[ServiceLevelSummary]]:
    """Predicted service per skill with a forecast and interval, and its summaries per day and for
    the horizon (per skill, and ``all`` over the voice and chat skills when there are two or more),
    for the scheduled agents (net of breaks) per skill and interval."""
    from optimizer.requirements import predict_service
    from optimizer.requirements.compute import effective_aht
    from optimizer.requirements.demand import resolve_demand

    resolved = resolve_demand(instance)
    skills = [s for s in resolved.rows if s in scheduled]
    if not skills:
        return [], []
    rows = [r for s in skills for r in resolved.rows[s]]
    frame = predict_service(rows, {s: list(scheduled[s]) for s in skills},
                            interval_minutes=instance.horizon.interval_minutes, agents_are="scheduled")
    interval_s = instance.horizon.interval_minutes * 60.0
    out: list[ServiceLevelRow] = []
    # (skill, period) -> sums for the summaries
    sums: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    queue = [s for s in skills if instance.skill(s).channel in ("voice", "chat")]
    position = {s: 0 for s in skills}
    for i, r in enumerate(rows):
        t = position[r.skill]
        position[r.skill] += 1
        rec = frame.iloc[i]
        deferred = r.channel not in ("voice", "chat")
        productive = int(rec["agents"])
        out.append(ServiceLevelRow(
            skill=r.skill, interval_start=r.interval_start, volume=r.volume, scheduled=int(scheduled[r.skill][t]),
            productive=productive,
            service_level=None if deferred else _value(rec["service_level"]),
            asa_s=None if deferred else _value(rec["asa_s"]),
            abandonment=None if deferred else _value(rec["abandonment"]),
            occupancy=_value(rec["occupancy"]),
            late_items=_value(rec["late_items"]) if deferred else None,
            backlog_end=_value(rec["backlog_end"]) if deferred else None,
        ))
        keys = [r.skill] + ([ALL] if r.skill in queue and len(queue) > 1 else [])
        workload = r.volume * (effective_aht(r) if not deferred else r.aht_s) / interval_s
        for key in keys:
            for period in (r.interval_start.date().isoformat(), HORIZON):
                acc = sums[(key, period)]
                acc["volume"] += r.volume
                acc["agents"] += productive
                acc["busy"] += min(workload, productive) if deferred else (_value(rec["occupancy"]) or 0.0) * productive
                if deferred:
                    continue
                acc["sl"] += r.volume * float(rec["service_level"])
                acc["ab"] += r.volume * float(rec["abandonment"])
                if math.isfinite(rec["asa_s"]):
                    acc["asa"] += r.volume * float(rec["asa_s"])
                    acc["asa_volume"] += r.volume
                elif r.volume > 0:
                    acc["overloaded"] += 1
    targets = {s: resolved.rows[s][0].targets.service_level for s in skills}
    summaries = []
    for (skill, period), acc in sums.items():
        deferred = skill != ALL and skill not in queue
        volume = acc["volume"]
        target = targets.get(skill) if skill != ALL else (
            targets[queue[0]] if len({targets[s] for s in queue}) == 1 else None)
        summaries.append(ServiceLevelSummary(
            skill=skill, period=period, volume=round(volume, 3),
            service_level=None if deferred or volume <= 0 else acc["sl"] / volume,
            service_level_target=None if deferred else target,
            asa_s=None if deferred or acc["asa_volume"] <= 0 else acc["asa"] / acc["asa_volume"],
            abandonment=None if deferred or volume <= 0 else acc["ab"] / volume,
            occupancy=acc["busy"] / acc["agents"] if acc["agents"] > 0 else None,
            overloaded_intervals=int(acc["overloaded"]),
        ))
    order = {s: i for i, s in enumerate([*skills, ALL])}
    summaries.sort(key=lambda m: (order[m.skill], m.period == HORIZON, m.period))
    return out, summaries


def service_level_lines(result: SolveResult) -> list[str]:
    """The printed summary's section: predicted service per skill for the horizon, and per day
    for ``all`` (or the only voice or chat skill)."""
    summaries = result.kpis.service_level
    if not summaries:
        return []

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.1f}%"

    def sec(x: float | None) -> str:
        return "-" if x is None else f"{x:.1f}"

    header = f"  {'':<14}{'volume':>10}{'SL':>8}{'target':>8}{'ASA s':>8}{'aband.':>8}{'occup.':>8}{'overload':>9}"

    def line(label: str, m: ServiceLevelSummary) -> str:
        return (f"  {label:<14}{m.volume:>10,.0f}{pct(m.service_level):>8}{pct(m.service_level_target):>8}"
                f"{sec(m.asa_s):>8}{pct(m.abandonment):>8}{pct(m.occupancy):>8}{m.overloaded_intervals:>9}")

    lines = ["", "predicted service over the horizon (Erlang; scheduled agents net of breaks and shrinkage;",
             "  volume-weighted; ASA over the intervals that are not overloaded)", header]
    lines += [line(m.skill, m) for m in summaries if m.period == HORIZON]
    days_of = ALL if any(m.skill == ALL for m in summaries) else next(
        (m.skill for m in summaries if m.service_level is not None), None)
    if days_of is not None:
        lines += ["", f"  per day ({days_of})", header]
        lines += [line(m.period, m) for m in summaries if m.skill == days_of and m.period != HORIZON]
    return lines
