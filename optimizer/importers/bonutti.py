"""Multi-skill shift design (Bonutti, Ceschia, De Cesco, Musliu, Schaerf 2017), "R" instances and
their solution files (`../shared/benchmarks/bonutti2017/FORMAT.md` describes both and the cost).

The mapping onto the instance format (a shift-design instance, `Instance.design`):

* horizon: `Days` days from a Monday, `Granularity`-minute intervals, cyclic (the week repeats: a
  Sunday night shift covers Monday morning);
* skills `skill1`..`skillK`, each its own design pool (people serve one skill, no substitution),
  demand per skill and interval from the `Requirements: Compact` rows (net of breaks; intervals
  no row names require 0);
* each shift type becomes a template: starts `EarliestStart`..`LatestStart` and lengths
  `MinLen`..`MaxLen` on the interval grid (the type's `Step` is a search granularity, not a rule:
  the published optima break it), its days; a start window reaching past midnight (Night
  22:00-24:00) is split, the part from 24:00 on becoming template `<Abbr>.midnight` with starts from
  00:00 on the next day, which is the same shift in a cyclic week;
* `Break <BreakLen> * * <MinBefore> <MinAfter>`: one unpaid break of BreakLen, starting at least
  MinBefore after the shift start and ending at least MinAfter before its end
  (`earliest_offset_minutes`, `min_work_after_minutes`); `NoBreak`: none. Absolute break windows
  and `LatestEnd` other than `*` are not supported (no published instance uses them);
* weights: under- and over-staffing 1 per person-minute (= Granularity per agent-interval), 60
  per shift line (`shift_patterns`; a line is a distinct start, length and break position), 100
  per slot of deviation of a skill's total net work from its average band
  [floor(hours*60/maxDuties/g), floor(hours*60/minDuties/g)] slots x duties
  (`avg_net_shift_minutes`, `avg_shift_length`).

The engine's design objective is then exactly the authors' validator's cost. Solutions
(`R*-opt.txt`, `R*-sol.txt`) load as design results, each line one `DesignShift`; both break
notations are read (`HH:MM--HH:MM` with hours past 24 for the next day, or `HH:MM*`), only the
break start counts (as in the authors' validator); the `Cost:` trailer is kept by
`published_terms`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

from optimizer.domain.ids import HEADCOUNT_MAX
from optimizer.domain.instance import (
    WEEKDAYS,
    BreakRule,
    Design,
    DesignPool,
    Horizon,
    Instance,
    InstanceError,
    NetShiftLengthBand,
    ShiftTemplate,
    Skill,
    SkillDemand,
    SolverSettings,
    Weights,
    parse_instance,
)
from optimizer.domain.schedule import DesignBreak, DesignShift, SolveResult
from optimizer.importers.errors import ImportFormatError

START_DATE = dt.date(2024, 1, 1)
"""A Monday: the benchmark's first day."""

SHIFT_LINE_WEIGHT = 60
AVG_LENGTH_WEIGHT = 100
BREAK_NAME = "break"
NEXT_DAY_SUFFIX = ".midnight"

_TIME = r"(\d{1,2}):(\d{2})"


@dataclass
class BonuttiType:
    """One shift type of the file, as written (minutes)."""

    abbr: str
    name: str
    earliest_start: int
    latest_start: int
    min_length: int
    max_length: int
    break_minutes: int
    min_before: int
    min_after: int
    days: list[bool]


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()  # a byte order mark is read, as elsewhere
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFormatError(path, None, f"cannot read the file ({exc})") from None


def _minutes(path: Path, number: int, text: str, what: str) -> int:
    match = re.fullmatch(_TIME, text)
    if match is None:
        raise ImportFormatError(path, number, f"{what} must be HH:MM, found '{text}'")
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if int(match.group(2)) > 59 or minutes > 24 * 60:  # 24:00 (the end of the day) occurs in the set
        raise ImportFormatError(path, number, f"{what} must be a time of day from 00:00 to 24:00, found '{text}'")
    return minutes


def _int(path: Path, number: int, text: str, what: str) -> int:
    if not re.fullmatch(r"\d+", text):
        raise ImportFormatError(path, number, f"{what} must be a non-negative integer, found '{text}'")
    return int(text)


def _header(path: Path, lines: list[str], index: int, label: str) -> str:
    if index >= len(lines) or not lines[index].startswith(label):
        found = lines[index].strip() if index < len(lines) else "the end of the file"
        raise ImportFormatError(path, index + 1, f"expected '{label}', found '{found}'")
    return lines[index][len(label):].strip()


def _days(path: Path, number: int, text: str) -> list[bool]:
    if text == "*":
        return [True] * 7
    flags = re.sub(r"[^01]", "", text)
    if len(flags) != 7:
        raise ImportFormatError(path, number, f"Days must be '*' or 7 flags 0/1, found '{text}'")
    return [f == "1" for f in flags]


def _parse_type(path: Path, number: int, line: str, g: int) -> BonuttiType:
    f = line.split()
    if len(f) < 9:
        raise ImportFormatError(path, number, f"a shift type line needs at least 9 fields, found {len(f)}")
    abbr, name = f[0], f[1]
    longest = 64 - len(NEXT_DAY_SUFFIX)  # the abbreviation is a template id, maybe with the suffix
    if not re.fullmatch(rf"[A-Za-z0-9_.:-]{{1,{longest}}}", abbr):  # else a pydantic traceback
        raise ImportFormatError(path, number, f"the abbreviation '{abbr}' must be 1 to {longest} letters, digits "
                                              "or _ . : -")
    earliest = _minutes(path, number, f[2], "EarliestStart")
    latest = _minutes(path, number, f[3], "LatestStart")
    if f[4] != "*":
        raise ImportFormatError(path, number, f"LatestEnd '{f[4]}' is not supported (only '*')")
    min_len = _int(path, number, f[5], "MinLen")
    max_len = _int(path, number, f[6], "MaxLen")
    _int(path, number, f[7], "Step")
    if f[8] == "NoBreak":
        if len(f) != 10:
            raise ImportFormatError(path, number, "a NoBreak type line has 10 fields")
        brk, before, after, days = 0, 0, 0, f[9]
    elif f[8] == "Break":
        if len(f) != 15:
            raise ImportFormatError(path, number, "a Break type line has 15 fields")
        brk = _int(path, number, f[9], "BreakLen")
        if f[10] != "*" or f[11] != "*":
            raise ImportFormatError(path, number, "absolute break windows (BreakEarliest/BreakLatest) are "
                                                  "not supported (only '*')")
        before = _int(path, number, f[12], "MinBefore")
        after = _int(path, number, f[13], "MinAfter")
        days = f[14]
    else:
        raise ImportFormatError(path, number, f"expected 'Break' or 'NoBreak', found '{f[8]}'")
    for value, what in ((earliest, "EarliestStart"), (latest, "LatestStart"), (min_len, "MinLen"),
                        (max_len, "MaxLen"), (brk, "BreakLen"), (before, "MinBefore"), (after, "MinAfter")):
        if value % g:
            raise ImportFormatError(path, number, f"{what} ({value} min) is not on the {g}-minute grid")
    if not min_len or max_len > 24 * 60:  # else a pydantic traceback, or a message per length and no line
        raise ImportFormatError(path, number, f"lengths must be 1 to 1440 minutes, found MinLen {min_len} and "
                                              f"MaxLen {max_len}")
    if latest < earliest or max_len < min_len:
        raise ImportFormatError(path, number, "empty start or length window")
    if brk and before + brk + after > min_len:
        raise ImportFormatError(path, number, f"the break cannot be placed in a {min_len}-minute shift")
    return BonuttiType(abbr, name, earliest, latest, min_len, max_len, brk, before, after,
                       _days(path, number, days))


def _templates(t: BonuttiType, g: int) -> list[ShiftTemplate]:
    """The type as one template, or two when its start window reaches past midnight."""
    lengths = list(range(t.min_length, t.max_length + 1, g))
    breaks = []
    if t.break_minutes:
        breaks = [BreakRule(name=BREAK_NAME, duration_minutes=t.break_minutes, paid=False,
                            earliest_offset_minutes=t.min_before,
                            latest_offset_minutes=t.max_length - t.min_after - t.break_minutes,
                            min_work_after_minutes=t.min_after)]
    out = []
    for shift, lo, hi, suffix in ((0, t.earliest_start, min(t.latest_start, 1440 - g), ""),
                                  (1440, max(t.earliest_start, 1440), t.latest_start, NEXT_DAY_SUFFIX)):
        if lo > hi or hi - shift >= 1440:
            continue
        days = t.days if not shift else t.days[-1:] + t.days[:-1]
        out.append(ShiftTemplate(
            id=t.abbr + suffix, name=t.name + (" (from midnight)" if shift else ""),
            earliest_start=_hhmm(lo - shift), latest_start=_hhmm(hi - shift), start_step_minutes=g,
            lengths_minutes=lengths, breaks=breaks,
            days=None if all(days) else [WEEKDAYS[d] for d in range(7) if days[d]]))
    return out


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _band(path: Path, number: int, hours: float, duties: tuple[int, int], g: int) -> NetShiftLengthBand:
    low, high = duties
    if not 0 < low <= high:
        raise ImportFormatError(path, number, f"duties per week ({low},{high}) must be positive and ordered")
    return NetShiftLengthBand(min_minutes=int(hours * 60 / high / g) * g,
                              max_minutes=int(hours * 60 / low / g) * g)


def load(path: str | Path) -> Instance:  # noqa: C901 - a flat reading of the file, section by section
    """Read a Bonutti instance file (R*.txt) into a shift-design instance."""
    path = Path(path)
    lines = _lines(path)
    g = _int(path, 1, _header(path, lines, 0, "Granularity:"), "Granularity")
    if g not in (5, 10, 15, 30, 60):
        raise ImportFormatError(path, 1, f"granularity {g} is not supported (5, 10, 15, 30 or 60)")
    days = _int(path, 2, _header(path, lines, 1, "Days:"), "Days")
    most_days = Horizon.model_fields["days"].metadata[-1].le
    if not 1 <= days <= most_days:  # checked before the demand of every day is allocated
        raise ImportFormatError(path, 2, f"the horizon must be 1 to {most_days} days (got {days})")
    k = _int(path, 3, _header(path, lines, 2, "Skills:"), "Skills")
    duties_text = _header(path, lines, 3, "Duties Per Week (per Skill):")
    duties = [(int(a), int(b)) for a, b in re.findall(r"\(\s*(\d+)\s*,\s*(\d+)\s*\)", duties_text)]
    if len(duties) != k:
        raise ImportFormatError(path, 4, f"expected {k} (min,max) duty pairs, found {len(duties)}")
    hours_text = _header(path, lines, 4, "Average Number Of Hours Per Week (per Skill):").split()
    try:
        hours = [float(h) for h in hours_text]
    except ValueError:
        raise ImportFormatError(path, 5, f"hours per week must be numbers, found '{' '.join(hours_text)}'") from None
    for text, value in zip(hours_text, hours, strict=True):
        if not (math.isfinite(value) and 0 <= value <= 168):  # float() also takes nan, inf and -38
            raise ImportFormatError(path, 5, f"hours per week must be 0 to 168, found '{text}'")
    if len(hours) != k:
        raise ImportFormatError(path, 5, f"expected {k} values of hours per week, found {len(hours)}")
    count = _int(path, 6, _header(path, lines, 5, "NumberOfShiftTemplates:"), "NumberOfShiftTemplates")
    index = 6
    while index < len(lines) and not lines[index].strip():
        index += 1
    types = []
    for _ in range(count):
        if index >= len(lines) or not lines[index].strip():
            raise ImportFormatError(path, index + 1, f"expected {count} shift type lines")
        types.append(_parse_type(path, index + 1, lines[index], g))
        index += 1
    while index < len(lines) and not lines[index].strip():
        index += 1
    mode = _header(path, lines, index, "Requirements:")
    if mode != "Compact":
        raise ImportFormatError(path, index + 1, f"only 'Requirements: Compact' is supported, found '{mode}'")
    per_day = 1440 // g
    required = [[0] * (days * per_day) for _ in range(k)]
    for number in range(index + 2, len(lines) + 1):
        line = lines[number - 1].strip()
        if not line:
            continue
        match = re.fullmatch(rf"{_TIME}\s*/\s*{_TIME}\s+(.*)", line)
        if match is None:
            raise ImportFormatError(path, number, "a requirement row is 'HH:MM / HH:MM' and one column per day")
        start = int(match.group(1)) * 60 + int(match.group(2))
        end = int(match.group(3)) * 60 + int(match.group(4))
        columns = match.group(5).split()
        if start % g or end % g or not 0 <= start < end <= 1440:
            raise ImportFormatError(path, number, f"time range {_hhmm(start)}-{_hhmm(end)} is not a range of "
                                                  f"{g}-minute slots within a day")
        if len(columns) != days:
            raise ImportFormatError(path, number, f"expected {days} columns, found {len(columns)}")
        for d, column in enumerate(columns):
            values = column.split("/")
            if len(values) != k or not all(v.isdecimal() for v in values):  # isdigit() takes '²', int() not
                raise ImportFormatError(path, number, f"column {d + 1} '{column}' is not {k} numbers r1/r2/...")
            if any(int(v) > HEADCOUNT_MAX for v in values):
                raise ImportFormatError(path, number, f"column {d + 1} '{column}' is more than {HEADCOUNT_MAX} "
                                                      "people")
            for s, value in enumerate(values):
                for slot in range(start // g, end // g):
                    required[s][d * per_day + slot] = int(value)

    skills = [f"skill{s + 1}" for s in range(k)]
    instance = Instance(
        name=_name(path),
        description=f"Bonutti et al. 2017 multi-skill shift design, imported from {path.name}",
        horizon=Horizon(start_date=START_DATE, days=days, interval_minutes=g, cyclic=True),  # type: ignore[arg-type]
        skills=[Skill(id=s) for s in skills],
        demand=[SkillDemand(skill=s, required=required[i]) for i, s in enumerate(skills)],
        templates=[tpl for t in types for tpl in _templates(t, g)],
        design=Design(pools=[DesignPool(id=s, skills=[s], avg_net_shift_minutes=_band(path, 4, hours[i], duties[i], g))
                             for i, s in enumerate(skills)]),
        weights=Weights(under_staffing=[g], over_staffing=g, labor_cost=0.0, preferences=0,
                        shift_patterns=SHIFT_LINE_WEIGHT, avg_shift_length=AVG_LENGTH_WEIGHT),
        solver=SolverSettings(time_limit_s=60, workers=2),
    )
    try:
        return parse_instance(instance.model_dump(mode="json"))
    except InstanceError as exc:
        raise ImportFormatError(path, None, "; ".join(map(str, exc.issues))) from None


def _name(path: Path) -> str:
    return "bonutti-" + re.sub(r"[^A-Za-z0-9_-]", "-", path.stem)


_SHIFT_LINE = re.compile(
    rf"\s*(?P<id>\S+)\s+\(\s*(?P<type>[^)]*?)\s*\)\s+(?P<start>{_TIME})-(?P<end>{_TIME})\*?\s+(?P<length>\d+)\s+"
    r"\((?P<break>break at [^)]*|no break)\)\s*(?P<counts>.*)$")


def load_solution(instance: str | Path | Instance, solution_path: str | Path) -> SolveResult:
    """Read a Bonutti solution file (R*-opt.txt or R*-sol.txt) as a design result of `instance`
    (an Instance, or the path of its R*.txt file). Terms, objective and coverage are the engine's
    own accounting (`optimizer.solve.design.account`)."""
    if not isinstance(instance, Instance):
        instance = load(instance)
    if instance.design is None:
        raise ValueError(f"{instance.name} is not a shift-design instance")
    path = Path(solution_path)
    g = instance.horizon.interval_minutes
    skills = [s.id for s in instance.skills]
    templates = {t.id: t for t in instance.templates}
    by_name = {t.name: t.id for t in instance.templates}
    lines: list[DesignShift] = []
    for number, raw in enumerate(_lines(path), start=1):
        if not raw.strip():
            continue
        if raw.strip().startswith("Cost:"):
            break  # the authors' validator stops at the first line that is not a shift
        match = _SHIFT_LINE.match(raw)
        if match is None:
            raise ImportFormatError(path, number, "not a shift line '<id> ( <Type> ) HH:MM-HH:MM <length> "
                                                  "(break at ...) w_1, ..., w_7, [totals]'")
        type_name = match.group("type")
        if type_name not in by_name:
            raise ImportFormatError(path, number, f"unknown shift type '{type_name}'")
        start = _minutes(path, number, match.group("start"), "the start")
        length = int(match.group("length"))
        template_id = by_name[type_name]
        if start < templates[template_id].earliest_start_minute and (template_id + NEXT_DAY_SUFFIX) in templates:
            template_id += NEXT_DAY_SUFFIX  # a start from midnight on, of a window reaching past it
        breaks = []
        text = match.group("break")
        if text != "no break":
            offset = _break_start(path, number, text.removeprefix("break at ").strip()) - start
            if offset < 0:
                raise ImportFormatError(path, number, f"the break ({text}) starts before the shift; a next-day "
                                                      "break is written HH:MM* or with hours past 24")
            breaks = [DesignBreak(name=BREAK_NAME, offset_minutes=offset)]
        counts = _counts(path, number, match.group("counts"), instance.horizon.days, len(skills))
        if start % g or length % g:
            raise ImportFormatError(path, number, f"start or length is not on the {g}-minute grid")
        lines.append(DesignShift(
            template_id=template_id, start=_hhmm(start), length_minutes=length, breaks=breaks,
            counts={instance.horizon.date_of_day(d): {skills[s]: n for s, n in enumerate(row) if n}
                    for d, row in enumerate(counts) if any(row)}))
    if not lines:  # an empty or cut file would read as a solution that staffs nobody
        raise ImportFormatError(path, None, "no shift lines")
    from optimizer.solve.design import result_from_lines

    return result_from_lines(instance, lines, status="feasible")


def _break_start(path: Path, number: int, text: str) -> int:
    """Minutes after the shift's midnight: `HH:MM--HH:MM` (hours may pass 24) or `HH:MM*` (next day)."""
    match = re.fullmatch(rf"{_TIME}(\*|--{_TIME})?", text)
    if match is None:
        raise ImportFormatError(path, number, f"break '{text}' is neither HH:MM--HH:MM nor HH:MM*")
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    return minutes + (1440 if match.group(3) == "*" else 0)


def _counts(path: Path, number: int, text: str, days: int, k: int) -> list[list[int]]:
    body = text.split("[")[0]
    cells = [c.strip() for c in body.split(",") if c.strip()]
    if len(cells) != days:
        raise ImportFormatError(path, number, f"expected {days} day columns n_1/.../n_{k}, found {len(cells)}")
    rows = []
    for d, cell in enumerate(cells):
        values = cell.split("/")
        if len(values) != k or not all(v.isdecimal() for v in values):  # isdigit() takes '²', int() not
            raise ImportFormatError(path, number, f"day {d + 1}: '{cell}' is not {k} numbers n_1/.../n_{k}")
        if any(int(v) > HEADCOUNT_MAX for v in values):
            raise ImportFormatError(path, number, f"day {d + 1}: '{cell}' is more than {HEADCOUNT_MAX} people")
        rows.append([int(v) for v in values])
    return rows


def published_terms(solution_path: str | Path) -> dict[str, int] | None:
    """The `Cost:` trailer of an -sol file as design terms (None when the file has none)."""
    for line in _lines(Path(solution_path)):
        if line.strip().startswith("Cost:"):
            values = dict(re.findall(r"([A-Za-z ]+):\s*([\d.]+)", line))
            values = {k.strip(): v for k, v in values.items()}
            return {"under_staffing": int(values["Under Requirements"]),
                    "over_staffing": int(values["Over Requirements"]),
                    "shift_patterns": int(values["Shift Number"]),
                    "avg_shift_length": int(values["Average Duties Per Person"]),
                    "total": int(values["Cost"])}
    return None


def published_best(path: str | Path) -> int | None:
    """The published optimum of `R<n>.txt` (the cost of its generating solution), read from the
    BEST_KNOWN.md of its set (a folder above the file); None when absent."""
    return _published(path)[1]


def published_sa(path: str | Path) -> int | None:
    """The authors' simulated-annealing cost of `R<n>.txt` (same table)."""
    return _published(path)[0]


def _published(path: str | Path) -> tuple[int | None, int | None]:
    path = Path(path)
    table = next((p / "BEST_KNOWN.md" for p in path.resolve().parents if (p / "BEST_KNOWN.md").exists()), None)
    if table is None:
        return None, None
    for line in table.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[1] == path.name and cells[6].isdigit() and cells[7].isdigit():
            return int(cells[6]), int(cells[7])
    return None, None


__all__ = ["load", "load_solution", "published_best", "published_sa", "published_terms"]
