"""Compare two results files run by run key: per instance (and profile), the median over seeds of
each metric in A and in B, and the ratio B/A (below 1 means B is smaller: better for every metric
listed here, all of which are minimised)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from benchmarks import metrics

COMPARED = (
    ("objective", "objective"),
    ("coverage_gap_pct", "coverage gap %"),
    ("time_to_first_s", "first s"),
    ("time_to_within_1pct_s", "within 1% s"),
    ("primal_integral", "primal integral"),
    ("wall_time_s", "wall s"),
    ("peak_rss_mb", "peak MB"),
)
"""(row field, column title) of the compared metrics."""


@dataclass
class Comparison:
    label_a: str
    label_b: str
    by: str
    lines: list[dict[str, Any]] = field(default_factory=list)


def _group(rows: list[dict[str, Any]], by: str) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    out: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        key = (row["instance"], row["profile"]) if by == "instance+profile" else (row["instance"],)
        out.setdefault(key, []).append(row)
    return out


def compare_rows(
    rows_a: list[dict[str, Any]],
    rows_b: list[dict[str, Any]],
    *,
    by: str = "instance+profile",
    label_a: str = "A",
    label_b: str = "B",
) -> Comparison:
    """One line per key present in A or B, keyed columns as in `Comparison.columns`."""
    groups_a, groups_b = _group(rows_a, by), _group(rows_b, by)
    keys = list(groups_a) + [k for k in groups_b if k not in groups_a]
    result = Comparison(label_a, label_b, by)
    for key in keys:
        ga, gb = groups_a.get(key, []), groups_b.get(key, [])
        line: dict[str, Any] = {"instance": key[0]}
        if by == "instance+profile":
            line["profile"] = key[1]
        line["seeds A"], line["seeds B"] = len(ga), len(gb)
        line["valid A"] = all(r.get("valid") for r in ga) if ga else None
        line["valid B"] = all(r.get("valid") for r in gb) if gb else None
        for name, title in COMPARED:
            va = metrics.median(r.get(name) for r in ga)
            vb = metrics.median(r.get(name) for r in gb)
            line[f"{title} A"], line[f"{title} B"] = va, vb
            line[f"{title} B/A"] = metrics.ratio(vb, va)
        result.lines.append(line)
    return result


def _cell(value: Any, title: str = "", is_ratio: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if is_ratio:
        return f"{value:.3f}"
    if isinstance(value, float):
        if "integral" in title:
            return f"{value:.4f}"
        if value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _heading(comparison: Comparison, line: dict[str, Any]) -> str:
    return line["instance"] + (f" / {line['profile']}" if comparison.by == "instance+profile" else "")


def _metric_rows(line: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(metric, A, B, B/A) for one instance: the seed counts and validity, then every metric."""
    rows = [
        ("seeds", _cell(line["seeds A"]), _cell(line["seeds B"]), ""),
        ("valid", _cell(line["valid A"]), _cell(line["valid B"]), ""),
    ]
    for _, title in COMPARED:
        rows.append(
            (
                title,
                _cell(line[f"{title} A"], title),
                _cell(line[f"{title} B"], title),
                _cell(line[f"{title} B/A"], title, is_ratio=True),
            )
        )
    return rows


def rich_table(comparison: Comparison) -> Group:
    """One table per instance (and profile): a row per metric, columns A, B and B/A."""
    tables = []
    for line in comparison.lines:
        table = Table(title=_heading(comparison, line), title_justify="left")
        table.add_column("metric")
        table.add_column(f"A ({comparison.label_a})", justify="right")
        table.add_column(f"B ({comparison.label_b})", justify="right")
        table.add_column("B/A", justify="right")
        for cells in _metric_rows(line):
            table.add_row(*cells)
        tables.append(table)
    caption = Text(
        f"A = {comparison.label_a}, B = {comparison.label_b}; medians over seeds; "
        "B/A < 1: B smaller (better, every metric is minimised)."
    )
    return Group(caption, *tables)


def markdown_table(comparison: Comparison) -> str:
    out = [
        f"A = `{comparison.label_a}`, B = `{comparison.label_b}`; medians over seeds; B/A < 1: B smaller "
        "(better, every metric is minimised)."
    ]
    for line in comparison.lines:
        out += [
            "",
            f"### {_heading(comparison, line)}",
            "",
            "| metric | A | B | B/A |",
            "|---|---:|---:|---:|",
        ]
        out += [f"| {m} | {a} | {b} | {r} |" for m, a, b, r in _metric_rows(line)]
    return "\n".join(out)
