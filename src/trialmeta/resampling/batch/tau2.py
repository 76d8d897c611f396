"""τ² estimators over many meta-analyses at once (the engine behind ``pool_batch``).

Layout and notation: :mod:`trialmeta._batch_stack`. Root finding:
:mod:`trialmeta._batch_roots`; ML/REML: :mod:`trialmeta._batch_likelihood`.
Every estimator ends with one pass at its τ² that also gives ``W``, ``μ̂`` and
(when asked) ``Q(τ²)``, so the caller never recomputes the weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialmeta.resampling.batch.likelihood import ll_zero_is_higher, solve_likelihood
from trialmeta.resampling.batch.roots import solve_q_equation, spread
from trialmeta.resampling.batch.stack import (
    Stack,
    Zero,
    col_dot,
    mean_of,
    scratch,
    weights,
    zero_sums,
)

__all__ = [
    "Stack", "Tau2Batch", "Zero", "col_dot", "estimate_tau2_batch", "solve_q_equation",
    "weights", "zero_sums",
]  # fmt: skip


@dataclass(frozen=True)
class Tau2Batch:
    """τ² per column with metafor's ``se.tau2`` and solver status, and at that τ²:
    ``W = Σw``, ``est = Σwy/W`` and ``rss = Σw(y-est)²`` (None unless asked)."""

    tau2: np.ndarray
    se: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    W: np.ndarray
    est: np.ndarray
    rss: np.ndarray | None


def _others(x: np.ndarray) -> np.ndarray:
    """``Σ_{j≠i} x_j`` per column without subtraction (exclusive prefix + suffix sums)."""
    pre = np.zeros_like(x)
    np.cumsum(x[:-1], axis=0, out=pre[1:])
    suf = np.zeros_like(x)
    suf[:-1] = np.cumsum(x[::-1], axis=0)[-2::-1]
    return np.asarray(pre + suf)


def _sum_p2_stable(w: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Σᵢⱼ Pᵢⱼ² aᵢ bⱼ`` as a sum of non-negative terms:
    ``Σᵢ aᵢbᵢ wᵢ²oᵢ²/W² + Σᵢ aᵢwᵢ² Σ_{j≠i} bⱼwⱼ² / W²`` with ``oᵢ = Σ_{j≠i} wⱼ``."""
    W = w.sum(0)
    o = _others(w)
    w2 = w * w
    out: np.ndarray = (a * b * w2 * o * o).sum(0) / (W * W) + (a * w2 * _others(b * w2)).sum(0) / (
        W * W
    )
    return out


def _sum_p2(s: Stack, w: np.ndarray, a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray:
    """``Σᵢⱼ Pᵢⱼ² aᵢ bⱼ`` for ``P = diag(w) - ww'/W`` (a, b default to 1).

    The expanded form ``Σabw² - 2Σabw³/W + Σaw²·Σbw²/W²`` cancels badly when one
    weight dominates (``Σw²/W² > 0.9``); those columns use the stable form.
    """
    W = w.sum(0)
    if a is None and b is None:  # the common case, without temporaries
        S2 = col_dot(w, w)
        out = S2 - 2.0 * np.einsum("ij,ij,ij->j", w, w, w) / W + S2 * S2 / (W * W)
    else:
        w2 = w * w
        S2 = w2.sum(0)
        wa = w2 if a is None else w2 * a
        wb = w2 if b is None else w2 * b
        diag = (wa if b is None else wa * b).sum(0)
        cube = (w2 * w) if a is None else w2 * w * a
        cube = (cube if b is None else cube * b).sum(0)
        out = diag - 2.0 * cube / W + wa.sum(0) * wb.sum(0) / (W * W)
    dom = np.flatnonzero(S2 > 0.9 * W * W)
    if dom.size:
        one = np.ones((w.shape[0], dom.size))
        aa = one if a is None else a[:, dom]
        bb = one if b is None else b[:, dom]
        out[dom] = _sum_p2_stable(w[:, dom], aa, bb)
    return np.asarray(out)


def _at(
    s: Stack, tau2: np.ndarray, rss: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Weights (a :func:`scratch` buffer), ``W``, ``μ̂`` and (if ``rss``)
    ``Σw(y-μ̂)²`` at ``τ²`` per column."""
    w = weights(s, tau2, scratch("at.w", s.y.shape))
    W = w.sum(0)
    est = col_dot(w, s.y) / W
    if not rss:
        return w, W, est, None
    r = np.subtract(s.y, est, out=scratch("at.r", s.y.shape))
    wr = np.multiply(w, r, out=scratch("at.wr", s.y.shape))
    return w, W, est, col_dot(wr, r)


def _likelihood(
    s: Stack, z: Zero, he: np.ndarray, dl: np.ndarray, S: np.ndarray, reml: bool, rss: bool
) -> Tau2Batch:
    """ML/REML from the HE start (DL as Newton's first guess); ``S = Σ(y-ȳ)²``."""
    tau2, conv, iters = solve_likelihood(s, reml, np.maximum(he, 0.0), dl, z, S)
    w, W, est, q_or_none = _at(s, tau2, True)
    assert q_or_none is not None  # asked for with rss=True
    q = q_or_none
    reset = np.flatnonzero(ll_zero_is_higher(z, tau2, q, W, reml))
    if reset.size:  # metafor's ll0check: back to τ² = 0 (fixed-effect sums)
        tau2[reset] = 0.0
        w[:, reset] = z.w[:, reset]
        W[reset], est[reset], q[reset] = z.W[reset], z.mu[reset], z.q[reset]
    if reml:
        se = np.sqrt(2.0 / _sum_p2(s, w, None, None))
    else:
        se = np.sqrt(2.0 / col_dot(w, w))
    return Tau2Batch(tau2, se, conv, iters, W, est, q if rss else None)


def estimate_tau2_batch(s: Stack, method: str, z: Zero, rss: bool = False) -> Tau2Batch:
    """τ² by ``method`` for every column (k ≥ 2), floored at 0; ``z`` = :func:`zero_sums`.

    Same definitions as :func:`trialmeta.tau2.estimate_tau2` (metafor names):
    DL ``(Q-(k-1))/(W-Σw²/W)`` (DerSimonian & Laird 1986); HE
    ``(Σ(y-ȳ)² - (k-1)/k·Σv)/(k-1)`` (Hedges 1983); HS ``(Q-k)/W`` (Hunter &
    Schmidt 2004); SJ ``τ₀²·Q(τ₀²)/(k-1)``, ``τ₀² = Σ(y-ȳ)²/k`` (Sidik &
    Jonkman 2005); PM/EB root of ``Q(τ²) = k-1`` (Paule & Mandel 1982; Morris
    1983); ML/REML roots of the (restricted) likelihood score (Viechtbauer 2005).
    """
    k = s.k
    df = k - 1.0
    n = s.n
    conv = np.ones(n, dtype=bool)
    iters = np.zeros(n, dtype=np.int64)
    q0 = z.q
    trP0 = z.W - z.S2 / z.W
    if method == "FE":
        return Tau2Batch(np.zeros(n), np.full(n, np.nan), conv, iters, z.W, z.mu, z.q)
    if method in ("DL", "HS"):
        p2 = _sum_p2(s, z.w, None, None)
        if method == "DL":
            tau2 = np.maximum(0.0, (q0 - df) / trP0)
            se = np.sqrt(2 * df + 4 * tau2 * trP0 + 2 * tau2**2 * p2) / trP0
        else:
            tau2 = np.maximum(0.0, (q0 - k) / z.W)
            se = np.sqrt(2 * df + 4 * tau2 * trP0 + 2 * tau2**2 * p2) / z.W
        _, W, est, q = _at(s, tau2, rss)
        return Tau2Batch(tau2, se, conv, iters, W, est, q)
    vm = s.v if s.m is None else s.v * s.m
    if method in ("HE", "ML", "REML"):
        trPV = vm.sum(0) * (1.0 - 1.0 / k)
        S = spread(s)
        he = (S - trPV) / df
        if method != "HE":
            dl = np.maximum(0.0, (q0 - df) / trP0)
            return _likelihood(s, z, he, dl, S, method == "REML", rss)
        tau2 = np.maximum(0.0, he)
        ones = np.ones_like(s.y) if s.m is None else s.m
        pvpv = _sum_p2(s, ones, vm, vm)
        se = np.sqrt(2 * pvpv + 4 * tau2 * trPV + 2 * tau2**2 * df) / df
        _, W, est, q = _at(s, tau2, rss)
        return Tau2Batch(tau2, se, conv, iters, W, est, q)
    if method == "SJ":
        d = s.y - mean_of(s, s.y)
        if s.m is not None:
            d *= s.m
        tau0 = col_dot(d, d) / k
        w = weights(s, tau0)
        r = s.y - col_dot(w, s.y) / w.sum(0)
        tau2 = np.maximum(0.0, tau0 * col_dot(w * r, r) / df)
        pvpv = _sum_p2(s, w, vm, vm)
        pvp = _sum_p2(s, w, None, vm)
        pp = _sum_p2(s, w, None, None)
        se = np.sqrt(tau0**2 / df**2 * (2 * pvpv + 4 * tau2 * pvp + 2 * tau2**2 * pp))
        _, W, est, q = _at(s, tau2, rss)
        return Tau2Batch(tau2, se, conv, iters, W, est, q)
    if method in ("PM", "EB"):
        tau2, conv, iters = solve_q_equation(s, df, q0)
        _, W, est, q = _at(s, tau2, rss)
        return Tau2Batch(tau2, np.sqrt(2 * k**2 / df / W**2), conv, iters, W, est, q)
    raise ValueError(method)  # pragma: no cover - validated by pool_batch
