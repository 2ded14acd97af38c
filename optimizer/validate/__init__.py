"""The independent validator: every hard rule, the coverage and every objective term of a solve
result, recomputed from the schedule's own datetimes and the instance alone.

Imports `optimizer.domain` and the standard library only (no ortools, no `optimizer.model`, no
`optimizer.timegrid`), so it shares no code with the CP-SAT model: both implement the semantics
written in the domain docstrings, and `validate` reports where they disagree.

* `rules.py`: hard rules, one `check_<rule>` per family (readings of silent points in its docstring).
* `coverage.py`: scheduled agents per skill and interval.
* `objective.py`: the objective terms by name, and the penalized soft violations.
* `service_level.py`: service-level under-staffing weights, and the forecast columns of coverage rows.
* `kpis.py`: the KPIs, recomputed.
* `baseline.py`: re-optimization: the `changes` term, the frozen and locked agent-days, the diff.

`validate` compares, each when the result gives it:
- the recomputed terms with `result.terms` (a missing name counts 0) and the objective with
  `result.objective`; the reported bound and gap with that objective;
- the recomputed coverage with `result.coverage`, and for a forecast also its `volume` and
  `required_net` (`service_level.py`);
- the penalties of `result.violations` (even an empty list) with the recomputed soft violations:
  per agent (and for shift demand, which has no agent) the same total, whatever the rule names say;
- `result.kpis` with the recomputed KPIs (`kpis.py`; all but `service_level`);
- for a re-optimization, `result.changes` with the recomputed diff (`baseline.py`).
A result with status "infeasible" or "unknown", no assignments and no objective has nothing to
check: it is reported ok with empty checks and no terms.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from optimizer.domain.instance import Instance
from optimizer.domain.schedule import OBJECTIVE_TERMS, Assignment, SolveResult, Violation
from optimizer.validate.baseline import check_pinned_days, diff_mismatches
from optimizer.validate.coverage import compare_coverage, scheduled_per_skill
from optimizer.validate.kpis import kpi_mismatches, recompute_kpis
from optimizer.validate.objective import recompute_terms, soft_violations
from optimizer.validate.rules import check_hard_rules, local_result
from optimizer.validate.service_level import compare_forecast_columns


class ValidationReport(BaseModel):
    hard: list[Violation] = Field(default_factory=list, description="Hard-rule violations.")
    soft: list[Violation] = Field(
        default_factory=list,
        description="Penalized soft violations (preferences, shift demand, soft contract rules); "
        "staffing is not listed per interval.",
    )
    terms: dict[str, int] = Field(default_factory=dict, description="Every objective term, recomputed.")
    objective: int = Field(default=0, description="Sum of the recomputed terms.")
    mismatches: list[str] = Field(
        default_factory=list, description="Where the result's own terms, objective or coverage disagree."
    )
    ok: bool = Field(default=True, description="No hard violation and no mismatch.")
    without_schedule: str | None = Field(
        default=None, description="Set when there was nothing to check: the result's status, which has no schedule.")


def _compare_terms(reported: dict[str, int], terms: dict[str, int]) -> list[str]:
    out = []
    for name, value in terms.items():
        if reported.get(name, 0) != value:
            out.append(f"term {name}: schedule reports {reported.get(name, 0)}, recomputed {value}")
    for name in reported:
        if name not in terms:
            out.append(f"term {name}: schedule reports {reported[name]}, not an objective term "
                       f"({', '.join(OBJECTIVE_TERMS)})")
    return out


def validate(instance: Instance, result: SolveResult) -> ValidationReport:
    """Check `result` against `instance`: hard rules, coverage, terms and objective."""
    if instance.design is not None:  # shift design: lines, not named assignments
        from optimizer.validate.design import validate_design

        return validate_design(instance, result)
    if result.status in ("infeasible", "unknown") and not result.assignments and result.objective is None:
        return ValidationReport(ok=True, without_schedule=result.status)
    result = local_result(instance, result)
    assignments = result.assignments
    hard = check_hard_rules(instance, assignments) + check_pinned_days(instance, assignments)
    scheduled = scheduled_per_skill(instance, assignments)
    terms = recompute_terms(instance, assignments, scheduled)
    objective = sum(terms.values())
    soft = soft_violations(instance, assignments)
    mismatches: list[str] = []
    if "violations" in result.model_fields_set:
        mismatches += violation_mismatches(result.violations, soft)
    if result.terms:
        mismatches += _compare_terms(result.terms, terms)
    if result.objective is not None and result.objective != objective:
        mismatches.append(f"objective: schedule reports {result.objective}, recomputed {objective}")
    mismatches += bound_mismatches(result, objective)
    if result.coverage:
        mismatches += compare_coverage(instance, scheduled, result.coverage)
        mismatches += compare_forecast_columns(instance, result.coverage)
    if instance.baseline is not None and result.changes is not None:
        mismatches += diff_mismatches(instance, assignments, result.changes)
    if "kpis" in result.model_fields_set:
        mismatches += kpi_mismatches(result.kpis, recompute_kpis(instance, assignments, scheduled))
    return ValidationReport(
        hard=hard,
        soft=soft,
        terms=terms,
        objective=objective,
        mismatches=mismatches,
        ok=not hard and not mismatches,
    )


GAP_TOLERANCE = 1e-5
"""The reported gap is rounded to 6 decimals and recomputed from a bound rounded to 3."""


def bound_mismatches(result: SolveResult, objective: int) -> list[str]:
    """The reported lower bound and gap against the recomputed objective. A bound above it: no
    schedule costs less than a true lower bound, so one of the two is wrong (the objective is
    recomputed, so the bound). The gap must be (objective - bound) / objective, at least 0; at an
    objective of 0 or less, 0 when the bound reaches the objective and undefined otherwise."""
    bound, out = result.best_bound, []
    if bound is not None and bound > objective + 1e-6 * max(1.0, abs(objective)):
        out.append(f"best_bound: schedule reports a lower bound of {_shown(bound)}, above its recomputed objective "
                   f"{objective}")
    if result.gap is None:
        return out
    if bound is None:
        return [*out, f"gap: schedule reports {_shown(result.gap)}, but gives no best_bound"]
    if objective > 0:
        expected: float | None = max(0.0, (objective - bound) / objective)
    else:
        expected = 0.0 if bound >= objective else None
    if expected is None or abs(result.gap - expected) > GAP_TOLERANCE:
        recomputed = "undefined" if expected is None else _shown(round(expected, 6), 6)
        out.append(f"gap: schedule reports {_shown(result.gap, 6)}, recomputed {recomputed} from objective "
                   f"{objective} and best_bound {_shown(bound)}")
    return out


def _shown(value: float, decimals: int = 3) -> str:
    return f"{value:.{decimals}f}".rstrip("0").rstrip(".")


def violation_mismatches(reported: list[Violation], soft: list[Violation]) -> list[str]:
    """Per agent (None: shift demand), the reported penalties against the recomputed ones."""
    listed: dict[str | None, int] = defaultdict(int)
    recomputed: dict[str | None, int] = defaultdict(int)
    for v in reported:
        listed[v.agent_id] += v.penalty
    for v in soft:
        recomputed[v.agent_id] += v.penalty
    out = []
    for who in sorted(listed.keys() | recomputed.keys(), key=lambda x: (x is not None, x or "")):
        if listed[who] != recomputed[who]:
            whose = "shift demand (no agent)" if who is None else f"agent {who}"
            out.append(f"violations of {whose}: schedule lists penalties of {listed[who]}, recomputed "
                       f"{recomputed[who]}")
    return out


def unusable_row(instance: Instance, result: SolveResult,
                 also: Callable[[Instance, SolveResult], Any] | None = None) -> str:
    """The path of an assignment that cannot be checked on its own (`validate`, and `also` when
    given, raise ArithmeticError or ValueError: its date-times overflow in the horizon's zone, e.g.
    near the year 9999), the first such row near the limits if any, or "" when none alone fails.
    For the error that names bad input.

    Rows with a date-time within a few days of the first or last representable one are tried
    first (only they can overflow), each against the instance cut down to its own agent and
    without demand: checking every row against the whole instance (every agent's contract, every
    interval's staffing, in service-level mode the Erlang weights) took minutes for a few
    thousand rows."""
    agents = {a.id: a for a in instance.agents}
    rows = result.assignments
    for i in sorted(range(len(rows)), key=lambda i: not _near_the_limits(rows[i])):
        row = rows[i]
        alone = result.model_copy(update={"assignments": [row], "coverage": []})
        own = instance.model_copy(update={"agents": [agents[row.agent_id]] if row.agent_id in agents else [],
                                          "demand": []})
        try:
            validate(own, alone)
            if also is not None:
                also(own, alone)
        except (ArithmeticError, ValueError):
            return f"assignments[{i}]"
    return ""


_MARGIN = dt.timedelta(days=3)


def _near_the_limits(row: Assignment) -> bool:
    times = [row.start, row.end, *(b.start for b in row.breaks), *(b.end for b in row.breaks),
             *(a.start for a in row.activities), *(a.end for a in row.activities)]
    dates = [row.date, *(t.date() for t in times)]
    return any(not dt.date.min + _MARGIN <= d <= dt.date.max - _MARGIN for d in dates)


def format_report(report: ValidationReport) -> str:
    """A readable text: verdict, hard violations, mismatches, soft counts per rule, terms."""
    if report.without_schedule is not None:
        lines = [f"NOTHING TO CHECK: the result is {report.without_schedule}, without a schedule"]
    elif report.ok:
        lines = ["VALID: every hard rule holds and the reported numbers match"]
    else:
        lines = [f"INVALID: {len(report.hard)} hard violation(s), {len(report.mismatches)} mismatch(es)"]
    if report.hard:
        lines += ["", f"hard violations ({len(report.hard)}):"]
        lines += [f"  [{v.rule}] {v.message}" for v in report.hard]
    if report.mismatches:
        lines += ["", f"mismatches ({len(report.mismatches)}):"]
        lines += [f"  {m}" for m in report.mismatches]
    if report.soft:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for v in report.soft:
            counts[v.rule][0] += 1
            counts[v.rule][1] += v.penalty
        width = max(len(rule) for rule in counts)
        lines += ["", "soft violations:", f"  {'rule':<{width}}  {'count':>6}  {'penalty':>10}"]
        lines += [f"  {rule:<{width}}  {n:>6}  {p:>10}" for rule, (n, p) in sorted(counts.items())]
    if report.terms:
        width = max(len(name) for name in [*report.terms, "objective"])
        lines += ["", "objective terms (recomputed):"]
        lines += [f"  {name:<{width}}  {value:>12}" for name, value in report.terms.items()]
        lines.append(f"  {'objective':<{width}}  {report.objective:>12}")
    return "\n".join(lines)


__all__ = ["ValidationReport", "format_report", "validate"]
