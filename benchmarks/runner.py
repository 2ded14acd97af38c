"""The benchmark runner: ``python -m benchmarks.runner COMMAND``.

* ``run SUITE``: every (instance, profile, seed) of a suite, each in its own subprocess
  (`benchmarks.child`), one JSON row appended to the results file as soon as the run ends.
* ``export RESULTS.jsonl``: the rows as CSV.
* ``compare A.jsonl B.jsonl``: side by side per instance (median over seeds) with B/A ratios.
* ``plot RESULTS.jsonl -o DIR``: objective and bound over time, one PNG per instance.
* ``report [SUITE ...]``: regenerate the suite's section of benchmarks/RESULTS.md.

benchmarks/README.md documents the suite format, the row schema and the metrics.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import psutil
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from benchmarks import metrics
from benchmarks.rows import (
    FAILED_STATUSES,
    ROW_FIELDS,
    append_row,
    drop_earlier_rows,
    latest,
    read_rows,
    run_key,
    write_csv,
)
from benchmarks.suite import REPO_ROOT, SEED_MAX, Run, Suite, SuiteError, display_path, load_suite, valid_seed
from optimizer.io import output_problem

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Benchmark runner: run suites, compare, plot and report (benchmarks/README.md).",
)
console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DEFAULT_SUITE = REPO_ROOT / "benchmarks" / "suites" / "core.toml"
DEFAULT_RESULTS_MD = REPO_ROOT / "benchmarks" / "RESULTS.md"
POLL_S = 0.2


# --------------------------------------------------------------------------------------------
# Provenance


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "--no-optional-locks", *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


MEASUREMENTS = (":(exclude)benchmarks/results", ":(exclude)benchmarks/RESULTS.md")
"""Pathspecs of the files that runs write: not a change of the code being measured."""


@cache
def versions() -> dict[str, Any]:
    """Python, OR-Tools and the package's git commit ("-dirty" when tracked files differ from it,
    other than the measurements themselves: a run appends to benchmarks/results/ and regenerates
    RESULTS.md, so counting them marked every row after a suite's first as dirty)."""
    from importlib.metadata import PackageNotFoundError, version

    def pkg(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    commit = _git("rev-parse", "--short=12", "HEAD")
    if commit and _git("status", "--porcelain", "--untracked-files=no", "--", ".", *MEASUREMENTS):
        commit += "-dirty"
    return {
        "python": platform.python_version(),
        "ortools": pkg("ortools"),
        "wfm_optimizer": pkg("wfm-optimizer"),
        "commit": commit,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@cache
def host() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "cpu_physical": psutil.cpu_count(logical=False),
        "cpu_model": _cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "hostname": platform.node(),
    }


# --------------------------------------------------------------------------------------------
# One run


def _tree_rss(process: psutil.Process) -> int:
    try:
        total = process.memory_info().rss
        for child in process.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return 0


def _last_event(path: Path) -> list[Any] | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            continue
    return None


def execute(run: Run, on_tick: Any = None) -> dict[str, Any]:
    """Run one (instance, profile, seed) in a subprocess; the child's outcome plus what the parent
    measured: ``polled_peak_rss_mb``, ``elapsed_s``, ``returncode`` and ``timeout``. `on_tick(elapsed,
    last_event)` is called while it runs. KeyboardInterrupt kills the child and propagates."""
    with tempfile.TemporaryDirectory(prefix="wfm-bench-") as tmp:
        work = Path(tmp)
        spec = {
            "instance_path": str(run.instance.path),
            "importer": run.instance.importer,
            "settings": run.settings,
        }
        (work / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        }
        started = time.perf_counter()
        with (work / "stderr.txt").open("w", encoding="utf-8") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.child", str(work / "spec.json"), str(work)],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
            peak, timed_out = 0, False
            try:
                try:
                    watched: psutil.Process | None = psutil.Process(proc.pid)
                except psutil.Error:  # already gone
                    watched = None
                while proc.poll() is None:
                    if watched is not None:
                        peak = max(peak, _tree_rss(watched))
                    elapsed = time.perf_counter() - started
                    if elapsed > run.profile.timeout_s:
                        timed_out = True
                        proc.kill()
                        proc.wait()
                        break
                    if on_tick is not None:
                        on_tick(elapsed, _last_event(work / "events.jsonl"))
                    time.sleep(POLL_S)
            except BaseException:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                raise
        if proc.returncode == -signal.SIGINT:  # Ctrl-C reached the child first: no row for this run
            raise KeyboardInterrupt
        elapsed = time.perf_counter() - started
        outcome_path = work / "outcome.json"
        outcome: dict[str, Any] = (
            json.loads(outcome_path.read_text(encoding="utf-8")) if outcome_path.exists() else {}
        )
        if not outcome:
            events = []
            if (work / "events.jsonl").exists():
                for line in (work / "events.jsonl").read_text(encoding="utf-8").splitlines():
                    try:
                        events.append(json.loads(line))
                    except json.JSONDecodeError:
                        pass
            tail = (work / "stderr.txt").read_text(encoding="utf-8", errors="replace")[-2000:]
            reason = (
                f"timeout after {run.profile.timeout_s:g} s"
                if timed_out
                else f"the run's process exited with code {proc.returncode}"
            )
            outcome = {"error": f"{reason}{': ' + tail.strip() if tail.strip() else ''}", "trace": events}
        outcome.update(
            polled_peak_rss_mb=round(peak / 2**20, 1),
            elapsed_s=round(elapsed, 3),
            returncode=proc.returncode,
            timeout=timed_out,
        )
        return outcome


def final_trace(
    trace: list[list[Any]], objective: float | None, wall_time_s: float | None
) -> list[list[Any]]:
    """The events' trace, closed by the final objective when it is better than the last event (a
    final step the solver reported no event for), at the run's wall time."""
    out = [list(p) for p in trace if p and p[1] is not None]
    best = min((p[1] for p in out), default=None)
    if objective is not None and (best is None or objective < best):
        end = max([wall_time_s or 0.0, *(p[0] for p in out)])
        out.append([round(end, 4), objective, None])
    return out


def make_row(
    run: Run, suite: Suite, outcome: dict[str, Any], sha: str, published: float | None, started_at: str
) -> dict[str, Any]:
    """A results row from a child's outcome (see ROW_FIELDS and benchmarks/README.md)."""
    error = outcome.get("error")
    stats = outcome.get("stats") or {}
    objective = outcome.get("objective")
    wall = outcome.get("wall_time_s", outcome.get("elapsed_s"))
    trace = final_trace(outcome.get("trace") or [], objective, wall)
    time_limit = float((outcome.get("settings") or run.settings).get("time_limit_s") or 0.0)
    horizon = max(time_limit, wall or 0.0)
    first = stats.get("time_to_first_s")
    if first is None and trace:
        first = trace[0][0]
    child_peak = outcome.get("peak_rss_mb")
    row = {
        "instance": run.instance.label,
        "instance_path": display_path(run.instance.path, suite.base_dir),
        "instance_name": outcome.get("instance_name"),
        "instance_sha256": sha,
        "importer": run.instance.importer,
        "suite": suite.name,
        "profile": run.profile.name,
        "seed": run.seed,
        "settings": outcome.get("settings") or run.settings,
        "status": "timeout" if outcome.get("timeout") else ("error" if error else outcome.get("status")),
        "objective": objective,
        "best_bound": outcome.get("best_bound"),
        "gap": outcome.get("gap"),
        "anonymous_bound": outcome.get("anonymous_bound"),
        "terms": outcome.get("terms") or {},
        "kpis": outcome.get("kpis") or {},
        "published_best": published,
        "gap_to_published": metrics.relative_difference(objective, published),
        "time_to_first_s": first,
        "time_to_within_1pct_s": metrics.time_to_within(trace, objective, 0.01),
        "primal_integral": metrics.primal_integral(trace, objective, horizon),
        "primal_integral_horizon_s": round(horizon, 3) if objective is not None else None,
        "coverage_gap_pct": metrics.coverage_gap_pct(
            outcome.get("terms"),
            outcome.get("anonymous_bound"),
            outcome.get("required_agent_intervals") or 0,
            outcome.get("first_under_weight") or 0,
        ),
        "strategy": stats.get("strategy"),
        "lns_iterations": stats.get("lns_iterations"),
        "variables": stats.get("variables"),
        "constraints": stats.get("constraints"),
        "build_time_s": stats.get("build_time_s"),
        "wall_time_s": wall,
        "peak_rss_mb": child_peak if child_peak is not None else outcome.get("polled_peak_rss_mb"),
        "load_avg_1m": outcome.get("load_avg_1m"),
        "valid": bool(outcome.get("valid")) if not error else False,
        "validation": outcome.get("validation"),
        "error": error,
        "trace": trace,
        "versions": versions(),
        "host": host(),
        "started_at": started_at,
    }
    for key in ("primal_integral", "coverage_gap_pct", "gap_to_published"):
        if row[key] is not None:
            row[key] = round(row[key], 6)
    assert tuple(row) == ROW_FIELDS
    return row


# --------------------------------------------------------------------------------------------
# A suite


def _fmt(value: Any, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{suffix}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}{suffix}"
    return f"{value}{suffix}"


def _key(run: Run, suite: Suite, shas: dict[Path, str]) -> tuple[Any, ...]:
    """The run key (`rows.run_key`) that the run's row will have."""
    return (display_path(run.instance.path, suite.base_dir), shas[run.instance.path], run.profile.name, run.seed)


def run_suite(
    suite: Suite,
    results: Path,
    *,
    resume: bool = False,
    fresh: bool = False,
    profiles: list[str] | None = None,
    instances: list[str] | None = None,
    seeds: list[int] | None = None,
    quiet: bool = False,
) -> tuple[int, int]:
    """Run the suite, appending a row per finished run; returns (runs done, runs skipped)."""
    runs = suite.runs(profiles, instances, seeds)
    if not runs:
        raise SuiteError("no run matches the profile, instance and seed filters")
    problem = output_problem(results)
    if problem is not None:
        raise SuiteError(f"results file {results}: {problem}")
    shas = {spec.path: file_sha256(spec.path) for spec in {r.instance for r in runs}}
    # A run is done when its last row has the solver's answer; an error or a timeout is run again.
    last = latest(read_rows(results)) if resume else []
    present = {run_key(row) for row in last if row.get("status") not in FAILED_STATUSES}
    failed = {run_key(row) for row in last} - present
    todo = [run for run in runs if _key(run, suite, shas) not in present]
    skipped = len(runs) - len(todo)
    out = Console(quiet=True) if quiet else console
    published: dict[Any, float | None] = {}
    for spec in {r.instance for r in todo}:
        try:
            published[spec] = suite.published_for(spec)
        except SuiteError:
            raise
        except Exception as exc:  # a hook's bug must not cost the runs: the row just lacks the value
            out.print(
                f"warning: no published best for {spec.label}: {type(exc).__name__}: {exc}", markup=False
            )
            published[spec] = None
    if skipped:
        out.print(f"resume: {skipped} of {len(runs)} runs already in {results}")
    retried = sum(1 for run in todo if _key(run, suite, shas) in failed)
    if retried:
        out.print(
            f"resume: retrying {retried} run(s) that ended in an error or a timeout "
            f"(each new row replaces the failed one)"
        )
    if fresh and results.exists():  # only now, after every check that can still stop the run
        results.unlink()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        transient=False,
        disable=quiet,
    ) as progress:
        overall = progress.add_task(f"suite {suite.name}", total=len(todo))
        current = progress.add_task("", total=1.0)
        for run in todo:
            limit = float(run.settings.get("time_limit_s", 60.0))
            label = f"{run.instance.label} / {run.profile.name} / seed {run.seed}"
            progress.reset(current, total=limit, description=label)

            def tick(elapsed: float, event: Any, label: str = label, limit: float = limit) -> None:
                best = f"  objective {event[1]:,.0f}" if event else ""
                progress.update(current, completed=min(elapsed, limit), description=f"{label}{best}")

            started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            outcome = execute(run, tick)
            row = make_row(run, suite, outcome, shas[run.instance.path], published[run.instance], started_at)
            append_row(results, row)
            if run_key(row) in failed:
                drop_earlier_rows(results, run_key(row))
            progress.advance(overall)
            gap = "-" if row["gap"] is None else f"{100 * row['gap']:.2f}%"
            out.print(
                f"{label}: {row['status']}  objective {_fmt(row['objective'])}  bound {_fmt(row['best_bound'])}  "
                f"gap {gap}  first {_fmt(row['time_to_first_s'], 2, ' s')}  "
                f"coverage gap {_fmt(row['coverage_gap_pct'], 2, '%')}  {_fmt(row['wall_time_s'], 1, ' s')}  "
                f"{_fmt(row['peak_rss_mb'], 0, ' MB')}  valid {row['valid']}"
                + (f"\n  error: {row['error'][:300]}" if row["error"] else ""),
                markup=False,
                soft_wrap=True,
            )
        progress.remove_task(current)
    return len(todo), skipped


# --------------------------------------------------------------------------------------------
# Commands


def _seed_list(text: str) -> list[int]:
    """--seeds 1,2,3: each a seed in the solver's range, at least one."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    seeds = [int(part) for part in parts if part.lstrip("-").isdigit()]
    if not parts or len(seeds) != len(parts) or not all(valid_seed(seed) for seed in seeds):
        err.print(f"[bold red]error:[/] --seeds {text}: comma-separated integers from 0 to {SEED_MAX}")
        raise typer.Exit(2)
    return seeds


def _existing_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a results file the user named: exit 2 when it does not exist (read_rows takes a
    missing file as empty, which is right for a suite's own file before its first run only)."""
    if not path.is_file():
        err.print(f"[bold red]error:[/] {path}: no such results file")
        raise typer.Exit(2)
    return read_rows(path)


def _csv_path(results: Path, output: Path | None) -> Path:
    """Where the CSV goes: never onto the results file itself (a results file named .csv)."""
    path = output or results.with_suffix(".csv")
    if path.resolve() == results.resolve():
        err.print(f"[bold red]error:[/] the CSV would overwrite the results file {results}; give -o")
        raise typer.Exit(2)
    problem = output_problem(path)
    if problem is not None:
        err.print(f"[bold red]error:[/] {path}: {problem}")
        raise typer.Exit(2)
    return path


def _suite(path: Path) -> Suite:
    try:
        return load_suite(path)
    except SuiteError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None


class Terminated(KeyboardInterrupt):
    """SIGTERM (a CI timeout, `kill`), raised like Ctrl-C's KeyboardInterrupt: `execute` kills the
    run's process on the way out and `run` exits with every finished row kept."""


def _on_sigterm(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut killing the child short
    raise Terminated


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


@app.command()
def run(
    suite_path: Annotated[
        Path, typer.Argument(metavar="SUITE", help="Suite file (.toml or .json).")
    ] = DEFAULT_SUITE,
    results: Annotated[
        Path | None, typer.Option("-o", "--results", help="Results .jsonl (default: the suite's).")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Skip runs done (an error or a timeout runs again).")
    ] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Delete the results file first.")] = False,
    profile: Annotated[list[str] | None, typer.Option("--profile", "-p", help="Only these profiles.")] = None,
    instance: Annotated[
        list[str] | None, typer.Option("--instance", "-i", help="Only instances whose label matches (glob).")
    ] = None,
    seeds: Annotated[
        str | None, typer.Option("--seeds", help="Comma-separated seeds, replacing the profiles' seeds.")
    ] = None,
    csv: Annotated[
        bool, typer.Option("--csv", help="Also write the rows as CSV next to the results file.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the runs and exit.")] = False,
) -> None:
    """Run every (instance, profile, seed) of a suite, one subprocess each, appending a row per run."""
    suite = _suite(suite_path)
    target = results or suite.results
    if resume and fresh:
        err.print("error: --resume and --fresh exclude each other")
        raise typer.Exit(2)
    try:
        seed_list = _seed_list(seeds) if seeds else None
        if dry_run:
            for r in suite.runs(_split(profile), _split(instance), seed_list):
                console.print(
                    f"{r.instance.label}  {r.profile.name}  seed {r.seed}  {json.dumps(r.settings)}",
                    markup=False,
                )
            return
        csv_path = _csv_path(target, None) if csv else None  # before the runs, not after them
        default = signal.signal(signal.SIGTERM, _on_sigterm)  # it ended the runner, not the run's process
        try:
            done, skipped = run_suite(
                suite,
                target,
                resume=resume,
                fresh=fresh,
                profiles=_split(profile),
                instances=_split(instance),
                seeds=seed_list,
            )
        finally:
            signal.signal(signal.SIGTERM, default)
    except SuiteError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        stopped = "terminated (SIGTERM)" if terminated else "interrupted"
        err.print(f"\n{stopped}: every finished run is in {target}; `--resume` continues")
        raise typer.Exit(128 + signal.SIGTERM if terminated else 130) from None
    console.print(f"{done} run(s) written to {target}" + (f", {skipped} skipped" if skipped else ""))
    # This run's own rows; the lines that are not rows were named already by --resume (or the CSV below).
    written = read_rows(target, warn=False)[-done:] if done else []
    failed = [r for r in written if r.get("status") in FAILED_STATUSES]
    if failed:
        err.print(f"{len(failed)} of {done} run(s) ended in an error or a timeout (the rows say why)")
        if len(failed) == done:
            raise typer.Exit(1)
    if csv_path is not None:
        console.print(f"CSV: {write_csv(read_rows(target, warn=not resume), csv_path)}")


@app.command()
def export(
    results: Annotated[Path, typer.Argument(metavar="RESULTS.jsonl")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="CSV file (default: next to the .jsonl).")
    ] = None,
    all_rows: Annotated[bool, typer.Option("--all", help="Every row, not only the last per run.")] = False,
) -> None:
    """Write the rows as CSV (nested fields flattened, the trace left out)."""
    rows = _existing_rows(results)
    written = rows if all_rows else latest(rows)
    path = write_csv(written, _csv_path(results, output))
    console.print(f"{len(written)} row(s) -> {path}")


@app.command()
def compare(
    a: Annotated[Path, typer.Argument(metavar="A.jsonl")],
    b: Annotated[Path, typer.Argument(metavar="B.jsonl")],
    markdown: Annotated[
        Path | None, typer.Option("--markdown", "-m", help="Also write the table as Markdown.")
    ] = None,
    by: Annotated[
        str, typer.Option("--by", help="Match rows by 'instance+profile' or 'instance'.")
    ] = "instance+profile",
) -> None:
    """Side by side per instance (median over seeds), with B/A ratios."""
    from benchmarks.compare import compare_rows, markdown_table, rich_table

    if by not in ("instance+profile", "instance"):
        err.print("error: --by is 'instance+profile' or 'instance'")
        raise typer.Exit(2)
    table = compare_rows(latest(_existing_rows(a)), latest(_existing_rows(b)), by=by, label_a=a.stem, label_b=b.stem)
    console.print(rich_table(table))
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(markdown_table(table) + "\n", encoding="utf-8")
        console.print(f"markdown written to {markdown}")


@app.command()
def plot(
    results: Annotated[Path, typer.Argument(metavar="RESULTS.jsonl")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the PNG files.")],
) -> None:
    """Objective and bound over time, one PNG per instance (every profile and seed as a line)."""
    from benchmarks.plot import plot_rows

    written = plot_rows(latest(_existing_rows(results)), output)
    for path in written:
        console.print(str(path))
    if not written:
        err.print("no row with a trace")
        raise typer.Exit(1)


@app.command()
def report(
    suites: Annotated[
        list[Path] | None, typer.Argument(metavar="[SUITE ...]", help="Default: the core suite.")
    ] = None,
    results_md: Annotated[
        Path, typer.Option("--output", "-o", help="The Markdown file to update.")
    ] = DEFAULT_RESULTS_MD,
    results: Annotated[
        Path | None, typer.Option("--results", help="Rows to use instead of the suite's file.")
    ] = None,
    section: Annotated[
        str | None, typer.Option("--section", help="Section name instead of the suite's.")
    ] = None,
) -> None:
    """Regenerate each suite's section of RESULTS.md (between its marker comments) from its rows."""
    from benchmarks.report import render_section, write_section

    for path in suites or [DEFAULT_SUITE]:
        suite = _suite(path)
        source = results or suite.results
        # a mistyped --results file must not replace the section with "no results yet"
        rows = latest(_existing_rows(results) if results is not None else read_rows(source))
        name = section or suite.section
        write_section(results_md, name, render_section(name, suite, rows, source), title=suite.title)
        console.print(f"section '{name}' of {results_md}: {len(rows)} row(s) from {source}")


if __name__ == "__main__":
    app()
