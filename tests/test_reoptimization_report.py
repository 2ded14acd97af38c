"""The re-optimization benchmark's summary over seeds (benchmarks/reoptimization.py), from made-up runs."""

from pathlib import Path

from benchmarks.reoptimization import Outcome, repeats_section, with_uniform_change_costs
from optimizer.domain.baseline import DEFAULT_CHANGE_HOURS, change_weights_of
from optimizer.domain.instance import parse_instance
from optimizer.io import load_instance

INSTANCES = Path(__file__).resolve().parent.parent / "instances"


def test_each_run_is_judged_on_its_own_and_the_medians_are_shown():
    outcomes = [
        Outcome(seed=1, cold_under=56.0, cold_changed=791, warm_under=81.0, warm_changed=244),  # few changes, short
        Outcome(seed=2, cold_under=50.0, cold_changed=600, warm_under=50.5, warm_changed=150),  # both targets
        Outcome(seed=3, cold_under=60.0, cold_changed=700, warm_under=60.0, warm_changed=300),  # too many changes
    ]
    assert outcomes[0].ratio == 244 / 791
    assert abs(outcomes[0].under_vs_cold - 25 / 56) < 1e-12
    lines = repeats_section(outcomes)
    assert "| 1 | 56.0 | 791 | 81.0 | 244 | 0.31 | +44.6% |" in lines
    assert "| 3 | 60.0 | 700 | 60.0 | 300 | 0.43 | +0.0% |" in lines
    assert "| median | 56.0 | 700 | 60.0 | 244 | 0.31 | +1.0% |" in lines
    # The change target holds in seeds 1 and 2; both targets together only in seed 2 (seed 3's
    # under-staffing matches the cold re-solve's, but with too many changes).
    assert ("| re-optimized changes at most a third of the cold re-solve's agent-days | **not met** "
            "(met in 2 of 3 runs: seed 1, 2) |") in lines
    assert "| ... at under-staffing within 2% of the cold re-solve | **not met** (met in 1 of 3 runs: seed 2) |" in lines


def test_a_target_met_in_every_run_says_met():
    lines = repeats_section([Outcome(seed=4, cold_under=50.0, cold_changed=600, warm_under=50.0, warm_changed=100),
                             Outcome(seed=5, cold_under=50.0, cold_changed=600, warm_under=40.0, warm_changed=200)])
    assert "| ... at under-staffing within 2% of the cold re-solve | met (in every run: seed 4, 5) |" in lines


def test_a_target_met_in_no_run_names_no_seed():
    lines = repeats_section([Outcome(seed=1, cold_under=50.0, cold_changed=600, warm_under=80.0, warm_changed=400)])
    assert "| re-optimized changes at most a third of the cold re-solve's agent-days | **not met** (met in 0 of 1 runs) |" in lines


def test_uniform_change_costs_price_every_kind_of_change_alike_in_agent_hours():
    demo = load_instance(INSTANCES / "demo-small.json")
    data = demo.model_dump(mode="json")
    data["weights"]["under_staffing"] = [30, *data["weights"]["under_staffing"][1:]]  # 120 per agent-hour
    instance = parse_instance({**data, "baseline": {"weights": {"move_break": 7}}})
    weights = change_weights_of(with_uniform_change_costs(instance, 0.25)).model_dump()
    assert weights == dict.fromkeys(DEFAULT_CHANGE_HOURS, 30)
    assert change_weights_of(instance).move_break == 7  # the instance itself is left as it was
    assert set(change_weights_of(with_uniform_change_costs(instance, 0.001)).model_dump().values()) == {1}
