"""Example bodies for the OpenAPI documentation (also used by the tests and the load benchmark)."""

from __future__ import annotations

import copy
from typing import Any

_DEMAND = [0] * 7 + [1, 2, 3, 3, 3, 2, 3, 3, 3, 2, 1] + [0] * 6

TINY_INSTANCE: dict[str, Any] = {
    "name": "tiny",
    "description": "One day of 60-minute intervals, one voice queue, three agents.",
    "horizon": {"start_date": "2026-03-02", "days": 1, "interval_minutes": 60, "timezone": "Europe/Amsterdam"},
    "skills": [{"id": "voice", "channel": "voice"}],
    "demand": [{"skill": "voice", "required": _DEMAND}],
    "templates": [{
        "id": "day", "earliest_start": "07:00", "latest_start": "10:00", "start_step_minutes": 60,
        "lengths_minutes": [480], "cost_per_shift": 5.0,
        "breaks": [{"name": "lunch", "duration_minutes": 60, "earliest_offset_minutes": 180,
                    "latest_offset_minutes": 300}],
    }],
    "contracts": [{"id": "ft", "max_paid_minutes": 2400}],
    "agents": [
        {"id": "a1", "contract": "ft", "skills": [{"skill": "voice"}], "cost_per_hour": 20.0},
        {"id": "a2", "contract": "ft", "skills": [{"skill": "voice"}], "cost_per_hour": 20.0},
        {"id": "a3", "contract": "ft", "skills": [{"skill": "voice"}], "cost_per_hour": 22.0,
         "preferences": {"start_window": {"earliest": "09:00", "latest": "10:00", "weight": 2}}},
    ],
    "solver": {"time_limit_s": 5, "workers": 1, "seed": 0},
}


def tiny_instance(**changes: Any) -> dict[str, Any]:
    """A deep copy of `TINY_INSTANCE` with top-level fields replaced."""
    data = copy.deepcopy(TINY_INSTANCE)
    data.update(changes)
    return data


def broken_instance() -> dict[str, Any]:
    data = tiny_instance()
    data["agents"][1]["contract"] = "ft40"
    data["demand"][0]["required"][3] = -1
    return data


JOB_EXAMPLES: dict[str, dict[str, Any]] = {
    "tiny": {
        "summary": "A tiny instance with its own solver settings",
        "value": {"instance": TINY_INSTANCE},
    },
    "overrides": {
        "summary": "Override the instance's solver settings (capped by the server)",
        "value": {"instance": TINY_INSTANCE, "settings": {"time_limit_s": 2, "workers": 1, "seed": 7}},
    },
}


VALIDATE_EXAMPLE: dict[str, Any] = {
    "instance": TINY_INSTANCE,
    "schedule": {
        "instance": "tiny",
        "status": "feasible",
        "assignments": [{
            "agent_id": "a1", "date": "2026-03-02", "start": "2026-03-02T09:00:00", "end": "2026-03-02T17:00:00",
            "template_id": "day", "paid_minutes": 420,
            "breaks": [{"name": "lunch", "start": "2026-03-02T12:00:00", "end": "2026-03-02T13:00:00", "paid": False}],
        }],
    },
}
