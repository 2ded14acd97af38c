"""`wfm reoptimize`: regenerate a published roster after the instance changed (new demand, agents,
rules), keeping what is frozen or locked and paying for every other change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from optimizer.domain.baseline import Baseline, ChangeWeights, LockedDay
from optimizer.domain.instance import (
    FieldIssue,
    Instance,
    InstanceError,
    SolverSettings,
    issues_from_pydantic,
    parse_instance,
    previous_schedule_errors,
    previous_schedule_path,
)

TIME_LIMIT_HELP = str(SolverSettings.model_fields["time_limit_s"].description)


def _locks(values: list[str]) -> tuple[list[str], list[LockedDay]]:
    """(locked agents, locked agent-days); `AGENT@` with the date left out is refused, not read as
    a lock of the agent's whole week."""
    agents, days = [], []
    for value in values:
        agent_id, at, date = value.partition("@")
        if at:
            try:
                days.append(LockedDay(agent_id=agent_id, date=dt.date.fromisoformat(date)))
            except ValueError:
                raise typer.BadParameter(f"'{value}': expected AGENT or AGENT@YYYY-MM-DD", param_hint="--lock") from None
        else:
            agents.append(agent_id)
    return agents, days


def _weights(values: list[str]) -> ChangeWeights:
    fields: dict[str, str] = {}
    for value in values:
        name, sep, number = value.partition("=")
        if not sep:
            raise typer.BadParameter(f"'{value}': expected NAME=NUMBER", param_hint="--change-weight")
        fields[name.strip()] = number.strip()
    return ChangeWeights.model_validate(fields)


def with_baseline(instance: Instance, baseline: Baseline) -> Instance:
    """The instance with `baseline` (replacing any it had), cross-checked like a loaded instance."""
    return parse_instance({**instance.model_dump(mode="json"), "baseline": baseline.model_dump(mode="json")})


def register(app: typer.Typer) -> None:
    from optimizer import cli

    @app.command()
    def reoptimize(
        instance_path: Annotated[Path, typer.Argument(metavar="INSTANCE", help="The new instance (new demand).")],
        previous: Annotated[Path, typer.Option("--previous", help="The published schedule (a `wfm solve` result).")],
        freeze_until: Annotated[dt.datetime | None, typer.Option(
            "--freeze-until", help="Local date-time; nothing starting before it changes.")] = None,
        lock: Annotated[list[str] | None, typer.Option(
            "--lock", help="AGENT (the whole week) or AGENT@YYYY-MM-DD, kept as published; repeatable.")] = None,
        change_weight: Annotated[list[str] | None, typer.Option(
            "--change-weight", help="NAME=COST, e.g. move_within_hour=20 (see `wfm schema`); repeatable.")] = None,
        output: Annotated[Path | None, typer.Option(
            "-o", "--output", help="Write the new schedule JSON here (and the instance with its published roster "
            "next to it, as NAME.instance.json).")] = None,
        time_limit: Annotated[float | None, typer.Option("--time-limit", help=TIME_LIMIT_HELP)] = None,
        workers: Annotated[int | None, typer.Option("--workers", help="CP-SAT workers.")] = None,
        seed: Annotated[int | None, typer.Option("--seed", help="Random seed.")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
    ) -> None:
        """Re-optimize a published roster with minimal disruption: frozen period and locks kept exactly,
        every other change priced; prints what changed per agent and day."""
        cli.check_outputs(("-o", output), ("-o", None if output is None else output.with_name(
            output.stem + ".instance.json")))
        instance = cli._load(instance_path)
        published = cli._load_result(previous)
        if issues := previous_schedule_errors(published.status):
            raise cli._bad_input(InstanceError(issues), str(previous))
        locked_agents, locked_days = _locks(lock or [])
        given = {"baseline.locked_agents": [v for v in lock or [] if "@" not in v],
                 "baseline.locked_days": [v for v in lock or [] if "@" in v]}
        try:
            baseline = Baseline(assignments=published.assignments, freeze_until=freeze_until,
                                locked_agents=locked_agents, locked_days=locked_days,
                                weights=_weights(change_weight or []))
            instance = with_baseline(instance, baseline)
        except ValidationError as exc:  # the change weights, or a lock's agent id
            issues = issues_from_pydantic(exc)
            if exc.title == ChangeWeights.__name__:
                names = ", ".join(ChangeWeights.model_fields)
                issues = [FieldIssue(path=f"weights.{i.path}", reason=f"{i.reason} (one of {names})"
                                     if i.reason == "unknown field" else i.reason) for i in issues]
            raise cli._bad_input(InstanceError([
                FieldIssue(path=_option_of(f"baseline.{i.path}", given), reason=i.reason) for i in issues]),
                "a re-optimization option") from None
        except InstanceError as exc:
            rows = [FieldIssue(path=path, reason=i.reason) for i in exc.issues
                    if (path := previous_schedule_path(i.path)) is not None]
            if rows:  # the published roster's own rows: name them as in the file given
                raise cli._bad_input(InstanceError(rows), str(previous)) from None
            raise cli._bad_input(InstanceError([FieldIssue(path=_option_of(i.path, given), reason=i.reason)
                                                for i in exc.issues]), "a re-optimization option") from None
        settings = cli._settings(instance, time_limit_s=time_limit, workers=workers, seed=seed)
        if output is not None:
            # The validator needs the published roster too (the `changes` term, the frozen days).
            effective = output.with_name(output.stem + ".instance.json")
            cli.write_json(instance, effective)
            cli.out.print(f"instance with the published roster written to {effective} "
                          f"(check with: wfm validate {effective} {output})")
        cli.run_and_report(instance, settings, output, quiet)


OPTIONS = {"baseline.freeze_until": "--freeze-until", "baseline.locked_agents": "--lock",
           "baseline.locked_days": "--lock", "baseline.weights": "--change-weight"}


def _option_of(path: str, locks: dict[str, list[str]]) -> str:
    """An issue's path in the baseline the options build, as the option that set it. A lock is named
    by its value (`--lock a017@2026-03-05`): agents and agent-days are two lists of the baseline, so
    an index into either is not the position among the `--lock` options."""
    for prefix, values in locks.items():
        index, sep, _ = path.removeprefix(prefix + "[").partition("]")
        if path.startswith(prefix + "[") and sep and index.isdigit() and int(index) < len(values):
            return "--lock " + (values[int(index)] or "''")
    for prefix, option in OPTIONS.items():
        if path.startswith(prefix):
            rest = path.removeprefix(prefix)
            return f"{option} {rest.removeprefix('.')}" if rest.startswith(".") else option + rest
    return path
