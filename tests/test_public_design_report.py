"""The public design benchmark's report states what its rows show, from the rows themselves: when and
at which commit they were run (`--report-only` later must not stamp old results with the day and
commit of the rewrite), and how the tightest files fared in that run."""

from __future__ import annotations

from benchmarks.public_design import _provenance, shiftdesign_section

STAMP = {"date": "2026-11-26", "commit": "b3dd85c8169e", "ortools": "9.15.6755", "python": "3.13.0",
         "cpus": "2 CPU(s): AMD EPYC"}


def test_provenance_comes_from_the_rows() -> None:
    rows = [{"run": STAMP}, {"run": {**STAMP, "date": "2026-11-27", "commit": "ca066c5e40c3"}}]
    assert _provenance(rows) == ("2026-11-26 to 2026-11-27, commit b3dd85c8169e, ca066c5e40c3, OR-Tools 9.15.6755, "
                                 "Python 3.13.0, 2 CPU(s): AMD EPYC")
    assert _provenance([{"run": STAMP}]) == ("2026-11-26, commit b3dd85c8169e, OR-Tools 9.15.6755, Python 3.13.0, "
                                             "2 CPU(s): AMD EPYC")


def test_rows_without_a_stamp_are_said_to_be_unrecorded() -> None:
    assert _provenance([{}]) == "run date and commit not recorded in these rows"
    assert _provenance([{"run": STAMP}, {}]).endswith("(1 older rows unrecorded)")


def _design_row(instance: str, slot: int, objective: int, reference: int, time_to_best: float) -> dict:
    return {"set": "shiftdesign", "instance": instance, "interval_minutes": slot, "skills": 1, "status": "feasible",
            "objective": objective, "terms": {"shift_patterns": objective}, "best_bound": None,
            "time_to_best_s": time_to_best, "time_limit_s": 10.0, "workers": 2, "valid": True,
            "reference": reference, "gap": (objective - reference) / reference}


def test_the_tight_files_note_follows_the_rows() -> None:
    """The note on the 15-minute DataSet2 files says what this run did, not what an earlier one did."""
    reached = [_design_row("DataSet2/RandomExample8", 15, 180, 180, 9.4),
               _design_row("DataSet2/RandomExample16", 15, 240, 240, 2.5),
               _design_row("DataSet1/RandomExample1", 60, 300, 300, 0.1)]
    text = shiftdesign_section(reached, "cmd")
    assert "In this run all 2 reached it, the slowest after 9.4 s of the 10 s" in text
    assert "missed the reference" not in text
    missed = [_design_row("DataSet2/RandomExample8", 15, 195, 180, 9.9), *reached[1:]]
    text = shiftdesign_section(missed, "cmd")
    assert "In this run 1 of the 2 missed the reference within 10 s" in text
    assert "Not reached" in text
