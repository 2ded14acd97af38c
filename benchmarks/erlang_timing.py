"""Erlang C required agents for 10,000 intervals: ours (vectorized numpy) vs pyworkforce.

    .venv/bin/python benchmarks/erlang_timing.py [--intervals 10000] [--repeats 5] [--no-write]

The grid is seeded: offered loads log-uniform between 0.1 and 2,000 Erlangs, AHT 180/300/600 s,
thresholds 20/30/60 s, targets 80% and 90%, a maximum occupancy of 0.9 on every other interval,
30-minute intervals. Each side computes the required agents of every interval; pyworkforce one
`ErlangC(...).required_positions(...)` call per interval (its documented API, single process).
Each timing is the median of ``--repeats`` runs. Both answers are compared (pyworkforce starts its
search at round(A + 1), so its answer is max(ours, round(A + 1))). The Markdown table is printed
and written into benchmarks/RESULTS.md between ``<!-- section:erlang -->`` and
``<!-- /section:erlang -->`` (only that section is replaced; the file is created if absent).
Erlang A (ours only) is timed on the same grid for reference.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import write_section  # noqa: E402
from optimizer.requirements import erlang_a_required, erlang_c_required, offered_load  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SECTION = "erlang"
INTERVAL_MIN = 30


def grid(count: int, seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    load = np.exp(rng.uniform(np.log(0.1), np.log(2000.0), count))
    aht = rng.choice([180.0, 300.0, 600.0], count)
    return {
        "volume": load * INTERVAL_MIN * 60 / aht,
        "aht": aht,
        "threshold": rng.choice([20.0, 30.0, 60.0], count),
        "sl": rng.choice([0.8, 0.9], count),
        "occupancy": np.where(np.arange(count) % 2 == 0, 0.9, 1.0),
    }


def ours_c(g: dict[str, np.ndarray]) -> np.ndarray:
    load = offered_load(g["volume"], g["aht"], INTERVAL_MIN * 60)
    return erlang_c_required(load, g["aht"], service_level=g["sl"], threshold_s=g["threshold"],
                             max_occupancy=g["occupancy"]).agents


def ours_a(g: dict[str, np.ndarray]) -> np.ndarray:
    load = offered_load(g["volume"], g["aht"], INTERVAL_MIN * 60)
    return erlang_a_required(load, g["aht"], 180.0, service_level=g["sl"], threshold_s=g["threshold"],
                             max_occupancy=g["occupancy"]).agents


def pyworkforce_c(g: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    from pyworkforce.queuing import ErlangC

    out = np.zeros(g["volume"].size, dtype=np.int64)
    start = np.zeros(g["volume"].size, dtype=np.int64)
    for i in range(out.size):
        erlang = ErlangC(transactions=float(g["volume"][i]), aht=float(g["aht"][i]) / 60,
                         asa=float(g["threshold"][i]) / 60, interval=INTERVAL_MIN)
        out[i] = erlang.required_positions(service_level=float(g["sl"][i]),
                                           max_occupancy=float(g["occupancy"][i]))["raw_positions"]
        start[i] = round(erlang.intensity + 1)
    return out, start


def timed(fn, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intervals", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    args = parser.parse_args()

    g = grid(args.intervals)
    ours_c(g), ours_a(g)  # warm-up (imports, caches)
    t_ours, agents = timed(lambda: ours_c(g), args.repeats)
    t_ours_a, _ = timed(lambda: ours_a(g), args.repeats)
    try:
        import pyworkforce  # noqa: F401
    except ImportError:
        t_pw, same, version = None, None, "not installed"
    else:
        from importlib.metadata import version as pkg_version

        version = pkg_version("pyworkforce")
        t_pw, (pw_agents, pw_start) = timed(lambda: pyworkforce_c(g), args.repeats)
        same = int(np.sum(pw_agents == np.maximum(agents, pw_start)))
    load = offered_load(g["volume"], g["aht"], INTERVAL_MIN * 60)
    rows = [
        f"| method | intervals | median of {args.repeats} (s) | per interval (µs) | ratio |",
        "|---|---:|---:|---:|---:|",
        f"| ours, Erlang C (numpy, vectorized) | {args.intervals:,} | {t_ours:.4f} | "
        f"{1e6 * t_ours / args.intervals:,.1f} | 1 |",
    ]
    if t_pw is not None:
        rows.append(f"| pyworkforce {version} `ErlangC.required_positions`, one call per interval | "
                    f"{args.intervals:,} | {t_pw:.3f} | {1e6 * t_pw / args.intervals:,.1f} | "
                    f"{t_pw / t_ours:,.0f}x slower |")
    rows.append(f"| ours, Erlang A (patience 180 s), same grid | {args.intervals:,} | {t_ours_a:.4f} | "
                f"{1e6 * t_ours_a / args.intervals:,.1f} | {t_ours_a / t_ours:.1f}x ours C |")
    agreement = ("pyworkforce not installed: no comparison" if same is None else
                 f"identical required agents in {same:,} of {args.intervals:,} intervals (against "
                 "max(ours, round(A + 1)), pyworkforce's search start)")
    body = "\n".join([
        f"_Generated by `python benchmarks/erlang_timing.py` on {dt.date.today().isoformat()} "
        f"({platform.python_implementation()} {platform.python_version()}, {platform.machine()}); "
        "edit the script, not this text._",
        "",
        f"Erlang C required agents (service level, threshold and maximum occupancy) for "
        f"{args.intervals:,} seeded intervals: offered load {load.min():.1f}-{load.max():,.0f} Erlangs "
        f"(log-uniform, median {np.median(load):.0f}), AHT 180/300/600 s, thresholds 20/30/60 s, "
        "targets 80%/90%, maximum occupancy 0.9 on every other interval.",
        "",
        *rows,
        "",
        f"Agreement: {agreement}.",
    ])
    print(body)
    if not args.no_write:
        write_section(RESULTS, SECTION, body, title="Requirements: Erlang timing")
        print(f"\nwritten to {RESULTS} (section {SECTION})")


if __name__ == "__main__":
    main()
