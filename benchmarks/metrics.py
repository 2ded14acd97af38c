"""Metrics computed from one solve: anytime behaviour (primal integral, time to within 1 %) and the
coverage gap against the anonymous lower bound. Pure functions on plain numbers, so they are easy to
test and to reuse (compare, report).

A *trace* is a list of ``(elapsed_s, objective)`` or ``(elapsed_s, objective, bound)`` points, one
per new incumbent, in time order (objectives are minimised). Points that do not improve on an
earlier one are ignored: the incumbent at time t is the best objective seen at or before t.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence

COVERAGE_TERMS = ("under_staffing", "over_staffing", "labor_cost", "shift_demand")
"""The objective terms that the anonymous bound bounds from below (see SolveResult.anonymous_bound)."""


def incumbents(trace: Iterable[Sequence[float | None]]) -> list[tuple[float, float]]:
    """(time, best objective so far) at each strict improvement, in time order."""
    out: list[tuple[float, float]] = []
    for point in sorted((p for p in trace if p[1] is not None), key=lambda p: p[0]):
        t, value = float(point[0]), float(point[1])  # type: ignore[arg-type]
        if not out or value < out[-1][1]:
            out.append((max(0.0, t), value))
    return out


def primal_gap(value: float | None, reference: float) -> float:
    """Berthold's primal gap of an incumbent `value` against the reference (final best) objective:
    1 without an incumbent or when the signs differ, 0 when both are 0, otherwise
    |value - reference| / max(|value|, |reference|) (always in [0, 1])."""
    if value is None:
        return 1.0
    if value == reference:
        return 0.0
    if value * reference < 0:
        return 1.0
    return min(1.0, abs(value - reference) / max(abs(value), abs(reference)))


def primal_integral(
    trace: Iterable[Sequence[float | None]], final_best: float | None, horizon_s: float
) -> float | None:
    """Normalised primal integral (Berthold 2013, "Measuring the impact of primal heuristics").

    With p(t) the primal gap (`primal_gap`) of the incumbent at time t against `final_best`, and
    p(t) = 1 before the first incumbent, returns (1/T) * integral over [0, T] of p(t) dt with
    T = `horizon_s`. p is a step function, so the integral is a sum of rectangles. The value is in
    [0, 1]: 0 means the final schedule was there at once, 1 that nothing was found by T. Incumbents
    after T are ignored. None without a final objective or with T <= 0.
    """
    if final_best is None or horizon_s <= 0:
        return None
    area = 0.0
    last_t, last_gap = 0.0, 1.0
    for t, value in incumbents(trace):
        if t >= horizon_s:
            break
        area += (t - last_t) * last_gap
        last_t, last_gap = t, primal_gap(value, final_best)
    area += (horizon_s - last_t) * last_gap
    return area / horizon_s


def time_to_within(
    trace: Iterable[Sequence[float | None]], final_best: float | None, fraction: float = 0.01
) -> float | None:
    """First time at which the incumbent is within `fraction` of `final_best` (relative to
    |final_best|; exactly equal when final_best is 0). None when no point of the trace gets there."""
    if final_best is None:
        return None
    tolerance = fraction * abs(final_best)
    for t, value in incumbents(trace):
        if value - final_best <= tolerance + 1e-9:
            return t
    return None


def coverage_gap_pct(
    terms: Mapping[str, float] | None,
    anonymous_bound: float | None,
    required_agent_intervals: float,
    first_under_weight: float,
) -> float | None:
    """100 * (under_staffing + over_staffing + labor_cost + shift_demand - anonymous_bound)
    / (required agent-intervals * the first under-staffing weight).

    The numerator is how much worse the named schedule's coverage-and-cost part is than the anonymous
    lower bound; the denominator is the cost of leaving every required agent-interval uncovered at the
    first (cheapest) under-staffing price, so 1 % means "as bad as 1 % of demand missing". None when
    there are no terms, no bound or no demand (not meaningful)."""
    if not terms or anonymous_bound is None or required_agent_intervals <= 0 or first_under_weight <= 0:
        return None
    part = sum(float(terms.get(name, 0)) for name in COVERAGE_TERMS)
    return 100.0 * (part - anonymous_bound) / (required_agent_intervals * first_under_weight)


def relative_difference(value: float | None, reference: float | None) -> float | None:
    """(value - reference) / |reference| (a fraction); 0 when both are 0, None when undefined."""
    if value is None or reference is None:
        return None
    if reference == 0:
        return 0.0 if value == 0 else None
    return (value - reference) / abs(reference)


def ratio(b: float | None, a: float | None) -> float | None:
    """b / a, 1 when both are 0, None when undefined (a missing or a 0 with b not 0)."""
    if a is None or b is None:
        return None
    if a == 0:
        return 1.0 if b == 0 else None
    return b / a


def median(values: Iterable[float | None]) -> float | None:
    present = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return statistics.median(present) if present else None
