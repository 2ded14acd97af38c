"""JSON files in and out. Errors name the file, the field path and the reason."""

from __future__ import annotations

import json
import os
import sys
import tempfile
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


def not_utf8(error: UnicodeDecodeError) -> str:
    """The reason a text file could not be read, for a planner who saved it in another encoding."""
    return f"not UTF-8 text (byte 0x{error.object[error.start]:02x} at position {error.start}); save the file as UTF-8"


def _read_json(path: Path) -> Any:
    def bad(reason: str) -> InstanceError:
        return InstanceError([FieldIssue(path="", reason=f"{path}: {reason}")])

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise bad("no such file") from None
    except OSError as exc:
        raise bad(str(exc.strerror)) from None
    except UnicodeDecodeError as exc:
        raise bad(not_utf8(exc)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise bad("not valid JSON here (nested too deeply)") from None
    except ValueError:  # Python refuses integers of more than sys.get_int_max_str_digits() digits
        raise bad(f"not valid JSON here (a number of more than {sys.get_int_max_str_digits()} digits)") from None


def output_problem(path: Path) -> str | None:
    """Why `path` cannot be written as an output file, or None: checked before the work that
    produces it (a solve of several minutes), not after. Missing parent folders are created."""
    if path.is_dir():
        return "is a directory"
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"{parent} is not a folder"
            if not os.access(parent, os.W_OK | os.X_OK):
                return f"cannot write in {parent}"
            try:  # permissions can pass and the write still fail (root, /proc, a read-only mount)
                fd, probe = tempfile.mkstemp(dir=parent, prefix=".wfm-write-check-")
                os.close(fd)
                os.unlink(probe)
            except OSError as error:
                return f"cannot write in {parent} ({error.strerror or error})"
            break
    if path.exists() and not os.access(path, os.W_OK):
        return "is not writable"
    return None


SCHEDULE_KEYS = {"status", "assignments"}
INSTANCE_KEYS = {"horizon", "templates"}


def _object(path: Path, data: Any, expected: str, other_keys: set[str], other: str) -> Any:
    """`data` when it is a JSON object; a message naming what the file holds otherwise, or what it
    looks like when it looks like the other document (arguments given the wrong way round)."""
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a string", type(None): "null", bool: "true or false"}.get(type(data), "a number")
        raise InstanceError([FieldIssue(path="", reason=f"{path}: holds {kind}, not {expected} (a JSON object)")])
    if other_keys <= set(data):
        raise InstanceError([FieldIssue(path="", reason=f"{path}: looks like {other}, not {expected} (arguments in the "
                                        "wrong order?)")])
    return data


def load_instance(path: str | Path) -> Instance:
    path = Path(path)
    return parse_instance(_object(path, _read_json(path), "an instance", SCHEDULE_KEYS, "a schedule"))


def load_result(path: str | Path) -> SolveResult:
    path = Path(path)
    data = _object(path, _read_json(path), "a schedule", INSTANCE_KEYS, "an instance")
    try:
        return SolveResult.model_validate(data)
    except ValidationError as exc:
        raise InstanceError(issues_from_pydantic(exc)) from None


def write_json(model: BaseModel, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(model.model_dump_json(indent=1) + "\n", encoding="utf-8")
