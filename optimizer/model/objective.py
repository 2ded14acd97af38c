"""Named, weighted objective terms, so a solve can report each term and the validator can compare
term by term."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from optimizer.domain.schedule import OBJECTIVE_TERMS


@dataclass
class ObjectiveTerms:
    """Linear expressions per objective term name (see optimizer.domain.schedule)."""

    exprs: dict[str, list[cp_model.LinearExprT]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def empty(cls) -> ObjectiveTerms:
        return cls()

    def add(self, name: str, expr: cp_model.LinearExprT) -> None:
        assert name in OBJECTIVE_TERMS, name
        self.exprs[name].append(expr)

    def add_weighted(self, name: str, literals: list[cp_model.IntVar], weights: list[int]) -> None:
        pairs = [(v, w) for v, w in zip(literals, weights, strict=True) if w]
        if pairs:
            self.add(name, cp_model.LinearExpr.weighted_sum([v for v, _ in pairs], [w for _, w in pairs]))

    def merge(self, other: ObjectiveTerms) -> None:
        for name, exprs in other.exprs.items():
            self.exprs[name].extend(exprs)

    def term(self, name: str) -> cp_model.LinearExprT:
        return sum(self.exprs.get(name, []), cp_model.LinearExpr.constant(0))

    def total(self) -> cp_model.LinearExprT:
        return sum((self.term(name) for name in OBJECTIVE_TERMS), cp_model.LinearExpr.constant(0))


def piecewise_shortfall(
    model: cp_model.CpModel, shortfall_max: int, weights: list[int], name: str
) -> tuple[cp_model.LinearExprT, cp_model.LinearExprT]:
    """A shortfall variable whose cost grows with each missing unit: the k-th unit costs
    weights[k-1] (the last weight repeats). Returns (shortfall, cost). Because the weights do not
    decrease, minimizing fills the cheap segments first; the reported objective of a solution is
    recomputed exactly from the shortfall itself."""
    segments: list[cp_model.IntVar] = []
    costs: list[int] = []
    for k in range(min(len(weights) - 1, shortfall_max)):
        segments.append(model.new_bool_var(f"{name}#{k + 1}"))
        costs.append(weights[k])
    rest = shortfall_max - len(segments)
    if rest > 0:
        segments.append(model.new_int_var(0, rest, f"{name}#{len(segments) + 1}+"))
        costs.append(weights[len(segments) - 1] if len(segments) - 1 < len(weights) else weights[-1])
    # Fill in order, so that the cost of any solution (not only an optimal one) is the formula's.
    for k in range(1, len(segments)):
        if k == len(segments) - 1 and rest > 0:
            model.add(segments[k] <= rest * segments[k - 1])
        else:
            model.add(segments[k - 1] >= segments[k])
    return sum(segments, cp_model.LinearExpr.constant(0)), cp_model.LinearExpr.weighted_sum(segments, costs)


def piecewise_cost(shortfall: int, weights: list[int]) -> int:
    """Cost of a shortfall under increasing per-unit weights (last weight repeats). In closed form:
    a shortfall can be as large as the demand, and a loop over its units held a solve for hours."""
    stepped = min(shortfall, len(weights))
    return sum(weights[:stepped]) + (shortfall - stepped) * weights[-1]
