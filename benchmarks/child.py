"""One benchmark run, in its own process: ``python -m benchmarks.child SPEC.json OUT_DIR``.

SPEC holds ``instance_path``, ``importer`` (or null) and ``settings`` (SolverSettings overrides).
The child loads the instance, solves it, validates the result with the independent validator and
writes into OUT_DIR:

* ``events.jsonl``: one line per progress event as it happens (so a run killed at its timeout
  still leaves its trace);
* ``outcome.json``: the result's numbers, the trace, the validation verdict and the process's own
  peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which includes CP-SAT's
  threads since they live in this process).

Running each solve in a fresh process makes peak memory a per-run number and keeps a crash (or an
out-of-memory kill) from taking the suite down.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any


def peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def load(instance_path: str, importer: str | None) -> Any:
    from optimizer.domain.instance import Instance, parse_instance
    from optimizer.io import load_instance

    if importer is None:
        return load_instance(instance_path)
    from benchmarks.suite import load_importer

    loaded = load_importer(importer).load(Path(instance_path))
    return loaded if isinstance(loaded, Instance) else parse_instance(loaded)


def run(spec: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    from optimizer.domain.instance import SolverSettings
    from optimizer.solve.progress import ProgressEvent
    from optimizer.solve.solver import solve
    from optimizer.validate import validate

    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    instance = load(spec["instance_path"], spec.get("importer"))
    load_s = time.perf_counter() - started
    settings = SolverSettings.model_validate({**instance.solver.model_dump(), **spec["settings"]})

    trace: list[list[float | None]] = []
    with (out_dir / "events.jsonl").open("w", encoding="utf-8") as events:

        def on_progress(event: ProgressEvent) -> None:
            if event.objective is None:
                return
            point = [round(event.elapsed_s, 4), event.objective, event.bound]
            trace.append(point)
            events.write(json.dumps(point) + "\n")
            events.flush()

        solve_started = time.perf_counter()
        result = solve(instance, settings, on_progress)
        solve_wall = time.perf_counter() - solve_started

    validate_started = time.perf_counter()
    report = validate(instance, result)
    validate_s = time.perf_counter() - validate_started
    return {
        "instance_name": instance.name,
        "settings": settings.model_dump(mode="json"),
        "status": result.status,
        "objective": result.objective,
        "best_bound": result.best_bound,
        "gap": result.gap,
        "anonymous_bound": result.anonymous_bound,
        "terms": result.terms,
        "kpis": result.kpis.model_dump(mode="json", include={
            "required_agent_hours", "under_staffed_agent_hours", "over_staffed_agent_hours", "coverage_pct",
            "paid_hours", "labor_cost"}),
        "wall_time_s": round(solve_wall, 3),
        "solver_wall_time_s": result.wall_time_s,
        "load_time_s": round(load_s, 3),
        "validate_time_s": round(validate_s, 3),
        "stats": result.stats.model_dump(mode="json", exclude={"progress"}),
        "stats_progress": result.stats.progress,
        "trace": trace,
        "valid": bool(report.ok),
        "validation": {"hard": len(report.hard), "mismatches": report.mismatches[:20]},
        "required_agent_intervals": sum(sum(instance.required(row.skill)) for row in instance.demand),
        "first_under_weight": instance.weights.under_staffing[0] if instance.weights.under_staffing else 0,
        "explanation": result.explanation[:10],
        "peak_rss_mb": peak_rss_mb(),
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main(argv: list[str]) -> int:
    spec_path, out_dir = Path(argv[0]), Path(argv[1])
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    try:
        outcome = run(spec, out_dir)
    except Exception as exc:  # reported in the row; the parent keeps going
        outcome = {
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc()[-4000:],
            "peak_rss_mb": peak_rss_mb(),
        }
    (out_dir / "outcome.json").write_text(json.dumps(outcome), encoding="utf-8")
    return 1 if "error" in outcome else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
