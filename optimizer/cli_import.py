"""`wfm import FORMAT FILE -o instance.json [--solution SOL -o2 solution.json]`: public benchmark
files into the engine's instance format (and, where the set ships them, its solutions into
results that `wfm validate` checks). Formats: the registry in `optimizer.importers`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("import")(import_file)


def import_file(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="curtois, bonutti or shiftdesign")],
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The benchmark instance file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Write the instance JSON here.")],
    solution: Annotated[Path | None, typer.Option(
        "--solution", help="A solution file of the set (Bonutti R*-opt.txt / R*-sol.txt; for shiftdesign the "
                           "instance file itself, whose '#Optimal Solution' is read).")] = None,
    solution_output: Annotated[Path | None, typer.Option(
        "-o2", "--solution-output", help="Write the imported solution (a result JSON) here.")] = None,
) -> None:
    """Import a public benchmark file (and optionally one of its solutions)."""
    from optimizer.cli import EXIT_BAD_INPUT, _bad_input, check_outputs, err, out
    from optimizer.domain.instance import InstanceError
    from optimizer.importers import IMPORTERS, importer
    from optimizer.io import write_json

    if fmt not in IMPORTERS:
        err.print(f"error: unknown format '{fmt}'; choose from {', '.join(sorted(IMPORTERS))}")
        raise typer.Exit(EXIT_BAD_INPUT)
    if solution is not None and solution_output is None:
        err.print("error: --solution needs -o2 (where to write the imported solution)")
        raise typer.Exit(EXIT_BAD_INPUT)
    check_outputs(("-o", output), ("-o2", solution_output))
    module = importer(fmt)
    if solution is not None and not hasattr(module, "load_solution"):
        err.print(f"error: the {fmt} importer reads no solutions")
        raise typer.Exit(EXIT_BAD_INPUT)
    try:  # the published best is read from the file too (shiftdesign's #Fitness), so it can be bad input
        instance = module.load(file)
        best = module.published_best(file) if hasattr(module, "published_best") else None
    except InstanceError as exc:
        raise _bad_input(exc, str(file)) from None
    try:  # read before anything is written
        result = None if solution is None else module.load_solution(instance, solution)
    except InstanceError as exc:
        raise _bad_input(exc, str(solution)) from None
    write_json(instance, output)
    out.print(f"wrote {output}: {instance.name}, {len(instance.skills)} skill(s), {len(instance.templates)} "
              f"template(s), {len(instance.agents)} agent(s), {instance.horizon.days} days of "
              f"{instance.horizon.interval_minutes}-minute intervals"
              + (", cyclic" if instance.horizon.cyclic else "") + (", shift design" if instance.design else "")
              + (f"; published best {best}" if best is not None else ""), markup=False)
    if result is None or solution_output is None:
        return
    write_json(result, solution_output)
    terms = ", ".join(f"{name} {value}" for name, value in result.terms.items())
    out.print(f"wrote {solution_output}: objective {result.objective} ({terms})", markup=False)
