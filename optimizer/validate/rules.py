"""Hard rules of a schedule, recomputed from the schedule's own datetimes and the instance alone.

One `check_<rule>(instance, assignments) -> list[Violation]` per rule family; each violation names
the rule as a planner says it (the constants below) and says what is wrong in planner words.

Readings chosen where `optimizer.domain` is silent (the CP-SAT model implements the same text
independently; a disagreement shows up as a validation failure):

* Times are local wall-clock times. `validate` turns aware datetimes into local ones in
  `horizon.timezone` first (`local_result`); the checks expect naive local datetimes.
* A shift's date, weekday, working day and start time of day come from its `start` datetime;
  `Assignment.date` is only checked against it. Lengths are `end - start` in whole minutes.
* Checks that need the template or the agent skip shifts whose ids are unknown (reported once
  by `check_known_agents_and_templates`). Break rules that apply are
  `template.breaks_for_length(end - start)`, even when that length is not allowed.
* Paid minutes of a shift are its length minus the durations of the template's unpaid break
  rules for that length, whatever the reported `paid_minutes` or break slots say.
* Break windows are offsets from the shift start; "on the interval grid" means a whole number of
  intervals after `horizon.start_date` 00:00. The first break needs no work before it; between
  consecutive breaks (in rule order) there are at least `min_work_between_breaks_minutes`.
* Activities, when present, tile the shift minus its breaks exactly: no gap, no overlap with each
  other or a break, none outside the shift, every edge on the interval grid. A multi-skill agent
  must have them; a single-skill agent may leave them out.
* An empty availability list (not `None`) means the agent is available nowhere.
* A shift lock is met when some shift of that date has the lock's template, start time of day and
  (when given) length; a day-off lock is broken by every shift starting that date.
* Rest is measured from the latest end among the agent's earlier-starting shifts to the next
  start; overlapping shifts are reported as overlap, not as short rest.
* Consecutive working days and days off count calendar dates of shift starts; days before and
  after the horizon are unknown, so a run of days off touching either end is exempt from
  `min_consecutive_days_off`, and a working run touching either end is exempt from
  `min_consecutive_working_days`; nothing outside the horizon extends a working run for the maximum.
* Weekends: each Saturday in the horizon with the Sunday after it (when inside), plus a lone
  Sunday on the first day of the horizon. A weekend is worked when a shift starts on either day.
* Start variation is the latest minus the earliest start time of day (minutes after the local
  midnight of the shift's date) over the agent's shifts; 0 with fewer than two shifts.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from functools import cache

from optimizer.domain.ids import time_of_day_minutes
from optimizer.domain.instance import (
    WEEKDAYS,
    Agent,
    BreakRule,
    Contract,
    Instance,
    ShiftTemplate,
    SoftContractRule,
    TimeWindow,
)
from optimizer.domain.schedule import Activity, Assignment, BreakSlot, SolveResult, Violation

KNOWN_AGENTS_AND_TEMPLATES = "known agents and templates"
SHIFT_DATE = "shift date in the horizon"
ALLOWED_START_TIME = "allowed start time"
TEMPLATE_ALLOWED_ON_THE_DAY = "template allowed on the day"
TEMPLATE_ALLOWED_BY_CONTRACT = "template allowed by the contract"
ALLOWED_SHIFT_LENGTH = "allowed shift length"
PAID_MINUTES_REPORTED = "paid minutes reported"
ONE_SHIFT_PER_DAY = "one shift per day"
NO_OVERLAPPING_SHIFTS = "no overlapping shifts"
MIN_REST_BETWEEN_SHIFTS = "minimum rest between shifts"
REQUIRED_BREAKS = "required breaks"
BREAK_LENGTH = "break length"
BREAK_PAID = "break paid as its rule says"
BREAK_WINDOW = "break window"
BREAK_INSIDE_THE_SHIFT = "break inside the shift"
BREAK_ORDER = "break order"
WORK_BETWEEN_BREAKS = "work between breaks"
ACTIVITIES_COVER_THE_SHIFT = "activities cover the shift"
ACTIVITY_SKILL = "activity skill"
AVAILABILITY = "availability"
TIME_OFF = "time off"
LOCKED_DAY_OFF = "locked day off"
LOCKED_SHIFT = "locked shift"
MIN_PAID_MINUTES = "minimum paid minutes"
MAX_PAID_MINUTES = "maximum paid minutes"
MIN_WORKING_DAYS = "minimum working days"
MAX_WORKING_DAYS = "maximum working days"
MAX_CONSECUTIVE_WORKING_DAYS = "maximum consecutive working days"
MIN_CONSECUTIVE_DAYS_OFF = "minimum consecutive days off"
MIN_CONSECUTIVE_WORKING_DAYS = "minimum consecutive working days"
MAX_WORKING_WEEKENDS = "maximum working weekends"
MAX_SHIFTS_PER_TEMPLATE = "maximum shifts per template"
FORBIDDEN_SUCCESSION = "forbidden succession"
MAX_START_VARIATION = "maximum start variation"

CONTRACT_LIMIT_RULES: dict[SoftContractRule, str] = {
    "min_paid_minutes": MIN_PAID_MINUTES,
    "max_paid_minutes": MAX_PAID_MINUTES,
    "min_working_days": MIN_WORKING_DAYS,
    "max_working_days": MAX_WORKING_DAYS,
    "max_working_weekends": MAX_WORKING_WEEKENDS,
    "max_start_variation_minutes": MAX_START_VARIATION,
}
"""The contract rules an instance may make soft, with their planner names."""

Check = Callable[[Instance, Sequence[Assignment]], list[Violation]]

# --------------------------------------------------------------------------------------------
# Time helpers (the validator's own: it does not use optimizer.timegrid)


@cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def local_time(value: dt.datetime, timezone: str) -> dt.datetime:
    """A naive local wall-clock time; aware values are converted to `timezone` first."""
    if value.tzinfo is None:
        return value
    return value.astimezone(_zone(timezone)).replace(tzinfo=None)


def local_result(instance: Instance, result: SolveResult) -> SolveResult:
    """A copy of `result` whose assignment and coverage datetimes are naive local times."""
    tz = instance.horizon.timezone

    def loc(value: dt.datetime) -> dt.datetime:
        return local_time(value, tz)

    assignments = [
        a.model_copy(update={
            "start": loc(a.start),
            "end": loc(a.end),
            "breaks": [BreakSlot(name=b.name, start=loc(b.start), end=loc(b.end), paid=b.paid) for b in a.breaks],
            "activities": [Activity(skill=x.skill, start=loc(x.start), end=loc(x.end)) for x in a.activities],
        })
        for a in result.assignments
    ]
    coverage = [row.model_copy(update={"interval_start": loc(row.interval_start)}) for row in result.coverage]
    return result.model_copy(update={"assignments": assignments, "coverage": coverage})


def horizon_origin(instance: Instance) -> dt.datetime:
    """`horizon.start_date` 00:00, local time."""
    return dt.datetime.combine(instance.horizon.start_date, dt.time())


def minutes(delta: dt.timedelta) -> int:
    """Whole minutes of a duration (rounded down)."""
    return delta // dt.timedelta(minutes=1)


def on_grid(instance: Instance, when: dt.datetime) -> bool:
    """Whether `when` is a whole number of intervals after the horizon start."""
    step = dt.timedelta(minutes=instance.horizon.interval_minutes)
    return (when - horizon_origin(instance)) % step == dt.timedelta(0)


def start_of_day_minutes(when: dt.datetime) -> int:
    """Minutes after the local midnight of the date of `when`."""
    return when.hour * 60 + when.minute


def shift_length_minutes(shift: Assignment) -> int:
    return minutes(shift.end - shift.start)


def paid_minutes_of(template: ShiftTemplate, length_minutes: int) -> int:
    """Length minus the template's unpaid break rules that apply to that length."""
    unpaid = sum(r.duration_minutes for r in template.breaks_for_length(length_minutes) if not r.paid)
    return length_minutes - unpaid


def hm(when: dt.datetime) -> str:
    return when.strftime("%H:%M")


def when_text(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M")


def duration_text(total_minutes: int) -> str:
    sign = "-" if total_minutes < 0 else ""
    total_minutes = abs(total_minutes)
    return f"{sign}{total_minutes // 60}h{total_minutes % 60:02d}"


def shift_text(shift: Assignment) -> str:
    return f"{shift.agent_id}'s shift {when_text(shift.start)}-{hm(shift.end)}"


def _window_text(window: TimeWindow) -> str:
    return f"{when_text(window.start)} to {when_text(window.end)}"


# --------------------------------------------------------------------------------------------
# Lookups shared by the checks and by objective.py


def shifts_by_agent(assignments: Sequence[Assignment]) -> dict[str, list[Assignment]]:
    """Each agent's shifts, sorted by start."""
    out: dict[str, list[Assignment]] = defaultdict(list)
    for shift in assignments:
        out[shift.agent_id].append(shift)
    for shifts in out.values():
        shifts.sort(key=lambda s: (s.start, s.end))
    return dict(out)


def _known_shifts(
    instance: Instance, assignments: Sequence[Assignment]
) -> Iterator[tuple[Assignment, Agent, ShiftTemplate]]:
    agents = {a.id: a for a in instance.agents}
    templates = {t.id: t for t in instance.templates}
    for shift in assignments:
        agent = agents.get(shift.agent_id)
        template = templates.get(shift.template_id)
        if agent is not None and template is not None:
            yield shift, agent, template


def contract_of(instance: Instance, agent: Agent) -> Contract | None:
    return next((c for c in instance.contracts if c.id == agent.contract), None)


def _agents_with_contracts(instance: Instance) -> Iterator[tuple[Agent, Contract]]:
    for agent in instance.agents:
        contract = contract_of(instance, agent)
        if contract is not None:
            yield agent, contract


def agent_paid_minutes(instance: Instance, shifts: Sequence[Assignment]) -> int:
    """Recomputed paid minutes of these shifts (shifts of unknown templates count 0)."""
    templates = {t.id: t for t in instance.templates}
    return sum(
        paid_minutes_of(templates[s.template_id], shift_length_minutes(s))
        for s in shifts
        if s.template_id in templates
    )


def working_dates(shifts: Sequence[Assignment]) -> list[dt.date]:
    """Sorted distinct dates on which the shifts start."""
    return sorted({s.start.date() for s in shifts})


def weekends(instance: Instance) -> list[tuple[dt.date, ...]]:
    """The weekends of the horizon: each Saturday with the Sunday after it when inside the horizon,
    and a lone Sunday on the first day."""
    horizon = instance.horizon
    last = horizon.date_of_day(horizon.days - 1)
    out: list[tuple[dt.date, ...]] = []
    for day in range(horizon.days):
        date = horizon.date_of_day(day)
        if date.weekday() == 5:
            sunday = date + dt.timedelta(days=1)
            out.append((date, sunday) if sunday <= last else (date,))
        elif date.weekday() == 6 and day == 0:
            out.append((date,))
    return out


def worked_weekends(instance: Instance, shifts: Sequence[Assignment]) -> list[tuple[dt.date, ...]]:
    dates = set(working_dates(shifts))
    return [weekend for weekend in weekends(instance) if any(d in dates for d in weekend)]


def start_variation(shifts: Sequence[Assignment]) -> tuple[int, int, int]:
    """(latest - earliest, earliest, latest) start time of day in minutes; zeros without shifts."""
    starts = [start_of_day_minutes(s.start) for s in shifts]
    if not starts:
        return 0, 0, 0
    return max(starts) - min(starts), min(starts), max(starts)


def _tod_text(total_minutes: int) -> str:
    return f"{total_minutes // 60:02d}:{total_minutes % 60:02d}"


# --------------------------------------------------------------------------------------------
# Shift-level rules


def check_known_agents_and_templates(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    agents = {a.id for a in instance.agents}
    templates = {t.id for t in instance.templates}
    out = []
    for s in assignments:
        if s.agent_id not in agents:
            out.append(Violation(rule=KNOWN_AGENTS_AND_TEMPLATES, agent_id=s.agent_id, start=s.start,
                                 message=f"a shift starting {when_text(s.start)} is for unknown agent "
                                         f"'{s.agent_id}'"))
        if s.template_id not in templates:
            out.append(Violation(rule=KNOWN_AGENTS_AND_TEMPLATES, agent_id=s.agent_id, start=s.start,
                                 message=f"{shift_text(s)} uses unknown template '{s.template_id}'"))
    return out


def check_shift_date(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    first = instance.horizon.start_date
    last = instance.horizon.date_of_day(instance.horizon.days - 1)
    out = []
    for s in assignments:
        if s.date != s.start.date():
            out.append(Violation(rule=SHIFT_DATE, agent_id=s.agent_id, start=s.start,
                                 message=f"{shift_text(s)} is dated {s.date}; a shift belongs to the date "
                                         f"on which it starts"))
        if not first <= s.start.date() <= last:
            out.append(Violation(rule=SHIFT_DATE, agent_id=s.agent_id, start=s.start,
                                 message=f"{shift_text(s)} starts outside the horizon {first}..{last}"))
    return out


def check_allowed_start_time(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    out = []
    for s, _agent, t in _known_shifts(instance, assignments):
        whole_minute = s.start.second == 0 and s.start.microsecond == 0
        if not whole_minute or start_of_day_minutes(s.start) not in set(t.start_minutes_of_day()):
            out.append(Violation(
                rule=ALLOWED_START_TIME, agent_id=s.agent_id, start=s.start,
                message=f"{shift_text(s)} starts at {s.start.time().isoformat()}; template {t.id} starts "
                        f"between {t.earliest_start} and {t.latest_start} every {t.start_step_minutes} minutes"))
    return out


def check_template_allowed_on_the_day(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    out = []
    for s, _agent, t in _known_shifts(instance, assignments):
        weekday = WEEKDAYS[s.start.weekday()]
        if not t.allowed_on(weekday):  # type: ignore[arg-type]
            out.append(Violation(
                rule=TEMPLATE_ALLOWED_ON_THE_DAY, agent_id=s.agent_id, start=s.start,
                message=f"{shift_text(s)} is on a {weekday}; template {t.id} is worked on "
                        f"{', '.join(t.days or [])} only"))
    return out


def check_template_allowed_by_contract(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    out = []
    for s, agent, t in _known_shifts(instance, assignments):
        contract = contract_of(instance, agent)
        if contract is not None and contract.allowed_templates is not None and t.id not in contract.allowed_templates:
            out.append(Violation(
                rule=TEMPLATE_ALLOWED_BY_CONTRACT, agent_id=s.agent_id, start=s.start,
                message=f"{shift_text(s)} uses template {t.id}; contract {contract.id} allows "
                        f"{', '.join(contract.allowed_templates) or 'no template'}"))
    return out


def check_allowed_shift_length(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    out = []
    for s, _agent, t in _known_shifts(instance, assignments):
        length = shift_length_minutes(s)
        if length not in t.lengths_minutes or s.end - s.start != dt.timedelta(minutes=length):
            allowed = ", ".join(str(x) for x in t.lengths_minutes)
            out.append(Violation(
                rule=ALLOWED_SHIFT_LENGTH, agent_id=s.agent_id, start=s.start,
                message=f"{shift_text(s)} lasts {(s.end - s.start).total_seconds() / 60:g} minutes; "
                        f"template {t.id} allows {allowed}"))
    return out


def check_paid_minutes_reported(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    out = []
    for s, _agent, t in _known_shifts(instance, assignments):
        paid = paid_minutes_of(t, shift_length_minutes(s))
        if s.paid_minutes != paid:
            out.append(Violation(
                rule=PAID_MINUTES_REPORTED, agent_id=s.agent_id, start=s.start,
                message=f"{shift_text(s)} reports {s.paid_minutes} paid minutes; its length minus the "
                        f"unpaid breaks of template {t.id} is {paid}"))
    return out


def check_one_shift_per_day(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    per_day: dict[tuple[str, dt.date], list[Assignment]] = defaultdict(list)
    for s in assignments:
        per_day[(s.agent_id, s.start.date())].append(s)
    out = []
    for (agent_id, date), shifts in per_day.items():
        if len(shifts) > 1:
            starts = ", ".join(hm(s.start) for s in sorted(shifts, key=lambda s: s.start))
            out.append(Violation(rule=ONE_SHIFT_PER_DAY, agent_id=agent_id, start=min(s.start for s in shifts),
                                 message=f"{agent_id} has {len(shifts)} shifts starting on {date} ({starts})"))
    return out


def check_no_overlapping_shifts(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    out = []
    for agent_id, shifts in shifts_by_agent(assignments).items():
        latest: Assignment | None = None
        for s in shifts:
            if latest is not None and s.start < latest.end:
                out.append(Violation(
                    rule=NO_OVERLAPPING_SHIFTS, agent_id=agent_id, start=s.start,
                    message=f"{agent_id}'s shifts {when_text(latest.start)}-{when_text(latest.end)} and "
                            f"{when_text(s.start)}-{when_text(s.end)} overlap"))
            if latest is None or s.end > latest.end:
                latest = s
    return out


def check_min_rest_between_shifts(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    agents = {a.id: a for a in instance.agents}
    out = []
    for agent_id, shifts in shifts_by_agent(assignments).items():
        agent = agents.get(agent_id)
        contract = contract_of(instance, agent) if agent is not None else None
        if contract is None or contract.min_rest_minutes == 0:
            continue
        latest: Assignment | None = None
        for s in shifts:
            if latest is not None:
                rest = minutes(s.start - latest.end)
                if 0 <= rest < contract.min_rest_minutes:
                    out.append(Violation(
                        rule=MIN_REST_BETWEEN_SHIFTS, agent_id=agent_id, start=s.start,
                        message=f"{agent_id} rests {duration_text(rest)} between {when_text(latest.end)} and "
                                f"{when_text(s.start)}; contract {contract.id} requires "
                                f"{duration_text(contract.min_rest_minutes)}"))
            if latest is None or s.end > latest.end:
                latest = s
    return out


# --------------------------------------------------------------------------------------------
# Breaks


def check_breaks(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    """Required breaks, their length, paid flag, window, place in the shift, order and the work
    between them (each with its own rule name)."""
    out: list[Violation] = []
    for s, _agent, t in _known_shifts(instance, assignments):
        rules = t.breaks_for_length(shift_length_minutes(s))
        out.extend(_break_names(s, t, rules))
        placed = []
        for rule in rules:
            slot = next((b for b in s.breaks if b.name == rule.name), None)
            if slot is not None:
                out.extend(_break_slot(instance, s, t, rule, slot))
                placed.append((rule, slot))
        out.extend(_break_sequence(s, t, placed))
    return out


def _break_names(s: Assignment, t: ShiftTemplate, rules: list[BreakRule]) -> list[Violation]:
    names = Counter(b.name for b in s.breaks)
    expected = [r.name for r in rules]
    length = shift_length_minutes(s)
    out = []

    def add(message: str) -> None:
        out.append(Violation(rule=REQUIRED_BREAKS, agent_id=s.agent_id, start=s.start, message=message))

    for name in expected:
        if name not in names:
            add(f"{shift_text(s)} has no break '{name}'; template {t.id} requires it in a {length}-minute shift")
    for name, count in names.items():
        if name not in expected:
            add(f"{shift_text(s)} has a break '{name}' that template {t.id} does not give a {length}-minute shift")
        elif count > 1:
            add(f"{shift_text(s)} has break '{name}' {count} times")
    return out


def _break_slot(
    instance: Instance, s: Assignment, t: ShiftTemplate, rule: BreakRule, slot: BreakSlot
) -> list[Violation]:
    out = []

    def add(rule_name: str, message: str) -> None:
        out.append(Violation(rule=rule_name, agent_id=s.agent_id, start=slot.start, message=message))

    what = f"{s.agent_id}'s break {rule.name} {hm(slot.start)}-{hm(slot.end)} (shift {when_text(s.start)})"
    if slot.end - slot.start != dt.timedelta(minutes=rule.duration_minutes):
        add(BREAK_LENGTH, f"{what} lasts {(slot.end - slot.start).total_seconds() / 60:g} minutes; "
                          f"template {t.id} sets {rule.duration_minutes}")
    if slot.paid != rule.paid:
        add(BREAK_PAID, f"{what} is marked {'paid' if slot.paid else 'unpaid'}; template {t.id} says "
                        f"{'paid' if rule.paid else 'unpaid'}")
    offset = (slot.start - s.start).total_seconds() / 60
    if not rule.earliest_offset_minutes <= offset <= rule.latest_offset_minutes:
        earliest = s.start + dt.timedelta(minutes=rule.earliest_offset_minutes)
        latest = s.start + dt.timedelta(minutes=rule.latest_offset_minutes)
        add(BREAK_WINDOW, f"{what} starts {duration_text(int(offset))} into the shift; template {t.id} starts it "
                          f"{duration_text(rule.earliest_offset_minutes)} to "
                          f"{duration_text(rule.latest_offset_minutes)} after the shift start "
                          f"({hm(earliest)}-{hm(latest)})")
    if not on_grid(instance, slot.start):
        add(BREAK_WINDOW, f"{what} does not start on the {instance.horizon.interval_minutes}-minute interval grid")
    if slot.start < s.start or slot.end > s.end:
        add(BREAK_INSIDE_THE_SHIFT, f"{what} is not inside the shift {hm(s.start)}-{hm(s.end)}")
    elif rule.min_work_after_minutes and s.end - slot.end < dt.timedelta(minutes=rule.min_work_after_minutes):
        add(BREAK_WINDOW, f"{what} ends {duration_text(minutes(s.end - slot.end))} before the shift ends; "
                          f"template {t.id} requires at least {duration_text(rule.min_work_after_minutes)}")
    return out


def _break_sequence(s: Assignment, t: ShiftTemplate, placed: list[tuple[BreakRule, BreakSlot]]) -> list[Violation]:
    out = []
    gap = t.min_work_between_breaks_minutes
    for (prev_rule, prev), (rule, slot) in zip(placed, placed[1:], strict=False):
        if slot.start < prev.end:
            order = ", ".join(r.name for r in t.breaks_for_length(shift_length_minutes(s)))
            out.append(Violation(
                rule=BREAK_ORDER, agent_id=s.agent_id, start=slot.start,
                message=f"{s.agent_id}'s break {rule.name} ({hm(slot.start)}-{hm(slot.end)}) starts before "
                        f"{prev_rule.name} ({hm(prev.start)}-{hm(prev.end)}) ends; template {t.id} places "
                        f"breaks in the order {order}"))
        elif slot.start - prev.end < dt.timedelta(minutes=gap):
            work = minutes(slot.start - prev.end)
            out.append(Violation(
                rule=WORK_BETWEEN_BREAKS, agent_id=s.agent_id, start=slot.start,
                message=f"{s.agent_id} works {duration_text(work)} between {prev_rule.name} (ends {hm(prev.end)}) "
                        f"and {rule.name} (starts {hm(slot.start)}); template {t.id} requires "
                        f"{duration_text(gap)}"))
    return out


# --------------------------------------------------------------------------------------------
# Activities


def check_activities(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    """Activities tile the shift's non-break time with skills of the agent (required for
    multi-skill agents, optional for single-skill ones)."""
    out: list[Violation] = []
    for s, agent, _template in _known_shifts(instance, assignments):
        if not s.activities:
            if len(agent.skills) > 1:
                out.append(Violation(
                    rule=ACTIVITIES_COVER_THE_SHIFT, agent_id=s.agent_id, start=s.start,
                    message=f"{shift_text(s)} has no activities; {agent.id} serves several skills "
                            f"({', '.join(agent.skill_ids)}), so the shift must say which one when"))
            continue
        for activity in s.activities:
            if activity.skill not in agent.skill_ids:
                out.append(Violation(
                    rule=ACTIVITY_SKILL, agent_id=s.agent_id, start=activity.start,
                    message=f"{s.agent_id}'s activity {activity.skill} {hm(activity.start)}-{hm(activity.end)} "
                            f"is not one of the agent's skills ({', '.join(agent.skill_ids)})"))
        out.extend(_activity_placement(instance, s))
        out.extend(_activity_tiling(s))
    return out


def _activity_placement(instance: Instance, s: Assignment) -> list[Violation]:
    out = []
    for a in s.activities:
        what = f"{s.agent_id}'s activity {a.skill} {hm(a.start)}-{hm(a.end)} (shift {when_text(s.start)})"
        problem = None
        if a.end <= a.start:
            problem = "is empty"
        elif not (on_grid(instance, a.start) and on_grid(instance, a.end)):
            problem = f"is not on the {instance.horizon.interval_minutes}-minute interval grid"
        elif a.start < s.start or a.end > s.end:
            problem = f"is not inside the shift {hm(s.start)}-{hm(s.end)}"
        if problem is not None:
            out.append(Violation(rule=ACTIVITIES_COVER_THE_SHIFT, agent_id=s.agent_id, start=a.start,
                                 message=f"{what} {problem}"))
    return out


def _activity_tiling(s: Assignment) -> list[Violation]:
    """Walk activities and breaks in start order: each must start where the covered time ends."""
    segments = [(max(a.start, s.start), min(a.end, s.end), f"activity {a.skill}", False) for a in s.activities]
    segments += [(max(b.start, s.start), min(b.end, s.end), f"break {b.name}", True) for b in s.breaks]
    segments = sorted((x for x in segments if x[0] < x[1]), key=lambda x: (x[0], x[1]))
    out = []

    def add(when: dt.datetime, message: str) -> None:
        out.append(Violation(rule=ACTIVITIES_COVER_THE_SHIFT, agent_id=s.agent_id, start=when,
                             message=f"{shift_text(s)}: {message}"))

    cursor, last = s.start, None
    for start, end, label, is_break in segments:
        if start > cursor:
            add(cursor, f"no activity from {hm(cursor)} to {hm(start)}")
        elif start < cursor and last is not None and not (is_break and last[2]):
            add(start, f"{label} {hm(start)}-{hm(end)} overlaps {last[0]} {hm(last[1])}-{hm(cursor)}")
        if end > cursor:
            cursor, last = end, (label, start, is_break)
    if cursor < s.end:
        add(cursor, f"no activity from {hm(cursor)} to {hm(s.end)}")
    return out


# --------------------------------------------------------------------------------------------
# Availability, time off, locks


def check_availability(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    tz = instance.horizon.timezone
    out = []
    for s, agent, _template in _known_shifts(instance, assignments):
        if agent.availability is None:
            continue
        windows = [(local_time(w.start, tz), local_time(w.end, tz)) for w in agent.availability]
        if any(a <= s.start and s.end <= b for a, b in windows):
            continue
        near = [f"{when_text(a)} to {when_text(b)}" for a, b in windows if a < s.end and s.start < b]
        where = f"available only {'; '.join(near)}" if near else "not available at all then"
        out.append(Violation(rule=AVAILABILITY, agent_id=s.agent_id, start=s.start,
                             message=f"{shift_text(s)} is not inside one availability window; "
                                     f"{agent.id} is {where}"))
    return out


def check_time_off(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    tz = instance.horizon.timezone
    out = []
    for s, agent, _template in _known_shifts(instance, assignments):
        for w in agent.time_off:
            if local_time(w.start, tz) < s.end and s.start < local_time(w.end, tz):
                out.append(Violation(rule=TIME_OFF, agent_id=s.agent_id, start=s.start,
                                     message=f"{shift_text(s)} overlaps {agent.id}'s time off "
                                             f"{_window_text(w)}"))
    return out


def check_locks(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    by_agent = shifts_by_agent(assignments)
    out = []
    for agent in instance.agents:
        on_date: dict[dt.date, list[Assignment]] = defaultdict(list)
        for s in by_agent.get(agent.id, []):
            on_date[s.start.date()].append(s)
        for lock in agent.locks:
            shifts = on_date.get(lock.date, [])
            if lock.off:
                for s in shifts:
                    out.append(Violation(rule=LOCKED_DAY_OFF, agent_id=agent.id, start=s.start,
                                         message=f"{shift_text(s)} is on {lock.date}, locked as a day off"))
                continue
            if lock.template is None or lock.start is None:
                continue
            wanted = (lock.template, time_of_day_minutes(lock.start))

            def matches(s: Assignment, lock_length: int | None = lock.length_minutes,
                        wanted: tuple[str, int] = wanted) -> bool:
                same = (s.template_id, start_of_day_minutes(s.start)) == wanted
                return same and (lock_length is None or shift_length_minutes(s) == lock_length)

            if not any(matches(s) for s in shifts):
                length = f", {lock.length_minutes} minutes" if lock.length_minutes is not None else ""
                found = "; ".join(f"{s.template_id} {hm(s.start)}-{hm(s.end)}" for s in shifts) or "no shift"
                out.append(Violation(
                    rule=LOCKED_SHIFT, agent_id=agent.id,
                    start=dt.datetime.combine(lock.date, dt.time()) + dt.timedelta(minutes=wanted[1]),
                    message=f"{agent.id} is locked to a {lock.template} shift at {lock.start}{length} on "
                            f"{lock.date}; the schedule has {found}"))
    return out


# --------------------------------------------------------------------------------------------
# Contract rules over the horizon


def _min_paid(instance: Instance, agent: Agent, c: Contract, shifts: Sequence[Assignment]) -> tuple[int, str]:
    paid = agent_paid_minutes(instance, shifts)
    return c.min_paid_minutes - paid, (f"{agent.id} is paid {paid} minutes over the horizon; contract {c.id} "
                                       f"requires at least {c.min_paid_minutes}")


def _max_paid(instance: Instance, agent: Agent, c: Contract, shifts: Sequence[Assignment]) -> tuple[int, str]:
    if c.max_paid_minutes is None:
        return 0, ""
    paid = agent_paid_minutes(instance, shifts)
    return paid - c.max_paid_minutes, (f"{agent.id} is paid {paid} minutes over the horizon; contract {c.id} "
                                       f"allows at most {c.max_paid_minutes}")


def _min_days(instance: Instance, agent: Agent, c: Contract, shifts: Sequence[Assignment]) -> tuple[int, str]:
    days = len(working_dates(shifts))
    return c.min_working_days - days, (f"{agent.id} works {days} days; contract {c.id} requires at least "
                                       f"{c.min_working_days}")


def _max_days(instance: Instance, agent: Agent, c: Contract, shifts: Sequence[Assignment]) -> tuple[int, str]:
    if c.max_working_days is None:
        return 0, ""
    days = len(working_dates(shifts))
    return days - c.max_working_days, (f"{agent.id} works {days} days; contract {c.id} allows at most "
                                       f"{c.max_working_days}")


def _max_weekends(instance: Instance, agent: Agent, c: Contract, shifts: Sequence[Assignment]) -> tuple[int, str]:
    if c.max_working_weekends is None:
        return 0, ""
    worked = worked_weekends(instance, shifts)
    listed = ", ".join("+".join(str(d) for d in weekend) for weekend in worked)
    return len(worked) - c.max_working_weekends, (f"{agent.id} works {len(worked)} weekends ({listed}); "
                                                  f"contract {c.id} allows at most {c.max_working_weekends}")


def _max_start_variation(
    instance: Instance, agent: Agent, c: Contract, shifts: Sequence[Assignment]
) -> tuple[int, str]:
    if c.max_start_variation_minutes is None:
        return 0, ""
    spread, earliest, latest = start_variation(shifts)
    return spread - c.max_start_variation_minutes, (
        f"{agent.id}'s start times vary by {spread} minutes ({_tod_text(earliest)} to {_tod_text(latest)}); "
        f"contract {c.id} allows at most {c.max_start_variation_minutes}")


_LIMITS: dict[SoftContractRule, Callable[[Instance, Agent, Contract, Sequence[Assignment]], tuple[int, str]]] = {
    "min_paid_minutes": _min_paid,
    "max_paid_minutes": _max_paid,
    "min_working_days": _min_days,
    "max_working_days": _max_days,
    "max_working_weekends": _max_weekends,
    "max_start_variation_minutes": _max_start_variation,
}


def contract_limit_excess(
    instance: Instance, agent: Agent, contract: Contract, shifts: Sequence[Assignment], rule: SoftContractRule
) -> tuple[int, str]:
    """How far the agent's shifts break one softable contract rule (minutes, days or weekends
    short or over; 0 or less when kept) and a planner message."""
    amount, message = _LIMITS[rule](instance, agent, contract, shifts)
    return max(0, amount), message


def _hard_limit(instance: Instance, assignments: Sequence[Assignment], rule: SoftContractRule) -> list[Violation]:
    by_agent = shifts_by_agent(assignments)
    out = []
    for agent, contract in _agents_with_contracts(instance):
        if contract.is_soft(rule):
            continue
        amount, message = contract_limit_excess(instance, agent, contract, by_agent.get(agent.id, []), rule)
        if amount > 0:
            out.append(Violation(rule=CONTRACT_LIMIT_RULES[rule], agent_id=agent.id, message=message))
    return out


def check_min_paid_minutes(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    return _hard_limit(instance, assignments, "min_paid_minutes")


def check_max_paid_minutes(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    return _hard_limit(instance, assignments, "max_paid_minutes")


def check_min_working_days(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    return _hard_limit(instance, assignments, "min_working_days")


def check_max_working_days(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    return _hard_limit(instance, assignments, "max_working_days")


def check_max_working_weekends(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    return _hard_limit(instance, assignments, "max_working_weekends")


def check_max_start_variation(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    return _hard_limit(instance, assignments, "max_start_variation_minutes")


def _runs(dates: list[dt.date]) -> list[list[dt.date]]:
    """Maximal runs of consecutive dates in a sorted list."""
    runs: list[list[dt.date]] = []
    for date in dates:
        if runs and date - runs[-1][-1] == dt.timedelta(days=1):
            runs[-1].append(date)
        else:
            runs.append([date])
    return runs


def check_max_consecutive_working_days(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    by_agent = shifts_by_agent(assignments)
    out = []
    for agent, contract in _agents_with_contracts(instance):
        limit = contract.max_consecutive_working_days
        if limit is None:
            continue
        shifts = by_agent.get(agent.id, [])
        for run in _runs(working_dates(shifts)):
            if len(run) > limit:
                first = next(s.start for s in shifts if s.start.date() == run[0])
                out.append(Violation(
                    rule=MAX_CONSECUTIVE_WORKING_DAYS, agent_id=agent.id, start=first,
                    message=f"{agent.id} works {len(run)} consecutive days, {run[0]} to {run[-1]}; "
                            f"contract {contract.id} allows at most {limit}"))
    return out


def check_min_consecutive_days_off(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    by_agent = shifts_by_agent(assignments)
    out = []
    for agent, contract in _agents_with_contracts(instance):
        minimum = contract.min_consecutive_days_off
        if minimum <= 1:
            continue
        dates = working_dates(by_agent.get(agent.id, []))
        for before, after in zip(dates, dates[1:], strict=False):
            off = (after - before).days - 1
            if 0 < off < minimum:
                out.append(Violation(
                    rule=MIN_CONSECUTIVE_DAYS_OFF, agent_id=agent.id,
                    start=dt.datetime.combine(before + dt.timedelta(days=1), dt.time()),
                    message=f"{agent.id} has {off} day{'s' if off > 1 else ''} off between working days "
                            f"{before} and {after}; contract {contract.id} requires at least {minimum} "
                            f"consecutive days off"))
    return out


def check_min_consecutive_working_days(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    by_agent = shifts_by_agent(assignments)
    first_day = instance.horizon.start_date
    last_day = first_day + dt.timedelta(days=instance.horizon.days - 1)
    out = []
    for agent, contract in _agents_with_contracts(instance):
        minimum = contract.min_consecutive_working_days
        if minimum <= 1:
            continue
        for run in _runs(working_dates(by_agent.get(agent.id, []))):
            if len(run) < minimum and run[0] != first_day and run[-1] != last_day:
                out.append(Violation(
                    rule=MIN_CONSECUTIVE_WORKING_DAYS, agent_id=agent.id,
                    start=dt.datetime.combine(run[0], dt.time()),
                    message=f"{agent.id} works only {len(run)} consecutive day{'s' if len(run) > 1 else ''}, "
                            f"{run[0]} to {run[-1]}; contract {contract.id} requires at least {minimum}"))
    return out


def check_max_shifts_per_template(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    by_agent = shifts_by_agent(assignments)
    out = []
    for agent, contract in _agents_with_contracts(instance):
        counts = Counter(s.template_id for s in by_agent.get(agent.id, []))
        for template_id, limit in contract.max_shifts_per_template.items():
            if counts[template_id] > limit:
                out.append(Violation(
                    rule=MAX_SHIFTS_PER_TEMPLATE, agent_id=agent.id,
                    message=f"{agent.id} works {counts[template_id]} {template_id} shifts; contract "
                            f"{contract.id} allows at most {limit}"))
    return out


def check_forbidden_successions(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    by_agent = shifts_by_agent(assignments)
    out = []
    for agent, contract in _agents_with_contracts(instance):
        if not contract.forbidden_successions:
            continue
        shifts = by_agent.get(agent.id, [])
        templates_on: dict[dt.date, set[str]] = defaultdict(set)
        for s in shifts:
            templates_on[s.start.date()].add(s.template_id)
        for first, second in contract.forbidden_successions:
            for s in shifts:
                next_day = s.start.date() + dt.timedelta(days=1)
                if s.template_id == first and second in templates_on.get(next_day, set()):
                    out.append(Violation(
                        rule=FORBIDDEN_SUCCESSION, agent_id=agent.id, start=s.start,
                        message=f"{agent.id} works {first} on {s.start.date()} and {second} on {next_day}; "
                                f"contract {contract.id} forbids {second} the day after {first}"))
    return out


HARD_CHECKS: tuple[Check, ...] = (
    check_known_agents_and_templates,
    check_shift_date,
    check_allowed_start_time,
    check_template_allowed_on_the_day,
    check_template_allowed_by_contract,
    check_allowed_shift_length,
    check_paid_minutes_reported,
    check_one_shift_per_day,
    check_no_overlapping_shifts,
    check_min_rest_between_shifts,
    check_breaks,
    check_activities,
    check_availability,
    check_time_off,
    check_locks,
    check_min_paid_minutes,
    check_max_paid_minutes,
    check_min_working_days,
    check_max_working_days,
    check_max_consecutive_working_days,
    check_min_consecutive_days_off,
    check_min_consecutive_working_days,
    check_max_working_weekends,
    check_max_shifts_per_template,
    check_forbidden_successions,
    check_max_start_variation,
)
"""Every hard-rule check, in the order their violations are reported."""


def check_hard_rules(instance: Instance, assignments: Sequence[Assignment]) -> list[Violation]:
    out: list[Violation] = []
    for check in HARD_CHECKS:
        out.extend(check(instance, assignments))
    return out

