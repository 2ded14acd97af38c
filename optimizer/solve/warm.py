"""Re-optimization's warm start: the published roster as the first schedule.

Each agent's published week is kept as it is when it still satisfies every hard rule of the new
instance (checked by that agent's own model with the published shifts and breaks fixed); agents
whose week no longer does (rules changed, time off added, shifts no longer allowed) and agents
without a published week (joined) are scheduled afresh by the construction. The notes say which
and why, in planner words.

Tried and left out: starting from a cold re-solve instead, its weeks handed to the agents whose
published weeks they resemble most (a minimum-cost matching within each group of agents with the
same contract, skills, availability, time off and locks). On multiskill-medium after the forecast
change of benchmarks/reoptimization.py (60 s, 2 workers, seed 1, 2026-11-29) the matching only
brought the cold roster's changed agent-days from 779 to 724 (564 of them start moves: the cold
roster places shifts differently, not on other days). The re-optimization from it ended at 61.3
under-staffed agent-hours (the cold re-solve itself: 59.3) with 566 agent-days changed and an
objective of 274,673; from the published roster, 80.8 h, 235 agent-days and 207,375 (the run in
benchmarks/RESULTS.md, where the cold re-solve had 54.2 h).
Also left out (same instance and change, 2 workers, 2026-11-29): ruin and recreate from the
re-optimized roster (10 agents dropped, half of them off on Tuesday or Thursday, rebuilt by the
construction's batches, which price changes): 187 rebuilds in 60 s, none better (218,071-227,793
against 212,433), as the greedy batches fall short of what the best-response sweeps converged to.
What limits the search from the published roster is not time: with every change costing 1 it
reached 60.75 under-staffed agent-hours after 300 s (402 agent-days changed), where the cold
re-solve reaches 54-58 in 60 s. Nor does raising the change costs during the search help (every
change at cost 1 for 30 s, 67.75 h and 409 agent-days changed, then the real costs for 30 s from
there): it ended at 229,637 (72.25 h, 369 agent-days), worse than 207,375-212,433 from the
published roster, since the sweeps at the real costs keep most of the first phase's changes.
Also left out (same instance and change, 2 workers, seed 1, 2026-11-29): a crossover of the
published roster and a cold re-solve (60 s; 53.5 h, 795 agent-days changed). The engine's search
ran 60 s from the published roster, with each agent-day allowed only the agent's published shift,
its cold shift or no shift. Its coverage matches the cold re-solve's, but not at a third of its
changes. With the cold weeks first matched to the agents as above (shift changes 746 -> 633), every
change costing 1 ended at 51.75 h with 476 agent-days changed, and the change costs x 0.03 at
50.5-53.0 h with 427-451. With those costs and a break move at 100 (break moves had been 127-186
of the changed agent-days), it ended at 57.75 h with 363. Unmatched, every change costing 1 ended at
54.0 h with 454, and the default costs at 90.5 h with 306 (objective 204,570). Moves of start
times, not shifts on other days, make most of those changes. It also needs the cold re-solve first, so it
takes twice the time limit. Allowing the cold shifts only on Tuesday and Thursday, the days whose
demand rose, kept the other days close to the published roster (295-315 agent-days changed, most of
them break moves), but coverage got worse: 82.25-86.5 h, with 22-23 shifts added. So the cold
roster's Tuesday and Thursday shifts do not carry its coverage without the rest of its weeks.
Nor does restricting where the search may change the published roster (same instance and change,
60 s, 2 workers, seed 1, 2026-11-29; the unrestricted search that day: 83.0 h, 211 agent-days,
objective 204,098). With Tuesday and Thursday free and every other day kept or emptied, it ended at
92.0 h with 199 (objective 203,192); with Saturday free too, 89.5 h with 207 (202,308); with the
other days' shifts also allowed to start up to an hour off, 81.25 h with 223 (202,542). The
objective improves a little, the under-staffing does not: the full-time contracts work exactly 5
(or 4) days with two consecutive days off, so a shift added on a short day removes one elsewhere.
Pricing break moves at 100 instead of 20: 85.75 h with 188; and with the other change costs
halved as well, 66.5 h with 308 (scaled x 0.5 in benchmarks/RESULTS.md: 71.0 h with 281).
Nor does choosing the days first: a small model picked each agent's weekly on/off pattern (its
contract's day count, consecutive days and days off, availability), paying per changed day and per
hour below the cold re-solve's paid hours of each day; then construction and the search, with every
agent held to its pattern (published weeks kept where the pattern is unchanged). With 40-42 days
changed (18-19 agents; Tuesday 133 shifts and Thursday 129-130, the cold re-solve 138 and 131) it
ended at 84.75 h with 247 agent-days changed and 85.75 h with 238 (objectives 213,478 and 214,027),
with a changed day priced at 1 and 0.3 agent-hours; at 8 the model changed nothing (124.75 h, 172).
Every kind of change at one price per changed agent-day, which is what the target counts (60 s,
2 workers, seed 1, 2026-11-29): 0.5 agent-h 95.0 h with 129 agent-days changed, 0.25 66.75 h with
279 (300 s: 67.5 h with 256), 0.125 64.5 h with 304; the same frontier as the scaled defaults. From
that 300 s roster, one CP-SAT model in which every Tuesday and Thursday option is free and every
other day keeps its shift (or drops it) got to 66.5 h with 251 at the same price and 63.0 h with
292 with changes there at 1 (120 s, 2 workers): Tuesday and Thursday stay 15-16 h short each with
136 and 128 shifts, where the cold re-solve is 8.5 and 8.0 h short with 138 and 131; the other days
are about as short as the cold re-solve's (33.7 against 37.1 h). Days fixed first to the cold
re-solve's paid hours per day, at that price: 87.0 h with 211, and 94.75 h with 677. The crossover
above (cold weeks matched) at one price per change: 0.2 agent-h 71.75 h with 253, 0.1 83.25 h with
287; as one CP-SAT model with at most 263 changes, 151.0 h after 180 s (too slow to tell).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from optimizer.domain.instance import Instance
from optimizer.domain.schedule import Assignment, SolveResult
from optimizer.model.builder import HARD_FAMILIES, ScheduleModel
from optimizer.model.options import AgentOptions
from optimizer.model.plan import AgentPlan, PlacedShift, Plan
from optimizer.model.shifts import break_starts
from optimizer.timegrid import TimeGrid
from optimizer.validate.rules import check_hard_rules, local_result

if TYPE_CHECKING:
    from optimizer.solve.solver import Budget


def published_plan(instance: Instance, options: list[AgentOptions], budget: Budget) -> tuple[Plan, list[str]]:
    """(the agents whose published week is still feasible -> that week, notes on the others)."""
    baseline = instance.baseline
    if baseline is None:
        return {}, []
    grid = TimeGrid(instance.horizon)
    plan: Plan = {}
    notes: list[str] = []
    agent_ids = {a.id for a in instance.agents}
    left = sorted({a.agent_id for a in baseline.assignments} - agent_ids)
    if left:
        notes.append(f"published shifts of {len(left)} agent(s) no longer in the instance are dropped: "
                     f"{', '.join(left[:10])}{' ...' if len(left) > 10 else ''}")
    first, last = instance.horizon.start_date, instance.horizon.date_of_day(instance.horizon.days - 1)
    horizon_start = dt.datetime.combine(first, dt.time())
    if baseline.freeze_until is not None and (freeze := baseline.freeze_until.replace(tzinfo=None)) <= horizon_start:
        when = "when" if freeze == horizon_start else "before"
        notes.append(f"the freeze ({baseline.freeze_until:%Y-%m-%d %H:%M}) ends {when} the horizon starts ({first}): "
                     "nothing is frozen")
    outside = [a for a in baseline.assignments if a.agent_id in agent_ids and not first <= a.date <= last]
    if outside:
        notes.append(f"{len(outside)} published shift(s) lie outside the horizon ({first} to {last}) and are "
                     f"not compared: {', '.join(sorted({str(a.date) for a in outside})[:5])}"
                     f"{' ...' if len({a.date for a in outside}) > 5 else ''}")
    joined = []
    for agent_options in options:
        agent_id = agent_options.agent.id
        rows = [a for a in baseline.assignments if a.agent_id == agent_id]
        if not rows:
            joined.append(agent_id)
            continue
        week, problem = _match(instance, agent_options, rows, grid)
        if problem is None and not _feasible(instance, agent_options, week, budget):
            problem = f"breaks a rule of the new instance ({_broken_rules(instance, agent_id, rows)})"
        if problem is None:
            plan[agent_id] = week
        else:
            notes.append(f"{agent_id}'s published week {problem}; the agent is scheduled afresh")
    if joined:
        notes.append(f"{len(joined)} agent(s) without published shifts are scheduled afresh: "
                     f"{', '.join(joined[:10])}{' ...' if len(joined) > 10 else ''}")
    return plan, notes


def _broken_rules(instance: Instance, agent_id: str, rows: list[Assignment]) -> str:
    """In planner words, which hard rules the published week breaks: the independent validator's
    first messages about that agent (its checks see the week as a schedule, the model only says
    "infeasible"); a generic phrase when none of its checks names one (a lock, for instance)."""
    first, last = instance.horizon.start_date, instance.horizon.date_of_day(instance.horizon.days - 1)
    week = [row for row in rows if first <= row.date <= last]
    schedule = local_result(instance, SolveResult(instance=instance.name, status="feasible", assignments=week))
    messages = list(dict.fromkeys(v.message for v in check_hard_rules(instance, schedule.assignments)
                                  if v.agent_id == agent_id))
    if not messages:
        return "contract limits, rest, sequences or locks"
    more = f"; and {len(messages) - 2} more" if len(messages) > 2 else ""
    return "; ".join(messages[:2]) + more


def _match(instance: Instance, agent_options: AgentOptions, rows: list, grid: TimeGrid) -> tuple[AgentPlan, str | None]:
    week: AgentPlan = {}
    step = instance.horizon.interval_minutes
    for row in rows:
        if not instance.horizon.start_date <= row.date <= instance.horizon.date_of_day(instance.horizon.days - 1):
            continue  # history before or after the horizon
        day = instance.horizon.day_of_date(row.date)
        start, end = grid.minute(row.start), grid.minute(row.end)
        option = next((o for o in agent_options.by_day.get(day, [])
                       if (o.template_id, o.start, o.end) == (row.template_id, start, end)), None)
        if option is None:
            return {}, f"has a shift of template {row.template_id} on {row.date} that is no longer allowed"
        starts = {b.name: grid.minute(b.start) for b in row.breaks}
        breaks = []
        for k, rule in enumerate(option.break_rules):
            at = starts.get(rule.name)
            if at is None:
                return {}, f"has no {rule.name} on {row.date}, which its {row.template_id} shift now requires"
            if at not in break_starts(option, k, step):
                return {}, f"has its break {rule.name} on {row.date} where it is no longer allowed"
            breaks.append((rule, at))
        week[day] = PlacedShift(option=option, breaks=tuple(breaks))
    return week, None


def _feasible(instance: Instance, agent_options: AgentOptions, week: AgentPlan, budget: Budget) -> bool:
    """Whether the week satisfies every hard rule of the agent's: its own model with each day's
    options cut down to the week's shift (pinned days are the published shifts anyway), so the
    check is a model of a few Booleans (the 150 published weeks of multiskill-medium: 6.4 s with
    every option built and fixed, 1.1 s this way)."""
    restricted = AgentOptions(agent=agent_options.agent, by_day={
        day: [shift.option] if (shift := week.get(day)) is not None else [] for day in agent_options.by_day})
    m = ScheduleModel(instance, [restricted], families=HARD_FAMILIES)
    agent_vars = m.agents[agent_options.agent.id]
    for day, day_vars in agent_vars.days.items():
        shift = week[day]
        m.model.add(day_vars.works == 1)
        for rule, start in shift.breaks:
            m.model.add(day_vars.breaks[(shift.option.template_id, rule.name)][start] == 1)
    solver = budget.solver(2.0, workers=1)
    status = solver.solve(m.model)
    budget.charge(solver, m.num_variables + m.num_constraints)
    return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
