"""The pyworkforce baseline (benchmarks/pyworkforce_baseline.py): on tiny problems the input
mapping is exact (pyworkforce's own reported cost equals our independent validator's objective of
pyworkforce's solution, plus the documented offset) for the shift-count problems and the roster,
and our solver's objective is no worse than pyworkforce's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip(
    "pyworkforce",
    reason="pyworkforce (PyPI) is not installed: it is the baseline under test (pip install -e '.[test]')",
)

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import pyworkforce_baseline as pwb  # noqa: E402
from benchmarks.report import read_section  # noqa: E402
from optimizer.domain.instance import SolverSettings  # noqa: E402
from optimizer.validate import validate  # noqa: E402

LIMIT = 5.0


@pytest.mark.parametrize("objective", ["abs", "min"])
def test_shift_counts_mapping_is_exact_and_ours_is_no_worse(objective: pwb.Objective) -> None:
    """Tests that pyworkforce's MinAbsDifference / MinRequiredResources cost equals our validator's
    objective of its counts (plus the offset), and that our design solve is no worse."""
    problem = pwb.generate_shift_problem(seed=5, days=2, periods=24, n_shifts=5)
    row = pwb.shift_row(problem, objective, LIMIT, 2)
    assert row["pw_status"] == "optimal"
    assert row["pw_validator_ok"], row.get("pw_validator_report")
    assert row["pw_validator_objective"] + row["offset"] == row["pw_cost"]
    assert row["agree"] is True
    assert row["ours_validator_ok"] and row["ours_feasible_for_pw"], row.get("ours_validator_report")
    assert row["ours_cost"] <= row["pw_cost"]
    if objective == "min":  # full cover: the validator sees no under-staffing in either solution
        assert row["pw_validator_terms"]["under_staffing"] == 0 == row["ours_terms"]["under_staffing"]


def test_roster_mapping_is_exact_and_ours_is_no_worse() -> None:
    """Tests that MinHoursRoster's cost equals our validator's objective of its roster (plus the
    preference offset), with bans, non-sequential shifts and preferences present, that our roster
    is no worse, and that pyworkforce's own model accepts ours at the same cost."""
    problem = pwb.generate_roster_problem(seed=4, days=7, n_resources=6, n_shifts=3)
    assert problem.banned and problem.non_sequential and problem.preferences
    row = pwb.roster_row(problem, LIMIT, 2)
    assert row["pw_status"] in ("optimal", "feasible")
    assert row["pw_validator_ok"], row.get("pw_validator_report")
    assert row["offset"] < 0
    assert row["pw_validator_objective"] + row["offset"] == row["pw_cost"] and row["agree"] is True
    assert row["pw_validator_terms"]["shift_demand"] == 0
    assert row["ours_validator_ok"] and row["ours_feasible_for_pw"]
    assert row["ours_cost"] <= row["pw_cost"]
    assert row["pw_accepts_ours"] is True


def test_non_sequential_shifts_follow_what_pyworkforce_enforces() -> None:
    """Tests the reading of non_sequential_shifts: pyworkforce forbids every shift after an origin
    with one forbidden successor (not only the destination), and our instance does the same."""
    problem = pwb.RosterProblem(
        name="ns",
        seed=0,
        days=2,
        resources=["a"],
        shifts=["Morning", "Afternoon", "Night"],
        hours=[8, 8, 8],
        min_working_hours=1,
        max_resting=1,
        required={"Morning": [0, 0], "Afternoon": [0, 1], "Night": [1, 0]},
        non_sequential=[{"origin": "Night", "destination": "Morning"}],
    )
    assert pwb.run_pw_roster(problem, LIMIT, 1).status == "INFEASIBLE"  # Night then Afternoon
    instance = pwb.roster_instance(problem, SolverSettings(time_limit_s=LIMIT, workers=1))
    report = validate(
        instance, pwb.roster_result(instance, problem, [("a", 0, "Night"), ("a", 1, "Afternoon")])
    )
    assert any(v.rule.startswith("forbidden succession") for v in report.hard), [v.rule for v in report.hard]
    # Two forbidden successors: pyworkforce allows the origin on the last day only.
    problem.non_sequential.append({"origin": "Night", "destination": "Afternoon"})
    assert ("a", 0, "Night") in pwb.effective_bans(problem) and ("a", 1, "Night") not in pwb.effective_bans(
        problem
    )


def test_banned_shift_is_a_hard_rule_and_nothing_else_is_banned() -> None:
    """Tests that a banned (resource, shift, day) becomes an availability gap that rejects exactly
    that shift: the other shifts that day and the banned shift on other days stay allowed."""
    problem = pwb.generate_roster_problem(seed=3, days=7, n_resources=6, n_shifts=3)
    ban = problem.banned[0]
    instance = pwb.roster_instance(problem, SolverSettings(time_limit_s=LIMIT, workers=1))
    r, d = ban["resource"], int(ban["day"])
    for shift in problem.shifts:
        for day in (d, (d + 1) % problem.days):
            report = validate(instance, pwb.roster_result(instance, problem, [(r, day, shift)]))
            availability = [v for v in report.hard if "availab" in v.rule]
            assert bool(availability) == ((shift, day) == (ban["shift"], d)), (shift, day, availability)


def test_quick_run_writes_rows_and_the_section(tmp_path: Path) -> None:
    """Tests the command's output: one JSONL row per problem and the Markdown table in its section."""
    results, markdown = tmp_path / "rows.jsonl", tmp_path / "RESULTS.md"
    markdown.write_text(
        "# x\n\n<!-- section:pyworkforce -->\nold\n<!-- /section:pyworkforce -->\n", encoding="utf-8"
    )
    pwb.QUICK_SHIFTS, saved = [(1, 1, 24, 4)], pwb.QUICK_SHIFTS
    pwb.QUICK_ROSTERS, saved_r = [(2, 7, 5, 3)], pwb.QUICK_ROSTERS
    try:
        assert (
            pwb.main(["--quick", "--time-limit", "3", "-o", str(results), "--markdown", str(markdown)]) == 0
        )
    finally:
        pwb.QUICK_SHIFTS, pwb.QUICK_ROSTERS = saved, saved_r
    assert len(results.read_text(encoding="utf-8").splitlines()) == 3
    section = read_section(markdown, "pyworkforce")
    assert section is not None and "| problem | size | pyworkforce cost" in section
    assert section.count("| abs |") == 1 and section.count("| roster |") == 1 and "**no**" not in section
    assert "pyworkforce 0." in section and "OR-Tools" in section
