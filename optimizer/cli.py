"""`wfm`: the command line. Thin: parse arguments, call the library, print.

Exit codes: 0 success; 1 validation failed (`wfm validate`, or a schedule of `wfm solve` or
`wfm reoptimize` that fails the engine's own check by the independent validator: an engine defect);
2 bad input (the message names the field and the reason); 3 infeasible; 4 no schedule found in the
time limit.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from optimizer.domain.instance import FieldIssue, Instance, InstanceError, SolverSettings
from optimizer.domain.schedule import SolveResult
from optimizer.generate import PROFILES
from optimizer.io import load_instance, load_result, output_problem, write_json
from optimizer.solve.progress import ProgressEvent

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Contact-center schedule optimization engine (CP-SAT).")
out = Console(highlight=False, soft_wrap=True)  # long paths stay whole (copyable, greppable)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_INVALID, EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_UNKNOWN = 1, 2, 3, 4
TIME_LIMIT_HELP = str(SolverSettings.model_fields["time_limit_s"].description)


def _bad_input(error: InstanceError, source: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {source} is not a valid input:")
    for line in condensed(error.issues):
        err.print(f"  {line}", markup=False)
    return typer.Exit(EXIT_BAD_INPUT)


def condensed(issues: Iterable[object], shown: int = 3) -> list[str]:
    """Issues as lines, where many with the same reason at paths that differ only in their indices
    (a demand over its bound in all 672 intervals) become a few lines and a count."""
    groups: dict[tuple[str, str], list[str]] = {}
    for issue in issues:
        text = str(issue)
        path, _, reason = text.partition(": ")
        groups.setdefault((re.sub(r"\[\d+\]", "[*]", path), reason), []).append(text)
    lines = []
    for (pattern, reason), texts in groups.items():
        lines += texts[:shown]
        if len(texts) > shown:
            lines.append(f"... and {len(texts) - shown} more of {pattern}: {reason}")
    return lines


def check_outputs(*outputs: tuple[str, Path | None]) -> None:
    """Exit 2 now, before any work, when an output file cannot be written: (option, path) pairs,
    e.g. ("-o", output)."""
    for option, path in outputs:
        if path is None:
            continue
        problem = output_problem(path)
        if problem is not None:
            err.print(f"[bold red]error:[/] {option} {path}: {problem}", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT)


def _load(path: Path) -> Instance:
    try:
        return load_instance(path)
    except InstanceError as exc:
        raise _bad_input(exc, str(path)) from None


def _load_result(path: Path) -> SolveResult:
    try:
        return load_result(path)
    except InstanceError as exc:
        raise _bad_input(exc, str(path)) from None


def _settings(instance: Instance, **overrides: object) -> SolverSettings:
    values = {k: v for k, v in overrides.items() if v is not None}
    try:
        return SolverSettings.model_validate({**instance.solver.model_dump(), **values})
    except Exception as exc:  # pydantic.ValidationError: report like an instance error
        from pydantic import ValidationError

        from optimizer.domain.instance import FieldIssue, issues_from_pydantic

        if isinstance(exc, ValidationError):  # a value given on the command line is named as its option
            issues = [FieldIssue(path=f"--{i.path.removesuffix('_s').replace('_', '-')}" if i.path in values
                                 else f"solver.{i.path}", reason=i.reason) for i in issues_from_pydantic(exc)]
            raise _bad_input(InstanceError(issues), "a solver option") from None
        raise


class ProgressPrinter:
    """One line per new best schedule (marked H when the objective improves), throttled."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.last_print = 0.0
        self.best: float | None = None

    def __call__(self, event: ProgressEvent) -> None:
        now = time.perf_counter()
        if event.objective is None:
            self.console.print(f"{event.elapsed_s:7.1f}s  {event.phase:<10} {event.message}")
            return
        improved = self.best is None or event.objective < self.best
        self.best = event.objective if improved else self.best
        if not improved or (now - self.last_print < 0.5 and event.phase == "improve"):
            return
        self.last_print = now
        gap = "-" if event.gap is None else f"{100 * event.gap:6.2f}%"
        bound = "-" if event.bound is None else f"{event.bound:,.0f}"
        self.console.print(
            f"{event.elapsed_s:7.1f}s  {event.phase:<10} H  objective {event.objective:>14,.0f}"
            f"   bound {bound:>14}   gap {gap}"
        )


@app.command()
def solve(
    instance_path: Annotated[Path, typer.Argument(metavar="INSTANCE", help="Instance JSON file.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the schedule JSON here.")] = None,
    time_limit: Annotated[float | None, typer.Option("--time-limit", help=TIME_LIMIT_HELP + " Default: the instance's.")
                          ] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="CP-SAT workers; 1 is deterministic.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed.")] = None,
    strategy: Annotated[str | None, typer.Option("--strategy", help="auto, monolithic, lns, hybrid or roster.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log model building and search.")] = False,
) -> None:
    """Solve an instance: shifts, breaks and skills for every agent."""
    if verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(name)s %(message)s")
    check_outputs(("-o", output))
    instance = _load(instance_path)
    settings = _settings(instance, time_limit_s=time_limit, workers=workers, seed=seed, strategy=strategy)
    run_and_report(instance, settings, output, quiet)


def run_and_report(instance: Instance, settings: SolverSettings, output: Path | None, quiet: bool) -> None:
    """Solve with a progress display, write the result, print the summary; exit 3 or 4 without a
    schedule."""
    from optimizer.solve.solver import solve as run

    out.print(f"solving {instance.name}: {len(instance.agents)} agents, {len(instance.skills)} skill(s), "
              f"{instance.horizon.days} days of {instance.horizon.interval_minutes}-minute intervals; "
              f"time limit {settings.time_limit_s:g} s, {settings.workers} worker(s)")
    result = run(instance, settings, on_progress=None if quiet else ProgressPrinter(out))
    if output is not None:
        write_json(result, output)
    from optimizer.summary import summary

    out.print()
    out.print(summary(result), markup=False)
    if output is not None:
        out.print(f"\nschedule written to {output}")
    check = result.self_check
    if check is not None and not check.ok:
        err.print(f"\nENGINE ERROR: this schedule fails the independent validator ({check.hard_violations} hard "
                  f"violation(s), {check.mismatches} mismatch(es)); please report it with the instance and the output.",
                  markup=False)
        for line in check.details:
            err.print(f"  {line}", markup=False)
        raise typer.Exit(EXIT_INVALID)
    if result.status == "infeasible":
        raise typer.Exit(EXIT_INFEASIBLE)
    if result.status == "unknown":
        raise typer.Exit(EXIT_UNKNOWN)


@app.command()
def validate(
    instance_path: Annotated[Path, typer.Argument(metavar="INSTANCE")],
    schedule_path: Annotated[Path, typer.Argument(metavar="SCHEDULE")],
) -> None:
    """Check a schedule independently: every hard rule, coverage and the objective, recomputed."""
    from optimizer.validate import format_report, unusable_row
    from optimizer.validate import validate as check

    instance = _load(instance_path)
    result = _load_result(schedule_path)
    if result.instance and result.instance != instance.name:
        err.print(f"warning: {schedule_path} is a schedule of '{result.instance}', {instance_path} is "
                  f"'{instance.name}'", markup=False, highlight=False)
    try:
        report = check(instance, result)
    except (ArithmeticError, ValueError) as exc:  # date-times that overflow (near the year 9999), as over HTTP
        issue = FieldIssue(path=unusable_row(instance, result), reason=f"cannot be checked ({exc})")
        raise _bad_input(InstanceError([issue]), str(schedule_path)) from None
    out.print(format_report(report), markup=False)
    if not report.ok:
        raise typer.Exit(EXIT_INVALID)


@app.command()
def schema(
    kind: Annotated[str, typer.Argument(help="instance or schedule")] = "instance",
) -> None:
    """Print the JSON Schema of the instance (or schedule) format."""
    if kind not in ("instance", "schedule"):
        err.print("error: kind must be 'instance' or 'schedule'")
        raise typer.Exit(EXIT_BAD_INPUT)
    model = Instance if kind == "instance" else SolveResult
    out.print_json(json.dumps(model.model_json_schema()))


@app.command()
def anonymous(
    instance_path: Annotated[Path, typer.Argument(metavar="INSTANCE")],
    time_limit: Annotated[float, typer.Option("--time-limit")] = 10.0,
    workers: Annotated[int, typer.Option("--workers")] = 2,
) -> None:
    """Anonymous mode: how many agents on which shift patterns (no names); a lower bound."""
    from optimizer.model.anonymous import solve_anonymous
    from optimizer.solve.solver import Budget

    instance = _load(instance_path)
    if instance.design is not None or not instance.agents:
        err.print(f"[bold red]error:[/] {instance_path}: anonymous mode bounds a schedule of named agents; this "
                  "instance has none (a shift-design instance is solved by `wfm solve`)", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    settings = _settings(instance, time_limit_s=time_limit, workers=workers)
    result = solve_anonymous(instance, Budget(settings, time.perf_counter()).solver(time_limit))
    bound = "-" if result.bound is None else f"{result.bound:,.0f}"
    if result.objective is None:
        out.print(f"status {result.status}: no pattern found within {time_limit:g} s (bound {bound})")
        raise typer.Exit(EXIT_INFEASIBLE if result.status == "INFEASIBLE" else EXIT_UNKNOWN)
    out.print(f"status {result.status}; objective {result.objective:,}; bound {bound}; {result.wall_time_s:.2f} s")
    for p in result.patterns:
        out.print(f"  {p.date}  {'+'.join(p.skill_group):<24} {p.template_id:<10} "
                  f"{p.start:%H:%M}-{p.end:%H:%M}  x{p.count}", markup=False)


@app.command()
def generate(
    profile: Annotated[str, typer.Argument(help=", ".join(PROFILES))],
    output: Annotated[Path, typer.Option("-o", "--output")],
    seed: Annotated[int | None, typer.Option("--seed", help="Override the profile's seed.")] = None,
) -> None:
    """Write a generated instance (seeded, reproducible)."""
    import dataclasses

    from optimizer.generate import generate_instance, instance_to_json

    check_outputs(("-o", output))
    if profile not in PROFILES:
        err.print(f"error: unknown profile '{profile}'; choose from {', '.join(PROFILES)}")
        raise typer.Exit(EXIT_BAD_INPUT)
    config = PROFILES[profile]
    if seed is not None:
        config = dataclasses.replace(config, seed=seed)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(instance_to_json(generate_instance(config)), encoding="utf-8")
    out.print(f"wrote {output}")


def _register_command_modules() -> None:
    """Commands that live in their own modules: `wfm reoptimize`, `wfm requirements` (and `simulate`),
    `wfm import` and `wfm serve` (the HTTP service). Imported here, once `app` exists, so that those
    modules can import this one."""
    from optimizer.cli_import import register as import_
    from optimizer.cli_reoptimize import register as reoptimize
    from optimizer.cli_requirements import register as requirements
    from service.cli import register as serve

    for register in (reoptimize, requirements, import_, serve):
        register(app)


_register_command_modules()
