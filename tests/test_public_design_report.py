"""The public design benchmark's report states when and at which commit its rows were run, from the
rows themselves: `--report-only` later must not stamp old results with the day and commit of the
rewrite."""

from __future__ import annotations

from benchmarks.public_design import _provenance

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
