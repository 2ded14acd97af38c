"""Identifier and unit aliases used across the domain, so signatures say what a value means."""

from typing import Annotated

from pydantic import Field, StringConstraints

AgentId = str
SkillId = str
TemplateId = str
ContractId = str

Minute = int
"""Integer minutes; inside the engine, minutes from the start of the horizon."""

Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$"),
]
"""Ids are short, printable and safe in file names and CP-SAT variable names."""

NonNegInt = Annotated[int, Field(ge=0)]
PositiveInt = Annotated[int, Field(gt=0)]
Weight = Annotated[int, Field(ge=0, le=10_000_000)]
"""Objective weights are non-negative integers: CP-SAT optimizes integer objectives, and the
validator must be able to recompute the objective exactly."""

TimeOfDay = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
"""Wall-clock time of day, "HH:MM"."""


def time_of_day_minutes(value: str) -> Minute:
    """Minutes since midnight of an "HH:MM" string."""
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)
