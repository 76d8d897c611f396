"""Grid search for a second ML/REML maximum between a root and the HE start.

Fisher scoring from the HE start (:func:`trialmeta.pool`) walks down to the
largest root of the score below it. Where :func:`~._batch_bound.certify`
cannot rule out a root between the root found and the start, the score's sign
is scanned on a geometric grid, and the intervals between grid points that
the bound cannot clear are bisected (:func:`_search`), so a narrow positive
region between grid points is still found.
"""

from __future__ import annotations

import numpy as np

from trialmeta.resampling.batch.bound import Point, no_root_between, point
from trialmeta.resampling.batch.roots import Fun, rtsafe
from trialmeta.resampling.batch.stack import Stack, col_dot, scratch, weights

__all__ = ["largest_root_below"]

_SCAN = 16  # grid points when looking for a second ML/REML maximum
_SCAN_ROWS = 512  # rows whose grids are evaluated at once
_DEPTH = 8  # bisections of a grid interval the bound cannot clear


def _score_sign(s: Stack, t: np.ndarray, reml: bool) -> np.ndarray:
    """``score(τ²) > 0`` without its derivative (cheaper, for grid scans)."""
    w = weights(s, t, scratch("score.w", s.y.shape))
    W = w.sum(0)
    r = np.subtract(s.y, col_dot(w, s.y) / W, out=scratch("score.r", s.y.shape))
    r *= w
    g = col_dot(r, r) - W
    if reml:
        g += col_dot(w, w) / W
    return np.asarray(g > 0)


def _tiled(s: Stack, reps: int, tag: str = "tile") -> Stack:
    """Each column of ``s`` repeated ``reps`` times (adjacent), in scratch buffers."""
    shape = (s.y.shape[0], s.n * reps)

    def rep(a: np.ndarray, part: str) -> np.ndarray:
        out = scratch(f"{tag}.{part}", shape)
        np.copyto(out.reshape(shape[0], s.n, reps), a[:, :, None])
        return out

    m = None if s.m is None else rep(s.m, "m")
    return Stack(rep(s.y, "y"), rep(s.v, "v"), m, np.repeat(s.k, reps))


def largest_root_below(
    fun: Fun, reml: bool, sub: Stack, lo: np.ndarray, hi: np.ndarray, t: np.ndarray, it: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Scan a geometric grid in ``(lo, hi)`` for a positive score and re-solve
    above the largest such point (a second local maximum of a bimodal
    likelihood). All grid points of a block of rows are one evaluation; in
    rows with no positive grid point, the intervals between grid points that
    :func:`no_root_between` cannot clear are bisected (:func:`_search`)."""
    n = lo.size
    found = np.zeros(n, dtype=bool)
    a, b = lo.copy(), hi.copy()
    ratio = hi / lo
    js = np.arange(0, _SCAN + 1)  # lo, the grid, hi
    for start in range(0, n, _SCAN_ROWS):
        rows = np.arange(start, min(start + _SCAN_ROWS, n))
        nodes = lo[rows, None] * ratio[rows, None] ** (js / _SCAN)
        nodes[:, -1] = hi[rows]
        p = point(_tiled(sub.take(rows), js.size), nodes.ravel(), reml)
        pos = (p.g > 0).reshape(rows.size, js.size)
        pos[:, [0, -1]] = False  # grid points only
        hit = pos.any(1)
        if hit.any():
            h = np.flatnonzero(hit)
            j = (_SCAN - 1) - pos[h, ::-1][:, 1:].argmax(1)  # the largest positive point
            a[rows[h]] = nodes[h, j]
            b[rows[h]] = np.minimum(lo[rows[h]] * ratio[rows[h]] ** ((j + 1) / _SCAN), hi[rows[h]])
            found[rows[h]] = True
        miss = np.flatnonzero(~hit)
        if miss.size:
            x, xb = _search_grid(sub.take(rows[miss]), nodes[miss], p, miss, js.size, reml)
            got = np.flatnonzero(np.isfinite(x))
            r = rows[miss[got]]
            a[r], b[r], found[r] = x[got], xb[got], True
    if found.any():
        f = np.flatnonzero(found)
        t2, _, it2 = rtsafe(fun, sub.take(f), a[f], a[f], b[f], 0.5 * (a[f] + b[f]))
        t, it = t.copy(), it.copy()
        t[f], it[f] = t2, it[f] + it2
    return t, it


def _search_grid(
    s: Stack, nodes: np.ndarray, p: Point, rows: np.ndarray, m: int, reml: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The largest positive-score point found between the ``m`` grid ``nodes`` of
    each column (``p``: the score at the nodes of all rows of the block, of which
    these are ``rows``), with the node above it; NaN where none is found."""
    n = rows.size
    ends = (rows[:, None] * m + np.arange(m)).reshape(n, m)
    ia, ib = ends[:, :-1].ravel(), ends[:, 1:].ravel()
    ga = np.minimum(p.g[ia], 0.0)
    pairs = _tiled(s, m - 1, "pair")
    x, xb = _search(pairs, nodes[:, :-1].ravel(), nodes[:, 1:].ravel(), p.take(ia), p.take(ib),
                    ga, reml, _DEPTH)  # fmt: skip
    x, xb = x.reshape(n, m - 1), xb.reshape(n, m - 1)
    top = (m - 2) - np.isfinite(x)[:, ::-1].argmax(1)  # highest interval with a find
    i = np.arange(n)
    return x[i, top], xb[i, top]


def _search(
    s: Stack,
    a: np.ndarray,
    b: np.ndarray,
    pa: Point,
    pb: Point,
    ga: np.ndarray,
    reml: bool,
    depth: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per column, a point of ``(a, b)`` with a positive score, preferring the
    right half, by bisection where :func:`no_root_between` cannot clear the
    interval (columns where it cannot be used, one weight dominating, are not
    searched). Returns the point and the right end of its interval (NaN: none)."""
    n = a.size
    x, xb = np.full(n, np.nan), np.full(n, np.nan)
    open_ = np.flatnonzero(~no_root_between(a, b, pa, pb, ga) & pa.ok & pb.ok)
    if depth == 0 or not open_.size:
        return x, xb
    sub = s.take(open_)
    a1, b1, ga1 = a[open_], b[open_], ga[open_]
    pa1, pb1 = pa.take(open_), pb.take(open_)
    mid = np.sqrt(a1 * b1)
    pm = point(sub, mid, reml)
    xs = np.where(pm.g > 0, mid, np.nan)
    xbs = np.where(pm.g > 0, b1, np.nan)
    neg = np.flatnonzero(pm.g <= 0)
    if neg.size:
        xr, xbr = _search(sub.take(neg), mid[neg], b1[neg], pm.take(neg), pb1.take(neg),
                          pm.g[neg], reml, depth - 1)  # fmt: skip
        xs[neg], xbs[neg] = xr, xbr
        left = neg[np.isnan(xr)]
        if left.size:
            xs[left], xbs[left] = _search(sub.take(left), a1[left], mid[left], pa1.take(left),
                                          pm.take(left), ga1[left], reml, depth - 1)  # fmt: skip
    x[open_], xb[open_] = xs, xbs
    return x, xb
