"""Service level in the result: how forecast demand was turned into required agents, and the
service the schedule is predicted to deliver (`SolveResult.derived_demand`,
`SolveResult.service_level`, `Kpis.service_level`).

Predictions use the scheduled agents net of breaks (the coverage), reduced by the forecast's
shrinkage other than breaks to productive agents (``floor(scheduled * (1 - shrinkage))``), and the
same queue models as the requirements: Erlang C (Erlang A with patience) for voice and chat, the
deferred-work backlog for email and back office. Computed by `optimizer.service_level`.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class DemandDerivation(BaseModel):
    """A skill whose demand was given as a forecast, and how its requirement was derived."""

    skill: str
    channel: str
    model: str = Field(description="erlang_c, erlang_a (patience given) or deferred (email, backoffice).")
    targets: dict[str, float] = Field(default_factory=dict, description="The targets set, by name.")
    shrinkage_applied: float = Field(
        default=0.0, description="Shrinkage other than breaks: required = ceil(net / (1 - this)).")
    shrinkage_breaks: float = Field(default=0.0, description="Break shrinkage (reported only: breaks are placed).")
    volume: float = Field(default=0.0, description="Contacts over the horizon.")
    required_agent_hours: float = Field(default=0.0, description="Sum of the derived requirement, agent-hours.")
    required_net_agent_hours: float = Field(default=0.0, description="Productive agent-hours the targets need.")
    peak_required: int = 0
    binding: dict[str, int] = Field(
        default_factory=dict, description="Intervals per target that set the requirement (service_level, asa, "
        "occupancy, abandonment, stability, response_time, none).")
    under_staffing_mode: str = Field(default="head_count", description="How missing agents of this skill are priced.")


class ServiceLevelRow(BaseModel):
    """Predicted service of one skill with a forecast in one interval."""

    skill: str
    interval_start: dt.datetime
    volume: float
    scheduled: int = Field(description="Agents serving the skill, net of breaks (the coverage).")
    productive: int = Field(description="scheduled reduced by the shrinkage other than breaks.")
    service_level: float | None = Field(
        default=None, description="Fraction answered within the threshold (voice, chat).")
    asa_s: float | None = Field(
        default=None, description="Mean wait over offered contacts, seconds (voice, chat); empty when the "
        "queue is overloaded (Erlang C has no steady state).")
    abandonment: float | None = Field(default=None, description="Fraction abandoning (Erlang A; 0 for Erlang C).")
    occupancy: float | None = None
    late_items: float | None = Field(default=None, description="Deferred work: items overdue at the interval end.")
    backlog_end: float | None = Field(default=None, description="Deferred work: items waiting at the interval end.")


class ServiceLevelSummary(BaseModel):
    """Predicted service of a skill (or ``all``: every voice and chat skill) over a day (``period``
    is its date) or the whole horizon (``period`` = ``horizon``). Service level, ASA and
    abandonment are volume-weighted over the intervals (ASA over the intervals where it is finite);
    occupancy is the workload over the productive agent time."""

    skill: str
    period: str
    volume: float
    service_level: float | None = None
    service_level_target: float | None = None
    asa_s: float | None = None
    abandonment: float | None = None
    occupancy: float | None = None
    overloaded_intervals: int = Field(
        default=0, description="Intervals with contacts and no more productive agents than the offered load.")
