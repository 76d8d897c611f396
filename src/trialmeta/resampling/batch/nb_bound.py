"""Compiled (numba) bounds that rule out a second root of the ML/REML score on an
interval, for one row: the per-row form of :mod:`trialmeta.resampling.batch.bound`
(same convexity argument, tolerance and splits). A Point is a tuple
``(A, T, T', g, W, ok, A')`` (``bound.Point``; ``ok`` is 1.0 or 0.0).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from trialmeta.resampling.batch import nb_score as sc

CERT_TOL = 1e-9  # bound._CERT_TOL
SPLITS_ABOVE = 4  # bound._SPLITS_ABOVE


@njit(cache=True, nogil=True, error_model="numpy")
def no_root_between(a, b, pa, pb, ga):  # type: ignore[no-untyped-def]
    """``bound.no_root_between``: the score is provably < 0 on ``(a, b]``."""
    h = b - a
    sl = (pb[0] - pa[0]) / h
    sa = sl - pa[2]
    sb = sl - pb[2]
    tol = CERT_TOL * pa[4]
    lb_a = pb[3] - sb * h
    fb = sc.fmin(ga + sa * h, pb[3])
    da = ga - lb_a
    x = da / (sb - sa)
    inside = (x > 0) and (x < h)
    fx = sc.fmin(ga + sa * x, lb_a + sb * x)
    good = (fb < -tol) and ((not inside) or (fx < -tol))
    good = good and pa[5] > 0 and pb[5] > 0 and h > 0
    return good and math.isfinite(fb)


@njit(cache=True, nogil=True, error_model="numpy")
def certify(y, v, a, b, pa, pb, ga, reml, vbar, wt):  # type: ignore[no-untyped-def]
    """``bound.certify`` with one split (``_SPLITS = 1``; ``vbar`` = mean v)."""
    if no_root_between(a, b, pa, pb, ga):
        return True
    if not (pa[5] > 0 and pb[5] > 0):
        return False
    m = sc.fmin((a + vbar) * 1.2, math.sqrt((a + vbar) * (b + vbar))) - vbar
    pm = sc.point(y, v, m, reml, False, wt)
    if not (no_root_between(a, m, pa, pm, ga) and pm[3] < 0):
        return False
    return no_root_between(m, b, pm, pb, pm[3])


@njit(cache=True, nogil=True, error_model="numpy")
def no_root_above(a, b, pa, pb):  # type: ignore[no-untyped-def]
    """``bound.no_root_above``: the score is provably > 0 on ``[a, b)``."""
    h = b - a
    sl = (pb[1] - pa[1]) / h
    sa = pa[6] - sl
    sb = pb[6] - sl
    tol = CERT_TOL * pa[4]
    ga = pa[3]
    end = (ga + sa * h > tol) or (sb < 0)
    x = (-sb * h - ga) / (sa - sb)
    inside = (x > 0) and (x < h)
    fx = sc.fmax(ga + sa * x, sb * (x - h))
    good = end and ((not inside) or (fx > tol)) and (ga > tol) and (h > 0)
    return good and math.isfinite(ga + sa * h) and math.isfinite(sb)


@njit(cache=True, nogil=True, error_model="numpy")
def certify_above(y, v, a, b, pa, pb, reml, vbar, wt):  # type: ignore[no-untyped-def]
    """``bound.certify_above`` with up to ``SPLITS_ABOVE`` splits (in log(v̄ + τ²)),
    depth first as the recursive numpy version, by an explicit stack (allocated only
    when the interval has to be split: rarely)."""
    if no_root_above(a, b, pa, pb):
        return True
    if not pa[3] > 0:
        return False
    n_max = SPLITS_ABOVE + 2
    sa = np.empty(n_max)
    sb = np.empty(n_max)
    sd = np.empty(n_max, dtype=np.int64)
    spa = np.empty((n_max, 7))
    spb = np.empty((n_max, 7))
    top = 0
    sa[0], sb[0], sd[0] = a, b, SPLITS_ABOVE
    for i in range(7):
        spa[0, i], spb[0, i] = pa[i], pb[i]
    while top >= 0:
        lo, hi, depth = sa[top], sb[top], sd[top]
        qa = (spa[top, 0], spa[top, 1], spa[top, 2], spa[top, 3], spa[top, 4], spa[top, 5],
              spa[top, 6])  # fmt: skip
        qb = (spb[top, 0], spb[top, 1], spb[top, 2], spb[top, 3], spb[top, 4], spb[top, 5],
              spb[top, 6])  # fmt: skip
        top -= 1
        if no_root_above(lo, hi, qa, qb):
            continue
        if depth == 0 or not qa[3] > 0:
            return False
        m = math.sqrt((lo + vbar) * (hi + vbar)) - vbar
        pm = sc.point(y, v, m, reml, True, wt)
        if not pm[3] > 0:
            return False
        # push the right half first, so the left one is taken next (as the recursion)
        for lo2, hi2, p2a, p2b in ((m, hi, pm, qb), (lo, m, qa, pm)):
            top += 1
            sa[top], sb[top], sd[top] = lo2, hi2, depth - 1
            for i in range(7):
                spa[top, i], spb[top, i] = p2a[i], p2b[i]
    return True
