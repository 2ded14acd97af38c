"""Service level in the schedule: the predicted service reported with every solve, the
service-level objective (per-interval convex weights from the Erlang curve, recomputed by the
validator) and `wfm simulate`."""

from __future__ import annotations

import datetime as dt
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from factories import START, agent, contract, result, shift, solve_and_validate, template, tiny_instance
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.domain.instance import Instance, Lock, parse_instance
from optimizer.io import load_instance, load_result, write_json
from optimizer.requirements import predict_service
from optimizer.requirements.demand import SERVICE_LEVEL_SEGMENTS, resolve_demand, service_level_weights
from optimizer.requirements.erlang import erlang_c_metrics
from optimizer.requirements.forecast import ForecastRow
from optimizer.summary import summary
from optimizer.validate import validate
from optimizer.validate.service_level import under_weights_by_interval

ROOT = Path(__file__).resolve().parent.parent
ONE_HOUR = template("hour", earliest_start="08:00", latest_start="09:00", lengths_minutes=(60,), breaks=[])


def forecast_instance(volume: dict[int, float], *, agents: list[Any], mode: str = "service_level",
                      templates: list[Any] | None = None, contracts: list[Any] | None = None) -> Instance:
    """One day of 60-minute intervals; voice demand as a forecast (AHT 300 s, 80% in 20 s)."""
    base = tiny_instance(agents=agents, templates=templates or [template(breaks=[])], contracts=contracts)
    data = base.model_dump(mode="json", exclude_none=True)
    data["demand"] = [{"skill": "voice", "forecast": {
        "volume": [float(volume.get(h, 0.0)) for h in range(24)], "aht_s": 300,
        "targets": {"service_level": 0.8, "threshold_s": 20}}}]
    data["weights"]["under_staffing_mode"] = mode
    return parse_instance(data)


@cache
def medium_forecast() -> Instance:
    return load_instance(ROOT / "instances" / "multiskill-medium-forecast.json")


# --------------------------------------------------------------------------------------------
# Predicted service in the result


def test_service_level_reported_equals_predict_service_on_coverage() -> None:
    """Tests that the result's service level per interval is predict_service on its coverage, and
    the horizon summary is the volume-weighted mean."""
    inst = forecast_instance({8: 20, 9: 40, 10: 40, 11: 30, 12: 10}, agents=[agent(f"a{i}") for i in range(4)])
    res = solve_and_validate(inst)
    scheduled = [row.scheduled for row in res.coverage]
    frame = predict_service(resolve_demand(inst).rows["voice"], {"voice": scheduled}, interval_minutes=60,
                            agents_are="scheduled")
    assert len(res.service_level) == 24
    for row, (_, expected) in zip(res.service_level, frame.iterrows(), strict=True):
        assert row.scheduled == row.productive == expected["agents"]
        assert row.service_level == pytest.approx(expected["service_level"], abs=1e-12)
        assert row.occupancy == pytest.approx(expected["occupancy"], abs=1e-12)
        assert (row.asa_s is None) == (not math.isfinite(expected["asa_s"]))
    (horizon,) = [m for m in res.kpis.service_level if m.period == "horizon"]
    volume = frame["service_level"] * [r.volume for r in res.service_level]
    assert horizon.volume == 140 and horizon.service_level == pytest.approx(volume.sum() / 140)
    assert horizon.service_level_target == 0.8
    assert [m.period for m in res.kpis.service_level] == ["2026-01-05", "horizon"]
    assert "predicted service" in summary(res)


def test_service_level_result_round_trips_through_json(tmp_path: Path) -> None:
    """Tests that a result with service-level rows (some without ASA) is written and read back."""
    inst = forecast_instance({8: 200, 9: 40}, agents=[agent("a1")])
    res = solve_and_validate(inst)
    assert any(row.asa_s is None for row in res.service_level)  # overloaded: one agent for 200 calls
    write_json(res, tmp_path / "s.json")
    back = load_result(tmp_path / "s.json")
    assert back.service_level == res.service_level and back.kpis == res.kpis
    assert validate(inst, back).ok


def test_service_level_not_reported_without_forecast() -> None:
    """Tests that an instance with required agents only has no service-level rows."""
    res = solve_and_validate(tiny_instance(demand={"voice": [0] * 8 + [1] * 8}))
    assert res.service_level == [] and res.kpis.service_level == [] and res.derived_demand == []
    assert res.coverage[8].volume is None


# --------------------------------------------------------------------------------------------
# The service-level objective: weights


def test_service_level_weights_convex_and_recomputed_by_validator() -> None:
    """Tests that every interval's service-level weights are non-decreasing (convex cost), at least
    1, at most 8 long, and that the validator recomputes exactly the engine's weights."""
    inst = medium_forecast()
    for skill in ("voice", "chat"):
        engine = inst.under_weights_per_interval(skill)
        assert engine == under_weights_by_interval(inst, skill), skill
        for weights, required in zip(engine, inst.required(skill), strict=True):
            assert 1 <= len(weights) <= SERVICE_LEVEL_SEGMENTS and len(weights) == max(1, min(required, 8))
            assert weights[0] >= 1 and all(a <= b for a, b in zip(weights, weights[1:], strict=False))
    assert inst.under_weights_per_interval("email")[40] == inst.weights.under_staffing


def test_service_level_weight_is_contacts_past_threshold_times_scale() -> None:
    """Tests that the first weight of an interval is scale x volume x the Erlang C service-level
    drop of one agent less, computed here from erlang_c_metrics."""
    inst = medium_forecast()
    t = 4 * 10 + 1  # Monday 10:15
    volume = inst.demand[0].forecast.volume[t]  # type: ignore[union-attr]
    r = inst.required("voice")[t]
    load = volume * 300 / 900
    sl = [float(erlang_c_metrics(n, load, 300, 20).service_level) for n in (r, r - 1)]
    scale = inst.weights.service_level_scale
    assert inst.under_weights_per_interval("voice")[t][0] == math.floor(scale * volume * (sl[0] - sl[1]) + 0.5)


def test_service_level_three_short_of_sixty_costs_less_per_contact_than_of_eight() -> None:
    """Tests that 3 agents short of 60 lose fewer service-level points, and cost less per contact,
    than 3 short of 8 (the weights follow the Erlang curve, not the head count)."""
    row = {"interval_start": dt.datetime(2026, 1, 5, 10), "aht_s": 300.0,
           "targets": {"service_level": 0.8, "threshold_s": 20.0}}
    small, large = ForecastRow(volume=15.0, **row), ForecastRow(volume=150.0, **row)  # 5 and 50 Erlangs
    (w8,), (w60,) = (service_level_weights([r], [n], 1, 900.0) for r, n in ((small, 8), (large, 57)))
    assert sum(w60[:3]) / large.volume < sum(w8[:3]) / small.volume
    points = {n: [float(erlang_c_metrics(k, load, 300, 20).service_level) for k in (n, n - 3)]
              for n, load in ((8, 5.0), (57, 50.0))}
    assert points[57][0] - points[57][1] < points[8][0] - points[8][1]


# --------------------------------------------------------------------------------------------
# The service-level objective: where the one free agent goes


def two_interval_instance(mode: str) -> Instance:
    """08:00 has 12 calls (load 1 Erlang), 09:00 has 240 (load 20); locked agents cover each
    requirement but one; agent x must work one hour at 08:00 or 09:00."""
    probe = forecast_instance({8: 12, 9: 240}, agents=[agent("p")], mode=mode)
    r8, r9 = probe.required("voice")[8], probe.required("voice")[9]
    locked = [agent(f"f8_{i}", locks=[Lock(date=START, template="hour", start="08:00")]) for i in range(r8 - 1)]
    locked += [agent(f"f9_{i}", locks=[Lock(date=START, template="hour", start="09:00")]) for i in range(r9 - 1)]
    return forecast_instance({8: 12, 9: 240}, agents=[*locked, agent("x", contract="one")], mode=mode,
                             templates=[ONE_HOUR], contracts=[contract(), contract("one", min_working_days=1)])


def placements(inst: Instance) -> dict[str, int]:
    """The validator's objective with x at 08:00 and at 09:00 (everyone else on their lock)."""
    fixed = [shift(a.id, 0, a.locks[0].start or "", 60, ONE_HOUR, activities="voice") for a in inst.agents if a.locks]
    return {start: validate(inst, result(inst, [*fixed, shift("x", 0, start, 60, ONE_HOUR)])).objective
            for start in ("08:00", "09:00")}


def test_service_level_objective_places_agent_where_it_buys_more_service() -> None:
    """Tests that with service-level pricing the free agent goes to the large-volume interval,
    where one agent saves more contacts from waiting past the threshold."""
    inst = two_interval_instance("service_level")
    weights = inst.under_weights_per_interval("voice")
    assert weights[9][0] > weights[8][0]
    costs = placements(inst)
    assert costs["09:00"] < costs["08:00"]
    res = solve_and_validate(inst)
    (x_shift,) = [a for a in res.assignments if a.agent_id == "x"]
    assert x_shift.start.hour == 9 and res.objective == costs["09:00"]


def test_head_count_objective_does_not_distinguish_the_two_intervals() -> None:
    """Tests that with head-count pricing both placements cost the same (one missing agent either way)."""
    costs = placements(two_interval_instance("head_count"))
    assert costs["08:00"] == costs["09:00"]


def test_service_level_objective_raises_predicted_service_level() -> None:
    """Tests that on the two-interval instance the service-level objective's schedule has the
    higher volume-weighted predicted service level."""
    horizon = {}
    for mode in ("head_count", "service_level"):
        res = solve_and_validate(two_interval_instance(mode))
        (m,) = [m for m in res.kpis.service_level if m.period == "horizon"]
        horizon[mode] = m.service_level
    assert horizon["service_level"] >= horizon["head_count"]


# --------------------------------------------------------------------------------------------
# wfm simulate


def test_wfm_simulate_runs_on_tiny_schedule(tmp_path: Path) -> None:
    """Tests that `wfm simulate` prints simulated and Erlang service per day and horizon and writes
    one CSV row per interval; the same seed gives the same numbers."""
    inst = forecast_instance({8: 20, 9: 40, 10: 40, 11: 30}, agents=[agent(f"a{i}") for i in range(3)])
    res = solve_and_validate(inst)
    inst_path, sched_path = tmp_path / "inst.json", tmp_path / "sched.json"
    write_json(inst, inst_path)
    write_json(res, sched_path)
    texts = []
    for name in ("a.csv", "b.csv"):
        out = CliRunner().invoke(app, ["simulate", str(inst_path), str(sched_path), "--replications", "4",
                                       "--seed", "3", "-o", str(tmp_path / name)], env={"COLUMNS": "200"})
        assert out.exit_code == 0, out.output
        texts.append((tmp_path / name).read_text())
    assert "voice   horizon" in out.output and "Erlang" in out.output
    assert texts[0] == texts[1]
    lines = texts[0].splitlines()
    assert len(lines) == 25 and "service_level_lo" in lines[0] and "erlang_service_level" in lines[0]
    skills = CliRunner().invoke(app, ["simulate", str(inst_path), str(sched_path), "--replications", "2",
                                      "--routing", "skills"], env={"COLUMNS": "200"})
    assert skills.exit_code == 0, skills.output
    # Staffing is counted from the shifts: without its coverage rows the file simulates the same;
    # shifts of agents the instance does not have are refused, not simulated as nobody on shift.
    write_json(res.model_copy(update={"coverage": []}), tmp_path / "bare.json")
    bare = CliRunner().invoke(app, ["simulate", str(inst_path), str(tmp_path / "bare.json"), "--replications", "4",
                                    "--seed", "3", "-o", str(tmp_path / "bare.csv")], env={"COLUMNS": "200"})
    assert bare.exit_code == 0, bare.output
    assert (tmp_path / "bare.csv").read_text() == texts[0]
    ghosts = res.model_copy(update={"assignments": [a.model_copy(update={"agent_id": "ghost"})
                                                    for a in res.assignments]})
    write_json(ghosts, tmp_path / "ghosts.json")
    refused = CliRunner().invoke(app, ["simulate", str(inst_path), str(tmp_path / "ghosts.json")],
                                 env={"COLUMNS": "200"})
    assert refused.exit_code == 2 and "hard rule(s) of" in refused.output and "see wfm validate" in refused.output
    negative = CliRunner().invoke(app, ["simulate", str(inst_path), str(sched_path), "--seed", "-1"],
                                  env={"COLUMNS": "200"})
    assert negative.exit_code == 2 and "--seed: must be 0 or more (got -1)" in negative.output
    # A typo's 1e9 replications asked numpy for 9.8 TiB: a MemoryError traceback, exit 1.
    typo = CliRunner().invoke(app, ["simulate", str(inst_path), str(sched_path), "--replications", "1000000000"],
                              env={"COLUMNS": "200"})
    assert typo.exit_code == 2 and "--replications: must be from 1 to 1,000 (got 1,000,000,000)" in typo.output


def test_wfm_simulate_simulation_close_to_erlang_on_stationary_interval() -> None:
    """Tests that on a long stationary stretch the simulated service level is close to Erlang C."""
    from optimizer.simulate.schedule import simulate_schedule

    inst = forecast_instance({h: 60 for h in range(6, 18)}, agents=[agent(f"a{i}") for i in range(9)],
                             templates=[template(earliest_start="06:00", latest_start="06:00", lengths_minutes=(720,),
                                                 breaks=[])])
    res = solve_and_validate(inst)
    sim = simulate_schedule(inst, res, replications=8, seed=1, warmup_intervals=1)
    (row,) = sim.periods[sim.periods["period"] == "horizon"].to_dict("records")
    assert abs(row["service_level"] - row["erlang_service_level"]) < 0.05
    assert np.isfinite(row["service_level_lo"])
