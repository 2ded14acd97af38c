"""Demand given as a forecast, inside the instance (`SkillDemand.forecast`).

Instead of required agents per interval, a skill's demand row may carry what planners start
from: contacts arriving per interval (``volume``), the average handle time and the targets
(service level within a threshold, ASA, maximum occupancy, patience and abandonment, chat
concurrency, the response time of deferred work) and the shrinkage. The engine turns it into
required agents per interval before any model is built (`optimizer.requirements.demand`), with
the same models as `wfm requirements`:

* the queue model follows the skill's ``channel``: voice (Erlang C, or Erlang A when
  ``patience_s`` is given), chat (the same with the effective handle time
  ``aht_s / (concurrency * concurrency_efficiency)``; ``concurrency`` defaults to the skill's),
  email and backoffice (the deferred-work backlog with ``response_time_s``);
* the requirement is ``required_scheduled``: the productive agents the targets need, grossed up by
  the shrinkage *other than breaks* (``ceil(net / (1 - training - absence - other))``), because the
  engine places breaks itself and counts coverage net of them. ``shrinkage.breaks`` is reported
  only.

Only the types are checked here (this package imports no numpy); ranges and combinations (a
negative volume, a zero handle time, a target above 100%, a target no number of agents reaches)
are checked by the requirements module when the instance is parsed, and reported with the
field path (``demand[0].forecast.volume[37]: must not be negative (got -3.0)``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from optimizer.domain.inputs import FrozenInputModel

UnderStaffingMode = Literal["head_count", "service_level"]
"""How missing agents are priced: ``head_count`` by the under-staffing weights (the k-th missing
agent of any interval costs the k-th weight); ``service_level`` by the service level they cost,
from the Erlang curve of each interval (see `optimizer.domain.schedule`)."""

MAX_CONCURRENCY = 100
"""Most chats an agent can handle at once: far above real chat desks (a few) and asynchronous
messaging (a few dozen); beyond it a typo (10**30) made any volume need one agent."""
FORECAST_CHANNELS = ("voice", "chat", "email", "backoffice")
QUEUE_CHANNELS = ("voice", "chat")


class ForecastTargets(FrozenInputModel):
    """What the staffing must achieve in every interval; unset targets do not constrain. Voice and
    chat need at least one of service_level, asa_s, max_occupancy, max_abandonment; email and
    backoffice need response_time_s."""

    service_level: float | None = Field(
        default=None, description="Fraction of offered contacts answered within threshold_s (0 <= x < 1).")
    threshold_s: float = Field(default=20.0, description="Service-level threshold, seconds.")
    asa_s: float | None = Field(default=None, description="Maximum average speed of answer, seconds.")
    max_occupancy: float | None = Field(default=None, description="Maximum occupancy (0 < x <= 1).")
    patience_s: float | None = Field(
        default=None, description="Mean patience, seconds: when given, Erlang A (abandonment).")
    max_abandonment: float | None = Field(
        default=None, description="Maximum fraction of offered contacts abandoning (needs patience_s).")
    concurrency: int | None = Field(
        default=None, ge=1, le=MAX_CONCURRENCY, description="Chats an agent handles at once (chat; default: the skill's concurrency).")
    concurrency_efficiency: float = Field(
        default=1.0, description="Share of the concurrency actually used (chat, 0 < x <= 1).")
    response_time_s: float | None = Field(
        default=None, description="Email and backoffice: every item finished within this time, seconds.")


class ForecastShrinkage(FrozenInputModel):
    """Shares of paid time in which agents take no contacts; they add up. The requirement is grossed
    up by all but ``breaks`` (the engine places breaks itself)."""

    breaks: float = 0.0
    training: float = 0.0
    absence: float = 0.0
    other: float = 0.0


class DemandForecast(FrozenInputModel):
    """A skill's forecast: contacts and handle time per interval of the horizon, targets, shrinkage."""

    volume: list[float] = Field(description="Contacts arriving in each interval of the horizon (>= 0).")
    aht_s: float | list[float] = Field(
        description="Average handle time, seconds (> 0): one value, or one per interval of the horizon.")
    targets: ForecastTargets = Field(default_factory=ForecastTargets)
    shrinkage: ForecastShrinkage = Field(default_factory=ForecastShrinkage)

    def aht_at(self, interval: int) -> float:
        return self.aht_s if isinstance(self.aht_s, float | int) else self.aht_s[interval]
