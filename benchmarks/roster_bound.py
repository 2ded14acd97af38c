"""A lower bound for named scheduling with interval demand: the linear relaxation over weekly rosters.

Why: the engine's bound for instances with interval demand is the anonymous model's, and CP-SAT's own
bound does not rise above it (demo-small: 21,888 at 60 s and at 300 s, against schedules of 22,812-
25,329). The relaxation of the named model over whole rosters, one weekly roster per agent with
every hard rule and its breaks, is the strongest standard bound for it; this tool computes it to show
how far the schedules are from a proof (issue 2's target: demo-small proven optimal in 10 s). It is
a measurement, not part of the engine: on demo-small it takes minutes.

How (column generation, as `optimizer.solve.roster_columns` does for cover per shift type): the master
LP (GLOP) has one row per interval, where the chosen rosters' working agents (net of breaks), plus the
under-staffing tiers (the k-th missing agent at its weight, the last weight for the rest), minus the
over-staffing, equal the requirement; and one row per agent, its roster weights summing to 1. Each
agent is priced by its own model (every hard rule and its own costs, no demand) at its own cost less
the interval duals times the agent's working intervals. At any duals that are at least minus the
over-staffing weight, the sum over intervals of dual x required plus each tier's capacity x min(0,
weight - dual), plus each agent's least priced cost, is a lower bound (Lagrangian); the best one is
reported, rounded up (the objective is integral) after allowing for the rounding of the prices.
Terms over all agents (fairness, distinct shift patterns) are left out, which keeps the bound valid
as they are never negative. `--dive` then fixes the agents whose rosters weigh most (the engine's
dive step, `roster_columns.dive_step`: every one at weight 0.7 or more and a tenth of the others),
prices the others again, and repeats to the last agent: a schedule, checked by the validator.

    .venv/bin/python -m benchmarks.roster_bound instances/demo-small.json [--rounds 100] [--dive]
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import typer
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from optimizer.domain.instance import Instance
from optimizer.domain.schedule import SolveStats
from optimizer.io import load_instance
from optimizer.model.builder import ScheduleModel
from optimizer.model.objective import piecewise_cost
from optimizer.model.options import agent_options
from optimizer.model.plan import PlacedShift, Plan
from optimizer.solve import extract
from optimizer.solve.roster_columns import DIVE_FIX_SHARE, dive_step
from optimizer.solve.solver import Budget, build_result
from optimizer.timegrid import TimeGrid
from optimizer.validate import validate

PRICE_SCALE = 100_000
PRICE_LIMIT_S = 5.0
DIVE_ROUNDS = 5

Cover = dict[int, int]
"""Working agents added per interval by one roster (net of breaks)."""


@dataclass
class _Agent:
    model: ScheduleModel
    own: cp_model.LinearExprT
    terms: list[tuple[cp_model.IntVar, list[int], int]]
    """(shift option or break Boolean, the intervals it covers, +1 for a shift and -1 for a break)."""
    columns: list[tuple[int, Cover, dict[int, PlacedShift]]] = field(default_factory=list)
    """(own cost, cover, the week: day -> shift with its breaks) of each roster."""
    weights: list[pywraplp.Variable] = field(default_factory=list)
    known: set[tuple] = field(default_factory=set)


@dataclass
class Relaxation:
    """What `relax` measured: the last relaxation's value, the best Lagrangian bound rounded up
    (a lower bound on every schedule's objective), the rounds and seconds it took."""

    value: float
    bound: int | None
    """None when no round priced every agent at duals that give a bound."""
    rounds: int
    converged: bool
    seconds: float
    dive: int | None = None
    """The dive's schedule's objective, recomputed by the engine's accounting."""
    dive_valid: bool | None = None
    """Whether the independent validator accepts the dive's schedule and its objective."""


class RosterBound:
    """The master LP over rosters of a single-skill instance with interval demand, and its pricing."""

    def __init__(self, instance: Instance) -> None:
        if len(instance.skills) != 1 or instance.shift_demand or instance.design is not None:
            raise typer.BadParameter("only for named scheduling of one skill with interval demand")
        skill = instance.skills[0].id
        self.instance = instance
        grid = TimeGrid(instance.horizon)
        horizon = instance.horizon.num_intervals
        self.required = list(instance.required(skill))
        self.over_weight = instance.over_weight(skill)
        # Each agent's own model: its rules and own costs; no demand, so no coverage terms.
        bare = instance.model_copy(update={"demand": [], "weights": instance.weights.model_copy(
            update={"over_staffing": 0, "fairness": 0, "shift_patterns": 0})})
        self.agents: dict[str, _Agent] = {}
        for agent in instance.agents:
            model = ScheduleModel(bare, [agent_options(instance, agent, grid)])
            # A shift's and a break's intervals as the engine counts them (`PlacedShift.working_intervals`).
            terms: list[tuple[cp_model.IntVar, list[int], int]] = []
            for day_vars in model.agents[agent.id].days.values():
                for option, x in zip(day_vars.options, day_vars.x, strict=True):
                    worked = range(option.start // grid.step, option.end // grid.step)
                    terms.append((x, [t for t in worked if 0 <= t < horizon], +1))
                for key, positions in day_vars.breaks.items():
                    duration = day_vars.rules[key].duration_minutes
                    for start, b in positions.items():
                        on_break = {m // grid.step for m in range(start, start + duration, grid.step)}
                        terms.append((b, sorted(t for t in on_break if 0 <= t < horizon), -1))
            self.agents[agent.id] = _Agent(model, model.terms.total(), terms)
        self.lp = pywraplp.Solver.CreateSolver("GLOP")
        objective = self.lp.Objective()
        objective.SetMinimization()
        self.rows: list[pywraplp.Constraint] = []
        self.tiers: list[list[tuple[int, int]]] = []  # per interval: (weight, capacity) of each tier
        for t, (required, weights) in enumerate(zip(self.required, instance.under_weights_per_interval(skill),
                                                    strict=True)):
            row = self.lp.Constraint(required, required)
            tiers = [(w, min(1, max(0, required - k))) for k, w in enumerate(weights[:-1])]
            tiers.append((weights[-1], max(0, required - len(weights) + 1)))
            for weight, capacity in tiers:
                if capacity:
                    under = self.lp.NumVar(0, capacity, f"under[{t}]")
                    row.SetCoefficient(under, 1)
                    objective.SetCoefficient(under, weight)
            over = self.lp.NumVar(0, self.lp.infinity(), f"over[{t}]")
            row.SetCoefficient(over, -1)
            objective.SetCoefficient(over, self.over_weight)
            self.rows.append(row)
            self.tiers.append(tiers)
        self.convexity = {agent_id: self.lp.Constraint(1, 1) for agent_id in self.agents}
        # Rounding each priced coefficient to 1/PRICE_SCALE moves a roster's priced cost by at most
        # this much per agent: the bound allows for it.
        self.rounding = sum(0.5 / PRICE_SCALE * len(a.terms) for a in self.agents.values())

    def add(self, agent_id: str, cost: int, cover: Cover, week: dict[int, PlacedShift]) -> bool:
        """Add a roster as a column of the master; False when an equal one is there."""
        agent = self.agents[agent_id]
        key = (cost, *sorted(cover.items()))  # rosters that cover alike at the same cost are one column
        if key in agent.known:
            return False
        agent.known.add(key)
        weight = self.lp.NumVar(0, self.lp.infinity(), "")
        self.convexity[agent_id].SetCoefficient(weight, 1)
        for t, n in cover.items():
            if n:
                self.rows[t].SetCoefficient(weight, n)
        self.lp.Objective().SetCoefficient(weight, cost)
        agent.columns.append((cost, cover, week))
        agent.weights.append(weight)
        return True

    def price(self, agent_id: str, duals: list[float]) -> tuple[int, Cover, float, dict[int, PlacedShift]] | None:
        """The agent's roster of least own cost less the duals of its working intervals: (own cost,
        cover, a lower bound on that least priced cost, the week), or None when none was found."""
        agent = self.agents[agent_id]
        pairs = [(var, sign * round(PRICE_SCALE * sum(duals[t] for t in ts))) for var, ts, sign in agent.terms]
        pairs = [(var, c) for var, c in pairs if c]
        objective = PRICE_SCALE * agent.own
        if pairs:
            objective -= cp_model.LinearExpr.weighted_sum([v for v, _ in pairs], [c for _, c in pairs])
        agent.model.model.minimize(objective)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = PRICE_LIMIT_S
        solver.parameters.linearization_level = 2
        status = solver.solve(agent.model.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        cover: Cover = {}
        for var, ts, sign in agent.terms:
            if solver.value(var):
                for t in ts:
                    cover[t] = cover.get(t, 0) + sign
        week = extract.read_plan(agent.model, solver)[agent_id]
        return round(solver.value(agent.own)), cover, solver.best_objective_bound / PRICE_SCALE, week

    def round_(self, pool: ThreadPoolExecutor, agent_ids: list[str]) -> tuple[float, float, int]:
        """Solve the LP, price `agent_ids` at its duals and add the rosters that price out: (the LP's
        value, the Lagrangian bound at these duals (-inf when not every agent was priced), added)."""
        self.lp.Solve()
        value = self.lp.Objective().Value()
        duals = [row.dual_value() for row in self.rows]
        convexity = {agent_id: row.dual_value() for agent_id, row in self.convexity.items()}
        added, least, all_priced = 0, 0.0, len(agent_ids) == len(self.agents)
        for agent_id, priced in zip(agent_ids, pool.map(lambda a: self.price(a, duals), agent_ids), strict=True):
            if priced is None:
                all_priced = False
                continue
            cost, cover, lower, week = priced
            least += lower
            reduced = cost - sum(duals[t] * n for t, n in cover.items()) - convexity[agent_id]
            if reduced < -1e-6 and self.add(agent_id, cost, cover, week):
                added += 1
        if not all_priced or any(dual < -self.over_weight - 1e-6 for dual in duals):
            return value, -math.inf, added
        rows = sum(dual * required + sum(capacity * min(0.0, weight - dual) for weight, capacity in tiers)
                   for dual, required, tiers in zip(duals, self.required, self.tiers, strict=True))
        return value, rows + least - self.rounding, added

    def objective(self, choice: dict[str, int]) -> int:
        """The objective of one roster per agent (column indices), left-out global terms aside."""
        working = [0] * len(self.required)
        own = 0
        for agent_id, k in choice.items():
            cost, cover, _ = self.agents[agent_id].columns[k]
            own += cost
            for t, n in cover.items():
                working[t] += n
        weights = self.instance.under_weights_per_interval(self.instance.skills[0].id)
        return own + sum(piecewise_cost(max(0, r - w), ws) + self.over_weight * max(0, w - r)
                         for r, w, ws in zip(self.required, working, weights, strict=True))


def relax(instance: Instance, rounds: int = 100, workers: int = 2, dive: bool = False,
          progress: bool = False) -> Relaxation:
    started = time.perf_counter()
    master = RosterBound(instance)
    best, value, converged, done = -math.inf, math.inf, False, 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        zero = [0.0] * len(master.required)  # a first roster per agent: its cheapest own week
        for agent_id, priced in zip(master.agents, pool.map(lambda a: master.price(a, zero), master.agents),
                                    strict=True):
            if priced is None:
                raise typer.BadParameter(f"agent {agent_id} has no roster that keeps every hard rule")
            master.add(agent_id, priced[0], priced[1], priced[3])
        while done < rounds:
            done += 1
            value, bound, added = master.round_(pool, list(master.agents))
            best = max(best, bound)
            if progress:
                typer.echo(f"round {done:3d} {time.perf_counter() - started:6.1f} s  relaxation {value:10.1f}  "
                           f"bound {best:10.1f}  rosters added {added}")
            # The objective is integral: once the bound reaches the relaxation rounded up, no column
            # can raise it (demo-small would add near-zero columns for 60 more rounds).
            if added == 0 or (best > -math.inf and math.ceil(best - 1e-6) >= math.ceil(value - 1e-6)):
                converged = True
                break
        result = Relaxation(value, math.ceil(best - 1e-6) if best > -math.inf else None, done, converged,
                            round(time.perf_counter() - started, 1))
        if dive:
            chosen = _dive(master, pool, progress, started)
            plan: Plan = {agent_id: master.agents[agent_id].columns[k][2] for agent_id, k in chosen.items()}
            settings = instance.solver.model_copy(update={"workers": workers})
            schedule = build_result(instance, plan, None, "feasible", None, Budget(settings, started), SolveStats())
            result.dive = schedule.objective
            # Every term of this instance is in the master's accounting, unless fairness or patterns count.
            result.dive_valid = validate(instance, schedule).ok and (
                schedule.objective == master.objective(chosen) or bool(
                    instance.weights.fairness or instance.weights.shift_patterns))
    return result


def _dive(master: RosterBound, pool: ThreadPoolExecutor, progress: bool, started: float) -> dict[str, int]:
    chosen: dict[str, int] = {}
    while len(chosen) < len(master.agents):
        master.lp.Solve()
        value = master.lp.Objective().Value()
        free = [a for a in master.agents if a not in chosen]
        weights = {a: [w.solution_value() for w in master.agents[a].weights] for a in free}
        heaviest = {a: max(range(len(weights[a])), key=weights[a].__getitem__) for a in free}
        for agent_id in dive_step(weights, heaviest, DIVE_FIX_SHARE):
            chosen[agent_id] = heaviest[agent_id]
            for k, weight in enumerate(master.agents[agent_id].weights):
                if k != heaviest[agent_id]:
                    weight.SetUb(0)
        if progress:
            typer.echo(f"dive {time.perf_counter() - started:6.1f} s  relaxation {value:10.1f}  agents fixed {len(chosen)}")
        free = [a for a in master.agents if a not in chosen]
        for _ in range(DIVE_ROUNDS if free else 0):
            if not master.round_(pool, free)[2]:
                break
    return chosen


def main(instance: Path, rounds: int = 100, workers: int = 2, dive: bool = False) -> None:
    result = relax(load_instance(instance), rounds, workers, dive, progress=True)
    bound = "none" if result.bound is None else f"{result.bound:,}"
    typer.echo(f"{instance.name}: relaxation {result.value:,.1f}, lower bound {bound} "
               f"({'converged' if result.converged else 'not converged'} after {result.rounds} rounds, "
               f"{result.seconds} s)" + (f"; dive schedule {result.dive:,} (validator: "
                                         f"{'ok' if result.dive_valid else 'REJECTED'})" if result.dive is not None else ""))


if __name__ == "__main__":
    typer.run(main)
