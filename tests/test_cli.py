"""`wfm`: the commands, their exit codes (0 solved, 1 validation failed, 2 bad input, 3 infeasible)
and their messages, through typer's CliRunner."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from factories import (
    agent,
    at,
    contract,
    hourly,
    report_objective_one_too_high,
    template,
    tiny_instance,
    window,
)
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.domain.instance import Instance

ROOT = Path(__file__).resolve().parent.parent
FOUR = template("four", earliest_start="08:00", latest_start="10:00", lengths_minutes=(240,), breaks=[])


def run(*args: str | Path) -> Any:
    result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def flat(text: str) -> str:
    """Whitespace collapsed, so that assertions do not depend on line wrapping."""
    return " ".join(text.split())


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def tiny(**fields: Any) -> Instance:
    # Demand 08-12, one agent at 10 per hour: the 08:00 shift, objective 4 h x 10 = 40.
    return tiny_instance(templates=[FOUR], agents=[agent(cost_per_hour=10, **fields)],
                         demand={"voice": hourly({8: 1, 9: 1, 10: 1, 11: 1})})


def instance_file(tmp_path: Path, inst: Instance | None = None) -> Path:
    return write(tmp_path / "instance.json", (inst or tiny()).model_dump(mode="json"))


def test_schema_prints_the_json_schema() -> None:
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Instance"
    assert {"horizon", "skills", "templates", "contracts", "agents"} <= set(schema["properties"])
    assert "Contract" in schema["$defs"]
    schedule = json.loads(run("schema", "schedule").stdout)
    assert {"status", "objective", "assignments"} <= set(schedule["properties"])
    assert run("schema", "nonsense").exit_code == 2


@pytest.mark.parametrize("command", ["solve", "validate"])
def test_bad_instance_names_the_field_path(tmp_path: Path, command: str) -> None:
    data = tiny().model_dump(mode="json")
    data["agents"][0]["contract"] = "ft40"
    data["demand"][0]["required"][3] = -1
    path = write(tmp_path / "broken.json", data)
    args = [command, path] if command == "solve" else [command, path, path]
    result = run(*args)
    assert result.exit_code == 2
    text = flat(result.output)
    assert "is not a valid input" in text
    # Structural errors come first: pydantic stops before the cross-reference checks.
    assert "demand[0].required[3]: Input should be greater than or equal to 0" in text
    data["demand"][0]["required"][3] = 0
    result = run(*[a if a != path else write(path, data) for a in args])
    assert result.exit_code == 2
    assert "agents[0].contract: unknown contract 'ft40'" in flat(result.output)


@pytest.mark.parametrize(("field", "value", "reason"), [
    (("demand", 0, "required", 8), 10**12, "demand[0].required[8]: Input should be less than or equal to 100000"),
    (("agents", 0, "cost_per_hour"), 1e300, "agents[0].cost_per_hour: Input should be less than or equal to"),
    (("agents", 0, "cost_per_hour"), float("inf"), "agents[0].cost_per_hour: Input should be a finite number"),
    (("contracts", 0, "max_paid_minutes"), 10**20, "contracts[0].max_paid_minutes: Input should be less than"),
    (("solver", "seed"), 2**31, "solver.seed: Input should be less than or equal to 2147483647"),
    (("solver", "parameters"), {"linearization_level": "high"},
     "solver.parameters: linearization_level: not a valid value: 'high' (a whole number within the field's range)"),
    (("contracts", 0, "soft"), {"min_rest_minutes": 5},
     "contracts[0].soft.min_rest_minutes: not an allowed key: input should be 'min_paid_minutes'"),
    (("solver", "parameters"), {"max_time_in_seconds": 3600},
     "solver.parameters: max_time_in_seconds: set by the engine; use `time_limit_s`"),
    # JSON true/false where a number belongs: pydantic's lax mode read them as 1 and 0.
    (("demand", 0, "required", 8), True, "demand[0].required[8]: a number is required, not true"),
    (("agents", 0, "cost_per_hour"), False, "agents[0].cost_per_hour: a number is required, not false"),
    (("contracts", 0, "max_paid_minutes"), True, "contracts[0].max_paid_minutes: a number is required, not true"),
    (("contracts", 0, "soft"), {"min_paid_minutes": True},
     "contracts[0].soft.min_paid_minutes: a number is required, not true"),
    (("weights", "under_staffing"), [100, True], "weights.under_staffing[1]: a number is required, not true"),
    (("solver", "time_limit_s"), True, "solver.time_limit_s: a number is required, not true"),
])
def test_values_the_engine_cannot_take_name_the_field(tmp_path: Path, field: tuple, value: Any, reason: str) -> None:
    # Each of these once got past the checks: a demand of 10**12 held a solve for hours (its
    # shortfall's cost was summed unit by unit), the others failed inside CP-SAT's bindings, or
    # (a time limit among the CP-SAT parameters) silently replaced --time-limit.
    data = tiny().model_dump(mode="json")
    *path, last = field
    target = data
    for key in path:
        target = target[key]
    target[last] = value
    result = run("solve", write(tmp_path / "broken.json", data), "--time-limit", "1")
    assert result.exit_code == 2, result.output
    assert reason in flat(result.output)


def test_many_issues_of_one_kind_are_counted_not_listed(tmp_path: Path) -> None:
    data = tiny().model_dump(mode="json")
    data["demand"][0]["required"] = [10**6] * len(data["demand"][0]["required"])
    result = run("solve", write(tmp_path / "broken.json", data))
    text = flat(result.output)
    assert result.exit_code == 2
    assert "demand[0].required[2]: Input should be less than or equal to 100000" in text
    assert "demand[0].required[3]" not in text
    assert f"... and {len(data['demand'][0]['required']) - 3} more of demand[*].required[*]: Input should be" in text


def test_the_largest_seed_solves(tmp_path: Path) -> None:
    # The solver adds offsets to the seed of its sub-searches; CP-SAT's seed is a 32-bit integer.
    result = run("solve", instance_file(tmp_path), "--time-limit", "5", "--workers", "1", "--seed", str(2**31 - 1),
                 "--quiet", "-o", tmp_path / "schedule.json")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "schedule.json").read_text())["objective"] == 40


def test_malformed_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"name": "x", "horizon": ', encoding="utf-8")
    result = run("solve", path)
    assert result.exit_code == 2
    assert "not valid JSON" in flat(result.output)


def test_missing_file(tmp_path: Path) -> None:
    result = run("solve", tmp_path / "nowhere.json")
    assert result.exit_code == 2
    assert "no such file" in flat(result.output)
    result = run("validate", instance_file(tmp_path), tmp_path / "nowhere.json")
    assert result.exit_code == 2


def test_files_of_the_wrong_shape_say_what_they_hold(tmp_path: Path) -> None:
    instance = instance_file(tmp_path)
    schedule = solve_to(tmp_path, instance)
    swapped = run("validate", schedule, instance)
    assert swapped.exit_code == 2
    assert f"{schedule}: looks like a schedule, not an instance (arguments in the wrong order?)" in flat(swapped.output)
    listed = run("solve", write(tmp_path / "list.json", [1, 2]))
    assert listed.exit_code == 2 and "holds a list, not an instance (a JSON object)" in flat(listed.output)
    nobody = run("solve", write(tmp_path / "nobody.json", tiny_instance(
        agents=[], demand={"voice": hourly({8: 1})}).model_dump(mode="json")), "--time-limit", "2", "--workers", "1")
    assert nobody.exit_code == 0 and "the instance has no agents" in flat(nobody.output)
    off_grid = tiny().model_dump(mode="json")
    off_grid["templates"][0]["earliest_start"] = "08:37"
    result = run("solve", write(tmp_path / "off.json", off_grid))
    assert "templates[0].earliest_start: 08:37 is not on the 60-minute grid" in flat(result.output)


def test_outputs_that_cannot_be_written_are_refused_before_the_work(tmp_path: Path) -> None:
    instance = instance_file(tmp_path)
    folder = tmp_path / "folder"
    folder.mkdir()
    for args in (["solve", instance, "-o", folder], ["solve", instance, "-o", instance / "s.json"],
                 ["reoptimize", instance, "--previous", instance, "-o", folder], ["generate", "demo-small", "-o", folder]):
        result = run(*args)
        assert result.exit_code == 2, result.output
        assert "solving" not in result.output  # refused before the solve, not after it
        assert f"-o {args[-1]}:" in flat(result.output)
    assert "is a directory" in flat(run("solve", instance, "-o", folder).output)
    assert "is not a folder" in flat(run("solve", instance, "-o", instance / "s.json").output)
    nested = tmp_path / "new" / "dir" / "small.json"
    assert run("generate", "demo-small", "-o", nested).exit_code == 0 and nested.exists()
    assert not list(tmp_path.rglob(".wfm-write-check-*"))  # the write probe leaves nothing behind


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_an_output_folder_whose_permissions_pass_but_refuses_files_is_refused_first(tmp_path: Path) -> None:
    # /proc passes the permission check for root, yet no file can be created there: the write is
    # tried (a temporary file) before the solve, which used to end in a traceback after it.
    result = run("solve", instance_file(tmp_path), "-o", "/proc/schedule.json")
    assert result.exit_code == 2 and "solving" not in result.output
    assert "-o /proc/schedule.json: cannot write in /proc" in flat(result.output)


def test_files_that_are_not_utf8_json_name_the_reason(tmp_path: Path) -> None:
    utf16 = tmp_path / "utf16.json"
    utf16.write_text(tiny().model_dump_json(), encoding="utf-16")
    result = run("solve", utf16)
    assert result.exit_code == 2 and "utf16.json: not UTF-8 text (byte 0xff at position 0)" in flat(result.output)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = run("validate", instance_file(tmp_path), deep)
    assert result.exit_code == 2 and "nested too deeply" in flat(result.output)
    bom = tmp_path / "bom.json"  # UTF-8 with a byte order mark, as some Windows editors save it: read
    bom.write_text(tiny().model_dump_json(), encoding="utf-8-sig")
    assert run("solve", bom, "-o", tmp_path / "bom-schedule.json").exit_code == 0
    huge = tmp_path / "huge.json"  # Python's json refuses it with a ValueError (not a JSONDecodeError)
    huge.write_text(tiny().model_dump_json().replace('"days":1', '"days":' + "9" * 5000), encoding="utf-8")
    result = run("solve", huge)
    assert result.exit_code == 2 and "huge.json: not valid JSON here (a number of more than 4300 digits)" in flat(
        result.output)


def test_text_with_an_unpaired_surrogate_is_named(tmp_path: Path) -> None:
    """A \\ud800 escape without its pair parses, but cannot be printed or written: it ended in a
    UnicodeEncodeError traceback when the report named the agent. The file is refused, naming the
    field; a surrogate pair (an emoji written as two escapes) is fine."""
    text = tiny().model_dump_json()
    lone = tmp_path / "lone.json"
    lone.write_text(text.replace('"description":"', '"description":"\\ud800', 1), encoding="utf-8")
    result = run("solve", lone)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"description: {lone}: text with an unpaired UTF-16 surrogate" in flat(result.output)
    paired = tmp_path / "paired.json"
    paired.write_text(text.replace('"description":"', '"description":"\\ud83d\\ude00', 1), encoding="utf-8")
    assert run("solve", paired, "-o", tmp_path / "s.json").exit_code == 0


def _horizon(data: dict[str, Any], **fields: Any) -> None:
    data["horizon"].update(fields)


def _windows(data: dict[str, Any], **fields: Any) -> None:
    data["agents"][0].update(fields)


BROKE_THE_CHECKS = [  # (change, expected): each of these ended in a traceback
    (lambda d: _horizon(d, timezone="x" * 5000), f"horizon.timezone: unknown time zone '{'x' * 60}...'"),  # OSError
    (lambda d: _horizon(d, start_date="9999-12-30", days=7), "horizon.start_date: 9999-12-30 plus 7 days"),
    (lambda d: _horizon(d, start_date="9999-12-31", days=1), "runs past 9999-12-31, the last date there is"),
    (lambda d: _windows(d, time_off=[{"start": "2026-03-02T10:00:00+02:00", "end": "2026-03-02T11:00:00"}]),
     "agents[0].time_off[0]: use local date-times without a UTC offset"),  # TypeError: naive and aware compared
    (lambda d: _windows(d, availability=[{"start": "2026-03-02T08:00:00", "end": "2026-03-02T18:00:00Z"}]),
     "agents[0].availability[0]: use local date-times without a UTC offset"),
]


@pytest.mark.parametrize(("change", "expected"), BROKE_THE_CHECKS)
def test_values_that_broke_the_instance_checks_are_named(tmp_path: Path, change: Any, expected: str) -> None:
    """Values that the instance checks did not expect are bad input (exit 2), named, not a traceback."""
    data = tiny().model_dump(mode="json")
    change(data)
    result = run("solve", write(tmp_path / "bad.json", data))
    assert result.exit_code == 2, result.output
    assert expected in flat(result.output)


def solve_to(tmp_path: Path, instance: Path) -> Path:
    schedule = tmp_path / "schedule.json"
    result = run("solve", instance, "--time-limit", "5", "--workers", "1", "--quiet", "-o", schedule)
    assert result.exit_code == 0, result.output
    return schedule


def test_solve_then_validate(tmp_path: Path) -> None:
    instance = instance_file(tmp_path)
    schedule = solve_to(tmp_path, instance)
    data = json.loads(schedule.read_text(encoding="utf-8"))
    assert (data["status"], data["objective"]) == ("optimal", 40)  # see `tiny`
    result = run("validate", instance, schedule)
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output and "INVALID" not in result.output


def test_validate_warns_when_the_schedule_names_another_instance(tmp_path: Path) -> None:
    instance = instance_file(tmp_path)
    schedule = solve_to(tmp_path, instance)
    data = json.loads(schedule.read_text())
    data["instance"] = "other-instance"
    result = run("validate", instance, write(tmp_path / "other.json", data))
    assert result.exit_code == 0  # the rules still hold; the mix-up is worth a warning
    assert "is a schedule of 'other-instance'" in flat(result.output)


def test_hand_edited_schedule_fails_validation(tmp_path: Path) -> None:
    instance = instance_file(tmp_path)
    schedule = solve_to(tmp_path, instance)
    data = json.loads(schedule.read_text(encoding="utf-8"))
    shift = data["assignments"][0]
    # 07:00 is before the template's earliest start (08:00); the reported objective is off by one.
    shift["start"] = at(0, "07:00").isoformat()
    shift["end"] = at(0, "11:00").isoformat()
    data["objective"] += 1
    result = run("validate", instance, write(schedule, data))
    assert result.exit_code == 1
    text = flat(result.output)
    assert "INVALID" in text
    assert "allowed start time" in text and "07:00" in text
    assert "objective: schedule reports 41" in text


def test_validate_names_a_row_whose_date_times_overflow(tmp_path: Path) -> None:
    """A break in the last hours of the year 9999 overflowed in the validator (a traceback); it is a row
    that cannot be checked (exit 2), as over HTTP."""
    row = {"agent_id": "a001", "date": "9999-12-31", "start": "9999-12-31T23:00:00", "end": "9999-12-31T23:30:00",
           "template_id": "early", "paid_minutes": 30,
           "breaks": [{"name": "break", "start": "9999-12-31T23:00:00", "end": "9999-12-31T23:15:00", "paid": True}]}
    schedule = write(tmp_path / "s.json", {"instance": "demo-small", "status": "feasible", "assignments": [row]})
    result = run("validate", ROOT / "instances" / "demo-small.json", schedule)
    assert result.exit_code == 2, result.output
    assert f"{schedule} is not a valid input: assignments[0]: cannot be checked (date value out of range)" in flat(
        result.output)


def test_infeasible_instance_exits_3_with_the_explanation(tmp_path: Path) -> None:
    # Available 4 hours on the only day, 8 paid hours required.
    inst = tiny_instance(templates=[FOUR], contracts=[contract("ft32", min_paid_minutes=480)],
                         agents=[agent("a1", contract="ft32", availability=[window(at(0, "08:00"), at(0, "12:00"))])])
    result = run("solve", instance_file(tmp_path, inst), "--time-limit", "5", "--workers", "1", "--quiet")
    assert result.exit_code == 3
    text = flat(result.output)
    assert "infeasible" in text
    assert "a1 can be paid at most 4h00" in text and "contract ft32 requires at least 8h00" in text


def test_solve_reports_the_validator_verdict_and_exits_1_when_the_schedule_fails_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine checks its own schedule with the independent validator before returning it. A
    schedule that fails (here: its reported objective made one too high, as a defect would) is still
    written, flagged in `self_check`, named on stderr, and the command exits 1."""
    from optimizer.domain.schedule import SolveResult

    schedule = tmp_path / "schedule.json"
    result = run("solve", instance_file(tmp_path), "--time-limit", "5", "--workers", "1", "-q", "-o", schedule)
    assert result.exit_code == 0 and "every hard rule holds, the numbers match" in flat(result.output)
    assert SolveResult.model_validate_json(schedule.read_text()).self_check.ok

    report_objective_one_too_high(monkeypatch)
    result = run("solve", instance_file(tmp_path), "--time-limit", "5", "--workers", "1", "-q", "-o", schedule)
    assert result.exit_code == 1
    text = flat(result.output)
    assert "ENGINE ERROR: this schedule fails the independent validator (0 hard violation(s), 1 mismatch(es))" in text
    assert "objective: schedule reports 41, recomputed 40" in text
    saved = SolveResult.model_validate_json(schedule.read_text())
    assert saved.objective == 41 and saved.self_check is not None and not saved.self_check.ok


def test_anonymous(tmp_path: Path) -> None:
    result = run("anonymous", instance_file(tmp_path), "--time-limit", "5", "--workers", "1")
    assert result.exit_code == 0
    # One agent on the 08:00-12:00 shift; objective 40 as in `tiny`.
    assert "objective 40" in result.output
    assert "08:00-12:00" in result.output and "x1" in result.output
    # A shift-design instance has no named agents to bound (it once printed a "bound" 137 times its optimum).
    design = {"name": "design", "horizon": {"start_date": "2024-01-01", "days": 1, "interval_minutes": 60},
              "skills": [{"id": "s"}], "demand": [{"skill": "s", "required": [0] * 8 + [1] * 8 + [0] * 8}],
              "templates": [{"id": "day", "earliest_start": "08:00", "latest_start": "08:00",
                             "lengths_minutes": [480], "start_step_minutes": 60}],
              "design": {"pools": [{"id": "p", "skills": ["s"]}]}}
    refused = run("anonymous", write(tmp_path / "design.json", design), "--time-limit", "1", "--workers", "1")
    assert refused.exit_code == 2 and "has none (a shift-design instance is solved by `wfm solve`)" in flat(
        refused.output)


def test_generate_reproduces_the_committed_instance(tmp_path: Path) -> None:
    out = tmp_path / "demo-small.json"
    result = run("generate", "demo-small", "-o", out)
    assert result.exit_code == 0
    assert out.read_bytes() == (ROOT / "instances" / "demo-small.json").read_bytes()
    # Another seed gives another instance; an unknown profile is bad input.
    assert run("generate", "demo-small", "--seed", "12", "-o", tmp_path / "other.json").exit_code == 0
    assert (tmp_path / "other.json").read_bytes() != out.read_bytes()
    assert run("generate", "nonsense", "-o", tmp_path / "x.json").exit_code == 2


def test_solve_writes_dates_in_the_horizon(tmp_path: Path) -> None:
    schedule = solve_to(tmp_path, instance_file(tmp_path))
    data = json.loads(schedule.read_text(encoding="utf-8"))
    assert [dt.datetime.fromisoformat(a["start"]) for a in data["assignments"]] == [at(0, "08:00")]
