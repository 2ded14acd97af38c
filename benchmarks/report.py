"""benchmarks/RESULTS.md, one section per suite, each regenerated on its own.

A section is the text between ``<!-- section:NAME -->`` and ``<!-- /section:NAME -->``;
`write_section` replaces only that text (the markers stay, everything else in the file is left as
it is) and appends a new section, with a heading, when the markers are not there yet. Any tool can
fill its own section with `write_section(path, name, markdown)`; suites run by the runner get theirs
from `render_section`: a table per instance and profile, the suite's targets with met / not met
computed from the rows, and how the numbers were obtained (commands, versions, machine, date).
Sections that need a different layout register a renderer in `RENDERERS`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import metrics
from benchmarks.suite import OPS, Suite, display_path


def markers(name: str) -> tuple[str, str]:
    return f"<!-- section:{name} -->", f"<!-- /section:{name} -->"


def write_section(path: str | Path, name: str, body: str, title: str | None = None) -> None:
    """Replace the text between the section's markers with `body` (append the section if absent)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    begin, end = markers(name)
    block = f"{begin}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + f"\n\n## {title or name}\n\n{block}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def read_section(path: str | Path, name: str) -> str | None:
    text = Path(path).read_text(encoding="utf-8")
    begin, end = markers(name)
    found = re.search(re.escape(begin) + r"\n?(.*?)\n?" + re.escape(end), text, re.DOTALL)
    return found.group(1) if found else None


# --------------------------------------------------------------------------------------------
# Formatting


def _num(value: Any, digits: int = 0, suffix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, int | float):
        return f"{value:,.{digits}f}{suffix}"
    return str(value)


def _group(rows: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault((row["instance"], row["profile"]), []).append(row)
    return out


def _median(group: list[dict[str, Any]], name: str) -> float | None:
    return metrics.median(r.get(name) for r in group)


def _median_kpi(group: list[dict[str, Any]], name: str) -> float | None:
    return metrics.median((r.get("kpis") or {}).get(name) for r in group)


def _load(group: list[dict[str, Any]]) -> str:
    """The machine's 1-minute load average at the start and end of the runs (2 cores: above 2, the
    run shared the CPU with other work)."""
    values = [v for r in group for v in (r.get("load_avg_1m") or [])]
    return f"{min(values):.1f}-{max(values):.1f}" if values else "-"


def _time_limit(group: list[dict[str, Any]]) -> Any:
    return (group[0].get("settings") or {}).get("time_limit_s")


def results_table(rows: list[dict[str, Any]]) -> str:
    published = any(r.get("published_best") is not None for r in rows)
    head = [
        "instance",
        "profile",
        "time limit",
        "seeds",
        "status",
        "objective",
        "CP-SAT bound",
        "anonymous bound",
        "first feasible",
        "final gap",
        "under-staffed agent-h",
        "over-staffed agent-h",
        "coverage gap",
        "within 1 %",
        "primal integral",
        "build time",
        "peak memory",
        "load",
        "valid",
    ]
    if published:
        head[8:8] = ["published best", "gap to published"]
    left = ("instance", "profile", "status")
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" if h in left else "---:" for h in head) + "|",
    ]
    for (instance, profile), group in _group(rows).items():
        statuses = sorted({str(r.get("status")) for r in group})
        gap = _median(group, "gap")
        cells = [
            instance,
            profile,
            _num(_time_limit(group), 0, " s"),
            str(len(group)),
            ", ".join(statuses),
            _num(_median(group, "objective")),
            _num(_median(group, "best_bound")),
            _num(_median(group, "anonymous_bound")),
            _num(_median(group, "time_to_first_s"), 2, " s"),
            "-" if gap is None else f"{100 * gap:.2f} %",
            _num(_median_kpi(group, "under_staffed_agent_hours"), 1),
            _num(_median_kpi(group, "over_staffed_agent_hours"), 1),
            _num(_median(group, "coverage_gap_pct"), 2, " %"),
            _num(_median(group, "time_to_within_1pct_s"), 2, " s"),
            _num(_median(group, "primal_integral"), 4),
            _num(_median(group, "build_time_s"), 1, " s"),
            _num(_median(group, "peak_rss_mb"), 0, " MB"),
            _load(group),
            _num(all(bool(r.get("valid")) for r in group)),
        ]
        if published:
            g = _median(group, "gap_to_published")
            cells[8:8] = [_num(_median(group, "published_best")), "-" if g is None else f"{100 * g:.2f} %"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Targets


def evaluate_target(target: dict[str, Any], rows: list[dict[str, Any]]) -> tuple[str, str]:
    """("met" | "not met" | "not run", what was observed). A target names an `instance` (or a list), optionally
    a `profile` (or a list), and `require`: a list of [field, op, value]. It is met when there is at
    least one row and every matching row is valid and satisfies every condition."""
    profiles = target.get("profile")
    if isinstance(profiles, str):
        profiles = [profiles]
    instances = target.get("instance")
    if isinstance(instances, str):
        instances = [instances]
    chosen = [
        r
        for r in rows
        if r.get("instance") in (instances or []) and (not profiles or r.get("profile") in profiles)
    ]
    if not chosen:
        return "not run", "no row"
    met = all(bool(r.get("valid")) for r in chosen)
    observed = []
    for field, op, value in target.get("require", []):
        many = len(instances or []) > 1
        seen = [((f"{r.get('instance')} " if many else "") + f"{r.get('profile')}/{r.get('seed')}", r.get(field))
                for r in chosen]
        for _, v in seen:
            if v is None or not OPS[op](v, value):
                met = False
        shown = ", ".join(f"{who} " + (f"{v:.3f}" if isinstance(v, float) else str(v)) for who, v in seen)
        observed.append(f"{field} {op} {value}: {shown}")
    if not all(bool(r.get("valid")) for r in chosen):
        observed.append("a schedule failed validation")
    return ("met" if met else "not met"), "; ".join(observed)


def targets_table(targets: list[dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    lines = ["| target | result | observed |", "|---|---|---|"]
    for target in targets:
        verdict, observed = evaluate_target(target, rows)
        shown = {"met": "met", "not met": "**not met**", "not run": "not run"}[verdict]
        lines.append(f"| {target.get('text') or target.get('instance')} | {shown} | {observed} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Provenance


def _distinct(rows: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for row in rows:
        value = row.get(field) or {}
        if value not in seen:
            seen.append(value)
    return seen


def provenance(suite: Suite, rows: list[dict[str, Any]], source: Path) -> str:
    suite_path = display_path(suite.path)
    commands = "\n".join(
        [
            "How to reproduce (for the core suite, `make bench` runs both):",
            "",
            "```sh",
            f".venv/bin/python -m benchmarks.runner run {suite_path}"
            + ("" if source.resolve() == suite.results.resolve() else f" -o {display_path(source)}"),
            f".venv/bin/python -m benchmarks.runner report {suite_path}",
            "```",
        ]
    )
    facts = [
        "Profiles: "
        + "; ".join(
            f"`{p.name}` = "
            + ", ".join(f"{k} {json.dumps(v)}" for k, v in p.settings.items())
            + f", seeds {list(p.seeds)}"
            for p in suite.profiles.values()
        )
        + "."
    ]
    for v in _distinct(rows, "versions"):
        facts.append(
            f"Versions: Python {v.get('python')}, OR-Tools {v.get('ortools')}, commit {v.get('commit')}."
        )
    for h in _distinct(rows, "host"):
        facts.append(
            f"Machine: {h.get('cpu_model')}, {h.get('cpu_count')} logical CPUs "
            f"({h.get('cpu_physical')} physical), {h.get('memory_gb')} GB, {h.get('platform')}."
        )
    dates = sorted(str(r.get("started_at")) for r in rows if r.get("started_at"))
    if dates:
        facts.append(f"Runs started between {dates[0]} and {dates[-1]} (UTC).")
    return commands + "\n\n" + "\n".join(f"- {fact}" for fact in facts)


def default_renderer(suite: Suite, rows: list[dict[str, Any]], source: Path) -> str:
    parts = [
        f"_Generated by `python -m benchmarks.runner report {display_path(suite.path)}` from "
        f"`{display_path(source)}`; edit the suite or the runner, not this text._"
    ]
    if suite.description:
        parts.append(suite.description.strip())
    if not rows:
        parts.append("No results yet: run the suite (see below).")
    else:
        parts.append(results_table(rows))
        parts.append(
            "Objective and bounds are in objective units (lower is better). *CP-SAT bound*: the solver's best "
            "bound; *anonymous bound*: the lower bound on coverage and labor cost from the anonymous model; "
            "*first feasible*: seconds to the first complete schedule; *final gap*: (objective - bound) / "
            "objective; *coverage gap*: how far coverage and labor cost are above the anonymous bound, in % "
            "of the cost of leaving all demand uncovered; *within 1 %*: seconds until the incumbent is within "
            "1 % of the final objective; *primal integral*: normalised (0 best, 1 worst); *peak memory*: peak "
            "resident memory of the run's process; *load*: the machine's 1-minute load average at the start "
            "and end of the runs (2 cores: above 2, other work shared the CPU and wall-clock times suffer); "
            "*valid*: the independent validator accepted every schedule. Definitions: `benchmarks/README.md`."
        )
    if suite.targets:
        parts.append("Targets:\n\n" + targets_table(suite.targets, rows))
    parts.append(provenance(suite, rows, source))
    return "\n\n".join(parts)


RENDERERS: dict[str, Callable[[Suite, list[dict[str, Any]], Path], str]] = {}
"""Section name -> renderer, for sections whose layout differs from `default_renderer`."""


def render_section(name: str, suite: Suite, rows: list[dict[str, Any]], source: Path) -> str:
    return RENDERERS.get(name, default_renderer)(suite, rows, source)
