"""The discrete-event simulation: agreement with Erlang C / Erlang A in steady state, routing,
time-varying staffing, abandonment, determinism and input errors."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pytest

from optimizer.requirements import ForecastError, compute_requirements, erlang_a_metrics, erlang_c_metrics
from optimizer.simulate import AgentGroup, simulate_staffing
from optimizer.simulate.engine import GroupInput, QueueInput, _CallCenter

START = dt.datetime(2025, 3, 3, 8, 0)


def _steady(volume: float, aht: float, **targets) -> list[dict]:
    return [dict(interval_start=START, volume=volume, aht_s=aht,
                 targets=dict(service_level=0.8, threshold_s=20, **targets))]


def test_steady_interval_confidence_interval_contains_erlang_c():
    # One steady hour (400 calls of 180 s: A = 20 Erlangs) on 24 agents (Erlang C: 80.9% within
    # 20 s), after a two-hour warm-up with the same traffic and staffing, 60 seeded replications.
    # (Over 20 seeds the 95% interval contained the prediction 19 times: it is a real interval.)
    rows = _steady(400, 180)
    res = simulate_staffing(rows, {"default": [24]}, interval_minutes=60, replications=60, seed=0,
                            warmup_intervals=2)
    row = res.intervals.iloc[0]
    predicted = float(erlang_c_metrics(24, 20.0, 180, 20).service_level)
    assert row["erlang_service_level"] == pytest.approx(predicted)
    assert row["service_level_lo"] <= predicted <= row["service_level_hi"]
    assert row["service_level_hi"] - row["service_level_lo"] < 0.1
    assert row["mean_wait_s_lo"] <= row["erlang_mean_wait_s"] <= row["mean_wait_s_hi"]
    assert row["abandonment"] == 0.0
    assert 380 < row["offered"] < 420


def test_steady_interval_with_abandonment_contains_erlang_a():
    rows = _steady(400, 180, patience_s=90)
    res = simulate_staffing(rows, {"default": [19]}, interval_minutes=60, replications=60, seed=0,
                            warmup_intervals=2)
    row = res.intervals.iloc[0]
    predicted = erlang_a_metrics(19, 20.0, 180, 90, 20)
    assert row["erlang_abandonment"] == pytest.approx(float(predicted.abandonment))
    assert row["service_level_lo"] <= float(predicted.service_level) <= row["service_level_hi"]
    assert row["abandonment_lo"] <= float(predicted.abandonment) <= row["abandonment_hi"]
    assert row["abandonment"] > 0.02


def test_lognormal_handle_times_keep_the_mean_and_reduce_waiting():
    rows = _steady(400, 180)
    kw = dict(interval_minutes=60, replications=12, seed=2, warmup_intervals=1)
    expo = simulate_staffing(rows, {"default": [23]}, **kw).summary.iloc[0]
    logn = simulate_staffing(rows, {"default": [23]}, handle_time="lognormal", handle_time_cv=0.4, **kw).summary.iloc[0]
    assert logn["mean_wait_s"] < expo["mean_wait_s"]  # less variable service, shorter queues
    assert logn["service_level"] > expo["service_level"]


def test_seeded_and_replication_streams_are_independent():
    rows = _steady(100, 240)
    a = simulate_staffing(rows, {"default": [9]}, interval_minutes=30, replications=4, seed=3)
    b = simulate_staffing(rows, {"default": [9]}, interval_minutes=30, replications=4, seed=3)
    c = simulate_staffing(rows, {"default": [9]}, interval_minutes=30, replications=6, seed=3)
    for name in ("offered", "within", "wait_all"):
        assert np.array_equal(a.raw[name], b.raw[name])
        assert np.array_equal(a.raw[name], c.raw[name][:4])  # replication r has its own stream
    d = simulate_staffing(rows, {"default": [9]}, interval_minutes=30, replications=4, seed=4)
    assert not np.array_equal(a.raw["wait_all"], d.raw["wait_all"])


def _center(calls, staffing, skills=1, group_skills=((0,),), n_int=1, interval_s=100.0, threshold=20.0):
    queues = [QueueInput(volume=np.zeros(n_int), aht_s=np.ones(n_int), threshold_s=np.full(n_int, threshold),
                         patience_s=np.full(n_int, np.inf)) for _ in range(skills)]
    groups = [GroupInput(skills=s, agents=np.asarray(a)) for s, a in zip(group_skills, staffing, strict=True)]
    t, k, i, service, patience = (np.array(c, dtype=float) for c in zip(*calls, strict=True))
    center = _CallCenter(queues, groups, interval_s, (t, k.astype(int), i.astype(int), service, patience), 0)
    return center.run()


def test_multi_skill_agent_takes_the_longest_waiting_call():
    inf = float("inf")
    # one agent with both skills: busy 0.5-10.5; a skill-1 call waits from 1, a skill-0 call from 2
    stats = _center([(0.5, 0, 0, 10, inf), (1.0, 1, 0, 5, inf), (2.0, 0, 0, 5, inf)], [[1]], skills=2,
                    group_skills=((0, 1),))
    assert stats["wait_answered"][1][0] == pytest.approx(9.5)  # served first, at 10.5
    assert stats["wait_answered"][0][0] == pytest.approx(13.5)  # then the skill-0 call, at 15.5
    assert stats["answered"] == [[2.0], [1.0]]


def test_specialists_are_used_before_generalists():
    inf = float("inf")
    # a specialist (skill 0) and a generalist (skills 0, 1), both idle: the skill-0 call goes to
    # the specialist, so the skill-1 call arriving next finds the generalist free.
    stats = _center([(1.0, 0, 0, 50, inf), (2.0, 1, 0, 50, inf)], [[1], [1]], skills=2,
                    group_skills=((0, 1), (0,)))
    assert stats["wait_answered"] == [[0.0], [0.0]]


def test_agents_going_off_shift_finish_their_call_and_new_agents_take_waiting_calls():
    inf = float("inf")
    # interval 0 (0-100 s): one agent; interval 1: none. The call at 50 s (80 s long) is finished
    # at 130 s by the leaving agent, who then goes home: the call waiting since 90 s stays unanswered.
    stats = _center([(50, 0, 0, 80, inf), (90, 0, 0, 10, inf), (120, 0, 1, 10, inf)], [[1, 0]], n_int=2)
    assert stats["offered"] == [[2.0, 1.0]]
    assert stats["answered"] == [[1.0, 0.0]]
    # the other way round: the call at 50 s waits for the agent who starts at 100 s
    stats = _center([(50, 0, 0, 10, inf)], [[0, 1]], n_int=2)
    assert stats["answered"] == [[1.0, 0.0]]
    assert stats["wait_answered"][0][0] == pytest.approx(50.0)
    assert stats["within"][0][0] == 0.0


def test_abandonment_counts_the_patience_as_wait():
    stats = _center([(10, 0, 0, 200, float("inf")), (20, 0, 0, 10, 30.0)], [[1]])
    assert stats["abandoned"][0][0] == 1.0
    assert stats["wait_all"][0][0] == pytest.approx(30.0)
    assert stats["answered"][0][0] == 1.0


def test_pooling_two_skills_on_shared_agents_beats_splitting_them():
    rows = []
    for skill in ("a", "b"):
        rows += [dict(interval_start=START + dt.timedelta(minutes=30 * i), volume=60.0, aht_s=300, skill=skill,
                      targets=dict(service_level=0.8, threshold_s=20)) for i in range(4)]
    split = simulate_staffing(rows, {"a": [11] * 4, "b": [11] * 4}, replications=8, seed=1)
    pooled = simulate_staffing(rows, [AgentGroup(skills=("a", "b"), agents=[22] * 4)], replications=8, seed=1)
    assert split.intervals["erlang_service_level"].notna().all()
    assert pooled.intervals["erlang_service_level"].isna().all()  # no single-skill prediction
    assert pooled.summary["service_level"].min() > split.summary["service_level"].max()


def test_a_day_of_96_intervals_runs_in_seconds():
    profile = 150 + 90 * np.sin(np.linspace(0, np.pi, 96))
    rows = [dict(interval_start=START + dt.timedelta(minutes=15 * i), volume=float(v), aht_s=240.0,
                 targets=dict(service_level=0.8, threshold_s=20)) for i, v in enumerate(profile)]
    staffing = compute_requirements(rows).by_skill("net")
    assert 40 <= max(staffing["default"]) <= 80
    started = time.perf_counter()
    res = simulate_staffing(rows, staffing, replications=5, seed=2)
    assert time.perf_counter() - started < 20
    day = res.summary.iloc[0]
    assert 0.78 < day["service_level"] < 0.92  # every interval staffed for 80/20 by Erlang C
    assert len(res.intervals) == 96


def test_simulation_input_errors():
    rows = _steady(100, 240)
    with pytest.raises(ForecastError) as info:
        simulate_staffing(rows, {"default": [5, 5]}, interval_minutes=30)
    assert "staffing.default.agents: 2 values for 1 intervals" in str(info.value)
    with pytest.raises(ForecastError) as info:
        simulate_staffing(rows, [AgentGroup(skills=("default", "nope"), agents=[5])], interval_minutes=30)
    assert "staffing[0].skills: unknown skill 'nope'" in str(info.value)
    email = [dict(interval_start=START, volume=10, aht_s=300, channel="email", targets=dict(response_time_s=3600))]
    with pytest.raises(ForecastError) as info:
        simulate_staffing(email, {"default": [1]})
    assert "rows[0].channel: the simulation covers voice and chat" in str(info.value)
    with pytest.raises(ForecastError) as info:
        simulate_staffing(rows, {"default": [5]}, interval_minutes=30, replications=10**12)
    assert "replications: must be from 1 to 1,000 (got 1,000,000,000,000)" in str(info.value)


def test_confidence_intervals_stay_within_the_values_a_measure_can_take():
    # Two replications far apart give a Student-t interval past 0 and 1 (a service level of -57%).
    from optimizer.simulate.api import clipped

    lo, hi = clipped("service_level", np.array([-0.57, 0.2, np.nan]), np.array([1.92, 0.4, np.nan]))
    assert lo[:2].tolist() == [0.0, 0.2] and hi[:2].tolist() == [1.0, 0.4] and np.isnan(lo[2]) and np.isnan(hi[2])
    lo, hi = clipped("mean_wait_s", np.array([-5631.8]), np.array([7152.8]))
    assert (lo.tolist(), hi.tolist()) == ([0.0], [7152.8])
    assert clipped("abandonment", -0.1, 0.3) == (0.0, 0.3)
