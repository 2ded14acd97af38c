"""Result rows: one JSON object per (instance, profile, seed) run, one per line of a .jsonl file.

Rows are appended as soon as a run ends (flushed and fsynced), so an interrupted suite loses no
finished run. A file may hold several rows for the same run key (a suite run twice without
``--resume``): readers keep the last one (`latest`). See benchmarks/README.md for every field.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROW_FIELDS = (
    "instance",
    "instance_path",
    "instance_name",
    "instance_sha256",
    "importer",
    "suite",
    "profile",
    "seed",
    "settings",
    "status",
    "objective",
    "best_bound",
    "gap",
    "anonymous_bound",
    "terms",
    "kpis",
    "published_best",
    "gap_to_published",
    "time_to_first_s",
    "time_to_within_1pct_s",
    "primal_integral",
    "primal_integral_horizon_s",
    "coverage_gap_pct",
    "strategy",
    "lns_iterations",
    "variables",
    "constraints",
    "build_time_s",
    "wall_time_s",
    "peak_rss_mb",
    "load_avg_1m",
    "valid",
    "validation",
    "error",
    "trace",
    "versions",
    "host",
    "started_at",
)
"""Every row has exactly these keys (None where a value does not apply)."""

NUMERIC_FIELDS = (
    "seed",
    "objective",
    "best_bound",
    "gap",
    "anonymous_bound",
    "published_best",
    "gap_to_published",
    "time_to_first_s",
    "time_to_within_1pct_s",
    "primal_integral",
    "primal_integral_horizon_s",
    "coverage_gap_pct",
    "lns_iterations",
    "variables",
    "constraints",
    "build_time_s",
    "wall_time_s",
    "peak_rss_mb",
)
"""The fields that hold a number (or None); `valid` holds a bool, the other fields text or NESTED."""
NESTED_FIELDS = ("settings", "terms", "kpis", "load_avg_1m", "validation", "trace", "versions", "host")
"""The fields that hold a table or a list."""

CSV_SKIP = ("trace",)
FAILED_STATUSES = ("error", "timeout")
"""A run whose row has one of these ended without the solver's answer; `run --resume` runs it again."""


def run_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two rows the same run: the instance file (path and content), profile and seed."""
    return (row.get("instance_path"), row.get("instance_sha256"), row.get("profile"), row.get("seed"))


def _parse(line: bytes) -> dict[str, Any] | None:
    """The row a line holds, or None when it is not a JSON object (torn, garbage, not UTF-8)."""
    try:
        row = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return row if isinstance(row, dict) else None


def read_rows(path: str | Path, *, warn: bool = True) -> list[dict[str, Any]]:
    """Every row of a .jsonl file. A line that is not a JSON object (a torn last line from a hard
    kill, an edit gone wrong) is skipped, and with `warn` named on stderr: the other rows still count."""
    path = Path(path)
    if not path.exists():
        return []
    rows = []
    broken: list[int] = []
    for number, line in enumerate(path.read_bytes().split(b"\n"), start=1):
        if not line.strip():
            continue
        row = _parse(line)
        if row is None:
            broken.append(number)
        else:
            rows.append(row)
    if broken and warn:
        shown = ", ".join(map(str, broken[:10])) + (", ..." if len(broken) > 10 else "")
        print(
            f"warning: {path}: skipped {len(broken)} line(s) that are not JSON rows "
            f"(line{'s' if len(broken) > 1 else ''} {shown}; a run killed while writing its row, or an "
            f"edited file); using the other {len(rows)} row(s)",
            file=sys.stderr,
        )
    return rows


def latest(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per run key, the last written, in first-seen order."""
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        by_key[run_key(row)] = row  # a key seen before keeps its place
    return list(by_key.values())


def append_row(path: str | Path, row: dict[str, Any]) -> None:
    """Append one row and make it durable before returning."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() > 0:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":  # a torn line from a killed writer: start a fresh one
                handle.write(b"\n")
        handle.write((json.dumps(row, sort_keys=False) + "\n").encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())


def drop_earlier_rows(path: str | Path, key: tuple[Any, ...]) -> int:
    """Remove every row of run `key` but the last (a retried run's new row replaces its failed ones);
    other lines, rows or not, stay as they are. The file is replaced atomically, so a kill leaves
    either the old file or the new one. Returns how many rows were removed."""
    path = Path(path)
    lines = path.read_bytes().split(b"\n")
    mine = [i for i, line in enumerate(lines) if (row := _parse(line)) is not None and run_key(row) == key]
    drop = set(mine[:-1])
    if not drop:
        return 0
    spare = path.with_name(path.name + ".tmp")
    with spare.open("wb") as handle:
        handle.write(b"\n".join(line for i, line in enumerate(lines) if i not in drop))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(spare, path)
    return len(drop)


def _flat(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and prefix in ("terms", "versions", "host", "settings", "validation"):
        for key, inner in value.items():
            out[f"{prefix}.{key}"] = json.dumps(inner) if isinstance(inner, dict | list) else inner
    elif isinstance(value, dict | list):
        out[prefix] = json.dumps(value)
    else:
        out[prefix] = value


def write_csv(rows: list[dict[str, Any]], path: str | Path) -> Path:
    """The rows as CSV (nested fields flattened to `field.key`; the trace left out)."""
    path = Path(path)
    flat_rows = []
    columns: list[str] = []
    for row in rows:
        flat: dict[str, Any] = {}
        for key, value in row.items():
            if key not in CSV_SKIP:
                _flat(key, value, flat)
        for column in flat:
            if column not in columns:
                columns.append(column)
        flat_rows.append(flat)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(flat_rows)
    return path
