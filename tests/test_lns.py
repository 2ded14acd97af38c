"""The LNS's own pieces: where it looks (under-staffing cost per day) and the best-response sweeps'
bookkeeping (what they return is the exact objective of what they return, never worse than
what they were given)."""

from __future__ import annotations

import dataclasses
import random
import time

import numpy as np
from factories import START, ShiftDemand, agent, hourly, template, tiny_instance

from optimizer.domain.instance import BreakRule, Skill, SolverSettings
from optimizer.domain.schedule import SolveStats
from optimizer.generate import PROFILES, generate_instance
from optimizer.model.options import ShiftOption, agent_options
from optimizer.model.plan import CoverageCosts, repair_allocation, split_groups
from optimizer.model.shifts import break_starts
from optimizer.solve import extract, lns
from optimizer.solve.coverage_state import CoverageState
from optimizer.solve.solver import Budget
from optimizer.timegrid import TimeGrid


def test_under_cost_by_day_prices_each_missing_agent_and_shift() -> None:
    # Nobody scheduled. Day 0: two agents missing at 09-10 (the 1st costs 100, the 2nd 150).
    # Day 1: one missing at 10-11 (100) and one missing 'day' shift at 40.
    demand = [*hourly({9: 2}), *hourly({10: 1})]
    inst = tiny_instance(days=2, demand={"voice": demand}, weights={"under_staffing": [100, 150]},
                         shift_demand=[ShiftDemand(date=START.replace(day=START.day + 1), template="day",
                                                   required=1, under_weight=40)])
    assert CoverageState(inst).under_cost_by_day(2).tolist() == [250, 140]


def test_under_cost_by_day_repeats_the_last_weight_and_ignores_covered_intervals() -> None:
    inst = tiny_instance(days=1, demand={"voice": hourly({9: 4})}, weights={"under_staffing": [100, 150]},
                         templates=[template(breaks=[])])
    assert CoverageState(inst).under_cost_by_day(1).tolist() == [100 + 150 + 150 + 150]
    state = CoverageState(inst)
    state.counts[("voice",)][9] = 5  # over-staffed: no under-staffing cost
    assert state.under_cost_by_day(1).tolist() == [0]


def test_split_groups_lets_the_more_flexible_group_fill_what_the_others_leave() -> None:
    # 10-11: one chat and one e-mail agent required; one voice+chat agent and one
    # chat+e-mail+voice agent working. Only the second can serve e-mail, so the first must take
    # chat: taking the three-skill group first (sorted order) gave it chat and left e-mail short.
    skills = ["voice", "chat", "email"]
    inst = tiny_instance(skills=skills, demand={"chat": hourly({10: 1}), "email": hourly({10: 1})},
                         agents=[agent("a1", skills=["voice", "chat"]), agent("a2", skills=skills)])
    counts = {("chat", "voice"): np.array(hourly({10: 1})), ("chat", "email", "voice"): np.array(hourly({10: 1}))}
    scheduled, split = split_groups(CoverageCosts.of(inst), counts)
    assert (scheduled["chat"][10], scheduled["email"][10], scheduled["voice"][10]) == (1, 1, 0)
    assert split[("chat", "email", "voice")]["email"][10] == 1
    state = CoverageState(inst)
    state.counts.update(counts)
    assert state.marginal_values()[("chat", "voice")][10] == -10  # both needs met: one more is over-staffing


def test_split_groups_gives_the_agent_to_the_costlier_shortage() -> None:
    # One voice+chat agent, one agent missing on each skill: chat's shortage costs more.
    inst = tiny_instance(skills=[Skill(id="voice"), Skill(id="chat", under_staffing_weights=[300])],
                         demand={"voice": hourly({10: 1}), "chat": hourly({10: 1})},
                         agents=[agent("a1", skills=["voice", "chat"])])
    scheduled, _ = split_groups(CoverageCosts.of(inst), {("chat", "voice"): np.array(hourly({10: 1}))})
    assert (scheduled["chat"][10], scheduled["voice"][10]) == (1, 0)
    # A split the solver gave is the starting point: improved where a transfer saves cost ...
    given = {("chat", "voice"): {"chat": hourly({}), "voice": hourly({10: 1})}}
    _, split = split_groups(CoverageCosts.of(inst), {("chat", "voice"): np.array(hourly({10: 1}))}, given)
    assert split[("chat", "voice")]["chat"][10] == 1
    # ... and kept where none does (equal weights: voice or chat cost the same).
    inst = tiny_instance(skills=["voice", "chat"], demand={"voice": hourly({10: 1}), "chat": hourly({10: 1})},
                         agents=[agent("a1", skills=["voice", "chat"])])
    _, split = split_groups(CoverageCosts.of(inst), {("chat", "voice"): np.array(hourly({10: 1}))}, given)
    assert split[("chat", "voice")]["voice"][10] == 1


def test_split_groups_moves_coverage_along_a_chain_of_groups() -> None:
    # One agent of A+B, one of B+C; A and B need one agent each. Given the split (A+B on B, B+C
    # on C), A is short and C over-staffed, and no single group serves both: the transfer passes
    # one agent's worth along the chain C -> B (the B+C agent) -> A (the A+B agent).
    inst = tiny_instance(skills=["A", "B", "C"], demand={"A": hourly({10: 1}), "B": hourly({10: 1})},
                         agents=[agent("a1", skills=["A", "B"]), agent("a2", skills=["B", "C"])])
    one = np.array(hourly({10: 1}))
    given = {("A", "B"): {"A": hourly({}), "B": hourly({10: 1})}, ("B", "C"): {"B": hourly({}), "C": hourly({10: 1})}}
    scheduled, split = split_groups(CoverageCosts.of(inst), {("A", "B"): one, ("B", "C"): one}, given)
    assert (scheduled["A"][10], scheduled["B"][10], scheduled["C"][10]) == (1, 1, 0)
    assert (split[("A", "B")]["A"][10], split[("B", "C")]["B"][10]) == (1, 1)
    # Without a given split the greedy, on a tie, gives both agents to the first skill they share
    # with the shortage; the transfer then finds the optimum as well.
    inst = tiny_instance(skills=["A", "B", "C"], demand={"A": hourly({10: 1}), "B": hourly({10: 1})},
                         agents=[agent("a1", skills=["A", "B"]), agent("a2", skills=["A", "C"])])
    scheduled, _ = split_groups(CoverageCosts.of(inst), {("A", "B"): one, ("A", "C"): one})
    assert (scheduled["A"][10], scheduled["B"][10], scheduled["C"][10]) == (1, 1, 0)


def test_split_groups_from_an_earlier_split_costs_what_the_split_from_scratch_costs() -> None:
    # The incremental marginal values start each split from the previous one; whatever the start
    # (more or fewer agents than now, on any skills), the split reached is optimal: same cost per
    # interval as from scratch, and it splits exactly the agents working.
    skills = ["voice", "chat", "email"]
    rng = random.Random(4)
    demand = {s: [rng.randint(0, 6) for _ in range(24)] for s in skills}
    inst = tiny_instance(skills=skills, demand=demand, agents=[agent("a1", skills=["voice"])])
    costs = CoverageCosts.of(inst)
    groups = [("voice",), ("chat", "voice"), ("chat", "email"), ("chat", "email", "voice")]

    def cost(scheduled: dict[str, np.ndarray]) -> np.ndarray:
        total = np.zeros(24)
        for s in skills:
            missing = costs.required[s] - scheduled[s]
            for k in range(1, 8):
                total += np.where(missing >= k, costs.under[s][:, min(k, costs.under[s].shape[1]) - 1], 0)
            total += np.maximum(0, -missing) * costs.over[s]
        return total

    for _ in range(10):
        counts = {g: np.array([rng.randint(0, 4) for _ in range(24)]) for g in groups}
        start = {g: {s: np.array([rng.randint(0, 3) for _ in range(24)]) for s in g} for g in groups if len(g) > 1}
        fresh, _ = split_groups(costs, counts)
        warm, split = split_groups(costs, counts, start=start)
        assert np.array_equal(cost(warm), cost(fresh))
        for g, by_skill in split.items():
            assert np.array_equal(sum(by_skill.values()), counts[g]) and all((row >= 0).all() for row in by_skill.values())


def test_one_more_single_skill_agent_is_worth_what_the_multi_skill_agent_it_frees_covers() -> None:
    # 10-11: one chat and one voice agent required, one chat+voice agent working (on either).
    # One more chat agent lets the chat+voice agent serve the other skill: it removes a missing
    # agent (100), it does not add an over-staffed one (-10, what the skill alone would say).
    inst = tiny_instance(skills=["voice", "chat"], demand={"voice": hourly({10: 1}), "chat": hourly({10: 1})},
                         agents=[agent("a1", skills=["voice", "chat"]), agent("a2", skills=["chat"]),
                                 agent("a3", skills=["voice"])])
    state = CoverageState(inst)
    state.counts[("chat", "voice")] = np.array(hourly({10: 1}))
    values = state.marginal_values()
    assert (values[("chat",)][10], values[("voice",)][10], values[("chat", "voice")][10]) == (100, 100, 100)
    state.counts[("chat",)] = np.array(hourly({10: 1}))  # both covered now: one more is over-staffing
    values = state.marginal_values()
    assert (values[("chat",)][10], values[("voice",)][10], values[("chat", "voice")][10]) == (-10, -10, -10)


def coverage_cost(state: CoverageState) -> int:
    """Under- plus over-staffing cost of the state's counts at the best split, recomputed."""
    scheduled = state.scheduled()
    over = sum(int(np.maximum(scheduled[s] - state.required[s], 0).sum()) * state.costs.over[s] for s in state.skills)
    return int(state.under_cost_by_day(1).sum()) + over


def test_marginal_values_are_the_exact_coverage_value_of_one_agent_in_a_multi_skill_week() -> None:
    # The sweeps compare an agent's shifts by these values; they must equal what adding the agent
    # changes in the recomputed coverage cost, for single- and multi-skill agents alike.
    inst = generate_instance(dataclasses.replace(PROFILES["multiskill-medium"], agents=30))
    settings = SolverSettings(time_limit_s=20, workers=1, seed=3)
    grid = TimeGrid(inst.horizon)
    options = [agent_options(inst, a, grid) for a in inst.agents]
    built = lns.construct(inst, options, Budget(settings, time.perf_counter()), lambda event: None, SolveStats())
    assert not isinstance(built, str)
    plan = built[0]
    state = CoverageState(inst, plan)
    checked = set()
    for agent_id, shifts in plan.items():
        if not shifts:
            continue
        group = state.group_of[agent_id]
        state.add(agent_id, shifts, -1)
        without = coverage_cost(state)
        value = state.marginal_values()[group]
        estimate = sum(int(value[t]) for shift in shifts.values() for t in shift.working_intervals(grid.step))
        state.add(agent_id, shifts, +1)
        assert estimate == without - coverage_cost(state), agent_id
        checked.add(group)
    assert len(checked) >= 3 and any(len(g) > 1 for g in checked)
    # The values are updated incrementally (only changed intervals): after taking agents out they
    # equal those of a state built from scratch for the same schedule.
    removed = [agent_id for agent_id in list(plan)[::3] if plan[agent_id]]
    for agent_id in removed:
        state.add(agent_id, plan[agent_id], -1)
    rest = {agent_id: shifts for agent_id, shifts in plan.items() if agent_id not in removed}
    incremental, fresh = state.marginal_values(), CoverageState(inst, rest).marginal_values()
    assert removed and all(np.array_equal(incremental[g], fresh[g]) for g in fresh)


def test_an_unchanged_shift_moves_its_published_break_only_when_that_pays_for_the_change() -> None:
    # 15-minute intervals; one 15-minute break, published at 10:00 (interval 40). Values per
    # interval: 10:00 is worth 300 now, 10:30 (interval 42) only 20, so the best placement loses
    # 20 where the published one loses 300.
    rule = BreakRule(name="break", duration_minutes=15, earliest_offset_minutes=60, latest_offset_minutes=180)
    values = [0] * 96
    values[40], values[42] = 300, 20
    windows = lns.BreakWindows(np.array(values), 15)
    published, best = ((rule, 600),), ((rule, 630),)
    assert lns._cheaper_breaks(published, best, 20, windows, move_break=100) == (120, best)
    assert lns._cheaper_breaks(published, best, 20, windows, move_break=400) == (300, published)


def _greedy_breaks_reference(option, template, values, step):  # type: ignore[no-untyped-def]
    """Each break in turn at its cheapest allowed start after the previous one, leaving room for the
    later ones; a window's loss summed interval by interval (nothing past the horizon)."""
    def loss(start: int, duration: int) -> int:
        return sum(values[t] for t in range(start // step, (start + duration) // step) if t < len(values))

    rules = option.break_rules
    allowed = [list(break_starts(option, k, step)) for k in range(len(rules))]
    latest = [a[-1] for a in allowed]
    for k in range(len(rules) - 2, -1, -1):
        latest[k] = min(latest[k], latest[k + 1] - rules[k].duration_minutes - template.min_work_between_breaks_minutes)
    lost, placed, earliest = 0, [], option.start
    for k, rule in enumerate(rules):
        start = min((p for p in allowed[k] if earliest <= p <= latest[k]), key=lambda p: loss(p, rule.duration_minutes))
        lost += loss(start, rule.duration_minutes)
        placed.append((rule, start))
        earliest = start + rule.duration_minutes + template.min_work_between_breaks_minutes
    return lost, tuple(placed)


def test_best_breaks_places_each_break_where_it_loses_least_after_the_previous_one() -> None:
    # Three breaks with work required between them, on a one-day horizon; the last shifts cross the
    # horizon's end (their late breaks lose nothing there).
    rules = (BreakRule(name="first", duration_minutes=15, earliest_offset_minutes=60, latest_offset_minutes=180),
             BreakRule(name="lunch", duration_minutes=60, earliest_offset_minutes=180, latest_offset_minutes=330,
                       min_work_after_minutes=60),
             BreakRule(name="last", duration_minutes=15, earliest_offset_minutes=300, latest_offset_minutes=480,
                       min_work_after_minutes=30))
    tmpl = template(breaks=list(rules), min_work_between_breaks_minutes=90)
    rng = random.Random(5)
    for _ in range(20):
        values = np.array([rng.randint(-40, 60) for _ in range(96)])
        windows = lns.BreakWindows(values, 15)
        for start in range(0, 1440, 75):
            for length in (480, 540):
                option = ShiftOption(day=0, template_id=tmpl.id, start=start, length=length, paid_minutes=length,
                                     break_rules=rules)
                assert lns.best_breaks(option, tmpl, windows) == _greedy_breaks_reference(option, tmpl, values, 15)


def test_short_day_draws_only_days_that_are_short() -> None:
    inst = tiny_instance(days=3, demand={"voice": [*hourly({}), *hourly({}), *hourly({12: 1})]})
    rng = random.Random(1)
    assert {lns.short_day(inst, {}, rng) for _ in range(20)} == {2}
    assert lns.short_day(tiny_instance(days=2), {}, rng) is None


def _constructed_week(time_limit_s: float, workers: int):  # type: ignore[no-untyped-def]
    """A 12-agent multi-skill week, its budget and options, and the construction's schedule with its
    objective."""
    inst = generate_instance(dataclasses.replace(PROFILES["multiskill-medium"], agents=12))
    budget = Budget(SolverSettings(time_limit_s=time_limit_s, workers=workers, seed=3), time.perf_counter())
    grid = TimeGrid(inst.horizon)
    options = [agent_options(inst, a, grid) for a in inst.agents]
    stats = SolveStats()
    built = lns.construct(inst, options, budget, lambda event: None, stats)
    assert not isinstance(built, str)
    plan, allocation = built
    return inst, budget, options, stats, plan, allocation, extract.account(inst, plan, allocation).objective


def _most_at_once(monkeypatch, name: str, pause_s: float = 0.0) -> list[int]:  # type: ignore[no-untyped-def]
    """Wrap `lns.<name>` to count the calls running at the same moment; the returned one-element
    list holds the most seen (reset it to reuse). `pause_s` lets another thread start its call."""
    import threading

    lock, running, most = threading.Lock(), [0], [0]
    original = getattr(lns, name)

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(pause_s)
            return original(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(lns, name, counted)
    return most


def test_best_response_returns_the_exact_objective_of_its_schedule_and_never_a_worse_one() -> None:
    # A multi-skill week: whatever the sweeps keep (they check and undo), the objective they report
    # is recomputed.
    inst, budget, options, stats, plan, allocation, start = _constructed_week(time_limit_s=20, workers=1)
    assert any(len(a.skills) > 1 for a in inst.agents)
    new_plan, new_allocation, objective = lns.best_response(inst, options, dict(plan), start, budget,
                                                            lambda event: None, stats, None)
    assert objective <= start
    assert objective == extract.account(inst, new_plan, new_allocation).objective


def test_best_response_sweeps_give_the_same_schedule_with_each_agent_model_kept(monkeypatch) -> None:
    """The sweeps build each agent's model once and only replace its objective from the second sweep
    on: with one worker (deterministic) that gives the same schedule as building it every time."""
    results, built, sweeps = [], [], []
    original = lns.ScheduleModel

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(lns, "ScheduleModel", counting)
    for models in ({}, None):
        inst, budget, options, stats, plan, allocation, start = _constructed_week(time_limit_s=20, workers=1)
        built.clear()
        events: list = []
        new_plan, _, objective = lns.best_response(inst, options, dict(plan), start, budget, events.append,
                                                   stats, None, models=models)
        results.append((new_plan, objective))
        sweeps.append((len([e for e in events if e.message and e.message.startswith("sweep")]), len(built)))
    assert results[0] == results[1]
    (sweeps_kept, built_kept), (sweeps_each, built_each) = sweeps
    assert sweeps_kept == sweeps_each >= 2
    assert built_kept == len(options) < built_each == sweeps_each * len(options)


def test_sweeps_restart_in_another_order_when_the_neighbourhoods_stall(monkeypatch) -> None:
    """With the probe's gain threshold out of reach, the search restarts the sweeps from the first
    schedule in other orders while there is time; it keeps the best schedule it has seen (never
    worse than the first sweeps'), its trace only goes down, and the schedule passes the validator."""
    from optimizer.solve.solver import build_result
    from optimizer.validate import validate

    monkeypatch.setattr(lns, "RESTART_BELOW_GAIN", 1.0)
    monkeypatch.setattr(lns, "RESTART_PROBE_MIN_S", 0.5)
    ends: list[int] = []
    original = lns.best_response

    def recorded(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = original(*args, **kwargs)
        ends.append(result[2])
        return result

    monkeypatch.setattr(lns, "best_response", recorded)
    inst, budget, options, stats, plan, allocation, start = _constructed_week(time_limit_s=30, workers=1)
    events: list = []
    outcome = lns.solve_lns(inst, options, (plan, allocation), budget, events.append, stats, None)
    restarts = [e for e in events if e.message.startswith("restart") and e.message.endswith("another order")]
    assert len(ends) >= 2 and len(restarts) == len(ends) - 1
    value = extract.account(inst, outcome.plan, outcome.allocation).objective
    assert value <= min(ends)
    trace = [objective for _, objective, _ in stats.progress]
    assert trace == sorted(trace, reverse=True) and trace[-1] >= value  # the final split can only lower it
    result = build_result(inst, outcome.plan, outcome.allocation, outcome.status, outcome.bound, budget, stats)
    assert validate(inst, result).ok


def test_neighbourhoods_run_one_per_worker_and_keep_only_what_improves_the_incumbent(monkeypatch) -> None:
    """Two workers: two sub-solves at a time, each on one CP-SAT worker; whatever comes back from a
    stale incumbent is priced against the current one, so the schedule returned is never worse than
    the one given, its objective is what the steps recorded, and it passes the validator."""
    from optimizer.solve.solver import build_result
    from optimizer.validate import validate

    inst, budget, options, stats, plan, allocation, start = _constructed_week(time_limit_s=6, workers=2)
    most, workers = _most_at_once(monkeypatch, "_solve_submodel"), []
    original_solver = budget.solver

    def solver(limit_s, **kwargs):  # type: ignore[no-untyped-def]
        made = original_solver(limit_s, **kwargs)
        workers.append(made.parameters.num_workers)
        return made

    monkeypatch.setattr(budget, "solver", solver)
    new_plan, new_allocation, objective, _ = lns.improve(inst, options, dict(plan), allocation, start, budget,
                                                      lambda event: None, stats, None)
    assert most[0] == 2
    assert set(workers) == {1}
    # The allocation is the last kept step's split of the multi-skill groups, repaired where a later
    # step moved their agents (as the solver does before it reports).
    final = extract.account(inst, new_plan, repair_allocation(inst, new_plan, new_allocation)).objective
    assert final == objective <= start
    assert [row[1] for row in stats.progress] == sorted((row[1] for row in stats.progress), reverse=True)
    if stats.progress:
        assert stats.progress[-1][1] == final
    result = build_result(inst, new_plan, new_allocation, "feasible", None, budget, stats)
    assert validate(inst, result).ok


def test_construction_solves_one_batch_per_worker_and_schedules_every_agent(monkeypatch) -> None:
    """Two workers and enough batches: two batches at a time, each against the demand left when it
    was drawn; every agent gets a week and the schedule passes the validator. One worker: one batch
    at a time."""
    from optimizer.solve.solver import build_result
    from optimizer.validate import validate

    inst = generate_instance(dataclasses.replace(PROFILES["multiskill-medium"], agents=12))
    grid = TimeGrid(inst.horizon)
    options = [agent_options(inst, a, grid) for a in inst.agents]
    monkeypatch.setattr(lns, "PARALLEL_BATCHES_FROM", 2)
    most = _most_at_once(monkeypatch, "_greedy_batch", pause_s=0.05)
    for workers, expected in ((2, 2), (1, 1)):
        most[0] = 0
        budget = Budget(SolverSettings(time_limit_s=20, workers=workers, seed=3), time.perf_counter())
        stats = SolveStats()
        built = lns.construct(inst, options, budget, lambda event: None, stats)
        assert not isinstance(built, str)
        plan, allocation = built
        assert most[0] == expected
        assert set(plan) == {a.id for a in inst.agents}
        result = build_result(inst, plan, allocation, "feasible", None, budget, stats)
        assert validate(inst, result).ok


def test_one_worker_neighbourhoods_do_not_depend_on_the_wall_clock(monkeypatch) -> None:
    """One worker: a neighbourhood's gain rate (which picks the next kind) is measured on CP-SAT's
    deterministic clock, so a machine that runs at another speed (here: a wall clock that jumps at
    random) records the same rates, takes the same steps and returns the same schedule."""
    inst, budget, options, stats, plan, allocation, start = _constructed_week(time_limit_s=2, workers=1)
    monkeypatch.setattr(lns, "LNS_STEP_MAX_S", 0.2)  # several short steps
    recorded: list[tuple[str, float, float]] = []
    original_record = lns.Neighbourhood.record

    def record(self, gain: float, seconds: float) -> None:  # type: ignore[no-untyped-def]
        recorded.append((self.name, gain, seconds))
        original_record(self, gain, seconds)

    monkeypatch.setattr(lns.Neighbourhood, "record", record)

    def run() -> tuple[dict, list[tuple[str, float, float]]]:
        recorded.clear()
        new_plan, _, _, _ = lns.improve(inst, options, dict(plan), allocation, start,
                                     Budget(budget.settings, time.perf_counter()), lambda event: None, SolveStats(), None)
        return new_plan, list(recorded)

    steady = run()
    rng = random.Random(1)

    class JumpyClock:
        now = 0.0

        @classmethod
        def perf_counter(cls) -> float:
            cls.now += rng.choice((0.001, 5.0))
            return cls.now

    monkeypatch.setattr(lns, "time", JumpyClock)
    assert len(steady[1]) >= 4
    assert run() == steady
