"""Requirements: forecast (volume, handle time, targets, shrinkage) -> required agents per interval.

* `erlang` — Erlang B and Erlang C, vectorized over intervals (numpy, log space, no factorials);
* `erlang_a` — Erlang A (exponential patience) after Mandelbaum & Zeltyn;
* `deferred` — email / back-office backlog with a response-time target, carried across intervals;
* `forecast` — the typed forecast row (pydantic), its CSV form and `ForecastError`;
* `compute` — `compute_requirements` (per row: net, scheduled and gross agents, the binding target
  and the service achieved) and `predict_service` (service for a given staffing);
* `plot` — volume, required agents and service level per interval (matplotlib, optional).
"""

from optimizer.requirements.compute import (
    IntervalRequirement,
    Requirements,
    compute_requirements,
    effective_aht,
    infer_interval_minutes,
    predict_service,
)
from optimizer.requirements.deferred import DeferredResult, deferred_required
from optimizer.requirements.erlang import (
    QueueMetrics,
    RequiredAgents,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    erlang_c_required,
    offered_load,
)
from optimizer.requirements.erlang_a import erlang_a_metrics, erlang_a_required
from optimizer.requirements.forecast import (
    ForecastError,
    ForecastRow,
    Shrinkage,
    Targets,
    parse_forecast_rows,
    read_forecast_csv,
)

__all__ = [
    "DeferredResult",
    "ForecastError",
    "ForecastRow",
    "IntervalRequirement",
    "QueueMetrics",
    "RequiredAgents",
    "Requirements",
    "Shrinkage",
    "Targets",
    "compute_requirements",
    "deferred_required",
    "effective_aht",
    "erlang_a_metrics",
    "erlang_a_required",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
    "erlang_c_required",
    "infer_interval_minutes",
    "offered_load",
    "parse_forecast_rows",
    "predict_service",
    "read_forecast_csv",
]
