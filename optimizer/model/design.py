"""The shift-design model: which shift lines to open and how many agents of each pool work each
line on each date, to cover the demand (`Instance.design`; the objective is defined in
`optimizer.domain.schedule.DesignShift`).

Patterns. A pattern is a shift line as an agent sees it: start time of day, length and the start
offset of each break (the template is not part of it). `enumerate_patterns` lists every pattern
the templates allow (starts, lengths, each break placement inside its window, in rule order, with
the minimum work between breaks and after the last one) and, per date, the templates that give it.

Encoding (`DesignModel`), for a candidate subset of the patterns (the counts of the others fixed):

* x[p, d, k] in 0..U_k: agents of skill k on pattern p starting on date d (U_k the skill's peak
  demand, or the pool's daily maximum); y[p] Boolean, x[p, d, k] <= U_k * y[p], and an open
  pattern has some agent;
* coverage per skill and interval: the counts covering it (interval index modulo the horizon when
  it is cyclic, nothing past its end otherwise) + under - over = required, under in piecewise
  segments (the k-th missing agent costs the k-th weight);
* the average net length band of a pool: lo * N - W <= dev_lo, W - hi * N <= dev_hi;
* the pool's daily maximum: sum of x over its skills and patterns per date.
Objective: the design terms, exactly (an interval no free count covers adds a constant).

`PatternScorer` rates every pattern against a residual demand, vectorized: what the LNS offers.
(A change-point model, "patterns whose edges all lie where some demand changes", and a full model
with an LP-guided candidate set were measured and dropped: see optimizer/solve/design.py.)
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from optimizer.domain.instance import DesignPool, Instance, ShiftTemplate

logger = logging.getLogger(__name__)

RULE_BAND = "average net shift length"
RULE_DAILY_MAX = "pool's daily maximum"

PatternKey = tuple[int, int, tuple[int, ...]]
"""(start minute of day, length minutes, break start offsets)."""


@dataclass(frozen=True)
class BreakSpec:
    name: str
    offset: int
    duration: int
    paid: bool


@dataclass
class Pattern:
    start: int
    length: int
    breaks: tuple[BreakSpec, ...]
    templates: dict[int, list[str]] = field(default_factory=dict)
    """Date index -> templates giving this pattern on that date (instance order)."""

    @property
    def key(self) -> PatternKey:
        return (self.start, self.length, tuple(b.offset for b in self.breaks))

    @property
    def net_minutes(self) -> int:
        return self.length - sum(b.duration for b in self.breaks if not b.paid)

    def edges(self) -> list[tuple[int, int]]:
        """(minute offset from the shift start, +1 / -1) of every coverage change."""
        out = [(0, 1), (self.length, -1)]
        for b in self.breaks:
            out += [(b.offset, -1), (b.offset + b.duration, 1)]
        return out

    def edge_times_of_day(self) -> set[int]:
        return {(self.start + offset) % 1440 for offset, _ in self.edges()}

    def covered_offsets(self, step: int) -> list[int]:
        """Interval offsets (from the shift start) the shift covers outside its breaks."""
        on_break = {i for b in self.breaks for i in range(b.offset // step, (b.offset + b.duration) // step)}
        return [i for i in range(self.length // step) if i not in on_break]


def break_placements(template: ShiftTemplate, length: int, step: int) -> Iterator[tuple[BreakSpec, ...]]:
    """Every placement of the template's breaks for a shift of `length` minutes."""
    rules = template.breaks_for_length(length)

    def place(k: int, earliest: int) -> Iterator[tuple[BreakSpec, ...]]:
        if k == len(rules):
            yield ()
            return
        rule = rules[k]
        lo = max(rule.earliest_offset_minutes, earliest)
        hi = min(rule.latest_offset_minutes, length - rule.duration_minutes - rule.min_work_after_minutes)
        lo += -lo % step
        for offset in range(lo, hi + 1, step):
            spec = BreakSpec(rule.name, offset, rule.duration_minutes, rule.paid)
            for rest in place(k + 1, offset + rule.duration_minutes + template.min_work_between_breaks_minutes):
                yield (spec, *rest)

    yield from place(0, 0)


def enumerate_patterns(instance: Instance) -> list[Pattern]:
    step = instance.horizon.interval_minutes
    patterns: dict[PatternKey, Pattern] = {}
    for template in instance.templates:
        days = [d for d in range(instance.horizon.days) if template.allowed_on(instance.horizon.weekday_of_day(d))]
        if not days:
            continue
        for start in template.start_minutes_of_day():
            if start % step:
                continue
            for length in template.lengths_minutes:
                for breaks in break_placements(template, length, step):
                    pattern = Pattern(start, length, breaks)
                    pattern = patterns.setdefault(pattern.key, pattern)
                    for d in days:
                        names = pattern.templates.setdefault(d, [])
                        if template.id not in names:
                            names.append(template.id)
    return sorted(patterns.values(), key=lambda p: p.key)


def pool_of_skill(instance: Instance) -> dict[str, DesignPool]:
    assert instance.design is not None
    return {skill: pool for pool in instance.design.pools for skill in pool.skills}


def template_for(pattern: Pattern, day: int, pool: DesignPool) -> str | None:
    """The template a line of this pattern follows for this pool on this date (None: not allowed)."""
    allowed = pool.templates
    return next((t for t in pattern.templates.get(day, []) if allowed is None or t in allowed), None)


def skill_caps(instance: Instance) -> dict[str, int]:
    """Upper bound on the agents of a skill on one pattern and date: the skill's peak demand (more
    only adds over-staffing), or the pool's daily maximum when smaller."""
    pools = pool_of_skill(instance)
    caps = {}
    for skill in pools:
        peak = max(instance.required(skill), default=0)
        cap = max(1, peak)
        daily = pools[skill].max_agents_per_day
        caps[skill] = min(cap, daily) if daily is not None else cap
    return caps


Solution = dict[tuple[int, int, str], int]
"""(pattern index, date index, skill) -> agents."""


class DesignModel:
    """The CP-SAT model over the candidate patterns `candidates` (indices into `patterns`). The
    counts of `fixed` (patterns outside the candidates) are constants: their coverage, their
    patterns and their shifts count in the objective, which is always the instance's.

    `exact`: only designs without under- or over-staffing (coverage equals demand), with the
    redundant rule that every jump of the demand needs a pattern with an edge of its sign there (a
    start or break end where it rises, an end or break start where it falls). A heuristic
    restriction, strong on demand curves that some design covers exactly; its optimum is not the
    instance's. There each count is capped by the least demand it covers, and coverage is stated
    as jumps (`_cover_exactly`)."""

    def __init__(self, instance: Instance, patterns: list[Pattern], candidates: Iterable[int],
                 fixed: Solution | None = None, exact: bool = False) -> None:
        self.exact = exact
        self.instance = instance
        self.patterns = patterns
        self.candidates = sorted(set(candidates))
        self.fixed = {k: v for k, v in (fixed or {}).items() if v and k[0] not in set(self.candidates)}
        self.model = cp_model.CpModel()
        self.x: dict[tuple[int, int, str], cp_model.IntVar] = {}
        self.y: dict[int, cp_model.IntVar] = {}
        self.terms: dict[str, cp_model.LinearExprT] = {}
        self.under: dict[tuple[str, int], list[tuple[cp_model.IntVar, int, int]]] = {}
        self.over: dict[tuple[str, int], cp_model.IntVar] = {}
        self.band: dict[str, tuple[cp_model.IntVar, cp_model.IntVar, int, int]] = {}
        self._build()

    def _build(self) -> None:  # noqa: C901 - one pass over the families
        inst, m = self.instance, self.model
        horizon = inst.horizon
        step, n, cyclic = horizon.interval_minutes, horizon.num_intervals, horizon.cyclic
        pools = pool_of_skill(inst)
        caps = skill_caps(inst)
        skills = [s.id for s in inst.skills if s.id in pools]
        cover: dict[str, list[list[cp_model.IntVar]]] = {s: [[] for _ in range(n)] for s in skills}
        constant = {s: [0] * n for s in skills}
        per_pool_day: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
        fixed_per_pool_day: dict[tuple[str, int], int] = defaultdict(int)
        duties: dict[str, list[tuple[cp_model.IntVar, int]]] = defaultdict(list)
        fixed_count: dict[str, int] = defaultdict(int)
        fixed_work: dict[str, int] = defaultdict(int)

        def covered(pattern: Pattern, d: int) -> Iterator[int]:
            first = (d * 1440 + pattern.start) // step
            for offset in pattern.covered_offsets(step):
                t = first + offset
                if cyclic:
                    yield t % n
                elif t < n:
                    yield t

        for (p, d, skill), agents in self.fixed.items():
            pattern = self.patterns[p]
            for t in covered(pattern, d):
                constant[skill][t] += agents
            pool = pools[skill].id
            fixed_per_pool_day[(pool, d)] += agents
            fixed_count[pool] += agents
            fixed_work[pool] += agents * (pattern.net_minutes // step)

        required = {skill: inst.required(skill) for skill in skills}
        for p in self.candidates:
            pattern = self.patterns[p]
            xs = []
            for d in range(horizon.days):
                slots = None
                for skill in skills:
                    pool = pools[skill]
                    if template_for(pattern, d, pool) is None:
                        continue
                    slots = slots if slots is not None else list(covered(pattern, d))
                    cap = caps[skill]
                    if self.exact:  # an exact cover puts no more agents on a line than it needs anywhere
                        cap = min([cap, *(required[skill][t] - constant[skill][t] for t in slots)])
                        if cap <= 0:
                            continue
                    var = m.new_int_var(0, cap, f"x[{p},{d},{skill}]")
                    self.x[(p, d, skill)] = var
                    xs.append((var, cap))
                    for t in slots:
                        cover[skill][t].append(var)
                    per_pool_day[(pool.id, d)].append(var)
                    duties[pool.id].append((var, pattern.net_minutes // step))
            if not xs:
                continue
            y = m.new_bool_var(f"y[{p}]")
            self.y[p] = y
            for var, cap in xs:
                m.add(var <= cap * y)
            m.add(sum(v for v, _ in xs) >= y)  # an open line is used (no empty lines)

        under_cost: list[cp_model.LinearExprT] = []
        over_cost: list[cp_model.LinearExprT] = []
        self.constant_terms = {"under_staffing": 0, "over_staffing": 0}
        for skill in skills:
            req = inst.required(skill)
            weights = inst.under_weights(skill)
            over_w = inst.over_weight(skill)
            if self.exact:
                self._cover_exactly(skill, cover[skill], [r - c for r, c in zip(req, constant[skill], strict=True)],
                                    step, n, cyclic)
                continue
            for t in range(n):
                if not cover[skill][t]:  # nothing free covers it: its cost is a constant
                    short = max(0, req[t] - constant[skill][t])
                    self.constant_terms["under_staffing"] += sum(weights[min(i, len(weights) - 1)]
                                                                 for i in range(short))
                    self.constant_terms["over_staffing"] += over_w * max(0, constant[skill][t] - req[t])
                    continue
                top = sum(caps[skill] for _ in cover[skill][t]) + constant[skill][t]
                segments = _shortfall(m, req[t], weights, f"under[{skill},{t}]")
                over = m.new_int_var(0, max(0, top - req[t]), f"over[{skill},{t}]")
                self.under[(skill, t)] = segments
                self.over[(skill, t)] = over
                shortfall = sum((v for v, _, _ in segments), cp_model.LinearExpr.constant(0))
                m.add(sum(cover[skill][t], cp_model.LinearExpr.constant(0)) + shortfall - over
                      == req[t] - constant[skill][t])
                under_cost.append(cp_model.LinearExpr.weighted_sum([v for v, _, _ in segments],
                                                                   [w for _, w, _ in segments]))
                over_cost.append(over_w * over)
        if self.exact:
            self._explain_jumps(skills, step, n, cyclic)
        fixed_patterns = len({self.patterns[p].key for (p, _, _) in self.fixed})
        self.terms["under_staffing"] = sum(under_cost, cp_model.LinearExpr.constant(
            self.constant_terms["under_staffing"]))
        self.terms["over_staffing"] = sum(over_cost, cp_model.LinearExpr.constant(self.constant_terms["over_staffing"]))
        self.terms["shift_patterns"] = inst.weights.shift_patterns * (
            sum(self.y.values(), cp_model.LinearExpr.constant(0)) + fixed_patterns)

        band_cost = []
        assert inst.design is not None
        for pool in inst.design.pools:
            band = pool.avg_net_shift_minutes
            if pool.max_agents_per_day is not None:
                for d in range(horizon.days):
                    day_vars = per_pool_day.get((pool.id, d), [])
                    if day_vars:
                        m.add(sum(day_vars) <= pool.max_agents_per_day - fixed_per_pool_day[(pool.id, d)]
                              ).with_name(f"{RULE_DAILY_MAX}: {pool.id}")
            if band is None or not inst.weights.avg_shift_length:
                continue
            free = duties[pool.id]
            count = cp_model.LinearExpr.sum([v for v, _ in free]) + fixed_count[pool.id]
            work = cp_model.LinearExpr.weighted_sum([v for v, _ in free], [w for _, w in free]) + fixed_work[pool.id]
            lo, hi = band.min_minutes // step, band.max_minutes // step
            longest = max([w for _, w in free] + [1])
            most = sum(caps[s] for (_, _, s) in self.x if pools[s].id == pool.id) + fixed_count[pool.id]
            big = most * max(hi, lo, longest) + fixed_work[pool.id] + 1
            dev_lo = m.new_int_var(0, big, f"band_lo[{pool.id}]")
            dev_hi = m.new_int_var(0, big, f"band_hi[{pool.id}]")
            m.add(dev_lo >= lo * count - work).with_name(f"{RULE_BAND}: {pool.id}")
            m.add(dev_hi >= work - hi * count).with_name(f"{RULE_BAND}: {pool.id}")
            band_cost.append(inst.weights.avg_shift_length * (dev_lo + dev_hi))
            self.band[pool.id] = (dev_lo, dev_hi, lo, hi)
        self.terms["avg_shift_length"] = sum(band_cost, cp_model.LinearExpr.constant(0))
        self.model.minimize(sum(self.terms.values(), cp_model.LinearExpr.constant(0)))

    def _cover_exactly(self, skill: str, cover: list[list[cp_model.IntVar]], target: list[int], step: int, n: int,
                       cyclic: bool) -> None:
        """Coverage equals `target`, stated as its level at the first interval and its jump at
        every other: a jump involves only the lines with an edge there, so these rows are short
        (measured over the change-point patterns, 1 worker, 4 seeds: DataSet2/RandomExample27
        reaches its reference in 4-5 s in 3 runs of 4, against 1 of 4 within 15 s with one
        coverage row per interval; RandomExample23 is slower, 1-8.5 s against 0.6-3.7 s)."""
        m = self.model
        m.add(sum(cover[0], cp_model.LinearExpr.constant(0)) == target[0])
        jumps: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for (p, d, k), var in self.x.items():
            if k != skill:
                continue
            pattern = self.patterns[p]
            for offset, sign in pattern.edges():
                t = (d * 1440 + pattern.start + offset) // step
                if cyclic or t < n:
                    jumps[t % n][var.index] += sign
        for t in range(1, n):  # (cyclic: the jump back to the first interval follows from the others)
            terms = [(m.get_int_var_from_proto_index(i), c) for i, c in jumps[t].items() if c]
            m.add(cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [c for _, c in terms]) == target[t] - target[t - 1])

    def _explain_jumps(self, skills: list[str], step: int, n: int, cyclic: bool) -> None:
        edges: dict[tuple[str, int, int], set[int]] = defaultdict(set)
        for (p, d, skill) in self.x:
            pattern = self.patterns[p]
            for offset, sign in pattern.edges():
                t = (d * 1440 + pattern.start + offset) // step
                if cyclic or t < n:
                    edges[(skill, t % n, sign)].add(p)
        for skill in skills:
            req = self.instance.required(skill)
            for t in range(n):
                before = req[t - 1] if t else (req[n - 1] if cyclic else 0)
                if req[t] != before:
                    sign = 1 if req[t] > before else -1
                    self.model.add_bool_or([self.y[p] for p in sorted(edges[(skill, t, sign)])])

    @property
    def size(self) -> int:
        return len(self.model.proto.variables) + len(self.model.proto.constraints)

    def hint(self, solution: Solution) -> None:
        """A complete hint: the counts of `solution` on the candidates (the rest is `fixed`) and
        every derived variable."""
        inst, m = self.instance, self.model
        step, n = inst.horizon.interval_minutes, inst.horizon.num_intervals
        free = {k: v for k, v in solution.items() if k in self.x and v}
        used = {p for (p, _, _) in free}
        for key, var in self.x.items():
            m.add_hint(var, free.get(key, 0))
        for p, y in self.y.items():
            m.add_hint(y, int(p in used))
        pools = pool_of_skill(inst)
        cover = {s: [0] * n for s in pools}
        count: dict[str, int] = defaultdict(int)
        work: dict[str, int] = defaultdict(int)
        for (p, d, skill), agents in [*free.items(), *self.fixed.items()]:
            pattern = self.patterns[p]
            first = (d * 1440 + pattern.start) // step
            for offset in pattern.covered_offsets(step):
                t = first + offset
                if inst.horizon.cyclic or t < n:
                    cover[skill][t % n] += agents
            count[pools[skill].id] += agents
            work[pools[skill].id] += agents * (pattern.net_minutes // step)
        required = {skill: inst.required(skill) for skill in cover}
        for (skill, t), segments in self.under.items():
            req = required[skill][t]
            short = max(0, req - cover[skill][t])
            for var, _, size in segments:
                m.add_hint(var, min(short, size))
                short -= min(short, size)
            m.add_hint(self.over[(skill, t)], max(0, cover[skill][t] - req))
        for pool_id, (dev_lo, dev_hi, lo, hi) in self.band.items():
            m.add_hint(dev_lo, max(0, lo * count[pool_id] - work[pool_id]))
            m.add_hint(dev_hi, max(0, work[pool_id] - hi * count[pool_id]))

    def read(self, solver: cp_model.CpSolver) -> Solution:
        """The whole solution: the solved counts and the fixed ones."""
        out = dict(self.fixed)
        out.update({key: v for key, var in self.x.items() if (v := solver.value(var))})
        return out


def _shortfall(
    model: cp_model.CpModel, top: int, weights: list[int], name: str
) -> list[tuple[cp_model.IntVar, int, int]]:
    """Missing agents in one interval as segments (variable, weight, size): the k-th missing agent
    costs weights[k-1] (the last weight repeats); segments fill in order."""
    segments: list[tuple[cp_model.IntVar, int, int]] = []
    remaining = top
    for k, weight in enumerate(weights):
        if remaining <= 0:
            break
        size = remaining if k == len(weights) - 1 else 1
        var = model.new_int_var(0, size, f"{name}#{k + 1}")
        if segments:
            model.add(var <= size * segments[-1][0])
        segments.append((var, weight, size))
        remaining -= size
    return segments


class PatternScorer:
    """How much of a residual demand each pattern could take on by itself, vectorized over all
    patterns: on date d for skill k, a pattern can carry c = min over its edges of the residual's
    jump there (with the edge's sign: a start needs the demand to rise, an end to fall), and at
    most the residual's minimum over the intervals it covers. A pattern of a zero-deviation
    design whose edges no other pattern shares has exactly its own count as c; patterns with
    c > 0 on many dates are the ones a good design is made of."""

    def __init__(self, instance: Instance, patterns: list[Pattern]) -> None:
        import numpy as np

        self.np = np
        horizon = instance.horizon
        self.step, self.n, self.days = horizon.interval_minutes, horizon.num_intervals, horizon.days
        self.cyclic = horizon.cyclic
        pools = pool_of_skill(instance)
        self.skills = [s.id for s in instance.skills if s.id in pools]
        step = self.step
        num = len(patterns)
        edges = max(len(p.edges()) for p in patterns) if patterns else 2
        segs = max(len(p.breaks) + 1 for p in patterns) if patterns else 1
        self.edge_off = np.zeros((num, edges), dtype=np.int64)
        self.edge_sign = np.zeros((num, edges), dtype=np.int64)
        self.edge_pad = np.zeros((num, edges), dtype=bool)  # padding: no edge (never binding)
        self.seg_lo = np.zeros((num, segs), dtype=np.int64)
        self.seg_hi = np.zeros((num, segs), dtype=np.int64)
        self.net = np.zeros(num, dtype=np.int64)
        self.edge_count = np.array([len(p.edges()) for p in patterns], dtype=np.int64)
        self.start = np.array([p.start // step for p in patterns], dtype=np.int64)
        for i, p in enumerate(patterns):
            e = p.edges()
            self.edge_pad[i, len(e):] = True
            e += [e[0]] * (edges - len(e))
            self.edge_off[i] = [o // step for o, _ in e]
            self.edge_sign[i] = [s for _, s in e]
            bounds, cursor = [], 0
            for b in p.breaks:
                bounds.append((cursor, b.offset // step))
                cursor = (b.offset + b.duration) // step
            bounds.append((cursor, p.length // step))
            bounds += [bounds[0]] * (segs - len(bounds))
            self.seg_lo[i] = [lo for lo, _ in bounds]
            self.seg_hi[i] = [hi for _, hi in bounds]
            self.net[i] = len(p.covered_offsets(step))
        self.allowed = np.zeros((num, self.days, len(self.skills)), dtype=bool)
        for i, p in enumerate(patterns):
            for d in range(self.days):
                for k, skill in enumerate(self.skills):
                    self.allowed[i, d, k] = template_for(p, d, pools[skill]) is not None
        self.first = (np.arange(self.days)[None, :] * (1440 // step) + self.start[:, None])  # (num, days)

    def counts(self, residual: Any, relax: int = 0) -> Any:
        return self.evaluate(residual, relax)[0]

    def evaluate(self, residual: Any, relax: int = 0) -> tuple[Any, Any]:
        return self.evaluate_levels(residual, (relax,))[0]

    def evaluate_levels(self, residual: Any, levels: tuple[int, ...]) -> list[tuple[Any, Any]]:
        """(c[p, d, k], slack[p]) for a residual demand (one row per skill, one value per
        interval), per relaxation level: with level r, the r most binding edges are ignored (an
        edge may be hidden in the demand by another pattern's opposite edge at the same time).
        The slack is what the counts leave unexplained of the jumps at the pattern's edges."""
        np = self.np
        n = self.n
        big = 1 << 30
        res = np.asarray(residual, dtype=np.int64)  # (K, n)
        if self.cyclic:
            ext = np.concatenate([res, res, res[:, :1]], axis=1)
            jump = np.concatenate([res - np.roll(res, 1, axis=1)] * 2 + [res[:, :1] - res[:, -1:]], axis=1)
        else:
            pad = np.full((res.shape[0], n + 1), big, dtype=np.int64)
            ext = np.concatenate([res, pad], axis=1)
            jump = np.concatenate([res - np.concatenate([np.zeros_like(res[:, :1]), res[:, :-1]], axis=1), pad],
                                  axis=1)
        # Range minimum (sparse table) over ext, for the covered segments.
        table = [ext]
        width = 1
        while 2 * width <= ext.shape[1]:
            prev = table[-1]
            table.append(np.minimum(prev[:, :-width], prev[:, width:]))
            width *= 2
        first = self.first  # (num, days)
        vals = []
        for e in range(self.edge_off.shape[1]):
            idx = first + self.edge_off[:, e:e + 1]  # (num, days)
            val = (jump[:, idx] * self.edge_sign[:, e][None, :, None]).transpose(1, 2, 0)
            val[self.edge_pad[:, e]] = big
            vals.append(val)
        edges = np.sort(np.stack(vals), axis=0)  # (edges, num, days, K)
        segmin = np.full(edges.shape[1:], big, dtype=np.int64)
        for s in range(self.seg_lo.shape[1]):
            lo = first + self.seg_lo[:, s:s + 1]
            hi = first + self.seg_hi[:, s:s + 1]
            length = hi - lo
            level = np.floor(np.log2(np.maximum(length, 1))).astype(np.int64)
            for lv in np.unique(level):
                mask = (level == lv) & (length > 0)
                w = 1 << int(lv)
                a = lo[mask]
                b = hi[mask] - w
                m = np.minimum(table[lv][:, a], table[lv][:, b])  # (K, masked)
                segmin[mask] = np.minimum(segmin[mask], m.T)
        clipped = np.where(edges >= big, 0, np.clip(edges, 0, None))
        clipped[:, ~self.allowed] = 0
        results = []
        for relax in levels:
            out = np.minimum(edges[min(relax, edges.shape[0] - 1)], segmin)
            out = np.clip(out, 0, None)
            out[~self.allowed] = 0
            out[out >= big] = 0
            slack = (clipped - out[None]).clip(0, None).sum(axis=(0, 2, 3))
            results.append((out, slack))
        return results

    def coverage(self, p: int, counts: Any) -> list[list[int]]:
        """Coverage per skill and interval of pattern p with counts[d, k]."""
        np = self.np
        cover = np.zeros((len(self.skills), self.n), dtype=np.int64)
        for s in range(self.seg_lo.shape[1]):
            if s and self.seg_lo[p, s] == self.seg_lo[p, 0] and self.seg_hi[p, s] == self.seg_hi[p, 0]:
                continue
            for d in range(self.days):
                lo, hi = self.first[p, d] + self.seg_lo[p, s], self.first[p, d] + self.seg_hi[p, s]
                idx = np.arange(lo, hi)
                if self.cyclic:
                    idx %= self.n
                else:
                    idx = idx[idx < self.n]
                cover[:, idx] += np.asarray(counts[d]).reshape(-1, 1)
        return cover

    def cover_of(self, solution: Solution) -> Any:
        """Coverage per skill and interval of a solution."""
        np = self.np
        counts = np.zeros((self.allowed.shape[0], self.days, len(self.skills)), dtype=np.int64)
        index = {skill: k for k, skill in enumerate(self.skills)}
        for (p, d, skill), agents in solution.items():
            counts[p, d, index[skill]] += agents
        cover = np.zeros((len(self.skills), self.n), dtype=np.int64)
        for p in sorted({p for (p, _, _) in solution}):
            cover += self.coverage(p, counts[p])
        return cover
