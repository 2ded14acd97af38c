"""Curtois & Qu "Employee Shift Scheduling Benchmark" (schedulingbenchmarks.org, Instance1-24).

The mapping onto the instance format, rule by rule (the benchmark's rules are listed in
`../shared/benchmarks/curtois/FORMAT.md`):

* horizon: H days from a Monday (day 0 is a Monday in every file); the benchmark has no times of
  day, so each shift type becomes a template starting at 00:00 with its one length and no breaks
  (shifts of consecutive days never overlap, and no interval demand is given);
* one skill, no interval demand; cover per day and shift type becomes `shift_demand` with the
  file's under and over weights;
* "shifts which cannot follow": `forbidden_successions` (day d, then day d+1, inside the horizon);
* each staff line becomes a contract (identical lines share one): MaxShifts per type as
  `max_shifts_per_template` (types capped at 0 are also left out of `allowed_templates`), total
  minutes as `min_paid_minutes`/`max_paid_minutes` over the horizon, consecutive shifts and days
  off as `max_consecutive_working_days`, `min_consecutive_working_days` and
  `min_consecutive_days_off` (runs touching the horizon's edges exempt, as in the benchmark),
  MaxWeekends as `max_working_weekends` (weekend k = days 7k+5 and 7k+6, worked if either is);
* days off: a whole-day `time_off` window; shift on/off requests: `shift_requests` with the
  template and weight;
* weights: only the preferences (x1) and the shift demand count; coverage, labor cost, fairness
  and shift patterns are 0. The engine's objective is then exactly the benchmark's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from optimizer.domain.instance import (
    Agent,
    AgentSkill,
    Contract,
    Horizon,
    Instance,
    InstanceError,
    Preferences,
    ShiftDemand,
    ShiftRequest,
    ShiftTemplate,
    Skill,
    SolverSettings,
    TimeWindow,
    Weights,
    issues_from_pydantic,
    parse_instance,
)
from optimizer.importers.errors import ImportFormatError

START_DATE = dt.date(2024, 1, 1)
"""A Monday: the benchmark's day 0."""

SKILL = "staff"

SECTIONS = (
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
)


@dataclass
class _Line:
    number: int
    fields: list[str]


@dataclass
class _File:
    path: Path
    sections: dict[str, list[_Line]] = field(default_factory=dict)

    def rows(self, section: str, arity: int | tuple[int, ...]) -> list[_Line]:
        arities = (arity,) if isinstance(arity, int) else arity
        rows = self.sections.get(section, [])
        for row in rows:
            if len(row.fields) not in arities:
                raise ImportFormatError(self.path, row.number,
                                        f"{section}: expected {' or '.join(map(str, arities))} "
                                        f"comma-separated fields, found {len(row.fields)}")
        return rows

    def int(self, row: _Line, index: int, what: str) -> int:
        text = row.fields[index]
        if not re.fullmatch(r"-?\d+", text):
            raise ImportFormatError(self.path, row.number, f"{what} must be an integer, found '{text}'")
        return int(text)


def _read(path: Path) -> _File:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFormatError(path, None, f"cannot read the file ({exc})") from None
    parsed = _File(path)
    current: str | None = None
    header_line: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            if line not in SECTIONS:
                raise ImportFormatError(path, number, f"unknown section '{line}'")
            if line in header_line:  # its rows would be read twice (a cover counted twice)
                raise ImportFormatError(path, number, f"{line} appears twice (first on line {header_line[line]})")
            header_line[line] = number
            current = line
            parsed.sections[current] = []
            continue
        if current is None:
            raise ImportFormatError(path, number, "data before the first SECTION_ header")
        parsed.sections[current].append(_Line(number, [f.strip() for f in line.split(",")]))
    for required in ("SECTION_HORIZON", "SECTION_SHIFTS", "SECTION_STAFF", "SECTION_COVER"):
        if required not in parsed.sections:
            raise ImportFormatError(path, None, f"missing {required}")
    return parsed


def load(path: str | Path) -> Instance:
    """Read a Curtois instance file into an engine instance (raises `ImportFormatError` or
    `InstanceError` naming the line or field and the reason)."""
    path = Path(path)
    f = _read(path)
    days = _days(path, f)

    def date(row: _Line, index: int) -> dt.date:
        d = f.int(row, index, "the day index")
        if not 0 <= d < days:
            raise ImportFormatError(path, row.number, f"day {d} is outside the horizon (0..{days - 1})")
        return START_DATE + dt.timedelta(days=d)

    lengths, successions = _shifts(path, f)

    contracts: dict[tuple, Contract] = {}
    contract_of: dict[str, str] = {}
    staff_line: dict[str, int] = {}
    for row in f.rows("SECTION_STAFF", 8):
        staff_id = row.fields[0]
        _identifier(path, row, "employee")
        if staff_id in staff_line:
            raise ImportFormatError(path, row.number, f"employee '{staff_id}' is listed twice (first on line "
                                                      f"{staff_line[staff_id]})")
        staff_line[staff_id] = row.number
        max_shifts: dict[str, int] = {}
        for item in filter(None, row.fields[1].split("|")):
            shift_id, _, limit = item.partition("=")
            if shift_id not in lengths or not limit.isdecimal():  # isdigit() takes '²', int() does not
                raise ImportFormatError(path, row.number, f"MaxShifts entry '{item}' is not SHIFT=number "
                                                          "of a known shift")
            max_shifts[shift_id] = int(limit)
        values = [f.int(row, i, name) for i, name in enumerate(
            ("MaxTotalMinutes", "MinTotalMinutes", "MaxConsecutiveShifts", "MinConsecutiveShifts",
             "MinConsecutiveDaysOff", "MaxWeekends"), start=2)]
        key = (tuple(sorted(max_shifts.items())), *values)
        if key not in contracts:
            max_total, min_total, max_consecutive, min_consecutive, min_off, max_weekends = values
            with _at(path, row.number):
                contracts[key] = Contract(
                    id=f"c{len(contracts) + 1}",
                    name=f"as staff {staff_id}",
                    min_paid_minutes=min_total,
                    max_paid_minutes=max_total,
                    max_consecutive_working_days=max_consecutive,
                    min_consecutive_working_days=min_consecutive,
                    min_consecutive_days_off=min_off,
                    max_working_weekends=max_weekends,
                    max_shifts_per_template={s: n for s, n in max_shifts.items() if n < days},
                    allowed_templates=[s for s in lengths if max_shifts.get(s, days) > 0],
                    forbidden_successions=successions,
                )
        contract_of[staff_id] = contracts[key].id

    time_off: dict[str, list[TimeWindow]] = defaultdict(list)
    for row in f.sections.get("SECTION_DAYS_OFF", []):
        _known_staff(path, row, contract_of)
        for index in range(1, len(row.fields)):
            d = date(row, index)
            time_off[row.fields[0]].append(TimeWindow(
                start=dt.datetime.combine(d, dt.time()), end=dt.datetime.combine(d + dt.timedelta(days=1), dt.time())))

    requests: dict[str, list[ShiftRequest]] = defaultdict(list)
    for section, on in (("SECTION_SHIFT_ON_REQUESTS", True), ("SECTION_SHIFT_OFF_REQUESTS", False)):
        for row in f.rows(section, 4):
            _known_staff(path, row, contract_of)
            _known_shift(path, row, 2, lengths)
            with _at(path, row.number):
                requests[row.fields[0]].append(ShiftRequest(
                    date=date(row, 1), template=row.fields[2], on=on, weight=f.int(row, 3, "the weight")))

    cover = []
    cover_line: dict[tuple[str, str], int] = {}
    for row in f.rows("SECTION_COVER", 5):
        _known_shift(path, row, 1, lengths)
        key = (row.fields[0], row.fields[1])
        if key in cover_line:  # two demands for one shift would both be priced
            raise ImportFormatError(path, row.number, f"cover of day {key[0]}, shift '{key[1]}' is listed twice "
                                                      f"(first on line {cover_line[key]})")
        cover_line[key] = row.number
        with _at(path, row.number):
            cover.append(ShiftDemand(date=date(row, 0), template=row.fields[1],
                                     required=f.int(row, 2, "the requirement"),
                                     under_weight=f.int(row, 3, "the under weight"),
                                     over_weight=f.int(row, 4, "the over weight")))

    try:
        instance = _instance(path, days, cover, lengths, contracts, contract_of, time_off, requests)
    except ValidationError as exc:  # a value the format allows but the engine does not (e.g. a length off the hour)
        raise ImportFormatError(path, None, "; ".join(map(str, issues_from_pydantic(exc)))) from None
    try:
        return parse_instance(instance.model_dump(mode="json"))
    except InstanceError as exc:
        raise ImportFormatError(path, None, "; ".join(map(str, exc.issues))) from None


def _instance(path: Path, days: int, cover: list[ShiftDemand], lengths: dict[str, int],
              contracts: dict[tuple, Contract], contract_of: dict[str, str],
              time_off: dict[str, list[TimeWindow]], requests: dict[str, list[ShiftRequest]]) -> Instance:
    return Instance(
        name=_name(path),
        description=f"Curtois & Qu employee shift scheduling benchmark, imported from {path.name}",
        horizon=Horizon(start_date=START_DATE, days=days, interval_minutes=60),
        skills=[Skill(id=SKILL, name="any shift")],
        shift_demand=cover,
        templates=[ShiftTemplate(id=s, earliest_start="00:00", latest_start="00:00", start_step_minutes=60,
                                 lengths_minutes=[length]) for s, length in lengths.items()],
        contracts=list(contracts.values()),
        agents=[Agent(id=staff_id, contract=contract_id, skills=[AgentSkill(skill=SKILL)],
                      time_off=time_off.get(staff_id, []),
                      preferences=Preferences(shift_requests=requests.get(staff_id, [])))
                for staff_id, contract_id in contract_of.items()],
        weights=Weights(under_staffing=[0], over_staffing=0, labor_cost=0.0, preferences=1),
        solver=SolverSettings(),
    )


def _days(path: Path, f: _File) -> int:
    horizon_rows = f.rows("SECTION_HORIZON", 1)
    if len(horizon_rows) != 1:
        raise ImportFormatError(path, None, "SECTION_HORIZON must hold exactly one number of days")
    days = f.int(horizon_rows[0], 0, "the number of days")
    most_days = Horizon.model_fields["days"].metadata[-1].le
    if not 1 <= days <= most_days:
        raise ImportFormatError(path, horizon_rows[0].number, f"the horizon must be 1 to {most_days} days (got {days})")
    return days


def _shifts(path: Path, f: _File) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Each shift's length in minutes, and the forbidden successions (shift, shift on the next day)."""
    shift_rows = f.rows("SECTION_SHIFTS", (2, 3))
    first: dict[str, int] = {}
    for row in shift_rows:  # a repeated shift would silently replace the first
        _identifier(path, row, "shift")
        if row.fields[0] in first:
            raise ImportFormatError(path, row.number, f"shift '{row.fields[0]}' is listed twice (first on line "
                                                      f"{first[row.fields[0]]})")
        first[row.fields[0]] = row.number
    lengths = {row.fields[0]: f.int(row, 1, "the shift length") for row in shift_rows}
    for row in shift_rows:
        if not 0 < lengths[row.fields[0]] <= 24 * 60:
            raise ImportFormatError(path, row.number, f"the shift length must be 1 to 1440 minutes "
                                                      f"(got {lengths[row.fields[0]]})")
    successions: list[tuple[str, str]] = []
    for row in shift_rows:
        following = row.fields[2] if len(row.fields) == 3 else ""
        for other in filter(None, following.split("|")):
            if other not in lengths:
                raise ImportFormatError(path, row.number, f"unknown shift '{other}' in the successions")
            successions.append((row.fields[0], other))
    return lengths, successions


@contextmanager
def _at(path: Path, line: int) -> Iterator[None]:
    """A number the format allows but the engine does not (a negative weight, a requirement over
    the engine's bound), built into a model in the middle of the file: reported at its line, not
    as a pydantic traceback."""
    try:
        yield
    except ValidationError as exc:
        raise ImportFormatError(path, line, "; ".join(map(str, issues_from_pydantic(exc)))) from None


def _identifier(path: Path, row: _Line, what: str) -> None:
    """The row's id becomes an engine id (a template or an agent): checked here, at its line, rather
    than reported for the whole file or blamed on a row that refers to it."""
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", row.fields[0]):
        raise ImportFormatError(path, row.number, f"the {what} id '{row.fields[0]}' must be 1 to 64 letters, "
                                                  "digits or _ . : -")


def _known_staff(path: Path, row: _Line, staff: dict[str, str]) -> None:
    if row.fields[0] not in staff:
        raise ImportFormatError(path, row.number, f"unknown employee '{row.fields[0]}'")


def _known_shift(path: Path, row: _Line, index: int, lengths: dict[str, int]) -> None:
    if row.fields[index] not in lengths:
        raise ImportFormatError(path, row.number, f"unknown shift '{row.fields[index]}'")


def _name(path: Path) -> str:
    return "curtois-" + re.sub(r"[^A-Za-z0-9_-]", "-", path.stem).lower()


def published_best(path: str | Path) -> int | None:
    """The best-known upper bound of `InstanceN.txt`, read from the BEST_KNOWN.md of its set
    (a folder above the instance file); None when that table or its row is absent."""
    return _published(path)[0]


def published_lower_bound(path: str | Path) -> int | None:
    return _published(path)[1]


def _published(path: str | Path) -> tuple[int | None, int | None]:
    path = Path(path)
    match = re.fullmatch(r"Instance(\d+)", path.stem)
    table = next((p / "BEST_KNOWN.md" for p in path.resolve().parents if (p / "BEST_KNOWN.md").exists()), None)
    if match is None or table is None:
        return None, None
    for line in table.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[0] == match.group(1):
            upper = int(cells[4]) if cells[4].isdigit() else None
            lower = int(cells[5]) if cells[5].isdigit() else None
            return upper, lower
    return None, None
