"""Neighbourhoods of the rostering search (optimizer.solve.roster_lns): the "wish" neighbourhood
frees an agent whose request the incumbent does not meet together with the agents it could swap
that day with."""

from __future__ import annotations

import random

from factories import agent, day, template, tiny_instance

from optimizer.domain.instance import DayOffPreference, Preferences, ShiftDemand, ShiftRequest
from optimizer.model.builder import ScheduleModel
from optimizer.model.options import agent_options
from optimizer.solve.roster_lns import Kind, Short, _neighbourhood, _requests
from optimizer.timegrid import TimeGrid


def wishing_model(preference_weight: int = 1) -> ScheduleModel:
    """Three agents over two days, one early and one late template; a1 asks for an early shift on
    day 0 (weight 3) and for day 1 off (weight 2)."""
    wishes = Preferences(shift_requests=[ShiftRequest(date=day(0), template="early", weight=3)],
                         days_off=[DayOffPreference(date=day(1), weight=2)])
    inst = tiny_instance(
        days=2,
        agents=[agent("a1", preferences=wishes), agent("a2"), agent("a3")],
        templates=[template("early", "06:00", "06:00", breaks=[]), template("late", "14:00", "14:00", breaks=[])],
        shift_demand=[ShiftDemand(date=day(d), template=t, required=1) for d in (0, 1) for t in ("early", "late")],
        weights={"preferences": preference_weight},
    )
    grid = TimeGrid(inst.horizon)
    return ScheduleModel(inst, [agent_options(inst, a, grid) for a in inst.agents])


def works(m: ScheduleModel, solution: list[int], agent_id: str, d: int, template_id: str) -> None:
    day_vars = m.agents[agent_id].days[d]
    for option, x in zip(day_vars.options, day_vars.x, strict=True):
        if option.template_id == template_id:
            solution[x.index] = 1
            return
    raise AssertionError(f"{agent_id} has no {template_id} option on day {d}")


def test_requests_are_read_with_their_weights_and_checked_against_a_schedule():
    m = wishing_model()
    early, day_off = sorted(_requests(m), key=lambda r: r.day)
    assert (early.agent_id, early.day, early.weight, early.on) == ("a1", 0, 3, True)
    assert (day_off.agent_id, day_off.day, day_off.weight, day_off.on) == ("a1", 1, 2, False)

    solution = [0] * len(m.model.proto.variables)
    works(m, solution, "a1", 0, "late")
    works(m, solution, "a2", 0, "early")
    works(m, solution, "a3", 0, "late")
    works(m, solution, "a1", 1, "early")
    works(m, solution, "a2", 1, "late")
    assert not early.met(solution) and not day_off.met(solution)
    # The early shift a1 wants is a2's; a3 is free on day 1 and could take a1's shift there.
    assert [a for a in ("a2", "a3") if early.partner(a, solution)] == ["a2"]
    assert [a for a in ("a2", "a3") if day_off.partner(a, solution)] == ["a3"]

    solution = [0] * len(m.model.proto.variables)
    works(m, solution, "a1", 0, "early")
    assert early.met(solution) and day_off.met(solution)


def test_no_requests_when_preferences_weigh_nothing():
    assert _requests(wishing_model(preference_weight=0)) == []


def test_wish_neighbourhood_frees_the_wisher_and_a_partner_over_the_whole_horizon():
    agent_ids = ["a1", "a2", "a3", "a4", "a5", "a6"]
    unmet = [Short(3, 0, ["a4"], "a2")]
    free = _neighbourhood(Kind("wish", 2 / 6), agent_ids, 4, random.Random(1), unmet)
    assert free == {(a, d) for a in ("a2", "a4") for d in range(4)}
    free = _neighbourhood(Kind("wish", 3 / 6), agent_ids, 4, random.Random(1), unmet)
    assert {a for a, _ in free} >= {"a2", "a4"} and len({a for a, _ in free}) == 3
