"""Importers for public benchmark formats. Each module exposes `load(path) -> Instance`,
`published_best(path) -> int | None` and, where the set ships solutions, `load_solution(...)`.
Modules are imported lazily: `importer("curtois").load(path)`."""

from __future__ import annotations

import importlib
from types import ModuleType

IMPORTERS = {
    "curtois": "optimizer.importers.curtois",
    "bonutti": "optimizer.importers.bonutti",
    "shiftdesign": "optimizer.importers.shiftdesign",
}


def importer(name: str) -> ModuleType:
    try:
        return importlib.import_module(IMPORTERS[name])
    except KeyError:
        raise ValueError(f"unknown format '{name}' (known: {', '.join(sorted(IMPORTERS))})") from None
