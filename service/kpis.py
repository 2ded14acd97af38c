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
