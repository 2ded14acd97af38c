"""The fixed-width text summary printed at the end of a solve."""

from __future__ import annotations

from optimizer.domain.schedule import OBJECTIVE_TERMS, DayChange, SolveResult
from optimizer.service_level import service_level_lines


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
    ]
    if result.self_check is not None:
        check = result.self_check
        lines.append(f"{'validator':<28}" + ("every hard rule holds, the numbers match" if check.ok else
                                             f"FAILED: {check.hard_violations} hard violation(s), "
                                             f"{check.mismatches} mismatch(es)"))
    lines += [
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
    lines += service_level_lines(result)  # skills with a forecast: predicted service level
    if result.changes is not None:
        lines += _changes(result)  # with the notes on the published roster
    elif result.notes:
        lines += ["", "notes", *(f"  - {note}" for note in result.notes)]
    return "\n".join(lines)


def _changes(result: SolveResult) -> list[str]:
    d = result.changes
    assert d is not None
    before, after = d.kpis_before, d.kpis_after
    lines = [
        "",
        "changes against the published roster",
        f"  {'agent-days changed':<26}{d.agent_days_changed:>8,} / {d.agent_days:,}  ({100 * d.changed_share:.1f}%)",
        "  " + ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in d.counts.items()),
        f"  {'paid hours':<26}+{d.paid_hours_added:,.1f} / -{d.paid_hours_removed:,.1f}",
        f"  {'':<26}{'published':>14}{'new':>14}",
        f"  {'coverage':<26}{before.coverage_pct:>13.2f}%{after.coverage_pct:>13.2f}%",
        f"  {'under-staffed agent-hours':<26}{before.under_staffed_agent_hours:>14,.1f}"
        f"{after.under_staffed_agent_hours:>14,.1f}",
        f"  {'labor cost':<26}{before.labor_cost:>14,.2f}{after.labor_cost:>14,.2f}",
    ]
    if d.objective_before is not None and result.objective is not None:
        lines.append(f"  {'objective':<26}{d.objective_before:>14,}{result.objective:>14,}")
    if d.agents_left or d.agents_joined:
        lines.append(f"  agents left: {len(d.agents_left)}, joined: {len(d.agents_joined)}")
    lines += [f"  - {note}" for note in result.notes]
    shown = [c for c in d.days if c.change != "unchanged"][:15]
    lines += [f"  {c.agent_id:<14}{c.date}  {_change_text(c)}" for c in shown]
    if d.agent_days_changed > len(shown):
        lines.append(f"  ... {d.agent_days_changed - len(shown)} more in the schedule file (changes.days)")
    return lines


def _change_text(c: DayChange) -> str:
    if c.change == "moved":
        return (f"{c.before_template} {c.before_start:%H:%M}-{c.before_end:%H:%M} -> {c.after_template} "
                f"{c.after_start:%H:%M}-{c.after_end:%H:%M}")
    if c.change == "added":
        return f"added {c.after_template} {c.after_start:%H:%M}-{c.after_end:%H:%M}"
    if c.change == "removed":
        return f"removed {c.before_template} {c.before_start:%H:%M}-{c.before_end:%H:%M}"
    return f"{c.breaks_moved} break(s) moved"
