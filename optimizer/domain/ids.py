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

INT_MAX = 10_000_000
"""Upper bound of the instance's plain integers (minutes, days, counts): far above any real value,
and low enough that products of them with weights stay inside CP-SAT's 64-bit integers."""
NonNegInt = Annotated[int, Field(ge=0, le=INT_MAX)]
PositiveInt = Annotated[int, Field(gt=0, le=INT_MAX)]
HEADCOUNT_MAX = 100_000
Headcount = Annotated[int, Field(ge=0, le=HEADCOUNT_MAX)]
"""Agents required in one interval, or shifts of one type on one day (the most that requirements
from a forecast may ask for, `optimizer.requirements.erlang.DEFAULT_MAX_AGENTS`)."""
MONEY_MAX = 1_000_000.0
Money = Annotated[float, Field(ge=0, le=MONEY_MAX, allow_inf_nan=False)]
"""A cost per hour or per shift, or a multiplier on them: finite, and small enough that the scaled
integer costs of a whole horizon fit CP-SAT's 64-bit objective."""
Weight = Annotated[int, Field(ge=0, le=10_000_000)]
"""Objective weights are non-negative integers: CP-SAT optimizes integer objectives, and the
validator must be able to recompute the objective exactly."""

TimeOfDay = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
"""Wall-clock time of day, "HH:MM"."""


def time_of_day_minutes(value: str) -> Minute:
    """Minutes since midnight of an "HH:MM" string."""
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)
