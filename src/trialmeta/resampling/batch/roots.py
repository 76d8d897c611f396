"""Vectorised safeguarded Newton root finding, and the Q-equation (PM/EB, Q-profile).

The iterative estimators are roots of decreasing estimating equations, found
by ``rtsafe`` (Newton inside a maintained bracket, bisection whenever Newton
leaves it or stalls; Press et al. 2007, *Numerical Recipes*, §9.4) to about
1e-13 relative, so nothing fails to converge.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from trialmeta.resampling.batch.stack import (
    Stack,
    col_dot,
    mean_of,
    scratch,
    subset,
    vrange,
    weights,
)

__all__ = ["rtsafe", "solve_q_equation", "upper_bound"]

_RTOL = 1e-13
_MAXITER = 1000

Fun = Callable[[Stack, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def rtsafe(
    fun: Fun, s: Stack, extra: np.ndarray, lo: np.ndarray, hi: np.ndarray, t0: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised safeguarded Newton for ``f(t) = 0`` with ``f(lo) > 0 ≥ f(hi)``.

    ``fun(stack, t, extra) -> (f, f')`` on a subset of columns. Newton is used
    when its step stays inside the bracket and at least halves the previous
    step; otherwise the bracket is bisected. Stops when a Newton step is below
    ``1e-13·t + 1e-15·v̄`` (v̄ the row's mean sampling variance: below that
    the equation is at its rounding noise, and τ² that small does not change
    any weight), or the bracket is that narrow. Returns the root, a converged
    flag and the iteration count.
    """
    n = lo.size
    t = np.minimum(np.maximum(t0, lo), hi)
    out_t = t.copy()
    conv = np.zeros(n, dtype=bool)
    iters = np.full(n, _MAXITER, dtype=np.int64)
    idx = np.arange(n)
    sub, ex = s, extra
    atol = 1e-15 * mean_of(s, s.v) + 1e-300
    lo, hi = lo.copy(), hi.copy()  # t, lo, hi ≥ 0 throughout
    dxold = hi - lo
    alive = np.ones(n, dtype=bool)
    was_newton = np.zeros(n, dtype=bool)
    for it in range(1, _MAXITER + 1):
        f, fp = fun(sub, t, ex)
        np.copyto(lo, t, where=f > 0)
        np.copyto(hi, t, where=f < 0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = f / fp
            newton = t - step
            # Newton inside the bracket (False for NaN/inf) and at least halving the step
            ok = (newton > lo) & (newton < hi) & (np.abs(2.0 * f) <= np.abs(dxold * fp))
            tol = _RTOL * t + atol
            astep = np.abs(step)
            # converged: the step is below tol, or Newton is in its quadratic
            # regime (step ≤ 1e-7·t after a Newton step ≥ 1000x larger), where
            # the error left after this step is ~(1e-7)²·t
            small = (astep <= tol) | (was_newton & (astep <= 1e-7 * t) & (astep <= 1e-3 * dxold))
        tn = np.where(ok, newton, 0.5 * (lo + hi))
        np.copyto(tn, np.minimum(np.maximum(newton, lo), hi), where=small)
        zero = f == 0
        np.copyto(tn, t, where=zero)
        done = zero | small | (hi - lo <= tol)
        done &= alive
        fin = np.flatnonzero(done)
        if fin.size:
            gi = idx[fin]
            out_t[gi], iters[gi], conv[gi] = tn[fin], it, True
            alive &= ~done
        n_alive = int(np.count_nonzero(alive))
        if n_alive == 0:
            break
        dxold = np.abs(tn - t)
        was_newton = ok
        t = tn
        if n_alive <= alive.size // 2:  # compress to the rows still searching
            sel = np.flatnonzero(alive)
            idx, t, lo, hi, dxold, atol = idx[sel], t[sel], lo[sel], hi[sel], dxold[sel], atol[sel]
            was_newton = was_newton[sel]
            sub, ex, alive = sub.take(sel, f"rt{it % 2}"), ex[sel], alive[sel]
    if n_alive:  # not converged in _MAXITER steps: the last iterate
        out_t[idx[alive]] = t[alive]
    return out_t, conv, iters


def _f_q(s: Stack, t: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reciprocal form ``1/target - 1/Q(τ²)`` (same root; nearly linear in τ²)."""
    w = weights(s, t, scratch("score.w", s.y.shape))
    r = np.subtract(s.y, col_dot(w, s.y) / w.sum(0), out=scratch("score.r", s.y.shape))
    w *= r
    q = col_dot(w, r)
    dq = -col_dot(w, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / target - 1.0 / q, dq / (q * q)


def spread(s: Stack) -> np.ndarray:
    """``S = Σ(y - ȳ)²`` per column (unweighted, studies present)."""
    d = np.subtract(s.y, mean_of(s, s.y), out=scratch("spread.d", s.y.shape))
    if s.m is not None:
        d *= s.m
    return col_dot(d, d)


def upper_bound(S: np.ndarray, vmin: np.ndarray, vmax: np.ndarray, c: np.ndarray) -> np.ndarray:
    """τ² above every root of the ML/REML score, from ``S = Σ(y-ȳ)²``: ``Σw r² ≤ S/(v₋+τ²)``
    and ``Σw²r² ≤ S/(v₋+τ²)²``, while ``Σw - Σw²/W ≥ (k-1)/(v₊+τ²)``; so
    ``c·u² ≥ S·(u + v₊ - v₋)`` with ``u = v₋ + τ²`` makes the score negative
    (``c = k-1`` for REML, ``k`` for ML)."""
    u = (S + np.sqrt(S * S + 4.0 * c * S * (vmax - vmin))) / (2.0 * c)
    return np.asarray(np.maximum(u - vmin, 0.0) * (1.0 + 1e-12) + 1e-300)


def solve_q_equation(
    s: Stack, target: np.ndarray, q0: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Root of ``Q(τ²) = target`` per column; 0 where ``Q(0) ≤ target``
    (Paule & Mandel 1982; Q-profile limits, Viechtbauer 2007). For ``Q = target``
    the root is below ``S/target - v₋`` (``Σw r² ≤ S/(v₋+τ²)``)."""
    n = s.n
    tau2 = np.zeros(n)
    conv = np.ones(n, dtype=bool)
    iters = np.zeros(n, dtype=np.int64)
    act = np.flatnonzero(q0 > target)
    if act.size:
        sub = subset(s, act, "q")
        tg = target[act]
        vmin = vrange(sub)[0]
        hi = np.maximum(spread(sub) / tg - vmin, 0.0) * (1.0 + 1e-12) + 1e-300
        lo = np.zeros(act.size)
        # first reciprocal-Newton step from 0 (always left of the root)
        w = weights(sub, 0.0)
        w *= sub.y - col_dot(w, sub.y) / w.sum(0)
        qa = q0[act]
        t0 = qa * (qa - tg) / (tg * col_dot(w, w))
        tau2[act], conv[act], iters[act] = rtsafe(_f_q, sub, tg, lo, hi, t0)
    return tau2, conv, iters
