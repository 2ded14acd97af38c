"""Minimum Shift Design (Musliu, Schaerf, Slany 2004; Di Gaspero, Gärtner, Kortsarz, Musliu,
Schaerf, Slany 2007), TU Wien "Rota" instances (`RandomExampleN.txt` of DataSet1 and DataSet2;
`../shared/benchmarks/shiftdesign/FORMAT.md`). Files are ISO-8859-1 with CRLF line endings;
`#` lines are labels, each followed by its value lines.

The mapping onto the instance format (a shift-design instance, `Instance.design`):

* horizon: `DaysPerCycle` days from a Monday, `MinuteInterval`-minute intervals, cyclic when
  `FlagCyclical` is yes; one skill and one design pool (`staff`); the requirement line is the
  demand (day-major, slot 0 at 00:00 of day 0);
* each shift template "Abbr Name Start +Min -Min Length +Min -Min days" becomes a template with
  starts Start-(-Min) .. Start+(+Min) and lengths Length-(-Min) .. Length+(+Min) on the interval
  grid, no breaks (days other than `*` are not supported; no file uses them);
* weights: `UnderCover` and `Overcover` are per person-minute, so the engine's weights per agent
  and interval are those times MinuteInterval; `Shifts` is the weight per distinct shift
  (`shift_patterns`; a shift is a distinct start and length, there are no breaks).

The objective is the 3-term one of Di Gaspero et al. 2007: shortage + excess + distinct shifts.
The `DutiesPerWeek` term (its weight is 1000 in DataSet1, 0 in DataSet2) is NOT imported: its exact
definition is not verified (FORMAT.md), and the files' `#Fitness` reference values equal
W_shifts x the number of shifts of the embedded generating solution, i.e. the 3-term cost (the
tests check this on every file). `published_best` is that `#Fitness` value;
`load_solution` reads the embedded `#Optimal Solution` (the generating solution).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from optimizer.domain.ids import HEADCOUNT_MAX
from optimizer.domain.instance import (
    Design,
    DesignPool,
    Horizon,
    Instance,
    InstanceError,
    ShiftTemplate,
    Skill,
    SkillDemand,
    SolverSettings,
    Weights,
    parse_instance,
)
from optimizer.domain.schedule import DesignShift, SolveResult
from optimizer.importers.errors import ImportFormatError

START_DATE = dt.date(2024, 1, 1)
"""A Monday: the cycle's first day."""

SKILL = "staff"

LABELS = {
    "#MinuteInterval": "interval",
    "#DaysPerCycle": "days",
    "#FlagCyclical": "cyclic",
    "#Requirements": "requirements",
    "#Number of shift templates": "templates_count",
    "#Shift templates": "templates",
    "#Duties per week": "duties",
    "# Average number of hours per week": "hours",
    "#UnderCover": "under",
    "#Overcover": "over",
    "#DutiesPerWeek": "duties_weight",
    "#Shifts": "shifts_weight",
    "#Fitness of assumed optimal Solution": "fitness",
    "#Optimal Solution": "solution",
}


@dataclass
class _Line:
    number: int
    text: str


def _sections(path: Path) -> dict[str, list[_Line]]:
    try:
        text = path.read_bytes().decode("iso-8859-1")
    except OSError as exc:
        raise ImportFormatError(path, None, f"cannot read the file ({exc})") from None
    sections: dict[str, list[_Line]] = {}
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        label = next((key for prefix, key in LABELS.items() if line.startswith(prefix)), None)
        if label is not None:
            current = label
            sections.setdefault(current, [])
            continue
        if not line:
            continue
        if current is None:
            raise ImportFormatError(path, number, "data before the first '#' label")
        if line.startswith("#"):
            if current in ("fitness", "solution"):
                body = line.lstrip("#").strip()
                if body and not body.startswith("Shift Start"):
                    sections[current].append(_Line(number, body))
            continue  # a comment (the templates' column header)
        sections[current].append(_Line(number, line))
    return sections


def _one(path: Path, sections: dict[str, list[_Line]], key: str, what: str) -> _Line:
    lines = sections.get(key)
    if not lines:
        raise ImportFormatError(path, None, f"missing {what}")
    if len(lines) != 1:
        raise ImportFormatError(path, lines[1].number, f"{what} is one line")
    return lines[0]


def _int(path: Path, line: _Line, text: str, what: str) -> int:
    if not re.fullmatch(r"\d+", text):
        raise ImportFormatError(path, line.number, f"{what} must be a non-negative integer, found '{text}'")
    return int(text)


def _headcount(path: Path, line: _Line, text: str, what: str) -> int:
    """A number of people, within the engine's bound (over it, a pydantic traceback or a result of
    absurd cost)."""
    value = _int(path, line, text, what)
    if value > HEADCOUNT_MAX:
        raise ImportFormatError(path, line.number, f"{what} must be at most {HEADCOUNT_MAX}, found {value}")
    return value


def _clock(path: Path, line: _Line, text: str) -> int:
    match = re.fullmatch(r"(\d{1,2}):(\d{1,2})", text)
    if match is None:
        raise ImportFormatError(path, line.number, f"a time must be H:M, found '{text}'")
    return int(match.group(1)) * 60 + int(match.group(2))


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def load(path: str | Path) -> Instance:
    """Read a shift design file (RandomExampleN.txt) into a shift-design instance."""
    path = Path(path)
    sections = _sections(path)
    g_line = _one(path, sections, "interval", "#MinuteInterval")
    g = _int(path, g_line, g_line.text, "MinuteInterval")
    if g not in (5, 10, 15, 30, 60):
        raise ImportFormatError(path, g_line.number, f"interval {g} is not supported (5, 10, 15, 30 or 60)")
    d_line = _one(path, sections, "days", "#DaysPerCycle")
    days = _int(path, d_line, d_line.text, "DaysPerCycle")
    most_days = Horizon.model_fields["days"].metadata[-1].le
    if not 1 <= days <= most_days:  # else the requirements line is blamed for the wrong count
        raise ImportFormatError(path, d_line.number, f"the horizon must be 1 to {most_days} days (got {days})")
    c_line = _one(path, sections, "cyclic", "#FlagCyclical")
    if c_line.text.lower() not in ("yes", "no"):
        raise ImportFormatError(path, c_line.number, f"FlagCyclical must be yes or no, found '{c_line.text}'")
    r_line = _one(path, sections, "requirements", "#Requirements")
    required = [_headcount(path, r_line, v, "a requirement") for v in r_line.text.split()]
    if len(required) != days * 1440 // g:
        raise ImportFormatError(path, r_line.number, f"expected {days * 1440 // g} requirements "
                                                     f"({days} days of {1440 // g} slots), found {len(required)}")
    n_line = _one(path, sections, "templates_count", "#Number of shift templates")
    count = _int(path, n_line, n_line.text, "the number of shift templates")
    rows = sections.get("templates", [])
    if len(rows) != count:
        raise ImportFormatError(path, rows[0].number if rows else None,
                                f"expected {count} shift templates, found {len(rows)}")
    templates = [_template(path, row, g) for row in rows]
    weights = {}
    most = Weights.model_fields["over_staffing"].metadata[-1].le
    for key, what, per in (("under", "#UnderCover", g), ("over", "#Overcover", g), ("shifts_weight", "#Shifts", 1)):
        line = _one(path, sections, key, what)
        weights[key] = _int(path, line, line.text, what)
        if weights[key] * per > most:  # else a pydantic traceback on the engine's weight
            bound = f"{most // per} per minute ({most} per {g}-minute interval)" if per > 1 else str(most)
            raise ImportFormatError(path, line.number, f"{what} must be at most {bound}, found {weights[key]}")
    instance = Instance(
        name="shiftdesign-" + re.sub(r"[^A-Za-z0-9_-]", "-", f"{path.parent.name}-{path.stem}"),
        description=f"Minimum shift design (TU Wien Rota data), imported from {path.parent.name}/{path.name}; "
                    "objective = shortage + excess + shifts (the DutiesPerWeek term is not imported)",
        horizon=Horizon(start_date=START_DATE, days=days, interval_minutes=g,  # type: ignore[arg-type]
                        cyclic=c_line.text.lower() == "yes"),
        skills=[Skill(id=SKILL)],
        demand=[SkillDemand(skill=SKILL, required=required)],
        templates=templates,
        design=Design(pools=[DesignPool(id=SKILL, skills=[SKILL])]),
        weights=Weights(under_staffing=[weights["under"] * g], over_staffing=weights["over"] * g, labor_cost=0.0,
                        preferences=0, shift_patterns=weights["shifts_weight"]),
        solver=SolverSettings(time_limit_s=10, workers=2),
    )
    try:
        return parse_instance(instance.model_dump(mode="json"))
    except InstanceError as exc:
        raise ImportFormatError(path, None, "; ".join(map(str, exc.issues))) from None


def _template(path: Path, row: _Line, g: int) -> ShiftTemplate:
    f = row.text.split()
    if len(f) != 9:
        raise ImportFormatError(path, row.number, "a shift template is 'Abbr Name Start +Min -Min Length +Min "
                                                  f"-Min days' (9 fields), found {len(f)} fields")
    start = _clock(path, row, f[2])
    plus, minus = _int(path, row, f[3], "+Minutes"), _int(path, row, f[4], "-Minutes")
    length = _int(path, row, f[5], "Length")
    l_plus, l_minus = _int(path, row, f[6], "+Minutes"), _int(path, row, f[7], "-Minutes")
    if f[8] != "*":
        raise ImportFormatError(path, row.number, f"available days '{f[8]}' are not supported (only '*')")
    if len(f[0]) > 64:  # the template id; else a pydantic traceback
        raise ImportFormatError(path, row.number, f"the abbreviation '{f[0]}' is over 64 characters")
    earliest, latest = start - minus, start + plus
    if earliest < 0 or latest >= 1440:
        raise ImportFormatError(path, row.number, f"start window {earliest}..{latest} min crosses midnight "
                                                  "(not supported)")
    lo, hi = length - l_minus, length + l_plus
    for value, what in ((earliest, "the earliest start"), (latest, "the latest start"), (lo, "the shortest length"),
                        (hi, "the longest length")):
        if value % g:
            raise ImportFormatError(path, row.number, f"{what} ({value} min) is not on the {g}-minute grid")
    if lo <= 0:
        raise ImportFormatError(path, row.number, "the shortest length must be positive")
    if hi > 24 * 60:  # else one message per length, naming no line
        raise ImportFormatError(path, row.number, f"the longest length ({hi} min) is over 24 hours")
    return ShiftTemplate(id=re.sub(r"[^A-Za-z0-9_.:-]", "-", f[0]), name=f[1], earliest_start=_hhmm(earliest),
                         latest_start=_hhmm(latest), start_step_minutes=g, lengths_minutes=list(range(lo, hi + 1, g)))


def load_solution(instance: str | Path | Instance, solution_path: str | Path | None = None) -> SolveResult:
    """The generating solution embedded in a file (`#Optimal Solution`: one line per shift,
    'k: H:M length n_1 .. n_days') as a design result of `instance` (an Instance, or the path of the
    file; `solution_path` defaults to that file). Each line's template is the first whose start
    and length windows hold it. Terms, objective and coverage are the engine's own accounting."""
    if not isinstance(instance, Instance):
        solution_path = solution_path or instance
        instance = load(instance)
    if solution_path is None:
        raise ValueError("the solution file is needed when an Instance is given")
    path = Path(solution_path)
    sections = _sections(path)
    rows = sections.get("solution")
    if not rows:
        raise ImportFormatError(path, None, "no '#Optimal Solution' lines")
    days = instance.horizon.days
    lines = []
    for row in rows:
        match = re.fullmatch(r"(\d+):\s+(\S+)\s+(\d+)\s+(.*)", row.text)
        if match is None:
            raise ImportFormatError(path, row.number, "a solution line is '# k: H:M length n_1 ... n_days'")
        start = _clock(path, row, match.group(2))
        length = int(match.group(3))
        counts = [_headcount(path, row, v, "a count") for v in match.group(4).split()]
        if len(counts) != days:
            raise ImportFormatError(path, row.number, f"expected {days} counts, found {len(counts)}")
        template = next((t for t in instance.templates
                         if start in t.start_minutes_of_day() and length in t.lengths_minutes), None)
        if template is None:
            raise ImportFormatError(path, row.number, f"no template allows a shift at {_hhmm(start)} of {length} min")
        lines.append(DesignShift(
            template_id=template.id, start=_hhmm(start), length_minutes=length,
            counts={instance.horizon.date_of_day(d): {SKILL: c} for d, c in enumerate(counts) if c}))
    from optimizer.solve.design import result_from_lines

    return result_from_lines(instance, lines, status="feasible")


def published_best(path: str | Path) -> int | None:
    """The file's `#Fitness of assumed optimal Solution` (None when empty)."""
    path = Path(path)
    rows = _sections(path).get("fitness", [])
    if not rows:
        return None
    text = rows[0].text
    if not re.fullmatch(r"\d+", text):
        raise ImportFormatError(path, rows[0].number, f"the fitness must be an integer, found '{text}'")
    return int(text)


__all__ = ["load", "load_solution", "published_best"]
