"""pyworkforce (PyPI `pyworkforce`) as a baseline, on the problems it can express, solved in the
same run as this engine on identical inputs.

    python -m benchmarks.pyworkforce_baseline            # full run (a few minutes)
    python -m benchmarks.pyworkforce_baseline --quick    # small sizes, short limits (seconds)

Options: ``--time-limit S`` (per solve, both tools), ``--workers N`` (CP-SAT workers, both
tools; default 2), ``-o FILE`` (JSONL rows; default benchmarks/results/pyworkforce.jsonl, rows
are appended), ``--markdown FILE`` (default benchmarks/RESULTS.md; its `pyworkforce` section is
rewritten), ``--no-report`` (leave the Markdown file alone).

Problems, all from one seeded generator per family, each solved by both tools:

* ``abs`` -- pyworkforce `MinAbsDifference`: integer counts x[d, s] of agents on each shift s
  (a fixed contiguous block of periods inside a day) on each day d, minimizing
  sum over days and periods of |scheduled - required|. Ours: shift design (`instance.design`):
  non-cyclic horizon, one skill, one pool without limits, one template per pyworkforce shift
  (fixed start, one length, no breaks), weights under_staffing [1], over_staffing 1,
  shift_patterns 0. Objectives are identical (offset 0).
* ``min`` -- pyworkforce `MinRequiredResources` with the cost of a shift equal to its length in
  periods: coverage >= requirement everywhere, minimize the staffed agent-periods. Ours: the same
  design instance with under_staffing [L + 1] (L the longest shift in periods: adding one agent on
  any shift covering a short interval saves at least L + 1 and costs at most L, so every optimum
  covers the demand) and over_staffing 1; with full cover, our objective is the over-staffing,
  which is pyworkforce's cost minus the total requirement (offset = total requirement). Its
  default cost (1 per shift, i.e. minimize the number of shifts) is *not* expressible: the design
  objective has no per-shift cost (`ShiftTemplate.cost_per_shift` is labor cost, a named-mode
  term), so that variant is not run.
* ``roster`` -- pyworkforce `MinHoursRoster` (named resources). Mapping onto the named instance
  format (see `roster_instance`): one template per shift with fixed times (laid out inside one
  day, starts and ends both strictly increasing, so no shift's time span contains another's and no
  two days' shifts overlap); cover per shift and day as `shift_demand` rows with over_weight 0 and
  an under_weight larger than any roster's cost (so the cover is lexicographically hard: exact
  on optima, not a hard rule); min_working_hours -> contract min_paid_minutes; max_resting ->
  min_working_days = days - max_resting; banned (resource, shift, day) -> the agent's
  availability: one window per allowed (day, shift), exactly the shift's span, the banned one
  left out (a hard rule, exact given the layout); non_sequential_shifts -> what pyworkforce
  actually enforces, which is stronger than its docstring: its constraint is
  sum_j (x[d, s] * ns[s, j] + x[d+1, j]) <= 1, so an origin shift with one forbidden successor
  forbids *every* shift the next day (-> forbidden_successions (s, t) for every template t), and
  an origin with two or more can only be worked on the last day (-> left out of the
  availability windows of days 0..D-2); objective sum x * (hours - weight * preferred) ->
  labor_cost (cost_per_hour 1, weight 1: exactly the hours, shifts are whole hours, no breaks)
  plus one shift request (on, that template, weight = the resource's priority) per preferred
  shift and day: our objective = pyworkforce's cost + sum over preferred (resource, shift) of
  days x weight (offset = minus that); over_staffing 0 (there is no interval demand, and an agent
  on shift would otherwise count as over-staffed). Priority weights must be integers (ours are).

Checks per problem: pyworkforce's solution is turned into our result format (design lines from its
counts, assignments from its roster) and evaluated by our independent validator
(`optimizer.validate.validate`); validator objective + offset must equal pyworkforce's own
reported cost (the inputs are identical) and the validator must accept it (no hard violation).
Our result is validated too, and converted to pyworkforce's cost with the same offset when it is
feasible for pyworkforce (full cover). For the roster, our solution is also handed back to
pyworkforce (every other resource/shift/day banned) to confirm that its own model accepts it
at the same cost.

Timing: wall clock of each tool's solve call (model building included), same time limit, same
number of CP-SAT workers. pyworkforce 0.5.4 assigns `solver.num_search_workers`, which OR-Tools
9.15 ignores (not a CpSolver attribute; CP-SAT would use every core), so this script sets
`parameters.num_workers` on pyworkforce's solver itself. "ours to best" is the time at which our
final objective was first reached.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ortools.sat.python import cp_model

from benchmarks.report import write_section
from benchmarks.rows import append_row
from benchmarks.runner import host
from benchmarks.runner import versions as runner_versions
from optimizer.domain.instance import Instance, SolverSettings, parse_instance
from optimizer.domain.schedule import Assignment, DesignShift, SolveResult
from optimizer.solve.design import result_from_lines
from optimizer.solve.progress import ProgressEvent
from optimizer.solve.solver import solve
from optimizer.validate import format_report, validate

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "pyworkforce.jsonl"
MARKDOWN = ROOT / "benchmarks" / "RESULTS.md"
SECTION = "pyworkforce"
START = dt.date(2024, 1, 1)  # a Monday
SKILL = "s"
Objective = Literal["abs", "min"]
PROBLEM_TITLES = {
    "abs": "shift counts, sum |scheduled - required| (MinAbsDifference)",
    "min": "shift counts, cover >= required, min agent-periods (MinRequiredResources)",
    "roster": "named roster, min hours - preferences (MinHoursRoster)",
}


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --------------------------------------------------------------------------------------------
# Shift counts against a requirement curve (MinAbsDifference, MinRequiredResources)


@dataclass
class ShiftProblem:
    """pyworkforce's scheduling input: shifts as contiguous period blocks inside a day (the same
    every day) and the required agents per day and period."""

    name: str
    seed: int
    days: int
    periods: int
    shifts: dict[str, tuple[int, int]]
    """Shift name -> (first period of the day, number of periods)."""
    required: list[list[int]]
    """[day][period]."""

    @property
    def interval_minutes(self) -> int:
        return 1440 // self.periods

    @property
    def peak(self) -> int:
        return max(max(day) for day in self.required)

    @property
    def longest(self) -> int:
        return max(length for _, length in self.shifts.values())

    @property
    def total_required(self) -> int:
        return sum(sum(day) for day in self.required)

    def coverage(self) -> dict[str, list[int]]:
        return {
            name: [int(first <= p < first + length) for p in range(self.periods)]
            for name, (first, length) in self.shifts.items()
        }

    def size(self) -> str:
        return f"{self.days} d x {self.periods} periods, {len(self.shifts)} shifts, peak {self.peak}"


def generate_shift_problem(seed: int, days: int, periods: int, n_shifts: int) -> ShiftProblem:
    """Opening hours 05-07 to 21-23 h; the first shift starts at opening and the second ends at
    closing, together covering the day; the others are random blocks of 4-10 h inside it (starts
    on the period grid, distinct (start, length)). Requirement per day: a base plus a morning and
    an afternoon peak (Gaussian bumps with seeded heights, centres and widths), plus noise, at
    least 1 while open, 0 while closed."""
    if periods % 24 or 1440 % periods:
        raise ValueError("periods must be a multiple of 24 dividing 1440")
    rng = random.Random(seed)
    per_hour = periods // 24
    open_p, close_p = rng.randint(5, 7) * per_hour, rng.randint(21, 23) * per_hour
    span = close_p - open_p
    shortest, longest = 4 * per_hour, min(10 * per_hour, span)
    half = max(shortest, -(-span // 2))
    blocks = [(open_p, half), (close_p - half, half)]
    while len(blocks) < n_shifts:
        length = rng.randint(shortest, longest)
        block = (rng.randint(open_p, close_p - length), length)
        if block not in blocks:
            blocks.append(block)
    blocks.sort()
    shifts = {f"S{k + 1:02d}": block for k, block in enumerate(blocks)}
    required = []
    for _ in range(days):
        scale = rng.uniform(0.8, 1.2)
        base = rng.uniform(2.0, 4.0)
        bumps = [
            (rng.uniform(10, 22) * scale, rng.uniform(9.5, 11.5), rng.uniform(1.2, 2.2)),
            (rng.uniform(8, 20) * scale, rng.uniform(15.5, 18.5), rng.uniform(1.2, 2.5)),
        ]
        row = []
        for p in range(periods):
            if not open_p <= p < close_p:
                row.append(0)
                continue
            hour = (p + 0.5) / per_hour
            value = base + sum(a * math.exp(-0.5 * ((hour - mu) / sigma) ** 2) for a, mu, sigma in bumps)
            row.append(max(1, round(value + rng.gauss(0.0, 1.0))))
        required.append(row)
    return ShiftProblem(f"{days}d-{periods}p-{n_shifts}s", seed, days, periods, shifts, required)


def design_instance(problem: ShiftProblem, objective: Objective, settings: SolverSettings) -> Instance:
    """Our shift-design instance for the problem: identical to pyworkforce's for `abs`; for `min`,
    under-staffing priced above any shift's length (see the module docstring)."""
    step = problem.interval_minutes
    under = 1 if objective == "abs" else problem.longest + 1
    return parse_instance(
        {
            "name": f"pyworkforce-{objective}-{problem.name}",
            "horizon": {
                "start_date": str(START),
                "days": problem.days,
                "interval_minutes": step,
                "cyclic": False,
            },
            "skills": [{"id": SKILL}],
            "demand": [{"skill": SKILL, "required": [r for day in problem.required for r in day]}],
            "templates": [
                {
                    "id": name,
                    "earliest_start": hhmm(first * step),
                    "latest_start": hhmm(first * step),
                    "start_step_minutes": step,
                    "lengths_minutes": [length * step],
                }
                for name, (first, length) in problem.shifts.items()
            ],
            "design": {"pools": [{"id": "pool", "skills": [SKILL]}]},
            "weights": {"under_staffing": [under], "over_staffing": 1, "shift_patterns": 0},
            "solver": settings.model_dump(),
        }
    )


def design_offset(problem: ShiftProblem, objective: Objective) -> int:
    """pyworkforce's cost = our objective + this (for a solution covering the demand, for `min`)."""
    return 0 if objective == "abs" else problem.total_required


def lines_from_counts(problem: ShiftProblem, counts: dict[tuple[int, str], int]) -> list[DesignShift]:
    """(day, shift) -> agents as our design lines (one per shift used)."""
    step = problem.interval_minutes
    lines = []
    for name, (first, length) in problem.shifts.items():
        per_day = {
            START + dt.timedelta(days=d): {SKILL: n}
            for d in range(problem.days)
            if (n := counts.get((d, name), 0)) > 0
        }
        if per_day:
            lines.append(
                DesignShift(
                    template_id=name, start=hhmm(first * step), length_minutes=length * step, counts=per_day
                )
            )
    return lines


@dataclass
class PwRun:
    status: str
    cost: float | None
    wall_s: float
    solution: Any = None


def run_pw_shifts(problem: ShiftProblem, objective: Objective, time_limit: float, workers: int) -> PwRun:
    """pyworkforce on the problem; concurrency bounds loose: at most `peak` agents per shift (more
    only adds over-staffing, or in `min` is never needed) and the sum of those per period."""
    from pyworkforce.scheduling import MinAbsDifference, MinRequiredResources

    common: dict[str, Any] = {
        "num_days": problem.days,
        "periods": problem.periods,
        "shifts_coverage": problem.coverage(),
        "required_resources": problem.required,
        "max_period_concurrency": len(problem.shifts) * problem.peak,
        "max_shift_concurrency": problem.peak,
        "max_search_time": float(time_limit),
        "num_search_workers": workers,
    }
    started = time.perf_counter()
    if objective == "abs":
        model = MinAbsDifference(**common)
    else:
        model = MinRequiredResources(
            **common, cost_dict={name: length for name, (_, length) in problem.shifts.items()}
        )
    model.solver.parameters.num_workers = workers  # pyworkforce's own setting is a no-op (module docstring)
    out = model.solve()
    wall = time.perf_counter() - started
    if out["status"] not in ("OPTIMAL", "FEASIBLE"):
        return PwRun(out["status"], None, wall)
    counts = {(row["day"], row["shift"]): int(row["resources"]) for row in out["resources_shifts"]}
    return PwRun(out["status"], float(out["cost"]), wall, counts)


# --------------------------------------------------------------------------------------------
# Named roster (MinHoursRoster)


@dataclass
class RosterProblem:
    """pyworkforce's MinHoursRoster input, field for field."""

    name: str
    seed: int
    days: int
    resources: list[str]
    shifts: list[str]
    hours: list[int]
    min_working_hours: int
    max_resting: int
    required: dict[str, list[int]]
    banned: list[dict[str, Any]] = field(default_factory=list)
    non_sequential: list[dict[str, str]] = field(default_factory=list)
    preferences: list[dict[str, str]] = field(default_factory=list)
    prioritization: list[dict[str, Any]] = field(default_factory=list)

    def size(self) -> str:
        return (
            f"{self.days} d, {len(self.resources)} resources, {len(self.shifts)} shifts, "
            f"{len(self.banned)} bans"
        )

    def weight_of(self) -> dict[str, int]:
        weights = dict.fromkeys(self.resources, 1)
        for row in self.prioritization:  # pyworkforce: the last entry of a resource wins
            weights[row["resource"]] = row["weight"]
        return weights

    def preferred(self) -> set[tuple[str, str]]:
        return {(row["resource"], row["shift"]) for row in self.preferences}

    def successors(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {s: set() for s in self.shifts}
        for row in self.non_sequential:
            out[row["origin"]].add(row["destination"])
        return out

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "num_days": self.days,
            "resources": self.resources,
            "shifts": self.shifts,
            "shifts_hours": self.hours,
            "min_working_hours": self.min_working_hours,
            "banned_shifts": self.banned,
            "max_resting": self.max_resting,
            "required_resources": self.required,
            "non_sequential_shifts": self.non_sequential,
            "resources_preferences": self.preferences,
            "resources_prioritization": self.prioritization,
        }


ROSTER_SHIFTS = ("Morning", "Afternoon", "Night", "Mixed")


def generate_roster_problem(seed: int, days: int, n_resources: int, n_shifts: int) -> RosterProblem:
    """Shifts of 6-10 h (Mixed shorter); cover per shift and day summing to 45-65% of the
    resources; max_resting about 2 days a week; min working hours about 70% of the working days
    at the mean shift length; 4% of resource-days ban one shift; Night -> Morning not sequential;
    a quarter of the resources prefer one shift, with priority 1-3."""
    rng = random.Random(seed)
    shifts = list(ROSTER_SHIFTS[:n_shifts])
    hours = [rng.choice((7, 8, 8, 9, 10)) if s != "Mixed" else rng.choice((5, 6)) for s in shifts]
    resources = [f"r{k + 1:03d}" for k in range(n_resources)]
    max_resting = max(1, round(2 * days / 7))
    required: dict[str, list[int]] = {s: [] for s in shifts}
    for _ in range(days):
        total = round(n_resources * rng.uniform(0.45, 0.65))
        shares = [rng.uniform(0.6, 1.4) * (0.5 if s == "Night" else 1.0) for s in shifts]
        for s, share in zip(shifts, shares, strict=True):
            required[s].append(round(total * share / sum(shares)))
    mean_hours = sum(hours) / len(hours)
    min_hours = max(1, round(0.7 * (days - max_resting) * mean_hours))
    banned = [
        {"resource": r, "shift": rng.choice(shifts), "day": d}
        for r in resources
        for d in range(days)
        if rng.random() < 0.04
    ]
    non_sequential = [{"origin": "Night", "destination": "Morning"}] if "Night" in shifts else []
    chosen = rng.sample(resources, max(1, n_resources // 4))
    preferences = [{"resource": r, "shift": rng.choice(shifts)} for r in chosen]
    prioritization = [{"resource": r, "weight": rng.randint(1, 3)} for r in chosen]
    return RosterProblem(
        f"{days}d-{n_resources}r-{n_shifts}s",
        seed,
        days,
        resources,
        shifts,
        hours,
        min_hours,
        max_resting,
        required,
        banned,
        non_sequential,
        preferences,
        prioritization,
    )


def shift_layout(problem: RosterProblem) -> dict[str, tuple[int, int]]:
    """Shift -> (start minute of day, length minutes): ordered by length, starts one hour apart
    from 00:00, so starts and ends both strictly increase (no span contains another) and every
    shift ends by midnight (no overlap with the next day's shifts, rest never negative)."""
    order = sorted(range(len(problem.shifts)), key=lambda k: (problem.hours[k], k))
    layout = {problem.shifts[k]: (60 * i, 60 * problem.hours[k]) for i, k in enumerate(order)}
    if any(start + length > 1440 for start, length in layout.values()):
        raise ValueError("the shifts do not fit in one day with starts one hour apart")
    return layout


def effective_bans(problem: RosterProblem) -> set[tuple[str, int, str]]:
    """(resource, day, shift) that pyworkforce forbids: its banned shifts, and an origin shift with
    two or more non-sequential successors on every day but the last (its constraint then reads
    2 x[d, s] + ... <= 1)."""
    bans = {(row["resource"], int(row["day"]), row["shift"]) for row in problem.banned}
    for s, after in problem.successors().items():
        if len(after) >= 2:
            bans |= {(r, d, s) for r in problem.resources for d in range(problem.days - 1)}
    return bans


def roster_hard_weight(problem: RosterProblem) -> int:
    """More than the objective of any roster: every resource on the longest shift every day, plus
    every preference missed."""
    weights = problem.weight_of()
    worst = len(problem.resources) * problem.days * max(problem.hours)
    return worst + roster_preference_constant(problem) + max(weights.values(), default=0) + 1


def roster_preference_constant(problem: RosterProblem) -> int:
    weights = problem.weight_of()
    return sum(problem.days * weights[r] for r, _ in problem.preferred())


def roster_offset(problem: RosterProblem) -> int:
    """pyworkforce's cost = our objective + this."""
    return -roster_preference_constant(problem)


def roster_instance(problem: RosterProblem, settings: SolverSettings) -> Instance:
    """Our named instance for the roster problem (mapping in the module docstring)."""
    layout = shift_layout(problem)
    weights = problem.weight_of()
    if any(not isinstance(w, int) for w in weights.values()):
        raise ValueError("priority weights must be integers to be expressed exactly")
    hard = roster_hard_weight(problem)
    bans = effective_bans(problem)
    banned_agents = {r for r, _, _ in bans}
    successors = problem.successors()
    forbidden = [[s, t] for s in problem.shifts if len(successors[s]) == 1 for t in problem.shifts]

    def at(day: int, minute: int) -> str:
        return (
            dt.datetime.combine(START + dt.timedelta(days=day), dt.time()) + dt.timedelta(minutes=minute)
        ).isoformat()

    agents = []
    for r in problem.resources:
        agent: dict[str, Any] = {"id": r, "contract": "pw", "skills": [{"skill": SKILL}], "cost_per_hour": 1}
        if r in banned_agents:
            agent["availability"] = [
                {"start": at(d, start), "end": at(d, start + length)}
                for d in range(problem.days)
                for s, (start, length) in layout.items()
                if (r, d, s) not in bans
            ]
        requests = [
            {"date": str(START + dt.timedelta(days=d)), "template": s, "on": True, "weight": weights[r]}
            for (who, s) in sorted(problem.preferred())
            if who == r
            for d in range(problem.days)
        ]
        if requests:
            agent["preferences"] = {"shift_requests": requests}
        agents.append(agent)
    return parse_instance(
        {
            "name": f"pyworkforce-roster-{problem.name}",
            "horizon": {"start_date": str(START), "days": problem.days, "interval_minutes": 60},
            "skills": [{"id": SKILL}],
            "shift_demand": [
                {
                    "date": str(START + dt.timedelta(days=d)),
                    "template": s,
                    "required": problem.required[s][d],
                    "under_weight": hard,
                    "over_weight": 0,
                }
                for s in problem.shifts
                for d in range(problem.days)
            ],
            "templates": [
                {
                    "id": s,
                    "earliest_start": hhmm(start),
                    "latest_start": hhmm(start),
                    "start_step_minutes": 60,
                    "lengths_minutes": [length],
                }
                for s, (start, length) in layout.items()
            ],
            "contracts": [
                {
                    "id": "pw",
                    "min_paid_minutes": 60 * problem.min_working_hours,
                    "min_working_days": problem.days - problem.max_resting,
                    "forbidden_successions": forbidden,
                }
            ],
            "agents": agents,
            "weights": {
                "labor_cost": 1.0,
                "preferences": 1,
                "fairness": 0,
                "shift_patterns": 0,
                "over_staffing": 0,
            },
            "solver": settings.model_dump(),
        }
    )


def roster_result(
    instance: Instance, problem: RosterProblem, shifts: list[tuple[str, int, str]]
) -> SolveResult:
    """A roster (resource, day, shift) as our result format, for the validator."""
    layout = shift_layout(problem)
    assignments = []
    for r, d, s in shifts:
        start_min, length = layout[s]
        date = START + dt.timedelta(days=d)
        start = dt.datetime.combine(date, dt.time()) + dt.timedelta(minutes=start_min)
        assignments.append(
            Assignment(
                agent_id=r,
                date=date,
                start=start,
                end=start + dt.timedelta(minutes=length),
                template_id=s,
                paid_minutes=length,
            )
        )
    return SolveResult(instance=instance.name, status="feasible", assignments=assignments)


class _CpModelShim:
    """`cp_model` as pyworkforce's rostering module sees it, with a CpSolver that uses `workers`."""

    def __init__(self, workers: int) -> None:
        class Solver(cp_model.CpSolver):
            def __init__(self) -> None:
                super().__init__()
                self.parameters.num_workers = workers

        self.CpSolver = Solver

    def __getattr__(self, name: str) -> Any:
        return getattr(cp_model, name)


@contextmanager
def _roster_workers(workers: int) -> Iterator[None]:
    """MinHoursRoster creates its CpSolver inside solve(); give it `workers` (module docstring)."""
    from pyworkforce.rostering import binary_programming

    original = binary_programming.cp_model
    binary_programming.cp_model = _CpModelShim(workers)  # type: ignore[assignment]
    try:
        yield
    finally:
        binary_programming.cp_model = original


def run_pw_roster(
    problem: RosterProblem, time_limit: float, workers: int, banned: list[dict[str, Any]] | None = None
) -> PwRun:
    from pyworkforce.rostering.binary_programming import MinHoursRoster

    kwargs = problem.as_kwargs()
    if banned is not None:
        kwargs["banned_shifts"] = banned
    started = time.perf_counter()
    with _roster_workers(workers):
        out = MinHoursRoster(**kwargs, max_search_time=float(time_limit), num_search_workers=workers).solve()
    wall = time.perf_counter() - started
    if out["status"] not in ("OPTIMAL", "FEASIBLE"):
        return PwRun(out["status"], None, wall)
    shifts = [(row["resource"], int(row["day"]), row["shift"]) for row in out["resource_shifts"]]
    return PwRun(out["status"], float(out["cost"]), wall, shifts)


def pw_cost_of_roster(
    problem: RosterProblem, shifts: list[tuple[str, int, str]], time_limit: float, workers: int
) -> PwRun:
    """pyworkforce's own model restricted to `shifts` (every other resource/shift/day banned):
    feasible at the same cost when its model accepts the roster."""
    worked = set(shifts)
    banned = [
        {"resource": r, "shift": s, "day": d}
        for r in problem.resources
        for d in range(problem.days)
        for s in problem.shifts
        if (r, d, s) not in worked
    ]
    return run_pw_roster(problem, time_limit, workers, problem.banned + banned)


# --------------------------------------------------------------------------------------------
# Running both tools


@dataclass
class OursRun:
    result: SolveResult
    wall_s: float
    time_to_best_s: float | None


def run_ours(instance: Instance, settings: SolverSettings) -> OursRun:
    trace: list[tuple[float, float]] = []

    def record(event: ProgressEvent) -> None:
        if event.objective is not None:
            trace.append((event.elapsed_s, event.objective))

    started = time.perf_counter()
    result = solve(instance, settings, on_progress=record)
    wall = time.perf_counter() - started
    to_best = None
    if result.objective is not None:
        to_best = next((t for t, v in trace if v <= result.objective), wall)
    return OursRun(result, wall, to_best)


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    if ours is None or theirs is None:
        return None
    if theirs == 0:
        return 1.0 if ours == 0 else None
    return round(ours / theirs, 4)


def _status(name: str) -> str:
    return name.lower()


def shift_row(problem: ShiftProblem, objective: Objective, time_limit: float, workers: int) -> dict[str, Any]:
    settings = SolverSettings(time_limit_s=time_limit, workers=workers, seed=0)
    instance = design_instance(problem, objective, settings)
    offset = design_offset(problem, objective)
    pw = run_pw_shifts(problem, objective, time_limit, workers)
    row = _base_row(objective, problem.name, problem.seed, problem.size(), time_limit, workers, offset)
    row.update(pw_status=_status(pw.status), pw_cost=pw.cost, pw_wall_s=round(pw.wall_s, 3))
    if pw.solution is not None:
        _pw_validation(row, instance, result_from_lines(instance, lines_from_counts(problem, pw.solution)),
                       offset, pw.cost)
    ours = run_ours(instance, settings)
    _ours_fields(
        row,
        instance,
        ours,
        offset,
        feasible=lambda r: objective == "abs" or r.terms.get("under_staffing") == 0,
    )
    return row


def _pw_validation(row: dict[str, Any], instance: Instance, pw_result: SolveResult, offset: int,
                   pw_cost: float | None) -> None:
    """Score pyworkforce's solution with our validator; `agree` when it equals pyworkforce's own cost."""
    report = validate(instance, pw_result)
    row.update(
        pw_validator_objective=report.objective,
        pw_validator_ok=report.ok,
        pw_validator_terms=report.terms,
        agree=report.ok and report.objective + offset == round(pw_cost or 0),
    )
    if not report.ok:
        row["pw_validator_report"] = format_report(report)[:2000]


def roster_row(problem: RosterProblem, time_limit: float, workers: int) -> dict[str, Any]:
    settings = SolverSettings(time_limit_s=time_limit, workers=workers, seed=0)
    instance = roster_instance(problem, settings)
    offset = roster_offset(problem)
    pw = run_pw_roster(problem, time_limit, workers)
    row = _base_row("roster", problem.name, problem.seed, problem.size(), time_limit, workers, offset)
    row.update(pw_status=_status(pw.status), pw_cost=pw.cost, pw_wall_s=round(pw.wall_s, 3))
    if pw.solution is not None:
        _pw_validation(row, instance, roster_result(instance, problem, pw.solution), offset, pw.cost)
    ours = run_ours(instance, settings)
    _ours_fields(row, instance, ours, offset, feasible=lambda r: r.terms.get("shift_demand") == 0)
    if ours.result.assignments and row["ours_feasible_for_pw"]:
        shifts = [(a.agent_id, (a.date - START).days, a.template_id) for a in ours.result.assignments]
        check = pw_cost_of_roster(problem, shifts, time_limit, workers)
        row.update(
            pw_cost_of_ours=check.cost,
            pw_accepts_ours=check.cost is not None and round(check.cost) == row["ours_cost"],
        )
    return row


def _base_row(
    kind: str, name: str, seed: int, size: str, time_limit: float, workers: int, offset: int
) -> dict[str, Any]:
    return {
        "problem": kind,
        "name": name,
        "seed": seed,
        "size": size,
        "time_limit_s": time_limit,
        "workers": workers,
        "offset": offset,
        "pw_status": None,
        "pw_cost": None,
        "pw_wall_s": None,
        "pw_validator_objective": None,
        "pw_validator_ok": None,
        "agree": None,
    }


def _ours_fields(row: dict[str, Any], instance: Instance, ours: OursRun, offset: int, feasible: Any) -> None:
    result = ours.result
    report = validate(instance, result)
    is_feasible = result.objective is not None and report.ok and bool(feasible(result))
    ours_cost = result.objective + offset if is_feasible and result.objective is not None else None
    row.update(
        ours_status=result.status,
        ours_objective=result.objective,
        ours_terms=result.terms,
        ours_validator_objective=report.objective,
        ours_validator_ok=report.ok,
        ours_feasible_for_pw=is_feasible,
        ours_cost=ours_cost,
        ours_wall_s=round(ours.wall_s, 3),
        ours_time_to_best_s=None if ours.time_to_best_s is None else round(ours.time_to_best_s, 3),
        objective_ratio=_ratio(ours_cost, row["pw_cost"]),
        time_ratio=_ratio(ours.wall_s, row["pw_wall_s"]),
    )
    if not report.ok:
        row["ours_validator_report"] = format_report(report)[:2000]


# --------------------------------------------------------------------------------------------
# Plan, report, command line


FULL_SHIFTS = [(1, 1, 24, 6), (2, 3, 96, 12), (3, 7, 96, 20), (4, 7, 96, 80)]
"""(seed, days, periods per day, shifts); the last is a stress size beyond the usual 4-20 shifts."""
QUICK_SHIFTS = [(1, 1, 24, 5), (2, 3, 24, 8)]
FULL_ROSTERS = [
    (seed + size, days, n, k)
    for size, (days, n, k) in enumerate([(7, 10, 3), (14, 25, 4), (28, 40, 4)])
    for seed in (11, 21)
]
"""(seed, days, resources, shifts)."""
QUICK_ROSTERS = [(11, 7, 8, 3)]


def versions() -> dict[str, Any]:
    """The runner's versions (Python, OR-Tools, the package and its commit) plus pyworkforce's."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        pyworkforce = version("pyworkforce")
    except PackageNotFoundError:
        pyworkforce = None
    return {**runner_versions(), "pyworkforce": pyworkforce}


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.{digits}f}"
    return f"{int(value)}" if isinstance(value, float) else str(value)


def _agreement(row: dict[str, Any]) -> str:
    if row["pw_validator_objective"] is None:
        return "- (no pyworkforce solution)"
    text = f"{'yes' if row['agree'] else '**no**'} ({row['pw_validator_objective'] + row['offset']} = {_fmt(row['pw_cost'])})"
    if row.get("pw_accepts_ours") is not None:
        text += (
            "; ours accepted by pyworkforce"
            if row["pw_accepts_ours"]
            else "; **ours not accepted by pyworkforce**"
        )
    return text


def summary(rows: list[dict[str, Any]]) -> str:
    """One sentence: on how many problems our cost is lower, equal or higher than pyworkforce's."""
    ratios = [r["objective_ratio"] for r in rows if r["objective_ratio"] is not None]
    better, equal = sum(x < 1 for x in ratios), sum(x == 1 for x in ratios)
    worse = [r for r in rows if r["objective_ratio"] is not None and r["objective_ratio"] > 1]
    worst = max(worse, key=lambda r: r["objective_ratio"], default=None)
    text = (
        f"Ours is lower on {better}, equal on {equal} and higher on {len(worse)} of {len(rows)} problems"
        + (
            f" (worst ratio {worst['objective_ratio']:.4f}: {worst['problem']} {worst['name']})"
            if worst
            else ""
        )
        + "; the validator agrees with pyworkforce's own cost on "
        f"{sum(bool(r['agree']) for r in rows)} of {len(rows)}."
    )
    return text


def markdown(
    rows: list[dict[str, Any]], mode: str, started: str, wall_s: float, results: Path = RESULTS
) -> str:
    head = rows[0] if rows else {}
    v, h = head.get("versions", versions()), head.get("host", host())
    lines = [
        f"pyworkforce {v.get('pyworkforce')} against this engine on identical inputs from one seeded generator, "
        f"in the same run: `python -m benchmarks.pyworkforce_baseline{' --quick' if mode == 'quick' else ''}` "
        f"({mode} run, {started}, {wall_s:.1f} s in all). Time limit {head.get('time_limit_s')} s and "
        f"{head.get('workers')} CP-SAT workers for every solve of both tools; costs on pyworkforce's scale "
        "(lower is better); ratios are ours / pyworkforce (objective ratio < 1: ours is better).",
        "",
        summary(rows),
        "",
        "| problem | size | pyworkforce cost | pyworkforce time s | pyworkforce status | ours cost | ours time s "
        "(to best) | ours status | objective ratio | time ratio | validator agreement |",
        "| --- | --- | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    for row in rows:
        ours_status = row["ours_status"] + ("" if row["ours_validator_ok"] else ", **invalid**")
        if row["ours_objective"] is not None and not row["ours_feasible_for_pw"]:
            ours_status += ", not feasible for pyworkforce"
        lines.append(
            f"| {row['problem']} | {row['size']} | {_fmt(row['pw_cost'])} | {_fmt(row['pw_wall_s'], 2)} | "
            f"{row['pw_status']} | {_fmt(row['ours_cost'])} | {_fmt(row['ours_wall_s'], 2)} "
            f"({_fmt(row['ours_time_to_best_s'], 2)}) | {ours_status} | {_fmt(row['objective_ratio'], 4)} | "
            f"{_fmt(row['time_ratio'], 2)} | {_agreement(row)} |"
        )
    lines += [
        "",
        "Problems: " + "; ".join(f"`{k}` = {t}" for k, t in PROBLEM_TITLES.items()) + ".",
        "",
        "*Validator agreement*: pyworkforce's solution (its shift counts as design lines, its roster as "
        "assignments) evaluated by our independent validator, plus the exact offset between the two "
        "objectives, equals pyworkforce's own reported cost (`yes (validator + offset = pyworkforce)`), and "
        "the validator finds no hard violation: the inputs are identical. For the roster, our solution is also "
        "handed back to pyworkforce's own model (every other resource/shift/day banned), which accepts it at "
        "the same cost. Our results are validated too.",
        "",
        "Mapping and caveats (details in the module docstring of `benchmarks/pyworkforce_baseline.py`):",
        "",
        "- `abs`: our shift design (non-cyclic horizon, one skill, one pool without limits, one template per "
        "pyworkforce shift with a fixed start and length and no breaks, under_staffing [1], over_staffing 1, "
        "shift_patterns 0) has exactly pyworkforce's objective; its concurrency bounds are set loose "
        "(per shift: the peak requirement; per period: shifts x peak), which cuts no optimum.",
        "- `min`: MinRequiredResources with each shift's cost = its length in periods. Ours prices "
        "under-staffing at (longest shift + 1) per agent-interval, so every optimum covers the demand "
        "(exact on optima, soft in form); then our objective (over-staffing) = pyworkforce's cost - total "
        "requirement. Its default cost (1 per shift: minimize the number of shifts) is not expressible in "
        "shift design (no per-shift cost there) and is not run.",
        "- `roster`: cover per shift and day -> `shift_demand` (over_weight 0, under_weight above any "
        "roster's cost: lexicographically hard, not a hard rule); min working hours -> `min_paid_minutes`; "
        "max resting days -> `min_working_days` = days - max_resting; banned shifts -> availability windows "
        "(one per allowed shift and day; exact because the shift times are laid out inside one day with "
        "strictly increasing starts and ends, so no window contains another shift); non-sequential shifts -> "
        "what pyworkforce enforces, which is stronger than its docstring (after an origin shift with one "
        "forbidden successor, no shift at all the next day -> `forbidden_successions` to every template; "
        "with two or more, the origin only on the last day); hours -> labor_cost (cost_per_hour 1: whole "
        "hours, no breaks; over_staffing 0, as there is no interval demand); preferences -> a shift request (on, that template, weight = priority) per "
        "preferred shift and day, so our objective = pyworkforce's cost + sum of days x priority over the "
        "preferences. Shift times are ours to choose (pyworkforce has none) and play no other part; "
        "priorities must be integers.",
        "- pyworkforce 0.5.4 sets `solver.num_search_workers`, which OR-Tools 9.15 ignores (CP-SAT would use "
        "every core); the script sets `parameters.num_workers` on its solvers so both tools use the same "
        "number of workers. Times are wall clock of each tool's whole solve call (model building included), "
        "on a shared 2-core machine where other jobs may run: read time ratios as indicative. Our shift "
        "design solves one complete model when it has at most 300 count variables (shifts x days), or "
        "at most 20,000 when shift lines cost nothing (all problems here), and stops when optimal; above "
        "that it runs a pattern LNS to the time limit; our named roster solver (LNS on larger instances) uses its whole time limit "
        "unless it proves optimality, hence the time to best in brackets.",
        "",
        f"Versions: pyworkforce {v.get('pyworkforce')}, OR-Tools {v.get('ortools')}, Python {v.get('python')}, "
        f"commit {v.get('commit')}. Machine: {h.get('cpu_model')}, {h.get('cpu_count')} logical CPUs, "
        f"{h.get('platform')}. Rows: `{_display(results)}`.",
    ]
    return "\n".join(lines)


def _display(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def plan(quick: bool) -> list[tuple[str, Any]]:
    """(kind, problem) in run order."""
    out: list[tuple[str, Any]] = []
    shift_problems = [
        generate_shift_problem(seed, days, periods, n)
        for seed, days, periods, n in (QUICK_SHIFTS if quick else FULL_SHIFTS)
    ]
    for objective in ("abs", "min"):
        out += [(objective, p) for p in shift_problems]
    out += [
        ("roster", generate_roster_problem(seed, days, n, k))
        for seed, days, n, k in (QUICK_ROSTERS if quick else FULL_ROSTERS)
    ]
    return out


def run(
    quick: bool = False,
    time_limit: float | None = None,
    workers: int = 2,
    results: Path = RESULTS,
    markdown_path: Path | None = MARKDOWN,
) -> list[dict[str, Any]]:
    limit = time_limit if time_limit is not None else (5.0 if quick else 30.0)
    mode = "quick" if quick else "full"
    started_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    started = time.perf_counter()
    v, h = versions(), host()
    rows = []
    for kind, problem in plan(quick):
        if kind == "roster":
            row = roster_row(problem, limit, workers)
        else:
            row = shift_row(problem, kind, limit, workers)
        row.update(mode=mode, started_at=started_at, versions=v, host=h)
        append_row(results, row)
        rows.append(row)
        print(
            f"{kind:>6} {problem.name:<14} pyworkforce {_fmt(row['pw_cost']):>8} in {row['pw_wall_s']:6.2f} s "
            f"({row['pw_status']}); ours {_fmt(row['ours_cost']):>8} in {row['ours_wall_s']:6.2f} s "
            f"({row['ours_status']}); ratio {_fmt(row['objective_ratio'], 4)}; agree {row['agree']}",
            flush=True,
        )
    body = markdown(rows, mode, started_at, time.perf_counter() - started, results)
    if markdown_path is not None:
        write_section(markdown_path, SECTION, body, title="Comparison with pyworkforce")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.pyworkforce_baseline",
        description="pyworkforce against this engine on identical inputs.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes and 5 s limits")
    parser.add_argument(
        "--time-limit", type=float, default=None, help="seconds per solve (default 30; quick 5)"
    )
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers for both tools")
    parser.add_argument("-o", "--output", type=Path, default=RESULTS, help="JSONL rows (appended)")
    parser.add_argument("--markdown", type=Path, default=MARKDOWN, help="Markdown file with the section")
    parser.add_argument("--no-report", action="store_true", help="do not rewrite the Markdown section")
    args = parser.parse_args(argv)
    try:
        import pyworkforce  # noqa: F401
    except ImportError:
        print(
            "pyworkforce is not installed: pip install pyworkforce (or the project's test extra)",
            file=sys.stderr,
        )
        return 2
    rows = run(
        args.quick, args.time_limit, args.workers, args.output, None if args.no_report else args.markdown
    )
    return 0 if all(r["agree"] and r["ours_validator_ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
