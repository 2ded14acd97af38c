"""The roster relaxation bound (benchmarks/roster_bound.py) against optima found by enumeration."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from factories import agent, brute_force, contract, hourly, template, tiny_instance  # noqa: E402

from benchmarks.roster_bound import relax  # noqa: E402


def test_one_agent_facing_at_most_one_missing_agent_gets_the_optimum_as_bound() -> None:
    # One agent and at most one agent required per interval: every cost is linear in the weight of
    # each roster, so the relaxation has an integral optimum and the bound is the optimum itself.
    inst = tiny_instance(demand={"voice": hourly({h: 1 for h in range(9, 17)})},
                         templates=[template(breaks=[])], weights={"labor_cost": 0.0})
    best, _ = brute_force(inst)
    result = relax(inst, dive=True)
    assert result.converged
    assert result.bound == best
    assert result.dive == best
    assert result.dive_valid


@pytest.mark.parametrize("agents, peak", [(2, 2), (3, 3), (3, 1)])
def test_the_bound_never_exceeds_the_optimum_and_the_dive_never_undercuts_it(agents: int, peak: int) -> None:
    demand = hourly({**{h: 1 for h in range(7, 19)}, **{h: peak for h in range(10, 14)}})
    inst = tiny_instance(demand={"voice": demand},
                         templates=[template(earliest_start="07:00", latest_start="11:00", lengths_minutes=(360, 480))],
                         contracts=[contract(min_rest_minutes=0)],
                         agents=[agent(f"a{i}") for i in range(agents)])
    best, _ = brute_force(inst, max_schedules=30_000)
    result = relax(inst, dive=True)
    assert best is not None and result.dive is not None
    assert result.converged
    assert result.bound <= best <= result.dive
    assert result.dive_valid  # the dive's schedule passes the independent validator, objective included
    assert result.bound > 0  # the coverage rows count: without them the bound would be the labor cost alone
