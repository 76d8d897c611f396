"""Compiled (numba) output fields of a block of fits, from their τ² and sums.

The per-row formulas of :func:`~trialmeta.resampling.batch.fit.assemble`
(``_heterogeneity``, ``_test_fields``): Q, I², H², the τ² CI's I² and H²,
and per test se, the statistic, p-value, CI and prediction interval. Each
field is one loop over the block, which the compiler turns into vector
instructions and writes one contiguous run of the output; the special
functions (erfc, exp) have loops of their own.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

#: rows of the (15, N) output shared by all tests
SHARED = (
    "tau2",
    "tau2_se",
    "estimate",
    "q",
    "q_pval",
    "i2_percent",
    "h2",
    "tau2_ci_lb",
    "tau2_ci_ub",
    "i2_ci_lb",
    "i2_ci_ub",
    "h2_ci_lb",
    "h2_ci_ub",
    "iterations",
    "status",
)
#: rows of each test's (7, N) output
PER_TEST = ("se", "stat", "pval", "ci_lb", "ci_ub", "pi_lb", "pi_ub")
#: bits of the ``status`` row
CONVERGED, REDO, Q_PVAL_LATER, BAD = 1, 2, 4, 8
_SQRT1_2 = math.sqrt(0.5)
_CHI2_SERIES_MAX_DF = 60  # fit._CHI2_SERIES_MAX_DF
_EPS = float(np.finfo(np.float64).eps)


@njit(cache=True, nogil=True, error_model="numpy")
def ndtr(a):  # type: ignore[no-untyped-def]
    """Standard normal CDF as scipy's ``ndtr`` (erf near 0, erfc in the tails)."""
    x = a * _SQRT1_2
    z = abs(x)
    if z < _SQRT1_2:
        return 0.5 + 0.5 * math.erf(x)
    y = 0.5 * math.erfc(z)
    return 1.0 - y if x > 0 else y


@njit(cache=True, nogil=True, error_model="numpy")
def chi2_sf(x, d):  # type: ignore[no-untyped-def]
    """``fit.chi2_sf`` for one value (integer ``d ≤ 60``, ``x/2 ≤ 500``; else NaN:
    the caller uses scipy there)."""
    h = 0.5 * x
    if d > _CHI2_SERIES_MAX_DF or h > 500.0 or d < 1 or x != x:
        return math.nan
    e = math.exp(-h)
    if d % 2 == 0:
        acc, term, j = e, e, 2
    else:
        acc = math.erfc(math.sqrt(h))
        term, j = math.sqrt(h) * e * (2.0 / math.sqrt(math.pi)), 3
        if d > 1:
            acc += term
    while j < d:
        term = term * h / (0.5 * j)
        acc += term
        j += 2
    return acc


@njit(cache=True, nogil=True, error_model="numpy")
def tail(m, k, crit, tests, tau2_ci, blk, loc_s, loc_t):  # type: ignore[no-untyped-def]
    """Fields of the block's ``m`` fits into ``loc_s`` (rows :data:`SHARED`) and
    ``loc_t`` (test x :data:`PER_TEST`), the block's columns of the outputs.
    ``blk`` rows: τ², se(τ²), W, μ̂, Σw(y-μ̂)², Q(0), W₀, Σw₀², iterations, status,
    τ² CI lower, upper. ``crit`` = (t_knha,
    t_pi, z, ...) at this k; the knha p-value is left to the caller (NaN)."""
    df = k - 1.0
    t, se_t, W, est, rss = blk[0], blk[1], blk[2], blk[3], blk[4]
    q0, W0, S20, it, status = blk[5], blk[6], blk[7], blk[8], blk[9]
    vt = blk[12]
    for b in range(m):
        q = q0[b] if q0[b] > 0 else 0.0
        vt[b] = df / (W0[b] - S20[b] / W0[b])
        loc_s[0, b], loc_s[1, b], loc_s[2, b], loc_s[3, b] = t[b], se_t[b], est[b], q
        loc_s[5, b] = 100.0 * t[b] / (vt[b] + t[b])
        loc_s[6, b] = t[b] / vt[b] + 1.0
        loc_s[13, b] = it[b]
    for b in range(m):
        qp = chi2_sf(loc_s[3, b], k - 1)
        loc_s[4, b] = qp
        loc_s[14, b] = status[b] + (Q_PVAL_LATER if qp != qp else 0)
    if tau2_ci:
        lb, ub = blk[10], blk[11]
        for b in range(m):
            loc_s[7, b], loc_s[8, b] = lb[b], ub[b]
            loc_s[9, b] = 100.0 * lb[b] / (vt[b] + lb[b])
            loc_s[10, b] = 100.0 * ub[b] / (vt[b] + ub[b])
            loc_s[11, b], loc_s[12, b] = lb[b] / vt[b] + 1.0, ub[b] / vt[b] + 1.0
    t_knha, t_pi, zc = crit[0], crit[1], crit[2]
    for c in range(2):
        if not tests[c]:
            continue
        o = loc_t[c]
        cv = zc if c == 0 else t_knha
        for b in range(m):
            if c == 0:
                se = math.sqrt(1.0 / W[b])
            else:
                s2w = 0.0 if rss[b] <= _EPS else rss[b] / df
                se = math.sqrt(s2w * (1.0 / W[b]))
            half = t_pi * math.sqrt(t[b] + se * se)
            o[0, b], o[1, b] = se, est[b] / se
            o[3, b], o[4, b] = est[b] - cv * se, est[b] + cv * se
            o[5, b], o[6, b] = est[b] - half, est[b] + half
        for b in range(m):
            o[2, b] = 2 * ndtr(-abs(o[1, b])) if c == 0 else math.nan
