"""The Curtois importer: the mapping onto the instance format is checked against an evaluator
written here from the benchmark's own rules (FORMAT.md), which reads the raw file and a roster
of (staff, day, shift) and shares nothing with the importer, the model or the validator."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
from benchdata import benchmarks_dir, requires_set
from factories import agent, contract, day, template, tiny_instance

from optimizer.domain.instance import ShiftDemand, Weights
from optimizer.importers import curtois
from optimizer.importers.errors import ImportFormatError
from optimizer.solve.solver import solve
from optimizer.validate import validate

needs_set = requires_set("curtois")
"""On the tests that read the public files; the others build their input inline and always run."""


def instance_file(n: int) -> Path:
    return benchmarks_dir() / "curtois" / "instances" / f"Instance{n}.txt"


def raw_sections(path: Path) -> dict[str, list[list[str]]]:
    sections: dict[str, list[list[str]]] = {}
    current = ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            current = line
            sections[current] = []
        else:
            sections[current].append([f.strip() for f in line.split(",")])
    return sections


Roster = dict[tuple[str, int], str]
"""(staff id, day index) -> shift id."""


def native_cost_and_breaches(path: Path, roster: Roster) -> tuple[int, list[str]]:
    """The benchmark's objective and every broken hard rule, straight from the file."""
    s = raw_sections(path)
    days = int(s["SECTION_HORIZON"][0][0])
    length = {row[0]: int(row[1]) for row in s["SECTION_SHIFTS"]}
    cannot_follow = {row[0]: set(filter(None, row[2].split("|"))) if len(row) > 2 else set()
                     for row in s["SECTION_SHIFTS"]}
    breaches = []
    for row in s["SECTION_STAFF"]:
        staff = row[0]
        max_shifts = {k: int(v) for k, v in (item.split("=") for item in row[1].split("|"))}
        max_total, min_total, max_cons, min_cons, min_off, max_weekends = map(int, row[2:8])
        worked = [roster.get((staff, d)) for d in range(days)]
        for shift_id, cap in max_shifts.items():
            if worked.count(shift_id) > cap:
                breaches.append(f"{staff} max shifts {shift_id}")
        total = sum(length[w] for w in worked if w)
        if not min_total <= total <= max_total:
            breaches.append(f"{staff} total minutes {total}")
        for d in range(days - 1):
            if worked[d] and worked[d + 1] in cannot_follow[worked[d]]:
                breaches.append(f"{staff} succession day {d}")
        breaches += [f"{staff} {b}" for b in run_breaches(worked, max_cons, min_cons, min_off)]
        weekends = sum(1 for k in range(days // 7) if worked[7 * k + 5] or worked[7 * k + 6])
        if weekends > max_weekends:
            breaches.append(f"{staff} {weekends} weekends")
    for row in s.get("SECTION_DAYS_OFF", []):
        breaches += [f"{row[0]} works day off {d}" for d in map(int, row[1:]) if roster.get((row[0], d))]
    cost = 0
    for row in s.get("SECTION_SHIFT_ON_REQUESTS", []):
        cost += int(row[3]) * (roster.get((row[0], int(row[1]))) != row[2])
    for row in s.get("SECTION_SHIFT_OFF_REQUESTS", []):
        cost += int(row[3]) * (roster.get((row[0], int(row[1]))) == row[2])
    assigned: dict[tuple[int, str], int] = defaultdict(int)
    for (_, d), shift_id in roster.items():
        assigned[(d, shift_id)] += 1
    for row in s["SECTION_COVER"]:
        d, shift_id, required, under, over = int(row[0]), row[1], *map(int, row[2:])
        n = assigned[(d, shift_id)]
        cost += under * max(0, required - n) + over * max(0, n - required)
    return cost, breaches


def run_breaches(worked: list[str | None], max_cons: int, min_cons: int, min_off: int) -> list[str]:
    runs: list[tuple[bool, int, int]] = []  # (working, first day, length)
    for d, shift_id in enumerate(worked):
        if runs and runs[-1][0] == bool(shift_id):
            runs[-1] = (runs[-1][0], runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append((bool(shift_id), d, 1))
    out = []
    for working, first, n in runs:
        inner = first > 0 and first + n < len(worked)
        if working and n > max_cons:
            out.append(f"{n} consecutive shifts")
        if working and inner and n < min_cons:
            out.append(f"only {n} consecutive shifts")
        if not working and inner and n < min_off:
            out.append(f"only {n} days off")
    return out


def roster_of(result, start: dt.date = curtois.START_DATE) -> Roster:
    return {(a.agent_id, (a.date - start).days): a.template_id for a in result.assignments}


@needs_set
def test_instance2_maps_every_section():
    path = instance_file(2)
    inst = curtois.load(path)
    raw = raw_sections(path)
    assert inst.horizon.days == 14 and inst.horizon.start_date.weekday() == 0
    assert [t.id for t in inst.templates] == ["E", "L"]
    assert all(t.lengths_minutes == [480] and not t.breaks for t in inst.templates)
    assert len(inst.agents) == 14 and len(inst.shift_demand) == len(raw["SECTION_COVER"])
    by_id = {a.id: a for a in inst.agents}
    a, d, k = (inst.contract_of(by_id[x]) for x in "ADK")
    assert (a.max_paid_minutes, a.min_paid_minutes, a.max_consecutive_working_days) == (4320, 3360, 5)
    assert (a.min_consecutive_working_days, a.min_consecutive_days_off, a.max_working_weekends) == (2, 2, 1)
    assert a.forbidden_successions == [("L", "E")]
    assert d.allowed_templates == ["E"] and k.allowed_templates == ["L"]
    assert (k.max_paid_minutes, k.min_paid_minutes, k.min_consecutive_working_days) == (2160, 1200, 1)
    assert by_id["A"].time_off[0].start == dt.datetime(2024, 1, 4)  # day 3
    requests = sum(len(x.preferences.shift_requests) for x in inst.agents)
    assert requests == len(raw.get("SECTION_SHIFT_ON_REQUESTS", [])) + len(raw.get("SECTION_SHIFT_OFF_REQUESTS", []))
    assert len(inst.contracts) == 5  # A-C and F-J share one line; D, E, K-L and M-N differ


@needs_set
def test_instance1_solves_to_the_published_optimum():
    path = instance_file(1)
    inst = curtois.load(path)
    result = solve(inst, inst.solver.model_copy(update={"time_limit_s": 20, "workers": 1, "seed": 1}))
    assert result.status == "optimal"
    assert result.objective == curtois.published_best(path) == 607
    report = validate(inst, result)
    assert report.ok, report
    cost, breaches = native_cost_and_breaches(path, roster_of(result))
    assert breaches == [] and cost == result.objective


@needs_set
@pytest.mark.parametrize("n", [2, 3])
def test_engine_objective_equals_the_benchmarks_own_cost(n):
    """Whatever roster the engine returns, the benchmark's cost function read straight from the
    file gives the same number, and no benchmark rule is broken."""
    path = instance_file(n)
    inst = curtois.load(path)
    result = solve(inst, inst.solver.model_copy(update={"time_limit_s": 3, "workers": 1, "seed": 3}))
    assert result.objective is not None and validate(inst, result).ok
    cost, breaches = native_cost_and_breaches(path, roster_of(result))
    assert breaches == []
    assert cost == result.objective


@needs_set
def test_native_evaluator_sees_hand_made_breaches():
    """The evaluator used above can fail: an empty roster breaks the minimum minutes of everyone."""
    path = instance_file(1)
    cost, breaches = native_cost_and_breaches(path, {})
    assert len(breaches) == 8 and cost > 607


@needs_set
def test_published_values_are_read_from_the_table():
    assert curtois.published_best(instance_file(5)) == 1143
    assert curtois.published_lower_bound(instance_file(5)) == 1141
    assert curtois.published_lower_bound(instance_file(12)) is None


@needs_set
def test_malformed_file_names_line_and_reason(tmp_path):
    text = instance_file(1).read_text().replace("0,D,", "0,Z,", 1)
    bad = tmp_path / "Instance1.txt"
    bad.write_text(text)
    with pytest.raises(ImportFormatError) as info:
        curtois.load(bad)
    (issue,) = info.value.issues
    assert issue.path.startswith(f"{bad}:") and "unknown shift 'Z'" in issue.reason


@needs_set
@pytest.mark.parametrize(("edit", "line", "reason"), [
    (("# The horizon length in days:\n14", "# The horizon length in days:\n400"),
     5, "the horizon must be 1 to 62 days (got 400)"),
    (("D,480,", "D,0,"), 9, "the shift length must be 1 to 1440 minutes (got 0)"),
    (("\nB,", "\nA,"), 14, "employee 'A' is listed twice (first on line 13)"),
])
def test_values_the_engine_cannot_take_name_line_and_reason(tmp_path, edit, line, reason):
    # Each of these once ended in a pydantic traceback or blamed another line.
    text = instance_file(1).read_text()
    assert edit[0] in text
    bad = tmp_path / "Instance1.txt"
    bad.write_text(text.replace(edit[0], edit[1], 1))
    assert only_issue(bad) == (f"{bad}:{line}", reason)


def only_issue(path: Path) -> tuple[str, str]:
    """The one issue that loading `path` raises: (file:line, reason)."""
    with pytest.raises(ImportFormatError) as info:
        curtois.load(path)
    (issue,) = info.value.issues
    return issue.path, issue.reason


MINI = ("SECTION_HORIZON\n7\nSECTION_SHIFTS\nD,480,\nSECTION_STAFF\nA,D=7,2400,0,5,1,1,1\n"
        "SECTION_SHIFT_ON_REQUESTS\nA,0,D,1\nSECTION_COVER\n0,D,1,100,1\n")


@pytest.mark.parametrize(("edit", "line", "reason"), [
    (("A,D=7,2400,", "A,D=7,-2400,"), 6, "max_paid_minutes: Input should be greater than or equal to 0"),
    (("2400,0,5,", "2400,0,-5,"), 6, "max_consecutive_working_days: Input should be greater than 0"),
    (("A,0,D,1", "A,0,D,-1"), 8, "weight: Input should be greater than or equal to 0"),
    (("0,D,1,100,1", "0,D,1000000000,100,1"), 10, "required: Input should be less than or equal to 100000"),
    (("0,D,1,100,1", "0,D,1,-100,1"), 10, "under_weight: Input should be greater than or equal to 0"),
    (("A,D=7,", "A,D=7\u00b2,"), 6, "MaxShifts entry 'D=7\u00b2' is not SHIFT=number of a known shift"),
])
def test_a_number_out_of_the_engines_range_names_its_line(tmp_path, edit, line, reason):
    # A negative or huge number in a staff, request or cover row ended in a pydantic traceback (exit 1).
    assert edit[0] in MINI
    bad = tmp_path / "mini.txt"
    bad.write_text(MINI.replace(edit[0], edit[1], 1))
    assert only_issue(bad) == (f"{bad}:{line}", reason)


@pytest.mark.parametrize(("edit", "line", "reason"), [
    (("D,480,\n", "D,480,\nD,600,\n"), 5, "shift 'D' is listed twice (first on line 4)"),
    (("D,480,\n", "D,480,\n,600,\n"), 5, "the shift id '' must be 1 to 64 letters, digits or _ . : -"),
    (("A,D=7,", "A!,D=7,"), 6, "the employee id 'A!' must be 1 to 64 letters, digits or _ . : -"),
    (("A,D=7,", "A" * 65 + ",D=7,"), 6, f"the employee id '{'A' * 65}' must be 1 to 64 letters, digits or _ . : -"),
    (("0,D,1,100,1\n", "0,D,1,100,1\n0,D,3,100,1\n"), 11, "cover of day 0, shift 'D' is listed twice (first on line 10)"),
    (("0,D,1,100,1\n", "0,D,1,100,1\nSECTION_COVER\n1,D,1,100,1\n"), 11,
     "SECTION_COVER appears twice (first on line 9)"),
])
def test_a_bad_id_or_a_repeated_row_names_its_line(tmp_path, edit, line, reason):
    # A repeated shift was silently overwritten; an empty shift id was blamed on a staff line; a bad
    # employee id was reported without a line or the id; a repeated cover row or section was read twice.
    assert edit[0] in MINI
    bad = tmp_path / "mini.txt"
    bad.write_text(MINI.replace(edit[0], edit[1], 1))
    assert only_issue(bad) == (f"{bad}:{line}", reason)


def test_missing_section_is_reported(tmp_path):
    bad = tmp_path / "x.txt"
    bad.write_text("SECTION_HORIZON\n7\n")
    with pytest.raises(ImportFormatError, match="SECTION_SHIFTS"):
        curtois.load(bad)


@pytest.mark.parametrize("with_rule", [True, False])
def test_min_consecutive_working_days(with_rule):
    """One agent, five days, one shift wanted only on day 2 (cover 1, over costs 1 per shift).
    Without the rule the optimum is the lone day-2 shift (cost 0); with a minimum of 2 consecutive
    working days a lone inner shift is forbidden, so the best is two shifts: day 2 and a neighbour
    (cost 1 for the extra shift). A run touching the horizon's edge is exempt: working days 0 alone
    would also be allowed, but it misses the day-2 cover (cost 100)."""
    rows = [ShiftDemand(date=day(d), template="day", required=int(d == 2), under_weight=100, over_weight=1)
            for d in range(5)]
    inst = tiny_instance(
        days=5,
        templates=[template("day", "08:00", "08:00", lengths_minutes=[480], breaks=[])],
        contracts=[contract("c", min_consecutive_working_days=2 if with_rule else 0)],
        agents=[agent("a1", contract="c")],
        shift_demand=rows,
        weights=Weights(under_staffing=[0], over_staffing=0, labor_cost=0.0),
    )
    start = inst.horizon.start_date
    result = solve(inst, inst.solver.model_copy(update={"time_limit_s": 5, "workers": 1}))
    assert result.status == "optimal" and validate(inst, result).ok
    days = sorted((a.date - start).days for a in result.assignments)
    if with_rule:
        assert result.objective == 1 and len(days) == 2 and 2 in days and days[1] - days[0] == 1
    else:
        assert result.objective == 0 and days == [2]


@needs_set
def test_cli_import_writes_an_instance_that_loads(tmp_path):
    from typer.testing import CliRunner

    from optimizer.cli import app
    from optimizer.io import load_instance

    out = tmp_path / "i3.json"
    run = CliRunner().invoke(app, ["import", "curtois", str(instance_file(3)), "-o", str(out)])
    assert run.exit_code == 0, run.output
    assert "published best 1001" in run.output
    assert load_instance(out) == curtois.load(instance_file(3))
    bad = CliRunner().invoke(app, ["import", "curtois", str(tmp_path / "missing.txt"), "-o", str(out)])
    assert bad.exit_code == 2 and "cannot read the file" in bad.output


@needs_set
def test_hybrid_strategy_keeps_the_one_model_optimum():
    """'hybrid' gives one model half the time and then the LNS; on Instance1 the model proves 607."""
    path = instance_file(1)
    inst = curtois.load(path)
    result = solve(inst, inst.solver.model_copy(update={"time_limit_s": 20, "workers": 1, "strategy": "hybrid"}))
    assert result.objective == 607 and result.stats.strategy == "hybrid"
    assert validate(inst, result).ok


@needs_set
def test_roster_strategy_is_auto_for_shift_demand_and_finds_the_optimum():
    """Tests that 'auto' solves a rostering instance above ROSTERING_MIN_OPTIONS by 'roster' (one model
    briefly, then neighbourhoods of it) and one at or below it by one model, and that on Instance1
    the neighbourhoods reach 607."""
    from optimizer.solve.solver import MONOLITHIC_MAX_OPTIONS, ROSTERING_MIN_OPTIONS, auto_strategy

    inst = curtois.load(instance_file(1))
    assert auto_strategy(inst, MONOLITHIC_MAX_OPTIONS + 1) == "roster"
    assert auto_strategy(inst, ROSTERING_MIN_OPTIONS + 1) == "roster"
    assert auto_strategy(inst, ROSTERING_MIN_OPTIONS) == "monolithic"
    for workers in (1, 2):
        result = solve(inst, inst.solver.model_copy(update={"time_limit_s": 4, "workers": workers,
                                                            "strategy": "roster"}))
        assert result.objective == 607 and result.stats.strategy == "roster"
        assert validate(inst, result).ok
