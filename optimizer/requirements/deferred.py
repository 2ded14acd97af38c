"""Deferred work (email, back office): a backlog cleared within a response-time target.

Model (fluid, first in first out, carried across intervals):

* items of interval ``i`` arrive uniformly over the interval, each bringing ``aht_s[i]`` seconds of
  work; an optional ``initial_backlog`` (items, with ``initial_aht_s`` each) waits at the start and
  is due ``response_time_s`` after it;
* every item must be *finished* within ``response_time_s`` of its arrival: with ``A(tau)`` the
  work arrived by time ``tau``, the work due by ``tau`` is ``D(tau) = A(tau - R)``, and the work
  processed ``P(tau)`` must stay at or above ``D(tau)`` at every instant;
* ``n`` agents process ``n * productivity`` seconds of work per second (``productivity`` is the
  maximum occupancy: the share of time an agent spends on items), FIFO, and only on work that has
  arrived: idle capacity is lost, it cannot be banked for later.

Within interval ``i`` (arrival rate ``a``, backlog ``b`` at its start) the processed work is
``P(iL + u) = P(iL) + min(r u, b + a u)`` for a processing rate ``r``. The constraint only binds
through ``r u >= D(iL + u) - P(iL)``; ``D`` is piecewise linear, so the largest required rate is
found at the interval end, at the breakpoints of ``D`` inside the interval and, when the previous
intervals left no slack, at the slope of ``D`` at the interval start. The requirement per interval
is the smallest integer ``n`` with ``n * productivity`` at or above that rate.

This is greedy "just in time" staffing: each interval has the fewest agents that keep every item
within its response time given the carry-over from earlier intervals. Because unused capacity
cannot be saved for later, no staffing with fewer agents in an interval meets the target there
given the same history. Items still in the backlog at the end of the horizon (due after it) are
reported, not forced.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optimizer.requirements.erlang import DEFAULT_MAX_AGENTS

__all__ = ["DeferredResult", "deferred_required"]

_EPS = 1e-9


@dataclass(frozen=True)
class DeferredResult:
    agents: np.ndarray
    """Productive agents per interval (integers); -1 where more than ``max_agents`` are needed."""
    handled: np.ndarray
    """Items finished per interval."""
    backlog_end: np.ndarray
    """Items waiting (not finished) at the end of each interval."""
    occupancy: np.ndarray
    """Share of the agents' productive time spent on items."""


@np.errstate(over="ignore", invalid="ignore")  # an astronomic volume: inf work, reported as unreachable (-1)
def deferred_required(
    volume,
    aht_s,
    response_time_s: float,
    interval_s: float,
    *,
    productivity: float = 1.0,
    initial_backlog: float = 0.0,
    initial_aht_s: float | None = None,
    max_agents: int = DEFAULT_MAX_AGENTS,
) -> DeferredResult:
    """Agents per interval so that every item is finished within ``response_time_s`` (FIFO fluid
    model with carry-over, see the module docstring). ``volume`` and ``aht_s`` are per interval.
    An interval that needs more than ``max_agents`` gets -1 (unreachable), and the following
    intervals are worked out as if it had ``max_agents``."""
    volume = np.asarray(volume, dtype=float)
    aht = np.broadcast_to(np.asarray(aht_s, dtype=float), volume.shape)
    n_int = volume.size
    length = float(interval_s)
    delay = float(response_time_s)
    work = np.minimum(volume * aht, 1e300)  # agent-seconds arriving per interval (an overflow stays finite)
    cum = np.concatenate([[0.0], np.cumsum(work)])  # work arrived by each interval boundary
    b0 = float(initial_backlog) * float(initial_aht_s if initial_aht_s is not None else (aht[0] if n_int else 0.0))

    def arrived(tau: float) -> float:
        """Work arrived by time ``tau`` (the initial backlog counts from time 0)."""
        if tau < 0:
            return 0.0
        k = min(int(tau // length), n_int)
        if k >= n_int:
            return b0 + cum[-1]
        return b0 + cum[k] + work[k] * (tau - k * length) / length

    def due(tau: float) -> float:
        return arrived(tau - delay) if tau >= delay else 0.0

    def due_slope(tau: float) -> float:
        """Right derivative of the due curve at ``tau``."""
        s = tau - delay
        if s < 0:
            return 0.0
        k = int(s // length)
        return work[k] / length if k < n_int else 0.0

    agents = np.zeros(n_int, dtype=np.int64)
    handled = np.zeros(n_int)
    backlog_end = np.zeros(n_int)
    occupancy = np.zeros(n_int)
    processed = 0.0
    for i in range(n_int):
        start = i * length
        candidates = [start + length]
        first_break = delay + math.ceil((start - delay) / length + _EPS) * length if start >= delay else delay
        tau = first_break
        while tau < start + length - _EPS:
            if tau > start + _EPS:
                candidates.append(tau)
            tau += length
        rate = 0.0
        for tau in candidates:
            rate = max(rate, (due(tau) - processed) / (tau - start))
        scale = max(1.0, processed)
        if due(start) >= processed - _EPS * scale:
            rate = max(rate, due_slope(start))
        needed = rate / productivity
        if not needed <= max_agents:  # also inf / nan from an astronomic volume: no int64 overflow
            agents[i] = -1
            n = max_agents
        else:
            n = max(0, math.ceil(needed - _EPS * max(1.0, needed)))
            agents[i] = n
        backlog = arrived(start) - processed
        done = min(n * productivity * length, backlog + work[i])
        processed += done
        backlog_end_work = arrived(start + length) - processed
        handled[i] = done / aht[i]
        backlog_end[i] = max(0.0, backlog_end_work) / aht[i]
        occupancy[i] = done / (n * length) if n else 0.0
    return DeferredResult(agents=agents, handled=handled, backlog_end=backlog_end, occupancy=occupancy)
