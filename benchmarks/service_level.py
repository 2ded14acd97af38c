"""Service-level objective vs head-count objective on multiskill-medium-forecast, and the
simulation against the Erlang prediction.

    .venv/bin/python benchmarks/service_level.py [--time-limit 60] [--workers 2] [--seed 1]
                                                 [--replications 20] [--no-write]

1. Solves `instances/multiskill-medium-forecast.json` twice, one after the other, with the same
   time limit, workers, seed, agents and contracts: once with ``weights.under_staffing_mode =
   head_count`` (the k-th missing agent of any interval costs the k-th of [100, 150, 225, 350])
   and once with ``service_level`` (per-interval convex weights from the Erlang curve). Equal paid
   hours by construction: both runs use the instance's contracts with the maximum paid minutes
   set to the minimum (every agent is paid exactly its contract minimum; the generator's agents
   all fit it). ``--also-free`` adds the pair with the contracts as they are (paid hours then
   differ and are reported). Each schedule is checked by the independent validator.
2. Reports the predicted service of each schedule (Erlang C on the coverage, volume-weighted over
   the week) per skill and over voice and chat.
3. Simulates the service-level schedule (SimPy, ``--replications``, seed 0, agents on their planned
   activities) and compares with the Erlang prediction: per skill over the week, and per interval
   the share of intervals with contacts whose Erlang service level lies inside the simulated 95%
   confidence interval, on the single-skill intervals (no multi-skill agent serves the skill then)
   and on all.

Writes a Markdown section into benchmarks/RESULTS.md between ``<!-- section:service-level -->``
and ``<!-- /section:service-level -->`` (only that section is replaced; appended when absent).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import write_section  # noqa: E402
from optimizer.domain.instance import Instance, SolverSettings  # noqa: E402
from optimizer.domain.schedule import SolveResult  # noqa: E402
from optimizer.io import load_instance  # noqa: E402
from optimizer.simulate.schedule import simulate_schedule  # noqa: E402
from optimizer.solve.solver import solve  # noqa: E402
from optimizer.validate import validate  # noqa: E402

INSTANCE = ROOT / "instances" / "multiskill-medium-forecast.json"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SECTION = "service-level"
MODES = ("head_count", "service_level")


def with_mode(instance: Instance, mode: str) -> Instance:
    return instance.model_copy(update={"weights": instance.weights.model_copy(update={"under_staffing_mode": mode})})


def fixed_paid(instance: Instance) -> Instance:
    """Every contract's maximum paid minutes set to its minimum: paid hours are the same in any schedule."""
    contracts = [c.model_copy(update={"max_paid_minutes": c.min_paid_minutes}) for c in instance.contracts]
    return instance.model_copy(update={"contracts": contracts})


def horizon_service(result: SolveResult) -> dict[str, dict[str, float | None]]:
    return {m.skill: {"sl": m.service_level, "asa": m.asa_s, "occ": m.occupancy}
            for m in result.kpis.service_level if m.period == "horizon"}


def pct(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{100 * x:.{digits}f}%"


def main() -> None:  # noqa: C901 - a linear script
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--also-free", action="store_true", help="also the pair with the contracts as they are")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    load = os.getloadavg()[0]
    original = load_instance(INSTANCE)
    settings = SolverSettings(time_limit_s=args.time_limit, workers=args.workers, seed=args.seed)
    variants = {"paid minutes fixed at the contract minimum": fixed_paid(original)}
    if args.also_free:
        variants["contracts as in the instance"] = original
    all_runs: dict[str, dict[str, tuple[SolveResult, bool]]] = {}
    for label, base in variants.items():
        runs = all_runs.setdefault(label, {})
        for mode in MODES:
            instance = with_mode(base, mode)
            started = time.perf_counter()
            result = solve(instance, settings)
            report = validate(instance, result)
            runs[mode] = (result, report.ok)
            service = horizon_service(result)
            print(f"{mode:<14} {result.status:<9} objective {result.objective:>10,}  "  # noqa: T201
                  f"paid {result.kpis.paid_hours:,.1f} h  coverage {result.kpis.coverage_pct:.2f}%  "
                  f"SL all {pct(service['all']['sl'])}  valid {report.ok}  ({time.perf_counter() - started:.0f} s)")

    base = variants["paid minutes fixed at the contract minimum"]
    runs = all_runs["paid minutes fixed at the contract minimum"]
    sl_instance = with_mode(base, "service_level")
    sl_result = runs["service_level"][0]
    sim = simulate_schedule(sl_instance, sl_result, replications=args.replications, seed=0)
    frame = sim.intervals
    with_calls = frame[(frame["volume"] > 0) & frame["service_level_lo"].notna()]

    def coverage_of(part) -> tuple[int, float]:  # type: ignore[no-untyped-def]
        inside = (part["erlang_service_level"] >= part["service_level_lo"]) & (
            part["erlang_service_level"] <= part["service_level_hi"])
        return len(part), float(inside.mean()) if len(part) else float("nan")

    single_n, single_cov = coverage_of(with_calls[with_calls["single_skill"]])
    all_n, all_cov = coverage_of(with_calls)
    gap_single = (with_calls[with_calls["single_skill"]]["service_level"]
                  - with_calls[with_calls["single_skill"]]["erlang_service_level"]).abs().mean()
    print(f"simulation: {single_n} single-skill intervals, Erlang inside the CI in {single_cov:.1%}; "  # noqa: T201
          f"all {all_n}: {all_cov:.1%}; {sim.elapsed_s:.0f} s")

    skills = [s.id for s in base.skills]
    names = {"head_count": "head count (`under_staffing` [100, 150, 225, 350])",
             "service_level": f"service level (scale {base.weights.service_level_scale})"}
    lines = [
        f"_Generated by `python benchmarks/service_level.py` on {dt.date.today()} (CPython "
        f"{platform.python_version()}, {platform.machine()}, {args.workers} workers); edit the script, not this "
        "text._",
        "",
        f"`instances/multiskill-medium-forecast.json` (the medium's 150 agents and contracts; demand as forecasts "
        f"whose derived requirements are the medium's), solved once per objective, {args.time_limit:g} s, "
        f"{args.workers} CP-SAT workers, seed {args.seed}. Predicted service: Erlang C on each schedule's coverage "
        "(net of breaks), volume-weighted over the week; email is deferred work (no service level).",
        "",
        "| contracts | under-staffing objective | status | paid hours | coverage | under-staffed agent-h | "
        + " | ".join(f"SL {s}" for s in skills if s != "email") + " | SL voice+chat | ASA voice+chat (s) | validator |",
        "|---|---|---|---:|---:|---:|" + "---:|" * (len([s for s in skills if s != "email"]) + 2) + "---|",
    ]
    verdicts = []
    for label, pair in all_runs.items():
        for mode in MODES:
            result, ok = pair[mode]
            service = horizon_service(result)
            asa = service["all"]["asa"]
            lines.append(
                f"| {label} | {names[mode]} | {result.status} | {result.kpis.paid_hours:,.1f} | "
                f"{result.kpis.coverage_pct:.2f}% | {result.kpis.under_staffed_agent_hours:,.1f} | "
                + " | ".join(pct(service[s]["sl"]) for s in skills if s != "email")
                + f" | **{pct(service['all']['sl'])}** | {'-' if asa is None else f'{asa:.1f}'} | "
                f"{'ok' if ok else '**invalid**'} |")
        head, sl = (horizon_service(pair[m][0])["all"]["sl"] for m in MODES)
        paid = [pair[m][0].kpis.paid_hours for m in MODES]
        equal = abs(paid[0] - paid[1]) < 0.01
        verdicts.append(
            f"{label}: " + (f"paid hours equal ({paid[0]:,.1f} h)" if equal else
                            f"paid hours differ (head count {paid[0]:,.1f} h, service level {paid[1]:,.1f} h, "
                            f"{paid[1] - paid[0]:+,.1f} h)")
            + f"; volume-weighted predicted service level {pct(sl)} with the service-level objective vs {pct(head)}"
            + (" - target met" if equal and head is not None and sl is not None and sl > head else
               (" - target **not met**" if equal else "")) + ".")
    lines += ["", "Target: the service-level objective gives the higher volume-weighted predicted service level "
              "at equal paid hours.", ""] + [f"- {v}" for v in verdicts]
    lines += [
        "",
        f"Simulation of the service-level schedule (`wfm simulate`: SimPy, {sim.replications} replications, seed "
        f"{sim.seed}, Poisson arrivals, exponential handle times, agents on their planned activities; "
        f"{sim.elapsed_s:.0f} s), against the Erlang C prediction for the same agents:",
        "",
        "| skill | simulated SL, week (95% CI) | Erlang SL, week | simulated mean wait (s) | Erlang mean wait, stable intervals (s) |",
        "|---|---|---:|---|---:|",
    ]
    for rec in sim.periods[sim.periods["period"] == "horizon"].to_dict("records"):
        lines.append(
            f"| {rec['skill']} | {pct(rec['service_level'], 1)} [{pct(rec['service_level_lo'], 1)}, "
            f"{pct(rec['service_level_hi'], 1)}] | {pct(rec['erlang_service_level'], 1)} | "
            f"{rec['mean_wait_s']:.1f} [{rec['mean_wait_s_lo']:.1f}, {rec['mean_wait_s_hi']:.1f}] | "
            f"{rec['erlang_mean_wait_s']:.1f} |")
    lines += [
        "",
        f"Per interval: the Erlang service level lies inside the simulated 95% confidence interval in "
        f"**{single_cov:.1%}** of the {single_n} single-skill intervals with contacts (no multi-skill agent on the "
        f"skill; mean absolute difference {100 * gap_single:.1f} points) and in {all_cov:.1%} of all {all_n} "
        "intervals with contacts. Erlang assumes a steady state within each 15-minute interval; the simulation "
        "carries queues across interval boundaries where staffing and volume change, and overloaded intervals "
        "(no stable Erlang C queue) push waiting calls into the next.",
        "",
        "Reproduce: `.venv/bin/python benchmarks/service_level.py"
        + (" --also-free` (about 5 minutes on 2 cores)." if args.also_free else "` (about 3 minutes on 2 cores).")
        + f" Load average when this run started: {load:.2f} (2 cores).",
    ]
    body = "\n".join(lines)
    print(body)  # noqa: T201
    if not args.no_write:
        write_section(RESULTS, SECTION, body, title="Service level: objective and simulation")
        print(f"\nwritten to {RESULTS} (section {SECTION})")  # noqa: T201


if __name__ == "__main__":
    main()
