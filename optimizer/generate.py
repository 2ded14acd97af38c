"""Seeded generator of realistic contact-center instances.

`generate_instance(config)` builds a one-week instance a contact-center planner would recognize:
per-skill demand with a double-peak intraday curve and a weekday pattern, early/day/late and
part-time shift templates with a paid break and an unpaid lunch, full- and part-time contracts,
and agents with skill groups, availability restrictions, time off, locks and preferences.

Demand is calibrated against capacity: the required agent-hours of the week are
`config.load_factor` times the agents' contract hours (the midpoint of min and max paid
minutes), split over the skills in proportion to the agents able to serve them (an agent with k
skills counts 1/k towards each). Every agent is checked to be feasible on its own (days, hours,
rest, locks, availability and time off) before it is kept, so scarcity comes from demand only.

Randomness comes from one `random.Random(config.seed)`; there is no global state and no clock,
so the same config gives the same instance and `instance_to_json` the same bytes.
`PROFILES` holds the committed instances' configs (see `instances/README.md`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from optimizer.domain.ids import time_of_day_minutes
from optimizer.domain.instance import (
    WEEKDAYS,
    Agent,
    AgentSkill,
    BreakRule,
    Contract,
    DayOffPreference,
    Horizon,
    Instance,
    Lock,
    Preferences,
    ShiftRequest,
    ShiftTemplate,
    Skill,
    SkillDemand,
    StartWindowPreference,
    TimeWindow,
    Weights,
)

Channel = Literal["voice", "chat", "email", "backoffice", "other"]
CurveName = Literal["voice", "voice_de", "chat", "email", "backoffice"]


@dataclass(frozen=True)
class SkillSpec:
    """One skill of a generated instance and the demand curve it follows."""

    id: str
    name: str
    channel: Channel
    curve: CurveName


@dataclass(frozen=True)
class GeneratorConfig:
    """Everything that defines a generated instance; the same config gives the same bytes."""

    name: str
    seed: int
    agents: int
    skills: tuple[SkillSpec, ...]
    skill_groups: tuple[tuple[tuple[str, ...], float], ...]
    """Skill sets (first listed = priority 1) and the share of agents having each."""
    contract_mix: tuple[tuple[str, float], ...] = (
        ("ft40", 0.60),
        ("ft32", 0.15),
        ("pt24", 0.15),
        ("pt20", 0.10),
    )
    description: str = ""
    days: int = 7
    interval_minutes: Literal[5, 10, 15, 30, 60] = 15
    start_date: dt.date = dt.date(2026, 3, 2)
    timezone: str = "Europe/Amsterdam"
    load_factor: float = 0.92
    """Required agent-hours of the week over the agents' contract hours."""
    noise: float = 0.05
    """Relative standard deviation of the per-interval demand noise."""
    start_step_minutes: int = 15
    full_lengths_minutes: tuple[int, ...] = (480, 510)
    part_lengths_minutes: tuple[int, ...] = (240, 270, 300)
    day_lunch_minutes: int = 30
    """Lunch of the "day" template; with 60 its lengths are 30 minutes longer (same paid time)."""
    availability_share: float = 0.10
    time_off_share: float = 0.05
    lock_share: float = 0.03
    preference_share: float = 0.30
    fairness_weight: int = 0
    shift_patterns_weight: int = 0
    demand_as: Literal["required", "forecast"] = "required"
    """``forecast``: each skill's demand is written as a forecast (volume, handle time, targets)
    whose derived requirement is the generated curve (`optimizer.generate_forecast`)."""
    under_staffing_mode: Literal["head_count", "service_level"] = "head_count"


# --------------------------------------------------------------------------------------------
# Demand curves


@dataclass(frozen=True)
class _Curve:
    opening_hours: tuple[tuple[float, float] | None, ...]  # per weekday mon..sun; None = closed
    day_weights: tuple[float, ...]  # relative daily volume mon..sun
    ramp_up_h: float
    ramp_down_h: float


_CURVES: dict[str, _Curve] = {
    "voice": _Curve(
        ((7, 22),) * 5 + ((8, 18), (9, 17)), (1.15, 1.05, 1.00, 0.97, 0.93, 0.56, 0.40), 1.25, 1.0
    ),
    "voice_de": _Curve(
        ((8, 20),) * 5 + ((9, 16), (10, 16)), (1.12, 1.04, 1.00, 0.98, 0.92, 0.52, 0.38), 1.0, 1.0
    ),
    "chat": _Curve(
        ((8, 22),) * 5 + ((9, 18), (10, 17)), (1.08, 1.04, 1.00, 0.98, 0.95, 0.60, 0.45), 0.75, 0.75
    ),
    "email": _Curve(((8, 18),) * 5 + ((9, 14), None), (1.20, 1.05, 1.00, 0.95, 0.90, 0.30, 0.0), 0.5, 0.5),
    "backoffice": _Curve(((8, 17),) * 5 + (None, None), (1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0), 0.5, 0.5),
}


def _bump(hour: float, center: float, width: float) -> float:
    return math.exp(-0.5 * ((hour - center) / width) ** 2)


def _intraday_shape(curve: str, hour: float) -> float:
    """Relative volume at a time of day while open (before the opening/closing ramps)."""
    if curve in ("voice", "voice_de"):
        # Morning peak around 10:45, afternoon peak around 14:45, lunch dip between, and a slow
        # decline through the evening.
        base = 0.52 - 0.03 * max(0.0, hour - 16.0)
        return base + 0.45 * _bump(hour, 10.75, 1.0) + 0.40 * _bump(hour, 14.75, 1.0)
    if curve == "chat":
        return (
            0.70
            + 0.20 * _bump(hour, 11.0, 1.6)
            + 0.20 * _bump(hour, 15.0, 1.6)
            + 0.12 * _bump(hour, 20.0, 1.3)
        )
    return 1.0 - 0.10 * _bump(hour, 12.5, 0.5)  # email, back office: flat, a little lower at lunch


def _day_curve(curve_name: str, weekday: int, interval_minutes: int) -> list[float]:
    """The relative intraday curve of one day (sums to 1, or all zeros when closed)."""
    curve = _CURVES[curve_name]
    hours = curve.opening_hours[weekday]
    per_day = 1440 // interval_minutes
    values = [0.0] * per_day
    if hours is None:
        return values
    opens, closes = hours
    for t in range(per_day):
        begin_h, end_h = t * interval_minutes / 60, (t + 1) * interval_minutes / 60
        if begin_h < opens or end_h > closes:
            continue
        mid = (begin_h + end_h) / 2
        up = max(0.35, min(1.0, (mid - opens) / curve.ramp_up_h))
        down = max(0.30, min(1.0, (closes - mid) / curve.ramp_down_h))
        values[t] = _intraday_shape(curve_name, mid) * up * down
    total = sum(values)
    return [v / total for v in values]


def _round_half_up(value: float) -> int:
    return max(0, math.floor(value + 0.5))


def _scaled_to_total(values: Sequence[float], target: int) -> list[int]:
    """Integers proportional to `values` whose sum is as close to `target` as rounding allows."""
    if target <= 0 or sum(values) <= 0:
        return [0] * len(values)
    low, high = 0.0, 4.0 * target / sum(values) + 4.0
    for _ in range(80):
        mid = (low + high) / 2
        if sum(_round_half_up(mid * v) for v in values) < target:
            low = mid
        else:
            high = mid
    candidates = [[_round_half_up(k * v) for v in values] for k in (low, high)]
    return min(candidates, key=lambda c: abs(sum(c) - target))


def _demand(
    config: GeneratorConfig, horizon: Horizon, spec: SkillSpec, target_intervals: int, rng: random.Random
) -> list[int]:
    curve = _CURVES[spec.curve]
    weekday_weights = [curve.day_weights[horizon.date_of_day(d).weekday()] for d in range(horizon.days)]
    weight_sum = sum(weekday_weights)
    raw: list[float] = []
    for day in range(horizon.days):
        weekday = horizon.date_of_day(day).weekday()
        day_factor = weekday_weights[day] / weight_sum * (1.0 + rng.gauss(0.0, 0.02))
        for share in _day_curve(spec.curve, weekday, horizon.interval_minutes):
            noise = max(0.0, 1.0 + rng.gauss(0.0, config.noise)) if share > 0 else 0.0
            raw.append(share * day_factor * noise)
    return _scaled_to_total(raw, target_intervals)


# --------------------------------------------------------------------------------------------
# Templates and contracts


def _templates(config: GeneratorConfig) -> list[ShiftTemplate]:
    step = config.start_step_minutes

    def last_start(earliest: str, latest: str) -> str:
        """`latest`, or the last start on the step grid before it."""
        first = time_of_day_minutes(earliest)
        minute = first + (time_of_day_minutes(latest) - first) // step * step
        return f"{minute // 60:02d}:{minute % 60:02d}"

    def breaks(lunch_minutes: int) -> list[BreakRule]:
        return [
            BreakRule(
                name="break",
                duration_minutes=15,
                paid=True,
                earliest_offset_minutes=90,
                latest_offset_minutes=180,
            ),
            BreakRule(
                name="lunch",
                duration_minutes=lunch_minutes,
                paid=False,
                earliest_offset_minutes=210,
                latest_offset_minutes=300,
                min_shift_minutes=360,
            ),
        ]

    full = list(config.full_lengths_minutes)
    day_extra = config.day_lunch_minutes - 30
    weekdays: list[Any] = list(WEEKDAYS[:5])
    return [
        ShiftTemplate(
            id="early",
            name="Early",
            earliest_start="06:30",
            latest_start=last_start("06:30", "08:45"),
            start_step_minutes=step,
            lengths_minutes=full,
            breaks=breaks(30),
            min_work_between_breaks_minutes=60,
        ),
        ShiftTemplate(
            id="day",
            name="Day",
            earliest_start="09:00",
            latest_start=last_start("09:00", "11:45"),
            start_step_minutes=step,
            lengths_minutes=[n + day_extra for n in full],
            breaks=breaks(config.day_lunch_minutes),
            min_work_between_breaks_minutes=60,
        ),
        ShiftTemplate(
            id="late",
            name="Late (weekdays)",
            earliest_start="12:00",
            latest_start=last_start("12:00", "14:00"),
            start_step_minutes=step,
            lengths_minutes=full,
            days=weekdays,
            breaks=breaks(30),
            min_work_between_breaks_minutes=60,
        ),
        ShiftTemplate(
            id="part",
            name="Part-time",
            earliest_start="08:00",
            latest_start=last_start("08:00", "17:00"),
            start_step_minutes=step,
            lengths_minutes=list(config.part_lengths_minutes),
            cost_per_shift=2.0,
            breaks=breaks(30),
            min_work_between_breaks_minutes=60,
        ),
    ]


_FULL_TIME = ["early", "day", "late"]
_CONTRACTS: dict[str, Contract] = {
    c.id: c
    for c in (
        Contract(
            id="ft40",
            name="Full time 40 h",
            min_paid_minutes=2280,
            max_paid_minutes=2400,
            min_working_days=5,
            max_working_days=5,
            max_consecutive_working_days=5,
            min_consecutive_days_off=2,
            min_rest_minutes=660,
            max_working_weekends=1,
            max_start_variation_minutes=120,
            allowed_templates=_FULL_TIME,
            soft={"max_start_variation_minutes": 1},
        ),
        Contract(
            id="ft32",
            name="Full time 32 h",
            min_paid_minutes=1800,
            max_paid_minutes=1920,
            min_working_days=4,
            max_working_days=4,
            max_consecutive_working_days=4,
            min_consecutive_days_off=2,
            min_rest_minutes=660,
            max_working_weekends=1,
            max_start_variation_minutes=120,
            allowed_templates=_FULL_TIME,
            soft={"max_start_variation_minutes": 1},
        ),
        Contract(
            id="pt24",
            name="Part time 24 h",
            min_paid_minutes=1320,
            max_paid_minutes=1500,
            min_working_days=3,
            max_working_days=5,
            max_consecutive_working_days=5,
            min_rest_minutes=660,
            allowed_templates=["part", "day"],
        ),
        Contract(
            id="pt20",
            name="Part time 20 h",
            min_paid_minutes=1080,
            max_paid_minutes=1200,
            min_working_days=4,
            max_working_days=5,
            max_consecutive_working_days=5,
            min_rest_minutes=660,
            allowed_templates=["part"],
        ),
    )
}
_HOURLY_RATE = {"ft40": (20.0, 30.0), "ft32": (20.0, 28.0), "pt24": (18.0, 25.0), "pt20": (18.0, 24.0)}


def _contract_hours(contract: Contract) -> float:
    top = contract.min_paid_minutes if contract.max_paid_minutes is None else contract.max_paid_minutes
    return (contract.min_paid_minutes + top) / 2 / 60


# --------------------------------------------------------------------------------------------
# Feasibility of one agent on its own


Option = tuple[int, int, int]  # (start, end, paid minutes); minutes from the horizon start


def _minutes_from_start(horizon: Horizon, moment: dt.datetime) -> int:
    origin = dt.datetime.combine(horizon.start_date, dt.time())
    return int((moment - origin).total_seconds() // 60)


def day_options(
    horizon: Horizon, templates: Sequence[ShiftTemplate], contract: Contract, agent: Agent
) -> list[list[Option]]:
    """Per day of the horizon, the distinct shifts the agent could work that day on its own:
    allowed templates and days, inside availability, clear of time off, as locked."""
    allowed = [
        t for t in templates if contract.allowed_templates is None or t.id in contract.allowed_templates
    ]
    available = (
        None
        if agent.availability is None
        else [
            (_minutes_from_start(horizon, w.start), _minutes_from_start(horizon, w.end))
            for w in agent.availability
        ]
    )
    away = [
        (_minutes_from_start(horizon, w.start), _minutes_from_start(horizon, w.end)) for w in agent.time_off
    ]
    locks = {horizon.day_of_date(lock.date): lock for lock in agent.locks}
    options: list[list[Option]] = []
    for day in range(horizon.days):
        lock = locks.get(day)
        found: set[Option] = set()
        for t in allowed:
            if (lock is not None and (lock.off or lock.template != t.id)) or not t.allowed_on(
                horizon.weekday_of_day(day)
            ):
                continue
            for start in t.start_minutes_of_day():
                if lock is not None and lock.start is not None and start != time_of_day_minutes(lock.start):
                    continue
                for length in t.lengths_minutes:
                    if lock is not None and lock.length_minutes not in (None, length):
                        continue
                    begin, end = day * 1440 + start, day * 1440 + start + length
                    if available is not None and not any(a <= begin and end <= b for a, b in available):
                        continue
                    if any(a < end and begin < b for a, b in away):
                        continue
                    found.add((begin, end, t.paid_minutes(length)))
        options.append(sorted(found))
    return options


def _working_day_patterns(
    contract: Contract, days: int, forced_on: set[int], possible: list[bool]
) -> Iterator[list[bool]]:
    """Sets of working days allowed by the contract's hard day rules."""
    low = 0 if contract.is_soft("min_working_days") else contract.min_working_days
    high = (
        days
        if contract.max_working_days is None or contract.is_soft("max_working_days")
        else contract.max_working_days
    )
    for mask in range(1 << days):
        work = [bool(mask >> d & 1) for d in range(days)]
        if not low <= sum(work) <= high:
            continue
        if any(work[d] and not possible[d] for d in range(days)) or any(not work[d] for d in forced_on):
            continue
        if not _runs_ok(work, contract):
            continue
        yield work


def _runs_ok(work: list[bool], contract: Contract) -> bool:
    run_on = 0
    for on in work:
        run_on = run_on + 1 if on else 0
        if (
            contract.max_consecutive_working_days is not None
            and run_on > contract.max_consecutive_working_days
        ):
            return False
    worked = [d for d, on in enumerate(work) if on]
    for a, b in zip(worked, worked[1:], strict=False):
        if 1 < b - a <= contract.min_consecutive_days_off:  # a run of b - a - 1 days off between two shifts
            return False
    return True


def agent_is_feasible(
    horizon: Horizon, templates: Sequence[ShiftTemplate], contract: Contract, agent: Agent
) -> bool:
    """Whether the agent alone can meet its contract's hard rules: working days and their runs,
    days off, paid minutes and rest, with its availability, time off and locks."""
    options = day_options(horizon, templates, contract, agent)
    forced_on = {horizon.day_of_date(lock.date) for lock in agent.locks if not lock.off}
    low_paid = 0 if contract.is_soft("min_paid_minutes") else contract.min_paid_minutes
    high_paid = None if contract.is_soft("max_paid_minutes") else contract.max_paid_minutes
    for work in _working_day_patterns(contract, horizon.days, forced_on, [bool(o) for o in options]):
        earliest_end: dict[int, int] = {0: -(10**9)}  # paid minutes so far -> earliest end of last shift
        for day in (d for d in range(horizon.days) if work[d]):
            following: dict[int, int] = {}
            for paid, last_end in earliest_end.items():
                for begin, end, minutes in options[day]:
                    total = paid + minutes
                    if last_end + contract.min_rest_minutes > begin or (
                        high_paid is not None and total > high_paid
                    ):
                        continue
                    following[total] = min(following.get(total, end), end)
            earliest_end = following
        if any(paid >= low_paid for paid in earliest_end):
            return True
    return False


# --------------------------------------------------------------------------------------------
# Agents


def _allocate(shares: Sequence[float], total: int) -> list[int]:
    """Split `total` by `shares` (largest remainder; ties to the first listed)."""
    weight = sum(shares)
    exact = [s / weight * total for s in shares]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _shuffled_labels(
    items: Sequence[Any], shares: Sequence[float], total: int, rng: random.Random
) -> list[Any]:
    labels = [item for item, count in zip(items, _allocate(shares, total), strict=True) for _ in range(count)]
    rng.shuffle(labels)
    return labels


def _window(date: dt.date, begin: str, end: str) -> TimeWindow:
    def at(clock: str) -> dt.datetime:
        minutes = time_of_day_minutes(clock) if clock != "24:00" else 1440
        return dt.datetime.combine(date, dt.time()) + dt.timedelta(minutes=minutes)

    return TimeWindow(start=at(begin), end=at(end))


_AVAILABILITY_KINDS: dict[str, tuple[tuple[str, str] | None, ...]] = {
    # per weekday mon..sun, the daily window (None: not available)
    "office hours on weekdays": (("08:00", "18:00"),) * 5 + (None, None),
    "no weekends": (("00:00", "24:00"),) * 5 + (None, None),
    "school hours": (("09:00", "15:00"),) * 5 + (None, None),
    "evenings and weekends": (("16:00", "22:30"),) * 5 + (("08:00", "22:30"),) * 2,
}


def _availability(horizon: Horizon, kind: str) -> list[TimeWindow]:
    windows = []
    for day in range(horizon.days):
        date = horizon.date_of_day(day)
        daily = _AVAILABILITY_KINDS[kind][date.weekday()]
        if daily is not None:
            windows.append(_window(date, *daily))
    return windows


_START_WINDOWS = {  # preferred start windows, by the agent's first allowed template
    "early": (("07:00", "09:30"), ("11:00", "14:00")),
    "day": (("08:00", "10:00"), ("12:00", "15:00")),
    "part": (("08:00", "10:00"), ("12:00", "15:00"), ("15:00", "17:00")),
}


class _AgentFactory:
    """Draws the restrictions of one agent at a time, keeping only those the agent can live with."""

    def __init__(
        self, config: GeneratorConfig, horizon: Horizon, templates: list[ShiftTemplate], rng: random.Random
    ) -> None:
        self.config = config
        self.horizon = horizon
        self.templates = templates
        self.rng = rng

    def feasible(self, agent: Agent) -> bool:
        return agent_is_feasible(self.horizon, self.templates, _CONTRACTS[agent.contract], agent)

    def allowed_templates(self, agent: Agent) -> list[ShiftTemplate]:
        allowed = _CONTRACTS[agent.contract].allowed_templates
        return [t for t in self.templates if allowed is None or t.id in allowed]

    def with_availability(self, agent: Agent) -> Agent:
        kinds = sorted(_AVAILABILITY_KINDS)
        self.rng.shuffle(kinds)
        curves = {s.id: s.curve for s in self.config.skills}
        office_only = all(curves[s] in ("email", "backoffice") for s in agent.skill_ids)
        for kind in kinds:
            if office_only and kind == "evenings and weekends":
                continue  # their queues are closed then
            candidate = agent.model_copy(update={"availability": _availability(self.horizon, kind)})
            if self.feasible(candidate):
                return candidate
        return agent

    def with_time_off(self, agent: Agent) -> Agent:
        weekdays = [d for d in range(self.horizon.days) if self.horizon.date_of_day(d).weekday() < 5]
        self.rng.shuffle(weekdays)
        for day in weekdays:
            date = self.horizon.date_of_day(day)
            window = _window(date, "00:00", "24:00")
            candidate = agent.model_copy(update={"time_off": [window]})
            if self.feasible(candidate):
                return candidate
        return agent

    def with_lock(self, agent: Agent) -> Agent:
        for _ in range(20):
            day = self.rng.randrange(self.horizon.days)
            date = self.horizon.date_of_day(day)
            if self.rng.random() < 0.5:
                lock = Lock(date=date, off=True)
            else:
                usable = [
                    t for t in self.allowed_templates(agent) if t.allowed_on(self.horizon.weekday_of_day(day))
                ]
                if not usable:
                    continue
                template = self.rng.choice(usable)
                start = self.rng.choice(template.start_minutes_of_day())
                lock = Lock(
                    date=date,
                    template=template.id,
                    start=f"{start // 60:02d}:{start % 60:02d}",
                    length_minutes=self.rng.choice(template.lengths_minutes),
                )
            candidate = agent.model_copy(update={"locks": [lock]})
            if self.feasible(candidate):
                return candidate
        return agent

    def with_preferences(self, agent: Agent) -> Agent:
        rng = self.rng
        options = day_options(self.horizon, self.templates, _CONTRACTS[agent.contract], agent)
        locked = {lock.date for lock in agent.locks}
        free_days = [
            d for d in range(self.horizon.days) if options[d] and self.horizon.date_of_day(d) not in locked
        ]
        allowed = self.allowed_templates(agent)
        start_window = None
        if rng.random() < 0.6 and not any(not lock.off for lock in agent.locks):
            starts = {begin % 1440 for day in options for begin, _end, _paid in day}
            windows = [
                (earliest, latest)
                for earliest, latest in _START_WINDOWS[allowed[0].id]
                if any(time_of_day_minutes(earliest) <= s <= time_of_day_minutes(latest) for s in starts)
            ]
            if windows:
                earliest, latest = rng.choice(windows)
                start_window = StartWindowPreference(
                    earliest=earliest, latest=latest, weight=rng.randint(1, 3)
                )
        days_off = []
        if free_days and (rng.random() < 0.6 or start_window is None):
            day = rng.choice(free_days)
            free_days.remove(day)
            days_off.append(DayOffPreference(date=self.horizon.date_of_day(day), weight=rng.randint(2, 5)))
        requests = []
        if free_days and rng.random() < 0.2:
            day = rng.choice(free_days)
            fitting = self._templates_fitting(options[day], day, allowed, start_window)
            template = rng.choice(fitting) if fitting else None
            requests.append(
                ShiftRequest(date=self.horizon.date_of_day(day), template=template, weight=rng.randint(1, 3))
            )
        return agent.model_copy(
            update={
                "preferences": Preferences(
                    start_window=start_window, days_off=days_off, shift_requests=requests
                )
            }
        )

    def _templates_fitting(
        self,
        options: list[Option],
        day: int,
        allowed: list[ShiftTemplate],
        window: StartWindowPreference | None,
    ) -> list[str]:
        """Templates with a shift that fits the agent on `day` (and starts inside `window`, if any)."""
        starts = {begin - day * 1440 for begin, _end, _paid in options}
        if window is not None:
            low, high = time_of_day_minutes(window.earliest), time_of_day_minutes(window.latest)
            starts = {s for s in starts if low <= s <= high}
        weekday = self.horizon.weekday_of_day(day)
        return [t.id for t in allowed if t.allowed_on(weekday) and starts & set(t.start_minutes_of_day())]


def _agents(
    config: GeneratorConfig, horizon: Horizon, templates: list[ShiftTemplate], rng: random.Random
) -> list[Agent]:
    n = config.agents
    width = max(3, len(str(n)))
    contracts = _shuffled_labels(
        [c for c, _ in config.contract_mix], [s for _, s in config.contract_mix], n, rng
    )
    groups = _shuffled_labels(
        [g for g, _ in config.skill_groups], [s for _, s in config.skill_groups], n, rng
    )
    agents = []
    for i in range(n):
        low, high = _HOURLY_RATE[contracts[i]]
        seniority = rng.random()
        rate = round((low + (high - low) * seniority) * 2) / 2
        agents.append(
            Agent(
                id=f"a{i + 1:0{width}d}",
                name=f"Agent {i + 1:0{width}d}",
                contract=contracts[i],
                skills=[AgentSkill(skill=s, priority=k + 1) for k, s in enumerate(groups[i])],
                cost_per_hour=rate,
            )
        )
    order = list(range(n))
    rng.shuffle(order)
    cut_availability = round(config.availability_share * n)
    cut_time_off = cut_availability + round(config.time_off_share * n)
    cut_lock = cut_time_off + round(config.lock_share * n)
    factory = _AgentFactory(config, horizon, templates, rng)
    for i in sorted(order[:cut_availability]):
        agents[i] = factory.with_availability(agents[i])
    for i in sorted(order[cut_availability:cut_time_off]):
        agents[i] = factory.with_time_off(agents[i])
    for i in sorted(order[cut_time_off:cut_lock]):
        agents[i] = factory.with_lock(agents[i])
    for i in sorted(rng.sample(range(n), round(config.preference_share * n))):
        agents[i] = factory.with_preferences(agents[i])
    return agents


# --------------------------------------------------------------------------------------------
# The instance


def generate_instance(config: GeneratorConfig) -> Instance:
    """A realistic, calibrated instance; the same config gives the same instance."""
    rng = random.Random(config.seed)
    horizon = Horizon(
        start_date=config.start_date,
        days=config.days,
        interval_minutes=config.interval_minutes,
        timezone=config.timezone,
    )
    templates = _templates(config)
    agents = _agents(config, horizon, templates, rng)

    share: dict[str, float] = {s.id: 0.0 for s in config.skills}
    for agent in agents:
        for skill in agent.skills:
            share[skill.skill] += _contract_hours(_CONTRACTS[agent.contract]) / len(agent.skills)
    per_hour = 60 // config.interval_minutes
    demand = [
        SkillDemand(
            skill=spec.id,
            required=_demand(
                config, horizon, spec, round(config.load_factor * share[spec.id] * per_hour), rng
            ),
        )
        for spec in config.skills
    ]
    if config.demand_as == "forecast":
        from optimizer.generate_forecast import forecast_for

        channel = {spec.id: spec.channel for spec in config.skills}
        demand = [SkillDemand(skill=row.skill, forecast=forecast_for(
            row.required or [], channel[row.skill], config.interval_minutes)) for row in demand]
    used = {a.contract for a in agents}
    return Instance(
        name=config.name,
        description=config.description,
        horizon=horizon,
        skills=[Skill(id=s.id, name=s.name, channel=s.channel) for s in config.skills],
        demand=demand,
        templates=templates,
        contracts=[c for cid, c in _CONTRACTS.items() if cid in used],
        agents=agents,
        weights=Weights(fairness=config.fairness_weight, shift_patterns=config.shift_patterns_weight,
                        under_staffing_mode=config.under_staffing_mode),
    )


def required_agent_hours(instance: Instance) -> float:
    """Total required agent-hours of the horizon, over all skills."""
    return sum(sum(instance.required(row.skill)) for row in instance.demand) * instance.horizon.interval_minutes / 60


def capacity_hours(instance: Instance) -> float:
    """The agents' contract hours: per agent the midpoint of its contract's min and max paid minutes."""
    return sum(_contract_hours(instance.contract_of(agent)) for agent in instance.agents)


# --------------------------------------------------------------------------------------------
# Deterministic JSON text

_INLINE_WIDTH = 100


def _is_scalar(node: Any) -> bool:
    return not isinstance(node, dict | list)


def _inline(node: Any) -> str | None:
    """The one-line form of `node` when it should be written on one line: lists of scalars (the
    demand rows) always, small flat containers when they are short."""
    if isinstance(node, list) and all(_is_scalar(v) for v in node):
        separator = "," if len(node) > 24 else ", "
        return "[" + separator.join(json.dumps(v) for v in node) + "]"
    children = node.values() if isinstance(node, dict) else node
    if any(
        not _is_scalar(c) and any(not _is_scalar(g) for g in (c.values() if isinstance(c, dict) else c))
        for c in children
    ):
        return None  # more than two levels deep
    text = json.dumps(node)
    return text if len(text) <= _INLINE_WIDTH else None


def _dump(node: Any, depth: int) -> str:
    if _is_scalar(node):
        return json.dumps(node)
    text = _inline(node)
    if text is not None:
        return text
    pad, inner = " " * depth, " " * (depth + 1)
    if isinstance(node, dict):
        items = [f"{inner}{json.dumps(k)}: {_dump(v, depth + 1)}" for k, v in node.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    items = [f"{inner}{_dump(v, depth + 1)}" for v in node]
    return "[\n" + ",\n".join(items) + "\n" + pad + "]"


def instance_to_json(instance: Instance) -> str:
    """Deterministic JSON text of an instance: fields at their defaults left out, indented by one,
    each demand row and other short lists on one line."""
    return _dump(instance.model_dump(mode="json", exclude_defaults=True), 0) + "\n"


# --------------------------------------------------------------------------------------------
# Profiles of the committed instances

_VOICE = SkillSpec("voice", "Voice", "voice", "voice")
_CHAT = SkillSpec("chat", "Chat", "chat", "chat")
_EMAIL = SkillSpec("email", "E-mail", "email", "email")

_MEDIUM = GeneratorConfig(
    name="multiskill-medium",
    seed=23,
    agents=150,
    skills=(_VOICE, _CHAT, _EMAIL),
    skill_groups=(
        (("voice",), 0.55),
        (("chat",), 0.20),
        (("voice", "chat"), 0.15),
        (("email",), 0.05),
        (("voice", "chat", "email"), 0.05),
    ),
    description="Multi-skill: voice, chat and e-mail, 150 agents in five skill groups, one week.",
)
"""The medium instance; its forecast twin differs only in how demand is given and priced."""

PROFILES: dict[str, GeneratorConfig] = {
    config.name: config
    for config in (
        GeneratorConfig(
            name="demo-small",
            seed=11,
            agents=25,
            skills=(_VOICE,),
            skill_groups=((("voice",), 1.0),),
            description="Demo: one voice queue, 25 agents, one week of 15-minute intervals; "
            "30-minute start steps and one full-time length so it solves to optimality quickly.",
            start_step_minutes=30,
            full_lengths_minutes=(510,),
            part_lengths_minutes=(240, 300),
        ),
        _MEDIUM,
        replace(
            _MEDIUM,
            name="multiskill-medium-forecast",
            description="multiskill-medium with its demand given as forecasts (volume, handle time, "
            "targets) whose derived requirements are the medium's; under-staffing priced by service level.",
            demand_as="forecast",
            under_staffing_mode="service_level",
        ),
        GeneratorConfig(
            name="multiskill-large",
            seed=37,
            agents=800,
            skills=(
                SkillSpec("voice_en", "Voice English", "voice", "voice"),
                SkillSpec("voice_de", "Voice German", "voice", "voice_de"),
                _CHAT,
                _EMAIL,
                SkillSpec("backoffice", "Back office", "backoffice", "backoffice"),
            ),
            skill_groups=(
                (("voice_en",), 0.30),
                (("voice_de",), 0.12),
                (("voice_en", "voice_de"), 0.08),
                (("chat",), 0.12),
                (("voice_en", "chat"), 0.12),
                (("voice_de", "chat"), 0.05),
                (("email",), 0.06),
                (("email", "backoffice"), 0.05),
                (("backoffice",), 0.05),
                (("voice_en", "chat", "email"), 0.05),
            ),
            description="Multi-skill at scale: two voice languages, chat, e-mail and back office, "
            "800 agents in ten skill groups, one week.",
            day_lunch_minutes=60,
        ),
    )
}
