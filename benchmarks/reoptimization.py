"""Re-optimization after a forecast change, against a cold re-solve (issue: re-optimization).

On instances/multiskill-medium.json: publish a roster (one solve), raise demand by 15% on two
days (Tuesday, Thursday) and cut it by 10% on one (Saturday), then solve the new instance three
ways with the same time limit and workers: cold (no published roster), re-optimized with the
published roster as warm start (default change costs, no freeze), and re-optimized without the
warm start (`use_hints=False`: same objective, construction from scratch). Reports coverage,
under-staffing, the share of agent-days changed against the published roster, and the time to the
first good schedule (within 1% of the best final objective of the re-optimized runs). Then the
trade-off: the same re-optimization with every change cost scaled down (`--change-scales`), which
shows how much coverage the default change costs give up for stability; scale 0 (every change costs
1) shows how far the search from the published roster gets when changes cost next to nothing. And
with every kind of change at one price (`--uniform-change-hours`, in agent-hours of under-staffing),
which prices what the target counts: a changed agent-day, whatever the change.

Then the whole comparison (publish, cold re-solve, re-optimize) again with other seeds
(`--repeat-seeds`): the targets are reported per run, as one run says little on a shared machine.

    python -m benchmarks.reoptimization [--time-limit 60] [--workers 2] [--seed 1] [--change-scales 0.5,0.25,0]
        [--uniform-change-hours 0.5,0.25,0.125] [--repeat-seeds 2,3]

writes the `reoptimization` section of benchmarks/RESULTS.md and benchmarks/results/reoptimization.json.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import ortools
import typer

from benchmarks.report import write_section
from optimizer.domain.baseline import (
    DEFAULT_CHANGE_HOURS,
    Baseline,
    ChangeWeights,
    agent_hour_price,
    change_weights_of,
)
from optimizer.domain.instance import Instance, parse_instance
from optimizer.domain.schedule import RosterDiff, SolveResult
from optimizer.io import load_instance
from optimizer.solve import diff
from optimizer.solve.progress import ProgressEvent
from optimizer.solve.solver import solve
from optimizer.validate import validate

REPO = Path(__file__).resolve().parent.parent
CHANGES = {1: 1.15, 3: 1.15, 5: 0.90}
"""Day index -> demand factor (the medium instance starts on a Monday)."""


TRIED = ("Tried for the 2% target and left out, each measured on this change (numbers in the docstring of "
         "`optimizer/solve/warm.py`): starting from the cold re-solve with its weeks matched to the agents they "
         "resemble most; crossovers that allow each agent-day only its published or its cold shift (cold-level "
         "coverage, at 0.53-0.6 of the cold re-solve's changed agent-days); ruin and recreate; raising the "
         "change costs during the search; letting shifts change only on the days whose demand changed; "
         "choosing each agent's working days first; pricing break moves higher; and, from a roster priced at "
         "0.25 agent-h per change (67.5 h with 256 agent-days changed after 300 s), one CP-SAT model that may "
         "re-place every Tuesday and Thursday shift, the other days kept, for 120 s (63.0 h with 292 even when "
         "changes there cost 1: the raised days stay 15-16 h short each, where the cold re-solve, with 2-3 more "
         "shifts on each, is 8 h short). None reaches the cold re-solve's coverage at a third of its changes.")


def changed_demand(instance: Instance) -> Instance:
    per_day = instance.horizon.intervals_per_day
    data = instance.model_dump(mode="json")
    for row in data["demand"]:
        row["required"] = [round(n * CHANGES.get(t // per_day, 1.0)) for t, n in enumerate(row["required"])]
    data["name"] = instance.name + "-forecast-change"
    return parse_instance(data)


def timed_solve(instance: Instance, **settings: object) -> tuple[SolveResult, list[tuple[float, int]]]:
    trace: list[tuple[float, int]] = []
    best: list[int] = []

    def record(event: ProgressEvent) -> None:
        if event.objective is not None and (not best or event.objective < best[-1]):
            best.append(int(event.objective))
            trace.append((event.elapsed_s, int(event.objective)))

    result = solve(instance, instance.solver.model_copy(update=settings), record)
    if result.objective is not None:
        trace.append((result.wall_time_s, result.objective))
    report = validate(instance, result)
    assert report.ok, f"{instance.name}: the validator rejects the schedule"
    return result, trace


def with_scaled_change_costs(instance: Instance, scale: float) -> Instance:
    """The re-optimization instance with every (resolved) change weight times `scale`, at least 1."""
    weights = change_weights_of(instance)
    return _with_change_weights(instance, weights.model_copy(update={
        name: max(1, round(scale * value)) for name, value in weights.model_dump().items()}))


def with_uniform_change_costs(instance: Instance, hours: float) -> Instance:
    """The re-optimization instance with every kind of change at `hours` agent-hours of under-staffing
    (at least 1)."""
    agent_hour = agent_hour_price(instance.weights.under_staffing[0], instance.horizon.interval_minutes)
    price = max(1, round(hours * agent_hour))
    return _with_change_weights(instance, change_weights_of(instance).model_copy(
        update=dict.fromkeys(DEFAULT_CHANGE_HOURS, price)))


def _with_change_weights(instance: Instance, weights: ChangeWeights) -> Instance:
    return instance.model_copy(update={"baseline": instance.baseline.model_copy(update={"weights": weights})})


def first_within(trace: list[tuple[float, int]], target: float) -> float | None:
    return next((t for t, value in trace if value <= target), None)


@dataclass
class Trial:
    """One seed's published roster, and the cold re-solve and the re-optimization of the changed demand."""

    seed: int
    published: SolveResult
    with_roster: Instance
    cold: SolveResult
    cold_diff: RosterDiff
    warm: SolveResult
    warm_trace: list[tuple[float, int]]

    @property
    def outcome(self) -> Outcome:
        return self.outcome_of(self.warm)

    def outcome_of(self, reoptimized: SolveResult) -> Outcome:
        """A re-optimization of this trial's published roster (at any change costs) against its cold re-solve."""
        return Outcome(self.seed, self.cold.kpis.under_staffed_agent_hours, self.cold_diff.agent_days_changed,
                       reoptimized.kpis.under_staffed_agent_hours, reoptimized.changes.agent_days_changed)


@dataclass(frozen=True)
class Outcome:
    """What the targets compare, for one seed."""

    seed: int
    cold_under: float
    cold_changed: int
    warm_under: float
    warm_changed: int

    @property
    def ratio(self) -> float:
        return self.warm_changed / max(1, self.cold_changed)

    @property
    def under_vs_cold(self) -> float:
        return (self.warm_under - self.cold_under) / max(1e-9, self.cold_under)


def run_trial(base: Instance, settings: dict[str, object]) -> Trial:
    published, _ = timed_solve(base, **settings)
    new = changed_demand(base)
    with_roster = parse_instance({**new.model_dump(mode="json"),
                                  "baseline": Baseline(assignments=published.assignments).model_dump(mode="json")})
    cold, _ = timed_solve(new, **settings)
    warm, warm_trace = timed_solve(with_roster, **settings)
    cold_diff = diff.roster_diff(with_roster, cold.assignments, cold.kpis)
    return Trial(int(settings["seed"]), published, with_roster, cold, cold_diff, warm, warm_trace)


def repeats_section(outcomes: list[Outcome]) -> list[str]:
    """The seeds side by side, their medians, and in how many runs each target was met."""
    median = statistics.median
    return [
        "| seed | cold re-solve: under-staffed agent-h | agent-days changed | re-optimized: under-staffed agent-h "
        "| agent-days changed | changed vs cold | under-staffing vs cold |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(f"| {o.seed} | {o.cold_under:,.1f} | {o.cold_changed:,} | {o.warm_under:,.1f} | {o.warm_changed:,} | "
          f"{o.ratio:.2f} | {100 * o.under_vs_cold:+.1f}% |" for o in outcomes),
        f"| median | {median([o.cold_under for o in outcomes]):,.1f} | {median([o.cold_changed for o in outcomes]):,.0f} "
        f"| {median([o.warm_under for o in outcomes]):,.1f} | {median([o.warm_changed for o in outcomes]):,.0f} | "
        f"{median([o.ratio for o in outcomes]):.2f} | {100 * median([o.under_vs_cold for o in outcomes]):+.1f}% |",
        "",
        "| target | result |",
        "|---|---|",
        f"| re-optimized changes at most a third of the cold re-solve's agent-days | "
        f"{_met_in(outcomes, [o.ratio <= 1 / 3 for o in outcomes])} |",
        f"| ... at under-staffing within 2% of the cold re-solve | "
        f"{_met_in(outcomes, [o.ratio <= 1 / 3 and o.under_vs_cold <= 0.02 for o in outcomes])} |",
    ]


def _met_in(outcomes: list[Outcome], met: list[bool]) -> str:
    """'met' only when every run met it; either way in how many runs, and which seeds met it."""
    seeds = [str(o.seed) for o, ok in zip(outcomes, met, strict=True) if ok]
    if len(seeds) == len(outcomes):
        return f"met (in every run: seed {', '.join(seeds)})"
    return f"**not met** (met in {len(seeds)} of {len(outcomes)} runs{': seed ' + ', '.join(seeds) if seeds else ''})"


def main(time_limit: float = 60.0, workers: int = 2, seed: int = 1, change_scales: str = "0.5,0.25,0",
         uniform_change_hours: str = "0.5,0.25,0.125", repeat_seeds: str = "2,3") -> None:
    settings = {"time_limit_s": time_limit, "workers": workers, "seed": seed}
    base = load_instance(REPO / "instances" / "multiskill-medium.json")
    started = time.time()
    trial = run_trial(base, settings)
    published, with_roster, cold, cold_diff = trial.published, trial.with_roster, trial.cold, trial.cold_diff
    warm, warm_trace = trial.warm, trial.warm_trace
    nohint, nohint_trace = timed_solve(with_roster, **{**settings, "use_hints": False})
    scales = [float(x) for x in change_scales.split(",") if x.strip()]
    scaled = [(scale, timed_solve(with_scaled_change_costs(with_roster, scale), **settings)[0]) for scale in scales]
    prices = [float(x) for x in uniform_change_hours.split(",") if x.strip()]
    uniform = [(hours, timed_solve(with_uniform_change_costs(with_roster, hours), **settings)[0]) for hours in prices]
    extra = [int(x) for x in repeat_seeds.split(",") if x.strip()]
    outcomes = [trial.outcome, *(run_trial(base, {**settings, "seed": other}).outcome for other in extra)]
    good = 1.01 * min(warm.objective or 0, nohint.objective or 0)
    rows = [
        ("cold re-solve", cold, cold_diff, None),
        ("re-optimized (published roster as warm start)", warm, warm.changes, first_within(warm_trace, good)),
        ("re-optimized, no warm start", nohint, nohint.changes, first_within(nohint_trace, good)),
    ]
    under_vs_required = (warm.kpis.under_staffed_agent_hours - cold.kpis.under_staffed_agent_hours) / max(
        1e-9, cold.kpis.required_agent_hours)
    lines = [
        f"Published roster: `multiskill-medium`, {time_limit:g} s, {workers} workers, seed {seed} "
        f"(objective {published.objective:,}, coverage {published.kpis.coverage_pct:.2f}%). New demand: "
        "+15% on Tuesday and Thursday, -10% on Saturday (every interval, rounded). Each run below: "
        f"{time_limit:g} s, {workers} workers, seed {seed}; every schedule passed the validator. The published "
        f"roster against the new demand: coverage {cold_diff.kpis_before.coverage_pct:.2f}%, under-staffed "
        f"{cold_diff.kpis_before.under_staffed_agent_hours:,.1f} agent-hours.",
        "",
        "| run | objective (own) | coverage | under-staffed agent-h | under_staffing term | agent-days changed "
        "| share | first within 1% of the best re-optimized objective |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, result, changes, first in rows:
        lines.append(
            f"| {name} | {result.objective:,} | {result.kpis.coverage_pct:.2f}% | "
            f"{result.kpis.under_staffed_agent_hours:,.1f} | {result.terms['under_staffing']:,} | "
            f"{changes.agent_days_changed:,} / {changes.agent_days:,} | {100 * changes.changed_share:.1f}% | "
            f"{'-' if first is None else f'{first:.1f} s'} |")
    lines += [
        "",
        "The cold re-solve's objective has no change costs; the re-optimized ones include them "
        f"(`changes` term: {warm.terms['changes']:,} and {nohint.terms['changes']:,}).",
        "",
    ]
    trade_offs = [
        *((f"x {scale:g}{' (default)' if scale == 1 else ' (1 per change)' if scale == 0 else ''}", r)
          for scale, r in [(1.0, warm), *scaled]),
        *((f"{hours:g} agent-h per change, every kind", r) for hours, r in uniform),
    ]
    if scaled or uniform:
        lines += [
            "Trade-off: the same re-optimization (published roster as warm start) with every change cost "
            "scaled (at least 1 each; x 0: every change costs 1), then with every kind of change (moved, added, "
            "removed, break moved) at one price in agent-hours of under-staffing (the defaults: 0.05 for a "
            "break moved to 1.5 for a shift added or removed); lower change costs buy coverage with changes.",
            "",
            "| change costs | under-staffed agent-h | vs cold | agent-days changed | vs cold |",
            "|---|---:|---:|---:|---:|",
            *(f"| {label} | {o.warm_under:,.1f} | {100 * o.under_vs_cold:+.1f}% | {o.warm_changed:,} | {o.ratio:.2f} |"
              for label, o in [(label, trial.outcome_of(r)) for label, r in trade_offs]),
            "",
        ]
    lines += [
        f"The targets, over {len(outcomes)} runs of the whole comparison (a published roster, its cold re-solve and "
        f"its re-optimization at default change costs, each with its own seed; seed {seed} is the run above). "
        "Wall-clock time limits on a shared machine make runs of the same seed differ as much as seeds do.",
        "",
        *repeats_section(outcomes),
        "",
        f"Read instead as a share of the required agent-hours (as issue 2 defines the coverage gap, so that a "
        f"small figure does not blow the ratio up), in the run with seed {seed} the re-optimized roster's "
        "under-staffing is "
        f"{100 * under_vs_required:.2f}% of the required agent-hours above the cold re-solve's ("
        f"{warm.kpis.under_staffed_agent_hours:,.1f} against {cold.kpis.under_staffed_agent_hours:,.1f} of "
        f"{cold.kpis.required_agent_hours:,.1f} required agent-hours); the target line keeps the stricter reading, "
        "relative to the cold re-solve's under-staffing.",
        "",
        TRIED,
        "",
        f"Command: `python -m benchmarks.reoptimization --time-limit {time_limit:g} --workers {workers} --seed {seed} "
        f"--change-scales {change_scales} --uniform-change-hours {uniform_change_hours} "
        f"--repeat-seeds {repeat_seeds}`; "
        f"ortools {ortools.__version__}, Python {platform.python_version()}, {platform.machine()}, "
        f"run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {time.time() - started:.0f} s in all.",
    ]
    write_section(REPO / "benchmarks" / "RESULTS.md", "reoptimization", "\n".join(lines),
                  title="Re-optimization after a forecast change")
    out = REPO / "benchmarks" / "results" / "reoptimization.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "settings": settings, "published_objective": published.objective,
        "runs": {name: {"objective": r.objective, "terms": r.terms, "kpis": r.kpis.model_dump(),
                        "agent_days_changed": c.agent_days_changed, "first_good_s": f}
                 for name, r, c, f in rows},
        "scaled_change_costs": {str(scale): {"under_staffed_agent_hours": r.kpis.under_staffed_agent_hours,
                                             "agent_days_changed": r.changes.agent_days_changed}
                                for scale, r in scaled},
        "uniform_change_costs": {str(hours): {"under_staffed_agent_hours": r.kpis.under_staffed_agent_hours,
                                              "agent_days_changed": r.changes.agent_days_changed}
                                 for hours, r in uniform},
        "repeats": [{**asdict(o), "ratio_changed": o.ratio, "under_vs_cold": o.under_vs_cold} for o in outcomes],
        "under_vs_required": under_vs_required},
        indent=2))
    print("\n".join(lines))


if __name__ == "__main__":
    typer.run(main)
