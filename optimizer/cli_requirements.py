"""`wfm requirements`: forecast CSV -> required agents per skill and interval (CSV, optional PNG).

Registered on the `wfm` app by `register(app)`; the numeric libraries are imported only when the
command runs. Exit codes as for the rest of `wfm`: 0 success, 2 bad input (each line names the
field and the reason, no traceback).

Input columns: see `optimizer.requirements.forecast` (``interval_start``, ``volume``, ``aht_s``
required; ``skill``, ``channel``, targets and shrinkage optional). Options given on the command
line apply to every row they fit (queue targets to voice and chat rows, ``--response-time`` to
email and back office, ``--concurrency`` to chat) and replace the file's column.

Output columns (one row per forecast row, in the file's order):

=======================  ========================================================================
``skill``, ``channel``   as in the forecast
``interval_start``       ISO date-time
``volume``, ``aht_s``    as in the forecast
``workload_erlangs``     offered load ``volume * AHT / interval`` (chat: with the effective AHT)
``model``                ``erlang_c``, ``erlang_a`` (patience given) or ``deferred``
``required_net``         productive agents the targets need
``required_scheduled``   net grossed up by shrinkage other than breaks: the schedule engine's
                         demand (it places breaks itself)
``required_gross``       net grossed up by all shrinkage
``binding``              the target that set ``required_net`` (service_level, asa, occupancy,
                         abandonment, stability, minimum, response_time or none)
``service_level_target`` the forecast's target (empty when none)
``service_level``        fraction answered within the threshold at ``required_net``
``asa_s``                mean wait (all offered contacts) at ``required_net``
``occupancy``            at ``required_net``
``abandonment``          fraction of offered contacts abandoning (Erlang A; 0 for Erlang C)
``p_wait``               probability that a contact waits
``backlog_end``          deferred work: items not finished at the interval end
``shrinkage``            total shrinkage; ``shrinkage_breaks`` its break part
=======================  ========================================================================
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

EXIT_BAD_INPUT = 2

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _bad_input(issues, source: str) -> typer.Exit:
    from optimizer.cli import condensed

    err.print(f"[bold red]error:[/] {source} is not a valid forecast:")
    for line in condensed(issues):
        err.print(f"  {line}", markup=False)
    return typer.Exit(EXIT_BAD_INPUT)


def _format(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "inf"
        return f"{value:.6g}"
    return str(value)


def _write_rows(result, handle) -> None:
    from optimizer.requirements.compute import COLUMNS

    writer = csv.writer(handle)
    writer.writerow(COLUMNS)
    for row in result.rows:
        writer.writerow([_format(getattr(row, c)) for c in COLUMNS])


def write_requirements_csv(result, path: Path) -> None:
    """The requirements CSV (columns in the module docstring)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        _write_rows(result, handle)


_FLAGS = {
    "service_level": "--sl", "threshold_s": "--threshold", "asa_s": "--asa", "max_occupancy": "--max-occupancy",
    "patience_s": "--patience", "max_abandonment": "--max-abandonment", "concurrency": "--concurrency",
    "response_time_s": "--response-time", "shrinkage": "--shrinkage", "shrinkage_breaks": "--shrinkage-breaks",
    "shrinkage_training": "--shrinkage-training", "shrinkage_absence": "--shrinkage-absence",
}


def _flag_issues(overrides: dict) -> list[str]:
    """Range errors of the command-line targets, named by their option (not once per row)."""
    from pydantic import ValidationError

    from optimizer.requirements.forecast import CSV_COLUMNS, Shrinkage, Targets

    issues = []
    for column, value in overrides.items():
        section, name = CSV_COLUMNS[column]
        model = Targets if section == "targets" else Shrinkage
        try:
            model.model_validate({name: value})
        except ValidationError as exc:
            for item in exc.errors(include_url=False):
                issues.append(f"{_FLAGS[column]}: {item['msg'].removeprefix('Value error, ')}")
    return issues


def requirements(
    forecast_path: Annotated[Path, typer.Argument(metavar="FORECAST", help="Forecast CSV file.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the requirements CSV here "
                                                "(default: print it).")] = None,
    sl: Annotated[float | None, typer.Option("--sl", help="Service-level target, a fraction (0.8).")] = None,
    threshold: Annotated[float | None, typer.Option("--threshold", help="Service-level threshold, seconds.")
                         ] = None,
    asa: Annotated[float | None, typer.Option("--asa", help="Maximum average speed of answer, seconds.")] = None,
    max_occupancy: Annotated[float | None, typer.Option("--max-occupancy", help="Maximum occupancy (0.85).")
                             ] = None,
    patience: Annotated[float | None, typer.Option("--patience", help="Mean patience, seconds: Erlang A.")
                        ] = None,
    max_abandonment: Annotated[float | None, typer.Option("--max-abandonment", help="Maximum abandonment "
                                                          "(fraction, Erlang A).")] = None,
    concurrency: Annotated[int | None, typer.Option("--concurrency", help="Chats per agent at once.")] = None,
    response_time: Annotated[float | None, typer.Option("--response-time", help="Deferred work: finish "
                                                        "each item within this many seconds.")] = None,
    shrinkage: Annotated[float | None, typer.Option("--shrinkage", help="Shrinkage without breakdown "
                                                    "(fraction of paid time).")] = None,
    shrinkage_breaks: Annotated[float | None, typer.Option("--shrinkage-breaks", help="Break part of the "
                                                           "shrinkage.")] = None,
    shrinkage_training: Annotated[float | None, typer.Option("--shrinkage-training")] = None,
    shrinkage_absence: Annotated[float | None, typer.Option("--shrinkage-absence")] = None,
    interval_minutes: Annotated[int | None, typer.Option("--interval-minutes", help="Interval length "
                                                         "(default: the gap between interval starts).")
                                ] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a PNG: volume, required agents and "
                                              "service level per interval.")] = None,
) -> None:
    """Required agents per skill and interval from a forecast (Erlang C/A, chat, deferred work)."""
    from optimizer.requirements import ForecastError, compute_requirements, read_forecast_csv

    overrides = {
        "service_level": sl, "threshold_s": threshold, "asa_s": asa, "max_occupancy": max_occupancy,
        "patience_s": patience, "max_abandonment": max_abandonment, "concurrency": concurrency,
        "response_time_s": response_time, "shrinkage": shrinkage, "shrinkage_breaks": shrinkage_breaks,
        "shrinkage_training": shrinkage_training, "shrinkage_absence": shrinkage_absence,
    }
    overrides = {k: v for k, v in overrides.items() if v is not None}
    flag_issues = _flag_issues(overrides)
    if flag_issues:
        err.print("[bold red]error:[/] invalid option:")
        for issue in flag_issues:
            err.print(f"  {issue}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    from optimizer.cli import check_outputs

    check_outputs(("-o", output), ("--plot", plot))
    if interval_minutes is not None and interval_minutes <= 0:
        err.print(f"[bold red]error:[/] --interval-minutes: must be greater than 0 (got {interval_minutes})")
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        rows, locate = read_forecast_csv(forecast_path, overrides=overrides)
        result = compute_requirements(rows, interval_minutes=interval_minutes, locate=locate)
    except ForecastError as exc:
        raise _bad_input(exc.issues, str(forecast_path)) from None

    if output is None:
        import sys

        _write_rows(result, sys.stdout)
    else:
        write_requirements_csv(result, output)
    report = err if output is None else out
    hours = result.interval_minutes / 60
    for skill in result.skills():
        part = [r for r in result.rows if r.skill == skill]
        sls = [r.service_level for r in part if not math.isnan(r.service_level)]
        offered = sum(r.volume for r in part)
        weighted = (sum(r.service_level * r.volume for r in part if not math.isnan(r.service_level)) / offered
                    if sls and offered else float("nan"))
        report.print(
            f"{skill:<16} {part[0].channel:<10} {len(part):>4} intervals  peak {max(r.required_net for r in part):>5} net"
            f" / {max(r.required_gross for r in part):>5} gross  {sum(r.required_net for r in part) * hours:9.1f} "
            f"net agent-hours" + ("" if math.isnan(weighted) else f"  service level {weighted:.1%}"),
            markup=False)
    if output is not None:
        out.print(f"requirements written to {output}")
    if plot is not None:
        from optimizer.requirements.plot import plot_requirements

        try:
            written = plot_requirements(result, plot, title=f"Requirements: {forecast_path.name}")
        except ModuleNotFoundError:
            err.print("[bold red]error:[/] --plot needs matplotlib (pip install matplotlib)")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        report.print(f"plot written to {written}")  # with the .png matplotlib adds to a name without one


def register(app: typer.Typer) -> None:
    """Add `wfm requirements` and `wfm simulate` (`optimizer.cli_simulate`) to the `wfm` app."""
    from optimizer.cli_simulate import simulate

    app.command("requirements")(requirements)
    app.command("simulate")(simulate)
