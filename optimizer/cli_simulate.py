"""`wfm simulate INSTANCE SCHEDULE`: a discrete-event simulation of a solved schedule against the
instance's forecast, next to the Erlang prediction (`optimizer.simulate.schedule`).

Prints, per skill (and all voice and chat skills together) and per day and for the horizon, the
simulated service level, mean wait of all offered contacts and abandonment with their confidence
intervals over the replications, next to the Erlang prediction for the same agents; ``-o`` writes
one CSV row per skill and interval (the simulated measures with ``_lo``/``_hi`` bounds, the
``erlang_*`` prediction, ``scheduled`` agents and ``single_skill``). Registered on the `wfm` app
by `optimizer.cli_requirements.register`. Exit codes: 0 success, 2 bad input.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

EXIT_BAD_INPUT = 2

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _pct(x: float) -> str:
    return "-" if x is None or math.isnan(x) else f"{100 * x:5.1f}%"


def _sec(x: float) -> str:
    return "-" if x is None or math.isnan(x) else f"{x:6.1f}"


def _ci(mean: float, lo: float, hi: float, fmt) -> str:  # type: ignore[no-untyped-def]
    if math.isnan(lo):
        return f"{fmt(mean)}"
    return f"{fmt(mean)} [{fmt(lo).strip()}, {fmt(hi).strip()}]"


def simulation_table(sim) -> list[str]:  # type: ignore[no-untyped-def]
    """The printed comparison: one line per skill and period."""
    lines = [f"{'skill':<8}{'period':<12}{'volume':>9}  {'SL simulated':<24}{'Erlang':>8}  "
             f"{'wait s simulated':<24}{'Erlang':>8}  {'abandon simulated':<24}{'Erlang':>8}"]
    for rec in sim.periods.to_dict("records"):
        lines.append(
            f"{rec['skill']:<8}{rec['period']:<12}{rec['volume']:>9,.0f}  "
            f"{_ci(rec['service_level'], rec['service_level_lo'], rec['service_level_hi'], _pct):<24}"
            f"{_pct(rec['erlang_service_level']):>8}  "
            f"{_ci(rec['mean_wait_s'], rec['mean_wait_s_lo'], rec['mean_wait_s_hi'], _sec):<24}"
            f"{_sec(rec['erlang_mean_wait_s']):>8}  "
            f"{_ci(rec['abandonment'], rec['abandonment_lo'], rec['abandonment_hi'], _pct):<24}"
            f"{_pct(rec['erlang_abandonment']):>8}")
    return lines


def simulate(
    instance_path: Annotated[Path, typer.Argument(metavar="INSTANCE", help="Instance JSON (with a forecast).")],
    schedule_path: Annotated[Path, typer.Argument(metavar="SCHEDULE", help="Schedule JSON (wfm solve -o).")],
    replications: Annotated[int, typer.Option("--replications", help="Independent replications (1 to 1,000).")] = 20,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same numbers).")] = 0,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the per-interval CSV here.")] = None,
    routing: Annotated[str, typer.Option("--routing", help="activities: agents serve their planned skill; "
                                         "skills: multi-skill agents take any call of their skills.")
                       ] = "activities",
    handle_time: Annotated[str, typer.Option("--handle-time", help="exponential or lognormal.")] = "exponential",
    confidence: Annotated[float, typer.Option("--confidence", help="Confidence level of the intervals.")] = 0.95,
) -> None:
    """Simulate a schedule against the forecast (SimPy), next to the Erlang prediction."""
    from optimizer.cli import _bad_input, _load, _load_result, check_outputs
    from optimizer.domain.instance import InstanceError
    from optimizer.simulate.api import replications_problem
    from optimizer.simulate.schedule import simulate_schedule

    check_outputs(("-o", output))
    instance = _load(instance_path)
    result = _load_result(schedule_path)
    problems = []
    if seed < 0:
        problems.append(f"--seed: must be 0 or more (got {seed})")
    if (reason := replications_problem(replications)) is not None:
        problems.append(f"--replications: {reason}")
    if routing not in ("activities", "skills"):
        problems.append(f"--routing: must be activities or skills (got {routing})")
    if handle_time not in ("exponential", "lognormal"):
        problems.append(f"--handle-time: must be exponential or lognormal (got {handle_time})")
    if not result.assignments:
        problems.append(f"{schedule_path}: the schedule has no shifts (status {result.status})")
    else:
        from optimizer.validate import validate

        broken = validate(instance, result).hard
        if broken:  # shifts of other agents or another week would simulate as nobody on shift
            problems.append(f"{schedule_path}: breaks {len(broken)} hard rule(s) of {instance_path}, e.g. "
                            f"{broken[0].message}; see wfm validate")
    if problems:
        for problem in problems:
            err.print(f"[bold red]error:[/] {problem}", markup=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        sim = simulate_schedule(instance, result, replications=replications, seed=seed, routing=routing,  # type: ignore[arg-type]
                                handle_time=handle_time, confidence=confidence)  # type: ignore[arg-type]
    except InstanceError as exc:
        raise _bad_input(exc, "the simulation settings") from None
    except ValueError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    out.print(f"simulated {instance.name}: {', '.join(sim.skills)}; {sim.replications} replications, seed "
              f"{sim.seed}, routing by {sim.routing}, {sim.confidence:.0%} confidence intervals; "
              f"{sim.elapsed_s:.1f} s", markup=False)
    for skill, why in sim.skipped.items():
        out.print(f"  not simulated: {skill} ({why})", markup=False)
    out.print()
    for line in simulation_table(sim):
        out.print(line, markup=False)
    frame = sim.intervals
    single = frame[(frame["single_skill"]) & (frame["volume"] > 0) & frame["service_level_lo"].notna()
                   & frame["erlang_service_level"].notna()]
    if len(single):
        inside = ((single["erlang_service_level"] >= single["service_level_lo"])
                  & (single["erlang_service_level"] <= single["service_level_hi"])).mean()
        out.print(f"\nsingle-skill intervals with contacts: {len(single)}; Erlang service level inside the "
                  f"simulated confidence interval in {inside:.1%} of them", markup=False)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(output, index=False, float_format="%.6g")
        out.print(f"per-interval CSV written to {output}", markup=False)
