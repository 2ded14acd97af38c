"""Demand given as a forecast inside the instance: the derived requirement everywhere (model,
anonymous bound, LNS coverage state, extraction, validator), errors with field paths, the
committed forecast instance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from factories import agent, solve_and_validate, template, tiny_instance
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.domain.instance import Instance, InstanceError, parse_instance
from optimizer.io import load_instance
from optimizer.requirements import compute_requirements
from optimizer.solve.coverage_state import CoverageState
from optimizer.validate import validate

ROOT = Path(__file__).resolve().parent.parent
HOURS = 24


def hourly_volume(values: dict[int, float]) -> list[float]:
    return [float(values.get(h, 0.0)) for h in range(HOURS)]


def forecast_data(
    volume: dict[int, float] | None = None,
    aht_s: Any = 300,
    targets: dict[str, Any] | None = None,
    *,
    agents: int = 3,
    channel: str = "voice",
    extra: dict[str, Any] | None = None,
    weights: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A one-day, 60-minute instance (JSON data) whose voice demand is a forecast."""
    base = tiny_instance(agents=[agent(f"a{i}") for i in range(agents)], templates=[template(breaks=[])])
    data = base.model_dump(mode="json")
    data["skills"][0]["channel"] = channel
    forecast = {"volume": hourly_volume(volume or {8: 30, 9: 60, 10: 60, 11: 40, 12: 20}), "aht_s": aht_s,
                "targets": targets if targets is not None else {"service_level": 0.8, "threshold_s": 20},
                **(extra or {})}
    data["demand"] = [{"skill": "voice", "forecast": forecast}]
    data["weights"].update(weights or {})
    return data


def issues_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(InstanceError) as caught:
        parse_instance(data)
    return [str(i) for i in caught.value.issues]


def test_forecast_required_is_derived_requirement() -> None:
    """Tests that instance.required returns compute_requirements' required_scheduled (shrinkage
    other than breaks grossed up) for a forecast skill."""
    data = forecast_data(extra={"shrinkage": {"breaks": 0.1, "training": 0.2}})
    inst = parse_instance(data)
    rows = [{"interval_start": f"2026-01-05T{h:02d}:00", "volume": v, "aht_s": 300,
             "targets": {"service_level": 0.8, "threshold_s": 20}, "shrinkage": {"breaks": 0.1, "training": 0.2}}
            for h, v in enumerate(data["demand"][0]["forecast"]["volume"])]
    expected = compute_requirements(rows, interval_minutes=60)
    assert inst.required("voice") == [r.required_scheduled for r in expected.rows]
    assert inst.required("voice")[9] > expected.rows[9].required_net > 0


def test_forecast_chat_concurrency_defaults_to_the_skill() -> None:
    """Tests that a chat forecast uses the skill's concurrency unless its targets name one."""
    data = forecast_data(channel="chat", aht_s=600)
    data["skills"][0]["concurrency"] = 3
    three = parse_instance(data).required("voice")
    data["skills"][0]["concurrency"] = 1
    one = parse_instance(data).required("voice")
    data["demand"][0]["forecast"]["targets"]["concurrency"] = 3
    explicit = parse_instance(data).required("voice")
    assert three == explicit and sum(three) < sum(one)


def test_forecast_derived_requirement_used_by_engine_and_validator() -> None:
    """Tests that the model, the coverage state, the anonymous bound, the extraction and the
    validator all work on the derived requirement (the solve validates, coverage rows carry it)."""
    inst = parse_instance(forecast_data(volume={8: 10, 9: 20, 10: 20}, agents=3))
    required = inst.required("voice")
    assert required[8] > 0 and required[9] == required[10] > required[8]
    assert CoverageState(inst).required["voice"].tolist() == required
    res = solve_and_validate(inst)
    assert [row.required for row in res.coverage] == required
    assert res.anonymous_bound is not None and res.anonymous_bound <= res.objective
    row = res.coverage[9]
    assert row.volume == 20.0 and row.required_net == required[9]
    (derived,) = res.derived_demand
    assert derived.skill == "voice" and derived.model == "erlang_c" and derived.peak_required == max(required)
    assert derived.targets == {"service_level": 0.8, "threshold_s": 20.0}


def test_forecast_columns_of_coverage_rows_are_validated() -> None:
    """Tests that a coverage row's forecast volume or productive requirement that is not the
    instance's is a mismatch (they were not compared), and that the engine's rows pass."""
    inst = parse_instance(forecast_data(volume={8: 10, 9: 20, 10: 20}, agents=3))
    res = solve_and_validate(inst)
    rows = list(res.coverage)
    rows[9] = rows[9].model_copy(update={"volume": 25.0, "required_net": rows[9].required_net + 1})
    report = validate(inst, res.model_copy(update={"coverage": rows}))
    when = rows[9].interval_start.isoformat(timespec="minutes")
    assert report.mismatches == [
        f"coverage voice {when}: schedule reports volume 25, the forecast has 20",
        f"coverage voice {when}: schedule reports required_net {rows[9].required_net}, the forecast needs "
        f"{rows[9].required_net - 1}"]


def test_forecast_instance_equals_required_instance_objective() -> None:
    """Tests that a forecast instance and the same instance with the derived numbers as required
    agents (head-count mode) give the same solve."""
    inst = parse_instance(forecast_data(volume={8: 10, 9: 20, 10: 20}, agents=2))
    data = inst.model_dump(mode="json", exclude_none=True)
    data["demand"] = [{"skill": "voice", "required": inst.required("voice")}]
    plain = parse_instance(data)
    assert solve_and_validate(inst).objective == solve_and_validate(plain).objective


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["demand"][0]["forecast"]["volume"].__setitem__(3, -2.0),
         "demand[0].forecast.volume[3]: must not be negative (got -2.0)"),
        (lambda d: d["demand"][0]["forecast"].__setitem__("aht_s", 0),
         "demand[0].forecast.aht_s: must be greater than 0 (got 0.0)"),
        (lambda d: d["demand"][0]["forecast"]["targets"].__setitem__("service_level", 80),
         "demand[0].forecast.targets.service_level: is a fraction and must be at most 1 (got 80.0; write 0.8 for 80%)"),
        (lambda d: d["demand"][0]["forecast"]["volume"].__setitem__(3, True),
         "demand[0].forecast.volume[3]: a number is required, not true"),
        (lambda d: d["demand"][0]["forecast"].__setitem__("aht_s", [300.0] * 23 + [False]),
         "demand[0].forecast.aht_s[23]: a number is required, not false"),
        (lambda d: d["demand"][0]["forecast"]["targets"].__setitem__("service_level", True),
         "demand[0].forecast.targets.service_level: a number is required, not true"),
        (lambda d: d["demand"][0]["forecast"]["targets"].__setitem__("concurrency", 10**30),
         "demand[0].forecast.targets.concurrency: Input should be less than or equal to 100"),
        (lambda d: d["skills"][0].__setitem__("concurrency", 101),
         "skills[0].concurrency: Input should be less than or equal to 100"),
        (lambda d: d["demand"][0]["forecast"].__setitem__("volume", [1.0, 2.0]),
         "demand[0].forecast.volume: has 2 values; the horizon has 24 intervals (1 days of 24)"),
        (lambda d: d["demand"][0].__setitem__("required", [0] * 24),
         "demand[0]: give either required (agents per interval) or forecast (volume, handle time and targets), "
         "not both"),
        (lambda d: d["demand"][0]["forecast"].__setitem__("targets", {}),
         "demand[0].forecast.targets: voice needs a target: service_level, asa_s, max_occupancy or max_abandonment"),
        (lambda d: d["demand"][0]["forecast"]["shrinkage"].update({"training": 0.6, "absence": 0.5})
         if "shrinkage" in d["demand"][0]["forecast"] else d["demand"][0]["forecast"].__setitem__(
             "shrinkage", {"training": 0.6, "absence": 0.5}),
         "demand[0].forecast.shrinkage: the components add up to 110%: no productive time is left"),
        (lambda d: d["skills"][0].__setitem__("channel", "other"),
         "skills[0].channel: skill 'voice' has a forecast (demand[0]): its channel must be one of voice, chat, "
         "email, backoffice, which say how to turn the forecast into agents"),
    ],
)
def test_forecast_bad_values_named_by_field_path(change: Any, expected: str) -> None:
    """Tests that a bad forecast is reported with the field path and the reason."""
    data = forecast_data()
    change(data)
    assert expected in issues_of(data)


def test_forecast_unreachable_target_names_the_interval() -> None:
    """Tests that a target no number of agents reaches names the target and the interval."""
    data = forecast_data(volume={9: 1e9}, targets={"service_level": 0.8, "threshold_s": 20})
    (issue,) = issues_of(data)
    assert issue.startswith("demand[0].forecast.targets.service_level: at 2026-01-05 09:00 (interval 9): "
                            "unreachable: needs more than")


def test_forecast_many_bad_volumes_are_capped() -> None:
    """Tests that a forecast with every volume negative gives ten issues and a count, not 24."""
    data = forecast_data()
    data["demand"][0]["forecast"]["volume"] = [-1.0] * HOURS
    issues = issues_of(data)
    assert len(issues) == 11 and issues[-1] == "demand[0].forecast.volume: and 14 more values with problems"


def test_forecast_email_needs_response_time() -> None:
    """Tests that an e-mail forecast without a response time says which target it needs."""
    data = forecast_data(channel="email", targets={})
    assert "demand[0].forecast.targets.response_time_s: is required for email (deferred work)" in issues_of(data)


def test_forecast_service_level_mode_needs_queue_forecast() -> None:
    """Tests that a skill asking for service-level pricing without a voice or chat forecast is rejected."""
    inst = tiny_instance(skills=["voice"], demand={"voice": [1] * 24})
    data = inst.model_dump(mode="json", exclude_none=True)
    data["skills"][0]["under_staffing_mode"] = "service_level"
    assert issues_of(data) == ["skills[0].under_staffing_mode: 'service_level' prices missing agents by the "
                               "service level they cost: it needs a voice or chat forecast for skill 'voice' "
                               "(demand[].forecast)"]


def test_forecast_bad_forecast_wfm_solve_exit_2(tmp_path: Path) -> None:
    """Tests that `wfm solve` on a bad forecast exits 2 and prints the field paths."""
    data = forecast_data()
    data["demand"][0]["forecast"]["volume"][5] = -1
    data["demand"][0]["forecast"]["targets"]["service_level"] = 1.0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["solve", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "demand[0].forecast.volume[5]: must not be negative (got -1.0)" in text
    assert "demand[0].forecast.targets.service_level: cannot be 100%" in text
    assert "Traceback" not in result.output


def test_forecast_committed_instance_derives_medium_requirements() -> None:
    """Tests that instances/multiskill-medium-forecast.json derives exactly the medium's requirements
    and has the same agents."""
    forecast = load_instance(ROOT / "instances" / "multiskill-medium-forecast.json")
    medium = load_instance(ROOT / "instances" / "multiskill-medium.json")
    assert all(row.forecast is not None and row.required is None for row in forecast.demand)
    assert forecast.agents == medium.agents
    for skill in medium.skills:
        assert forecast.required(skill.id) == medium.required(skill.id), skill.id
    assert {s.id: forecast.under_staffing_mode(s.id) for s in forecast.skills} == {
        "voice": "service_level", "chat": "service_level", "email": "head_count"}


def test_forecast_required_cached_per_instance_object() -> None:
    """Tests that a copy with another forecast derives its own requirement (no stale cache)."""
    inst: Instance = parse_instance(forecast_data(volume={9: 20}))
    assert inst.required("voice")[9] > 0
    other = parse_instance(forecast_data(volume={9: 0}))
    copy = inst.model_copy(update={"demand": other.demand})
    assert copy.required("voice")[9] == 0 and inst.required("voice")[9] > 0


def test_forecast_instance_strategy_choice_uses_derived_demand() -> None:
    """Tests that the solver's strategy choice reads the derived requirement of a forecast
    (interval demand: the LNS for a large instance), not the absent `required` list."""
    from optimizer.solve.solver import auto_strategy

    inst = parse_instance(forecast_data())
    assert auto_strategy(inst, 10_000) == "lns"
