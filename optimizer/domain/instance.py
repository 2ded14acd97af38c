"""The instance format: everything a solve needs, as pydantic v2 models read from JSON.

Time conventions (the validator and the model both rely on them):

* All times are local wall-clock times in `horizon.timezone`; days are 24 h long (daylight-saving
  transitions are not modelled).
* Every duration, offset, start step and earliest start is a multiple of
  `horizon.interval_minutes`, so a shift, a break or an activity covers whole intervals.
* A shift belongs to the date on which it starts. It may cross midnight and may end after the
  horizon; time after the horizon end is paid but covers no demand.
* Demand exists for the intervals of the horizon only.

Structural checks (types, ranges) are pydantic's; checks that need the whole instance (unknown
references, impossible windows, demand of the wrong length) live in `reference_errors` and are
run by `parse_instance`, which raises `InstanceError` with one `FieldIssue` per problem, each
naming its field path: ``agents[12].contract: unknown contract 'ft40'``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Iterator
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field, ValidationError, field_validator

from optimizer.domain.baseline import Baseline
from optimizer.domain.forecast import (
    FORECAST_CHANNELS,
    MAX_CONCURRENCY,
    QUEUE_CHANNELS,
    DemandForecast,
    UnderStaffingMode,
)
from optimizer.domain.ids import (
    Headcount,
    Identifier,
    Money,
    NonNegInt,
    PositiveInt,
    TimeOfDay,
    Weight,
    time_of_day_minutes,
)
from optimizer.domain.inputs import FrozenInputModel
from optimizer.domain.schedule import Assignment

IntervalMinutes = Literal[5, 10, 15, 30, 60]
INTERVAL_MINUTES: tuple[int, ...] = get_args(IntervalMinutes)
"""The interval lengths an instance may use (they divide the day and the hour)."""

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

SoftContractRule = Literal[
    "min_paid_minutes",
    "max_paid_minutes",
    "min_working_days",
    "max_working_days",
    "max_working_weekends",
    "max_start_variation_minutes",
]
"""Contract rules that an instance may make soft. Penalty per unit of violation: per minute for
the minute rules, per day for the day rules, per weekend for the weekend rule."""


class Horizon(FrozenInputModel):
    """The planning period: `days` whole days from `start_date`, cut into equal intervals."""

    start_date: dt.date
    days: int = Field(ge=1, le=62)
    interval_minutes: IntervalMinutes = 15
    timezone: str = "UTC"
    cyclic: bool = Field(
        default=False,
        description="The period repeats (shift design of a recurring week): time past the end of "
        "the horizon wraps to its beginning, so a shift running past the end covers the first "
        "intervals. Supported in shift design (`design`) only.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a name too long for a file
            shown = value if len(value) <= 60 else value[:60] + "..."  # a name echoed in full can fill a screen
            raise ValueError(f"unknown time zone '{shown}'") from exc
        return value

    @property
    def intervals_per_day(self) -> int:
        return 1440 // self.interval_minutes

    @property
    def num_intervals(self) -> int:
        return self.days * self.intervals_per_day

    @property
    def minutes(self) -> int:
        return self.days * 1440

    def date_of_day(self, day: int) -> dt.date:
        return self.start_date + dt.timedelta(days=day)

    def day_of_date(self, date: dt.date) -> int:
        return (date - self.start_date).days

    def weekday_of_day(self, day: int) -> Weekday:
        return WEEKDAYS[self.date_of_day(day).weekday()]


class Skill(FrozenInputModel):
    """A queue or channel that agents serve. Optional per-skill overrides of the coverage weights."""

    id: Identifier
    name: str = ""
    channel: Literal["voice", "chat", "email", "backoffice", "other"] = "voice"
    concurrency: int = Field(default=1, ge=1, le=MAX_CONCURRENCY, description="Contacts an agent handles at once (chat).")
    under_staffing_weights: list[Weight] | None = Field(
        default=None,
        min_length=1,
        description="Overrides `weights.under_staffing` for this skill.",
    )
    over_staffing_weight: Weight | None = Field(
        default=None, description="Overrides `weights.over_staffing` for this skill."
    )
    under_staffing_mode: UnderStaffingMode | None = Field(
        default=None,
        description="Overrides `weights.under_staffing_mode` for this skill ('service_level' needs a "
        "voice or chat forecast).",
    )


class SkillDemand(FrozenInputModel):
    """Demand of one skill: `required` agents, one number per interval of the horizon, or a
    `forecast` (volume, handle time, targets, shrinkage) from which the engine derives them
    (`optimizer.domain.forecast`). Exactly one of the two."""

    skill: Identifier
    required: list[Headcount] | None = None
    forecast: DemandForecast | None = None


class ShiftDemand(FrozenInputModel):
    """Cover per shift type and day (as in hospital rostering): how many shifts of `template`
    should start on `date`. Soft: each missing shift costs `under_weight`, each extra one
    `over_weight`."""

    date: dt.date
    template: Identifier
    required: Headcount
    under_weight: Weight = 100
    over_weight: Weight = 1


class BreakRule(FrozenInputModel):
    """One break or lunch of a shift. Its start lies `earliest_offset_minutes` to
    `latest_offset_minutes` after the shift start (inclusive, on the interval grid), and it ends
    at least `min_work_after_minutes` before the shift ends (for short shifts that cuts the
    window). It applies to shifts of at least `min_shift_minutes`."""

    name: Identifier
    duration_minutes: PositiveInt
    paid: bool = False
    earliest_offset_minutes: NonNegInt
    latest_offset_minutes: NonNegInt
    min_shift_minutes: NonNegInt = 0
    min_work_after_minutes: NonNegInt = Field(
        default=0,
        description="The break ends at least this many minutes before the shift ends (0: it only "
        "has to end inside the shift).",
    )


class ShiftTemplate(FrozenInputModel):
    """A family of shifts: start between `earliest_start` and `latest_start` (times of day, both
    inclusive) every `start_step_minutes`, one of `lengths_minutes` long, on `days` (all when
    omitted). Breaks are placed in the order listed, with at least
    `min_work_between_breaks_minutes` of work between two breaks."""

    id: Identifier
    name: str = ""
    earliest_start: TimeOfDay
    latest_start: TimeOfDay
    start_step_minutes: PositiveInt = 15
    lengths_minutes: list[PositiveInt] = Field(min_length=1)
    days: list[Weekday] | None = None
    cost_per_shift: Money = 0.0
    breaks: list[BreakRule] = Field(default_factory=list)
    min_work_between_breaks_minutes: NonNegInt = 0

    @property
    def earliest_start_minute(self) -> int:
        return time_of_day_minutes(self.earliest_start)

    @property
    def latest_start_minute(self) -> int:
        return time_of_day_minutes(self.latest_start)

    def start_minutes_of_day(self) -> list[int]:
        """Allowed start times, as minutes after midnight."""
        return list(
            range(self.earliest_start_minute, self.latest_start_minute + 1, self.start_step_minutes)
        )

    def allowed_on(self, weekday: Weekday) -> bool:
        return self.days is None or weekday in self.days

    def breaks_for_length(self, length_minutes: int) -> list[BreakRule]:
        """The break rules that apply to a shift of this length, in placement order."""
        return [rule for rule in self.breaks if length_minutes >= rule.min_shift_minutes]

    def paid_minutes(self, length_minutes: int) -> int:
        unpaid = sum(r.duration_minutes for r in self.breaks_for_length(length_minutes) if not r.paid)
        return length_minutes - unpaid


class Contract(FrozenInputModel):
    """Labor rules for the agents on this contract, over the whole horizon.

    Rules are hard unless listed in `soft` with a weight (see `SoftContractRule` for which can be).
    A working day is a date on which a shift starts. A weekend is a Saturday and the Sunday after
    it inside the horizon (a lone Sunday on the first day or a lone Saturday on the last day is a
    weekend too); it is worked when a shift starts on either. Rest is measured from the
    end of one shift to the start of the next. A run of days off counts towards
    `min_consecutive_days_off` only when it lies between two working days; likewise a run of
    working days counts towards `min_consecutive_working_days` only when it lies between two days off.
    """

    id: Identifier
    name: str = ""
    min_paid_minutes: NonNegInt = 0
    max_paid_minutes: NonNegInt | None = None
    min_working_days: NonNegInt = 0
    max_working_days: NonNegInt | None = None
    max_consecutive_working_days: PositiveInt | None = None
    min_consecutive_working_days: NonNegInt = Field(
        default=0,
        description="Every run of working days lasts at least this many days, except a run that "
        "touches the first or last day of the horizon (it may continue outside it).",
    )
    min_consecutive_days_off: NonNegInt = 0
    min_rest_minutes: NonNegInt = 0
    max_working_weekends: NonNegInt | None = None
    max_shifts_per_template: dict[Identifier, NonNegInt] = Field(default_factory=dict)
    forbidden_successions: list[tuple[Identifier, Identifier]] = Field(
        default_factory=list,
        description="(a, b): a shift of template a must not be followed by b on the next day.",
    )
    max_start_variation_minutes: NonNegInt | None = Field(
        default=None,
        description="Start-time stability: latest minus earliest start time of day over the "
        "agent's working days.",
    )
    allowed_templates: list[Identifier] | None = None
    soft: dict[SoftContractRule, Weight] = Field(default_factory=dict)

    def is_soft(self, rule: SoftContractRule) -> bool:
        return rule in self.soft


class AgentSkill(FrozenInputModel):
    skill: Identifier
    priority: PositiveInt = Field(default=1, description="1 is the primary skill.")


class TimeWindow(FrozenInputModel):
    """A half-open window [start, end) of local date-times."""

    start: dt.datetime
    end: dt.datetime


class Lock(FrozenInputModel):
    """A fixed decision for one agent and date: a day off (`off`), or the agent works a shift of
    `template` starting at `start` (and `length_minutes` long, when given). Breaks stay free."""

    date: dt.date
    off: bool = False
    template: Identifier | None = None
    start: TimeOfDay | None = None
    length_minutes: PositiveInt | None = None


class StartWindowPreference(FrozenInputModel):
    """The agent prefers shifts starting between these times of day (inclusive)."""

    earliest: TimeOfDay
    latest: TimeOfDay
    weight: Weight = 1


class DayOffPreference(FrozenInputModel):
    date: dt.date
    weight: Weight = 1


class ShiftRequest(FrozenInputModel):
    """A request to work (`on`) or not work (`on=False`) on a date, optionally on one template."""

    date: dt.date
    template: Identifier | None = None
    on: bool = True
    weight: Weight = 1


class Preferences(FrozenInputModel):
    start_window: StartWindowPreference | None = None
    days_off: list[DayOffPreference] = Field(default_factory=list)
    shift_requests: list[ShiftRequest] = Field(default_factory=list)


class Agent(FrozenInputModel):
    """A named agent. `availability`, when given, is where shifts may lie (each shift entirely
    inside one window; an empty list means never available, omitted means always); `time_off`
    windows must not overlap any shift."""

    id: Identifier
    name: str = ""
    contract: Identifier
    skills: list[AgentSkill] = Field(min_length=1)
    cost_per_hour: Money = 0.0
    availability: list[TimeWindow] | None = None
    time_off: list[TimeWindow] = Field(default_factory=list)
    locks: list[Lock] = Field(default_factory=list)
    preferences: Preferences = Field(default_factory=Preferences)

    @property
    def skill_ids(self) -> tuple[str, ...]:
        return tuple(s.skill for s in self.skills)


class Weights(FrozenInputModel):
    """Objective weights; the objective is a sum of integer terms (see `optimizer.domain.schedule`)."""

    under_staffing: list[Weight] = Field(
        default_factory=lambda: [100, 150, 225, 350],
        min_length=1,
        description="Cost of the k-th missing agent in an interval; the last value repeats. "
        "Should be non-decreasing.",
    )
    over_staffing: Weight = 10
    labor_cost: Money = Field(default=1.0, description="Multiplier on the money cost of shifts.")
    preferences: Weight = Field(default=1, description="Multiplier on the preference weights.")
    fairness: Weight = Field(
        default=0, description="Per minute of spread (max - min paid minutes) within a contract."
    )
    shift_patterns: Weight = Field(
        default=0,
        description="Per distinct (template, start time of day, length) used; in shift design per "
        "distinct shift line (start time of day, length, break offsets).",
    )
    avg_shift_length: Weight = Field(
        default=0,
        description="Shift design: per interval by which a pool's total net shift time falls "
        "outside its average band times its number of shifts (see `DesignPool.avg_net_shift_minutes`).",
    )
    under_staffing_mode: UnderStaffingMode = Field(
        default="head_count",
        description="'head_count': the k-th missing agent costs `under_staffing[k-1]` in every interval; "
        "'service_level': for skills whose demand is a voice or chat forecast, it costs the contacts "
        "it pushes past the service-level threshold in that interval, times `service_level_scale` "
        "(per-interval convex weights from the Erlang curve; see optimizer.domain.schedule). "
        "Skills without such a forecast keep the head-count weights.",
    )
    service_level_scale: Weight = Field(
        default=40,
        description="Service-level mode: cost per contact that the missing agents push past the "
        "service-level threshold (forecast volume times the drop in predicted service level). With 40 "
        "the first missing agent of an interval costs about 200 on average on multiskill-medium-forecast "
        "(voice 237, chat 177), twice the head-count default: measured there (45 s, 2 workers), 20 "
        "left the soft rules more say and gave a lower service level than 40 (84.0% against 85.7%).",
    )

    @field_validator("under_staffing")
    @classmethod
    def _non_decreasing(cls, value: list[int]) -> list[int]:
        if any(b < a for a, b in zip(value, value[1:], strict=False)):
            raise ValueError("must be non-decreasing (the k-th missing agent costs at least the (k-1)-th)")
        return value


class NetShiftLengthBand(FrozenInputModel):
    """A band for the average net shift length (length minus unpaid breaks), in minutes on the
    interval grid."""

    min_minutes: NonNegInt
    max_minutes: NonNegInt


class DesignPool(FrozenInputModel):
    """Shift design: a group of interchangeable agents, counted, not named. Each shift of the pool
    serves one of its `skills` for its whole length."""

    id: Identifier
    skills: list[Identifier] = Field(min_length=1, description="Each skill belongs to one pool at most.")
    templates: list[Identifier] | None = Field(
        default=None, description="Templates the pool's shifts may follow (all when omitted)."
    )
    max_agents_per_day: NonNegInt | None = Field(
        default=None, description="At most this many of the pool's shifts start on one date."
    )
    avg_net_shift_minutes: NetShiftLengthBand | None = Field(
        default=None,
        description="Contract target for the average net shift length of the pool (e.g. weekly "
        "hours over the allowed duties per week). With N shifts of total net length W over the "
        "horizon, W below N x min or above N x max costs `weights.avg_shift_length` per interval "
        "of difference.",
    )


class Design(FrozenInputModel):
    """Shift design (capacity planning): which shift lines (template, start time of day, length,
    break offsets) to open and how many agents of each pool work each line on each date, to cover
    the demand. The objective is under_staffing + over_staffing (as in named mode, per agent and
    interval) + shift_patterns (per distinct shift line) + avg_shift_length. Breaks follow the
    templates' rules; the minimum work between breaks applies; labor cost, contracts, agents and
    shift demand play no part."""

    pools: list[DesignPool] = Field(min_length=1)


ENGINE_PARAMETERS = {
    "num_workers": "workers", "num_search_workers": "workers", "max_time_in_seconds": "time_limit_s",
    "max_deterministic_time": "time_limit_s", "random_seed": "seed", "relative_gap_limit": "relative_gap",
    "log_search_progress": "log", "log_to_stdout": "log",
}
"""CP-SAT parameters the engine sets on every search from the solver settings (a value in
`parameters` would silently override `--workers` or the time limit): use the named setting."""


class SolverSettings(FrozenInputModel):
    time_limit_s: float = Field(default=60.0, gt=0, le=86_400, allow_inf_nan=False, description=(
        "Seconds. With one worker they are CP-SAT's deterministic seconds (the same search on every run), "
        "and the wall time can be several times longer."))
    workers: int = Field(default=2, ge=1, le=64)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    relative_gap: float = Field(default=0.0, ge=0, le=1, allow_inf_nan=False)
    log: bool = False
    use_hints: bool = True
    strategy: Literal["auto", "monolithic", "lns", "hybrid", "roster"] = Field(
        default="auto",
        description="'monolithic' solves one CP-SAT model; 'lns' builds a schedule agent batch by "
        "agent batch, then improves it by large-neighbourhood search; 'hybrid' gives one model half "
        "the time, then continues by LNS; 'roster' gives one model a twentieth of the time, then (with cover "
        "per shift type and day) column generation over whole rosters, then re-solves neighbourhoods of "
        "that model (rostering without interval demand); 'auto' picks by size and "
        "kind of demand.",
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Extra CP-SAT parameters (SatParameters field names)."
    )

    @field_validator("parameters")
    @classmethod
    def _known_parameters(cls, value: dict[str, Any]) -> dict[str, Any]:
        # Imported only when parameters are given, so the domain stays importable without ortools.
        from ortools.sat import sat_parameters_pb2

        known = sat_parameters_pb2.SatParameters.DESCRIPTOR.fields_by_name
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise ValueError(f"unknown CP-SAT parameter(s): {', '.join(unknown)}")
        problems = cp_sat_parameter_problems(value, ENGINE_PARAMETERS, "the engine")
        if problems:
            raise ValueError("; ".join(f"{name}: {reason}" for name, reason in problems))
        return value


def cp_sat_parameter_problems(parameters: dict[str, Any], owned: dict[str, str], owner: str) -> list[tuple[str, str]]:
    """(name, reason) for each parameter that is unknown, set by `owner` (`owned` names the setting
    to use instead), or whose value a real SatParameters message refuses."""
    from ortools.sat import sat_parameters_pb2
    from ortools.sat.python import cp_model

    known = sat_parameters_pb2.SatParameters.DESCRIPTOR.fields_by_name
    problems = []
    for name, given in parameters.items():
        if name not in known:
            problems.append((name, "unknown CP-SAT parameter"))
        elif name in owned:
            problems.append((name, f"set by {owner}; use `{owned[name]}`"))
        else:
            params = cp_model.CpSolver().parameters
            try:  # set exactly as the solver sets it, on the solver's own parameters (enum values by name)
                set_cp_sat_parameter(params, name, given)
            except (AttributeError, TypeError, ValueError, OverflowError):
                problems.append((name, f"not a valid value: {_shown(given)} ({_expected(type(getattr(params, name)))})"))
    return problems


def _expected(field: type) -> str:
    """What a CP-SAT parameter field takes, in words (the binding's own error says "incompatible
    function arguments" and lists C++ signatures)."""
    members = getattr(field, "__members__", None)
    if members:
        return "one of " + ", ".join(members)
    kinds = {bool: "true or false", int: "a whole number within the field's range", float: "a number", str: "text"}
    return kinds.get(field, "a repeated or nested field, which cannot be set here")


def _shown(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def set_cp_sat_parameter(params: Any, name: str, value: Any) -> None:
    """One CP-SAT parameter on a solver's parameters; an enum field takes its value's name
    ("LP_SEARCH"), which must belong to that field."""
    field = type(getattr(params, name))
    if isinstance(value, str) and field is not str:
        value = getattr(field, value)  # AttributeError: not a name of this field's enum
    setattr(params, name, value)


class Instance(FrozenInputModel):
    name: Identifier
    description: str = ""
    horizon: Horizon
    skills: list[Skill] = Field(min_length=1)
    demand: list[SkillDemand] = Field(default_factory=list)
    shift_demand: list[ShiftDemand] = Field(default_factory=list)
    templates: list[ShiftTemplate] = Field(min_length=1)
    contracts: list[Contract] = Field(
        default_factory=list, description="At least one, except in shift design (no named agents)."
    )
    agents: list[Agent] = Field(default_factory=list)
    design: Design | None = Field(
        default=None, description="Shift design mode: no named agents; how many agents on which shifts."
    )
    baseline: Baseline | None = Field(
        default=None, description="Re-optimization: the published roster, the freeze and locks, change costs."
    )
    weights: Weights = Field(default_factory=Weights)
    solver: SolverSettings = Field(default_factory=SolverSettings)

    def skill(self, skill_id: str) -> Skill:
        return next(s for s in self.skills if s.id == skill_id)

    def template(self, template_id: str) -> ShiftTemplate:
        return next(t for t in self.templates if t.id == template_id)

    def contract(self, contract_id: str) -> Contract:
        return next(c for c in self.contracts if c.id == contract_id)

    def contract_of(self, agent: Agent) -> Contract:
        return self.contract(agent.contract)

    def demand_row(self, skill_id: str) -> SkillDemand | None:
        return next((row for row in self.demand if row.skill == skill_id), None)

    def required(self, skill_id: str) -> list[int]:
        """Required agents per interval (zeros when the skill has no demand row). For a forecast,
        the requirement derived from it (`optimizer.requirements.demand`, computed once per
        instance object)."""
        row = self.demand_row(skill_id)
        if row is None:
            return [0] * self.horizon.num_intervals
        if row.required is not None:
            return list(row.required)
        from optimizer.requirements.demand import resolve_demand  # numpy: only for forecasts

        return list(resolve_demand(self).required[skill_id])

    def under_weights(self, skill_id: str) -> list[int]:
        """The head-count under-staffing weights of the skill (see `under_weights_per_interval`)."""
        return list(self.skill(skill_id).under_staffing_weights or self.weights.under_staffing)

    def under_staffing_mode(self, skill_id: str) -> str:
        """'service_level' when the skill (or `weights`) asks for it and its demand is a voice or
        chat forecast; 'head_count' otherwise."""
        mode = self.skill(skill_id).under_staffing_mode or self.weights.under_staffing_mode
        row = self.demand_row(skill_id)
        if mode != "service_level" or row is None or row.forecast is None \
                or self.skill(skill_id).channel not in QUEUE_CHANNELS:
            return "head_count"
        return "service_level"

    def under_weights_per_interval(self, skill_id: str) -> list[list[int]]:
        """The under-staffing weights of each interval of the horizon (the k-th missing agent in
        interval t costs entry k-1 of list t, the last entry repeating): the skill's head-count
        weights everywhere, or in service-level mode the per-interval weights derived from the
        forecast's Erlang curve (`optimizer.requirements.demand.service_level_weights`)."""
        if self.under_staffing_mode(skill_id) == "head_count":
            weights = self.under_weights(skill_id)
            return [weights] * self.horizon.num_intervals
        from optimizer.requirements.demand import resolve_demand

        return resolve_demand(self).under_weights[skill_id]

    def over_weight(self, skill_id: str) -> int:
        weight = self.skill(skill_id).over_staffing_weight
        return self.weights.over_staffing if weight is None else weight

    def templates_for(self, agent: Agent) -> list[ShiftTemplate]:
        allowed = self.contract_of(agent).allowed_templates
        return [t for t in self.templates if allowed is None or t.id in allowed]


# --------------------------------------------------------------------------------------------
# Errors with field paths


class FieldIssue(BaseModel):
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


class InstanceError(ValueError):
    """An instance that cannot be solved as written; `issues` name each field and the reason."""

    def __init__(self, issues: list[FieldIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def field_path(loc: Iterable[Any]) -> str:
    """A pydantic error location as a field path: `agents[12].contract`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":  # pydantic's marker for a mapping's key: the path already ends at that key
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def issues_from_pydantic(error: ValidationError) -> list[FieldIssue]:
    issues = []
    for item in error.errors(include_url=False):
        reason = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            reason = "unknown field"
        elif item["loc"] and item["loc"][-1] == "[key]":
            reason = f"not an allowed key: {reason[0].lower()}{reason[1:]}"
        issues.append(FieldIssue(path=field_path(item["loc"]), reason=reason))
    return issues


def parse_instance(data: Any) -> Instance:
    """Validate raw JSON data into an `Instance`, structurally and across references."""
    try:
        instance = Instance.model_validate(data)
    except ValidationError as exc:
        raise InstanceError(issues_from_pydantic(exc)) from None
    issues = instance_errors(instance)
    if issues:
        raise InstanceError(issues)
    return instance


def instance_errors(inst: Instance) -> list[FieldIssue]:
    """What `parse_instance` checks after the structure: references first, then the forecasts'
    values (deriving requirements from forecasts that refer to unknown skills would be noise)."""
    return list(reference_errors(inst)) or forecast_errors(inst)


def reference_errors(inst: Instance) -> Iterator[FieldIssue]:  # noqa: C901 - a flat list of checks
    """Every cross-field problem, each with its field path."""
    step = inst.horizon.interval_minutes
    first_date = inst.horizon.start_date
    try:  # shifts of the last day may end on the next; the engine counts time up to the day after that
        inst.horizon.date_of_day(inst.horizon.days + 1)
    except OverflowError:
        yield FieldIssue(path="horizon.start_date", reason=f"{first_date} plus {inst.horizon.days} days (and the "
                         f"shifts that end after them) runs past {dt.date.max}, the last date there is")
        return
    last_date = inst.horizon.date_of_day(inst.horizon.days - 1)

    def issue(path: str, reason: str) -> FieldIssue:
        return FieldIssue(path=path, reason=reason)

    def on_grid(path: str, minutes: int) -> Iterator[FieldIssue]:
        if minutes % step:
            yield issue(path, f"{minutes} is not a multiple of the interval length ({step} min)")

    def in_horizon(path: str, date: dt.date) -> Iterator[FieldIssue]:
        if not first_date <= date <= last_date:
            yield issue(path, f"date {date} is outside the horizon {first_date}..{last_date}")

    for kind, items in (("skills", inst.skills), ("templates", inst.templates),
                        ("contracts", inst.contracts), ("agents", inst.agents)):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                yield issue(f"{kind}[{i}].id", f"duplicate id '{item.id}'")
            seen.add(item.id)

    skill_ids = {s.id for s in inst.skills}
    template_ids = {t.id for t in inst.templates}
    contract_ids = {c.id for c in inst.contracts}
    yield from _design_errors(inst, skill_ids, template_ids)
    yield from _baseline_errors(inst)

    demanded: set[str] = set()
    for i, row in enumerate(inst.demand):
        if row.skill not in skill_ids:
            yield issue(f"demand[{i}].skill", f"unknown skill '{row.skill}'")
        if row.skill in demanded:
            yield issue(f"demand[{i}].skill", f"demand for skill '{row.skill}' is given twice")
        demanded.add(row.skill)
        yield from _demand_row_errors(inst, i, row)
    yield from _under_staffing_mode_errors(inst)

    for i, row in enumerate(inst.shift_demand):
        if row.template not in template_ids:
            yield issue(f"shift_demand[{i}].template", f"unknown template '{row.template}'")
        yield from in_horizon(f"shift_demand[{i}].date", row.date)

    for i, t in enumerate(inst.templates):
        p = f"templates[{i}]"
        if t.latest_start_minute < t.earliest_start_minute:
            yield issue(f"{p}.latest_start", f"{t.latest_start} is before earliest_start {t.earliest_start}")
        if t.earliest_start_minute % step:  # named as written (06:37), not in minutes
            yield issue(f"{p}.earliest_start", f"{t.earliest_start} is not on the {step}-minute grid of the horizon")
        yield from on_grid(f"{p}.start_step_minutes", t.start_step_minutes)
        yield from on_grid(f"{p}.min_work_between_breaks_minutes", t.min_work_between_breaks_minutes)
        for j, length in enumerate(t.lengths_minutes):
            yield from on_grid(f"{p}.lengths_minutes[{j}]", length)
            if length > 1440:
                yield issue(f"{p}.lengths_minutes[{j}]", "a shift cannot be longer than 24 hours")
        names: set[str] = set()
        for j, rule in enumerate(t.breaks):
            q = f"{p}.breaks[{j}]"
            if rule.name in names:
                yield issue(f"{q}.name", f"duplicate break name '{rule.name}'")
            names.add(rule.name)
            yield from on_grid(f"{q}.duration_minutes", rule.duration_minutes)
            yield from on_grid(f"{q}.earliest_offset_minutes", rule.earliest_offset_minutes)
            yield from on_grid(f"{q}.latest_offset_minutes", rule.latest_offset_minutes)
            yield from on_grid(f"{q}.min_work_after_minutes", rule.min_work_after_minutes)
            if rule.latest_offset_minutes < rule.earliest_offset_minutes:
                yield issue(f"{q}.latest_offset_minutes", "is before earliest_offset_minutes")
            for length in t.lengths_minutes:
                if length < rule.min_shift_minutes:
                    continue
                if rule.earliest_offset_minutes + rule.duration_minutes + rule.min_work_after_minutes > length:
                    yield issue(
                        f"{q}.earliest_offset_minutes",
                        f"the break cannot end inside a {length}-minute shift"
                        + (f" {rule.min_work_after_minutes} minutes before its end"
                           if rule.min_work_after_minutes else ""),
                    )
        for length in t.lengths_minutes:
            if not _breaks_fit(t, length):
                yield issue(
                    f"{p}.breaks",
                    f"the breaks cannot all be placed in a {length}-minute shift with "
                    f"{t.min_work_between_breaks_minutes} minutes of work between them",
                )

    for i, c in enumerate(inst.contracts):
        p = f"contracts[{i}]"
        if c.max_paid_minutes is not None and c.max_paid_minutes < c.min_paid_minutes:
            yield issue(f"{p}.max_paid_minutes", "is below min_paid_minutes")
        if c.max_working_days is not None and c.max_working_days < c.min_working_days:
            yield issue(f"{p}.max_working_days", "is below min_working_days")
        if c.min_working_days > inst.horizon.days:
            yield issue(f"{p}.min_working_days", f"exceeds the {inst.horizon.days} days of the horizon")
        for tid in c.max_shifts_per_template:
            if tid not in template_ids:
                yield issue(f"{p}.max_shifts_per_template", f"unknown template '{tid}'")
        for j, pair in enumerate(c.forbidden_successions):
            for k, tid in enumerate(pair):
                if tid not in template_ids:
                    yield issue(f"{p}.forbidden_successions[{j}][{k}]", f"unknown template '{tid}'")
        for j, tid in enumerate(c.allowed_templates or []):
            if tid not in template_ids:
                yield issue(f"{p}.allowed_templates[{j}]", f"unknown template '{tid}'")

    for i, a in enumerate(inst.agents):
        p = f"agents[{i}]"
        if a.contract not in contract_ids:
            yield issue(f"{p}.contract", f"unknown contract '{a.contract}'")
        for j, s in enumerate(a.skills):
            if s.skill not in skill_ids:
                yield issue(f"{p}.skills[{j}].skill", f"unknown skill '{s.skill}'")
        if len(set(a.skill_ids)) != len(a.skill_ids):
            yield issue(f"{p}.skills", "lists a skill twice")
        for field, windows in (("availability", a.availability or []), ("time_off", a.time_off)):
            for j, w in enumerate(windows):
                if w.start.tzinfo is not None or w.end.tzinfo is not None:  # first: one of each cannot be compared
                    yield issue(f"{p}.{field}[{j}]", "use local date-times without a UTC offset")
                elif w.end <= w.start:
                    yield issue(f"{p}.{field}[{j}].end", f"{w.end} is not after start {w.start}")
        lock_dates: set[dt.date] = set()
        for j, lock in enumerate(a.locks):
            q = f"{p}.locks[{j}]"
            yield from in_horizon(f"{q}.date", lock.date)
            if lock.date in lock_dates:
                yield issue(f"{q}.date", f"a second lock for {lock.date}")
            lock_dates.add(lock.date)
            if lock.off:
                if lock.template or lock.start or lock.length_minutes:
                    yield issue(q, "a day-off lock cannot also name a shift")
                continue
            if lock.template is None or lock.start is None:
                yield issue(q, "a shift lock needs a template and a start (or off: true)")
                continue
            if lock.template not in template_ids:
                yield issue(f"{q}.template", f"unknown template '{lock.template}'")
                continue
            t = inst.template(lock.template)
            if time_of_day_minutes(lock.start) not in t.start_minutes_of_day():
                yield issue(f"{q}.start", f"{lock.start} is not an allowed start of template '{t.id}'")
            if lock.length_minutes is not None and lock.length_minutes not in t.lengths_minutes:
                yield issue(
                    f"{q}.length_minutes",
                    f"{lock.length_minutes} is not an allowed length of template '{t.id}'",
                )
        prefs = a.preferences
        if prefs.start_window is not None:
            sw = prefs.start_window
            if time_of_day_minutes(sw.latest) < time_of_day_minutes(sw.earliest):
                yield issue(f"{p}.preferences.start_window.latest", "is before earliest")
        for j, d in enumerate(prefs.days_off):
            yield from in_horizon(f"{p}.preferences.days_off[{j}].date", d.date)
        for j, r in enumerate(prefs.shift_requests):
            yield from in_horizon(f"{p}.preferences.shift_requests[{j}].date", r.date)
            if r.template is not None and r.template not in template_ids:
                yield issue(f"{p}.preferences.shift_requests[{j}].template", f"unknown template '{r.template}'")


def _demand_row_errors(inst: Instance, i: int, row: SkillDemand) -> Iterator[FieldIssue]:
    """Exactly one of required and forecast, of the horizon's length; a forecast's skill has a
    channel with a queue or backlog model. (Forecast values are checked when they are turned into
    requirements: `forecast_errors`.)"""
    n = inst.horizon.num_intervals
    length = f"the horizon has {n} intervals ({inst.horizon.days} days of {inst.horizon.intervals_per_day})"
    if (row.required is None) == (row.forecast is None):
        yield FieldIssue(path=f"demand[{i}]", reason="give either required (agents per interval) or forecast "
                         "(volume, handle time and targets), not both" if row.required is not None else
                         "give required (agents per interval) or forecast (volume, handle time and targets)")
        return
    if row.required is not None and len(row.required) != n:
        yield FieldIssue(path=f"demand[{i}].required", reason=f"has {len(row.required)} values; {length}")
    forecast = row.forecast
    if forecast is None:
        return
    if len(forecast.volume) != n:
        yield FieldIssue(path=f"demand[{i}].forecast.volume", reason=f"has {len(forecast.volume)} values; {length}")
    if isinstance(forecast.aht_s, list) and len(forecast.aht_s) != n:
        yield FieldIssue(path=f"demand[{i}].forecast.aht_s", reason=f"has {len(forecast.aht_s)} values; {length} "
                         "(or give one number)")
    index = next((j for j, s in enumerate(inst.skills) if s.id == row.skill), None)
    if index is not None and inst.skills[index].channel not in FORECAST_CHANNELS:
        yield FieldIssue(path=f"skills[{index}].channel", reason=(
            f"skill '{row.skill}' has a forecast (demand[{i}]): its channel must be one of "
            f"{', '.join(FORECAST_CHANNELS)}, which say how to turn the forecast into agents"))


def _under_staffing_mode_errors(inst: Instance) -> Iterator[FieldIssue]:
    """Service-level pricing needs a queue forecast; shift design prices by head count."""
    if inst.design is not None and inst.weights.under_staffing_mode == "service_level":
        yield FieldIssue(path="weights.under_staffing_mode", reason="'service_level' is not supported in shift "
                         "design (design); use 'head_count'")
    forecasts = {row.skill for row in inst.demand if row.forecast is not None}
    for j, skill in enumerate(inst.skills):
        if skill.under_staffing_mode != "service_level":
            continue
        if inst.design is not None:
            yield FieldIssue(path=f"skills[{j}].under_staffing_mode", reason="'service_level' is not supported "
                             "in shift design (design); use 'head_count'")
        elif skill.id not in forecasts or skill.channel not in QUEUE_CHANNELS:
            yield FieldIssue(path=f"skills[{j}].under_staffing_mode", reason=(
                "'service_level' prices missing agents by the service level they cost: it needs a voice or "
                f"chat forecast for skill '{skill.id}' (demand[].forecast)"))


def forecast_errors(inst: Instance) -> list[FieldIssue]:
    """Problems of the forecasts' values (ranges, targets that fit no channel or that no number of
    agents reaches), found by deriving the requirements (`optimizer.requirements.demand`)."""
    if all(row.forecast is None for row in inst.demand):
        return []
    from optimizer.requirements.demand import resolve_demand  # numpy: only for forecasts

    try:
        resolve_demand(inst)
    except InstanceError as exc:
        return list(exc.issues)
    return []


PUBLISHED_ROWS = "baseline.assignments"
"""Path prefix of the published roster's rows: a previous schedule given apart (`wfm reoptimize
--previous`, the service's `previous_schedule`) reports its issues under its own `assignments`."""


def previous_schedule_path(path: str) -> str | None:
    """An issue's path as a row of the previous schedule given apart (`assignments[3].end`), or None
    when the issue is not about the published roster's rows."""
    return path.removeprefix("baseline.") if path.startswith(PUBLISHED_ROWS) else None


def previous_schedule_errors(status: str) -> list[FieldIssue]:
    """A previous schedule given apart must be a roster: an infeasible, unknown or invalid result has
    no shifts, and re-optimizing against it priced every shift as added to an empty published roster."""
    if status in ("optimal", "feasible"):
        return []
    return [FieldIssue(path="status", reason=f"the previous schedule is {status}: it has no roster to keep "
                       "(give a schedule that was solved, or solve afresh)")]


def _baseline_errors(inst: Instance) -> Iterator[FieldIssue]:
    """Locks must name agents and dates of this instance; published shifts of other agents are kept
    (agents who left are reported in the diff), so they are not errors."""
    baseline = inst.baseline
    if baseline is None:
        return
    if inst.design is not None:
        yield FieldIssue(path="baseline", reason="re-optimization needs named agents (not shift design)")
    agent_ids = {a.id for a in inst.agents}
    published_ids = {a.agent_id for a in baseline.assignments}
    first, last = inst.horizon.start_date, inst.horizon.date_of_day(inst.horizon.days - 1)

    def unknown(agent_id: str) -> str:
        left = " (in the published roster, but no longer an agent of the instance)" if agent_id in published_ids else ""
        return f"unknown agent '{agent_id}'{left}"

    for i, agent_id in enumerate(baseline.locked_agents):
        if agent_id not in agent_ids:
            yield FieldIssue(path=f"baseline.locked_agents[{i}]", reason=unknown(agent_id))
    for i, day in enumerate(baseline.locked_days):
        if day.agent_id not in agent_ids:
            yield FieldIssue(path=f"baseline.locked_days[{i}].agent_id", reason=unknown(day.agent_id))
        if not first <= day.date <= last:
            yield FieldIssue(path=f"baseline.locked_days[{i}].date", reason=f"{day.date} is outside the horizon")
    if baseline.freeze_until is not None:
        freeze = baseline.freeze_until
        if freeze.tzinfo is not None:
            yield FieldIssue(path="baseline.freeze_until", reason="use a local date-time without a UTC offset "
                             "(the horizon's wall-clock time)")
        elif freeze > dt.datetime.combine(last + dt.timedelta(days=1), dt.time()):  # its end freezes it all
            yield FieldIssue(path="baseline.freeze_until", reason=f"{freeze.isoformat()} is after the horizon "
                             f"({first} to {last}): a typo? (its end, {last + dt.timedelta(days=1)}T00:00, "
                             "freezes everything)")
    if baseline.assignments and not any(first <= a.date <= last for a in baseline.assignments):
        dates = sorted(a.date for a in baseline.assignments)
        yield FieldIssue(path=PUBLISHED_ROWS, reason=f"none of the {len(dates)} published shifts lies in the horizon "
                         f"({first} to {last}; they are dated {dates[0]} to {dates[-1]}): the roster of another "
                         "period?")
    seen: set[tuple[str, object]] = set()
    for i, a in enumerate(baseline.assignments):
        yield from _published_row_errors(i, a)
        if (a.agent_id, a.date) in seen:
            yield FieldIssue(path=f"{PUBLISHED_ROWS}[{i}]",
                             reason=f"a second published shift for {a.agent_id} on {a.date}")
        seen.add((a.agent_id, a.date))


def _published_row_errors(i: int, a: Assignment) -> Iterator[FieldIssue]:
    """One published shift's own consistency: local times, end after start, breaks inside, paid
    minutes within its length, its date."""
    if any(t.tzinfo is not None for t in (a.start, a.end, *(b.start for b in a.breaks), *(b.end for b in a.breaks))):
        yield FieldIssue(path=f"{PUBLISHED_ROWS}[{i}]", reason="use local date-times without a UTC offset "
                         "(the horizon's wall-clock time, as the engine writes them)")
        return
    start, end = a.start, a.end
    # The model counts whole minutes and the validator the exact times: they would disagree on the change.
    times = [("start", start), ("end", end)] + [(f"breaks[{j}].{side}", getattr(b, side))
                                                for j, b in enumerate(a.breaks) for side in ("start", "end")]
    for field, t in times:
        if t.second or t.microsecond:
            yield FieldIssue(path=f"{PUBLISHED_ROWS}[{i}].{field}", reason=f"{t.isoformat()} is not a whole minute "
                             "(the engine writes whole minutes)")
    for j, b in enumerate(a.breaks):
        if not start <= b.start < b.end <= end:
            yield FieldIssue(path=f"{PUBLISHED_ROWS}[{i}].breaks[{j}]", reason=(
                f"{b.start.isoformat()} to {b.end.isoformat()} is not a stretch inside the shift "
                f"({start.isoformat()} to {end.isoformat()})"))
    length = (end - start) // dt.timedelta(minutes=1)
    if end - start > dt.timedelta(hours=24):
        yield FieldIssue(path=f"{PUBLISHED_ROWS}[{i}].end", reason=f"the shift lasts {end - start}: more than a day")
    elif end > start and not 0 <= a.paid_minutes <= length:
        yield FieldIssue(path=f"{PUBLISHED_ROWS}[{i}].paid_minutes",
                         reason=f"{a.paid_minutes} is not between 0 and the shift's {length} minutes")
    if end <= start:
        yield FieldIssue(path=f"{PUBLISHED_ROWS}[{i}].end",
                         reason=f"{end.isoformat()} is not after the shift's start {start.isoformat()}")
    if start.date() != a.date:
        yield FieldIssue(path=f"{PUBLISHED_ROWS}[{i}].date",
                         reason=f"{a.date} is not the date of the shift's start {start.isoformat()} "
                         "(a shift belongs to the date on which it starts)")


def _design_errors(inst: Instance, skill_ids: set[str], template_ids: set[str]) -> Iterator[FieldIssue]:
    """Shift design (`design`) against named mode: what each needs and what it excludes."""
    design = inst.design
    if design is None:
        if inst.horizon.cyclic:
            yield FieldIssue(path="horizon.cyclic", reason="a cyclic horizon is supported in shift design "
                             "(design) only")
        if not inst.contracts:
            yield FieldIssue(path="contracts", reason="at least one contract is required (except in shift design)")
        return
    if inst.agents:
        yield FieldIssue(path="agents", reason="a shift-design instance has no named agents")
    if inst.shift_demand:
        yield FieldIssue(path="shift_demand", reason="not supported in shift design")
    step = inst.horizon.interval_minutes
    owner: dict[str, str] = {}
    pool_ids: set[str] = set()
    for i, pool in enumerate(design.pools):
        p = f"design.pools[{i}]"
        if pool.id in pool_ids:
            yield FieldIssue(path=f"{p}.id", reason=f"duplicate id '{pool.id}'")
        pool_ids.add(pool.id)
        for j, skill in enumerate(pool.skills):
            if skill not in skill_ids:
                yield FieldIssue(path=f"{p}.skills[{j}]", reason=f"unknown skill '{skill}'")
            elif skill in owner:
                yield FieldIssue(path=f"{p}.skills[{j}]", reason=f"skill '{skill}' is already in pool '{owner[skill]}'")
            owner.setdefault(skill, pool.id)
        for j, tid in enumerate(pool.templates or []):
            if tid not in template_ids:
                yield FieldIssue(path=f"{p}.templates[{j}]", reason=f"unknown template '{tid}'")
        band = pool.avg_net_shift_minutes
        if band is not None:
            for name, value in (("min_minutes", band.min_minutes), ("max_minutes", band.max_minutes)):
                if value % step:
                    yield FieldIssue(path=f"{p}.avg_net_shift_minutes.{name}",
                                     reason=f"{value} is not a multiple of the interval length ({step} min)")
            if band.max_minutes < band.min_minutes:
                yield FieldIssue(path=f"{p}.avg_net_shift_minutes.max_minutes", reason="is below min_minutes")


def _breaks_fit(template: ShiftTemplate, length: int) -> bool:
    """Whether the earliest placement of every break, in order, fits the shift."""
    cursor = 0
    for k, rule in enumerate(template.breaks_for_length(length)):
        gap = template.min_work_between_breaks_minutes if k else 0
        start = max(rule.earliest_offset_minutes, cursor + gap)
        if start > rule.latest_offset_minutes or start + rule.duration_minutes + rule.min_work_after_minutes > length:
            return False
        cursor = start + rule.duration_minutes
    return True
