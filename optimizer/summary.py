"""The fixed-width text summary printed at the end of a solve."""

from __future__ import annotations

from optimizer.domain.schedule import OBJECTIVE_TERMS, SolveResult


def _num(value: float | None, fmt: str = ",.0f") -> str:
    return "-" if value is None else format(value, fmt)


def summary(result: SolveResult) -> str:
    k = result.kpis
    lines = [
        f"{'instance':<28}{result.instance}",
        f"{'status':<28}{result.status}",
    ]
    if result.status in ("infeasible", "unknown", "invalid"):
        lines += [f"  - {line}" for line in result.explanation]
        return "\n".join(lines)
    gap = "-" if result.gap is None else f"{100 * result.gap:.2f}%"
    lines += [
        f"{'objective':<28}{_num(result.objective)}",
        f"{'best bound':<28}{_num(result.best_bound)}   (gap {gap})",
        f"{'anonymous bound':<28}{_num(result.anonymous_bound)}   (coverage + labor cost, no names)",
        f"{'wall time':<28}{result.wall_time_s:.1f} s   ({result.stats.strategy}, "
        f"{result.stats.workers} worker(s), seed {result.stats.seed})",
        "",
        "objective terms",
    ]
    names = [*OBJECTIVE_TERMS, *(name for name in result.terms if name not in OBJECTIVE_TERMS)]
    lines += [f"  {name:<26}{result.terms.get(name, 0):>14,}" for name in names]
    lines += [
        "",
        "coverage and cost",
        f"  {'required agent-hours':<26}{k.required_agent_hours:>14,.1f}",
        f"  {'under-staffed agent-hours':<26}{k.under_staffed_agent_hours:>14,.1f}",
        f"  {'over-staffed agent-hours':<26}{k.over_staffed_agent_hours:>14,.1f}",
        f"  {'coverage':<26}{k.coverage_pct:>13.2f}%",
        f"  {'shifts':<26}{k.shifts:>14,}",
        f"  {'paid hours':<26}{k.paid_hours:>14,.1f}",
        f"  {'labor cost':<26}{k.labor_cost:>14,.2f}",
        f"  {'preferences honored':<26}{k.preferences_honored:>8,} / {k.preferences_total:,}",
        f"  {'hours per agent':<26}{k.hours_per_agent_min:>8.1f} .. {k.hours_per_agent_max:.1f}"
        f"  (spread {k.hours_per_agent_spread:.1f})",
        f"  {'soft violations':<26}{len(result.violations):>14,}",
    ]
    return "\n".join(lines)
