"""KPIs of a schedule recomputed from its own datetimes, with the independent validator's coverage
(for POST /v1/validate, where no solver accounting exists): the validator's own recomputation,
which `validate` also compares with a result's reported KPIs."""

from __future__ import annotations

from optimizer.validate.kpis import schedule_kpis

__all__ = ["schedule_kpis"]
