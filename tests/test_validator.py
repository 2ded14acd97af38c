"""The independent validator: hand-made schedules, valid and broken, with hand-computed numbers."""

from __future__ import annotations

import ast
import datetime as dt
import sys
from pathlib import Path

import pytest
from factories import (
    START,
    agent,
    at,
    break_rule,
    contract,
    coverage,
    day,
    hourly,
    result,
    shift,
    template,
    tiny_instance,
    window,
)

from optimizer.domain.instance import (
    DayOffPreference,
    Instance,
    Lock,
    Preferences,
    ShiftDemand,
    ShiftRequest,
    StartWindowPreference,
)
from optimizer.domain.schedule import OBJECTIVE_TERMS, Assignment, Kpis, Violation
from optimizer.validate import ValidationReport, format_report, unusable_row, validate
from optimizer.validate.coverage import scheduled_per_skill

VALIDATE_DIR = Path(__file__).resolve().parent.parent / "optimizer" / "validate"

ANY = template("any", earliest_start="00:00", latest_start="23:00", lengths_minutes=(480, 600), breaks=[])
"""Any whole hour, 8 or 10 hours, no breaks: for rules about shift placement."""


def check(instance: Instance, shifts: list[Assignment], violations: list[Violation] | None = None,
          kpis: Kpis | None = None, **fields: object) -> ValidationReport:
    """Validate a hand-made result; `violations` and `kpis`, when given, are set as the result's own."""
    made = result(instance, shifts, **fields)  # type: ignore[arg-type]
    if violations is not None:
        made.violations = violations
    if kpis is not None:
        made.kpis = kpis
    return validate(instance, made)


def hard_rules(report: ValidationReport) -> set[str]:
    return {v.rule for v in report.hard}


def day_shift(agent_id: str = "a1", date: int | dt.date = 0, start: str = "09:00", lunch: str = "12:00",
              **kwargs: object) -> Assignment:
    """The default template's 8-hour shift with its lunch."""
    return shift(agent_id, date, start, 480, template(), breaks=[("lunch", lunch)], **kwargs)  # type: ignore[arg-type]


def any_shift(date: int | dt.date, start: str, length: int = 480, agent_id: str = "a1") -> Assignment:
    return shift(agent_id, date, start, length, ANY)


# --------------------------------------------------------------------------------------------
# A valid schedule, every term computed by hand


def priced_instance() -> Instance:
    """One Monday, 60-minute intervals, three agents on one contract, every term switched on."""
    return tiny_instance(
        templates=[template(cost_per_shift=5)],
        contracts=[contract(min_working_days=1, soft={"min_working_days": 25})],
        agents=[
            agent("a1", cost_per_hour=20, preferences=Preferences(
                start_window=StartWindowPreference(earliest="10:00", latest="11:00", weight=3),
                shift_requests=[ShiftRequest(date=START, template="day", on=True, weight=7)])),
            agent("a2", cost_per_hour=30, preferences=Preferences(
                shift_requests=[ShiftRequest(date=START, on=False, weight=5)])),
            agent("a3", cost_per_hour=10),
        ],
        demand={"voice": hourly({9: 2, 10: 2, 11: 2, 12: 4, 13: 2, 14: 2, 15: 1, 16: 2})},
        shift_demand=[ShiftDemand(date=START, template="day", required=3, under_weight=40, over_weight=1)],
        weights={"under_staffing": [100, 150], "over_staffing": 10, "labor_cost": 0.5, "preferences": 2,
                 "fairness": 1, "shift_patterns": 50},
    )


def priced_shifts() -> list[Assignment]:
    tmpl = template(cost_per_shift=5)
    return [shift("a1", 0, "09:00", 480, tmpl, breaks=[("lunch", "12:00")]),
            shift("a2", 0, "09:00", 480, tmpl, breaks=[("lunch", "13:00")])]


PRICED_TERMS = {
    # h12: 4 required, 1 scheduled -> 100 + 150 + 150 (last weight repeats); h13: 2 vs 1 -> 100
    "under_staffing": 500,
    # h15: 1 required, 2 scheduled -> 10
    "over_staffing": 10,
    # paid 480 - 60 = 420; a1 0.5 * (420 * 20 / 60 + 5) = 72.5 -> 72, a2 0.5 * (210 + 5) = 107.5 -> 108
    "labor_cost": 180,
    # 2 * (a1 starts 09:00 outside 10:00-11:00: 3 + a2 asked for no shift: 5); a1's request is met
    "preferences": 16,
    # contract ft: paid 420, 420, 0 -> spread 420
    "fairness": 420,
    # one pattern (day, 09:00, 480) * 50
    "shift_patterns": 50,
    # 2 day shifts of 3 wanted -> 40
    "shift_demand": 40,
    # a3 works 0 days of the (soft) 1 -> 25
    "contract_soft": 25,
    # no published roster (baseline) -> 0
    "changes": 0,
}
PRICED_COVERAGE = hourly({9: 2, 10: 2, 11: 2, 12: 1, 13: 1, 14: 2, 15: 2, 16: 2})


def test_validate_hand_made_schedule_recomputes_every_term() -> None:
    """Tests that a valid hand-made schedule passes with every term recomputed exactly as by hand."""
    inst = priced_instance()
    shifts = priced_shifts()
    objective = sum(PRICED_TERMS.values())
    assert objective == 1241
    report = check(inst, shifts, terms=PRICED_TERMS, objective=objective,
                   coverage_rows=coverage(inst, {"voice": PRICED_COVERAGE}))
    assert report.hard == []
    assert report.mismatches == []
    assert report.ok
    assert report.terms == PRICED_TERMS
    assert list(report.terms) == list(OBJECTIVE_TERMS)
    assert report.objective == 1241


def test_validate_soft_violations_add_up_to_their_terms() -> None:
    """Tests that the listed soft violations carry penalties summing to their objective terms."""
    report = check(priced_instance(), priced_shifts())
    by_rule: dict[str, int] = {}
    for v in report.soft:
        by_rule[v.rule] = by_rule.get(v.rule, 0) + v.penalty
    assert by_rule == {"preferred start window": 6, "shift request": 10, "shift demand": 40,
                       "minimum working days": 25}
    assert report.ok  # soft violations and unreported terms do not fail a schedule


def test_coverage_multi_skill_agent_serves_its_activity_skill() -> None:
    """Tests that a multi-skill agent counts for the skill of the activity covering each interval."""
    inst = tiny_instance(agents=[agent("m1", skills=("voice", "chat"))], skills=["voice", "chat"])
    s = day_shift("m1", activities=[("voice", "09:00", "12:00"), ("chat", "13:00", "17:00")])
    counts = scheduled_per_skill(inst, [s])
    assert counts["voice"] == hourly({9: 1, 10: 1, 11: 1})
    assert counts["chat"] == hourly({13: 1, 14: 1, 15: 1, 16: 1})
    assert check(inst, [s]).ok


def test_coverage_ignores_time_after_the_horizon() -> None:
    """Tests that a shift crossing the horizon end counts only inside the horizon and is paid in full."""
    inst = tiny_instance(templates=[ANY], agents=[agent(cost_per_hour=60)])
    report = check(inst, [any_shift(0, "20:00")])
    assert report.ok
    assert scheduled_per_skill(inst, [any_shift(0, "20:00")])["voice"] == hourly({20: 1, 21: 1, 22: 1, 23: 1})
    assert report.terms["labor_cost"] == 480
    assert report.terms["over_staffing"] == 4 * 10


def test_validate_infeasible_without_schedule_is_ok() -> None:
    """Tests that an infeasible result with no assignments and no objective is reported ok, unchecked."""
    inst = tiny_instance(contracts=[contract(min_working_days=1)])
    report = validate(inst, result(inst, [], status="infeasible"))
    assert report.ok and report.hard == [] and report.terms == {}
    assert report.without_schedule == "infeasible"
    assert format_report(report).startswith("NOTHING TO CHECK: the result is infeasible, without a schedule")
    assert validate(inst, result(inst, [], status="optimal")).without_schedule is None


def test_validate_aware_datetimes_are_read_as_local_time() -> None:
    """Tests that UTC datetimes in a schedule are converted to the horizon's time zone."""
    inst = tiny_instance(timezone="Europe/Paris", demand={"voice": hourly({9: 1})})
    local = day_shift()
    utc = dt.UTC
    aware = local.model_copy(update={
        "start": dt.datetime(2026, 1, 5, 8, 0, tzinfo=utc),
        "end": dt.datetime(2026, 1, 5, 16, 0, tzinfo=utc),
        "breaks": [b.model_copy(update={"start": dt.datetime(2026, 1, 5, 11, 0, tzinfo=utc),
                                        "end": dt.datetime(2026, 1, 5, 12, 0, tzinfo=utc)}) for b in local.breaks],
    })
    report = check(inst, [aware])
    assert report.ok, report.hard
    assert report.terms == check(inst, [local]).terms


# --------------------------------------------------------------------------------------------
# Mismatches


def test_coverage_wrong_count_reported_is_a_mismatch() -> None:
    """Tests that a coverage row with a wrong scheduled count is reported, and the right rows pass."""
    inst = priced_instance()
    rows = coverage(inst, {"voice": PRICED_COVERAGE})
    assert check(inst, priced_shifts(), coverage_rows=rows).ok
    rows[9] = rows[9].model_copy(update={"scheduled": 3})
    report = check(inst, priced_shifts(), coverage_rows=rows)
    assert not report.ok
    assert report.mismatches == ["coverage voice 2026-01-05T09:00: schedule reports 3, recomputed 2"]


def test_coverage_missing_and_extra_rows_are_mismatches() -> None:
    """Tests that a missing coverage row and a row outside the horizon are both reported."""
    inst = priced_instance()
    rows = coverage(inst, {"voice": PRICED_COVERAGE})
    extra = rows[0].model_copy(update={"interval_start": dt.datetime(2026, 1, 6, 0, 0)})
    report = check(inst, priced_shifts(), coverage_rows=[*rows[1:], extra])
    assert any("missing from the schedule" in m for m in report.mismatches)
    assert any("coverage voice 2026-01-06T00:00: not a skill and interval" in m for m in report.mismatches)


def test_objective_wrong_reported_is_a_mismatch() -> None:
    """Tests that a wrong reported objective is a mismatch, and the right one is not."""
    inst = priced_instance()
    assert check(inst, priced_shifts(), objective=1241).ok
    report = check(inst, priced_shifts(), objective=1240)
    assert not report.ok
    assert report.mismatches == ["objective: schedule reports 1240, recomputed 1241"]


def test_bound_above_the_objective_is_a_mismatch() -> None:
    """Tests that a lower bound above the recomputed objective is a mismatch (no schedule costs less
    than a true lower bound), and a bound at or below it is not."""
    inst = priced_instance()
    assert check(inst, priced_shifts(), objective=1241, best_bound=1241.0).ok
    assert check(inst, priced_shifts(), objective=1241, best_bound=900.5).ok
    report = check(inst, priced_shifts(), objective=1241, best_bound=1250.0)
    assert report.mismatches == ["best_bound: schedule reports a lower bound of 1250, above its recomputed "
                                 "objective 1241"]


def test_violations_listed_must_add_up_to_the_soft_penalties_per_agent() -> None:
    """Tests that the result's violations[] are checked when given: per agent (and for shift demand)
    their penalties must add up to the recomputed soft violations, whatever the rule names."""
    inst = priced_instance()
    listed = [Violation(rule="preferences", agent_id="a1", message="", penalty=6),
              Violation(rule="preferences", agent_id="a2", message="", penalty=10),
              Violation(rule="shift_demand", message="", penalty=40),
              Violation(rule="min_working_days", agent_id="a3", message="", penalty=25)]
    assert check(inst, priced_shifts(), violations=listed).ok
    assert check(inst, priced_shifts()).ok  # not given: nothing to compare
    listed[1] = listed[1].model_copy(update={"penalty": 9})
    report = check(inst, priced_shifts(), violations=listed[:3])
    assert report.mismatches == ["violations of agent a2: schedule lists penalties of 9, recomputed 10",
                                 "violations of agent a3: schedule lists penalties of 0, recomputed 25"]
    assert check(inst, priced_shifts(), violations=[]).mismatches[0] == (
        "violations of shift demand (no agent): schedule lists penalties of 0, recomputed 40")


def test_kpis_reported_are_compared_when_given() -> None:
    """Tests that the result's KPIs are recomputed and compared when the field is given: counts
    exactly, hours, percentages and money to the cent."""
    inst = priced_instance()
    kpis = Kpis(required_agent_hours=17, under_staffed_agent_hours=4, over_staffed_agent_hours=1,
                coverage_pct=76.47, paid_hours=14, labor_cost=360, shifts=2, preferences_total=3,
                preferences_honored=1, hours_per_agent_min=0, hours_per_agent_max=7, hours_per_agent_spread=7)
    assert check(inst, priced_shifts()).ok  # not given: nothing to compare
    assert check(inst, priced_shifts(), kpis=kpis).ok
    assert check(inst, priced_shifts(), kpis=kpis.model_copy(update={"labor_cost": 360.01})).ok
    wrong = kpis.model_copy(update={"coverage_pct": 100.0, "shifts": 3})
    assert check(inst, priced_shifts(), kpis=wrong).mismatches == [
        "kpis.coverage_pct: schedule reports 100, recomputed 76.47", "kpis.shifts: schedule reports 3, recomputed 2"]


def test_gap_that_does_not_follow_from_objective_and_bound_is_a_mismatch() -> None:
    """Tests that the reported gap must be (objective - best_bound) / objective (0 at a zero
    objective that the bound reaches), and that a gap without a bound is a mismatch too."""
    inst = priced_instance()
    base = result(inst, priced_shifts(), objective=1241, best_bound=993.0)
    assert validate(inst, base.model_copy(update={"gap": 0.199839})).ok  # (1241 - 993) / 1241, rounded
    assert validate(inst, base).ok  # no gap given: nothing to compare
    report = validate(inst, base.model_copy(update={"gap": 0.05}))
    assert report.mismatches == ["gap: schedule reports 0.05, recomputed 0.199839 from objective 1241 and "
                                 "best_bound 993"]
    unbounded = base.model_copy(update={"best_bound": None, "gap": 0.0})
    assert validate(inst, unbounded).mismatches == ["gap: schedule reports 0, but gives no best_bound"]


def test_objective_wrong_term_reported_names_the_term() -> None:
    """Tests that a wrong reported term is named in the mismatch, and missing names count as 0."""
    inst = priced_instance()
    terms = {**PRICED_TERMS, "labor_cost": 181}
    del terms["fairness"]
    report = check(inst, priced_shifts(), terms=terms)
    assert report.mismatches == ["term labor_cost: schedule reports 181, recomputed 180",
                                 "term fairness: schedule reports 0, recomputed 420"]


def test_paid_minutes_reported_wrong_is_hard_and_cost_uses_recomputed() -> None:
    """Tests that a wrong reported paid_minutes is a hard violation and labor cost ignores it."""
    inst = tiny_instance(agents=[agent(cost_per_hour=60)])
    s = day_shift()
    assert check(inst, [s]).terms["labor_cost"] == 420
    report = check(inst, [s.model_copy(update={"paid_minutes": 480})])
    assert "paid minutes reported" in hard_rules(report)
    assert report.terms["labor_cost"] == 420


def test_unusable_row_tries_the_rows_near_the_year_9999_first() -> None:
    """Tests that the row whose date-times overflow is named without checking every row before it
    against the whole instance (minutes for a few thousand rows), and that a valid schedule has none."""
    inst = tiny_instance(days=2, templates=[ANY])
    rows = [any_shift(0, "09:00", agent_id="a1") for _ in range(300)]
    last = dt.datetime(9999, 12, 31, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))  # 01:00 UTC in 10000
    rows.append(rows[0].model_copy(update={"date": last.date(), "start": last, "end": last + dt.timedelta(hours=3)}))
    checked: list[int] = []
    assert unusable_row(inst, result(inst, rows), also=lambda _inst, alone: checked.append(1)) == "assignments[300]"
    assert checked == []  # the first row tried is the one that fails
    assert unusable_row(inst, result(inst, rows[:2])) == ""


# --------------------------------------------------------------------------------------------
# Hard rules: shifts


def test_no_overlapping_shifts_overlap_is_rejected() -> None:
    """Tests that two shifts of one agent that overlap across midnight are rejected."""
    inst = tiny_instance(days=2, templates=[ANY])
    report = check(inst, [any_shift(0, "20:00", 600), any_shift(1, "05:00")])
    assert "no overlapping shifts" in hard_rules(report)
    assert check(inst, [any_shift(0, "20:00", 600), any_shift(1, "06:00")]).ok


def test_min_rest_between_shifts_nine_hours_is_rejected() -> None:
    """Tests that a 9 h rest violates a 10 h minimum rest, and 10 h passes."""
    inst = tiny_instance(days=2, templates=[ANY], contracts=[contract(min_rest_minutes=600)])
    report = check(inst, [any_shift(0, "09:00"), any_shift(1, "02:00")])
    assert hard_rules(report) == {"minimum rest between shifts"}
    assert report.hard[0].message == ("a1 rests 9h00 between 2026-01-05 17:00 and 2026-01-06 02:00; "
                                      "contract ft requires 10h00")
    assert check(inst, [any_shift(0, "09:00"), any_shift(1, "03:00")]).ok


def test_allowed_start_time_off_the_template_grid_is_rejected() -> None:
    """Tests that a start between two allowed starts of the template is rejected."""
    inst = tiny_instance(interval_minutes=15)
    report = check(inst, [shift("a1", 0, "08:30", 480, template())])
    assert "allowed start time" in hard_rules(report)
    assert check(inst, [shift("a1", 0, "09:00", 480, template())]).ok


def test_allowed_start_time_after_latest_start_is_rejected() -> None:
    """Tests that a start after the template's latest start is rejected."""
    inst = tiny_instance()
    assert "allowed start time" in hard_rules(check(inst, [day_shift(start="11:00", lunch="14:00")]))


def test_allowed_shift_length_other_length_is_rejected() -> None:
    """Tests that a shift length the template does not list is rejected."""
    inst = tiny_instance()
    report = check(inst, [shift("a1", 0, "09:00", 420, template())])
    assert "allowed shift length" in hard_rules(report)


def test_template_allowed_on_the_day_weekend_template_on_monday_is_rejected() -> None:
    """Tests that a template restricted to weekends cannot start on a Monday."""
    weekend = template("we", days=["sat", "sun"])
    inst = tiny_instance(templates=[weekend], days=6)
    assert "template allowed on the day" in hard_rules(check(inst, [shift("a1", 0, "09:00", 480, weekend)]))
    assert check(inst, [shift("a1", 5, "09:00", 480, weekend)]).ok


def test_template_allowed_by_contract_other_template_is_rejected() -> None:
    """Tests that a template outside the contract's allowed templates is rejected."""
    inst = tiny_instance(templates=[template(), ANY], contracts=[contract(allowed_templates=["day"])])
    assert "template allowed by the contract" in hard_rules(check(inst, [any_shift(0, "09:00")]))
    assert check(inst, [day_shift()]).ok


def test_known_agents_and_templates_unknown_ids_are_rejected() -> None:
    """Tests that shifts of an unknown agent or template are rejected."""
    inst = tiny_instance()
    stranger = day_shift("zz")
    odd = day_shift().model_copy(update={"template_id": "night"})
    report = check(inst, [stranger, odd])
    assert [v.rule for v in report.hard] == ["known agents and templates"] * 2


def test_shift_date_other_than_the_start_date_is_rejected() -> None:
    """Tests that a shift dated another day than its start, or outside the horizon, is rejected."""
    inst = tiny_instance(days=2)
    assert "shift date in the horizon" in hard_rules(check(inst, [day_shift().model_copy(update={"date": day(1)})]))
    assert "shift date in the horizon" in hard_rules(check(inst, [day_shift(date=2)]))


def test_one_shift_per_day_two_shifts_same_date_are_rejected() -> None:
    """Tests that two shifts starting on the same date are rejected even when they do not overlap."""
    inst = tiny_instance(templates=[ANY])
    report = check(inst, [any_shift(0, "00:00"), any_shift(0, "12:00")])
    assert hard_rules(report) == {"one shift per day"}


# --------------------------------------------------------------------------------------------
# Hard rules: breaks and activities


def test_break_window_break_before_its_window_is_rejected() -> None:
    """Tests that a lunch starting before its earliest offset is rejected, and inside it passes."""
    inst = tiny_instance()
    report = check(inst, [day_shift(lunch="09:00")])
    assert "break window" in hard_rules(report)
    assert check(inst, [day_shift(lunch="12:00")]).ok
    assert check(inst, [day_shift(lunch="14:00")]).ok


def test_break_window_break_off_the_interval_grid_is_rejected() -> None:
    """Tests that a break starting between two interval boundaries is rejected."""
    inst = tiny_instance(interval_minutes=15)
    assert "break window" in hard_rules(check(inst, [day_shift(lunch="12:10")]))
    assert check(inst, [day_shift(lunch="12:15")]).ok


def test_break_inside_the_shift_break_past_the_end_is_rejected() -> None:
    """Tests that a break ending after the shift end is rejected."""
    late = template(breaks=[break_rule(latest_offset_minutes=480)])
    inst = tiny_instance(templates=[late])
    report = check(inst, [shift("a1", 0, "09:00", 480, late, breaks=[("lunch", "17:00")])])
    assert "break inside the shift" in hard_rules(report)


def test_required_breaks_missing_and_unknown_break_are_rejected() -> None:
    """Tests that a missing lunch and a break the template does not define are rejected."""
    inst = tiny_instance()
    report = check(inst, [shift("a1", 0, "09:00", 480, template(), breaks=[("nap", "12:00", 60)])])
    messages = [v.message for v in report.hard if v.rule == "required breaks"]
    assert len(messages) == 2
    assert "no break 'lunch'" in messages[0] and "'nap'" in messages[1]


def test_break_length_and_paid_flag_must_follow_the_rule() -> None:
    """Tests that a break of the wrong length or paid flag is rejected."""
    inst = tiny_instance()
    s = day_shift()
    short = s.model_copy(update={"breaks": [s.breaks[0].model_copy(update={"end": at(0, "12:30")})]})
    paid = s.model_copy(update={"breaks": [s.breaks[0].model_copy(update={"paid": True})]})
    assert "break length" in hard_rules(check(inst, [short]))
    assert "break paid as its rule says" in hard_rules(check(inst, [paid]))


TWO_BREAKS = template(
    breaks=[break_rule("coffee", 15, 60, 240), break_rule("lunch", 60, 180, 360)],
    min_work_between_breaks_minutes=60,
)


def test_work_between_breaks_too_little_is_rejected() -> None:
    """Tests that 15 minutes of work between two breaks violates a 60-minute minimum."""
    inst = tiny_instance(interval_minutes=15, templates=[TWO_BREAKS])
    bad = shift("a1", 0, "09:00", 480, TWO_BREAKS, breaks=[("coffee", "11:30"), ("lunch", "12:00")])
    good = shift("a1", 0, "09:00", 480, TWO_BREAKS, breaks=[("coffee", "10:00"), ("lunch", "12:00")])
    assert hard_rules(check(inst, [bad])) == {"work between breaks"}
    assert check(inst, [good]).ok


def test_break_order_later_rule_first_is_rejected() -> None:
    """Tests that breaks placed in another order than the template lists them are rejected."""
    inst = tiny_instance(interval_minutes=15, templates=[TWO_BREAKS])
    bad = shift("a1", 0, "09:00", 480, TWO_BREAKS, breaks=[("coffee", "13:00"), ("lunch", "12:00")])
    assert "break order" in hard_rules(check(inst, [bad]))


MULTI = {"agents": [agent("m1", skills=("voice", "chat"))], "skills": ["voice", "chat"]}


def test_activities_cover_the_shift_gap_is_rejected() -> None:
    """Tests that a multi-skill agent's activities leaving an hour uncovered are rejected."""
    inst = tiny_instance(**MULTI)  # type: ignore[arg-type]
    gap = day_shift("m1", activities=[("voice", "09:00", "12:00"), ("chat", "13:00", "16:00")])
    report = check(inst, [gap])
    assert hard_rules(report) == {"activities cover the shift"}
    assert "no activity from 16:00 to 17:00" in report.hard[0].message
    assert check(inst, [day_shift("m1", activities=[("voice", "09:00", "12:00"), ("chat", "13:00", "17:00")])]).ok


def test_activities_cover_the_shift_missing_or_over_a_break_is_rejected() -> None:
    """Tests that a multi-skill shift without activities, or with one over the lunch, is rejected."""
    inst = tiny_instance(**MULTI)  # type: ignore[arg-type]
    assert "activities cover the shift" in hard_rules(check(inst, [day_shift("m1")]))
    over = day_shift("m1", activities=[("voice", "09:00", "13:00"), ("chat", "13:00", "17:00")])
    report = check(inst, [over])
    assert "activities cover the shift" in hard_rules(report)
    assert any("overlaps" in v.message for v in report.hard)


def test_activity_skill_not_of_the_agent_is_rejected() -> None:
    """Tests that an activity of a skill the agent lacks is rejected and counts for nothing."""
    inst = tiny_instance(agents=[agent("m1", skills=("voice", "chat"))], skills=["voice", "chat", "email"])
    s = day_shift("m1", activities=[("voice", "09:00", "12:00"), ("email", "13:00", "17:00")])
    assert hard_rules(check(inst, [s])) == {"activity skill"}
    assert sum(scheduled_per_skill(inst, [s])["email"]) == 0


def test_shift_factory_template_by_id_matches_template_object() -> None:
    """Tests that the shift builder gives the same assignment from a template id and an instance."""
    inst = tiny_instance(days=2, start_date=SUNDAY)
    assert shift("a1", 1, "09:00", 480, "day", instance=inst) == day_shift(date=SUNDAY + dt.timedelta(days=1))


def test_activities_single_skill_agent_may_omit_them() -> None:
    """Tests that a single-skill agent passes without activities and with complete ones."""
    inst = tiny_instance()
    assert check(inst, [day_shift()]).ok
    assert check(inst, [day_shift(activities="voice")]).ok
    assert "activities cover the shift" in hard_rules(check(inst, [day_shift(activities=[("voice", "09:00", "12:00")])]))


# --------------------------------------------------------------------------------------------
# Hard rules: availability, time off, locks


def test_availability_shift_outside_window_is_rejected() -> None:
    """Tests that a shift starting before the agent's availability window is rejected."""
    inst = tiny_instance(agents=[agent(availability=[window(at(0, "10:00"), at(0, "20:00"))])])
    assert hard_rules(check(inst, [day_shift()])) == {"availability"}
    assert check(inst, [day_shift(start="10:00", lunch="13:00")]).ok


def test_availability_empty_list_allows_no_shift() -> None:
    """Tests that an empty availability list means the agent is available nowhere."""
    inst = tiny_instance(agents=[agent(availability=[])])
    assert hard_rules(check(inst, [day_shift()])) == {"availability"}
    assert check(inst, []).ok


def test_time_off_overlap_is_rejected() -> None:
    """Tests that a shift overlapping time off is rejected, and time off from its end passes."""
    during = tiny_instance(agents=[agent(time_off=[window(at(0, "12:00"), at(0, "14:00"))])])
    after = tiny_instance(agents=[agent(time_off=[window(at(0, "17:00"), at(1, "00:00"))])])
    assert hard_rules(check(during, [day_shift()])) == {"time off"}
    assert check(after, [day_shift()]).ok


def test_locked_day_off_with_a_shift_is_rejected() -> None:
    """Tests that a shift on a date locked off is rejected."""
    inst = tiny_instance(days=2, agents=[agent(locks=[Lock(date=START, off=True)])])
    assert hard_rules(check(inst, [day_shift()])) == {"locked day off"}
    assert check(inst, [day_shift(date=1)]).ok


def test_locked_shift_other_start_or_no_shift_is_rejected() -> None:
    """Tests that a locked shift must be worked with the locked template, start and length."""
    inst = tiny_instance(agents=[agent(locks=[Lock(date=START, template="day", start="09:00", length_minutes=480)])])
    assert hard_rules(check(inst, [day_shift(start="08:00", lunch="11:00")])) == {"locked shift"}
    assert hard_rules(check(inst, [])) == {"locked shift"}
    assert check(inst, [day_shift()]).ok


# --------------------------------------------------------------------------------------------
# Hard rules: contract


def test_max_consecutive_working_days_three_of_two_is_rejected() -> None:
    """Tests that three consecutive working days break a maximum of two, and a day off between passes."""
    inst = tiny_instance(days=3, contracts=[contract(max_consecutive_working_days=2)])
    report = check(inst, [day_shift(date=d) for d in range(3)])
    assert hard_rules(report) == {"maximum consecutive working days"}
    assert check(inst, [day_shift(date=0), day_shift(date=2)]).ok


def test_min_consecutive_days_off_single_day_off_is_rejected() -> None:
    """Tests that one day off between two working days breaks a minimum of two; edge runs are exempt."""
    inst = tiny_instance(days=3, contracts=[contract(min_consecutive_days_off=2)])
    assert hard_rules(check(inst, [day_shift(date=0), day_shift(date=2)])) == {"minimum consecutive days off"}
    assert check(inst, [day_shift(date=0), day_shift(date=1)]).ok
    assert check(inst, [day_shift(date=1)]).ok


SUNDAY = dt.date(2026, 1, 11)


def test_max_working_weekends_lone_days_at_the_edges_count() -> None:
    """Tests that a lone Sunday at the start and a lone Saturday at the end are two weekends."""
    inst = tiny_instance(days=7, start_date=SUNDAY, contracts=[contract(max_working_weekends=1)])
    sat = SUNDAY + dt.timedelta(days=6)
    report = check(inst, [day_shift(date=SUNDAY), day_shift(date=sat)])
    assert hard_rules(report) == {"maximum working weekends"}
    assert check(inst, [day_shift(date=SUNDAY), day_shift(date=SUNDAY + dt.timedelta(days=1))]).ok


def test_max_working_weekends_saturday_and_sunday_are_one_weekend() -> None:
    """Tests that working a Saturday and the Sunday after it is one weekend."""
    sat = dt.date(2026, 1, 10)
    inst = tiny_instance(days=2, start_date=sat, contracts=[contract(max_working_weekends=1)])
    assert check(inst, [day_shift(date=sat), day_shift(date=sat + dt.timedelta(days=1))]).ok
    zero = tiny_instance(days=2, start_date=sat, contracts=[contract(max_working_weekends=0)])
    assert hard_rules(check(zero, [day_shift(date=sat + dt.timedelta(days=1))])) == {"maximum working weekends"}


def test_max_shifts_per_template_exceeded_is_rejected() -> None:
    """Tests that more shifts of a template than the contract allows are rejected."""
    inst = tiny_instance(days=2, contracts=[contract(max_shifts_per_template={"day": 1})])
    assert hard_rules(check(inst, [day_shift(date=0), day_shift(date=1)])) == {"maximum shifts per template"}
    assert check(inst, [day_shift(date=0)]).ok


def test_forbidden_succession_late_then_early_is_rejected() -> None:
    """Tests that template b the day after template a is rejected when (a, b) is forbidden."""
    late = template("late", earliest_start="14:00", latest_start="14:00", breaks=[])
    early = template("early", earliest_start="06:00", latest_start="06:00", breaks=[])
    inst = tiny_instance(days=2, templates=[late, early], contracts=[contract(forbidden_successions=[("late", "early")])])
    bad = [shift("a1", 0, "14:00", 480, late), shift("a1", 1, "06:00", 480, early)]
    good = [shift("a1", 0, "06:00", 480, early), shift("a1", 1, "14:00", 480, late)]
    assert hard_rules(check(inst, bad)) == {"forbidden succession"}
    assert check(inst, good).ok


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"min_paid_minutes": 480}, "minimum paid minutes"),
        ({"max_paid_minutes": 400}, "maximum paid minutes"),
        ({"min_working_days": 2}, "minimum working days"),
        ({"max_working_days": 0}, "maximum working days"),
        ({"max_start_variation_minutes": 0}, "maximum start variation"),
    ],
)
def test_contract_limits_hard_breach_is_rejected(fields: dict[str, int], rule: str) -> None:
    """Tests that each hard contract limit broken by two 8-hour shifts (paid 840) is rejected."""
    inst = tiny_instance(days=3, contracts=[contract(**fields)])
    report = check(inst, [day_shift(date=0, start="08:00", lunch="11:00"), day_shift(date=2)])
    if rule in ("minimum working days", "minimum paid minutes"):
        report = check(inst, [day_shift(date=0)])
    assert hard_rules(report) == {rule}
    assert report.soft == []


@pytest.mark.parametrize(
    ("soft", "fields", "penalty"),
    [
        ({"min_paid_minutes": 3}, {"min_paid_minutes": 900}, 3 * 60),  # paid 840
        ({"max_paid_minutes": 2}, {"max_paid_minutes": 800}, 2 * 40),
        ({"min_working_days": 11}, {"min_working_days": 3}, 11 * 1),
        ({"max_working_days": 7}, {"max_working_days": 1}, 7 * 1),
        ({"max_working_weekends": 5}, {"max_working_weekends": 0}, 0),  # Mon and Wed: no weekend
        ({"max_start_variation_minutes": 2}, {"max_start_variation_minutes": 30}, 2 * 30),  # 08:00 and 09:00
    ],
)
def test_contract_soft_rules_cost_weight_per_unit(soft: dict[str, int], fields: dict[str, int], penalty: int) -> None:
    """Tests that each soft contract rule costs its weight per minute, day or weekend beyond its bound."""
    inst = tiny_instance(days=3, contracts=[contract(soft=soft, **fields)])
    report = check(inst, [day_shift(date=0, start="08:00", lunch="11:00"), day_shift(date=2)])
    assert report.hard == []
    assert report.terms["contract_soft"] == penalty
    assert sum(v.penalty for v in report.soft) == penalty


def test_contract_soft_working_weekends_cost_per_weekend() -> None:
    """Tests that a soft weekend limit costs its weight per weekend worked beyond it."""
    inst = tiny_instance(days=7, start_date=SUNDAY,
                         contracts=[contract(max_working_weekends=0, soft={"max_working_weekends": 9})])
    report = check(inst, [day_shift(date=SUNDAY), day_shift(date=SUNDAY + dt.timedelta(days=6))])
    assert report.hard == []
    assert report.terms["contract_soft"] == 18


# --------------------------------------------------------------------------------------------
# Preferences and the report


def test_preferences_days_off_and_requests_of_a_template() -> None:
    """Tests that a worked preferred day off and unmet template requests cost their weights."""
    prefs = Preferences(
        days_off=[DayOffPreference(date=day(0), weight=4)],
        shift_requests=[ShiftRequest(date=day(1), template="any", weight=3),
                        ShiftRequest(date=day(1), template="day", on=False, weight=100)],
    )
    inst = tiny_instance(days=2, templates=[template(), ANY], agents=[agent(preferences=prefs)],
                         weights={"preferences": 10})
    report = check(inst, [day_shift(date=0), day_shift(date=1)])
    assert report.terms["preferences"] == 10 * (4 + 3 + 100)
    honored = check(inst, [any_shift(1, "09:00")])
    assert honored.terms["preferences"] == 0


def test_format_report_lists_violations_mismatches_and_terms() -> None:
    """Tests that the text report shows the verdict, each section and the objective."""
    inst = tiny_instance(days=2, templates=[ANY], contracts=[contract(min_rest_minutes=600, max_working_days=1,
                                                                      soft={"max_working_days": 5})])
    report = check(inst, [any_shift(0, "09:00"), any_shift(1, "02:00")], objective=1)
    text = format_report(report)
    assert text.startswith("INVALID: 1 hard violation(s), 1 mismatch(es)")
    assert "[minimum rest between shifts] a1 rests 9h00" in text
    assert "objective: schedule reports 1" in text
    assert "maximum working days" in text
    assert text.splitlines()[-1].split() == ["objective", str(report.objective)]
    assert format_report(check(inst, [any_shift(0, "09:00")])).startswith("VALID")


# --------------------------------------------------------------------------------------------
# Independence


def test_validate_imports_only_domain_and_standard_library() -> None:
    """Tests that optimizer/validate imports no ortools, numpy, model, solve or timegrid code."""
    allowed_third_party = {"pydantic"}
    for path in sorted(VALIDATE_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path.name}: relative import"
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top == "optimizer":
                    # optimizer.requirements: data derivation only (forecast -> Erlang numbers), in
                    # service_level.py, as its docstring says.
                    allowed = ("optimizer.domain", "optimizer.validate") + (
                        ("optimizer.requirements",) if path.name == "service_level.py" else ())
                    assert name.startswith(allowed), f"{path.name} imports {name}"
                else:
                    assert top in sys.stdlib_module_names or top in allowed_third_party or top == "__future__", (
                        f"{path.name} imports {name}")
