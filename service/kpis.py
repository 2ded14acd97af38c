"""KPIs of a schedule recomputed from its own datetimes, with the independent validator's coverage
(for POST /v1/validate, where no solver accounting exists). Same definitions as `Kpis`."""

from __future__ import annotations

from optimizer.domain.ids import time_of_day_minutes
from optimizer.domain.instance import Instance
from optimizer.domain.schedule import Assignment, Kpis, SolveResult
from optimizer.validate.coverage import scheduled_per_skill
from optimizer.validate.rules import local_result, paid_minutes_of, shift_length_minutes, shifts_by_agent


def _preferences(instance: Instance, by_agent: dict[str, list[Assignment]]) -> tuple[int, int]:
    total = honored = 0
    for agent in instance.agents:
        shifts = by_agent.get(agent.id, [])
        prefs = agent.preferences
        checks: list[bool] = []
        if prefs.start_window is not None:
            lo = time_of_day_minutes(prefs.start_window.earliest)
            hi = time_of_day_minutes(prefs.start_window.latest)
            checks += [lo <= s.start.hour * 60 + s.start.minute <= hi for s in shifts]
        dates = {s.start.date() for s in shifts}
        checks += [d.date not in dates for d in prefs.days_off]
        for request in prefs.shift_requests:
            met = any(s.start.date() == request.date and request.template in (None, s.template_id) for s in shifts)
            checks.append(met == request.on)
        total += len(checks)
        honored += sum(checks)
    return total, honored


def schedule_kpis(instance: Instance, result: SolveResult) -> Kpis:
    assignments = local_result(instance, result).assignments
    scheduled = scheduled_per_skill(instance, assignments)
    hours_per_interval = instance.horizon.interval_minutes / 60
    required = under = over = 0
    for skill in instance.skills:
        for r, s in zip(instance.required(skill.id), scheduled[skill.id], strict=True):
            required += r
            under += max(0, r - s)
            over += max(0, s - r)
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
    total, honored = _preferences(instance, by_agent)
    return Kpis(
        required_agent_hours=round(required * hours_per_interval, 2),
        under_staffed_agent_hours=round(under * hours_per_interval, 2),
        over_staffed_agent_hours=round(over * hours_per_interval, 2),
        coverage_pct=round(100.0 * (required - under) / required, 2) if required else 100.0,
        paid_hours=round(sum(paid_hours), 2),
        labor_cost=round(money, 2),
        shifts=shifts,
        preferences_total=total,
        preferences_honored=honored,
        hours_per_agent_min=round(min(paid_hours, default=0.0), 2),
        hours_per_agent_max=round(max(paid_hours, default=0.0), 2),
        hours_per_agent_spread=round(max(paid_hours, default=0.0) - min(paid_hours, default=0.0), 2),
    )
