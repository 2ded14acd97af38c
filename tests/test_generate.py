"""The seeded instance generator and the committed instances it reproduces."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from functools import cache
from pathlib import Path

import pytest

from optimizer.domain.ids import time_of_day_minutes
from optimizer.domain.instance import Agent, Instance, parse_instance
from optimizer.generate import (
    PROFILES,
    agent_is_feasible,
    capacity_hours,
    generate_instance,
    instance_to_json,
    required_agent_hours,
)

INSTANCES = Path(__file__).resolve().parent.parent / "instances"
NAMES = sorted(PROFILES)


@cache
def generated(name: str) -> Instance:
    return generate_instance(PROFILES[name])


@cache
def generated_text(name: str) -> str:
    return instance_to_json(generated(name))


def hourly(values: list[int], intervals_per_hour: int) -> list[int]:
    return [sum(values[i : i + intervals_per_hour]) for i in range(0, len(values), intervals_per_hour)]


def prominent_peaks(values: list[int], min_prominence: float) -> list[int]:
    """Indices of local maxima that rise at least `min_prominence` above the lowest point between
    them and the next higher value on each side (or the edge)."""
    peaks = []
    for i, v in enumerate(values):
        if (i > 0 and values[i - 1] >= v) or (i + 1 < len(values) and values[i + 1] > v):
            continue
        left = i
        while left > 0 and values[left - 1] <= v:
            left -= 1
        right = i
        while right + 1 < len(values) and values[right + 1] <= v:
            right += 1
        floor = max(min(values[left : i + 1]), min(values[i : right + 1]))
        if v - floor >= min_prominence:
            peaks.append(i)
    return peaks


def fitting_days(instance: Instance, agent: Agent) -> list[dt.date]:
    """Dates on which at least one shift of an allowed template fits the agent's availability,
    time off and day-off locks (written independently of the generator)."""
    off_locked = {lock.date for lock in agent.locks if lock.off}
    dates = []
    for day in range(instance.horizon.days):
        date = instance.horizon.date_of_day(day)
        if date in off_locked:
            continue
        midnight = dt.datetime.combine(date, dt.time())
        for template in instance.templates_for(agent):
            if not template.allowed_on(instance.horizon.weekday_of_day(day)):
                continue
            shifts = [
                (midnight + dt.timedelta(minutes=start), midnight + dt.timedelta(minutes=start + length))
                for start in template.start_minutes_of_day()
                for length in template.lengths_minutes
            ]
            if any(
                (agent.availability is None or any(w.start <= a and b <= w.end for w in agent.availability))
                and not any(w.start < b and a < w.end for w in agent.time_off)
                for a, b in shifts
            ):
                dates.append(date)
                break
    return dates


@pytest.mark.parametrize("name", NAMES)
def test_committed_instance_reproduced_byte_for_byte(name: str) -> None:
    """Tests that the committed instances/<name>.json is exactly what the generator writes."""
    committed = (INSTANCES / f"{name}.json").read_text(encoding="utf-8")
    assert committed == generated_text(name), f"run: python instances/generate.py {name}"


def test_generate_instance_same_seed_same_text() -> None:
    """Tests that generating twice from equal configs gives the same text."""
    config = dataclasses.replace(PROFILES["multiskill-medium"])
    assert instance_to_json(generate_instance(config)) == generated_text("multiskill-medium")


def test_generate_instance_other_seed_other_text() -> None:
    """Tests that another seed gives another instance of the same size."""
    config = dataclasses.replace(PROFILES["demo-small"], seed=PROFILES["demo-small"].seed + 1)
    other = generate_instance(config)
    assert instance_to_json(other) != generated_text("demo-small")
    assert len(other.agents) == len(generated("demo-small").agents)


@pytest.mark.parametrize("name", NAMES)
def test_generate_instance_passes_parse_instance(name: str) -> None:
    """Tests that the JSON text of a generated instance validates and reads back unchanged."""
    parsed = parse_instance(json.loads(generated_text(name)))
    assert parsed == generated(name)


@pytest.mark.parametrize("name", NAMES)
def test_calibration_ratio_within_band(name: str) -> None:
    """Tests that required agent-hours are 90-95% of the agents' contract hours."""
    instance = generated(name)
    ratio = required_agent_hours(instance) / capacity_hours(instance)
    assert 0.90 <= ratio <= 0.95


@pytest.mark.parametrize("name", NAMES)
def test_calibration_demand_follows_skill_capacity(name: str) -> None:
    """Tests that each skill's demand is about load factor times the hours of the agents serving it."""
    instance = generated(name)
    per_hour = 60 // instance.horizon.interval_minutes
    for skill in instance.skills:
        capacity = sum(
            capacity_hours(instance.model_copy(update={"agents": [a]})) / len(a.skills)
            for a in instance.agents
            if skill.id in a.skill_ids
        )
        required = sum(instance.required(skill.id)) / per_hour
        assert 0.88 * capacity <= required <= 0.96 * capacity, skill.id


@pytest.mark.parametrize("name", NAMES)
def test_demand_curve_weekday_voice_has_two_peaks(name: str) -> None:
    """Tests that each weekday's voice curve has a morning and an afternoon peak with a dip between."""
    instance = generated(name)
    per_day, per_hour = instance.horizon.intervals_per_day, 60 // instance.horizon.interval_minutes
    for skill in (s for s in instance.skills if s.channel == "voice"):
        required = instance.required(skill.id)
        for day in range(5):
            hours = hourly(required[day * per_day : (day + 1) * per_day], per_hour)
            peaks = prominent_peaks(hours, 0.08 * max(hours))
            assert len(peaks) == 2, (skill.id, day, hours)
            assert 9 <= peaks[0] <= 11 and 13 <= peaks[1] <= 15, (skill.id, day, peaks)


@pytest.mark.parametrize("name", NAMES)
def test_demand_curve_night_is_zero(name: str) -> None:
    """Tests that no skill has demand at 03:00 on any day."""
    instance = generated(name)
    at_three = 180 // instance.horizon.interval_minutes
    for row in instance.demand:
        for day in range(instance.horizon.days):
            assert instance.required(row.skill)[day * instance.horizon.intervals_per_day + at_three] == 0


@pytest.mark.parametrize("name", NAMES)
def test_demand_curve_weekend_is_lower(name: str) -> None:
    """Tests that voice volume on Saturday is 50-60% and on Sunday 35-45% of an average weekday."""
    instance = generated(name)
    per_day = instance.horizon.intervals_per_day
    voice = next(s for s in instance.skills if s.channel == "voice")
    required = instance.required(voice.id)
    daily = [sum(required[d * per_day : (d + 1) * per_day]) for d in range(7)]
    weekday = sum(daily[:5]) / 5
    assert daily[0] == max(daily)
    assert 0.48 <= daily[5] / weekday <= 0.62
    assert 0.33 <= daily[6] / weekday <= 0.47


@pytest.mark.parametrize("name", NAMES)
def test_agent_availability_leaves_min_working_days(name: str) -> None:
    """Tests that every agent has at least its contract's minimum working days on which a shift fits."""
    instance = generated(name)
    for agent in instance.agents:
        assert len(fitting_days(instance, agent)) >= instance.contract_of(agent).min_working_days, agent.id


@pytest.mark.parametrize("name", NAMES)
def test_agent_is_feasible_every_generated_agent(name: str) -> None:
    """Tests that every generated agent can meet its contract's hard rules on its own."""
    instance = generated(name)
    for agent in instance.agents:
        assert agent_is_feasible(instance.horizon, instance.templates, instance.contract_of(agent), agent), (
            agent.id
        )


def test_agent_is_feasible_too_few_available_days_is_rejected() -> None:
    """Tests that a 5-day agent available on only four days is found infeasible."""
    instance = generated("demo-small")
    agent = next(a for a in instance.agents if a.contract == "ft40" and a.availability is None)
    windows = [
        {
            "start": f"{instance.horizon.date_of_day(d)}T00:00:00",
            "end": f"{instance.horizon.date_of_day(d + 1)}T00:00:00",
        }
        for d in range(4)
    ]
    restricted = Agent.model_validate({**agent.model_dump(), "availability": windows})
    contract = instance.contract_of(agent)
    assert agent_is_feasible(instance.horizon, instance.templates, contract, agent)
    assert not agent_is_feasible(instance.horizon, instance.templates, contract, restricted)


@pytest.mark.parametrize("name", NAMES)
def test_locks_and_requests_consistent_with_rules(name: str) -> None:
    """Tests that shift locks use allowed templates, days and starts, and no preference contradicts a lock."""
    instance = generated(name)
    for agent in instance.agents:
        allowed = {t.id for t in instance.templates_for(agent)}
        for lock in agent.locks:
            if lock.off:
                continue
            assert lock.template in allowed and lock.start is not None
            template = instance.template(lock.template)
            weekday = instance.horizon.weekday_of_day(instance.horizon.day_of_date(lock.date))
            assert template.allowed_on(weekday)
            assert time_of_day_minutes(lock.start) in template.start_minutes_of_day()
            assert lock.date in fitting_days(instance, agent)
        locked = {lock.date for lock in agent.locks}
        preferred_off = {p.date for p in agent.preferences.days_off}
        requested = {r.date for r in agent.preferences.shift_requests}
        assert not preferred_off & requested and not (preferred_off | requested) & locked, agent.id
        assert all(r.template is None or r.template in allowed for r in agent.preferences.shift_requests)


@pytest.mark.parametrize("name", NAMES)
def test_generate_instance_mix_of_restrictions(name: str) -> None:
    """Tests that roughly the intended shares of agents have availability, time off, locks and preferences."""
    instance = generated(name)
    n = len(instance.agents)
    with_availability = sum(a.availability is not None for a in instance.agents)
    with_time_off = sum(bool(a.time_off) for a in instance.agents)
    with_locks = sum(bool(a.locks) for a in instance.agents)
    with_preferences = sum(a.preferences != type(a.preferences)() for a in instance.agents)
    assert 0.06 * n <= with_availability <= 0.12 * n
    assert 1 <= with_time_off <= max(2, 0.07 * n)
    assert 1 <= with_locks <= max(2, 0.05 * n)
    assert 0.25 * n <= with_preferences <= 0.35 * n
