"""τ² estimators over many meta-analyses at once (the engine behind ``pool_batch``).

Data are held study-major: arrays of shape ``(K, N)`` for N meta-analyses of up
to K studies, so that every sum over studies is K contiguous vector additions.
A float mask (1 = study present, 0 = absent) gives ragged k; absent cells hold
``y = 0, v = 1`` and get zero weight.

Notation (intercept-only model, metafor ``rma.uni``): ``wᵢ(τ²) = 1/(vᵢ + τ²)``,
``W = Σw``, ``μ(τ²) = Σwy/W``, ``rᵢ = yᵢ - μ``, ``Q(τ²) = Σw r²`` (Cochran 1954;
DerSimonian & Kacker 2007). The iterative estimators are roots of decreasing
estimating equations, found by a vectorised safeguarded Newton method
(``rtsafe``: Newton inside a maintained bracket, bisection whenever Newton
leaves it or stalls; Press et al. 2007, *Numerical Recipes*, §9.4) to about
1e-13 relative, so nothing fails to converge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Stack", "Tau2Batch", "col_dot", "estimate_tau2_batch", "solve_q_equation", "weights"]

_RTOL = 1e-13
_MAXITER = 1000
_LL0_TOL = 1e-10  # as trialmeta.tau2: reset ML/REML to 0 when ll(0) is higher by more
_SCAN = 16  # grid points when looking for a second ML/REML maximum


@dataclass(frozen=True)
class Stack:
    """Study-major data: ``y``, ``v`` and optional float mask ``m``, all ``(K, N)``."""

    y: np.ndarray
    v: np.ndarray
    m: np.ndarray | None
    k: np.ndarray  # (N,) float: studies per meta-analysis

    def take(self, idx: np.ndarray) -> Stack:
        """The meta-analyses (columns) ``idx``."""
        m = None if self.m is None else self.m[:, idx]
        return Stack(self.y[:, idx], self.v[:, idx], m, self.k[idx])

    @property
    def n(self) -> int:
        return int(self.y.shape[1])


def weights(s: Stack, tau2: np.ndarray | float) -> np.ndarray:
    """``w = m / (v + τ²)`` (zero for absent studies)."""
    w = 1.0 / (s.v + tau2)
    if s.m is not None:
        w *= s.m
    return w


def col_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Column-wise ``Σ a·b`` without a temporary."""
    return np.einsum("ij,ij->j", a, b)


def _q_parts(s: Stack, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``W``, ``w·r`` and ``r`` for weights ``w``."""
    W = w.sum(0)
    mu = col_dot(w, s.y) / W
    r = s.y - mu
    return W, w * r, r


def _rtsafe(
    fun: Callable[[Stack, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    s: Stack,
    extra: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    t0: np.ndarray,
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
    t = np.clip(t0, lo, hi)
    out_t = t.copy()
    conv = np.zeros(n, dtype=bool)
    iters = np.zeros(n, dtype=np.int64)
    idx = np.arange(n)
    sub, ex = s, extra
    atol = 1e-15 * _mean(s, s.v) + 1e-300
    lo, hi = lo.copy(), hi.copy()
    dxold = hi - lo
    alive = np.ones(n, dtype=bool)
    was_newton = np.zeros(n, dtype=bool)
    for it in range(1, _MAXITER + 1):
        f, fp = fun(sub, t, ex)
        lo = np.where(f > 0, t, lo)
        hi = np.where(f < 0, t, hi)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = f / fp
            newton = t - step
            ok = (
                np.isfinite(newton)
                & (newton > lo)
                & (newton < hi)
                & (np.abs(2.0 * f) <= np.abs(dxold * fp))
            )
            tol = _RTOL * np.abs(t) + atol
            astep = np.abs(step)
            # converged: the step is below tol, or Newton is in its quadratic
            # regime (step ≤ 1e-7·t after a Newton step ≥ 1000x larger), where
            # the error left after this step is ~(1e-7)²·t
            small = np.isfinite(newton) & (
                (astep <= tol)
                | (was_newton & (astep <= 1e-7 * np.abs(t)) & (astep <= 1e-3 * dxold))
            )
        tn = np.where(ok, newton, 0.5 * (lo + hi))
        tn = np.where(small, np.clip(newton, lo, hi), tn)
        tn = np.where(f == 0, t, tn)
        done = (f == 0) | small | (hi - lo <= tol)
        upd = np.flatnonzero(alive)
        out_t[idx[upd]] = tn[upd]
        iters[idx[upd]] = it
        conv[idx[upd[done[upd]]]] = True
        alive &= ~done
        n_alive = int(alive.sum())
        if n_alive == 0:
            break
        dxold = np.where(alive, np.abs(tn - t), dxold)
        was_newton = ok
        t = np.where(alive, tn, t)
        if n_alive <= alive.size // 2:  # compress to the rows still searching
            sel = np.flatnonzero(alive)
            idx, t, lo, hi, dxold, atol = idx[sel], t[sel], lo[sel], hi[sel], dxold[sel], atol[sel]
            was_newton = was_newton[sel]
            sub, ex, alive = sub.take(sel), ex[sel], alive[sel]
    return out_t, conv, iters


def _f_q(s: Stack, t: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reciprocal form ``1/target - 1/Q(τ²)`` (same root; nearly linear in τ²)."""
    W, wr, r = _q_parts(s, weights(s, t))
    q = col_dot(wr, r)
    dq = -col_dot(wr, wr)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / target - 1.0 / q, dq / (q * q)


def _f_score(
    reml: bool,
) -> Callable[[Stack, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The ML/REML score ``g`` times ``(τ² + c)²`` (``c`` = mean v, passed as ``extra``):
    same roots, but nearly linear in τ² (``≈ Σr² - (k-1)(τ²+c)``), so Newton
    needs few steps. ``g = Σw²r² - Σw [+ Σw²/W for REML]`` (Viechtbauer 2005)."""

    def f(s: Stack, t: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = weights(s, t)
        W, wr, r = _q_parts(s, w)
        w2 = w * w
        S2 = w2.sum(0)
        wwr = w * wr
        a = col_dot(wr, wr)  # Σw²r²
        b = wwr.sum(0)  # Σw²r
        cc = col_dot(wwr, wr)  # Σw³r²
        g = a - W
        dg = -2.0 * cc + 2.0 * b * b / W + S2
        if reml:
            S3 = col_dot(w2, w)
            g = g + S2 / W
            dg = dg + (S2 * S2 - 2.0 * S3 * W) / (W * W)
        u = t + c
        return g * u * u, dg * u * u + 2.0 * g * u

    return f


def _upper(s: Stack, c: np.ndarray) -> np.ndarray:
    """τ² above every root: with ``S = Σ(y-ȳ)²`` (unweighted), ``Σw r² ≤ S/(v₋+τ²)``
    and ``Σw²r² ≤ S/(v₋+τ²)²``, while ``Σw - Σw²/W ≥ (k-1)/(v₊+τ²)``; so
    ``c·u² ≥ S·(u + v₊ - v₋)`` with ``u = v₋ + τ²`` makes the equation negative
    (``c = k-1`` for REML, ``k`` for ML; for ``Q = target`` use ``u = S/target``)."""
    ybar = _mean(s, s.y)
    d = s.y - ybar
    if s.m is not None:
        d = d * s.m
    S = (d * d).sum(0)
    vmin, vmax = _vrange(s)
    u = (S + np.sqrt(S * S + 4.0 * c * S * (vmax - vmin))) / (2.0 * c)
    return np.maximum(u - vmin, 0.0) * (1.0 + 1e-12) + 1e-300


def _mean(s: Stack, a: np.ndarray) -> np.ndarray:
    if s.m is None:
        return a.mean(0)
    return (a * s.m).sum(0) / s.k


def _vrange(s: Stack) -> tuple[np.ndarray, np.ndarray]:
    if s.m is None:
        return s.v.min(0), s.v.max(0)
    present = s.m > 0
    return np.where(present, s.v, np.inf).min(0), np.where(present, s.v, -np.inf).max(0)


def solve_q_equation(
    s: Stack, target: np.ndarray, q0: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Root of ``Q(τ²) = target`` per column; 0 where ``Q(0) ≤ target``
    (Paule & Mandel 1982; Q-profile limits, Viechtbauer 2007)."""
    n = s.n
    tau2 = np.zeros(n)
    conv = np.ones(n, dtype=bool)
    iters = np.zeros(n, dtype=np.int64)
    act = np.flatnonzero(q0 > target)
    if act.size:
        sub = s.take(act)
        tg = target[act]
        ybar = _mean(sub, sub.y)
        d = sub.y - ybar
        if sub.m is not None:
            d = d * sub.m
        vmin, _ = _vrange(sub)
        hi = np.maximum((d * d).sum(0) / tg - vmin, 0.0) * (1.0 + 1e-12) + 1e-300
        lo = np.zeros(act.size)
        # first reciprocal-Newton step from 0 (always left of the root)
        W, wr, r = _q_parts(sub, weights(sub, 0.0))
        qa = q0[act]
        t0 = qa * (qa - tg) / (tg * (wr * wr).sum(0))
        tau2[act], conv[act], iters[act] = _rtsafe(_f_q, sub, tg, lo, hi, t0)
    return tau2, conv, iters


def _loglik(s: Stack, t: np.ndarray | float, reml: bool) -> np.ndarray:
    w = weights(s, t)
    W, wr, r = _q_parts(s, w)
    vt = s.v + t
    logv = np.log(vt) if s.m is None else np.log(vt) * s.m
    ll = -0.5 * logv.sum(0) - 0.5 * (wr * r).sum(0)
    if reml:
        return ll - 0.5 * np.log(W)
    return ll


def _solve_likelihood(
    s: Stack, method: str, start: np.ndarray, dl_start: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ML/REML: a root of the (restricted) likelihood score (Viechtbauer 2005).

    As metafor's Fisher scoring (and :mod:`trialmeta.tau2`), the search starts
    from ``τ₀ = max(0, HE)`` and goes uphill: if the score at ``τ₀`` is
    positive the root is bracketed by ``[τ₀, upper]``, else by ``[0, τ₀]``
    (0 when the score at 0 is ≤ 0 too). The result is then reset to 0 when the
    log-likelihood at 0 is higher (metafor's ``ll0check``).
    """
    reml = method == "REML"
    fun = _f_score(reml)
    n = s.n
    dummy = _mean(s, s.v)  # the scale c of the transformed score
    t0 = np.maximum(start, 0.0)
    g0_pos = _score_sign(s, np.zeros(n), reml)
    right = g0_pos.copy()
    he_pos = np.flatnonzero(t0 > 0)
    if he_pos.size:
        right[he_pos] = _score_sign(s.take(he_pos), t0[he_pos], reml)
    left = ~right & g0_pos  # root in [0, t0]; right: root in [t0, upper]
    tau2 = np.zeros(n)
    conv = np.ones(n, dtype=bool)
    iters = np.zeros(n, dtype=np.int64)
    act = np.flatnonzero(right | left)
    if act.size:
        sub = s.take(act)
        c = sub.k - 1.0 if reml else sub.k
        up = _upper(sub, c)
        st = t0[act]
        r = right[act]
        lo = np.where(r, st, 0.0)
        hi = np.where(r, np.maximum(up, st), st)
        guess = np.where(st > 0, st, 0.5 * hi)
        if dl_start is not None:  # DL is usually close to the ML/REML root
            d = dl_start[act]
            guess = np.where((d > lo) & (d < hi), d, guess)
        t, cv, it = _rtsafe(fun, sub, dummy[act], lo, hi, guess)
        # Walking down from τ₀, Fisher scoring stops at the largest root below
        # it. When τ₀ is far above the root found, look for a larger one.
        far = np.flatnonzero(~r & (st > 1.5 * t))
        if far.size:
            t[far], it[far] = _largest_root_below(
                fun, reml, sub.take(far), dummy[act][far], t[far], st[far], t[far], it[far]
            )
        tau2[act], conv[act], iters[act] = t, cv, it
    hidden = np.flatnonzero(~right & ~left & (t0 > 0))
    if hidden.size:
        # Score ≤ 0 at 0 and at τ₀: a local maximum may still lie in between
        # (bimodal likelihood), which Fisher scoring walking down from τ₀ reaches.
        sub = s.take(hidden)
        th = t0[hidden]
        lo = np.minimum(1e-3 * _vrange(sub)[0], 0.5 * th)
        z = np.zeros(hidden.size)
        tau2[hidden], iters[hidden] = _largest_root_below(
            fun, reml, sub, dummy[hidden], lo, th, z, z.astype(np.int64)
        )
    pos = np.flatnonzero(tau2 > 0)
    if pos.size:  # metafor's ll0check
        sub = s.take(pos)
        worse = _loglik(sub, 0.0, reml) - _loglik(sub, tau2[pos], reml) > _LL0_TOL
        tau2[pos[worse]] = 0.0
    return tau2, conv, iters


def _score_sign(s: Stack, t: np.ndarray, reml: bool) -> np.ndarray:
    """``score(τ²) > 0`` without its derivative (cheaper, for grid scans)."""
    w = weights(s, t)
    W, wr, _ = _q_parts(s, w)
    g = col_dot(wr, wr) - W
    if reml:
        g += col_dot(w, w) / W
    return g > 0


def _largest_root_below(fun, reml: bool, sub: Stack, c, lo, hi, t, it):
    """Scan a geometric grid in ``(lo, hi)`` downwards for a positive score and
    re-solve above the largest such point (a second local maximum of a
    bimodal likelihood). Rows leave the scan at their first positive point."""
    n = lo.size
    found = np.zeros(n, dtype=bool)
    a, b = lo.copy(), hi.copy()
    ratio = hi / lo
    rows = np.arange(n)
    part = sub
    for j in range(_SCAN - 1, 0, -1):
        tj = lo[rows] * ratio[rows] ** (j / _SCAN)
        pos = _score_sign(part, tj, reml)
        if pos.any():
            hit = rows[pos]
            a[hit] = tj[pos]
            b[hit] = np.minimum(lo[hit] * ratio[hit] ** ((j + 1) / _SCAN), hi[hit])
            found[hit] = True
            keep = np.flatnonzero(~pos)
            rows, part = rows[keep], part.take(keep)
            if not rows.size:
                break
    if found.any():
        f = np.flatnonzero(found)
        t2, _, it2 = _rtsafe(fun, sub.take(f), c[f], a[f], b[f], 0.5 * (a[f] + b[f]))
        t, it = t.copy(), it.copy()
        t[f], it[f] = t2, it[f] + it2
    return t, it


@dataclass(frozen=True)
class Tau2Batch:
    """τ² per column with metafor's ``se.tau2`` and solver status."""

    tau2: np.ndarray
    se: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray


def _others(x: np.ndarray) -> np.ndarray:
    """``Σ_{j≠i} x_j`` per column without subtraction (exclusive prefix + suffix sums)."""
    pre = np.zeros_like(x)
    np.cumsum(x[:-1], axis=0, out=pre[1:])
    suf = np.zeros_like(x)
    suf[:-1] = np.cumsum(x[::-1], axis=0)[-2::-1]
    return pre + suf


def _sum_p2_stable(w: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Σᵢⱼ Pᵢⱼ² aᵢ bⱼ`` as a sum of non-negative terms:
    ``Σᵢ aᵢbᵢ wᵢ²oᵢ²/W² + Σᵢ aᵢwᵢ² Σ_{j≠i} bⱼwⱼ² / W²`` with ``oᵢ = Σ_{j≠i} wⱼ``."""
    W = w.sum(0)
    o = _others(w)
    w2 = w * w
    return (a * b * w2 * o * o).sum(0) / (W * W) + (a * w2 * _others(b * w2)).sum(0) / (W * W)


def _sum_p2(s: Stack, w: np.ndarray, a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray:
    """``Σᵢⱼ Pᵢⱼ² aᵢ bⱼ`` for ``P = diag(w) - ww'/W`` (a, b default to 1).

    The expanded form ``Σabw² - 2Σabw³/W + Σaw²·Σbw²/W²`` cancels badly when one
    weight dominates (``Σw²/W² > 0.9``); those columns use the stable form.
    """
    W = w.sum(0)
    w2 = w * w
    wa = w2 if a is None else w2 * a
    wb = w2 if b is None else w2 * b
    diag = (wa if b is None else wa * b).sum(0)
    cube = (w2 * w) if a is None else w2 * w * a
    cube = (cube if b is None else cube * b).sum(0)
    S2 = w2.sum(0)
    out = diag - 2.0 * cube / W + wa.sum(0) * wb.sum(0) / (W * W)
    dom = np.flatnonzero(S2 > 0.9 * W * W)
    if dom.size:
        one = np.ones((w.shape[0], dom.size))
        aa = one if a is None else a[:, dom]
        bb = one if b is None else b[:, dom]
        out[dom] = _sum_p2_stable(w[:, dom], aa, bb)
    return out


def estimate_tau2_batch(s: Stack, method: str, q0: np.ndarray) -> Tau2Batch:
    """τ² by ``method`` for every column (k ≥ 2), floored at 0.

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
    w0 = weights(s, 0.0)
    W0 = w0.sum(0)
    S20 = (w0 * w0).sum(0)
    trP0 = W0 - S20 / W0
    if method == "FE":
        return Tau2Batch(np.zeros(n), np.full(n, np.nan), conv, iters)
    if method in ("DL", "HS"):
        if method == "DL":
            tau2 = np.maximum(0.0, (q0 - df) / trP0)
            se = np.sqrt(2 * df + 4 * tau2 * trP0 + 2 * tau2**2 * _sum_p2(s, w0, None, None))
            return Tau2Batch(tau2, se / trP0, conv, iters)
        tau2 = np.maximum(0.0, (q0 - k) / W0)
        se = np.sqrt(2 * df + 4 * tau2 * trP0 + 2 * tau2**2 * _sum_p2(s, w0, None, None)) / W0
        return Tau2Batch(tau2, se, conv, iters)
    ones = np.ones_like(s.y) if s.m is None else s.m
    vm = s.v * ones
    if method == "HE" or method in ("ML", "REML"):
        d = (s.y - _mean(s, s.y)) * ones
        trPV = vm.sum(0) * (1.0 - 1.0 / k)
        he = (d * d).sum(0) - trPV
        he = he / df
        if method == "HE":
            tau2 = np.maximum(0.0, he)
            pvpv = _sum_p2(s, ones, vm, vm)
            se = np.sqrt(2 * pvpv + 4 * tau2 * trPV + 2 * tau2**2 * df) / df
            return Tau2Batch(tau2, se, conv, iters)
        dl = np.maximum(0.0, (q0 - df) / trP0)
        tau2, conv, iters = _solve_likelihood(s, method, np.maximum(he, 0.0), dl)
        w = weights(s, tau2)
        if method == "ML":
            return Tau2Batch(tau2, np.sqrt(2.0 / (w * w).sum(0)), conv, iters)
        return Tau2Batch(tau2, np.sqrt(2.0 / _sum_p2(s, w, None, None)), conv, iters)
    if method == "SJ":
        d = (s.y - _mean(s, s.y)) * ones
        tau0 = (d * d).sum(0) / k
        w = weights(s, tau0)
        W, wr, r = _q_parts(s, w)
        tau2 = np.maximum(0.0, tau0 * (wr * r).sum(0) / df)
        pvpv = _sum_p2(s, w, vm, vm)
        pvp = _sum_p2(s, w, None, vm)
        pp = _sum_p2(s, w, None, None)
        se = np.sqrt(tau0**2 / df**2 * (2 * pvpv + 4 * tau2 * pvp + 2 * tau2**2 * pp))
        return Tau2Batch(tau2, se, conv, iters)
    if method in ("PM", "EB"):
        tau2, conv, iters = solve_q_equation(s, df, q0)
        W = weights(s, tau2).sum(0)
        return Tau2Batch(tau2, np.sqrt(2 * k**2 / df / W**2), conv, iters)
    raise ValueError(method)  # pragma: no cover - validated by pool_batch
