"""Compiled (numba) grid search for a second ML/REML maximum, one row at a time.

The per-row form of :func:`~trialmeta.resampling.batch.scan.largest_root_below`:
the score's sign on the same 16-point geometric grid between a root and the HE
start, and, where no grid point is positive, the same bisection (depth 8) of
the grid intervals the bound of :func:`~.nb_score.no_root_between` cannot
clear, right half first; then safeguarded Newton above the largest positive
point found.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from trialmeta.resampling.batch import nb_bound
from trialmeta.resampling.batch import nb_score as sc

SCAN = 16  # scan._SCAN
DEPTH = 8  # scan._DEPTH


@njit(cache=True, nogil=True, error_model="numpy")
def _search(y, v, a, b, pa, pb, ga, reml, wt):  # type: ignore[no-untyped-def]
    """``scan._search`` for one interval: a point of ``(a, b)`` with a positive score and
    the right end of its interval (NaN, NaN: none), depth first, right half first."""
    n_max = 2 * DEPTH + 4
    sa, sb, sg = np.empty(n_max), np.empty(n_max), np.empty(n_max)
    sd = np.empty(n_max, dtype=np.int64)
    spa, spb = np.empty((n_max, 7)), np.empty((n_max, 7))
    top = 0
    sa[0], sb[0], sg[0], sd[0] = a, b, ga, DEPTH
    for i in range(7):
        spa[0, i], spb[0, i] = pa[i], pb[i]
    while top >= 0:
        lo, hi, g_lo, depth = sa[top], sb[top], sg[top], sd[top]
        qa = (spa[top, 0], spa[top, 1], spa[top, 2], spa[top, 3], spa[top, 4], spa[top, 5],
              spa[top, 6])  # fmt: skip
        qb = (spb[top, 0], spb[top, 1], spb[top, 2], spb[top, 3], spb[top, 4], spb[top, 5],
              spb[top, 6])  # fmt: skip
        top -= 1
        if depth == 0:
            continue
        if nb_bound.no_root_between(lo, hi, qa, qb, g_lo) or not (qa[5] > 0 and qb[5] > 0):
            continue
        mid = math.sqrt(lo * hi)
        pm = sc.point(y, v, mid, reml, False, wt)
        if pm[3] > 0:
            return mid, hi
        # the left half waits below the right one on the stack
        for lo2, hi2, g2, p2a, p2b in ((lo, mid, g_lo, qa, pm), (mid, hi, pm[3], pm, qb)):
            top += 1
            sa[top], sb[top], sg[top], sd[top] = lo2, hi2, g2, depth - 1
            for i in range(7):
                spa[top, i], spb[top, i] = p2a[i], p2b[i]
    return math.nan, math.nan


@njit(cache=True, nogil=True, error_model="numpy")
def largest_root_below(y, v, reml, lo, hi, t, it, vbar, wt):  # type: ignore[no-untyped-def]
    """``scan.largest_root_below`` for one row: (τ², iterations) after looking for a
    positive score in ``(lo, hi)`` and re-solving above the largest one found."""
    ratio = hi / lo
    nodes = np.empty(SCAN + 1)
    g = np.empty(SCAN + 1)
    pts = np.empty((SCAN + 1, 7))
    for j in range(SCAN + 1):
        nodes[j] = lo * ratio ** (j / SCAN)
    nodes[SCAN] = hi
    for j in range(SCAN + 1):
        p = sc.point(y, v, nodes[j], reml, False, wt)
        for c in range(7):
            pts[j, c] = p[c]
        g[j] = p[3]
    a = math.nan
    b = math.nan
    for j in range(SCAN - 1, 0, -1):  # the largest positive grid point
        if g[j] > 0:
            a = nodes[j]
            b = sc.fmin(lo * ratio ** ((j + 1) / SCAN), hi)
            break
    if a != a:
        for j in range(SCAN - 1, -1, -1):  # the highest grid interval with a find
            pa = (pts[j, 0], pts[j, 1], pts[j, 2], pts[j, 3], pts[j, 4], pts[j, 5], pts[j, 6])
            pb = (pts[j + 1, 0], pts[j + 1, 1], pts[j + 1, 2], pts[j + 1, 3], pts[j + 1, 4],
                  pts[j + 1, 5], pts[j + 1, 6])  # fmt: skip
            x, xb = _search(y, v, nodes[j], nodes[j + 1], pa, pb, min(g[j], 0.0), reml, wt)
            if x == x:
                a, b = x, xb
                break
    if a != a:
        return t, it
    t2, it2, _ = sc.rtsafe(y, v, 1 if reml else 0, 0.0, a, b, 0.5 * (a + b), vbar, wt)
    return t2, it + it2
