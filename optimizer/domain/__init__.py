"""Domain models: the instance format and the solve result. Imports neither ortools nor numpy."""

from optimizer.domain.instance import (
    Agent,
    BreakRule,
    Contract,
    FieldIssue,
    Horizon,
    Instance,
    InstanceError,
    ShiftTemplate,
    Skill,
    parse_instance,
)
from optimizer.domain.schedule import (
    OBJECTIVE_TERMS,
    Activity,
    Assignment,
    BreakSlot,
    CoverageRow,
    Kpis,
    SolveResult,
    Violation,
)

__all__ = [
    "OBJECTIVE_TERMS",
    "Activity",
    "Agent",
    "Assignment",
    "BreakRule",
    "BreakSlot",
    "Contract",
    "CoverageRow",
    "FieldIssue",
    "Horizon",
    "Instance",
    "InstanceError",
    "Kpis",
    "ShiftTemplate",
    "Skill",
    "SolveResult",
    "Violation",
    "parse_instance",
]
