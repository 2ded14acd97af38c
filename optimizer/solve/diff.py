"""The re-optimized roster against the published one: per agent-day what changed, the totals, and
the KPIs of both rosters against the new instance."""

from __future__ import annotations

import datetime as dt

from optimizer.domain.instance import Instance
from optimizer.domain.schedule import Assignment, DayChange, Kpis, RosterDiff
from optimizer.model.options import ShiftOption
from optimizer.model.plan import PlacedShift, Plan, repair_allocation
from optimizer.solve import extract
from optimizer.timegrid import TimeGrid


def _local(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=None)


def roster_diff(instance: Instance, assignments: list[Assignment], kpis_after: Kpis) -> RosterDiff:
    baseline = instance.baseline
    assert baseline is not None
    agent_ids = [a.id for a in instance.agents]
    before = {(a.agent_id, a.date): a for a in baseline.assignments if a.agent_id in set(agent_ids)}
    after = {(a.agent_id, a.date): a for a in assignments}
    first, last = instance.horizon.start_date, instance.horizon.date_of_day(instance.horizon.days - 1)
    days: list[DayChange] = []
    for key in sorted(set(before) | set(after)):
        if not first <= key[1] <= last:
            continue
        days.append(_day_change(key, before.get(key), after.get(key)))
    counts = {kind: 0 for kind in ("unchanged", "moved", "added", "removed", "break_moved")}
    for change in days:
        counts[change.change] += 1
    changed = sum(n for kind, n in counts.items() if kind != "unchanged")
    total = len(agent_ids) * instance.horizon.days
    published_agents = {a.agent_id for a in baseline.assignments}
    kpis_before, objective_before = published_evaluation(instance)
    return RosterDiff(
        days=days,
        counts=counts,
        agent_days=total,
        agent_days_changed=changed,
        changed_share=round(changed / total, 6) if total else 0.0,
        paid_hours_added=round(sum(max(0.0, c.paid_hours_delta) for c in days), 4),
        paid_hours_removed=round(sum(max(0.0, -c.paid_hours_delta) for c in days), 4),
        agents_left=sorted(published_agents - set(agent_ids)),
        agents_joined=sorted(set(agent_ids) - published_agents),
        kpis_before=kpis_before,
        kpis_after=kpis_after,
        objective_before=objective_before,
    )


def _day_change(key: tuple[str, dt.date], old: Assignment | None, new: Assignment | None) -> DayChange:
    agent_id, date = key
    change = DayChange(agent_id=agent_id, date=date, change="unchanged")
    if old is not None:
        change.before_template, change.before_start, change.before_end = old.template_id, old.start, old.end
    if new is not None:
        change.after_template, change.after_start, change.after_end = new.template_id, new.start, new.end
    change.paid_hours_delta = round(((new.paid_minutes if new else 0) - (old.paid_minutes if old else 0)) / 60, 4)
    if old is None:
        change.change = "added"
    elif new is None:
        change.change = "removed"
    elif (old.template_id, _local(old.start), _local(old.end)) != (new.template_id, _local(new.start), _local(new.end)):
        change.change = "moved"
        change.start_moved_minutes = int((_local(new.start) - _local(old.start)).total_seconds() // 60)
        change.end_moved_minutes = int((_local(new.end) - _local(old.end)).total_seconds() // 60)
    else:
        published = {b.name: _local(b.start) for b in old.breaks}
        now = {b.name: _local(b.start) for b in new.breaks}
        # A break in only one of the two (the template's break rules changed) has moved too.
        change.breaks_moved = sum(1 for name in published.keys() | now.keys() if published.get(name) != now.get(name))
        change.change = "break_moved" if change.breaks_moved else "unchanged"
    return change


def published_evaluation(instance: Instance) -> tuple[Kpis, int]:
    """KPIs and objective of the published roster (its shifts and breaks as published) against the
    new instance; shifts of agents or templates the instance no longer has are left out."""
    baseline = instance.baseline
    assert baseline is not None
    grid = TimeGrid(instance.horizon)
    agents = {a.id for a in instance.agents}
    templates = {t.id: t for t in instance.templates}
    plan: Plan = {}
    for row in baseline.assignments:
        template = templates.get(row.template_id)
        if row.agent_id not in agents or template is None:
            continue
        if not instance.horizon.start_date <= row.date <= instance.horizon.date_of_day(instance.horizon.days - 1):
            continue
        day = instance.horizon.day_of_date(row.date)
        start, end = grid.minute(row.start), grid.minute(row.end)
        rules = template.breaks_for_length(end - start)
        option = ShiftOption(day=day, template_id=template.id, start=start, length=end - start,
                             paid_minutes=template.paid_minutes(end - start), break_rules=tuple(rules))
        starts = {b.name: grid.minute(b.start) for b in row.breaks}
        breaks = tuple((rule, starts[rule.name]) for rule in rules if rule.name in starts)
        plan.setdefault(row.agent_id, {})[day] = PlacedShift(option=option, breaks=breaks)
    allocation = repair_allocation(instance, plan, {})
    accounting = extract.account(instance, plan, allocation)
    return extract.kpis(instance, plan, accounting), accounting.objective
