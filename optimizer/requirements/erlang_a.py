"""Erlang A (Palm's M/M/n+M queue: exponential patience), vectorized over intervals.

Model: Poisson arrivals at rate ``lam``, ``n`` agents with exponential handle times of mean
``1/mu = AHT``, and every waiting contact abandons after an exponential patience of mean
``1/theta``. Its stationary distribution is a birth-death chain; Mandelbaum & Zeltyn express every
measure through incomplete gamma functions (A. Mandelbaum and S. Zeltyn, "The M/M/n+G queue:
summary of performance measures", Technion technical note, 2009, section "exponential patience";
also O. Garnett, A. Mandelbaum and M. Reiman, "Designing a call center with impatient customers",
MSOM 4(3), 2002). With ``A = lam/mu`` (offered load), ``s = n mu / theta`` and ``x = lam / theta``:

* ``S = 1F1(1; s+1; x) = sum_j prod_{i=1..j} x / (s + i) = Gamma(s+1) e^x x^(-s) P(s, x)``,
  where ``P`` is the regularized lower incomplete gamma function; ``S`` is the queue part of the
  stationary distribution relative to its mass at ``n`` (Mandelbaum-Zeltyn's ``A(s, x)``);
* probability of waiting ``P(W>0) = S B / (1 + (S - 1) B)`` with ``B`` = Erlang B(n, A);
* abandonment ``P(Ab) = P(W>0) (1 - (1 - 1/S) / rho)``, ``rho = A / n``;
* mean wait over all offered contacts (answered and abandoned) ``E[W] = P(Ab) / theta``
  (Little's law on the queue with abandonment rate theta per waiting contact);
* service level = fraction of *offered* contacts answered within ``t``:
  ``SL(t) = 1 - P(W>0) + P(W>0) s [P(s+1, x) - P(s+1, x e^(-theta t))] / (x P(s, x))``.
  The last factor is ``P(answered within t | wait)``: given a wait, the offered wait ``V`` has
  density ``n mu e^(-n mu v) exp(x (1 - e^(-theta v))) / S`` (summing the hypoexponential
  densities of the stages ``n mu + i theta`` over the queue length found on arrival), and a
  contact is answered within ``t`` when ``V <= t`` and its own patience exceeds ``V``, which
  contributes ``E[e^(-theta V); V <= t]``; the substitution ``u = x e^(-theta v)`` turns that
  integral into the incomplete gammas above;
* occupancy = carried load per agent ``A (1 - P(Ab)) / n``.

These are exact (no approximation); they match a direct solution of the birth-death chain (which
is what pyworkforce's ``ErlangA`` does) to about 1e-12. Numerics: every quantity is computed in log
space (``gammaln``, ``gammainc``); where ``P(s, x)`` underflows (``x`` far below ``s``: many more
agents than the load) ``S`` comes from its series, which then converges geometrically.

Any service-level target below 1 is reachable with abandonment (``SL -> 1`` as ``n`` grows), and so
is any positive maximum abandonment, ASA and occupancy; `erlang_a_required` finds the smallest
``n`` per criterion by bisection (each criterion is monotone in ``n``) and returns their maximum.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, gammainc, gammaincc, gammaln

from optimizer.requirements.erlang import (
    DEFAULT_MAX_AGENTS,
    QueueMetrics,
    RequiredAgents,
    _as_float,
    _target,
    erlang_b,
)

__all__ = ["erlang_a_metrics", "erlang_a_required"]

_TINY = 1e-280


def _hyp_series(s: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``1F1(1; s+1; x)`` by its series; used only for ``x`` well below ``s`` (geometric decay)."""
    total = np.ones_like(s)
    term = np.ones_like(s)
    active = np.ones(s.shape, dtype=bool)
    i = 0
    while active.any() and i < 1_000_000:
        i += 1
        term = np.where(active, term * x / (s + i), 0.0)
        total += term
        active &= term > 1e-17 * total
    return total


def _log_hyp(s: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``log 1F1(1; s+1; x)`` for ``s > 0, x > 0``."""
    p = gammainc(s, x)
    out = np.empty(s.shape)
    ok = p > _TINY
    out[ok] = gammaln(s[ok] + 1.0) + x[ok] - s[ok] * np.log(x[ok]) + np.log(p[ok])
    if (~ok).any():
        out[~ok] = np.log(_hyp_series(s[~ok], x[~ok]))
    return out


def _answered_within_given_wait(s, x, theta_t) -> np.ndarray:
    """``P(answered within t | wait) = s [P(s+1, x) - P(s+1, y)] / (x P(s, x))``, ``y = x e^-theta t``."""
    y = x * np.exp(-theta_t)
    p_sx = gammainc(s, x)
    out = np.empty(s.shape)
    ok = p_sx > _TINY
    if ok.any():
        so, xo, yo = s[ok], x[ok], y[ok]
        upper = yo > so + 1.0  # both arguments in the upper tail: difference of the Q's is exact
        diff = np.where(upper, gammaincc(so + 1.0, yo) - gammaincc(so + 1.0, xo),
                        gammainc(so + 1.0, xo) - gammainc(so + 1.0, yo))
        out[ok] = so * diff / (xo * p_sx[ok])
    if (~ok).any():  # x far below s: the same quantity through 1F1 series (no overflow here)
        so, xo, yo, tt = s[~ok], x[~ok], y[~ok], theta_t[~ok]
        log_s = _log_hyp(so, xo)
        first = np.exp(_log_hyp(so + 1.0, xo) - log_s)
        second = np.exp(-(so + 1.0) * tt + xo * (-np.expm1(-tt)) + _log_hyp(so + 1.0, yo) - log_s)
        out[~ok] = so / (so + 1.0) * (first - second)
    return np.clip(out, 0.0, 1.0)


def erlang_a_metrics(agents, load, aht_s, patience_s, threshold_s) -> QueueMetrics:
    """Erlang A performance per interval: P(wait), service level (answered within ``threshold_s``
    over offered), mean wait over all offered contacts (``asa_s``), abandonment and occupancy.
    With 0 agents every contact abandons."""
    n, a, aht, pat, t = _as_float(agents, load, aht_s, patience_s, threshold_s)
    shape = n.shape
    p_wait = np.zeros(shape)
    sl = np.ones(shape)
    ab = np.zeros(shape)
    occ = np.zeros(shape)
    nobody = (a > 0) & (n <= 0)
    p_wait[nobody], sl[nobody], ab[nobody], occ[nobody] = 1.0, 0.0, 1.0, 1.0
    work = (a > 0) & (n > 0)
    if work.any():
        nw, aw, ratio = n[work], a[work], pat[work] / aht[work]
        s, x = nw * ratio, aw * ratio
        log_s = _log_hyp(s, x)
        b = erlang_b(nw, aw)
        with np.errstate(divide="ignore"):
            z = np.log(b) + log_s - np.log1p(-b)
        pw = expit(z)
        served_given_wait = np.clip((nw / aw) * (-np.expm1(-log_s)), 0.0, 1.0)
        abw = pw * (1.0 - served_given_wait)
        within = _answered_within_given_wait(s, x, t[work] / pat[work])
        p_wait[work] = pw
        ab[work] = abw
        sl[work] = np.clip(1.0 - pw + pw * within, 0.0, 1.0)
        # carried load A (1 - P(Ab)) with 1 - P(Ab) = P(no wait) + P(wait) P(served | wait), a sum of
        # positive terms: 1 - P(Ab) itself rounds to 0 under a huge overload (a load of 1e20 Erlangs
        # had occupancy 0 on one agent, so a maximum occupancy needed 1 agent)
        occ[work] = np.minimum((aw / nw) * (expit(-z) + pw * served_given_wait), 1.0)
    return QueueMetrics(p_wait=p_wait, service_level=sl, asa_s=ab * pat, occupancy=occ, abandonment=ab)


def _smallest(ok, shape, lo_agents: np.ndarray, mask: np.ndarray, max_agents: int) -> tuple[np.ndarray, np.ndarray]:
    """Smallest ``n`` in ``(lo, max_agents]`` with ``ok(index, n)`` true, per masked entry, by
    doubling then bisection (``ok`` must be monotone in ``n``). Returns (n, unreachable)."""
    result = np.zeros(shape, dtype=float)
    bad = np.zeros(shape, dtype=bool)
    idx = np.flatnonzero(mask.ravel())
    if idx.size == 0:
        return result, bad
    lo = lo_agents.ravel()[idx].astype(float)
    hi = np.maximum(lo + 1.0, 1.0)
    good = ok(idx, hi)
    while not good.all():
        step = ~good
        lo = np.where(step, hi, lo)
        hi = np.where(step, np.minimum(hi * 2.0, float(max_agents)), hi)
        stuck = step & (lo >= max_agents)
        if stuck.any():
            bad.ravel()[idx[stuck]] = True
            keep = ~stuck
            idx, lo, hi, good = idx[keep], lo[keep], hi[keep], good[keep]
            if idx.size == 0:
                return result, bad
        redo = ~good
        good[redo] = ok(idx[redo], hi[redo])
    while True:
        open_ = hi - lo > 1.0
        if not open_.any():
            break
        mid = np.floor((lo + hi) / 2.0)
        sub = np.flatnonzero(open_)
        m_ok = ok(idx[sub], mid[sub])
        hi[sub] = np.where(m_ok, mid[sub], hi[sub])
        lo[sub] = np.where(m_ok, lo[sub], mid[sub])
    result.ravel()[idx] = hi
    return result, bad


def erlang_a_required(
    load,
    aht_s,
    patience_s,
    *,
    service_level=None,
    threshold_s=0.0,
    asa_s=None,
    max_occupancy=None,
    max_abandonment=None,
    max_agents: int = DEFAULT_MAX_AGENTS,
) -> RequiredAgents:
    """Smallest number of productive agents per interval meeting every target given, under
    Erlang A. Targets as in `erlang_c_required`, plus ``max_abandonment`` (fraction of offered
    contacts); ``asa_s`` bounds the mean wait over all offered contacts. At least one agent
    wherever the load is positive."""
    a, aht, pat, t = _as_float(load, aht_s, patience_s, threshold_s)
    shape = a.shape
    overflow = ~np.isfinite(a)  # volume x handle time beyond floating point: unreachable, not computed
    a = np.where(overflow, 0.0, a)
    positive = a > 0
    flat_a, flat_aht, flat_pat, flat_t = a.ravel(), aht.ravel(), pat.ravel(), t.ravel()

    def metrics(idx: np.ndarray, n: np.ndarray) -> QueueMetrics:
        return erlang_a_metrics(n, flat_a[idx], flat_aht[idx], flat_pat[idx], flat_t[idx])

    targets = {
        "service_level": (_target(service_level, shape),
                          lambda idx, n, v: metrics(idx, n).service_level >= v[idx]),
        "asa": (_target(asa_s, shape), lambda idx, n, v: metrics(idx, n).asa_s <= v[idx]),
        "occupancy": (_target(max_occupancy, shape), lambda idx, n, v: metrics(idx, n).occupancy <= v[idx]),
        "abandonment": (_target(max_abandonment, shape),
                        lambda idx, n, v: metrics(idx, n).abandonment <= v[idx]),
    }
    by_target: dict[str, np.ndarray] = {}
    unreachable = np.zeros(shape, dtype=bool)
    unreachable[...] = overflow
    zeros = np.zeros(shape)
    for name, (value, predicate) in targets.items():
        flat_value = value.ravel()
        found, bad = _smallest(lambda idx, n, p=predicate, v=flat_value: p(idx, n, v), shape, zeros,
                               positive & ~np.isnan(value), max_agents)
        by_target[name] = found.astype(np.int64)
        unreachable |= bad
    by_target["minimum"] = positive.astype(np.int64)
    agents = np.maximum.reduce(list(by_target.values()))
    agents = np.where(unreachable, -1, agents).astype(np.int64)
    return RequiredAgents(agents=agents, by_target=by_target)
