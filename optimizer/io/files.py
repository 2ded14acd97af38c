"""JSON files in and out. Errors name the file, the field path and the reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from optimizer.domain.instance import (
    FieldIssue,
    Instance,
    InstanceError,
    issues_from_pydantic,
    parse_instance,
)
from optimizer.domain.schedule import SolveResult


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstanceError([FieldIssue(path="", reason=f"{path}: no such file")]) from None
    except OSError as exc:
        raise InstanceError([FieldIssue(path="", reason=f"{path}: {exc.strerror}")]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstanceError(
            [FieldIssue(path="", reason=f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})")]
        ) from None


def load_instance(path: str | Path) -> Instance:
    return parse_instance(_read_json(Path(path)))


def load_result(path: str | Path) -> SolveResult:
    data = _read_json(Path(path))
    try:
        return SolveResult.model_validate(data)
    except ValidationError as exc:
        raise InstanceError(issues_from_pydantic(exc)) from None


def write_json(model: BaseModel, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(model.model_dump_json(indent=1) + "\n", encoding="utf-8")
