"""Shift design mode: the format (pools, cyclic horizon, break end rule), the solver on hand-made
and public instances, and the independent validator on broken design results."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from benchdata import benchmarks_dir, requires_set

from optimizer.domain.instance import (
    BreakRule,
    InstanceError,
    ShiftTemplate,
    SolverSettings,
    parse_instance,
)
from optimizer.domain.schedule import DesignBreak, DesignShift
from optimizer.model.design import enumerate_patterns
from optimizer.model.options import template_options
from optimizer.model.shifts import break_starts
from optimizer.solve.design import account, result_from_lines, solve_design
from optimizer.solve.solver import solve
from optimizer.validate import format_report, validate

MONDAY = dt.date(2024, 1, 1)


def design_instance(required: list[int], templates: list[dict[str, Any]], *, cyclic: bool = True,
                    interval: int = 60, days: int = 1, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "design",
        "horizon": {"start_date": str(MONDAY), "days": days, "interval_minutes": interval, "cyclic": cyclic},
        "skills": [{"id": "s"}],
        "demand": [{"skill": "s", "required": required}],
        "templates": templates,
        "design": {"pools": [{"id": "p", "skills": ["s"]}]},
        "weights": {"under_staffing": [10], "over_staffing": 10, "shift_patterns": 5},
    }
    data.update(extra)
    return data


NIGHT = {"id": "night", "earliest_start": "22:00", "latest_start": "22:00", "lengths_minutes": [240],
         "start_step_minutes": 60}


def night_demand() -> list[int]:
    return [1, 1] + [0] * 20 + [1, 1]


# --------------------------------------------------------------------------------------------
# Format


def test_design_format_errors_name_the_field() -> None:
    """Tests that design-specific mistakes are reported with their field paths."""
    data = design_instance(night_demand(), [NIGHT])
    data["design"] = {"pools": [{"id": "p", "skills": ["s", "x"], "templates": ["nope"],
                                 "avg_net_shift_minutes": {"min_minutes": 400, "max_minutes": 350}},
                                {"id": "q", "skills": ["s"]}]}
    data["agents"] = [{"id": "a", "contract": "c", "skills": [{"skill": "s"}]}]
    data["contracts"] = [{"id": "c"}]
    with pytest.raises(InstanceError) as error:
        parse_instance(data)
    text = str(error.value)
    assert "agents: a shift-design instance has no named agents" in text
    assert "design.pools[0].skills[1]: unknown skill 'x'" in text
    assert "design.pools[0].templates[0]: unknown template 'nope'" in text
    assert "design.pools[0].avg_net_shift_minutes.min_minutes: 400 is not a multiple" in text
    assert "design.pools[0].avg_net_shift_minutes.max_minutes: is below min_minutes" in text
    assert "design.pools[1].skills[0]: skill 's' is already in pool 'p'" in text


def test_cyclic_horizon_needs_design_and_named_mode_needs_contracts() -> None:
    """Tests that a cyclic horizon is refused in named mode, and that named mode needs a contract."""
    data = design_instance(night_demand(), [NIGHT])
    del data["design"]
    with pytest.raises(InstanceError) as error:
        parse_instance(data)
    assert "horizon.cyclic: a cyclic horizon is supported in shift design" in str(error.value)
    assert "contracts: at least one contract is required" in str(error.value)


def test_break_min_work_after_cuts_the_window_in_named_mode() -> None:
    """Tests that min_work_after_minutes moves the latest break start of a named-mode option."""
    rule = BreakRule(name="lunch", duration_minutes=60, earliest_offset_minutes=60, latest_offset_minutes=420,
                     min_work_after_minutes=120)
    data = design_instance([0] * 24, [{"id": "day", "earliest_start": "08:00", "latest_start": "08:00",
                                       "lengths_minutes": [480], "start_step_minutes": 60,
                                       "breaks": [rule.model_dump()]}], cyclic=False)
    data.pop("design")
    data["contracts"] = [{"id": "c"}]
    inst = parse_instance(data)
    (option,) = template_options(inst, inst.templates[0], 0)
    starts = break_starts(option, 0, 60)
    assert (starts[0] - option.start, starts[-1] - option.start) == (60, 480 - 60 - 120)
    without = rule.model_copy(update={"min_work_after_minutes": 0})
    template = ShiftTemplate(id="t", earliest_start="08:00", latest_start="08:00", lengths_minutes=[480],
                             start_step_minutes=60, breaks=[without])
    (plain,) = template_options(inst.model_copy(update={"templates": [template]}), template, 0)
    assert break_starts(plain, 0, 60)[-1] - plain.start == 420  # unchanged when the field is 0


def test_patterns_enumerate_break_placements_with_work_after() -> None:
    """Tests that each break placement is a pattern, inside MinBefore/MinAfter."""
    rule = {"name": "b", "duration_minutes": 60, "earliest_offset_minutes": 120, "latest_offset_minutes": 300,
            "min_work_after_minutes": 120}
    inst = parse_instance(design_instance([0] * 24, [{"id": "t", "earliest_start": "08:00", "latest_start": "08:00",
                                                      "start_step_minutes": 60, "lengths_minutes": [480],
                                                      "breaks": [rule]}]))
    offsets = [p.breaks[0].offset for p in enumerate_patterns(inst)]
    assert offsets == [120, 180, 240, 300]  # 300 + 60 + 120 = 480


# --------------------------------------------------------------------------------------------
# Solver


def test_design_night_shift_wraps_in_a_cyclic_day() -> None:
    """Tests that a 22:00-02:00 shift covers 00:00-02:00 of the same cyclic day: one pattern, no gap."""
    inst = parse_instance(design_instance(night_demand(), [NIGHT]))
    res = solve_design(inst, SolverSettings(time_limit_s=5, workers=1))
    assert res.status == "optimal" and res.objective == 5
    assert res.terms == {"under_staffing": 0, "over_staffing": 0, "shift_patterns": 5, "avg_shift_length": 0}
    assert [(line.start, line.length_minutes, line.counts) for line in res.design] == [
        ("22:00", 240, {MONDAY: {"s": 1}})]
    assert validate(inst, res).ok


def test_design_without_wrap_leaves_the_morning_uncovered() -> None:
    """Tests that the same shift covers nothing past the end of a non-cyclic horizon."""
    inst = parse_instance(design_instance(night_demand(), [NIGHT], cyclic=False))
    res = solve_design(inst, SolverSettings(time_limit_s=5, workers=1))
    assert res.objective == 5 + 2 * 10 and res.terms["under_staffing"] == 20
    report = validate(inst, res)
    assert report.ok and report.objective == res.objective


def test_design_piecewise_under_staffing_and_breaks() -> None:
    """Tests a piecewise under-staffing weight and a break, against the validator."""
    rule = {"name": "b", "duration_minutes": 60, "earliest_offset_minutes": 60, "latest_offset_minutes": 120,
            "min_work_after_minutes": 60}
    day = {"id": "day", "earliest_start": "08:00", "latest_start": "09:00", "lengths_minutes": [240, 300],
           "start_step_minutes": 60, "breaks": [rule]}
    required = [0] * 8 + [3, 3, 2, 3, 3] + [0] * 11
    data = design_instance(required, [day], cyclic=False)
    data["weights"] = {"under_staffing": [1, 50], "over_staffing": 20, "shift_patterns": 30}
    inst = parse_instance(data)
    res = solve_design(inst, SolverSettings(time_limit_s=5, workers=1))
    assert res.status == "optimal"
    report = validate(inst, res)
    assert report.ok, format_report(report)
    assert res.terms == report.terms and res.objective == report.objective


def test_design_through_solve_and_cli_dispatch() -> None:
    """Tests that optimizer.solve.solver.solve hands design instances to the design solver."""
    inst = parse_instance(design_instance(night_demand(), [NIGHT]))
    res = solve(inst, SolverSettings(time_limit_s=5, workers=1))
    assert res.design and not res.assignments and res.objective == 5


@requires_set("bonutti2017")
def test_design_reaches_the_bonutti_r1_optimum() -> None:
    """Tests that the design solver finds R1's published optimum (300) within a few seconds."""
    from optimizer.importers import bonutti

    inst = bonutti.load(benchmarks_dir() / "bonutti2017" / "instances" / "R1.txt")
    res = solve_design(inst, SolverSettings(time_limit_s=6, workers=2))
    assert res.objective == 300
    assert validate(inst, res).ok


@requires_set("bonutti2017")
def test_design_exact_cover_of_r4_is_among_change_point_patterns() -> None:
    """Tests that R4's optimal lines all have their edges at demand change points, and that the
    exact-cover model (jump form, capped counts) over them and a few others finds the optimum."""
    from ortools.sat.python import cp_model

    from optimizer.domain.ids import time_of_day_minutes
    from optimizer.importers import bonutti
    from optimizer.model.design import DesignModel
    from optimizer.model.design_cover import change_point_patterns

    folder = benchmarks_dir() / "bonutti2017"
    inst = bonutti.load(folder / "instances" / "R4.txt")
    optimum = bonutti.load_solution(inst, folder / "solutions" / "R4-opt.txt")
    patterns = enumerate_patterns(inst)
    index = {p.key: i for i, p in enumerate(patterns)}
    lines = {index[(time_of_day_minutes(line.start), line.length_minutes,
                    tuple(b.offset_minutes for b in line.breaks))] for line in optimum.design}
    changes = change_point_patterns(inst, patterns)
    assert lines <= set(changes) and len(changes) < len(patterns) // 10
    model = DesignModel(inst, patterns, lines | set(changes[::40]), exact=True)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20
    assert solver.solve(model.model) == cp_model.OPTIMAL and solver.objective_value == 780


def test_design_without_shift_line_cost_is_proven_optimal() -> None:
    """Tests that a design where lines cost nothing goes to the complete model, which proves it
    optimal although it has more count variables than the small-model threshold."""
    from optimizer.solve.design import SMALL_MODEL_COUNTS

    day = {"id": "day", "earliest_start": "00:00", "latest_start": "20:00", "lengths_minutes": [240, 300, 360],
           "start_step_minutes": 60}
    required = ([1, 1, 2, 3, 3, 2, 2, 4, 4, 3, 1, 1] * 2) * 7
    data = design_instance(required, [day], cyclic=False, days=7)
    data["weights"]["shift_patterns"] = 0
    inst = parse_instance(data)
    assert 7 * len(enumerate_patterns(inst)) > SMALL_MODEL_COUNTS
    res = solve_design(inst, SolverSettings(time_limit_s=20, workers=2))
    assert res.status == "optimal" and validate(inst, res).ok


@requires_set("shiftdesign")
def test_design_reaches_the_shiftdesign_reference() -> None:
    """Tests that the design solver reaches the reference value of two small shift design files."""
    from optimizer.importers import shiftdesign

    for name in ("DataSet1/RandomExample1.txt", "DataSet2/RandomExample2.txt"):
        path = benchmarks_dir() / "shiftdesign" / name
        inst = shiftdesign.load(path)
        res = solve_design(inst, SolverSettings(time_limit_s=5, workers=2))
        assert res.objective is not None and res.objective <= shiftdesign.published_best(path), name  # type: ignore[operator]
        assert validate(inst, res).ok


# --------------------------------------------------------------------------------------------
# Validator


def _base() -> tuple[Any, Any]:
    rule = {"name": "b", "duration_minutes": 60, "earliest_offset_minutes": 60, "latest_offset_minutes": 180,
            "min_work_after_minutes": 60}
    day = {"id": "day", "earliest_start": "08:00", "latest_start": "10:00", "lengths_minutes": [240, 300],
           "start_step_minutes": 60, "breaks": [rule], "days": ["mon", "tue"]}
    required = ([0] * 8 + [2, 0, 2, 2] + [0] * 12) * 2
    inst = parse_instance(design_instance(required, [day], cyclic=True, days=2))
    line = DesignShift(template_id="day", start="08:00", length_minutes=240, breaks=[DesignBreak(name="b",
                       offset_minutes=60)], counts={MONDAY: {"s": 2}, MONDAY + dt.timedelta(days=1): {"s": 2}})
    return inst, result_from_lines(inst, [line])


def test_design_validator_accepts_the_hand_made_design() -> None:
    """Tests that a correct hand-made design validates with the hand-computed cost (one pattern)."""
    inst, res = _base()
    report = validate(inst, res)
    assert report.ok, format_report(report)
    assert res.objective == report.objective == 5


@pytest.mark.parametrize(("change", "expected"), [
    ({"start": "07:00"}, "[start window]"),
    ({"start": "08:30"}, "[start window]"),
    ({"length_minutes": 270}, "[length window]"),
    ({"breaks": [DesignBreak(name="b", offset_minutes=0)]}, "[break placement]"),
    ({"breaks": [DesignBreak(name="b", offset_minutes=180)]}, "[break placement]"),
    ({"breaks": []}, "[break placement]"),
    ({"template_id": "other"}, "[known templates]"),
    ({"counts": {MONDAY: {"x": 1}}}, "[skills of a pool]"),
    ({"counts": {MONDAY + dt.timedelta(days=5): {"s": 1}}}, "[allowed days]"),
])
def test_design_validator_catches_broken_lines(change: dict[str, Any], expected: str) -> None:
    """Tests that each hard rule of a line is checked (start, length, break, template, skill, day)."""
    inst, res = _base()
    broken = res.model_copy(update={"design": [res.design[0].model_copy(update=change)]})
    report = validate(inst, broken)
    assert not report.ok and expected in format_report(report)


def test_design_validator_catches_a_wrong_count_and_a_changed_objective() -> None:
    """Tests that a count changed after the accounting, a changed objective, or a bound above the
    objective is a mismatch."""
    inst, res = _base()
    line = res.design[0]
    wrong = res.model_copy(update={"design": [line.model_copy(update={"counts": {MONDAY: {"s": 3},
                                                                                 MONDAY + dt.timedelta(days=1): {"s": 2}}})]})
    report = validate(inst, wrong)
    assert not report.ok
    assert any(m.startswith("term over_staffing") for m in report.mismatches)
    assert any(m.startswith("coverage s") for m in report.mismatches)
    changed = res.model_copy(update={"objective": 4})
    assert validate(inst, changed).mismatches == ["objective: result reports 4, recomputed 5"]
    above = res.model_copy(update={"best_bound": 6.0})
    assert validate(inst, above).mismatches == [
        "best_bound: schedule reports a lower bound of 6, above its recomputed objective 5"]


def test_design_validator_checks_coverage_rows_as_named_mode_does() -> None:
    """Tests that a design result's coverage rows off the interval grid, given twice or missing are
    mismatches (they were rounded down to an interval, or not noticed), and that a row with another
    time-zone offset is read in the horizon's zone."""
    inst, res = _base()
    rows = res.coverage
    day = rows[8].interval_start.date()
    off_grid = rows[8].model_copy(update={"interval_start": rows[8].interval_start + dt.timedelta(minutes=30)})
    report = validate(inst, res.model_copy(update={"coverage": [*rows[:8], off_grid, *rows[9:]]}))
    assert f"coverage s {day}T08:30: not a skill and interval of the horizon" in report.mismatches
    assert f"coverage s: 1 interval(s) missing from the schedule, the first {day}T08:00" in report.mismatches
    report = validate(inst, res.model_copy(update={"coverage": [*rows, rows[8]]}))
    assert report.mismatches == [f"coverage s {day}T08:00: reported twice"]
    assert inst.horizon.timezone == "UTC"
    aware = rows[8].model_copy(update={"interval_start": dt.datetime.combine(
        day, dt.time(9, 0), dt.timezone(dt.timedelta(hours=1)))})  # 08:00 in the horizon's zone
    assert validate(inst, res.model_copy(update={"coverage": [*rows[:8], aware, *rows[9:]]})).ok


def test_design_validator_and_engine_agree_on_daily_maximum() -> None:
    """Tests the pool's daily maximum: a hard rule in the validator and in the model."""
    data = design_instance(night_demand(), [NIGHT])
    data["demand"][0]["required"] = [3, 3] + [0] * 20 + [3, 3]
    data["design"]["pools"][0]["max_agents_per_day"] = 2
    inst = parse_instance(data)
    res = solve_design(inst, SolverSettings(time_limit_s=5, workers=1))
    assert sum(res.design[0].counts[MONDAY].values()) == 2 and res.terms["under_staffing"] == 4 * 10
    assert validate(inst, res).ok
    too_many = res.model_copy(update={"design": [res.design[0].model_copy(update={"counts": {MONDAY: {"s": 3}}})]})
    assert "[pool's daily maximum]" in format_report(validate(inst, too_many))
    assert account(inst, too_many.design).terms["under_staffing"] == 0
