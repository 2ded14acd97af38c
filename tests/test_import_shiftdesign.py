"""The minimum shift design importer (TU Wien Rota DataSet1 and DataSet2): the instance mapping,
malformed files, and every embedded generating solution priced at the file's `#Fitness` value.

The cost is the 3-term objective of Di Gaspero et al. 2007 (shortage + excess + W_shifts per distinct
shift); the DutiesPerWeek term is not imported (its definition is unverified, see the importer's
docstring), and the reference values equal the 3-term cost of the generating solutions, which is
what `test_shiftdesign_embedded_solutions_cost_the_published_fitness` proves for all 130 files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from benchdata import benchmarks_dir, requires_set

from optimizer.importers import importer, shiftdesign
from optimizer.importers.errors import ImportFormatError
from optimizer.solve.design import account
from optimizer.validate import validate

needs_set = requires_set("shiftdesign")
"""On the tests that read the public files; the others build their input inline and always run."""
SET = benchmarks_dir() / "shiftdesign"
FILES = sorted(SET.glob("DataSet[12]/RandomExample*.txt")) if SET.is_dir() else []


@needs_set
def test_shiftdesign_dataset1_example1_maps_windows_and_weights() -> None:
    """Tests that DataSet1/RandomExample1 (60 min, weights 1/1/60) maps windows and weights exactly."""
    path = SET / "DataSet1" / "RandomExample1.txt"
    inst = shiftdesign.load(path)
    assert inst.name == "shiftdesign-DataSet1-RandomExample1"
    assert inst.horizon.cyclic and inst.horizon.days == 7 and inst.horizon.interval_minutes == 60
    assert inst.required("staff")[:9] == [0, 0, 0, 0, 0, 0, 0, 3, 11]
    early = inst.template("F")
    assert early.name == "Frühschicht"  # ISO-8859-1
    # "6:0 120 60 480 60 60": starts 05:00..08:00, lengths 420..540.
    assert (early.earliest_start, early.latest_start, early.start_step_minutes) == ("05:00", "08:00", 60)
    assert early.lengths_minutes == [420, 480, 540] and early.breaks == []
    assert (inst.template("N").earliest_start, inst.template("N").latest_start) == ("21:00", "23:00")
    w = inst.weights
    assert (w.under_staffing, w.over_staffing, w.shift_patterns, w.avg_shift_length) == ([60], 60, 60, 0)
    assert inst.design is not None and [p.skills for p in inst.design.pools] == [["staff"]]
    assert shiftdesign.published_best(path) == 480


@needs_set
def test_shiftdesign_dataset2_thirty_minute_grid() -> None:
    """Tests that a 30-minute DataSet2 file gets 30-minute windows and weights per agent-interval."""
    path = SET / "DataSet2" / "RandomExample3.txt"
    inst = shiftdesign.load(path)
    assert inst.horizon.interval_minutes == 30 and len(inst.demand[0].required) == 7 * 48
    assert inst.template(inst.templates[0].id).lengths_minutes == list(range(420, 541, 30))
    assert (inst.weights.under_staffing, inst.weights.over_staffing, inst.weights.shift_patterns) == ([30], 30, 30)
    assert importer("shiftdesign").published_best(path) == 360


@needs_set
def test_shiftdesign_embedded_solutions_cost_the_published_fitness() -> None:
    """Tests that every DataSet1/DataSet2 generating solution costs exactly its file's #Fitness
    (3-term objective), by the engine's accounting and by the independent validator."""
    assert len(FILES) == 130
    for path in FILES:
        inst = shiftdesign.load(path)
        result = shiftdesign.load_solution(path)
        fitness = shiftdesign.published_best(path)
        assert account(inst, result.design).objective == fitness, path
        report = validate(inst, result)
        assert report.ok, (path, report.hard[:2], report.mismatches[:2])
        assert report.objective == result.objective == fitness, path
        assert report.terms["under_staffing"] == report.terms["over_staffing"] == 0
        assert report.terms["shift_patterns"] == fitness


@needs_set
def test_shiftdesign_malformed_files_name_file_line_and_reason(tmp_path: Path) -> None:
    """Tests that broken files raise ImportFormatError naming the file, the line and the reason."""
    raw = (SET / "DataSet1" / "RandomExample1.txt").read_bytes().decode("iso-8859-1").splitlines()
    row = raw.index("#Requirements:") + 1
    short = tmp_path / "short.txt"
    short.write_bytes("\r\n".join(raw[:row] + ["1 2 3"] + raw[row + 1:]).encode("iso-8859-1"))
    with pytest.raises(ImportFormatError, match=rf"short.txt:{row + 1}: expected 168 requirements"):
        shiftdesign.load(short)
    bad_template = tmp_path / "template.txt"
    first_template = next(i for i, line in enumerate(raw) if line.startswith("F "))
    bad_template.write_bytes("\r\n".join(raw[:first_template] + ["F Early 6:0 120"] + raw[first_template + 1:])
                             .encode("iso-8859-1"))
    with pytest.raises(ImportFormatError, match=rf"template.txt:{first_template + 1}: a shift template is"):
        shiftdesign.load(bad_template)
    bad_solution = tmp_path / "solution.txt"
    last = len(raw) - 1
    bad_solution.write_bytes("\r\n".join(raw[:last] + ["# 8:  3:0    480       1  1  2  1  1  0  0"])
                             .encode("iso-8859-1"))
    with pytest.raises(ImportFormatError, match=rf"solution.txt:{last + 1}: no template allows a shift at 03:00"):
        shiftdesign.load_solution(bad_solution)


MINI = ("#MinuteInterval:\n60\n#DaysPerCycle:\n1\n#FlagCyclical:\nyes\n#Requirements:\n"
        + " ".join(["0"] * 8 + ["1"] * 8 + ["0"] * 8) + "\n#Number of shift templates\n1\n#Shift templates\n"
        "D Day 8:0 0 0 480 0 0 *\n#UnderCover:\n1\n#Overcover:\n1\n#Shifts:\n60\n"
        "#Fitness of assumed optimal Solution:\n# 60\n#Optimal Solution:\n# 1:  8:0    480       1\n")


@pytest.mark.parametrize(("edit", "line", "reason"), [
    (("#DaysPerCycle:\n1", "#DaysPerCycle:\n0"), 4, "the horizon must be 1 to 62 days (got 0)"),
    (("#DaysPerCycle:\n1", "#DaysPerCycle:\n99999999999"), 4, "the horizon must be 1 to 62 days (got 99999999999)"),
    ((" 1 1 0 0", " 1 1000000 0 0"), 8, "a requirement must be at most 100000, found 1000000"),
    (("480 0 0 *", "480 1020 0 *"), 12, "the longest length (1500 min) is over 24 hours"),
    (("#UnderCover:\n1", "#UnderCover:\n99999999999"), 14,
     "#UnderCover must be at most 166666 per minute (10000000 per 60-minute interval), found 99999999999"),
    (("#Shifts:\n60", "#Shifts:\n99999999999"), 18, "#Shifts must be at most 10000000, found 99999999999"),
    (("D Day", "D" * 65 + " Day"), 12, f"the abbreviation '{'D' * 65}' is over 64 characters"),
])
def test_shiftdesign_values_out_of_range_name_line_and_reason(tmp_path: Path, edit: tuple[str, str], line: int,
                                                              reason: str) -> None:
    # Each of these ended in a pydantic traceback (exit 1), or blamed the requirements for a bad day count.
    assert edit[0] in MINI
    bad = tmp_path / "mini.txt"
    bad.write_text(MINI.replace(edit[0], edit[1], 1), encoding="iso-8859-1")
    with pytest.raises(ImportFormatError) as error:
        shiftdesign.load(bad)
    (issue,) = error.value.issues
    assert (issue.path, issue.reason) == (f"{bad}:{line}", reason)


def test_shiftdesign_solution_count_over_the_bound_names_its_line(tmp_path: Path) -> None:
    # It was read, and costed an objective of about 10^11 instead of being reported.
    good = tmp_path / "mini.txt"
    good.write_text(MINI, encoding="iso-8859-1")
    assert shiftdesign.load_solution(good).objective == 60
    bad = tmp_path / "bad.txt"
    bad.write_text(MINI.replace("480       1\n", "480       1000000\n"), encoding="iso-8859-1")
    with pytest.raises(ImportFormatError) as error:
        shiftdesign.load_solution(bad)
    (issue,) = error.value.issues
    assert (issue.path, issue.reason) == (f"{bad}:22", "a count must be at most 100000, found 1000000")


def test_cli_a_bad_fitness_is_bad_input_and_nothing_is_written(tmp_path: Path) -> None:
    # published_best ran after the instance was written and outside the CLI's error handling: a traceback (exit 1).
    from typer.testing import CliRunner

    from optimizer.cli import app

    bad = tmp_path / "mini.txt"
    bad.write_text(MINI.replace("# 60\n", "# lots\n"), encoding="iso-8859-1")
    out = tmp_path / "out.json"
    run = CliRunner().invoke(app, ["import", "shiftdesign", str(bad), "-o", str(out)])
    assert run.exit_code == 2, run.output
    assert f"{bad}:20: the fitness must be an integer, found 'lots'" in run.output
    assert not out.exists()
