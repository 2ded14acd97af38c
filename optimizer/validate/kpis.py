"""KPIs of a schedule recomputed from its own datetimes and the validator's coverage, with the
definitions of `optimizer.domain.schedule.Kpis` (`Kpis.from_totals` does the arithmetic). For
`validate`, which compares them with the result's own `kpis`, and for POST /v1/validate.

Readings: paid hours and money count shifts of known agents and templates; preferences in play
are, per agent, one per shift for a start window, one per preferred day off and one per shift
request; `service_level` (the Erlang prediction of forecast skills) is not recomputed here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from optimizer.domain.ids import time_of_day_minutes
from optimizer.domain.instance import Instance
from optimizer.domain.schedule import Assignment, Kpis, SolveResult
from optimizer.validate.coverage import scheduled_per_skill
from optimizer.validate.rules import (
    local_result,
    paid_minutes_of,
    shift_length_minutes,
    shifts_by_agent,
    start_of_day_minutes,
)

KPI_TOLERANCE = 0.01
"""Hours, percentages and money are rounded to cents: two sums of the same floats in another order
may round one cent apart."""


def _preferences(instance: Instance, by_agent: dict[str, list[Assignment]]) -> tuple[int, int]:
    total = honored = 0
    for agent in instance.agents:
        shifts = by_agent.get(agent.id, [])
        prefs = agent.preferences
        checks: list[bool] = []
        if prefs.start_window is not None:
            lo = time_of_day_minutes(prefs.start_window.earliest)
            hi = time_of_day_minutes(prefs.start_window.latest)
            checks += [lo <= start_of_day_minutes(s.start) <= hi for s in shifts]
        dates = {s.start.date() for s in shifts}
        checks += [d.date not in dates for d in prefs.days_off]
        for request in prefs.shift_requests:
            met = any(s.start.date() == request.date and request.template in (None, s.template_id) for s in shifts)
            checks.append(met == request.on)
        total += len(checks)
        honored += sum(checks)
    return total, honored


def recompute_kpis(instance: Instance, assignments: Sequence[Assignment], scheduled: dict[str, list[int]]) -> Kpis:
    """The KPIs of local-time `assignments` whose coverage is `scheduled` (see `coverage.py`)."""
    coverage = [pair for skill in instance.skills
                for pair in zip(instance.required(skill.id), scheduled[skill.id], strict=True)]
    templates = {t.id: t for t in instance.templates}
    by_agent = shifts_by_agent(assignments)
    paid_hours, money, shifts = [], 0.0, 0
    for agent in instance.agents:
        minutes = 0
        for s in by_agent.get(agent.id, []):
            template = templates.get(s.template_id)
            if template is None:
                continue
            paid = paid_minutes_of(template, shift_length_minutes(s))
            minutes += paid
            money += paid * agent.cost_per_hour / 60 + template.cost_per_shift
            shifts += 1
        paid_hours.append(minutes / 60)
    return Kpis.from_totals(instance.horizon.interval_minutes, coverage, paid_hours, money, shifts,
                            _preferences(instance, by_agent))


def schedule_kpis(instance: Instance, result: SolveResult) -> Kpis:
    """The KPIs of a result's schedule, recomputed."""
    assignments = local_result(instance, result).assignments
    return recompute_kpis(instance, assignments, scheduled_per_skill(instance, assignments))


def kpi_mismatches(reported: Kpis, recomputed: Kpis) -> list[str]:
    """Each KPI (but `service_level`) the result reports otherwise than recomputed: counts exactly,
    hours, percentages and money within `KPI_TOLERANCE`."""
    out = []
    for name, field in Kpis.model_fields.items():
        if name == "service_level":
            continue
        have, want = getattr(reported, name), getattr(recomputed, name)
        if field.annotation is int:
            same = have == want
        else:
            same = math.isfinite(have) and abs(have - want) <= KPI_TOLERANCE + 1e-9
        if not same:
            out.append(f"kpis.{name}: schedule reports {have:g}, recomputed {want:g}")
    return out


__all__ = ["kpi_mismatches", "recompute_kpis", "schedule_kpis"]
