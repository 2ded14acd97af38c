"""Re-optimization, checked from the two rosters alone: the `changes` objective term, the hard
rule that pinned agent-days (frozen or locked) equal the published roster, and the result's diff
(`changes`: the kind of every agent-day with a shift before or after, the counts and the changed
agent-days). Written from the definitions in `optimizer.domain.baseline`, without its helpers.

Readings: published rows of agents the instance does not have are ignored (agents who left); a
published shift and a new shift are "the same" when template, start and end are equal; breaks are
matched by name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import get_args

from optimizer.domain.instance import Instance
from optimizer.domain.schedule import Assignment, ChangeKind, RosterDiff, Violation
from optimizer.validate.rules import hm, local_time

PINNED_CHANGED = "frozen or locked shift changed"

Day = tuple[str, dt.date]


def _by_day(instance: Instance, rows: Sequence[Assignment]) -> dict[Day, Assignment]:
    tz = instance.horizon.timezone
    out = {}
    for a in rows:
        start = local_time(a.start, tz)
        out[(a.agent_id, start.date())] = a.model_copy(update={
            "start": start, "end": local_time(a.end, tz),
            "breaks": [b.model_copy(update={"start": local_time(b.start, tz), "end": local_time(b.end, tz)})
                       for b in a.breaks]})
    return out


def _agent_days(instance: Instance) -> list[Day]:
    dates = [instance.horizon.start_date + dt.timedelta(days=d) for d in range(instance.horizon.days)]
    return [(agent.id, date) for agent in instance.agents for date in dates]


def _same_shift(a: Assignment, b: Assignment) -> bool:
    return (a.template_id, a.start, a.end) == (b.template_id, b.start, b.end)


def _breaks(a: Assignment) -> dict[str, dt.datetime]:
    return {b.name: b.start for b in a.breaks}


# Agent-hours of under-staffing that a change costs when the instance gives no weight for it.
DEFAULT_HOURS = {"move_within_hour": 0.25, "move_more": 1.0, "add_shift": 1.5, "remove_shift": 1.5,
                 "move_break": 0.05}


def change_weight(instance: Instance, name: str) -> int:
    given = getattr(instance.baseline.weights, name)  # type: ignore[union-attr]
    if given is not None:
        return given
    agent_hour = instance.weights.under_staffing[0] * 60 // instance.horizon.interval_minutes
    return max(1, round(DEFAULT_HOURS[name] * agent_hour))


def day_change_kind(old: Assignment | None, new: Assignment | None) -> str | None:
    """The diff's kind of an agent-day (None: no shift before or after, not listed)."""
    if old is None and new is None:
        return None
    if old is None:
        return "added"
    if new is None:
        return "removed"
    if not _same_shift(old, new):
        return "moved"
    return "unchanged" if _breaks(old) == _breaks(new) else "break_moved"


def day_change_cost(instance: Instance, old: Assignment | None, new: Assignment | None) -> int:
    kind = day_change_kind(old, new)
    if kind is None or kind == "unchanged":
        return 0
    if kind == "added":
        return change_weight(instance, "add_shift")
    if kind == "removed":
        return change_weight(instance, "remove_shift")
    assert old is not None and new is not None
    if kind == "break_moved":
        before, after = _breaks(old), _breaks(new)
        moved = sum(1 for name in before.keys() | after.keys() if before.get(name) != after.get(name))
        return change_weight(instance, "move_break") * moved
    within = abs(new.start - old.start) <= dt.timedelta(hours=1) and abs(new.end - old.end) <= dt.timedelta(hours=1)
    return change_weight(instance, "move_within_hour" if within and new.template_id == old.template_id else "move_more")


def changes(instance: Instance, assignments: Sequence[Assignment], scheduled: dict[str, list[int]]) -> int:
    if instance.baseline is None:
        return 0
    old, new = _by_day(instance, instance.baseline.assignments), _by_day(instance, assignments)
    return sum(day_change_cost(instance, old.get(key), new.get(key)) for key in _agent_days(instance))


def _pinned(instance: Instance, key: Day, old: Assignment | None) -> bool:
    baseline = instance.baseline
    assert baseline is not None
    agent_id, date = key
    if agent_id in baseline.locked_agents or any(
            d.agent_id == agent_id and d.date == date for d in baseline.locked_days):
        return True
    if baseline.freeze_until is None:
        return False
    freeze = local_time(baseline.freeze_until, instance.horizon.timezone)
    return dt.datetime.combine(date, dt.time()) < freeze or (old is not None and old.start < freeze)


def check_pinned_days(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    if instance.baseline is None:
        return []
    old, new = _by_day(instance, instance.baseline.assignments), _by_day(instance, assignments)
    out = []
    for key in _agent_days(instance):
        before, after = old.get(key), new.get(key)
        if not _pinned(instance, key, before):
            continue
        if before is None and after is None:
            continue
        if before is not None and after is not None and _same_shift(before, after) and _breaks(before) == _breaks(after):
            continue
        agent_id, date = key
        was = "off" if before is None else f"{before.template_id} {hm(before.start)}-{hm(before.end)}"
        now = "off" if after is None else f"{after.template_id} {hm(after.start)}-{hm(after.end)}"
        detail = " (breaks moved)" if before and after and _same_shift(before, after) else ""
        out.append(Violation(
            rule=PINNED_CHANGED, agent_id=agent_id, start=dt.datetime.combine(date, dt.time()),
            message=f"{agent_id} on {date} is frozen or locked as published ({was}) but is now {now}{detail}"))
    return out


DIFF_MISMATCHES_SHOWN = 20


def diff_mismatches(instance: Instance, assignments: Sequence[Assignment], reported: RosterDiff) -> list[str]:
    """The reported diff against the one recomputed from the published and the new roster: each
    agent-day's kind, the counts per kind and the number of changed agent-days."""
    assert instance.baseline is not None
    old, new = _by_day(instance, instance.baseline.assignments), _by_day(instance, assignments)
    kinds = {key: kind for key in _agent_days(instance) if (kind := day_change_kind(old.get(key), new.get(key)))}
    listed = {(c.agent_id, c.date): c.change for c in reported.days}
    out = []
    if len(listed) < len(reported.days):
        out.append(f"changes: {len(reported.days) - len(listed)} agent-day(s) reported twice")
    for key in sorted(kinds.keys() | listed.keys()):
        agent_id, date = key
        if key not in listed:
            out.append(f"changes {agent_id} {date}: missing from the schedule's diff, recomputed {kinds[key]}")
        elif key not in kinds:
            out.append(f"changes {agent_id} {date}: schedule reports {listed[key]}, recomputed no shift before or "
                       "after (not an agent-day of the diff)")
        elif listed[key] != kinds[key]:
            out.append(f"changes {agent_id} {date}: schedule reports {listed[key]}, recomputed {kinds[key]}")
    if len(out) > DIFF_MISMATCHES_SHOWN:
        out = [*out[:DIFF_MISMATCHES_SHOWN], f"changes: and {len(out) - DIFF_MISMATCHES_SHOWN} more agent-days"]
    counts = {kind: sum(k == kind for k in kinds.values()) for kind in get_args(ChangeKind)}
    if reported.counts != counts:
        out.append(f"changes.counts: schedule reports {reported.counts}, recomputed {counts}")
    changed = sum(kind != "unchanged" for kind in kinds.values())
    if reported.agent_days_changed != changed:
        out.append(f"changes.agent_days_changed: schedule reports {reported.agent_days_changed}, recomputed {changed}")
    return out
