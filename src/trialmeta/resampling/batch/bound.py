"""A cheap proof that the ML/REML score has no root on an interval.

Score (Viechtbauer 2005): ``g(τ²) = A - T`` with ``A = y'PPy = Σw²r²`` and
``T = tr(P) = Σw - Σw²/W`` (REML) or ``T = Σw`` (ML). Since ``dP/dτ² = -P²``
and P is positive semi-definite, ``A`` and ``T`` are both decreasing and
convex in τ² (``A' = -2y'P³y``, ``A'' = 6y'P⁴y``, ``T' = -tr(P²)``,
``T'' = 2tr(P³)``; for ML ``T' = -Σw²``, ``T'' = 2Σw³``). So on ``[a, b]``
``A`` lies below its chord and ``T`` above its tangents, which bounds ``g``
from above by two lines (:func:`no_root_between`). This lets the engine skip
the grid scan for a second likelihood maximum on most rows, with the same
result as the scan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialmeta.resampling.batch.stack import Stack, col_dot, mean_of, scratch, weights

__all__ = ["Point", "certify", "certify_above", "no_root_between", "point"]

_CERT_TOL = 1e-9  # margin (relative to Σw) of the no-root bound
_SPLITS = 1  # splits of an interval where that bound is too loose
_SPLITS_ABOVE = 4  # the same for the mirrored bound (its rows are otherwise re-solved one by one)


@dataclass(frozen=True)
class Point:
    """``A``, ``T``, ``T'`` and the score ``g = A - T`` at one τ² per column;
    ``ok`` is False where one weight dominates (``Σw² > W²/2``: ``T'`` cancels)."""

    A: np.ndarray
    T: np.ndarray
    dT: np.ndarray
    g: np.ndarray
    W: np.ndarray
    ok: np.ndarray
    dA: np.ndarray | None = None  # A' = -2y'P³y where asked (from point(): no cancellation)

    def take(self, idx: np.ndarray) -> Point:
        dA = None if self.dA is None else self.dA[idx]
        return Point(
            self.A[idx], self.T[idx], self.dT[idx], self.g[idx], self.W[idx], self.ok[idx], dA
        )


def point(s: Stack, t: np.ndarray | float, reml: bool, slope: bool = False) -> Point:
    """The score's :class:`Point` at ``τ²`` (with ``A'`` if ``slope``)."""
    w = weights(s, t, scratch("score.w", s.y.shape))
    W = w.sum(0)
    r = np.subtract(s.y, col_dot(w, s.y) / W, out=scratch("score.r", s.y.shape))
    r *= w
    A = col_dot(r, r)
    S2 = col_dot(w, w)
    dA = None
    if slope:  # y'P³y = Σw(u - ū)², u = wr, ū = Σwu/W (no cancellation)
        d = np.subtract(r, col_dot(w, r) / W, out=scratch("score.d", s.y.shape))
        dA = -2.0 * col_dot(np.multiply(w, d, out=scratch("score.t", s.y.shape)), d)
    if reml:
        S3 = col_dot(np.multiply(w, w, out=r), w)
        g = A - W + S2 / W
        T = W - S2 / W
        dT = -(S2 - 2.0 * S3 / W + (S2 / W) ** 2)
    else:
        g = A - W
        T, dT = W, -S2
    return Point(A, T, dT, g, W, S2 <= 0.5 * W * W, dA)


def no_root_between(
    a: np.ndarray, b: np.ndarray, pa: Point, pb: Point, ga: np.ndarray
) -> np.ndarray:
    """True where the score is provably < 0 on ``(a, b]`` (``ga ≤ 0``: g at a, or 0 at a root).

    On ``[a, b]`` convexity gives ``A ≤`` its chord and ``T ≥`` its tangents at
    ``a`` and ``b``, so ``g ≤ min(La, Lb)`` with the two lines
    ``La(x) = ga + (s - T'(a))(x - a)`` and ``Lb(x) = g(b) + (s - T'(b))(x - b)``,
    ``s`` the chord slope of A. Their minimum is piecewise linear, ≤ 0 at a;
    it is < 0 on ``(a, b]`` when it is below ``-tol`` at b and, if the lines
    cross inside, at the crossing. Rows where this fails go to the grid scan.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        h = b - a
        sl = (pb.A - pa.A) / h
        sa = sl - pa.dT
        sb = sl - pb.dT
        tol = _CERT_TOL * pa.W
        lb_a = pb.g - sb * h  # Lb at a
        fb = np.minimum(ga + sa * h, pb.g)
        # crossing of La and Lb: D(x) = La - Lb goes from ga - lb_a (at a) linearly
        da = ga - lb_a
        x = da / (sb - sa)  # offset from a
        inside = (x > 0) & (x < h)  # else one line is the minimum all along
        fx = np.minimum(ga + sa * x, lb_a + sb * x)
        good = (fb < -tol) & (~inside | (fx < -tol)) & pa.ok & pb.ok & (h > 0)
    return np.asarray(good & np.isfinite(fb))


def certify(
    s: Stack,
    a: np.ndarray,
    b: np.ndarray,
    pa: Point,
    pb: Point,
    ga: np.ndarray,
    reml: bool,
    depth: int = _SPLITS,
) -> np.ndarray:
    """:func:`_no_root_between`, bisecting (in ``log(v̄ + τ²)``) up to ``depth`` times
    the intervals where the bound is too loose: one score evaluation per split."""
    ok = no_root_between(a, b, pa, pb, ga)
    f = np.flatnonzero(~ok & pa.ok & pb.ok)
    if depth == 0 or not f.size:
        return ok
    sub = s.take(f)
    a, b, ga = (np.broadcast_to(x, ok.shape)[f] for x in (a, b, ga))
    c = mean_of(sub, sub.v)
    m = np.minimum((a + c) * 1.2, np.sqrt((a + c) * (b + c))) - c
    pm = point(sub, m, reml)
    pa, pb = pa.take(f), pb.take(f)
    good = certify(sub, a, m, pa, pm, ga, reml, depth - 1) & (pm.g < 0)
    sel = np.flatnonzero(good)
    if sel.size:
        good[sel] = certify(
            sub.take(sel), m[sel], b[sel], pm.take(sel), pb.take(sel), pm.g[sel], reml, depth - 1
        )
    ok[f] = good
    return ok


def no_root_above(a: np.ndarray, b: np.ndarray, pa: Point, pb: Point) -> np.ndarray:
    """True where the score is provably > 0 on ``[a, b)`` (``g(a) > 0``, ``b`` a root).

    The mirror image of :func:`no_root_between`: on ``[a, b]`` ``A`` lies above
    its tangents at ``a`` and ``b`` and ``T`` below its chord, so ``g ≥
    max(La, Lb)`` with ``La(x) = g(a) + (A'(a) - s)(x - a)`` and ``Lb(x) =
    (A'(b) - s)(x - b)`` (``g(b) = 0``), ``s`` the chord slope of T. That convex
    maximum is > 0 on ``[a, b)`` when ``La(b) > tol`` or ``Lb`` decreases, and
    where the lines cross inside, it is > tol there. It uses ``A'`` and ``T``, not
    ``T'``, so (with ``A'`` from :func:`point`) it holds where one weight dominates.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        h = b - a
        sl = (pb.T - pa.T) / h
        sa = pa.dA - sl
        sb = pb.dA - sl
        tol = _CERT_TOL * pa.W
        ga = pa.g
        end = (ga + sa * h > tol) | (sb < 0)
        x = (-sb * h - ga) / (sa - sb)  # La = Lb at a + x
        inside = (x > 0) & (x < h)
        fx = np.maximum(ga + sa * x, sb * (x - h))
        good = end & (~inside | (fx > tol)) & (ga > tol) & (h > 0)
    return np.asarray(good & np.isfinite(ga + sa * h) & np.isfinite(sb))


def certify_above(
    s: Stack,
    a: np.ndarray,
    b: np.ndarray,
    pa: Point,
    pb: Point,
    reml: bool,
    depth: int = _SPLITS_ABOVE,
) -> np.ndarray:
    """:func:`no_root_above`, bisecting (in ``log(v̄ + τ²)``) up to ``depth`` times
    the intervals where the bound is too loose: one score evaluation per split."""
    ok = no_root_above(a, b, pa, pb)
    f = np.flatnonzero(~ok & (pa.g > 0))
    if depth == 0 or not f.size:
        return ok
    sub = s.take(f)
    a, b = a[f], b[f]
    c = mean_of(sub, sub.v)
    m = np.sqrt((a + c) * (b + c)) - c
    pm = point(sub, m, reml, True)
    pa, pb = pa.take(f), pb.take(f)
    good = certify_above(sub, a, m, pa, pm, reml, depth - 1) & (pm.g > 0)
    sel = np.flatnonzero(good)
    if sel.size:
        good[sel] = certify_above(
            sub.take(sel), m[sel], b[sel], pm.take(sel), pb.take(sel), reml, depth - 1
        )
    ok[f] = good
    return ok
