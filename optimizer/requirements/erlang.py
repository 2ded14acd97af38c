"""Erlang B and Erlang C (M/M/n), vectorized over intervals with numpy.

Conventions (every function broadcasts its array arguments):

* ``load`` is the offered traffic in Erlangs, ``A = volume * aht_s / interval_s``;
* ``agents`` (``n``) are productive agents on the queue (after shrinkage);
* ``threshold_s`` is the service-level threshold ("answered within 20 s"), ``aht_s`` the average
  handle time; all times in seconds.

Formulas (Erlang C, e.g. Gans, Koole & Mandelbaum, "Telephone call centers: tutorial, review and
research prospects", MSOM 5(2), 2003, section 4.1; Koole, "Call Center Optimization", 2013, ch. 5):

* Erlang B by the recursion ``B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1))`` (stable: every step is a
  contraction for ``k > A``); a starting value ``B(n0)`` far into the recursion is computed in log
  space as the Poisson probability ``P(N = n0) / P(N <= n0)`` with ``N ~ Poisson(A)``, i.e. from
  ``gammaln`` and the regularized upper incomplete gamma function; no factorial is ever formed, so
  thousands of agents per interval are fine;
* probability of waiting ``C(n, A) = n B / (n - A (1 - B))`` for ``n > A`` (1 otherwise);
* service level ``SL(t) = 1 - C exp(-(n - A) t / AHT)`` (fraction of contacts answered within t);
* average speed of answer ``ASA = C AHT / (n - A)`` (mean wait over all contacts);
* occupancy ``A / n``.

`erlang_c_required` returns the smallest ``n`` meeting a service-level target, an ASA target and a
maximum occupancy at once: the maximum of the three separate minima (each criterion is monotone in
``n``) and of the stability bound ``floor(A) + 1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaincc, gammaln

__all__ = [
    "QueueMetrics",
    "RequiredAgents",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
    "erlang_c_required",
    "offered_load",
]

DEFAULT_MAX_AGENTS = 100_000
"""Search cap: a target that needs more agents than this in one interval is reported as unreachable."""


def offered_load(volume, aht_s, interval_s) -> np.ndarray:
    """Offered traffic in Erlangs: contacts per interval times handle time over interval length
    (inf where that overflows: the requirement functions report it as unreachable)."""
    with np.errstate(over="ignore"):
        return np.asarray(volume, dtype=float) * np.asarray(aht_s, dtype=float) / np.asarray(interval_s, dtype=float)


def _as_float(*arrays) -> list[np.ndarray]:
    return [np.array(a, dtype=float) for a in np.broadcast_arrays(*[np.asarray(x, dtype=float) for x in arrays])]


def _falling_series(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``1 / B(n, A) = sum_{j=0..n} n (n-1) ... (n-j+1) / A^j``: used where ``n`` is far below ``A``
    (the terms then shrink geometrically, ratio at most ``n / A``)."""
    total = np.ones_like(n)
    term = np.ones_like(n)
    active = np.ones(n.shape, dtype=bool)
    j = 0
    while active.any():
        term = np.where(active, term * np.maximum(n - j, 0.0) / a, 0.0)
        total += term
        j += 1
        active &= (term > 1e-17 * total) & (j <= n)
    return total


def erlang_b(agents, load) -> np.ndarray:
    """Blocking probability of an M/M/n/n loss system (Erlang B), vectorized, for integer ``agents``."""
    n, a = _as_float(agents, load)
    out = np.ones(n.shape)
    out[(a <= 0) & (n > 0)] = 0.0
    work = (a > 0) & (n > 0)
    if not work.any():
        return out
    nw, aw = n[work], a[work]
    cdf = gammaincc(nw + 1.0, aw)  # P(Poisson(A) <= n)
    value = np.empty(nw.shape)
    log_ok = cdf > 1e-280
    nl, al = nw[log_ok], aw[log_ok]
    value[log_ok] = np.exp(nl * np.log(al) - al - gammaln(nl + 1.0) - np.log(cdf[log_ok]))
    if (~log_ok).any():  # n far below A: the Poisson cdf underflows, B is close to 1 - n/A
        value[~log_ok] = 1.0 / _falling_series(nw[~log_ok], aw[~log_ok])
    out[work] = np.minimum(value, 1.0)
    return out


def erlang_c(agents, load) -> np.ndarray:
    """Probability that a contact waits (Erlang C); 1 when ``agents <= load`` (unstable queue)."""
    n, a = _as_float(agents, load)
    b = erlang_b(n, a)
    stable = n > a
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(stable, b / (1.0 - np.where(n > 0, a / n, 0.0) * (1.0 - b)), 1.0)
    c = np.where(a <= 0, 0.0, c)
    return np.clip(c, 0.0, 1.0)


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state performance of one queue per interval (arrays of equal shape).

    ``asa_s`` is the mean wait over all offered contacts (for Erlang A: answered and abandoned,
    the Mandelbaum-Zeltyn ``E[W]``); ``abandonment`` is 0 for Erlang C."""

    p_wait: np.ndarray
    service_level: np.ndarray
    asa_s: np.ndarray
    occupancy: np.ndarray
    abandonment: np.ndarray


def erlang_c_metrics(agents, load, aht_s, threshold_s) -> QueueMetrics:
    """Erlang C performance for ``agents`` productive agents: P(wait), service level within
    ``threshold_s``, ASA and occupancy. An unstable queue (``agents <= load``) has service level 0,
    infinite ASA and occupancy 1."""
    n, a, aht, t = _as_float(agents, load, aht_s, threshold_s)
    c = erlang_c(n, a)
    stable = n > a
    gap = np.where(stable, n - a, 1.0)
    sl = np.where(stable, np.clip(1.0 - c * np.exp(-gap * t / aht), 0.0, 1.0), 0.0)
    asa = np.where(stable, c * aht / gap, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        occupancy = np.where(n > 0, np.minimum(a / np.where(n > 0, n, 1.0), 1.0), 1.0)
    idle = a <= 0
    sl = np.where(idle, 1.0, sl)
    asa = np.where(idle, 0.0, asa)
    occupancy = np.where(idle, 0.0, occupancy)
    return QueueMetrics(p_wait=c, service_level=sl, asa_s=asa, occupancy=occupancy,
                        abandonment=np.zeros(n.shape))


@dataclass(frozen=True)
class RequiredAgents:
    """Smallest agent counts per interval.

    ``agents`` is the requirement (-1 where a target is unreachable within ``max_agents``);
    ``by_target`` holds each criterion's own minimum (0 where the criterion is not set), and
    ``binding`` names the criterion that set ``agents`` ("none" when the load is 0)."""

    agents: np.ndarray
    by_target: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def unreachable(self) -> np.ndarray:
        return self.agents < 0

    @property
    def binding(self) -> np.ndarray:
        names = list(self.by_target)
        if not names:
            return np.full(self.agents.shape, "none", dtype=object)
        stack = np.stack([self.by_target[k] for k in names])
        out = np.array(names, dtype=object)[np.argmax(stack, axis=0)]
        out = np.where(self.agents == 0, "none", out)
        return np.where(self.agents < 0, "unreachable", out)


def _target(value, shape) -> np.ndarray:
    """A target array: NaN where no target is set (None)."""
    if value is None:
        return np.full(shape, np.nan)
    return np.broadcast_to(np.asarray(value, dtype=float), shape).astype(float)


def _ceil(x: np.ndarray) -> np.ndarray:
    """Ceiling that ignores floating-point noise just above an integer (7/0.7 = 10.000000000000002)."""
    return np.ceil(x - 1e-9 * np.maximum(1.0, np.abs(x)))


def erlang_c_required(
    load,
    aht_s,
    *,
    service_level=None,
    threshold_s=0.0,
    asa_s=None,
    max_occupancy=None,
    max_agents: int = DEFAULT_MAX_AGENTS,
) -> RequiredAgents:
    """Smallest number of productive agents per interval meeting every target given.

    ``service_level`` (fraction answered within ``threshold_s``), ``asa_s`` (mean wait) and
    ``max_occupancy`` may be scalars, arrays, ``None`` (not set) or NaN entries (not set for that
    interval). The result is ``max(floor(A) + 1, n_sl, n_asa, ceil(A / max_occupancy))`` where the
    load is positive, 0 where it is 0.

    The search starts at ``floor(A) + 1`` (``B`` there in log space) and walks up the Erlang B
    recursion for the intervals still short of their targets, so its cost grows with the distance
    between the load and the requirement (about ``sqrt(A)``), not with ``A``."""
    a, aht, t = _as_float(load, aht_s, threshold_s)
    shape = a.shape
    sl_t, asa_t, occ_t = (_target(v, shape) for v in (service_level, asa_s, max_occupancy))
    overflow = ~np.isfinite(a)  # volume x handle time beyond floating point: unreachable, not computed
    a = np.where(overflow, 0.0, a)
    positive = a > 0
    n0 = np.where(positive, np.floor(a) + 1.0, 0.0)
    n_sl = np.zeros(shape)
    n_asa = np.zeros(shape)
    unreachable = np.zeros(shape, dtype=bool)
    unreachable[...] = overflow
    pending_sl = positive & ~np.isnan(sl_t)
    pending_asa = positive & ~np.isnan(asa_t)
    idx = np.flatnonzero((pending_sl | pending_asa).ravel())
    flat = {name: arr.ravel() for name, arr in
            dict(a=a, aht=aht, t=t, sl=sl_t, asa=asa_t, n_sl=n_sl, n_asa=n_asa,
                 p_sl=pending_sl, p_asa=pending_asa, bad=unreachable).items()}
    n = n0.ravel()[idx]
    b = erlang_b(n, flat["a"][idx])
    while idx.size:
        ai, ahti = flat["a"][idx], flat["aht"][idx]
        with np.errstate(divide="ignore", invalid="ignore"):  # n = load on an unreachable row: inf, set aside below
            c = np.clip(b / (1.0 - (ai / n) * (1.0 - b)), 0.0, 1.0)
            sl = np.clip(1.0 - c * np.exp(-(n - ai) * flat["t"][idx] / ahti), 0.0, 1.0)
            asa = c * ahti / (n - ai)
        ok_sl = flat["p_sl"][idx] & (sl >= flat["sl"][idx])
        ok_asa = flat["p_asa"][idx] & (asa <= flat["asa"][idx])
        flat["n_sl"][idx[ok_sl]] = n[ok_sl]
        flat["n_asa"][idx[ok_asa]] = n[ok_asa]
        flat["p_sl"][idx[ok_sl]] = False
        flat["p_asa"][idx[ok_asa]] = False
        keep = flat["p_sl"][idx] | flat["p_asa"][idx]
        too_many = keep & (n >= max_agents)
        if too_many.any():
            flat["bad"][idx[too_many]] = True
            keep &= ~too_many
        idx, n, b = idx[keep], n[keep] + 1.0, b[keep]
        ai = flat["a"][idx]
        b = ai * b / (n + ai * b)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_occ = np.where(positive & ~np.isnan(occ_t), _ceil(a / occ_t), 0.0)
    by_target = {"service_level": n_sl, "asa": n_asa, "occupancy": n_occ, "stability": n0}
    agents = np.maximum.reduce(list(by_target.values()))
    unreachable |= agents > max_agents
    with np.errstate(invalid="ignore"):  # the counts of unreachable rows may be inf; they are reported, not used
        agents = np.where(unreachable, -1, agents).astype(np.int64)
        return RequiredAgents(agents=agents, by_target={k: v.astype(np.int64) for k, v in by_target.items()})
