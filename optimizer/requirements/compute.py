"""Forecast rows -> required agents per skill and interval, and service predicted for a staffing.

Models by channel:

* voice: Erlang C, or Erlang A when the row has ``patience_s``;
* chat: the same queue models with an *effective handle time*: an agent working ``k`` chats at
  once with concurrency efficiency ``e`` (the share of the ``k`` slots used on average, 1 = always
  full) closes chats ``k e`` times as fast as one at a time, so the queue is sized as voice with
  ``AHT_eff = AHT / (k e)``, where ``AHT`` is a chat's handle time as it is actually handled
  (concurrently, from assignment to close). This is the usual WFM approximation (agents as single
  fast servers); it ignores that a chat assigned to a busy agent's free slot starts at once;
* email, backoffice: the deferred-work backlog model (`optimizer.requirements.deferred`) per skill,
  intervals carried over in time order.

Shrinkage is applied after the queue model, explicitly: ``required_net`` productive agents,
``required_gross = ceil(net / (1 - total shrinkage))`` agents to have on the payroll's schedule, and
``required_scheduled = ceil(net / (1 - shrinkage without breaks))``: the demand to give the
schedule engine, which places breaks itself and counts coverage net of them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Literal

import numpy as np

from optimizer.domain.instance import INTERVAL_MINUTES, FieldIssue
from optimizer.requirements.deferred import deferred_required
from optimizer.requirements.erlang import (
    DEFAULT_MAX_AGENTS,
    QueueMetrics,
    _ceil,
    erlang_c_metrics,
    erlang_c_required,
    offered_load,
)
from optimizer.requirements.erlang_a import erlang_a_metrics, erlang_a_required
from optimizer.requirements.forecast import (
    DEFERRED_CHANNELS,
    ForecastError,
    ForecastRow,
    RowLocator,
    parse_forecast_rows,
)

__all__ = [
    "IntervalRequirement",
    "Requirements",
    "compute_requirements",
    "effective_aht",
    "infer_interval_minutes",
    "predict_service",
]


@dataclass(frozen=True)
class IntervalRequirement:
    """Required agents of one skill in one interval, with the service the net count achieves.

    Queue measures (``service_level``, ``asa_s``, ``p_wait``, ``abandonment``) are NaN for
    deferred work; ``backlog_end`` (items not finished at the interval end) is NaN for queues."""

    skill: str
    channel: str
    interval_start: dt.datetime
    volume: float
    aht_s: float
    workload_erlangs: float
    model: str
    required_net: int
    required_scheduled: int
    required_gross: int
    binding: str
    service_level_target: float
    service_level: float
    asa_s: float
    occupancy: float
    abandonment: float
    p_wait: float
    backlog_end: float
    shrinkage: float
    shrinkage_breaks: float


COLUMNS = tuple(f.name for f in fields(IntervalRequirement))


@dataclass(frozen=True)
class Requirements:
    """The result of `compute_requirements`: one `IntervalRequirement` per forecast row, in the
    forecast's order, and the interval length used."""

    rows: list[IntervalRequirement]
    interval_minutes: int

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([asdict(r) for r in self.rows], columns=list(COLUMNS))

    def skills(self) -> list[str]:
        return list(dict.fromkeys(r.skill for r in self.rows))

    def by_skill(self, kind: Literal["net", "scheduled", "gross"] = "scheduled") -> dict[str, list[int]]:
        """Required agents per skill, one per interval from the skill's first interval to its last
        (``kind``: which count); an interval without a forecast row needs 0."""
        step = dt.timedelta(minutes=self.interval_minutes)
        out: dict[str, dict[dt.datetime, int]] = defaultdict(dict)
        for r in self.rows:
            out[r.skill][r.interval_start] = getattr(r, f"required_{kind}")
        series = {}
        for skill, counts in out.items():
            first, last = min(counts), max(counts)
            series[skill] = [counts.get(first + k * step, 0) for k in range((last - first) // step + 1)]
        return series


def effective_aht(row: ForecastRow) -> float:
    """Handle time the queue model sees: ``aht_s / (concurrency * efficiency)`` for chat."""
    return row.effective_aht_s


def infer_interval_minutes(rows: Sequence[ForecastRow], default: int = 15) -> int:
    """The most frequent gap between consecutive interval starts of one skill, in minutes (the
    smaller on a tie). Not the smallest: one mistyped start (08:40 in 15-minute data) would make
    10-minute intervals of everything; with the most frequent gap it is off the grid, and reported."""
    gaps: Counter[int] = Counter()
    by_skill: dict[str, list[dt.datetime]] = defaultdict(list)
    for r in rows:
        by_skill[r.skill].append(r.interval_start)
    for starts in by_skill.values():
        starts = sorted(starts)
        gaps.update(int(round((b - a).total_seconds() / 60)) for a, b in zip(starts, starts[1:], strict=False)
                    if b > a)
    if not gaps:
        return default
    return min(gaps, key=lambda gap: (-gaps[gap], gap))


def _check_layout(rows: Sequence[ForecastRow], interval_minutes: int, locate: RowLocator) -> None:
    """One channel per skill, no duplicate interval, deferred skills on a gap-free grid."""
    issues: list[FieldIssue] = []
    channel: dict[str, tuple[str, int]] = {}
    seen: dict[tuple[str, dt.datetime], int] = {}
    step = dt.timedelta(minutes=interval_minutes)
    for i, r in enumerate(rows):
        first = channel.setdefault(r.skill, (r.channel, i))
        if first[0] != r.channel:
            issues.append(FieldIssue(path=locate(i, "channel"), reason=(
                f"skill '{r.skill}' is {first[0]} at {locate(first[1])}: one channel per skill")))
        key = (r.skill, r.interval_start)
        if key in seen:
            issues.append(FieldIssue(path=locate(i, "interval_start"), reason=(
                f"skill '{r.skill}' already has the interval {r.interval_start.isoformat()} "
                f"at {locate(seen[key])}")))
        seen.setdefault(key, i)
    first_start: dict[str, dt.datetime] = {}
    for r in rows:
        first_start[r.skill] = min(first_start.get(r.skill, r.interval_start), r.interval_start)
    for i, r in enumerate(rows):
        if (r.interval_start - first_start[r.skill]) % step:
            issues.append(FieldIssue(path=locate(i, "interval_start"), reason=(
                f"{r.interval_start.isoformat()} is not on the {interval_minutes}-minute grid of skill '{r.skill}' "
                f"(from {first_start[r.skill].isoformat()})")))
    for skill, (chan, _) in channel.items():
        if chan not in DEFERRED_CHANNELS:
            continue
        idx = sorted((i for i, r in enumerate(rows) if r.skill == skill), key=lambda i: rows[i].interval_start)
        for prev, cur in zip(idx, idx[1:], strict=False):
            if rows[cur].interval_start - rows[prev].interval_start not in (step, dt.timedelta(0)):
                issues.append(FieldIssue(path=locate(cur, "interval_start"), reason=(
                    f"deferred work carries its backlog from interval to interval: skill '{skill}' "
                    f"needs consecutive {interval_minutes}-minute intervals, but the previous one "
                    f"starts at {rows[prev].interval_start.isoformat()}")))
    if issues:
        raise ForecastError(issues)


def _opt(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _queue_requirements(rows: Sequence[ForecastRow], idx: list[int], interval_s: float,
                        max_agents: int, erlang_a: bool):
    sub = [rows[i] for i in idx]
    aht = np.array([effective_aht(r) for r in sub])
    load = offered_load([r.volume for r in sub], aht, interval_s)
    t = np.array([r.targets.threshold_s for r in sub])
    kw = dict(service_level=_opt([r.targets.service_level for r in sub]), threshold_s=t,
              asa_s=_opt([r.targets.asa_s for r in sub]),
              max_occupancy=_opt([r.targets.max_occupancy for r in sub]), max_agents=max_agents)
    if erlang_a:
        patience = np.array([r.targets.patience_s for r in sub], dtype=float)
        req = erlang_a_required(load, aht, patience, max_abandonment=_opt(
            [r.targets.max_abandonment for r in sub]), **kw)
        metrics = erlang_a_metrics(np.maximum(req.agents, 0), load, aht, patience, t)
    else:
        req = erlang_c_required(load, aht, **kw)
        metrics = erlang_c_metrics(np.maximum(req.agents, 0), load, aht, t)
    return load, req, metrics


def _erlangs(load: float) -> str:
    """A load in an error message: not 300 digits for a typo, nor 'inf' for an overflow."""
    if not math.isfinite(load):
        return "over 1e308"
    return f"{load:,.1f}" if load < 1e9 else f"{load:.3g}"


_TARGET_FIELD = {"service_level": "targets.service_level", "asa": "targets.asa_s",
                 "occupancy": "targets.max_occupancy", "abandonment": "targets.max_abandonment"}


def compute_requirements(
    rows: Sequence[ForecastRow] | Sequence[dict],
    *,
    interval_minutes: int | None = None,
    max_agents: int = DEFAULT_MAX_AGENTS,
    locate: RowLocator | None = None,
) -> Requirements:
    """Required agents for every forecast row (see the module docstring for the models).

    ``interval_minutes`` defaults to the most frequent gap between a skill's interval starts (15 when
    every skill has a single row). Raises `ForecastError` naming the row and field when the
    forecast is invalid or a target needs more than ``max_agents`` agents in an interval."""
    locate = locate or RowLocator()
    rows = parse_forecast_rows(rows, locate)
    inferred = interval_minutes is None
    spacing = infer_interval_minutes(rows, default=0)
    if interval_minutes is None:
        interval_minutes = spacing or 15
    if interval_minutes not in INTERVAL_MINUTES:
        given = (f"the most frequent gap between a skill's interval starts is {interval_minutes} minutes" if inferred
                 else f"got {interval_minutes}")
        raise ForecastError([FieldIssue(path="interval_minutes", reason=(
            f"an interval is {', '.join(map(str, INTERVAL_MINUTES[:-1]))} or {INTERVAL_MINUTES[-1]} minutes long, "
            f"as in an instance ({given})"))])
    if spacing and spacing != interval_minutes:  # hourly volumes read as 15-minute ones, or the reverse
        raise ForecastError([FieldIssue(path="interval_minutes", reason=(
            f"the forecast's interval starts are {spacing} minutes apart (most often), not {interval_minutes}"))])
    _check_layout(rows, interval_minutes, locate)
    interval_s = interval_minutes * 60.0
    n = len(rows)
    out: dict[str, np.ndarray] = {
        "load": np.zeros(n), "net": np.zeros(n, dtype=np.int64), "sl": np.full(n, np.nan),
        "asa": np.full(n, np.nan), "occ": np.full(n, np.nan), "ab": np.full(n, np.nan),
        "pw": np.full(n, np.nan), "backlog": np.full(n, np.nan),
    }
    binding = np.full(n, "none", dtype=object)
    model = np.full(n, "", dtype=object)
    issues: list[FieldIssue] = []

    queue_rows = [i for i, r in enumerate(rows) if r.channel not in DEFERRED_CHANNELS]
    for use_a in (False, True):
        idx = [i for i in queue_rows if (rows[i].targets.patience_s is not None) == use_a]
        if not idx:
            continue
        load, req, m = _queue_requirements(rows, idx, interval_s, max_agents, use_a)
        ia = np.array(idx)
        out["load"][ia], out["net"][ia] = load, req.agents
        out["sl"][ia], out["asa"][ia], out["occ"][ia] = m.service_level, m.asa_s, m.occupancy
        out["ab"][ia], out["pw"][ia] = m.abandonment, m.p_wait
        binding[ia] = req.binding
        model[ia] = "erlang_a" if use_a else "erlang_c"
        for j in np.flatnonzero(req.unreachable):
            culprits = [k for k, v in req.by_target.items() if k in _TARGET_FIELD and v[j] == 0
                        and getattr(rows[idx[j]].targets, _TARGET_FIELD[k].split(".")[1]) is not None]
            field = _TARGET_FIELD[culprits[0]] if culprits else "targets"
            shown = _erlangs(load[j])
            issues.append(FieldIssue(path=locate(idx[j], field), reason=(
                f"unreachable: needs more than {max_agents} agents in the interval (offered load {shown} Erlangs)")))

    deferred_skills = dict.fromkeys(rows[i].skill for i in range(n) if rows[i].channel in DEFERRED_CHANNELS)
    for skill in deferred_skills:
        idx = sorted((i for i in range(n) if rows[i].skill == skill), key=lambda i: rows[i].interval_start)
        sub = [rows[i] for i in idx]
        first = sub[0].targets
        for k, r in zip(idx, sub, strict=True):
            if r.targets.response_time_s != first.response_time_s:
                issues.append(FieldIssue(path=locate(k, "targets.response_time_s"), reason=(
                    f"one response time per skill: '{skill}' has {first.response_time_s:g} s "
                    f"at {locate(idx[0])}")))
        if issues:
            continue
        productivity = np.array([r.targets.max_occupancy or 1.0 for r in sub])
        res = deferred_required([r.volume for r in sub], [r.aht_s / p for r, p in zip(sub, productivity,
                                strict=True)], first.response_time_s, interval_s, max_agents=max_agents)
        ia = np.array(idx)
        with np.errstate(over="ignore"):
            out["load"][ia] = offered_load([r.volume for r in sub], [r.aht_s for r in sub], interval_s)
        for j in np.flatnonzero(res.agents < 0):
            issues.append(FieldIssue(path=locate(idx[j], "targets.response_time_s"), reason=(
                f"unreachable: needs more than {max_agents} agents in the interval "
                f"(workload {_erlangs(out['load'][idx[j]])} Erlangs)")))
        if issues:
            continue
        out["net"][ia] = res.agents
        out["occ"][ia] = res.occupancy * productivity
        out["backlog"][ia] = res.backlog_end
        binding[ia] = np.where(res.agents > 0, "response_time", "none")
        model[ia] = "deferred"
    if issues:
        raise ForecastError(issues)

    result = []
    for i, r in enumerate(rows):
        net = int(out["net"][i])
        result.append(IntervalRequirement(
            skill=r.skill, channel=r.channel, interval_start=r.interval_start, volume=r.volume,
            aht_s=r.aht_s, workload_erlangs=float(out["load"][i]), model=str(model[i]),
            required_net=net,
            required_scheduled=int(_ceil(np.float64(net / (1.0 - r.shrinkage.without_breaks)))),
            required_gross=int(_ceil(np.float64(net / (1.0 - r.shrinkage.total)))),
            binding=str(binding[i]),
            service_level_target=np.nan if r.targets.service_level is None else r.targets.service_level,
            service_level=float(out["sl"][i]), asa_s=float(out["asa"][i]),
            occupancy=float(out["occ"][i]), abandonment=float(out["ab"][i]), p_wait=float(out["pw"][i]),
            backlog_end=float(out["backlog"][i]), shrinkage=r.shrinkage.total,
            shrinkage_breaks=r.shrinkage.breaks,
        ))
    return Requirements(rows=result, interval_minutes=interval_minutes)


def queue_metrics_for_rows(rows: Sequence[ForecastRow], agents, interval_s: float) -> QueueMetrics:
    """Erlang C / Erlang A metrics (by the row's ``patience_s``) for voice and chat rows at the
    given productive agent counts (one per row)."""
    agents = np.asarray(agents, dtype=float)
    aht = np.array([effective_aht(r) for r in rows])
    load = offered_load([r.volume for r in rows], aht, interval_s)
    t = np.array([r.targets.threshold_s for r in rows])
    patience = np.array([np.nan if r.targets.patience_s is None else r.targets.patience_s for r in rows])
    use_a = ~np.isnan(patience)
    c = erlang_c_metrics(agents, load, aht, t)
    if not use_a.any():
        return c
    a = erlang_a_metrics(agents[use_a], load[use_a], aht[use_a], patience[use_a], t[use_a])
    merged = {}
    for name in ("p_wait", "service_level", "asa_s", "occupancy", "abandonment"):
        value = getattr(c, name).copy()
        value[use_a] = getattr(a, name)
        merged[name] = value
    return QueueMetrics(**merged)


def predict_service(
    rows: Sequence[ForecastRow],
    agents: Mapping[str, Sequence[float]],
    *,
    interval_minutes: int | None = None,
    agents_are: Literal["net", "scheduled"] = "net",
):
    """Predicted service per forecast row for a given staffing (for schedule KPIs).

    ``agents`` maps a skill to its agent count per interval, in the time order of that skill's
    rows. With ``agents_are="scheduled"`` the counts are agents on shift and not on break (the
    engine's coverage): the productive count is ``floor(scheduled * (1 - shrinkage without
    breaks))``. Returns a pandas DataFrame with one row per forecast row: skill, interval_start,
    agents (productive), service_level, asa_s, occupancy, abandonment, p_wait for voice and chat
    (Erlang C or A), and for deferred work the items not finished on time (``late_items``) and
    ``backlog_end``."""
    import pandas as pd

    rows = parse_forecast_rows(rows)
    if interval_minutes is None:
        interval_minutes = infer_interval_minutes(rows)
    interval_s = interval_minutes * 60.0
    order: dict[str, list[int]] = defaultdict(list)
    for i in sorted(range(len(rows)), key=lambda i: rows[i].interval_start):
        order[rows[i].skill].append(i)
    productive = np.zeros(len(rows))
    issues = []
    for skill, idx in order.items():
        counts = np.asarray(agents.get(skill, []), dtype=float)
        if counts.size != len(idx):
            issues.append(FieldIssue(path=f"agents.{skill}", reason=(
                f"{counts.size} values for {len(idx)} forecast intervals")))
            continue
        for k, i in enumerate(idx):
            value = counts[k]
            if agents_are == "scheduled":
                value = np.floor(value * (1.0 - rows[i].shrinkage.without_breaks) + 1e-9)
            productive[i] = value
    if issues:
        raise ForecastError(issues)
    frame = pd.DataFrame({"skill": [r.skill for r in rows], "interval_start": [r.interval_start for r in rows],
                          "agents": productive})
    queue = np.array([r.channel not in DEFERRED_CHANNELS for r in rows])
    for name in ("service_level", "asa_s", "occupancy", "abandonment", "p_wait", "late_items", "backlog_end"):
        frame[name] = np.nan
    if queue.any():
        qi = np.flatnonzero(queue)
        m = queue_metrics_for_rows([rows[i] for i in qi], productive[qi], interval_s)
        for name in ("service_level", "asa_s", "occupancy", "abandonment", "p_wait"):
            frame.loc[qi, name] = getattr(m, name)
    for _skill, idx in order.items():
        if rows[idx[0]].channel not in DEFERRED_CHANNELS:
            continue
        late, backlog = _deferred_with_staffing([rows[i] for i in idx], productive[idx], interval_s)
        frame.loc[idx, "late_items"] = late
        frame.loc[idx, "backlog_end"] = backlog
    return frame


def _deferred_with_staffing(rows: Sequence[ForecastRow], agents: np.ndarray, interval_s: float):
    """Fluid FIFO backlog under a given staffing: items overdue (due but unfinished) and items
    waiting at each interval end."""
    work = np.array([r.volume * r.aht_s for r in rows])
    aht = np.array([r.aht_s for r in rows])
    rate = agents * np.array([r.targets.max_occupancy or 1.0 for r in rows])
    delay = rows[0].targets.response_time_s or 0.0
    cum = np.concatenate([[0.0], np.cumsum(work)])
    processed = 0.0
    late = np.zeros(len(rows))
    backlog = np.zeros(len(rows))
    for i in range(len(rows)):
        processed += min(rate[i] * interval_s, cum[i] - processed + work[i])
        end = (i + 1) * interval_s
        s = end - delay
        k = int(s // interval_s) if s >= 0 else -1
        due = 0.0 if k < 0 else (cum[-1] if k >= len(rows) else cum[k] + work[k] * (s - k * interval_s) / interval_s)
        late[i] = max(0.0, due - processed) / aht[i]
        backlog[i] = max(0.0, cum[i + 1] - processed) / aht[i]
    return late, backlog
