"""Column generation over whole rosters: a lower bound, and schedules that no neighbourhood reaches.

Why: on rostering benchmarks the neighbourhood search can settle in a schedule that no
neighbourhood improves. Measured on Curtois Instance5 (16 agents, 28 days): a schedule at 1,238
(best-known 1,143) could not be improved by re-solving any 2, 3 or 4 agents over the whole horizon,
every agent over any window of up to 20 days, or the whole model from that schedule for 20 s. The
better schedules give more agents their full 18 shifts: a change of structure across the whole
horizon for most agents at once.

How: when the objective is a sum of per-agent costs plus the cover per shift type and day (hard
rules are all per agent), a schedule is one roster per agent, and the linear relaxation over
rosters (the "master": choose a convex combination of rosters per agent, pay for the cover
shortfall and surplus) is strong. Its duals price the cover; each agent's best roster at those
prices (the agent's own model, solved by CP-SAT, with the duals subtracted) is a new column when
its reduced cost is negative. At every round, the prices times the requirements plus each agent's
least priced cost is a valid lower bound (Lagrangian bound); when no column prices out, it is the
relaxation's value. Instance5 from the 1,238 schedule: the relaxation converges in 31 rounds (5 s)
at 1,140.6 (bound 1,141, the published column generation bound). Fewer, cheaper rounds: each round
prices at duals smoothed towards those of the best bound so far and takes up to three rosters per
pricing (SMOOTHING, COLUMNS_PER_PRICING), and the relaxation is one linear program kept from round
to round, one column per roster (`_MasterLP`).

Then schedules: the integer master picks one roster per agent among the generated ones (hinted with
the incumbent's); the full model restricted to the shift options of each agent's rosters in the
relaxation's solution, the incumbent's and the master's (`restricted_model`) combines pieces of
them. Each finds what the other misses: the columns often fit together only fractionally (Instance8
master 2,012-3,312 for 3-10 s, with CP-SAT, SCIP and CBC alike, the restricted model 1,399-1,801),
while on Instance5 the master finds 1,143-1,148 from 1,238 and the restricted model alone stays at
1,238 or finds 1,161. The master's own search is uneven: on Instance5 it proved 1,145 optimal in
2.6 s in one run and stopped at 1,247 after 5 s in another (CBC proves 1,148 in 2.4 s on that run's
columns, CP-SAT in 4.5 s).

Diving (`dive`) goes further where the columns fit together only fractionally: fix the agents whose
rosters weigh most in the relaxation, price new rosters for the others against them, and repeat;
the last few agents are left to the full model. On Instance8 (30 agents, relaxation 1,296.6) the
relaxation rose to 1,298-1,305 with 20-24 agents fixed, and the full model completed the schedule at
1,304-1,316 (seeds 1-3), where the integer master stayed at 1,415-3,642. A dive is greedy and does
not backtrack: in about one run in three an early choice makes the relaxation jump (1,303 -> 1,333)
and the rosters no longer combine well (1,400-1,500); such a step is undone, and the dive ends
there or, after a long step, goes on in short ones (see DIVE_JUMP).

Tried and left out (Instance8, 60 s, 2 workers, six seeds each, 2026-11-29): backtracking (a step
after which the relaxation jumps, or whose completion is proven far above it, is undone and its
agents lose the rosters they were fixed to, up to 3 times, then re-priced) with the completion
probed at every state with at most 10 free agents: 1,303-1,409, two runs near 1,400, as without
it; steps half as large (share 0.05-0.2): the same; the restricted completion allowed every
generated roster's shifts instead of the relaxation's: worse (five runs at 1,400-1,410); the
integer master over the free agents' generated rosters as a completion (2 s): 1,305-2,805. What fails in
those runs is the completion more than the state: in one run, with 19 agents fixed (relaxation
1,306.3), the restricted completion was proven at 1,401 and CP-SAT found 1,398-1,400 for the other
11 agents in 30-120 s (bound 1,281), yet the dive to the last agent went on from that state to
1,314 in 2.4 s; with 18 fixed (relaxation 1,299.7) CP-SAT found 1,499-1,502 for the other 12 in 20
s, where two more dive steps and the restricted completion found 1,307 in 4 s. In most such runs
the dive to the last agent jumps too (1,306 -> 1,335 -> 1,404). Also tried (2026-11-29, one run
from the converged relaxation of seed 1): a dive over (agent, day) cells instead of whole rosters.
It fixes the cells on which the agent's heaviest roster carries the most weight, prices the agents
with those cells fixed, undoes a step that raises the relaxation by more than 0.1 % and forbids a
single cell's value when fixing it does. 520 of the 780 cells are integral in the converged
relaxation; the dive held 1,299.3-1,301.0 with 615-660 cells fixed (8 s), and then either value of
the next cell raised it to 1,322-1,350. CP-SAT completed those states at 1,398-1,602 in 5 s each,
whether unrestricted or restricted to the relaxation's rosters: the same completion problem.
Choosing a step's light agents by strong branching instead of by weight also left the runs where
they were (60 s, seeds 1-6): each candidate was scored by the relaxation's value with its heaviest
roster fixed (no re-pricing), and the least increase went first. Runs ended at 1,305-1,312 in five
seeds and 1,401 in one; the dives themselves completed at 1,308-1,313 or 1,401-1,504.
Nor did restarts from the root relaxation (same instance, 60 s, seeds 1-6, 2026-11-29). When a dive's
schedule ended more than 2 % above the relaxation, another dive started from the root while 8 s or
more were left, with each light agent's roster drawn at random in proportion to its weight. The runs
ended at 1,308 / 1,402 / 1,312 / 1,303 / 1,305 / 1,306. In seeds 1 and 2 the five restarts (11-13 s
each) completed at 1,308 once and at 1,402-1,502 four times: a drawn roster leads to a state that
does not complete more often than the heaviest one does. Fixing in the first step only the agents
whose heaviest roster weighs 0.95 or more (DIVE_FIX_WEIGHT, instead of 0.7): 1,401 / 1,306 / 1,303 /
1,400 / 1,303 / 1,304. With the full model capped at the 12 missing shifts of a 1,305 schedule
(shift demand 1,202, preferences 103) and hinted with it, CP-SAT found nothing better in 60 s
(bound 1,230): the last few points lie in the preferences and the over-cover.
Where those points lie (Instance8, 2026-11-29, 2 workers): six more seeds (7-12) ended at 1,305 /
1,397 / 1,308 / 1,312 / 1,303 / 1,306, every good one with shift demand 1,201 (12 missing shifts
and one surplus) and preferences 102-111. Cover alone (preferences weighted 0) is proven at 1,200
in 20-25 s and the preferences alone at 42 in 1 s, so the optimum 1,300 has both near their own
best at once. The full model restricted to the shifts of the five good schedules (every agent-day
allowed a day off or a shift it has in one of them) proves 1,303 optimal in 14 s: the optimum needs
shifts that none of them has, so no recombination of such runs reaches it. With the cover weights
times 100 (cover first), runs ended at cover 1,200 with preferences 104-105 (bound 98) or at 13
missing shifts; the full model with cover capped at 1,200 and hinted with a cover-optimal
schedule, 1,363 after 120 s; capped at 1,201 and hinted with a 1,303 schedule, CP-SAT on eight
workers found nothing better in 120 s (bound 1,273).
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ortools.linear_solver import linear_solver_pb2, pywraplp
from ortools.sat.python import cp_model

from optimizer.domain.instance import Instance
from optimizer.model.builder import ScheduleModel
from optimizer.model.variables import AgentVars

logger = logging.getLogger(__name__)

PRICE_SCALE = 100_000
"""Duals are rounded to 1/PRICE_SCALE in the pricing objective (integer coefficients); the bound
allows for that rounding."""
PRICE_MAX_S = 1.0
"""Time limit of one agent's pricing solve."""
PRICE_PLAIN_S = 0.1
"""Time limit of a pricing solve without cutting planes (a few hundredths of a second where they
are not needed); an agent whose pricing does not prove its optimum within it is priced again, and
from then on, with them (see `_pricing_solver`)."""
ROUNDS_EXPECTED = 25
"""Rounds that generation typically needs: from the one model's first schedule (5 s), Curtois
Instance4-12 converged in 16 to 29 rounds (Instance4 18, 5 18, 6 21, 7 26, 8 23, 9 20, 10 19, 11 16,
12 29; with one roster per agent and round at the relaxation's own duals: 18 to 53, Instance8 44,
Instance12 47)."""
PILOT_ROUNDS = 3
PILOT_ROUNDS_MAX = 10
"""From PILOT_ROUNDS to PILOT_ROUNDS_MAX rounds, generation gives up when ROUNDS_EXPECTED rounds at
the pace so far would not fit (the first rounds can be fast: Instance12 passed 3 rounds, then took
about 1.1 s a round)."""
PILOT_SLACK = 3.0
"""... would not fit in PILOT_SLACK times the time available: the pace of the first rounds varies by
half from run to run, and an unconverged relaxation still gives the restricted model its rosters.
Measured (60 s, 2 workers): Instance10, rounds 3-5 at about 1 s, gave up at a slack of 1 (4,746)
and converged in 25 rounds at 1.5 (4,633); Instance12 (0.6-1.1 s a round) at 1.5 gave up in two
of three runs, seeds 1, 4, 5: 4,420, 4,514, 4,520; never giving up: 4,384, 4,192, 4,488 (its
restricted model 6,200-6,600 from 10,600, the neighbourhoods then 4,100-4,500)."""

SMOOTHING = 0.5
"""Wentges smoothing: each round prices at SMOOTHING times the prices of the best bound so far plus
the rest times the relaxation's duals. The relaxation's duals swing from round to round, and the
rosters priced at them overshoot; prices near the best bound's give rosters that the final
relaxation keeps. When no roster prices out at the smoothed prices, the next round prices at the
relaxation's own duals, and only that round can end generation."""
COLUMNS_PER_PRICING = 3
"""At most this many rosters per agent and round: the best, and the last other improving solutions
the pricing search found on its way, each when its reduced cost is negative. Measured with smoothing
(one run each from the one model's 5 s schedule, 2 workers): Curtois Instance12 converged in 47
rounds (101 s) with neither, 39 (73 s) with smoothing, 30 (75 s) with 3 rosters, 29 (69 s) with both;
with both and the master kept from round to round, 29 rounds in 51 s; Instance8 44 rounds (40 s)
-> 23 (24 s)."""

DIVE_FIX_SHARE = 0.1
DIVE_ROUNDS = 10
DIVE_FIX_WEIGHT = 0.7
DIVE_FIX_SHARE_MAX = 0.4
DIVE_JUMP = 0.005
"""Diving (`Columns.dive`): each step fixes the integral agents and DIVE_FIX_SHARE of the others
(those whose heaviest roster weighs most), or twice the last step's share, up to DIVE_FIX_SHARE_MAX,
when that step left the relaxation unchanged (on Instance12 it stayed at 4,040 while 36 of 60 agents
were fixed in 11 s at one share); then it re-prices the free agents for at most DIVE_ROUNDS rounds.
A longer step that raises the relaxation by more than DIVE_JUMP (relative) is undone and the dive
goes on in short steps; a short one is undone and the dive ends there (unless it must fix every
agent): on Instance8 the steps raise it by 0.0-0.45 %, except in runs whose last steps jumped
1,303 -> 1,318 -> 1,332, and those dives were completed at 1,401-1,501 instead of 1,302-1,310."""

Roster = tuple[tuple[int, int], ...]
"""(day, option index within that day's options) of each shift of one agent's roster, sorted."""


@dataclass
class Dive:
    """Where a dive (`Columns.dive`) stopped: the fixed agents' rosters, and each free agent's
    heaviest roster and the rosters it weighs in the relaxation of that moment (`relaxation`)."""

    fixed: dict[str, Roster]
    heaviest: dict[str, Roster]
    support: dict[str, list[Roster]]
    relaxation: float

    @property
    def least_objective(self) -> int:
        """The least objective a schedule from this state can have: the objective is integral."""
        return math.ceil(self.relaxation - 1e-6)


def separable(instance: Instance) -> bool:
    """Whether the objective is a sum of per-agent costs plus the cover per shift type and day:
    no interval demand (its coverage couples agents per interval), no fairness of hours and no
    count of distinct shift patterns (both are terms over all agents). The master keeps one cover
    row per (date, template), so instances that repeat one are left to the neighbourhoods."""
    interval_demand = any(any(instance.required(row.skill)) for row in instance.demand)
    keys = [(row.date, row.template) for row in instance.shift_demand]
    return (bool(keys) and len(set(keys)) == len(keys) and not interval_demand
            and instance.weights.fairness == 0 and instance.weights.shift_patterns == 0)


@dataclass
class _Pricing:
    """One agent's own model (no cover demand): its cost, and a Boolean per shift option."""

    model: ScheduleModel
    own: cp_model.LinearExprT
    options: list[tuple[tuple[int, int], cp_model.IntVar, tuple[int, str]]]
    """(roster cell, its Boolean, the cover row key (day, template))."""
    cuts: bool = False
    """Priced with CP-SAT's cutting planes (see `_pricing_solver`): from the first pricing that
    did not prove its optimum within PRICE_PLAIN_S without them."""

    @functools.cached_property
    def row_of(self) -> dict[tuple[int, int], tuple[int, str]]:
        """The cover row key of each roster cell."""
        return {cell: key for cell, _, key in self.options}


@dataclass
class Columns:
    """Rosters per agent with their own cost, the master over them and the bound it proves."""

    m: ScheduleModel
    pricing: dict[str, _Pricing]
    rows: list[tuple[tuple[int, str], int, int, int]]
    """(day, template), required, under weight, over weight per cover row."""
    columns: dict[str, list[tuple[int, Roster]]] = field(default_factory=dict)
    bound: int | None = None
    converged: bool = False
    abandoned: bool = False
    """Given up during the pilot rounds: convergence would not fit in the time."""
    rounds: int = 0
    relaxation: float | None = None
    """The last relaxation's value."""
    support: dict[str, list[Roster]] = field(default_factory=dict)
    """Each agent's columns of positive weight in the last relaxation."""
    master: _MasterLP = field(init=False)

    def __post_init__(self) -> None:
        self.master = _MasterLP(self.rows, list(self.columns))

    @classmethod
    def build(cls, m: ScheduleModel) -> Columns:
        instance = m.instance
        bare = instance.model_copy(update={"shift_demand": []})
        pricing = {}
        for agent_id, agent_vars in m.agents.items():
            own_model = ScheduleModel(bare, [m.options[agent_id]])
            cells = shift_cells(own_model.agents[agent_id])
            if [c for c, _, _ in cells] != [c for c, _, _ in shift_cells(agent_vars)]:
                raise ValueError(f"agent {agent_id}: the agent's own model has other shift options")
            pricing[agent_id] = _Pricing(own_model, own_model.terms.total(), cells)
        rows = [((m.grid.day_of_date(r.date), r.template), r.required, r.under_weight, r.over_weight)
                for r in instance.shift_demand]
        return cls(m, pricing, rows, {agent_id: [] for agent_id in m.agents})

    def rosters_of(self, solution: list[int]) -> dict[str, Roster]:
        """Each agent's roster in a solution of the full model."""
        return {agent_id: tuple(cell for cell, x, _ in shift_cells(agent_vars) if solution[x.index])
                for agent_id, agent_vars in self.m.agents.items()}

    def add_rosters(self, rosters: dict[str, Roster], solver_for: Callable[[float], cp_model.CpSolver],
                    charge: Callable[[cp_model.CpSolver], None]) -> bool:
        """Add rosters (e.g. the incumbent's) as columns, each costed by its agent's own model.
        False when one of them breaks a rule of its agent's own model."""
        for agent_id, roster in rosters.items():
            if self.master.has(agent_id, roster):
                continue
            p = self.pricing[agent_id]
            p.model.model.minimize(p.own)
            chosen = set(roster)
            fixed = fixed_copy(p.model.model, ((x.index, int(cell in chosen)) for cell, x, _ in p.options))
            solver = solver_for(PRICE_MAX_S)
            status = solver.solve(fixed)
            charge(solver)
            if status != cp_model.OPTIMAL:
                return False
            self._add(agent_id, round(solver.objective_value), roster)
        return True

    def generate(self, remaining: Callable[[], float], solver_for: Callable[[float], cp_model.CpSolver],
                 charge: Callable[[cp_model.CpSolver], None], workers: int) -> None:
        """Rounds of master relaxation and pricing until no roster prices out or time runs out, or
        until the pilot rounds show that ROUNDS_EXPECTED rounds would not fit even loosely (then
        `abandoned`; Curtois Instance12, 60 agents and 10 shift types, takes 0.6-1.1 s a round on 2
        workers and its relaxation is still above the best-known cost when half of 60 s is spent,
        4,151-4,174 against 4,040, but its rosters already recombine well)."""
        available = remaining()
        center: dict[tuple[int, str], float] | None = None
        best_lagrangian, pure = -math.inf, False
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            while remaining() > 0.05:
                if PILOT_ROUNDS <= self.rounds <= PILOT_ROUNDS_MAX and \
                        (available - remaining()) / self.rounds * ROUNDS_EXPECTED > PILOT_SLACK * available:
                    self.abandoned = True
                    break
                self.rounds += 1
                value, duals, convexity = self._relaxation()
                self.relaxation = value
                alpha = 0.0 if center is None or pure else SMOOTHING
                priced_at = duals if alpha == 0.0 else {
                    key: alpha * center[key] + (1 - alpha) * dual for key, dual in duals.items()}
                agent_ids = list(self.pricing)
                added, least_total, priced_all, optimal = self._price_round(
                    pool, agent_ids, priced_at, duals, convexity, remaining, solver_for, charge)
                # Lagrangian bound at these prices: sum(price * required) + each agent's least cost
                # at them; valid when each price lies within [-over weight, under weight].
                lagrangian = sum(priced_at[key] * required for key, required, _, _ in self.rows) + least_total
                exact = priced_all and all(-over - 1e-6 <= priced_at[key] <= under + 1e-6
                                           for key, _, under, over in self.rows)
                if exact:
                    slack = 0.5 / PRICE_SCALE * self.m.instance.horizon.days * len(agent_ids) + 1e-4
                    bound = math.ceil(lagrangian - slack)
                    if self.bound is None or lagrangian > best_lagrangian:
                        best_lagrangian, center = lagrangian, priced_at
                    self.bound = bound if self.bound is None else max(self.bound, bound)
                logger.debug("columns: round %d, relaxation %.2f, bound %s, %d added%s%s", self.rounds, value,
                             self.bound, added, "" if optimal else " (some pricing not proven optimal)",
                             f" (smoothed {alpha})" if alpha else "")
                if added == 0:
                    if alpha > 0.0:  # mispricing: the relaxation's own duals may still price a roster out
                        pure = True
                        continue
                    # the same relaxation again would price the same rosters
                    self.converged = exact and optimal
                    break
                pure = False
                if self.bound is not None and self.bound >= math.ceil(value - 1e-6):
                    # The objective is integral, so no further column can raise the bound: stop, where
                    # the relaxation would go on adding columns of equal value (Instance9 reached its
                    # bound 406 in 28 rounds, 26 s, then added columns for 8 s more).
                    self.converged = True
                    break

    def dive(self, remaining: Callable[[], float], solver_for: Callable[[float], cp_model.CpSolver],
             charge: Callable[[cp_model.CpSolver], None], workers: int,
             leave_free: int = 0, start: Dive | None = None) -> Dive | None:
        """Rosters by diving: fix the agents whose rosters weigh most in the relaxation (`dive_step`),
        re-price the agents still free for up to DIVE_ROUNDS rounds, and again until at most
        `leave_free` agents are free. Unlike the integer master's, the free agents' rosters are priced
        to fit the fixed ones. A step that raises the relaxation by more than DIVE_JUMP is undone; after
        a long step the dive goes on in short ones, after a short one it ends there when agents may
        stay free. When time runs out, where the dive got to (None before its first relaxation). From
        `start` (an earlier dive), its fixed agents stay fixed. The master's relaxation is restored
        afterwards (the new columns stay)."""
        fixed: dict[str, int] = {}
        closed: list[pywraplp.Variable] = []
        support = self.support
        last: Dive | None = None
        share, step = DIVE_FIX_SHARE, []  # the last step's share of the light agents, and its agents

        def fix(agent_id: str, k: int) -> None:
            fixed[agent_id] = k
            for other, weight in enumerate(self.master.weights[agent_id]):
                if other != k:
                    weight.SetUb(0)
                    closed.append(weight)

        try:
            for agent_id, roster in (start.fixed if start is not None else {}).items():
                fix(agent_id, next(k for k, (_, r) in enumerate(self.columns[agent_id]) if r == roster))
            with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
                while remaining() > 0.05:
                    value, weights = self.master.solve()
                    logger.debug("columns: dive, %d agents fixed, relaxation %.2f", len(fixed), value)
                    if last is not None and value > last.relaxation * (1 + DIVE_JUMP):
                        if share > DIVE_FIX_SHARE:  # a long step jumped: undo it, go on in short steps
                            for agent_id in step:
                                del fixed[agent_id]
                                for weight in self.master.weights[agent_id]:
                                    weight.SetUb(self.master.lp.infinity())
                            share, step = DIVE_FIX_SHARE, []
                            continue
                        if leave_free:
                            return last
                    # a step that left the relaxation as it was (not the first after an undo) doubles
                    share = DIVE_FIX_SHARE if last is None or value > last.relaxation + 1e-6 or not step \
                        else min(DIVE_FIX_SHARE_MAX, 2 * share)
                    free = [agent_id for agent_id in self.pricing if agent_id not in fixed]
                    heaviest = {agent_id: max(range(len(weights[agent_id])), key=weights[agent_id].__getitem__)
                                for agent_id in free}
                    last = self._dive_state(fixed, heaviest, weights, value)
                    if len(free) <= leave_free:
                        return last
                    step = dive_step(weights, heaviest, share)
                    for agent_id in step:
                        fix(agent_id, heaviest[agent_id])
                    free = [agent_id for agent_id in free if agent_id not in fixed]
                    for _ in range(DIVE_ROUNDS if free else 0):
                        _, duals, convexity = self._relaxation()
                        if not self._price_round(pool, free, duals, duals, convexity, remaining, solver_for,
                                                 charge)[0]:
                            break
        finally:
            for weight in closed:
                weight.SetUb(self.master.lp.infinity())
            self.support = support
        return last

    def _dive_state(self, fixed: dict[str, int], heaviest: dict[str, int], weights: dict[str, list[float]],
                    value: float) -> Dive:
        """The dive's state: `fixed` and `heaviest` name column indices; the free agents are `heaviest`'s."""
        return Dive({agent_id: self.columns[agent_id][k][1] for agent_id, k in fixed.items()},
                    {agent_id: self.columns[agent_id][k][1] for agent_id, k in heaviest.items()},
                    {agent_id: [roster for weight, (_, roster) in zip(weights[agent_id], self.columns[agent_id],
                                                                       strict=True) if weight > 1e-6]
                     for agent_id in heaviest}, value)

    def _price_round(self, pool: ThreadPoolExecutor, agent_ids: list[str], priced_at: dict[tuple[int, str], float],
                     duals: dict[tuple[int, str], float], convexity: dict[str, float], remaining: Callable[[], float],
                     solver_for: Callable[[float], cp_model.CpSolver],
                     charge: Callable[[cp_model.CpSolver], None]) -> tuple[int, float, bool, bool]:
        """Price each agent at `priced_at` and add its rosters whose reduced cost at the relaxation's
        `duals` is negative. Returns the rosters added, the sum of the agents' least priced costs, whether
        every agent was priced, and whether every pricing was proven optimal."""
        prices = {key: round(PRICE_SCALE * dual) for key, dual in priced_at.items()}
        limit = min(PRICE_MAX_S, remaining())
        priced = list(pool.map(lambda agent_id: self._price(agent_id, solver_for, limit, prices), agent_ids))
        added, least_total, priced_all, optimal = 0, 0.0, True, True
        for agent_id, (result, solvers) in zip(agent_ids, priced, strict=True):
            for solver in solvers:
                charge(solver)
            if result is None:
                priced_all = False
                continue
            least, found = result
            optimal = optimal and solver.response_proto.status == cp_model.OPTIMAL
            least_total += least / PRICE_SCALE
            row_of = self.pricing[agent_id].row_of
            for cost, roster in found:
                reduced = cost - sum(duals.get(row_of[cell], 0.0) for cell in roster) - convexity[agent_id]
                if reduced < -1e-6 and not self.master.has(agent_id, roster):
                    self._add(agent_id, cost, roster)
                    added += 1
        return added, least_total, priced_all, optimal

    def integer_master(self, hint: dict[str, Roster], solver: cp_model.CpSolver) -> dict[str, Roster] | None:
        """One roster per agent among the columns, cheapest in total; None without a solution."""
        model = cp_model.CpModel()
        chosen = {agent_id: [model.new_bool_var(f"{agent_id}#{k}") for k in range(len(cols))]
                  for agent_id, cols in self.columns.items()}
        terms = []
        for agent_id, literals in chosen.items():
            model.add_exactly_one(literals)
            for literal, (cost, roster) in zip(literals, self.columns[agent_id], strict=True):
                model.add_hint(literal, roster == hint.get(agent_id))
                if cost:
                    terms.append(cost * literal)
        for key, covering, (_, required, under_weight, over_weight) in zip(
                self._row_keys(), self._covering(chosen), self.rows, strict=True):
            under = model.new_int_var(0, required, f"under{key}")
            over = model.new_int_var(0, len(covering), f"over{key}")
            model.add(sum(covering) + under - over == required)
            terms += [under_weight * under, over_weight * over]
        model.minimize(sum(terms))
        status = solver.solve(model)
        logger.info("columns: integer master %s, %s (bound %s) in %.1f s", solver.status_name(status),
                    solver.objective_value if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else "-",
                    solver.best_objective_bound, solver.wall_time)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        return {agent_id: next(roster for literal, (_, roster) in zip(literals, self.columns[agent_id], strict=True)
                               if solver.value(literal))
                for agent_id, literals in chosen.items()}

    def restricted_model(self, keep: Iterable[dict[str, Roster]]) -> cp_model.CpModel:
        """The full model with every shift option fixed to 0 unless it is in one of the agent's
        rosters of the last relaxation's support or of `keep` (e.g. the incumbent's); no hints."""
        allowed = {agent_id: set().union(*rosters) for agent_id, rosters in self.support.items()}
        for rosters in keep:
            for agent_id, roster in rosters.items():
                allowed.setdefault(agent_id, set()).update(roster)
        model = fixed_copy(self.m.model, (
            (x.index, 0) for agent_id, agent_vars in self.m.agents.items() for cell, x, _ in shift_cells(agent_vars)
            if cell not in allowed.get(agent_id, ())))
        model.clear_hints()
        return model

    def _row_keys(self) -> list[tuple[int, str]]:
        return [key for key, *_ in self.rows]

    def _covering(self, chosen: dict[str, list]) -> list[list]:
        """Per cover row, the master variables of the columns that work that row's shift."""
        index = {key: i for i, key in enumerate(self._row_keys())}
        covering: list[list] = [[] for _ in self.rows]
        for agent_id, variables in chosen.items():
            row_of = self.pricing[agent_id].row_of
            for variable, (_, roster) in zip(variables, self.columns[agent_id], strict=True):
                for cell in roster:
                    if (i := index.get(row_of[cell])) is not None:
                        covering[i].append(variable)
        return covering

    def _add(self, agent_id: str, cost: int, roster: Roster) -> None:
        self.columns[agent_id].append((cost, roster))
        row_of = self.pricing[agent_id].row_of
        self.master.add(agent_id, cost, roster, [row_of[cell] for cell in roster])

    def _relaxation(self) -> tuple[float, dict[tuple[int, str], float], dict[str, float]]:
        """The master's linear relaxation (GLOP): its value, the dual of each cover row and of each
        agent's convexity row."""
        value, weights = self.master.solve()
        self.support = {agent_id: [roster for weight, (_, roster) in zip(agent_weights, self.columns[agent_id],
                                                                          strict=True) if weight > 1e-6]
                        for agent_id, agent_weights in weights.items()}
        return (value, {key: row.dual_value() for key, row in self.master.cover.items()},
                {agent_id: row.dual_value() for agent_id, row in self.master.convexity.items()})

    def _price(self, agent_id: str, solver_for: Callable[[float], cp_model.CpSolver], limit: float,
               prices: dict[tuple[int, str], int],
               ) -> tuple[tuple[float, list[tuple[int, Roster]]] | None, list[cp_model.CpSolver]]:
        """The agent's rosters of least cost minus the cover prices: (a lower bound on that least
        scaled reduced cost before the convexity dual, up to COLUMNS_PER_PRICING (own cost, roster)
        pairs: the best first, then the last others the search found), or None; and the solvers
        used (the last one's status tells whether the optimum was proven)."""
        p = self.pricing[agent_id]
        priced = [(x, prices[key]) for _, x, key in p.options if prices.get(key)]
        objective = PRICE_SCALE * p.own
        if priced:
            objective -= cp_model.LinearExpr.weighted_sum([x for x, _ in priced], [c for _, c in priced])
        p.model.model.minimize(objective)  # each agent's model is priced by one thread at a time
        solvers: list[cp_model.CpSolver] = []
        while True:
            cuts = p.cuts
            solver = _pricing_solver(solver_for(limit if cuts else min(limit, PRICE_PLAIN_S)), cuts)
            solvers.append(solver)
            found = _Rosters(p)
            status = solver.solve(p.model.model, found)
            if status == cp_model.OPTIMAL or cuts:
                break
            p.cuts = True  # only this thread prices this agent
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, solvers
        own = round(solver.value(p.own))
        roster = tuple(cell for cell, x, _ in p.options if solver.value(x))
        others = [(c, r) for c, r in reversed(found.rosters) if r != roster]
        return (solver.best_objective_bound, [(own, roster), *others[:COLUMNS_PER_PRICING - 1]]), solvers


def _pricing_solver(solver: cp_model.CpSolver, cuts: bool) -> cp_model.CpSolver:
    """`solver` set for one agent's pricing model (a few hundred Booleans, solved to optimality in
    tens of milliseconds, most of it presolve): one presolve pass, no probing or symmetry
    detection, the full linear relaxation, and cutting planes only when `cuts`. Measured on Curtois
    Instance8 at round 12 of generation (30 agents, each priced 4 times): 0.0145 deterministic seconds
    a pricing with CP-SAT's defaults, 0.0072 so (wall time 77-81 ms -> 38-51 ms); linearization level 2 alone
    0.0076, level 0 0.47 (its LP bound is what proves the optimum). The cuts (CG, MIR, zero-half,
    clique, RLT, lin-max) cost more than they save on models this small: generation to convergence
    from the one model's first schedule (2 workers, 2026-11-29) on Instance12 30 rounds in 30.2-31.6 s
    with them, 19.5-20.2 s without; Instance8 14.1 -> 6.5 s, Instance10 9.9 -> 6.4 s, Instance11
    7.0 -> 6.0 s, Instance5 3.0 -> 1.8 s, with the same rounds (within one) and the same bound. But
    Instance9's later pricings need them, MIR cuts above all: at round 16, 60 pricings took 0.6 s with
    every cut, 0.66 s with MIR alone, 44 s (each at its 2 s limit, none proven) without cuts, and
    its generation ended unconverged with bounds of 193-402 instead of 406 (schedules 456-555
    instead of 439); hence the cuts per agent, after a pricing without them fails (`_Pricing.cuts`)."""
    params = solver.parameters
    params.max_presolve_iterations = 1
    params.cp_model_probing_level = 0
    params.symmetry_level = 0
    params.linearization_level = 2
    if not cuts:
        params.add_cg_cuts = params.add_mir_cuts = params.add_zero_half_cuts = params.add_clique_cuts = False
        params.add_rlt_cuts = params.add_lin_max_cuts = False
    return solver


class _Rosters(cp_model.CpSolverSolutionCallback):
    """Every roster a pricing search finds, with its own cost, in the order found."""

    def __init__(self, p: _Pricing) -> None:
        super().__init__()
        self.p = p
        self.rosters: list[tuple[int, Roster]] = []

    def on_solution_callback(self) -> None:
        if COLUMNS_PER_PRICING > 1:
            self.rosters.append((round(self.value(self.p.own)),
                                 tuple(cell for cell, x, _ in self.p.options if self.boolean_value(x))))


class MasterError(RuntimeError):
    """The master relaxation has no optimum to report (GLOP failed twice): column generation and
    dives stop; the schedule found so far stands."""


class _MasterLP:
    """The master's linear relaxation, kept from round to round: each new roster adds one column
    (rebuilding it each round took 0.75 s of a 2 s round on Curtois Instance12 at 2,400 columns)."""

    def __init__(self, rows: list[tuple[tuple[int, str], int, int, int]], agent_ids: list[str]) -> None:
        self.lp = pywraplp.Solver.CreateSolver("GLOP")
        objective = self.lp.Objective()
        self.cover: dict[tuple[int, str], pywraplp.Constraint] = {}
        for key, required, under_weight, over_weight in rows:
            row = self.cover[key] = self.lp.Constraint(required, required)
            under, over = self.lp.NumVar(0, self.lp.infinity(), ""), self.lp.NumVar(0, self.lp.infinity(), "")
            row.SetCoefficient(under, 1)
            row.SetCoefficient(over, -1)
            objective.SetCoefficient(under, under_weight)
            objective.SetCoefficient(over, over_weight)
        objective.SetMinimization()
        self.convexity = {agent_id: self.lp.Constraint(1, 1) for agent_id in agent_ids}
        self.weights: dict[str, list[pywraplp.Variable]] = {agent_id: [] for agent_id in agent_ids}
        self.known: dict[str, set[Roster]] = {agent_id: set() for agent_id in agent_ids}

    def has(self, agent_id: str, roster: Roster) -> bool:
        return roster in self.known[agent_id]

    def add(self, agent_id: str, cost: int, roster: Roster, keys: list[tuple[int, str]]) -> None:
        # No upper bound of 1 (the convexity row implies it): a weight at a bound would carry a dual
        # of its own, and the reduced costs would not see it.
        weight = self.lp.NumVar(0, self.lp.infinity(), "")
        self.convexity[agent_id].SetCoefficient(weight, 1)
        for key in keys:
            if (row := self.cover.get(key)) is not None:
                row.SetCoefficient(weight, 1)
        if cost:
            self.lp.Objective().SetCoefficient(weight, cost)
        self.weights[agent_id].append(weight)
        self.known[agent_id].add(roster)

    def solve(self) -> tuple[float, dict[str, list[float]]]:
        """The relaxation's value and each agent's column weights (the duals stay on the rows).

        Every agent has a column and the cover rows have slacks, so the relaxation always has an
        optimum; GLOP can still end ABNORMAL when it starts from the last basis (seen once in a
        dive on Curtois Instance8, after many bound changes). Then the same linear program is
        solved from scratch and its solution loaded back."""
        status = self.lp.Solve()
        if status != pywraplp.Solver.OPTIMAL:
            logger.warning("columns: the master relaxation ended with status %d; solving it from scratch", status)
            if not self._solve_from_scratch():
                raise MasterError(f"the master relaxation ended with status {status}, also when solved from scratch")
        return (self.lp.Objective().Value(),
                {agent_id: [w.solution_value() for w in weights] for agent_id, weights in self.weights.items()})

    def _solve_from_scratch(self) -> bool:
        """Solve a copy of the linear program with a new GLOP; load its solution when it is optimal."""
        request = linear_solver_pb2.MPModelRequest(solver_type=linear_solver_pb2.MPModelRequest.GLOP_LINEAR_PROGRAMMING)
        self.lp.ExportModelToProto(request.model)
        response = linear_solver_pb2.MPSolutionResponse()
        pywraplp.Solver.SolveWithProto(request, response)
        return response.status == linear_solver_pb2.MPSOLVER_OPTIMAL and bool(self.lp.LoadSolutionFromProto(response))


def dive_step(weights: dict[str, list[float]], heaviest: dict[str, int], share: float) -> list[str]:
    """The free agents (`heaviest`'s) a dive step fixes: every one whose heaviest roster weighs
    DIVE_FIX_WEIGHT or more, and `share` of the others, those whose heaviest roster weighs most."""
    ranked = sorted(heaviest, key=lambda a: -weights[a][heaviest[a]])
    heavy = [a for a in ranked if weights[a][heaviest[a]] >= DIVE_FIX_WEIGHT - 1e-6]
    light = ranked[len(heavy):]
    return heavy + light[:math.ceil(share * len(light))]


def fixed_copy(model: cp_model.CpModel, values: Iterable[tuple[int, int]]) -> cp_model.CpModel:
    """A copy of `model` with each (variable index, value) of `values` fixed to that value."""
    copy = model.clone()
    variables = copy.proto.variables
    for index, value in values:
        domain = variables[index].domain
        domain.clear()
        domain.extend([value, value])
    return copy


def hint_all(model: cp_model.CpModel, solution: list[int]) -> cp_model.CpModel:
    """`model` (in place) hinted with every variable's value in `solution`."""
    hint = model.proto.solution_hint
    hint.vars.clear()
    hint.values.clear()
    hint.vars.extend(range(len(solution)))
    hint.values.extend(solution)
    return model


def shift_cells(agent_vars: AgentVars) -> list[tuple[tuple[int, int], cp_model.IntVar, tuple[int, str]]]:
    """Each shift option of one agent: its (day, option index) cell, its variable and its cover row key."""
    return [((day, k), x, (day, option.template_id))
            for day, day_vars in sorted(agent_vars.days.items())
            for k, (option, x) in enumerate(zip(day_vars.options, day_vars.x, strict=True))]
