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

from ._batch_stack import Stack, col_dot, mean_of, scratch, weights

__all__ = ["Point", "certify", "no_root_between", "point"]

_CERT_TOL = 1e-9  # margin (relative to Σw) of the no-root bound
_SPLITS = 1  # splits of an interval where that bound is too loose


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

    def take(self, idx: np.ndarray) -> Point:
        return Point(*(getattr(self, f)[idx] for f in ("A", "T", "dT", "g", "W", "ok")))


def point(s: Stack, t: np.ndarray | float, reml: bool) -> Point:
    w = weights(s, t, scratch("score.w", s.y.shape))
    W = w.sum(0)
    r = np.subtract(s.y, col_dot(w, s.y) / W, out=scratch("score.r", s.y.shape))
    r *= w
    A = col_dot(r, r)
    S2 = col_dot(w, w)
    if reml:
        S3 = col_dot(np.multiply(w, w, out=r), w)
        g = A - W + S2 / W
        T = W - S2 / W
        dT = -(S2 - 2.0 * S3 / W + (S2 / W) ** 2)
    else:
        g = A - W
        T, dT = W, -S2
    return Point(A, T, dT, g, W, S2 <= 0.5 * W * W)


def no_root_between(a: np.ndarray, b: np.ndarray, pa: Point, pb: Point, ga: np.ndarray):
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
    return good & np.isfinite(fb)


def certify(s: Stack, a, b, pa: Point, pb: Point, ga, reml: bool, depth: int = _SPLITS):
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
