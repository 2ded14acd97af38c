"""Re-optimization against a published roster: change costs, frozen period and locks, the warm
start, the diff (recomputed here from the two rosters) and `wfm reoptimize`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from factories import (
    START,
    agent,
    at,
    break_rule,
    contract,
    hourly,
    shift,
    solve_and_validate,
    template,
    tiny_instance,
)
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.domain.baseline import Baseline, ChangeWeights, LockedDay
from optimizer.domain.instance import Instance, InstanceError, Lock, TimeWindow, Weights, parse_instance
from optimizer.domain.schedule import Assignment, SolveResult
from optimizer.generate import PROFILES, generate_instance
from optimizer.validate import validate

# Three agents, three days, one 4-hour template starting 08:00-10:00 (no breaks), demand in
# agents per hour. Over-staffing costs 10 per agent-hour, under-staffing 100, no labor cost.
TEMPLATE = template("t", "08:00", "10:00", start_step_minutes=60, lengths_minutes=[240], breaks=[])
WEIGHTS = Weights(under_staffing=[100], over_staffing=10, labor_cost=0.0)


def day_demand(per_day: list[dict[int, int]]) -> list[int]:
    return [n for d in per_day for n in hourly(d)]


def three_day(per_day: list[dict[int, int]], agents: int = 3, **fields) -> Instance:
    return tiny_instance(days=3, agents=[agent(f"a{i}", contract="c") for i in range(1, agents + 1)],
                         contracts=[contract("c")], templates=[TEMPLATE], weights=WEIGHTS,
                         demand={"voice": day_demand(per_day)}, **fields)


def with_baseline(instance: Instance, published: SolveResult | list[Assignment], **fields) -> Instance:
    rows = published.assignments if isinstance(published, SolveResult) else published
    data = instance.model_dump(mode="json")
    data["baseline"] = Baseline(assignments=rows, **fields).model_dump(mode="json")
    return parse_instance(data)


BASE_DEMAND = [{8: 2, 9: 2, 10: 2, 11: 2}, {8: 1, 9: 1, 10: 1, 11: 1}, {8: 1, 9: 1, 10: 1, 11: 1}]


def recomputed_diff(before: list[Assignment], after: list[Assignment]) -> dict[tuple[str, dt.date], str]:
    """The change kind of every agent-day, straight from the two rosters."""
    old = {(a.agent_id, a.date): a for a in before}
    new = {(a.agent_id, a.date): a for a in after}
    kinds = {}
    for key in set(old) | set(new):
        o, n = old.get(key), new.get(key)
        if o is None:
            kinds[key] = "added"
        elif n is None:
            kinds[key] = "removed"
        elif (o.template_id, o.start, o.end) != (n.template_id, n.start, n.end):
            kinds[key] = "moved"
        elif {b.name: b.start for b in o.breaks} != {b.name: b.start for b in n.breaks}:
            kinds[key] = "break_moved"
        else:
            kinds[key] = "unchanged"
    return kinds


def check_diff(result: SolveResult, published: list[Assignment]) -> dict[tuple[str, dt.date], str]:
    kinds = recomputed_diff(published, result.assignments)
    assert result.changes is not None
    assert {(c.agent_id, c.date): c.change for c in result.changes.days} == kinds
    assert result.changes.agent_days_changed == sum(k != "unchanged" for k in kinds.values())
    for c in result.changes.days:
        if c.change == "moved":
            assert c.after_start - c.before_start == dt.timedelta(minutes=c.start_moved_minutes)
    return kinds


def test_unchanged_demand_gives_the_unchanged_roster():
    """An optimal roster, re-optimized against the same demand, stays exactly as it was."""
    inst = three_day(BASE_DEMAND)
    published = solve_and_validate(inst)
    assert published.status == "optimal" and published.objective == 0
    again = solve_and_validate(with_baseline(inst, published))
    assert again.status == "optimal" and again.terms["changes"] == 0 and again.objective == 0
    assert again.changes is not None and again.changes.objective_before == 0
    kinds = check_diff(again, published.assignments)
    assert set(kinds.values()) == {"unchanged"}


def test_a_demand_spike_on_one_day_changes_only_that_day():
    """Day 2 needs a second agent from 08:00 to 12:00. Cold, any agent may take it; with the published
    roster, exactly one shift is added on day 2 (cost 150 < the 400 of leaving it uncovered) and
    nothing else moves."""
    inst = three_day(BASE_DEMAND)
    published = solve_and_validate(inst)
    spiked = three_day([BASE_DEMAND[0], BASE_DEMAND[1], {8: 2, 9: 2, 10: 2, 11: 2}])
    result = solve_and_validate(with_baseline(spiked, published))
    kinds = check_diff(result, published.assignments)
    changed = {key: kind for key, kind in kinds.items() if kind != "unchanged"}
    assert list(changed.values()) == ["added"] and next(iter(changed))[1] == START + dt.timedelta(days=2)
    # Default add_shift: 1.5 agent-hours of under-staffing = 1.5 x 100 on these 60-minute intervals.
    assert result.terms["changes"] == 150
    assert result.terms["under_staffing"] == 0
    # The published roster under the new demand: the four uncovered agent-hours, 4 x 100.
    assert result.changes is not None and result.changes.objective_before == 400


def test_the_validator_recomputes_the_diff():
    """`changes` (the diff a WFM system acts on) is recomputed by the validator: a day reported under
    another kind, a count or the number of changed agent-days that does not match, and a changed
    day left out, are mismatches; the engine's own diff passes."""
    inst = three_day(BASE_DEMAND)
    published = solve_and_validate(inst)
    spiked = with_baseline(three_day([BASE_DEMAND[0], BASE_DEMAND[1], {8: 2, 9: 2, 10: 2, 11: 2}]), published)
    result = solve_and_validate(spiked)
    diff = result.changes
    assert diff is not None and validate(spiked, result).ok
    added = next(i for i, c in enumerate(diff.days) if c.change == "added")
    days = [c.model_copy(update={"change": "unchanged"}) if i == added else c for i, c in enumerate(diff.days)]
    wrong_kind = diff.model_copy(update={"days": days})
    when = diff.days[added]
    assert validate(spiked, result.model_copy(update={"changes": wrong_kind})).mismatches == [
        f"changes {when.agent_id} {when.date}: schedule reports unchanged, recomputed added"]
    counts = {**diff.counts, "added": 0, "unchanged": diff.counts["unchanged"] + 1}
    wrong_counts = diff.model_copy(update={"counts": counts, "agent_days_changed": 0})
    assert validate(spiked, result.model_copy(update={"changes": wrong_counts})).mismatches == [
        f"changes.counts: schedule reports {counts}, recomputed {diff.counts}",
        "changes.agent_days_changed: schedule reports 0, recomputed 1"]
    left_out = diff.model_copy(update={"days": [c for i, c in enumerate(diff.days) if i != added]})
    assert validate(spiked, result.model_copy(update={"changes": left_out})).mismatches == [
        f"changes {when.agent_id} {when.date}: missing from the schedule's diff, recomputed added"]


def test_change_costs_decide_between_moving_and_leaving_a_gap():
    """Demand on day 1 moves from 08-12 to 10-14. Moving the shift by two hours costs move_more
    (then nothing else costs); moving it by one hour costs move_within_hour plus one agent-hour
    under (100) and one over (10); adding a second shift at 10:00 costs add_shift plus four
    agent-hours over (40); keeping it costs two under (200) and two over (20)."""
    inst = three_day(BASE_DEMAND)
    published = solve_and_validate(inst)
    later = three_day([BASE_DEMAND[0], {10: 1, 11: 1, 12: 1, 13: 1}, BASE_DEMAND[2]])

    def moves(result: SolveResult) -> list[int | None]:
        return [c.start_moved_minutes for c in result.changes.days if c.change != "unchanged"]

    cheap = solve_and_validate(with_baseline(later, published, weights=ChangeWeights(move_more=50)))
    assert moves(cheap) == [120] and cheap.objective == 50
    hour = solve_and_validate(with_baseline(later, published, weights=ChangeWeights(move_more=500)))
    # Default move_within_hour: 0.25 agent-hour = 25 here.
    assert moves(hour) == [60] and hour.objective == 25 + 100 + 10
    # Moving dear: a second agent added at 10:00 (add_shift 150) beats keeping (over-staffing 40 < 220).
    added = solve_and_validate(with_baseline(later, published,
                                             weights=ChangeWeights(move_more=500, move_within_hour=500)))
    assert [c.change for c in added.changes.days if c.change != "unchanged"] == ["added"]
    assert added.objective == 150 + 40
    dear = ChangeWeights(move_more=500, move_within_hour=500, add_shift=500, remove_shift=500)
    kept = solve_and_validate(with_baseline(later, published, weights=dear))
    assert moves(kept) == [] and kept.objective == 220


def test_frozen_days_and_locked_agents_are_never_touched():
    """The same spike as above, but day 2 is frozen (freeze until the end of day 2) and a1 is
    locked: nothing may be added on day 2, so the spike stays uncovered (4 agent-hours x 100)."""
    inst = three_day(BASE_DEMAND)
    published = solve_and_validate(inst)
    spiked = three_day([{8: 3, 9: 3, 10: 3, 11: 3}, BASE_DEMAND[1], {8: 2, 9: 2, 10: 2, 11: 2}])
    freeze = at(3, "00:00", inst.horizon.start_date)
    reopt = with_baseline(spiked, published, freeze_until=freeze, locked_agents=["a1"])
    result = solve_and_validate(reopt)
    assert all(c.change == "unchanged" for c in result.changes.days)
    # Freeze only the first day and lock a1: the spike on day 2 is covered by a2 or a3, not a1.
    reopt = with_baseline(spiked, published, freeze_until=at(1, "00:00", inst.horizon.start_date),
                          locked_agents=["a1"])
    result = solve_and_validate(reopt)
    kinds = check_diff(result, published.assignments)
    assert all(kind == "unchanged" for (agent_id, date), kind in kinds.items()
               if agent_id == "a1" or date == inst.horizon.start_date)
    assert any(kind == "added" for kind in kinds.values())


def test_breaks_of_frozen_and_locked_days_stay_as_published_in_the_best_response_sweeps():
    """The sweeps of the `lns` strategy place each shift's breaks where they lose the least under
    the new demand; on a frozen or locked agent-day they must stay as published (they moved there
    whenever the changed demand made another place pay, and the validator then rejected the roster)."""
    base = generate_instance(dataclasses.replace(PROFILES["demo-small"], agents=8))
    published = solve_and_validate(base, time_limit_s=2, strategy="lns")
    data = base.model_dump(mode="json")
    first = 2 * base.horizon.intervals_per_day
    for row in data["demand"]:  # two more agents from 10:00 to 16:00 on day 2
        row["required"] = [n + 2 if first + 40 <= t < first + 64 else n for t, n in enumerate(row["required"])]
    changed = parse_instance(data)
    locked = sorted({a.agent_id for a in published.assignments})[0]
    reopt = with_baseline(changed, published, freeze_until=at(2, "12:00", base.horizon.start_date),
                          locked_agents=[locked])
    result = solve_and_validate(reopt, time_limit_s=2, strategy="lns")
    kinds = check_diff(result, published.assignments)
    frozen_until = at(2, "12:00", base.horizon.start_date)
    starts = {(a.agent_id, a.date): a.start for a in published.assignments}
    pinned = {key for key in kinds if key[0] == locked or key[1] < frozen_until.date()
              or (key in starts and starts[key] < frozen_until)}
    assert any(key[1] == frozen_until.date() for key in pinned)  # shifts of day 2 before noon are frozen
    assert all(kinds[key] == "unchanged" for key in pinned), {key: kinds[key] for key in pinned}
    assert any(kind != "unchanged" for kind in kinds.values())  # the rest did move


def test_validator_rejects_a_changed_frozen_day():
    inst = three_day(BASE_DEMAND)
    published = solve_and_validate(inst)
    reopt = with_baseline(inst, published, locked_days=[LockedDay(agent_id=published.assignments[0].agent_id,
                                                                    date=published.assignments[0].date)])
    first = published.assignments[0]
    moved = first.model_copy(update={"start": first.start + dt.timedelta(hours=1),
                                     "end": first.end + dt.timedelta(hours=1)})
    edited = published.model_copy(update={"assignments": [moved, *published.assignments[1:]]})
    report = validate(reopt, edited)
    assert not report.ok
    assert any(v.rule == "frozen or locked shift changed" and v.agent_id == first.agent_id for v in report.hard)


def test_agents_who_left_and_joined_are_reported():
    inst = three_day(BASE_DEMAND)
    published = solve_and_validate(inst)
    fewer = tiny_instance(days=3, agents=[agent("a1", contract="c"), agent("a9", contract="c")],
                          contracts=[contract("c")], templates=[TEMPLATE], weights=WEIGHTS,
                          demand={"voice": day_demand(BASE_DEMAND)})
    result = solve_and_validate(with_baseline(fewer, published))
    left = sorted({a.agent_id for a in published.assignments} - {"a1"})
    assert result.changes.agents_left == left and result.changes.agents_joined == ["a9"]
    assert any("no longer in the instance" in note for note in result.notes)


def test_a_published_week_that_breaks_a_new_rule_is_rescheduled():
    """a1 gets time off on a day it was published to work: its week cannot be kept (noted), the
    result is still valid; when that day is frozen, the conflict is explained instead."""
    inst = three_day(BASE_DEMAND)
    published = solve_and_validate(inst)
    worked = next(a for a in published.assignments if a.date == START)
    off = TimeWindow(start=at(0, "00:00"), end=at(1, "00:00"))
    changed = tiny_instance(days=3, agents=[agent(f"a{i}", contract="c", time_off=[off] if f"a{i}" == worked.agent_id
                                                  else []) for i in range(1, 4)],
                            contracts=[contract("c")], templates=[TEMPLATE], weights=WEIGHTS,
                            demand={"voice": day_demand(BASE_DEMAND)})
    result = solve_and_validate(with_baseline(changed, published))
    assert any(worked.agent_id in note and "afresh" in note for note in result.notes)
    # The removed shift's cost is a constant of the model's objective: the bound proves the optimum.
    assert result.changes.counts["removed"] >= 1
    assert result.status == "optimal" and result.best_bound == result.objective
    frozen = solve_and_validate(with_baseline(changed, published, freeze_until=at(1, "00:00")))
    assert frozen.status == "infeasible"
    assert any(worked.agent_id in line and "frozen or locked" in line for line in frozen.explanation)


def test_a_lock_that_the_new_contract_breaks_is_named_in_the_explanation():
    """a1 is locked as published (3 working days) and its contract now allows 2: the core names the
    rule, and the sentence after it the locked days, without which the rule holds (it named the rule
    alone: the lock shapes the shift options, so no core can name it)."""
    rows = [shift("a1", day, "08:00", 240, TEMPLATE) for day in range(3)]
    changed = tiny_instance(days=3, agents=[agent("a1", contract="c")], contracts=[contract("c", max_working_days=2)],
                            templates=[TEMPLATE], weights=WEIGHTS, demand={"voice": day_demand(BASE_DEMAND)})
    assert solve_and_validate(with_baseline(changed, rows)).status != "infeasible"  # a day may be removed
    locked = solve_and_validate(with_baseline(changed, rows, locked_agents=["a1"]))
    assert locked.status == "infeasible"
    (line,) = locked.explanation
    dates = ", ".join(str(START + dt.timedelta(days=d)) for d in range(3))
    assert "maximum working days" in line and f"Without a1's frozen or locked published days ({dates}) they could." \
        in line, line


def test_an_infeasible_freeze_is_named_in_the_explanation():
    """A published day off kept by the freeze, with new time off, leaves too few days for the
    contract: the explanation names the kept day off (it once listed only availability and time off)."""
    rows = [shift("a1", 1, "08:00", 240, TEMPLATE), shift("a1", 2, "08:00", 240, TEMPLATE)]  # off on day 0
    day2 = START + dt.timedelta(days=2)
    changed = tiny_instance(days=3, agents=[agent("a1", contract="c", time_off=[TimeWindow(
        start=dt.datetime.combine(day2, dt.time()), end=dt.datetime.combine(day2 + dt.timedelta(days=1), dt.time()))])],
        contracts=[contract("c", min_working_days=2)], templates=[TEMPLATE], weights=WEIGHTS,
        demand={"voice": day_demand(BASE_DEMAND)})
    assert solve_and_validate(with_baseline(changed, rows)).status != "infeasible"  # day 0 may be added
    frozen = solve_and_validate(with_baseline(changed, rows, freeze_until=at(1, "00:00")))
    assert frozen.status == "infeasible"
    assert any(f"the published days off {START} are kept (frozen or locked)" in line for line in frozen.explanation), \
        frozen.explanation


def test_a_freeze_on_an_agent_without_published_shifts_is_named_as_such():
    """An agent who joined has no published shifts, so the freeze keeps its first day off; when the
    contract needs that day, the explanation says so without calling it a published day off."""
    rows = [shift("a1", day, "08:00", 240, TEMPLATE) for day in range(3)]
    changed = tiny_instance(days=3, agents=[agent("a1", contract="c"), agent("a2", contract="c")],
                            contracts=[contract("c", min_working_days=3)], templates=[TEMPLATE], weights=WEIGHTS,
                            demand={"voice": day_demand(BASE_DEMAND)})
    frozen = solve_and_validate(with_baseline(changed, rows, freeze_until=at(1, "00:00")))
    assert frozen.status == "infeasible"
    (line,) = frozen.explanation
    assert line.startswith("a2 can work on only 2 day(s)") and \
        f"{START} are kept off (frozen or locked; the agent has no published shifts)" in line, line


def test_a_freeze_that_ends_before_the_horizon_is_noted():
    """A freeze that ends before the horizon starts freezes nothing (a date of last week, most
    likely a slip): the run goes on and says so."""
    inst = three_day(BASE_DEMAND)
    published = solve_and_validate(inst)
    before = dt.datetime.combine(START - dt.timedelta(days=2), dt.time(8))
    plan, notes = _published_plan(with_baseline(inst, published, freeze_until=before))
    assert f"the freeze ({before:%Y-%m-%d %H:%M}) ends before the horizon starts ({START}): nothing is frozen" in notes
    assert len(plan) == len({a.agent_id for a in published.assignments})  # every published week kept
    at_start = dt.datetime.combine(START, dt.time())
    _, notes = _published_plan(with_baseline(inst, published, freeze_until=at_start))
    assert f"the freeze ({at_start:%Y-%m-%d %H:%M}) ends when the horizon starts ({START}): nothing is frozen" in notes


def _published_plan(instance: Instance) -> tuple[dict, list[str]]:
    import time

    from optimizer.model.options import agent_options
    from optimizer.solve import warm
    from optimizer.solve.solver import Budget
    from optimizer.timegrid import TimeGrid

    grid = TimeGrid(instance.horizon)
    options = [agent_options(instance, a, grid) for a in instance.agents]
    budget = Budget(instance.solver.model_copy(update={"workers": 1}), time.perf_counter())
    return warm.published_plan(instance, options, budget)


@pytest.mark.parametrize("change", ["none", "max_working_days", "lock"])
def test_the_warm_start_keeps_exactly_the_weeks_that_satisfy_the_new_rules(change):
    """The check of each published week against its agent's rules (a model of that week's shifts
    alone): a contract that allows fewer working days, or a lock on a day the agent had off, sends
    the agent to the construction with a note; every other week is kept as published."""
    inst = three_day(BASE_DEMAND)
    published = solve_and_validate(inst)
    days = {a.agent_id: sorted(r.date for r in published.assignments if r.agent_id == a.agent_id)
            for a in published.assignments}
    busiest = max(sorted(days), key=lambda agent_id: len(days[agent_id]))
    assert len(days[busiest]) >= 2  # 4 shifts over 3 agents
    agents = [agent(f"a{i}", contract="c") for i in range(1, 4)]
    contracts = [contract("c")]
    broken: set[str] = set()
    if change == "max_working_days":
        contracts = [contract("c", max_working_days=1)]
        broken = {agent_id for agent_id, dates in days.items() if len(dates) > 1}
    elif change == "lock":
        idle, day_off = next((a.id, START + dt.timedelta(days=d)) for a in agents if a.id in days
                             for d in range(3) if START + dt.timedelta(days=d) not in days[a.id])
        agents = [a.model_copy(update={"locks": [Lock(date=day_off, template="t", start="08:00")]})
                  if a.id == idle else a for a in agents]
        broken = {idle}
    changed = tiny_instance(days=3, agents=agents, contracts=contracts, templates=[TEMPLATE], weights=WEIGHTS,
                            demand={"voice": day_demand(BASE_DEMAND)})
    plan, notes = _published_plan(with_baseline(changed, published))
    assert set(plan) == set(days) - broken  # an agent without published shifts is scheduled afresh
    for agent_id, week in plan.items():
        assert sorted(START + dt.timedelta(days=d) for d in week) == days[agent_id]
    assert {agent_id for agent_id in broken if any(agent_id in n and "breaks a rule" in n for n in notes)} == broken
    named = {"max_working_days": "allows at most 1", "lock": "is locked to a t shift"}.get(change)
    if named:  # the broken rule is named, in the independent validator's words
        assert all(named in n for n in notes if "breaks a rule" in n), notes


def test_the_model_prices_each_shift_option_as_the_change_cost_definition_does():
    """The model's per-option change cost (in grid minutes, worked out once per instance) equals
    `change_cost` (date-times) for every agent, day and option: unchanged, moved within the hour,
    moved more, another template, added."""
    from optimizer.domain.baseline import change_cost, change_weights_of
    from optimizer.model.changes import option_change_cost, published_shifts
    from optimizer.model.options import agent_options
    from optimizer.timegrid import TimeGrid

    other = template("u", "07:00", "11:00", lengths_minutes=[240, 300], breaks=[])
    inst = tiny_instance(days=3, agents=[agent(f"a{i}", contract="c") for i in range(1, 4)],
                         contracts=[contract("c")], templates=[TEMPLATE, other], weights=WEIGHTS,
                         demand={"voice": day_demand(BASE_DEMAND)})
    published = solve_and_validate(inst)
    reopt = with_baseline(inst, published)
    grid, weights = TimeGrid(reopt.horizon), change_weights_of(reopt)
    by_minutes = published_shifts(reopt)
    seen = set()
    for a in reopt.agents:
        for day, options in agent_options(reopt, a, grid).by_day.items():
            row = reopt.baseline.shift_of(a.id, reopt.horizon.date_of_day(day))
            for option in options:
                expected = change_cost(weights, row, grid.datetime(option.start), grid.datetime(option.end),
                                       option.template_id, {})
                assert option_change_cost(weights, by_minutes.get((a.id, day)), option) == expected
                seen.add(expected)
    assert seen == {0, weights.move_within_hour, weights.move_more, weights.add_shift}


def test_baseline_references_are_checked():
    inst = three_day(BASE_DEMAND)
    with pytest.raises(InstanceError) as info:
        with_baseline(inst, [], locked_agents=["nobody"],
                      locked_days=[LockedDay(agent_id="a1", date=START + dt.timedelta(days=9))])
    paths = {issue.path for issue in info.value.issues}
    assert paths == {"baseline.locked_agents[0]", "baseline.locked_days[0].date"}


def test_published_rows_are_checked_and_rows_outside_the_horizon_noted(tmp_path):
    """A published shift that ends before it starts, or whose date is not its start's, is bad input
    (named as a row of the file given to `--previous`); shifts outside the horizon are history,
    kept out of the comparison with a note."""
    inst = three_day(BASE_DEMAND)
    published = solve_and_validate(inst)
    first = published.assignments[0]
    backwards = first.model_copy(update={"end": first.start - dt.timedelta(hours=1)})
    elsewhere = first.model_copy(update={"date": first.date + dt.timedelta(days=1)})
    with pytest.raises(InstanceError) as info:
        with_baseline(inst, [backwards, elsewhere])
    assert [issue.path for issue in info.value.issues] == ["baseline.assignments[0].end", "baseline.assignments[1].date"]
    # paid_minutes of a published row feeds the diff's paid hours: negative, or more than the shift
    # lasts, skewed them (found by the re-optimization audit).
    second = published.assignments[1]
    negative = first.model_copy(update={"paid_minutes": -480})
    too_long = second.model_copy(update={"paid_minutes": 10_000})
    with pytest.raises(InstanceError) as info:
        with_baseline(inst, [negative, too_long, *published.assignments[2:]])
    issues = [str(issue) for issue in info.value.issues]

    def length(row: Assignment) -> int:
        return int((row.end - row.start).total_seconds() // 60)

    assert issues == [
        f"baseline.assignments[0].paid_minutes: -480 is not between 0 and the shift's {length(first)} minutes",
        f"baseline.assignments[1].paid_minutes: 10000 is not between 0 and the shift's {length(second)} minutes"]
    (tmp_path / "new.json").write_text(inst.model_dump_json())
    (tmp_path / "published.json").write_text(published.model_copy(update={"assignments": [backwards]}).model_dump_json())
    bad = CliRunner().invoke(app, ["reoptimize", str(tmp_path / "new.json"), "--previous",
                                   str(tmp_path / "published.json"), "-q"], env={"COLUMNS": "200"})
    assert bad.exit_code == 2, bad.output
    assert "published.json is not a valid input" in " ".join(bad.output.split())
    assert "assignments[0].end:" in bad.output and "baseline." not in bad.output
    def shifted(rows, days):
        return [a.model_copy(update={"date": a.date + dt.timedelta(days=days), "breaks": [],
                                     "start": a.start + dt.timedelta(days=days),
                                     "end": a.end + dt.timedelta(days=days)}) for a in rows]

    history = shifted(published.assignments, -7)  # last week's shifts too: kept out, with a note
    result = solve_and_validate(with_baseline(inst, [*history, *published.assignments]))
    assert result.changes.agent_days_changed == 0
    assert any(f"{len(history)} published shift(s) lie outside the horizon" in note
               and str(min(a.date for a in history)) in note for note in result.notes), result.notes
    with pytest.raises(InstanceError) as info:  # only next week's: the roster of another period
        with_baseline(inst, shifted(published.assignments, 7))
    assert [i.path for i in info.value.issues] == ["baseline.assignments"]
    assert "none of the" in info.value.issues[0].reason and "another period" in info.value.issues[0].reason


def test_break_moves_are_priced():
    """A shift kept exactly but with its lunch moved costs move_break (accounting and validator)."""
    lunch = template("d", "08:00", "08:00", lengths_minutes=[480])  # lunch 3-5 h in, 60 min, unpaid
    inst = tiny_instance(days=1, agents=[agent("a1", contract="c")], contracts=[contract("c")], templates=[lunch],
                         weights=Weights(under_staffing=[100], over_staffing=0, labor_cost=0.0),
                         demand={"voice": hourly({h: 1 for h in range(8, 16)})})
    published = [shift("a1", 0, "08:00", 480, lunch, breaks=[("lunch", "11:00")])]
    moved = [shift("a1", 0, "08:00", 480, lunch, breaks=[("lunch", "12:00")])]
    reopt = with_baseline(inst, published, weights=ChangeWeights(move_break=7))
    report = validate(reopt, SolveResult(instance=reopt.name, status="feasible", assignments=moved))
    assert report.terms["changes"] == 7
    result = solve_and_validate(reopt)
    assert result.terms["changes"] == 0  # both lunch positions lose one hour of cover: keep it


def test_cli_reoptimize_writes_schedule_and_instance(tmp_path):
    inst = three_day(BASE_DEMAND)
    published = solve_and_validate(inst)
    (tmp_path / "new.json").write_text(three_day([BASE_DEMAND[0], BASE_DEMAND[1], {8: 2, 9: 2, 10: 2, 11: 2}])
                                       .model_dump_json())
    (tmp_path / "published.json").write_text(published.model_dump_json())
    runner = CliRunner()
    out = tmp_path / "re.json"
    run = runner.invoke(app, ["reoptimize", str(tmp_path / "new.json"), "--previous", str(tmp_path / "published.json"),
                              "--lock", "a1", "--freeze-until", "2026-01-06T00:00", "--time-limit", "5",
                              "--workers", "1", "-q", "-o", str(out)])
    assert run.exit_code == 0, run.output
    assert "changes against the published roster" in run.output
    checked = runner.invoke(app, ["validate", str(tmp_path / "re.instance.json"), str(out)])
    assert checked.exit_code == 0, checked.output
    assert json.loads(out.read_text())["changes"]["counts"]["added"] == 1
    bad = runner.invoke(app, ["reoptimize", str(tmp_path / "new.json"), "--previous", str(tmp_path / "published.json"),
                              "--lock", "zz", "-q"])
    assert bad.exit_code == 2 and "--lock zz: unknown agent 'zz'" in bad.output

    def refused(*options: str) -> str:
        result = runner.invoke(app, ["reoptimize", str(tmp_path / "new.json"), "--previous",
                                     str(tmp_path / "published.json"), "-q", *options], env={"COLUMNS": "200"})
        assert result.exit_code == 2, result.output
        return " ".join(result.output.split())

    # Agents and agent-days are kept apart: each issue names the --lock value, not an index into one list.
    mixed = refused("--lock", "a1", "--lock", "a2@2026-01-05", "--lock", "zz@2026-01-05", "--lock", "a3@2027-01-01")
    assert "--lock zz@2026-01-05: unknown agent 'zz'" in mixed
    assert "--lock a3@2027-01-01: 2027-01-01 is outside the horizon" in mixed
    assert "--freeze-until: use a local date-time without a UTC offset" in refused(
        "--freeze-until", "2026-01-06T08:00:00+05:00")
    assert "--freeze-until: 2027-01-01T00:00:00 is after the horizon" in refused("--freeze-until", "2027-01-01T00:00")
    left = json.loads((tmp_path / "new.json").read_text())  # a1 left: a lock on it says so
    left["agents"] = [a for a in left["agents"] if a["id"] != "a1"]
    (tmp_path / "new.json").write_text(json.dumps(left))
    assert "--lock a1: unknown agent 'a1' (in the published roster, but no longer an agent of the instance)" in \
        refused("--lock", "a1")
    assert "--change-weight foo: unknown field (one of move_within_hour, move_more" in refused("--change-weight", "foo=1")
    assert "--time-limit: Input should be greater than 0" in refused("--time-limit", "-1")
    assert "--time-limit: Input should be a finite number" in refused("--time-limit", "nan")


def test_default_change_weights_scale_with_the_price_of_an_agent_hour():
    """Defaults are agent-hours of under-staffing: 15-minute intervals at 100 per missing agent make
    an agent-hour 400, so moving a shift by more than an hour costs 400, adding one 600."""
    resolved = Baseline().change_weights(under_staffing_weight=100, interval_minutes=15)
    assert (resolved.move_within_hour, resolved.move_more, resolved.add_shift, resolved.remove_shift,
            resolved.move_break) == (100, 400, 600, 600, 20)
    given = Baseline(weights=ChangeWeights(move_more=7)).change_weights(100, 60)
    assert given.move_more == 7 and given.move_within_hour == 25


@pytest.mark.parametrize("pin", ["freeze", "lock"])
def test_a_pinned_break_the_new_break_window_excludes_is_explained(pin):
    """The lunch window moves later; a frozen or locked shift whose published lunch now lies outside
    it cannot be kept: the problem is infeasible with that explanation (a freeze crashed with a
    KeyError on the missing break position, a lock returned a roster the validator rejected)."""
    old = template("t", "08:00", "08:00", lengths_minutes=[480], breaks=[break_rule(earliest_offset_minutes=180)])
    rows = [shift(f"a{i}", d, "08:00", 480, old, breaks=[("lunch", "11:00")]) for i in (1, 2) for d in range(2)]
    new = template("t", "08:00", "08:00", lengths_minutes=[480], breaks=[break_rule(earliest_offset_minutes=240)])
    changed = tiny_instance(days=2, agents=[agent("a1", contract="c"), agent("a2", contract="c")],
                            contracts=[contract("c")], templates=[new], weights=WEIGHTS,
                            demand={"voice": day_demand([{h: 2 for h in range(8, 16)}] * 2)})
    assert solve_and_validate(with_baseline(changed, rows)).status != "infeasible"  # the lunch may move
    pins = {"freeze": {"freeze_until": at(1, "00:00")}, "lock": {"locked_days": [LockedDay(agent_id="a1", date=START)]}}
    result = solve_and_validate(with_baseline(changed, rows, **pins[pin]))
    assert result.status == "infeasible"
    assert any("a1" in line and "lunch" in line and "frozen or locked" in line for line in result.explanation), \
        result.explanation


@pytest.mark.parametrize("value", ["a1@", "a1@2026-13-01", "@2026-01-05"])
def test_a_lock_with_a_missing_or_bad_date_is_refused(value):
    """`--lock a1@` (the date left out) is a typo, not a lock of a1's whole week: it once locked the
    week without a word."""
    import typer

    from optimizer.cli_reoptimize import _locks

    with pytest.raises(typer.BadParameter, match="expected AGENT or AGENT@YYYY-MM-DD"):
        _locks([value])
    assert _locks(["a1", "a2@2026-01-05"]) == (["a1"], [LockedDay(agent_id="a2", date=dt.date(2026, 1, 5))])


@pytest.mark.parametrize("rule_change", ["break_dropped", "break_added"])
def test_a_break_the_new_template_drops_or_adds_is_a_break_change(rule_change):
    """A break in only one of the published and the new shift has moved (matched by name): when the
    template loses its lunch, every kept shift lost it and the diff said `unchanged` at no cost; when
    it gains one, the diff counted it but the model did not price it."""
    with_lunch = template("t", "08:00", "10:00", lengths_minutes=[240],
                          breaks=[break_rule(duration_minutes=60, earliest_offset_minutes=120, latest_offset_minutes=120,
                                             paid=True)])
    before, after = (with_lunch, TEMPLATE) if rule_change == "break_dropped" else (TEMPLATE, with_lunch)

    def instance(tmpl):
        return tiny_instance(days=3, agents=[agent(f"a{i}", contract="c") for i in range(1, 4)],
                             contracts=[contract("c")], templates=[tmpl], weights=WEIGHTS,
                             demand={"voice": day_demand(BASE_DEMAND)})

    published = solve_and_validate(instance(before))
    result = solve_and_validate(with_baseline(instance(after), published, weights=ChangeWeights(move_more=1000)))
    if rule_change == "break_added":  # the note said the published week 'has a lunch ... no longer allowed where it is'
        assert any("has no lunch on" in n and "which its t shift now requires" in n for n in result.notes), result.notes
    kinds = check_diff(result, published.assignments)  # the validator agreed on the changes term
    assert "unchanged" not in kinds.values() and "break_moved" in kinds.values()
    assert all(c.breaks_moved == 1 for c in result.changes.days if c.change == "break_moved")


def test_default_change_weights_above_the_weight_cap_are_used_not_refused():
    """The defaults are derived numbers (agent-hours at the first under-staffing weight), not input:
    with `under_staffing: [10_000_000]` an agent-hour on 60-minute intervals is 10,000,000, so
    adding a shift defaults to 15,000,000, above the 10,000,000 cap on a weight the user gives. The
    solve crashed with pydantic's ValidationError (a traceback, a failed job over HTTP)."""
    inst = three_day(BASE_DEMAND).model_copy(update={"weights": Weights(under_staffing=[10_000_000], over_staffing=10,
                                                                        labor_cost=0.0)})
    published = solve_and_validate(inst)
    resolved = Baseline().change_weights(under_staffing_weight=10_000_000, interval_minutes=60)
    assert (resolved.add_shift, resolved.move_more) == (15_000_000, 10_000_000)
    spiked = inst.model_copy(update={"demand": three_day([BASE_DEMAND[0], BASE_DEMAND[1],
                                                          {8: 2, 9: 2, 10: 2, 11: 2}]).demand})
    result = solve_and_validate(with_baseline(spiked, published))  # the validator recomputes the term
    assert result.terms["changes"] == 15_000_000 and check_diff(result, published.assignments)


@pytest.mark.parametrize("published_day", ["off", "another_shift"])
def test_a_shift_lock_on_a_day_kept_as_published_names_the_freeze(published_day):
    """A new shift lock (`agents[].locks`) on a day the freeze keeps as published (off, or another
    shift) cannot hold: the explanation named the agent's availability and time off, which the
    agent does not have ('every such shift lies outside their availability or overlaps their time
    off ()'), instead of the frozen day."""
    rows = [shift("a1", 0, "09:00" if published_day == "another_shift" else "08:00", 240, TEMPLATE)]
    if published_day == "off":
        rows = [shift("a1", 1, "08:00", 240, TEMPLATE)]
    lock = Lock(date=START, template="t", start="08:00")
    changed = tiny_instance(days=3, agents=[agent("a1", contract="c", locks=[lock])], contracts=[contract("c")],
                            templates=[TEMPLATE], weights=WEIGHTS, demand={"voice": day_demand(BASE_DEMAND)})
    assert solve_and_validate(with_baseline(changed, rows)).status != "infeasible"
    frozen = solve_and_validate(with_baseline(changed, rows, freeze_until=at(1, "00:00")))
    assert frozen.status == "infeasible"
    kept = "off" if published_day == "off" else "t 09:00-13:00"
    line = next(line for line in frozen.explanation if "is locked to a t shift at 08:00" in line)
    assert f"the day is frozen or locked as published ({kept})" in line and "availability" not in line, \
        frozen.explanation
    if published_day == "another_shift":  # the published shift is the lock's: the time off is the obstacle
        rows = [shift("a1", 0, "08:00", 240, TEMPLATE)]
        off = TimeWindow(start=at(0, "07:00"), end=at(0, "09:00"))
        changed = changed.model_copy(update={"agents": [changed.agents[0].model_copy(update={"time_off": [off]})]})
        frozen = solve_and_validate(with_baseline(changed, rows, freeze_until=at(1, "00:00")))
        line = next(line for line in frozen.explanation if "is locked to a t shift at 08:00" in line)
        assert "it overlaps their time off" in line and "frozen" not in line, frozen.explanation


def test_a_previous_schedule_without_a_roster_is_refused(tmp_path):
    """An infeasible (or unknown) result has no shifts: `--previous` with it re-optimized against an
    empty published roster, every shift priced as added (the wrong file, most likely), without a word."""
    inst = three_day(BASE_DEMAND)
    (tmp_path / "new.json").write_text(inst.model_dump_json())
    for status in ("infeasible", "unknown"):
        (tmp_path / "none.json").write_text(SolveResult(instance=inst.name, status=status).model_dump_json())
        run = CliRunner().invoke(app, ["reoptimize", str(tmp_path / "new.json"), "--previous",
                                       str(tmp_path / "none.json"), "-q"], env={"COLUMNS": "200"})
        assert run.exit_code == 2, run.output
        assert f"status: the previous schedule is {status}: it has no roster to keep" in " ".join(run.output.split())
