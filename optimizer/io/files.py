"""JSON files in and out. Errors name the file, the field path and the reason."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from optimizer.domain.instance import (
    FieldIssue,
    Instance,
    InstanceError,
    field_path,
    issues_from_pydantic,
    parse_instance,
)
from optimizer.domain.schedule import SolveResult


def not_utf8(error: UnicodeDecodeError) -> str:
    """The reason a text file could not be read, for a planner who saved it in another encoding."""
    return f"not UTF-8 text (byte 0x{error.object[error.start]:02x} at position {error.start}); save the file as UTF-8"


SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
"""A JSON escape of a UTF-16 surrogate (\\ud800-\\udfff): text without one cannot hold an unpaired
surrogate, so the walk below is needed only when this matches (non-ASCII text escaped by
`json.dumps` does not)."""
UNPAIRED_SURROGATE = "text with an unpaired UTF-16 surrogate (a \\ud800-\\udfff escape without its pair): not valid Unicode"


def unpaired_surrogate(data: Any) -> tuple[str | int, ...] | None:
    """Where parsed JSON holds a string (a key or a value) with an unpaired surrogate, as a path
    (`("agents", 3, "id")`), or None. JSON's \\uXXXX escapes can write one and Python's parser keeps
    it, but no UTF-8 output can: printed or stored, it failed far from the input (a traceback, or an
    HTTP 503 at submission)."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if _has_surrogate(value):
                return path
        elif isinstance(value, dict):
            for key, item in value.items():
                if _has_surrogate(str(key)):
                    return (*path, ascii(key))  # the key itself: printable only escaped
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, i)) for i, item in enumerate(value))
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _read_json(path: Path) -> Any:
    def bad(reason: str) -> InstanceError:
        return InstanceError([FieldIssue(path="", reason=f"{path}: {reason}")])

    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte order mark (some Windows editors) is dropped, as over HTTP
    except FileNotFoundError:
        raise bad("no such file") from None
    except OSError as exc:
        raise bad(str(exc.strerror)) from None
    except UnicodeDecodeError as exc:
        raise bad(not_utf8(exc)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise bad("not valid JSON here (nested too deeply)") from None
    except ValueError:  # Python refuses integers of more than sys.get_int_max_str_digits() digits
        raise bad(f"not valid JSON here (a number of more than {sys.get_int_max_str_digits()} digits)") from None
    if SURROGATE_ESCAPE.search(text) and (where := unpaired_surrogate(data)) is not None:
        raise InstanceError([FieldIssue(path=field_path(where), reason=f"{path}: {UNPAIRED_SURROGATE}")])
    return data


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
