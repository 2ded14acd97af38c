"""The independent check of a shift-design result (`SolveResult.design`), for instances with
`design`: the hard rules of every shift line, the coverage (breaks subtracted, time past the end of
a cyclic horizon wrapped to its beginning) and every design term, recomputed from the lines and the
instance alone (domain and standard library only; it shares no code with the design model).

Readings of the domain text (`optimizer.domain.schedule.DesignShift`, `DesignPool`):

* A line's start is a time of day on the grid: within its template's window
  (earliest_start + k * start_step_minutes <= latest_start); its length is one of the template's;
  its breaks are the template's rules for that length, by name, in rule order, each starting
  inside its offset window, ending at least `min_work_after_minutes` before the shift ends, with
  `min_work_between_breaks_minutes` between consecutive breaks, all on the interval grid.
* A count is for a date of the horizon whose weekday the template allows, a skill of some pool
  whose templates include the line's, and is a non-negative integer.
* An agent covers interval t of the horizon when its shift covers the whole interval outside its
  breaks; with a cyclic horizon interval index is taken modulo the horizon, otherwise time past
  the end covers nothing.
* A pattern is a distinct (start, length, break offsets) among lines with a positive count.

The result's coverage rows are compared as in named mode (`coverage.compare_coverage`, times read
in the horizon's zone): a row off the interval grid, given twice or missing is a mismatch.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from optimizer.domain.instance import Instance, ShiftTemplate
from optimizer.domain.schedule import DESIGN_TERMS, DesignShift, SolveResult, Violation
from optimizer.validate import ValidationReport, bound_mismatches
from optimizer.validate.coverage import compare_coverage
from optimizer.validate.rules import local_result

KNOWN_TEMPLATE = "known templates"
START_WINDOW = "start window"
LENGTH_WINDOW = "length window"
BREAK_PLACEMENT = "break placement"
ALLOWED_DAYS = "allowed days"
KNOWN_SKILL = "skills of a pool"
POOL_TEMPLATES = "templates of the pool"
POOL_DAILY_MAXIMUM = "pool's daily maximum"
COUNTS = "counts"
NAMED_ASSIGNMENTS = "no named assignments in shift design"

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _clock(text: str) -> int | None:
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    hours, minutes = int(parts[0]), int(parts[1])
    if hours > 23 or minutes > 59:
        return None
    return hours * 60 + minutes


def _line_text(line: DesignShift) -> str:
    offsets = ", ".join(f"{b.name}+{b.offset_minutes}" for b in line.breaks)
    return f"shift {line.template_id} {line.start} ({line.length_minutes} min{'; ' + offsets if offsets else ''})"


def check_line(instance: Instance, line: DesignShift) -> list[Violation]:  # noqa: C901 - one rule after another
    """Hard rules of one line (template, start, length, breaks, dates, skills, counts)."""
    step = instance.horizon.interval_minutes
    out: list[Violation] = []
    what = _line_text(line)

    def add(rule: str, message: str) -> None:
        out.append(Violation(rule=rule, message=message))

    template: ShiftTemplate | None = next((t for t in instance.templates if t.id == line.template_id), None)
    if template is None:
        add(KNOWN_TEMPLATE, f"{what}: unknown template '{line.template_id}'")
        return out
    start = _clock(line.start)
    if start is None:
        add(START_WINDOW, f"{what}: start '{line.start}' is not a time of day HH:MM")
        return out
    earliest, latest = _clock(template.earliest_start), _clock(template.latest_start)
    assert earliest is not None and latest is not None
    if not earliest <= start <= latest or (start - earliest) % template.start_step_minutes:
        add(START_WINDOW, f"{what}: template {template.id} starts from {template.earliest_start} to "
                          f"{template.latest_start} every {template.start_step_minutes} min")
    if start % step:
        add(START_WINDOW, f"{what}: the start is not on the {step}-minute interval grid")
    length = line.length_minutes
    if length not in template.lengths_minutes:
        add(LENGTH_WINDOW, f"{what}: template {template.id} allows lengths "
                           f"{min(template.lengths_minutes)}..{max(template.lengths_minutes)} "
                           f"({len(template.lengths_minutes)} values), not {length}")
    if length <= 0 or length % step:
        add(LENGTH_WINDOW, f"{what}: the length is not a positive multiple of {step} min")
    rules = [r for r in template.breaks if length >= r.min_shift_minutes]
    if [b.name for b in line.breaks] != [r.name for r in rules]:
        add(BREAK_PLACEMENT, f"{what}: breaks {[b.name for b in line.breaks]}; template {template.id} "
                             f"prescribes {[r.name for r in rules]} for a {length}-minute shift")
    else:
        previous_end: int | None = None
        for rule, brk in zip(rules, line.breaks, strict=True):
            offset = brk.offset_minutes
            if not rule.earliest_offset_minutes <= offset <= rule.latest_offset_minutes:
                add(BREAK_PLACEMENT, f"{what}: break {rule.name} starts {offset} min after the shift start; "
                                     f"its window is {rule.earliest_offset_minutes}..{rule.latest_offset_minutes}")
            if offset % step:
                add(BREAK_PLACEMENT, f"{what}: break {rule.name} is not on the {step}-minute grid")
            if offset + rule.duration_minutes + rule.min_work_after_minutes > length:
                add(BREAK_PLACEMENT, f"{what}: break {rule.name} ends {length - offset - rule.duration_minutes} min "
                                     f"before the shift ends; at least {rule.min_work_after_minutes} required")
            if previous_end is not None and offset - previous_end < template.min_work_between_breaks_minutes:
                add(BREAK_PLACEMENT, f"{what}: only {offset - previous_end} min of work before break {rule.name}; "
                                     f"template {template.id} requires {template.min_work_between_breaks_minutes}")
            previous_end = offset + rule.duration_minutes
    first = instance.horizon.start_date
    last = first + dt.timedelta(days=instance.horizon.days - 1)
    pools = {skill: pool for pool in (instance.design.pools if instance.design else []) for skill in pool.skills}
    for date, per_skill in line.counts.items():
        if not first <= date <= last:
            add(ALLOWED_DAYS, f"{what}: date {date} is outside the horizon {first}..{last}")
        elif template.days is not None and WEEKDAY_NAMES[date.weekday()] not in template.days:
            add(ALLOWED_DAYS, f"{what}: template {template.id} is not worked on {WEEKDAY_NAMES[date.weekday()]} {date}")
        for skill, count in per_skill.items():
            if skill not in pools:
                add(KNOWN_SKILL, f"{what}: skill '{skill}' on {date} belongs to no design pool")
            elif pools[skill].templates is not None and template.id not in pools[skill].templates:
                add(POOL_TEMPLATES, f"{what}: pool {pools[skill].id} does not work template {template.id}")
            if count < 0:
                add(COUNTS, f"{what}: {count} agents of {skill} on {date}")
    return out


def scheduled(instance: Instance, lines: list[DesignShift]) -> dict[str, list[int]]:
    """Agents per skill and interval."""
    horizon = instance.horizon
    step = horizon.interval_minutes
    n = horizon.days * 1440 // step
    origin = dt.datetime.combine(horizon.start_date, dt.time())
    out = {s.id: [0] * n for s in instance.skills}
    for line in lines:
        template = next((t for t in instance.templates if t.id == line.template_id), None)
        start = _clock(line.start)
        if template is None or start is None:
            continue
        durations = {r.name: r.duration_minutes for r in template.breaks}
        off_minutes = set()
        for brk in line.breaks:
            off_minutes.update(range(brk.offset_minutes, brk.offset_minutes + durations.get(brk.name, 0)))
        for date, per_skill in line.counts.items():
            begin = dt.datetime.combine(date, dt.time()) + dt.timedelta(minutes=start)
            begin_min = int((begin - origin).total_seconds() // 60)
            for k in range(line.length_minutes // step):
                minutes = range(k * step, (k + 1) * step)
                if any(m in off_minutes for m in minutes):
                    continue
                t = (begin_min + k * step) // step
                if horizon.cyclic:
                    t %= n
                elif not 0 <= t < n:
                    continue
                for skill, count in per_skill.items():
                    if skill in out:
                        out[skill][t] += count
    return out


def recompute_terms(instance: Instance, lines: list[DesignShift], cover: dict[str, list[int]]) -> dict[str, int]:
    terms = dict.fromkeys(DESIGN_TERMS, 0)
    weights = instance.weights
    demand = {row.skill: instance.required(row.skill) for row in instance.demand}
    n = instance.horizon.days * 1440 // instance.horizon.interval_minutes
    for skill in instance.skills:
        under_w = skill.under_staffing_weights or weights.under_staffing
        over_w = weights.over_staffing if skill.over_staffing_weight is None else skill.over_staffing_weight
        required = demand.get(skill.id, [0] * n)
        for t in range(n):
            short = max(0, required[t] - cover[skill.id][t])
            terms["under_staffing"] += sum(under_w[min(i, len(under_w) - 1)] for i in range(short))
            terms["over_staffing"] += over_w * max(0, cover[skill.id][t] - required[t])
    patterns = set()
    for line in lines:
        if any(c > 0 for per_skill in line.counts.values() for c in per_skill.values()):
            patterns.add((_clock(line.start), line.length_minutes, tuple(b.offset_minutes for b in line.breaks)))
    terms["shift_patterns"] = weights.shift_patterns * len(patterns)
    step = instance.horizon.interval_minutes
    for pool in instance.design.pools if instance.design else []:
        band = pool.avg_net_shift_minutes
        if band is None:
            continue
        shifts = work = 0
        for line in lines:
            template = next((t for t in instance.templates if t.id == line.template_id), None)
            if template is None:
                continue
            unpaid = {r.name: r.duration_minutes for r in template.breaks if not r.paid}
            net = line.length_minutes - sum(unpaid.get(b.name, 0) for b in line.breaks)
            agents = sum(c for per_skill in line.counts.values() for s, c in per_skill.items() if s in pool.skills)
            shifts += agents
            work += agents * net
        short = max(0, shifts * band.min_minutes - work, work - shifts * band.max_minutes)
        terms["avg_shift_length"] += weights.avg_shift_length * (short // step)
    return terms


def validate_design(instance: Instance, result: SolveResult) -> ValidationReport:
    if result.status in ("infeasible", "unknown") and not result.design and result.objective is None:
        return ValidationReport(ok=True)
    hard: list[Violation] = []
    if result.assignments:
        hard.append(Violation(rule=NAMED_ASSIGNMENTS, message=f"the result has {len(result.assignments)} named "
                                                              "assignments; a shift-design result has lines only"))
    for line in result.design:
        hard += check_line(instance, line)
    for pool in instance.design.pools if instance.design else []:
        if pool.max_agents_per_day is None:
            continue
        per_date: dict[dt.date, int] = defaultdict(int)
        for line in result.design:
            for date, per_skill in line.counts.items():
                per_date[date] += sum(c for s, c in per_skill.items() if s in pool.skills)
        for date, total in sorted(per_date.items()):
            if total > pool.max_agents_per_day:
                hard.append(Violation(rule=POOL_DAILY_MAXIMUM, message=f"pool {pool.id}: {total} shifts start on "
                                      f"{date}; at most {pool.max_agents_per_day}"))
    cover = scheduled(instance, result.design)
    terms = recompute_terms(instance, result.design, cover)
    objective = sum(terms.values())
    mismatches: list[str] = []
    if result.terms:
        for name, value in terms.items():
            if result.terms.get(name, 0) != value:
                mismatches.append(f"term {name}: result reports {result.terms.get(name, 0)}, recomputed {value}")
        for name in result.terms:
            if name not in terms:
                mismatches.append(f"term {name}: result reports {result.terms[name]}, not a design term "
                                  f"({', '.join(DESIGN_TERMS)})")
    if result.objective is not None and result.objective != objective:
        mismatches.append(f"objective: result reports {result.objective}, recomputed {objective}")
    mismatches += bound_mismatches(result, objective)
    if result.coverage:
        mismatches += compare_coverage(instance, cover, local_result(instance, result).coverage)
    return ValidationReport(hard=hard, terms=terms, objective=objective, mismatches=mismatches,
                            ok=not hard and not mismatches)


__all__ = ["check_line", "recompute_terms", "scheduled", "validate_design"]
