"""The discrete-event core: one contact center day (or week) per replication, on SimPy's clock.

SimPy (https://simpy.readthedocs.io) provides the event calendar; the model is kept lean for
speed: calls are rows of plain Python lists, agents of one group are interchangeable so a group
is three counters (idle, busy, leaving), and events are SimPy timeouts with callbacks (no process
per call). Everything random is drawn up front with numpy from one seeded generator per
replication (``numpy.random.default_rng([seed, replication])``), so a replication's result does not
depend on how many others run.

Model:

* arrivals: per skill and interval a Poisson number of calls (mean = the forecast volume), spread
  uniformly over the interval (a piecewise-constant-rate Poisson process);
* handle times: exponential with the interval's AHT, or lognormal with that mean and a given
  coefficient of variation;
* patience: exponential with the interval's mean patience (none: infinite); a call abandons when
  its patience runs out before an agent takes it;
* agents: groups with a skill set and a head count per interval. At each interval boundary the
  count is applied: new agents start idle and take waiting calls at once; when the count drops,
  idle agents leave at once and busy ones finish their current call first (they then leave
  instead of taking another). After the last interval the last counts stay until every call is
  answered or abandoned (calls still waiting when nothing is left to happen count as offered,
  not answered);
* routing: an arriving call goes to an idle agent of the group with the fewest skills among those
  that serve it (specialists first, keeping generalists free), else it waits in its skill's FIFO
  queue; an agent who becomes free takes the call that has waited longest among the queues of
  its skills. With single-skill groups this is per-skill staffing, the engine's model (an agent
  serves one skill per interval).

Statistics are attributed to the interval in which the call *arrived*.

Warm-up: a contact center opens empty, so by default nothing is discarded and the first intervals
show the (real) empty-start effect. ``warmup_intervals > 0`` prepends that many copies of the first
interval (same volume, handle time, patience and staffing) whose calls are not counted, so the
first counted interval starts close to steady state, which is what Erlang formulas describe.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

import numpy as np
import simpy

HandleTime = Literal["exponential", "lognormal"]
STATS = ("offered", "answered", "within", "abandoned", "wait_answered", "wait_all")


@dataclass(frozen=True)
class QueueInput:
    """One skill's traffic per interval (arrays of the timeline's length). ``patience_s`` is
    ``inf`` where calls never abandon."""

    volume: np.ndarray
    aht_s: np.ndarray
    threshold_s: np.ndarray
    patience_s: np.ndarray


@dataclass(frozen=True)
class GroupInput:
    """Interchangeable agents: indices of the skills they serve and their head count per interval."""

    skills: tuple[int, ...]
    agents: np.ndarray


def _draw_calls(rng: np.random.Generator, queues: list[QueueInput], interval_s: float,
                handle_time: HandleTime, cv: float, warmup: int):
    """All calls of one replication, sorted by arrival: (time, skill, interval, service, patience)."""
    times, skills, intervals, services, patiences = [], [], [], [], []
    for k, q in enumerate(queues):
        volume = np.concatenate([np.repeat(q.volume[:1], warmup), q.volume])
        counts = rng.poisson(volume)
        total = int(counts.sum())
        interval = np.repeat(np.arange(volume.size), counts)
        t = (interval + rng.random(total)) * interval_s
        aht = np.concatenate([np.repeat(q.aht_s[:1], warmup), q.aht_s])[interval]
        if handle_time == "lognormal":
            sigma2 = np.log1p(cv * cv)
            service = rng.lognormal(np.log(aht) - sigma2 / 2.0, np.sqrt(sigma2))
        else:
            service = rng.exponential(aht)
        patience_mean = np.concatenate([np.repeat(q.patience_s[:1], warmup), q.patience_s])[interval]
        finite = np.isfinite(patience_mean)
        patience = np.full(total, np.inf)
        patience[finite] = rng.exponential(patience_mean[finite])
        times.append(t)
        skills.append(np.full(total, k))
        intervals.append(interval - warmup)
        services.append(service)
        patiences.append(patience)
    t = np.concatenate(times)
    order = np.argsort(t, kind="stable")
    return (t[order], np.concatenate(skills)[order], np.concatenate(intervals)[order],
            np.concatenate(services)[order], np.concatenate(patiences)[order])


class _CallCenter:
    WAITING, SERVED, ABANDONED = 0, 1, 2

    def __init__(self, queues: list[QueueInput], groups: list[GroupInput], interval_s: float,
                 calls, warmup: int) -> None:
        self.env = simpy.Environment()
        self.interval_s = interval_s
        self.warmup = warmup
        t, skill, interval, service, patience = calls
        self.arrival = t.tolist()
        self.skill = skill.tolist()
        self.interval = interval.tolist()
        self.service = service.tolist()
        self.patience = patience.tolist()
        self.state = [self.WAITING] * len(self.arrival)
        n_int = queues[0].volume.size
        self.threshold = [q.threshold_s.tolist() for q in queues]
        self.stats = {name: [[0.0] * n_int for _ in queues] for name in STATS}
        self.queue: list[deque[int]] = [deque() for _ in queues]
        self.group_skills = [g.skills for g in groups]
        self.staffing = [np.concatenate([np.repeat(g.agents[:1], warmup), g.agents]).astype(int).tolist()
                         for g in groups]
        self.idle = [0] * len(groups)
        self.busy = [0] * len(groups)
        self.leaving = [0] * len(groups)
        order = sorted(range(len(groups)), key=lambda g: (len(groups[g].skills), g))
        self.skill_groups = [[g for g in order if k in groups[g].skills] for k in range(len(queues))]

    # --- events ---------------------------------------------------------------------------
    def run(self) -> dict[str, list[list[float]]]:
        self.env.process(self._shifts())
        self._schedule_arrival(0)
        self.env.run()
        return self.stats

    def _schedule_arrival(self, cid: int) -> None:
        """Arrivals are chained: each one schedules the next (one pending arrival event)."""
        if cid < len(self.arrival):
            self.env.timeout(self.arrival[cid] - self.env.now, value=cid).callbacks.append(self._on_arrival)

    def _on_arrival(self, event) -> None:
        cid = event.value
        self._schedule_arrival(cid + 1)
        self._arrive(cid)

    def _shifts(self):
        n_total = len(self.staffing[0]) if self.staffing else 0
        for i in range(n_total):
            if i:
                yield self.env.timeout(i * self.interval_s - self.env.now)
            for g, counts in enumerate(self.staffing):
                self._set_staff(g, counts[i])

    def _arrive(self, cid: int) -> None:
        k = self.skill[cid]
        i = self.interval[cid]
        if i >= 0:
            self.stats["offered"][k][i] += 1
        idle = self.idle
        for g in self.skill_groups[k]:
            if idle[g] > 0:
                idle[g] -= 1
                self.busy[g] += 1
                self._start(cid, g)
                return
        self.queue[k].append(cid)
        patience = self.patience[cid]
        if patience != float("inf"):
            self.env.timeout(patience, value=cid).callbacks.append(self._abandon)

    def _start(self, cid: int, g: int) -> None:
        self.state[cid] = self.SERVED
        i = self.interval[cid]
        if i >= 0:
            k = self.skill[cid]
            wait = self.env.now - self.arrival[cid]
            stats = self.stats
            stats["answered"][k][i] += 1
            stats["wait_answered"][k][i] += wait
            stats["wait_all"][k][i] += wait
            if wait <= self.threshold[k][i] + 1e-9:
                stats["within"][k][i] += 1
        self.env.timeout(self.service[cid], value=g).callbacks.append(self._complete)

    def _complete(self, event) -> None:
        g = event.value
        if self.leaving[g] > 0:
            self.leaving[g] -= 1
            self.busy[g] -= 1
            return
        cid = self._next_call(g)
        if cid is None:
            self.busy[g] -= 1
            self.idle[g] += 1
        else:
            self._start(cid, g)

    def _abandon(self, event) -> None:
        cid = event.value
        if self.state[cid] != self.WAITING:
            return
        self.state[cid] = self.ABANDONED
        i = self.interval[cid]
        if i >= 0:
            k = self.skill[cid]
            self.stats["abandoned"][k][i] += 1
            self.stats["wait_all"][k][i] += self.patience[cid]

    def _next_call(self, g: int) -> int | None:
        best = None
        best_queue = None
        state = self.state
        for k in self.group_skills[g]:
            q = self.queue[k]
            while q and state[q[0]] != self.WAITING:
                q.popleft()
            if q and (best is None or self.arrival[q[0]] < self.arrival[best]):
                best, best_queue = q[0], q
        if best_queue is not None:
            best_queue.popleft()
        return best

    def _set_staff(self, g: int, target: int) -> None:
        committed = self.idle[g] + self.busy[g] - self.leaving[g]
        if target > committed:
            more = target - committed
            stay = min(self.leaving[g], more)
            self.leaving[g] -= stay
            self.idle[g] += more - stay
            while self.idle[g] > 0:
                cid = self._next_call(g)
                if cid is None:
                    break
                self.idle[g] -= 1
                self.busy[g] += 1
                self._start(cid, g)
        elif target < committed:
            fewer = committed - target
            gone = min(self.idle[g], fewer)
            self.idle[g] -= gone
            self.leaving[g] += fewer - gone


def simulate_replications(
    queues: list[QueueInput],
    groups: list[GroupInput],
    interval_s: float,
    *,
    replications: int,
    seed: int,
    handle_time: HandleTime = "exponential",
    handle_time_cv: float = 1.0,
    warmup_intervals: int = 0,
) -> dict[str, np.ndarray]:
    """Run the replications; returns each statistic in `STATS` as an array of shape
    (replications, skills, intervals): counts of offered, answered, answered within the threshold
    and abandoned calls, and the summed waits of answered calls and of all calls."""
    n_int = queues[0].volume.size
    out = {name: np.zeros((replications, len(queues), n_int)) for name in STATS}
    for r in range(replications):
        rng = np.random.default_rng([seed, r])
        calls = _draw_calls(rng, queues, interval_s, handle_time, handle_time_cv, warmup_intervals)
        stats = _CallCenter(queues, groups, interval_s, calls, warmup_intervals).run()
        for name in STATS:
            out[name][r] = stats[name]
    return out
