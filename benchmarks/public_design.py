"""Shift design on the public sets: Bonutti et al. 2017 R1-R7 and the minimum shift design files
(DataSet1 RandomExample1-100, DataSet2), imported with the product's importers, solved by the
design solver, every result checked by the independent validator.

    python -m benchmarks.public_design                  # both sets: 60 s / 10 s each, 2 workers
    python -m benchmarks.public_design --only bonutti
    python -m benchmarks.public_design --only shiftdesign --subset 20   # every 5th file, for development

Writes one JSON row per instance to benchmarks/results/public_design.jsonl (rows of the sets being
re-run are replaced) and the `bonutti` and `shiftdesign` sections of benchmarks/RESULTS.md.
The sets are read from ../shared/benchmarks (or $WFM_BENCHMARKS_DIR); they are not copied here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.report import write_section  # noqa: E402
from benchmarks.rows import read_rows  # noqa: E402
from benchmarks.runner import host, versions  # noqa: E402
from optimizer.domain.instance import SolverSettings  # noqa: E402
from optimizer.importers import bonutti, shiftdesign  # noqa: E402
from optimizer.solve.design import solve_design  # noqa: E402
from optimizer.validate import validate  # noqa: E402

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


def sets_dir() -> Path:
    configured = os.environ.get("WFM_BENCHMARKS_DIR")
    return Path(configured) if configured else REPO.parent / "shared" / "benchmarks"


def _key(path: Path) -> tuple[str, int]:
    match = re.search(r"(\d+)$", path.stem)
    return path.parent.name, int(match.group(1)) if match else 0


def bonutti_files(root: Path) -> list[Path]:
    return sorted((root / "bonutti2017" / "instances").glob("R*.txt"), key=_key)


def shiftdesign_files(root: Path) -> list[Path]:
    folder = root / "shiftdesign"
    return sorted([*folder.glob("DataSet2/RandomExample*.txt"), *folder.glob("DataSet1/RandomExample*.txt")],
                  key=lambda p: (p.parent.name != "DataSet2", _key(p)[1]))


def run_one(kind: str, path: Path, settings: SolverSettings) -> dict[str, Any]:
    module = bonutti if kind == "bonutti" else shiftdesign
    instance = module.load(path)
    started = time.perf_counter()
    result = solve_design(instance, settings)
    wall = time.perf_counter() - started
    report = validate(instance, result)
    row: dict[str, Any] = {
        "set": kind,
        "instance": f"{path.parent.name}/{path.stem}" if kind == "shiftdesign" else path.stem,
        "interval_minutes": instance.horizon.interval_minutes,
        "skills": len(instance.skills),
        "status": result.status,
        "objective": result.objective,
        "terms": result.terms,
        "best_bound": result.best_bound,
        "time_to_best_s": result.stats.time_to_first_s,
        "wall_time_s": round(wall, 2),
        "time_limit_s": settings.time_limit_s,
        "workers": settings.workers,
        "seed": settings.seed,
        "patterns": len({(line.start, line.length_minutes, tuple(b.offset_minutes for b in line.breaks))
                         for line in result.design}),
        "valid": report.ok and report.objective == result.objective,
        "validator_objective": report.objective,
        "run": _run_stamp(),
    }
    if kind == "bonutti":
        row["published_optimum"] = bonutti.published_best(path)
        row["published_sa"] = bonutti.published_sa(path)
        reference = row["published_optimum"]
    else:
        row["reference"] = shiftdesign.published_best(path)
        reference = row["reference"]
    row["gap"] = None if reference in (None, 0) or result.objective is None else \
        round((result.objective - reference) / reference, 4)
    return row


def _provenance(rows: list[dict[str, Any]]) -> str:
    """When, at which commit and on what the rows were run, from the rows themselves (a report
    rewritten later with --report-only must not stamp old results with today's commit)."""
    stamped = [r for r in rows if r.get("run")]
    if not stamped:
        return "run date and commit not recorded in these rows"
    dates = sorted({r["run"]["date"] for r in stamped})
    commits = sorted({r["run"]["commit"] or "?" for r in stamped})
    first = stamped[0]["run"]
    return (f"{' to '.join(dict.fromkeys([dates[0], dates[-1]]))}, commit {', '.join(commits)}, "
            f"OR-Tools {first['ortools']}, Python {first['python']}, {first['cpus']}"
            + ("" if len(stamped) == len(rows) else f" ({len(rows) - len(stamped)} older rows unrecorded)"))


def _run_stamp() -> dict[str, Any]:
    v, h = versions(), host()
    return {"date": str(dt.datetime.now(dt.UTC).date()), "commit": v["commit"], "ortools": v["ortools"],
            "python": v["python"], "cpus": f"{h['cpu_count']} CPU(s): {h['cpu_model']}"}


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def bonutti_section(rows: list[dict[str, Any]], command: str) -> str:
    lines = [
        "Bonutti, Ceschia, De Cesco, Musliu, Schaerf (2017), random instances R1-R7 "
        "(`../shared/benchmarks/bonutti2017`), imported by `optimizer.importers.bonutti` and solved by the "
        "shift-design solver (`optimizer/solve/design.py`). Cost = the authors' validator's: 1 per "
        "person-minute under and over, 60 per shift line, 100 per slot of average-length deviation. "
        "\"Optimum\" is the cost of the generating solution (R*-opt.txt), \"SA\" the authors' simulated "
        "annealing (R*-sol.txt); both are reproduced term by term by the engine and the validator "
        "(tests/test_import_bonutti.py).",
        "",
        "| instance | skills | ours | under / over / lines / avg-len | optimum | SA | gap to optimum | "
        "time to best (s) | valid |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        t = r["terms"]
        terms = f"{t.get('under_staffing', 0)} / {t.get('over_staffing', 0)} / {t.get('shift_patterns', 0)} / " \
                f"{t.get('avg_shift_length', 0)}" if t else "-"
        gap = "-" if r["gap"] is None else f"{100 * r['gap']:.1f}%"
        lines.append(f"| {r['instance']} | {r['skills']} | {_fmt(r['objective'])} | {terms} | "
                     f"{_fmt(r['published_optimum'])} | {_fmt(r['published_sa'])} | {gap} | "
                     f"{_fmt(r['time_to_best_s'])} | {'yes' if r['valid'] else 'NO'} |")
    reached = sum(1 for r in rows if r["objective"] is not None and r["published_optimum"] is not None
                  and r["objective"] <= r["published_optimum"])
    better_sa = sum(1 for r in rows if r["objective"] is not None and r["published_sa"] is not None
                    and r["objective"] < r["published_sa"])
    limit = rows[0]["time_limit_s"] if rows else 0
    workers = rows[0]["workers"] if rows else 0
    lines += [
        "",
        f"Optimum reached on **{reached} of {len(rows)}** within {limit:g} s on {workers} workers "
        f"(target: all); better than the published SA on {better_sa} of {len(rows)}; "
        f"{sum(1 for r in rows if r['valid'])} of {len(rows)} results valid.",
        "",
        _bonutti_limits(rows, limit, workers),
        "",
        f"How: `{command}`; {_provenance(rows)}.",
    ]
    return "\n".join(lines)


def _bonutti_limits(rows: list[dict[str, Any]], limit: float, workers: int) -> str:
    """What the rows show about the time limit: the instances that ended above their optimum and the
    slowest to reach its best, from the rows (a note written by hand went stale when a rerun reached
    every optimum)."""
    missed = [r for r in rows if r["objective"] is None or r["published_optimum"] is None
              or r["objective"] > r["published_optimum"]]
    parts = []
    if missed:
        parts.append(f"Above the optimum at {limit:g} s: " + "; ".join(
            f"{r['instance']} ({r['skills']} skills) "
            + ("no design" if r["objective"] is None else _fmt(r["objective"]))
            + f" against {_fmt(r['published_optimum'])}"
            + ("" if r["gap"] is None else f" ({100 * r['gap']:.1f}%)") for r in missed) + ".")
    timed = [r for r in rows if r["time_to_best_s"] is not None]
    if timed:
        slowest = max(timed, key=lambda r: r["time_to_best_s"])
        parts.append(f"Slowest to its best: {slowest['instance']} ({slowest['skills']} skills), "
                     f"{_fmt(slowest['time_to_best_s'])} s of the {limit:g} s.")
    parts.append(f"Times to best vary from run to run ({workers} workers). The design solver starts from a "
                 "greedy peel of the demand and improves it by neighbourhoods (a few dropped lines re-planned by "
                 "CP-SAT with the best-scored patterns) and exact covers over LP-ranked patterns "
                 "(`optimizer/solve/design.py`); CP-SAT on one model over every pattern, or over the change-point "
                 "patterns, stalls much further away (the pattern-used link is a big-M whose LP bounds nothing).")
    return " ".join(parts)


def shiftdesign_section(rows: list[dict[str, Any]], command: str) -> str:
    lines = [
        "Minimum shift design, TU Wien Rota DataSet2 (30 files) and DataSet1 RandomExample1-100 "
        "(`../shared/benchmarks/shiftdesign`), imported by `optimizer.importers.shiftdesign`. Cost = the "
        "3-term objective of Di Gaspero et al. 2007 (shortage + excess per person-minute + W_shifts per "
        "distinct shift; the DutiesPerWeek term is not imported, see the importer). \"Reference\" = the "
        "file's `#Fitness of assumed optimal Solution`, the cost of its generating solution (reproduced "
        "exactly for all 130 files by tests/test_import_shiftdesign.py).",
        "",
        "| set | slot (min) | instances | reached reference | better | worse | mean gap | "
        "mean / max time to best (s) | valid |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["instance"].split("/")[0], r["interval_minutes"]), []).append(r)
    for (name, slot), group in sorted(groups.items(), key=lambda item: (item[0][0] != "DataSet2", item[0])):
        lines.append(_summary_row(f"{name}", f"{slot}", group))
    lines.append(_summary_row("**all**", "", rows))
    misses = [r for r in rows if r["objective"] is None or r["reference"] is None or r["objective"] > r["reference"]]
    limit = rows[0]["time_limit_s"] if rows else 0
    workers = rows[0]["workers"] if rows else 0
    reached = len(rows) - len(misses)
    lines += ["", f"Reference value or better on **{reached} of {len(rows)}** within {limit:g} s each on "
                  f"{workers} workers (target: all). Below the reference means fewer distinct shifts than the "
                  "generating solution with no shortage or excess (the reference is \"assumed optimal\"); "
                  "on the 60-minute files the engine proves its value optimal.",
              ""]
    tight = [r for r in rows if r["instance"].startswith("DataSet2/") and r["interval_minutes"] == 15]
    if tight:
        tight_missed = [r for r in tight if r in misses]
        times = [r["time_to_best_s"] for r in tight if r["time_to_best_s"] is not None]
        this_run = (f"In this run {len(tight_missed)} of the {len(tight)} missed the reference within {limit:g} s; "
                    "which ones varies from run to run." if tight_missed else
                    f"In this run all {len(tight)} reached it"
                    + (f", the slowest after {max(times):.1f} s of the {limit:g} s" if times else "")
                    + ": these files are where a slower or busier machine misses first.")
        lines.append("Closest to the limit: the 15-minute DataSet2 files (20 shifts in the reference, 1 skill, "
                     "7 x 96 intervals). Their best designs come from the exact-cover model (coverage = demand, "
                     "every jump explained by a shift edge), which one worker solves alongside the "
                     "neighbourhoods; the neighbourhoods alone stall a few shifts above. " + this_run)
    if misses:
        lines += ["", "Not reached:", "",
                  "| instance | slot | ours | shortage / excess / shifts | reference | gap |",
                  "|---|---|---|---|---|---|"]
        for r in misses:
            t = r["terms"] or {}
            gap = "-" if r["gap"] is None else f"{100 * r['gap']:.1f}%"
            lines.append(f"| {r['instance']} | {r['interval_minutes']} | {_fmt(r['objective'])} | "
                         f"{t.get('under_staffing', 0)} / {t.get('over_staffing', 0)} / "
                         f"{t.get('shift_patterns', 0)} | {_fmt(r['reference'])} | {gap} |")
    lines += ["", "<details><summary>Every instance</summary>", "",
              "| instance | slot | ours | reference | gap | time to best (s) | valid |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        gap = "-" if r["gap"] is None else f"{100 * r['gap']:.1f}%"
        lines.append(f"| {r['instance']} | {r['interval_minutes']} | {_fmt(r['objective'])} | {_fmt(r['reference'])} | "
                     f"{gap} | {_fmt(r['time_to_best_s'])} | {'yes' if r['valid'] else 'NO'} |")
    lines += ["", "</details>", "", f"How: `{command}`; {_provenance(rows)}."]
    return "\n".join(lines)


def _summary_row(name: str, slot: str, group: list[dict[str, Any]]) -> str:
    solved = [r for r in group if r["objective"] is not None and r["reference"] is not None]
    reached = sum(1 for r in solved if r["objective"] <= r["reference"])
    better = sum(1 for r in solved if r["objective"] < r["reference"])
    worse = len(group) - reached
    gaps = [r["gap"] for r in solved if r["gap"] is not None]
    times = [r["time_to_best_s"] for r in group if r["time_to_best_s"] is not None]
    mean_gap = f"{100 * sum(gaps) / len(gaps):.2f}%" if gaps else "-"
    timing = f"{sum(times) / len(times):.1f} / {max(times):.1f}" if times else "-"
    valid = sum(1 for r in group if r["valid"])
    return f"| {name} | {slot} | {len(group)} | {reached} | {better} | {worse} | {mean_gap} | {timing} | " \
           f"{valid}/{len(group)} |"


@app.command()
def main(
    only: Annotated[str | None, typer.Option(help="bonutti or shiftdesign (default: both)")] = None,
    report_only: Annotated[bool, typer.Option(help="Only rewrite RESULTS.md from the JSONL rows.")] = False,
    bonutti_limit: Annotated[float, typer.Option(help="Seconds per Bonutti instance.")] = 60.0,
    shiftdesign_limit: Annotated[float, typer.Option(help="Seconds per shift design instance.")] = 10.0,
    workers: Annotated[int, typer.Option(help="CP-SAT workers.")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    subset: Annotated[int, typer.Option(help="Shift design: run only every n-th file (development).")] = 1,
    results: Annotated[Path, typer.Option(help="JSONL rows.")] = REPO / "benchmarks" / "results" / "public_design.jsonl",
    markdown: Annotated[Path, typer.Option(help="The RESULTS.md to update.")] = REPO / "benchmarks" / "RESULTS.md",
) -> None:
    """Run the public shift design sets, validate every result, write the rows and RESULTS.md."""
    root = sets_dir()
    kinds = [only] if only else ["bonutti", "shiftdesign"]
    if report_only:
        rows = read_rows(results)
        for kind in kinds:
            mine = [r for r in rows if r.get("set") == kind]
            if mine:
                command = "python -m benchmarks.public_design" + (f" --only {only}" if only else "")
                write_section(markdown, kind, bonutti_section(mine, command) if kind == "bonutti"
                              else shiftdesign_section(mine, command))
        return
    results.parent.mkdir(parents=True, exist_ok=True)
    kept = [r for r in read_rows(results) if r.get("set") not in kinds]
    results.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
    command = "python -m benchmarks.public_design" + (f" --only {only}" if only else "") + \
              (f" --subset {subset}" if subset > 1 else "")
    for kind in kinds:
        files = bonutti_files(root) if kind == "bonutti" else shiftdesign_files(root)[::subset]
        if not files:
            print(f"{kind}: no files under {root} (set WFM_BENCHMARKS_DIR)")
            continue
        limit = bonutti_limit if kind == "bonutti" else shiftdesign_limit
        settings = SolverSettings(time_limit_s=limit, workers=workers, seed=seed)
        rows = []
        for path in files:
            row = run_one(kind, path, settings)
            rows.append(row)
            with results.open("a", encoding="utf-8") as out:
                out.write(json.dumps(row) + "\n")
            reference = row.get("published_optimum", row.get("reference"))
            print(f"{kind:<12} {row['instance']:<28} {_fmt(row['objective']):>7} (reference {_fmt(reference)}) "
                  f"best at {_fmt(row['time_to_best_s'])} s  {'valid' if row['valid'] else 'INVALID'}", flush=True)
        section = bonutti_section(rows, command) if kind == "bonutti" else shiftdesign_section(rows, command)
        write_section(markdown, kind, section)
        print(f"wrote the {kind} section of {markdown} and rows to {results}")


if __name__ == "__main__":
    app()
