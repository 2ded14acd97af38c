"""The Bonutti et al. 2017 importer: the instance mapping, both solution break notations, malformed
files, and the published cost of every R1-R7 solution file reproduced term by term by the engine's
own accounting and by the independent validator."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from benchdata import benchmarks_dir, requires_set

from optimizer.domain.schedule import DesignBreak, DesignShift
from optimizer.importers import bonutti, importer
from optimizer.importers.errors import ImportFormatError
from optimizer.solve.design import account, result_from_lines
from optimizer.validate import validate

needs_set = requires_set("bonutti2017")
"""On the tests that read the public files; the others build their input inline and always run."""
SET = benchmarks_dir() / "bonutti2017"

# (under, over, shift lines x 60, average-length deviation x 100) of each published solution file:
# BEST_KNOWN.md (SA columns) and FORMAT.md "Verification" (which recomputes the -opt files, whose
# totals are the published optima).
PUBLISHED = {
    "R1-opt": (0, 0, 300, 0), "R1-sol": (0, 0, 420, 0),
    "R2-opt": (0, 0, 600, 0), "R2-sol": (90, 90, 900, 0),
    "R3-opt": (0, 0, 420, 0), "R3-sol": (60, 30, 660, 0),
    "R4-opt": (0, 0, 780, 0), "R4-sol": (360, 420, 2040, 0),
    "R5-opt": (0, 0, 480, 0), "R5-sol": (0, 0, 480, 0),
    "R6-opt": (0, 0, 480, 0), "R6-sol": (0, 0, 480, 0),
    "R7-opt": (0, 0, 420, 0), "R7-sol": (120, 360, 1020, 0),
}
TERMS = ("under_staffing", "over_staffing", "shift_patterns", "avg_shift_length")


@needs_set
def test_bonutti_r1_maps_horizon_templates_breaks_and_weights() -> None:
    """Tests that R1 becomes a cyclic 7-day, 15-minute design instance with the file's windows."""
    inst = bonutti.load(SET / "instances" / "R1.txt")
    assert inst.name == "bonutti-R1"
    assert inst.horizon.cyclic and inst.horizon.days == 7 and inst.horizon.interval_minutes == 15
    assert inst.horizon.start_date.weekday() == 0
    assert [s.id for s in inst.skills] == ["skill1", "skill2"]
    assert all(len(row.required) == 7 * 96 for row in inst.demand)
    # "00:00 / 00:15 8/11 9/6 ...": Monday 00:00 needs 8 of skill1, 11 of skill2; Tuesday 9 and 6.
    assert inst.required("skill1")[0] == 8 and inst.required("skill2")[0] == 11
    assert inst.required("skill1")[96] == 9 and inst.required("skill2")[96] == 6
    morning = inst.template("M")
    assert (morning.earliest_start, morning.latest_start, morning.start_step_minutes) == ("06:00", "08:00", 15)
    assert morning.lengths_minutes == list(range(480, 601, 15))
    (rule,) = morning.breaks
    assert (rule.duration_minutes, rule.paid, rule.earliest_offset_minutes, rule.latest_offset_minutes,
            rule.min_work_after_minutes) == (60, False, 120, 420, 120)
    short = inst.template("MSh").breaks[0]
    assert (short.duration_minutes, short.earliest_offset_minutes, short.min_work_after_minutes) == (30, 60, 60)
    # Night 22:00..24:00 is split: the 24:00 start is a 00:00 start of the next day.
    assert (inst.template("N").earliest_start, inst.template("N").latest_start) == ("22:00", "23:45")
    assert (inst.template("N.midnight").earliest_start, inst.template("N.midnight").latest_start) == ("00:00", "00:00")
    w = inst.weights
    assert (w.under_staffing, w.over_staffing, w.shift_patterns, w.avg_shift_length) == ([15], 15, 60, 100)
    assert inst.design is not None
    bands = {p.id: (p.avg_net_shift_minutes.min_minutes, p.avg_net_shift_minutes.max_minutes)  # type: ignore[union-attr]
             for p in inst.design.pools}
    # 38 h over (4,5) duties: floor(2280/5/15) = 30 .. floor(2280/4/15) = 38 slots; 20 h over (2,3): 26 .. 40.
    assert bands == {"skill1": (450, 570), "skill2": (390, 600)}


@needs_set
def test_bonutti_r3_has_three_skills_and_their_bands() -> None:
    """Tests that R3 (three skills, (6,7) (4,5) (3,4) duties, 40/30/20 h) maps each skill to a pool."""
    inst = bonutti.load(SET / "instances" / "R3.txt")
    assert [s.id for s in inst.skills] == ["skill1", "skill2", "skill3"]
    assert inst.design is not None
    bands = [(p.avg_net_shift_minutes.min_minutes, p.avg_net_shift_minutes.max_minutes)  # type: ignore[union-attr]
             for p in inst.design.pools]
    assert bands == [(2400 // 7 // 15 * 15, 2400 // 6 // 15 * 15), (1800 // 5 // 15 * 15, 1800 // 4 // 15 * 15),
                     (1200 // 4 // 15 * 15, 1200 // 3 // 15 * 15)]


@needs_set
def test_bonutti_registry_resolves_the_module() -> None:
    """Tests that the importer registry hands out the bonutti module lazily."""
    assert importer("bonutti") is bonutti
    assert bonutti.published_best(SET / "instances" / "R4.txt") == 780
    assert bonutti.published_sa(SET / "instances" / "R4.txt") == 2820


@needs_set
@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_bonutti_solution_cost_equals_published_term_by_term(name: str) -> None:
    """Tests that the engine's accounting and the validator give the published cost of each file."""
    inst = bonutti.load(SET / "instances" / f"{name.split('-')[0]}.txt")
    result = bonutti.load_solution(inst, SET / "solutions" / f"{name}.txt")
    expected = dict(zip(TERMS, PUBLISHED[name], strict=True))
    assert account(inst, result.design).terms == expected
    assert result.terms == expected and result.objective == sum(expected.values())
    report = validate(inst, result)
    assert report.ok, report.hard[:3] + report.mismatches[:3]  # type: ignore[operator]
    assert report.terms == expected and report.objective == sum(expected.values())
    trailer = bonutti.published_terms(SET / "solutions" / f"{name}.txt")
    if name.endswith("-sol"):
        assert trailer == {**expected, "total": sum(expected.values())}
    else:
        assert trailer is None


@needs_set
def test_bonutti_both_break_notations_give_the_same_offset() -> None:
    """Tests that '27:00--28:00' (-opt) and '03:00*' (-sol) both put a 23:00 shift's break 4 h in."""
    inst = bonutti.load(SET / "instances" / "R1.txt")
    opt = bonutti.load_solution(inst, SET / "solutions" / "R1-opt.txt")
    sol = bonutti.load_solution(inst, SET / "solutions" / "R1-sol.txt")

    def night(result: object) -> list[int]:
        return [b.offset_minutes for line in result.design  # type: ignore[attr-defined]
                if line.start == "23:00" and line.length_minutes == 480 for b in line.breaks]

    assert night(opt) == night(sol) == [240]
    # Same-day notation: "M1 06:00-14:30 510 (break at 08:30--09:30)" -> 150 minutes in.
    first = opt.design[0] if opt.design[0].start == "06:00" else next(x for x in opt.design if x.start == "06:00")
    assert first.breaks == [DesignBreak(name="break", offset_minutes=150)]


@needs_set
def test_bonutti_average_length_term_prices_short_duties() -> None:
    """Tests the average-length term: one 4 h duty (3.5 h net) of skill1 against a 450-570 min band."""
    inst = bonutti.load(SET / "instances" / "R1.txt")
    line = DesignShift(template_id="MSh", start="06:00", length_minutes=240,
                       breaks=[DesignBreak(name="break", offset_minutes=60)],
                       counts={dt.date(2024, 1, 1): {"skill1": 1}})
    terms = account(inst, [line]).terms
    assert terms["avg_shift_length"] == 100 * (450 - 210) // 15
    report = validate(inst, result_from_lines(inst, [line]))
    assert report.ok and report.terms == terms


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@needs_set
def test_bonutti_malformed_files_name_file_line_and_reason(tmp_path: Path) -> None:
    """Tests that broken instance and solution files raise ImportFormatError with file:line."""
    lines = (SET / "instances" / "R1.txt").read_text(encoding="utf-8").splitlines()
    row = lines.index("Requirements: Compact") + 1  # the first requirement row (0-based)
    broken = _write(tmp_path, "R1.txt", "\n".join(lines[:row] + ["06:00 / 06:15 1/2 3/4"] + lines[row + 1:]))
    with pytest.raises(ImportFormatError) as error:
        bonutti.load(broken)
    assert str(error.value).startswith(f"{broken}:{row + 1}: expected 7 columns")
    granularity = _write(tmp_path, "g.txt", "Granularity: 7\n" + "\n".join(lines[1:]))
    with pytest.raises(ImportFormatError, match=r"g.txt:1: granularity 7 is not supported"):
        bonutti.load(granularity)
    late = _write(tmp_path, "late.txt", "\n".join(lines).replace("M Morning 06:00 08:00", "M Morning 25:00 26:00", 1))
    with pytest.raises(ImportFormatError, match=r"late.txt:8: EarliestStart must be a time of day from 00:00 to 24:00, "
                                                r"found '25:00'"):
        bonutti.load(late)
    inst = bonutti.load(SET / "instances" / "R1.txt")
    solution = _write(tmp_path, "sol.txt", "M1 ( Morning ) 06:00-14:30 510 (break at 08:30--09:30) 1/2, 1/2\n")
    with pytest.raises(ImportFormatError, match=r"sol.txt:1: expected 7 day columns"):
        bonutti.load_solution(inst, solution)
    unknown = _write(tmp_path, "u.txt", "X1 ( Evening ) 06:00-14:30 510 (break at 08:30--09:30) "
                                        "1/2, 1/2, 1/2, 1/2, 1/2, 1/2, 1/2, [7/14]\n")
    with pytest.raises(ImportFormatError, match=r"u.txt:1: unknown shift type 'Evening'"):
        bonutti.load_solution(inst, unknown)
    early = _write(tmp_path, "e.txt", "N1 ( Night ) 23:00-07:00* 480 (break at 03:00--04:00) "
                                      "1/2, 1/2, 1/2, 1/2, 1/2, 1/2, 1/2, [7/14]\n")
    with pytest.raises(ImportFormatError, match=r"e.txt:1: the break .* starts before the shift"):
        bonutti.load_solution(inst, early)


MINI = ("Granularity: 60\nDays: 1\nSkills: 1\nDuties Per Week (per Skill): (4,5)\n"
        "Average Number Of Hours Per Week (per Skill): 38\nNumberOfShiftTemplates: 1\n\n"
        "D Day 08:00 08:00 * 480 480 60 NoBreak *\n\nRequirements: Compact\n08:00 / 16:00 1\n")


@pytest.mark.parametrize(("edit", "where", "reason"), [
    (("Days: 1", "Days: 99999999"), 2, "the horizon must be 1 to 62 days (got 99999999)"),
    (("Days: 1", "Days: 0"), 2, "the horizon must be 1 to 62 days (got 0)"),
    (("Skill): 38", "Skill): -38"), 5, "hours per week must be 0 to 168, found '-38'"),
    (("Skill): 38", "Skill): nan"), 5, "hours per week must be 0 to 168, found 'nan'"),
    (("Skill): 38", "Skill): inf"), 5, "hours per week must be 0 to 168, found 'inf'"),
    (("* 480 480 60 NoBreak", "* 0 480 60 NoBreak"), 8, "lengths must be 1 to 1440 minutes, found MinLen 0 and "
                                                        "MaxLen 480"),
    (("* 480 480 60 NoBreak", "* 480 1500 60 NoBreak"), 8, "lengths must be 1 to 1440 minutes, found MinLen 480 "
                                                           "and MaxLen 1500"),
    (("16:00 1\n", "16:00 1000000\n"), 11, "column 1 '1000000' is more than 100000 people"),
    (("D Day", "D! Day"), 8, "the abbreviation 'D!' must be 1 to 55 letters, digits or _ . : -"),
    (("D Day", "D" * 56 + " Day"), 8, f"the abbreviation '{'D' * 56}' must be 1 to 55 letters, digits or _ . : -"),
    (("16:00 1\n", "16:00 1\u00b2\n"), 11, "column 1 '1\u00b2' is not 1 numbers r1/r2/..."),
])
def test_bonutti_values_out_of_range_name_line_and_reason(tmp_path: Path, edit: tuple[str, str], where: int,
                                                          reason: str) -> None:
    # Each of these ended in a traceback (MemoryError, pydantic, int() or float-to-int) with exit 1.
    assert edit[0] in MINI
    bad = _write(tmp_path, "mini.txt", MINI.replace(edit[0], edit[1], 1))
    with pytest.raises(ImportFormatError) as error:
        bonutti.load(bad)
    (issue,) = error.value.issues
    assert (issue.path, issue.reason) == (f"{bad}:{where}", reason)


@pytest.mark.parametrize(("text", "where", "reason"), [
    ("D1 ( Day ) 08:00-16:00 480 (no break) 1\u00b2\n", ":1", "day 1: '1\u00b2' is not 1 numbers n_1/.../n_1"),
    ("D1 ( Day ) 08:00-16:00 480 (no break) 1000000\n", ":1", "day 1: '1000000' is more than 100000 people"),
    ("", "", "no shift lines"),
    ("\nCost: 0\n", "", "no shift lines"),
])
def test_bonutti_malformed_solution_names_line_and_reason(tmp_path: Path, text: str, where: str,
                                                          reason: str) -> None:
    # A non-decimal digit ended in an int() traceback; a huge count or an empty file was read as a solution.
    inst = bonutti.load(_write(tmp_path, "mini.txt", MINI))
    assert bonutti.load_solution(inst, _write(tmp_path, "ok.txt", "D1 ( Day ) 08:00-16:00 480 (no break) 1\n"))
    bad = _write(tmp_path, "sol.txt", text)
    with pytest.raises(ImportFormatError) as error:
        bonutti.load_solution(inst, bad)
    (issue,) = error.value.issues
    assert (issue.path, issue.reason) == (f"{bad}{where}", reason)


def test_bonutti_reads_a_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    # As the curtois importer and the engine's own inputs do; it was "expected 'Granularity:'" on line 1.
    path = tmp_path / "bom.txt"
    path.write_text(MINI, encoding="utf-8-sig")
    assert bonutti.load(path).horizon.interval_minutes == 60
    solution = tmp_path / "sol.txt"
    solution.write_text("D1 ( Day ) 08:00-16:00 480 (no break) 1\n", encoding="utf-8-sig")
    assert bonutti.load_solution(bonutti.load(path), solution).objective == 60
