"""Builders for tiny instances and hand-written schedules, shared by the validator and model tests.

Defaults: the horizon starts on Monday 2026-01-05 (`START`), 60-minute intervals, one skill
"voice", one contract "ft" (no limits), one template "day" (08:00-10:00 every hour, 8 hours, a
60-minute unpaid lunch 3 to 5 hours in), one agent "a1". Every builder takes keyword overrides of
the domain fields, so a test states only what it is about:

    inst = tiny_instance(days=2, agents=[agent(contract="c")], contracts=[contract("c", min_rest_minutes=600)])
    s = shift("a1", 0, "09:00", 480, inst.template("day"), breaks=[("lunch", "12:00")])
    report = validate(inst, result(inst, [s]))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from optimizer.domain.ids import time_of_day_minutes
from optimizer.domain.instance import (
    Agent,
    AgentSkill,
    BreakRule,
    Contract,
    Horizon,
    Instance,
    InstanceError,
    Lock,
    ShiftDemand,
    ShiftTemplate,
    Skill,
    SkillDemand,
    TimeWindow,
    Weights,
    reference_errors,
)
from optimizer.domain.schedule import Activity, Assignment, BreakSlot, CoverageRow, SolveResult

START = dt.date(2026, 1, 5)
"""A Monday."""


def day(index: int, start_date: dt.date = START) -> dt.date:
    return start_date + dt.timedelta(days=index)


def at(date: dt.date | int, hhmm: str, start_date: dt.date = START) -> dt.datetime:
    """The local date-time of "HH:MM" on a date (or a day index from `start_date`)."""
    if isinstance(date, int):
        date = day(date, start_date)
    return dt.datetime.combine(date, dt.time()) + dt.timedelta(minutes=time_of_day_minutes(hhmm))


def window(start: dt.datetime, end: dt.datetime) -> TimeWindow:
    return TimeWindow(start=start, end=end)


def break_rule(
    name: str = "lunch",
    duration_minutes: int = 60,
    earliest_offset_minutes: int = 180,
    latest_offset_minutes: int = 300,
    **fields: Any,
) -> BreakRule:
    return BreakRule(name=name, duration_minutes=duration_minutes, earliest_offset_minutes=earliest_offset_minutes,
                     latest_offset_minutes=latest_offset_minutes, **fields)


def template(
    id: str = "day",
    earliest_start: str = "08:00",
    latest_start: str = "10:00",
    start_step_minutes: int = 60,
    lengths_minutes: Sequence[int] = (480,),
    breaks: Sequence[BreakRule] | None = None,
    **fields: Any,
) -> ShiftTemplate:
    """A shift template; `breaks=None` gives the default lunch, `breaks=[]` none."""
    return ShiftTemplate(
        id=id,
        earliest_start=earliest_start,
        latest_start=latest_start,
        start_step_minutes=start_step_minutes,
        lengths_minutes=list(lengths_minutes),
        breaks=[break_rule()] if breaks is None else list(breaks),
        **fields,
    )


def contract(id: str = "ft", **fields: Any) -> Contract:
    return Contract(id=id, **fields)


def agent(
    id: str = "a1",
    contract: str = "ft",
    skills: Sequence[str] = ("voice",),
    locks: Sequence[Lock] = (),
    **fields: Any,
) -> Agent:
    return Agent(id=id, contract=contract, skills=[AgentSkill(skill=s, priority=i + 1) for i, s in enumerate(skills)],
                 locks=list(locks), **fields)


def tiny_instance(
    days: int = 1,
    agents: Sequence[Agent] | None = None,
    templates: Sequence[ShiftTemplate] | None = None,
    contracts: Sequence[Contract] | None = None,
    skills: Sequence[str | Skill] | None = None,
    demand: Mapping[str, Sequence[int]] | None = None,
    shift_demand: Sequence[ShiftDemand] = (),
    weights: Weights | Mapping[str, Any] | None = None,
    interval_minutes: int = 60,
    start_date: dt.date = START,
    timezone: str = "UTC",
    name: str = "tiny",
    check: bool = True,
) -> Instance:
    """A small instance. `demand` maps skill -> required agents per interval (a list shorter than
    the horizon is padded with zeros). With `check`, cross-reference errors raise `InstanceError`."""
    horizon = Horizon(start_date=start_date, days=days, interval_minutes=interval_minutes, timezone=timezone)
    skill_models = [s if isinstance(s, Skill) else Skill(id=s) for s in (skills or ["voice"])]
    rows = [
        SkillDemand(skill=skill, required=[*values, *[0] * (horizon.num_intervals - len(values))])
        for skill, values in (demand or {}).items()
    ]
    if weights is None:
        weights = Weights()
    elif not isinstance(weights, Weights):
        weights = Weights(**weights)
    instance = Instance(
        name=name,
        horizon=horizon,
        skills=skill_models,
        demand=rows,
        shift_demand=list(shift_demand),
        templates=list(templates or [template()]),
        contracts=list(contracts or [contract()]),
        agents=list(agents if agents is not None else [agent()]),
        weights=weights,
    )
    if check:
        issues = list(reference_errors(instance))
        if issues:
            raise InstanceError(issues)
    return instance


def hourly(values: Mapping[int, int], interval_minutes: int = 60, days: int = 1) -> list[int]:
    """A demand row from {hour of the horizon: required}, constant within each hour."""
    per_hour = 60 // interval_minutes
    out = [0] * (days * 24 * per_hour)
    for hour, required in values.items():
        out[hour * per_hour:(hour + 1) * per_hour] = [required] * per_hour
    return out


def _after(origin: dt.datetime, hhmm: str, strictly: bool = False) -> dt.datetime:
    """The first date-time at (or strictly after) `origin` with time of day `hhmm`."""
    candidate = dt.datetime.combine(origin.date(), dt.time()) + dt.timedelta(minutes=time_of_day_minutes(hhmm))
    if candidate < origin or (strictly and candidate == origin):
        candidate += dt.timedelta(days=1)
    return candidate


def earliest_breaks(tmpl: ShiftTemplate, start: dt.datetime, length_minutes: int) -> list[BreakSlot]:
    """The template's breaks for this length, each at its earliest position in order."""
    slots: list[BreakSlot] = []
    cursor = 0
    for k, rule in enumerate(tmpl.breaks_for_length(length_minutes)):
        offset = max(rule.earliest_offset_minutes, cursor + (tmpl.min_work_between_breaks_minutes if k else 0))
        begin = start + dt.timedelta(minutes=offset)
        slots.append(BreakSlot(name=rule.name, start=begin, end=begin + dt.timedelta(minutes=rule.duration_minutes),
                               paid=rule.paid))
        cursor = offset + rule.duration_minutes
    return slots


def shift(
    agent_id: str,
    date: dt.date | int,
    start: str,
    length_minutes: int,
    tmpl: ShiftTemplate | str,
    breaks: Sequence[tuple[str, str] | tuple[str, str, int]] | None = None,
    activities: str | Sequence[tuple[str, str, str]] | None = None,
    start_date: dt.date | None = None,
    instance: Instance | None = None,
) -> Assignment:
    """An `Assignment` of template `tmpl` with end, paid minutes and break slots from the template.

    `tmpl` is a template, or a template id looked up in `instance`. `date` is a date or a day index
    from `start_date` (default: the instance's start date, else `START`). `breaks`: (name, "HH:MM"[, duration]) at the
    first such time at or after the shift start (duration and paid flag from the template's rule
    of that name; give a duration for a name the template lacks); None places every break at its
    earliest position. `activities`: (skill, "HH:MM", "HH:MM") stretches, or one skill id for the
    whole shift minus its breaks, or None for no activities. `paid_minutes` is the template's."""
    if isinstance(tmpl, str):
        if instance is None:
            raise ValueError(f"shift(..., '{tmpl}', ...) needs instance= to look the template up")
        tmpl = instance.template(tmpl)
    if start_date is None:
        start_date = instance.horizon.start_date if instance is not None else START
    begin = at(date, start, start_date)
    end = begin + dt.timedelta(minutes=length_minutes)
    if breaks is None:
        slots = earliest_breaks(tmpl, begin, length_minutes)
    else:
        rules = {r.name: r for r in tmpl.breaks}
        slots = []
        for item in breaks:
            name, hhmm = item[0], item[1]
            rule = rules.get(name)
            duration = item[2] if len(item) == 3 else rules[name].duration_minutes  # type: ignore[misc]
            b = _after(begin, hhmm)
            slots.append(BreakSlot(name=name, start=b, end=b + dt.timedelta(minutes=duration),
                                   paid=rule.paid if rule is not None else False))
    if isinstance(activities, str):
        acts = fill_activities(begin, end, slots, activities)
    else:
        acts = []
        for skill, a, b in activities or ():
            first = _after(begin, a)
            acts.append(Activity(skill=skill, start=first, end=_after(first, b, strictly=True)))
    return Assignment(
        agent_id=agent_id,
        date=begin.date(),
        start=begin,
        end=end,
        template_id=tmpl.id,
        paid_minutes=tmpl.paid_minutes(length_minutes),
        breaks=slots,
        activities=acts,
    )


def fill_activities(
    start: dt.datetime, end: dt.datetime, breaks: Sequence[BreakSlot], skill: str
) -> list[Activity]:
    """One activity of `skill` for every stretch of [start, end) between breaks."""
    out = []
    cursor = start
    for b in sorted(breaks, key=lambda b: b.start):
        if b.start > cursor:
            out.append(Activity(skill=skill, start=cursor, end=b.start))
        cursor = max(cursor, b.end)
    if cursor < end:
        out.append(Activity(skill=skill, start=cursor, end=end))
    return out


def coverage(instance: Instance, scheduled: Mapping[str, Sequence[int]]) -> list[CoverageRow]:
    """Coverage rows for every skill and interval; `scheduled` maps skill -> counts (padded with 0)."""
    origin = dt.datetime.combine(instance.horizon.start_date, dt.time())
    step = instance.horizon.interval_minutes
    rows = []
    for skill in instance.skills:
        counts = list(scheduled.get(skill.id, []))
        counts += [0] * (instance.horizon.num_intervals - len(counts))
        for t, required in enumerate(instance.required(skill.id)):
            rows.append(CoverageRow(skill=skill.id, interval_start=origin + dt.timedelta(minutes=t * step),
                                    required=required, scheduled=counts[t]))
    return rows


def result(
    instance: Instance,
    assignments: Sequence[Assignment],
    terms: Mapping[str, int] | None = None,
    objective: int | None = None,
    coverage_rows: Sequence[CoverageRow] = (),
    status: str = "feasible",
    best_bound: float | None = None,
) -> SolveResult:
    """A solve result holding a hand-written schedule (no terms, objective, bound or coverage unless given)."""
    return SolveResult(
        instance=instance.name,
        status=status,  # type: ignore[arg-type]
        objective=objective,
        best_bound=best_bound,
        terms=dict(terms or {}),
        assignments=list(assignments),
        coverage=list(coverage_rows),
    )


# --------------------------------------------------------------------------------------------
# Solving and brute force (engine tests)


def solve_and_validate(instance: Instance, **settings: Any) -> SolveResult:
    """Solve with short, deterministic defaults (5 s, one worker, seed 0; keyword overrides of
    `SolverSettings`) and check the result with the independent validator: every hard rule holds,
    the reported terms, coverage and objective equal the recomputed ones."""
    from optimizer.domain.instance import SolverSettings
    from optimizer.solve.solver import solve
    from optimizer.validate import format_report, validate

    values: dict[str, Any] = {"time_limit_s": 5.0, "workers": 1, "seed": 0, **settings}
    res = solve(instance, SolverSettings(**values))
    if res.status in ("optimal", "feasible"):
        report = validate(instance, res)
        assert report.ok, format_report(report)
        assert res.self_check is not None and res.self_check.ok  # the engine's own check agrees
        assert res.objective == report.objective == sum(res.terms.values())
    else:
        assert not res.assignments and res.objective is None
    return res


def candidate_shifts(instance: Instance, agent_id: str, day_index: int) -> list[Assignment]:
    """Every shift of every template starting on the day: each allowed start and length, each
    placement of its breaks on the interval grid with the break inside the shift, and, for a
    multi-skill agent, each choice of skill per worked interval. Whether a shift is allowed
    (weekday, contract, availability, break order, ...) is left to the validator."""
    import itertools

    agent_model = next(a for a in instance.agents if a.id == agent_id)
    step = instance.horizon.interval_minutes
    date = instance.horizon.date_of_day(day_index)
    midnight = dt.datetime.combine(date, dt.time())
    minutes = dt.timedelta(minutes=1)
    horizon_end = dt.datetime.combine(instance.horizon.start_date, dt.time()) + instance.horizon.days * 1440 * minutes
    out: list[Assignment] = []
    for tmpl in instance.templates:
        for start in tmpl.start_minutes_of_day():
            for length in tmpl.lengths_minutes:
                begin = midnight + start * minutes
                end = begin + length * minutes
                rules = tmpl.breaks_for_length(length)
                offsets = [range(r.earliest_offset_minutes, min(r.latest_offset_minutes, length - r.duration_minutes) + 1,
                                 step) for r in rules]
                for placement in itertools.product(*offsets):
                    slots = [BreakSlot(name=r.name, start=begin + o * minutes,
                                       end=begin + (o + r.duration_minutes) * minutes, paid=r.paid)
                             for r, o in zip(rules, placement, strict=True)]
                    base = Assignment(agent_id=agent_id, date=date, start=begin, end=end, template_id=tmpl.id,
                                      paid_minutes=tmpl.paid_minutes(length), breaks=slots)
                    if len(agent_model.skills) == 1:
                        out.append(base)
                        continue
                    worked = [begin + k * step * minutes for k in range(length // step)]
                    worked = [w for w in worked if not any(b.start <= w < b.end for b in slots)]
                    choices = [agent_model.skill_ids if w < horizon_end else agent_model.skill_ids[:1] for w in worked]
                    for skills in itertools.product(*choices):
                        acts = [Activity(skill=s, start=w, end=w + step * minutes)
                                for s, w in zip(skills, worked, strict=True)]
                        out.append(base.model_copy(update={"activities": acts}))
    return out


def brute_force(instance: Instance, max_schedules: int = 20_000) -> tuple[int | None, list[list[Assignment]]]:
    """The optimum by enumeration: (best objective, every optimal schedule), or (None, []) when no
    schedule satisfies the hard rules. Hard rules and objective come from the independent
    validator; the engine is not used. Each agent's own schedules are enumerated and checked
    alone (every hard rule concerns one agent), then all combinations are priced."""
    import itertools

    from optimizer.validate.coverage import scheduled_per_skill
    from optimizer.validate.objective import recompute_terms
    from optimizer.validate.rules import check_hard_rules

    per_agent: list[list[list[Assignment]]] = []
    for agent_model in instance.agents:
        alone = instance.model_copy(update={"agents": [agent_model]})
        days = [[None, *candidate_shifts(instance, agent_model.id, d)] for d in range(instance.horizon.days)]
        feasible = []
        for combo in itertools.product(*days):
            shifts = [s for s in combo if s is not None]
            if not check_hard_rules(alone, shifts):
                feasible.append(shifts)
        per_agent.append(feasible)
    total = 1
    for schedules in per_agent:
        total *= len(schedules)
    assert total <= max_schedules, f"{total} schedules: too many to enumerate"
    best: int | None = None
    optimal: list[list[Assignment]] = []
    for combo in itertools.product(*per_agent):
        shifts = [s for schedule in combo for s in schedule]
        value = sum(recompute_terms(instance, shifts, scheduled_per_skill(instance, shifts)).values())
        if best is None or value < best:
            best, optimal = value, [shifts]
        elif value == best:
            optimal.append(shifts)
    return best, optimal


def report_objective_one_too_high(monkeypatch: Any) -> None:
    """Make `solve` report an objective one too high, as an engine defect would: its result then
    fails the engine's own check by the validator (`self_check`)."""
    from optimizer.solve import solver

    real = solver.attach_service_level

    def one_too_high(instance: Instance, res: SolveResult) -> SolveResult:
        res = real(instance, res)
        res.objective = None if res.objective is None else res.objective + 1
        return res

    monkeypatch.setattr(solver, "attach_service_level", one_too_high)
