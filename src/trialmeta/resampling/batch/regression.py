"""Many meta-regressions at once: ``rma.uni(yi = Y[b], vi, mods = X[b])`` for every b.

The engine of the permutation test (:mod:`trialmeta.resampling.permutation`).
Each fit is weighted least squares with ``wᵢ = 1/(vᵢ + τ²)``; everything is
computed through the p x p matrices ``M = X'WX``, never the k x k projection
``P = W - WXM⁻¹X'W`` (Viechtbauer 2005), with

- ``y'Py = Σwᵢrᵢ²`` and ``y'PPy = Σwᵢ²rᵢ²`` (``r = y - Xβ̂``, so ``Py = Wr``);
- ``tr(P) = Σw - tr(M⁻¹X'W²X)``;
- ``tr(P²) = Σw² - 2tr(M⁻¹X'W³X) + tr((M⁻¹X'W²X)²)``.

τ² is solved for all fits together: DL ``(Q - (k-p))/tr(P₀)``, HE
``(y'P_I y - tr(P_I V))/(k-p)``, FE 0, and ML/REML by metafor's Fisher scoring
from the HE start with step halving at 0 (the algorithm of
:func:`trialmeta.stats.tau2.estimate_tau2` and of metafor's ``rma.uni``), to
``|Δτ²| ≤ 1e-13·max(1, τ²)``. Other estimators, and the rare fits where
Fisher scoring does not settle, are solved one at a time by
:func:`trialmeta.stats.tau2.estimate_tau2`.
"""

from __future__ import annotations

import numpy as np

from trialmeta.stats.tau2 import estimate_tau2

__all__ = ["regression_stats", "regression_tau2"]

_TOL = 1e-13
_MAXITER = 1000
_VECTOR_METHODS = ("FE", "DL", "HE", "ML", "REML")
_EPS = float(np.finfo(float).eps)


def _solve(X: np.ndarray, w: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, ...]:
    """``M⁻¹ = (X'WX)⁻¹`` (N x p x p), ``β̂`` (N x p) and residuals ``r = Y - Xβ̂`` (N x k)."""
    WX = X * w[:, :, None]
    Minv = np.linalg.inv(np.einsum("nki,nkj->nij", WX, X))
    beta = np.einsum("nij,nj->ni", Minv, np.einsum("nki,nk->ni", WX, Y))
    return Minv, beta, Y - np.einsum("nki,ni->nk", X, beta)


def _trace_prod(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``tr(AB)`` of stacked square matrices."""
    return np.einsum("nij,nji->n", A, B)


def _gram(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Stacked ``X'diag(w)X``."""
    return np.einsum("nki,nk,nkj->nij", X, w, X)


def _traces(X: np.ndarray, w: np.ndarray, Minv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``tr(P)`` and ``tr(P²)`` from p x p matrices (module docstring)."""
    B = Minv @ _gram(X, w * w)
    tr = w.sum(1) - np.trace(B, axis1=1, axis2=2)
    tr2 = (w * w).sum(1) - 2.0 * _trace_prod(Minv, _gram(X, w**3)) + _trace_prod(B, B)
    return tr, tr2


def _he(Y: np.ndarray, X: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Hedges' estimate before truncation: ``(y'P_I y - tr(P_I V))/(k-p)`` with ``P_I``
    the unweighted projection; ``tr(P_I V) = Σv - tr((X'X)⁻¹X'VX)``."""
    N, k, p = X.shape
    ones = np.ones((N, k))
    Minv, _, r = _solve(X, ones, Y)
    trpv = v.sum() - _trace_prod(Minv, _gram(X, np.broadcast_to(v, (N, k))))
    return ((r * r).sum(1) - trpv) / (k - p)


def regression_tau2(Y: np.ndarray, X: np.ndarray, v: np.ndarray, method: str) -> np.ndarray:
    """τ² of each fit ``Y[b] ~ X[b]`` with sampling variances ``v`` (k,), floored at 0."""
    N, k, p = X.shape
    if method == "FE":
        return np.zeros(N)
    if method not in _VECTOR_METHODS:
        return np.array([estimate_tau2(Y[b], v, X[b], method).tau2 for b in range(N)])
    he = _he(Y, X, v)
    if method == "HE":
        return np.maximum(he, 0.0)
    if method == "DL":
        w0 = np.broadcast_to(1.0 / v, (N, k))
        Minv, _, r = _solve(X, w0, Y)
        tr, _ = _traces(X, w0, Minv)
        return np.maximum(0.0, ((w0 * r * r).sum(1) - (k - p)) / tr)
    return _fisher_scoring(Y, X, v, np.maximum(he, 0.0), method == "REML")


def _score(Y: np.ndarray, X: np.ndarray, v: np.ndarray, t: np.ndarray, reml: bool):
    """The ML/REML score ``g = y'PPy - tr(P)`` (REML) or ``- Σw`` (ML), and the
    Fisher-scoring step ``g/tr(P²)`` (REML) or ``g/Σw²`` (ML), at ``τ² = t``."""
    w = 1.0 / (v[None, :] + t[:, None])
    Minv, _, r = _solve(X, w, Y)
    A = ((w * r) ** 2).sum(1)  # y'PPy
    if reml:
        tr, tr2 = _traces(X, w, Minv)
        return A - tr, (A - tr) / tr2
    g = A - w.sum(1)
    return g, g / (w * w).sum(1)


def _fisher_scoring(
    Y: np.ndarray, X: np.ndarray, v: np.ndarray, tau2: np.ndarray, reml: bool
) -> np.ndarray:
    """metafor's Fisher scoring from ``tau2`` (step halving at 0) for every fit.

    With widely varying weights the steps can overshoot, so that the iterates
    alternate around the root and close in on it slowly (hundreds of steps).
    Once two successive iterates have scores of opposite sign, they bracket the
    root the iteration converges to, and that root is found by the Illinois
    variant of regula falsi inside the bracket instead (the same root, in a few
    score evaluations)."""
    N = tau2.size
    active = np.arange(N)
    prev_t, prev_g = np.full(N, np.nan), np.full(N, np.nan)
    lo, hi = np.full(N, np.nan), np.full(N, np.nan)
    g_lo, g_hi = np.full(N, np.nan), np.full(N, np.nan)
    for _ in range(_MAXITER):
        if active.size == 0:
            break
        t = tau2[active]
        g, adj = _score(Y[active], X[active], v, t, reml)
        cross = (g * prev_g[active] < 0) & (g != 0)
        if cross.any():  # bracketed: left to regula falsi
            c = active[cross]
            a, b = prev_t[c], t[cross]
            ga, gb = prev_g[c], g[cross]
            swap = a > b
            lo[c], hi[c] = np.where(swap, b, a), np.where(swap, a, b)
            g_lo[c], g_hi[c] = np.where(swap, gb, ga), np.where(swap, ga, gb)
        prev_t[active], prev_g[active] = t, g
        while np.any(neg := t + adj < 0):  # metafor's step halving at the bound
            adj[neg] /= 2.0
        new = t + adj
        keep = ~cross
        tau2[active[keep]] = new[keep]
        done = np.abs(new - t) <= _TOL * np.maximum(1.0, new)
        active = active[keep & ~done]
    bracketed = np.flatnonzero(np.isfinite(lo))
    if bracketed.size:
        tau2[bracketed] = _illinois(Y, X, v, bracketed, lo, hi, g_lo, g_hi, reml)
    bad = np.union1d(active, np.flatnonzero(~np.isfinite(tau2)))
    for b in bad:  # rare: the scalar solver has a bracketing fallback
        tau2[b] = estimate_tau2(Y[b], v, X[b], "REML" if reml else "ML").tau2
    return tau2


def _illinois(Y, X, v, rows, lo, hi, g_lo, g_hi, reml: bool) -> np.ndarray:
    """Root of the score in ``[lo, hi]`` (signs differ at the ends) for ``rows``, by the
    Illinois method (Dowell & Jarratt 1971), to ``1e-13·max(1, τ²)``."""
    a, b, fa, fb = lo[rows].copy(), hi[rows].copy(), g_lo[rows].copy(), g_hi[rows].copy()
    out = 0.5 * (a + b)
    side = np.zeros(rows.size, dtype=np.int64)
    live = np.arange(rows.size)
    for _ in range(_MAXITER):
        if live.size == 0:
            break
        x = (a[live] * fb[live] - b[live] * fa[live]) / (fb[live] - fa[live])
        bad = ~((x > a[live]) & (x < b[live]))
        x[bad] = 0.5 * (a[live][bad] + b[live][bad])
        fx, _ = _score(Y[rows[live]], X[rows[live]], v, x, reml)
        out[live] = x
        left = fx * fa[live] > 0  # the root is in [x, b]
        i_l, i_r = live[left], live[~left]
        a[i_l], fa[i_l] = x[left], fx[left]
        fb[i_l[side[i_l] == 1]] *= 0.5  # the same end kept twice: halve its value
        side[i_l] = 1
        b[i_r], fb[i_r] = x[~left], fx[~left]
        fa[i_r[side[i_r] == -1]] *= 0.5
        side[i_r] = -1
        width = b[live] - a[live]
        live = live[~((width <= _TOL * np.maximum(1.0, x)) | (fx == 0))]
    return out


def regression_stats(
    Y: np.ndarray, X: np.ndarray, v: np.ndarray, tau2: np.ndarray, test: str
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficient statistics (N x p; z, or t for ``knha``) and the omnibus statistic
    at ``τ²``: ``QM = β₂'V₂⁻¹β₂`` over all coefficients but the intercept (the
    intercept when p = 1), divided by their number for ``knha`` (Knapp & Hartung
    2003: ``V = s²(X'WX)⁻¹``, ``s² = Σwr²/(k-p)``, 0 when that sum is ≤ ε; QM is
    NaN when ``s² = 0``, as metafor cannot invert a zero covariance matrix)."""
    N, k, p = X.shape
    w = 1.0 / (v[None, :] + tau2[:, None])
    vb, beta, r = _solve(X, w, Y)
    s2 = np.ones(N)
    if test == "knha":
        rss = np.sum(w * r**2, axis=1)
        s2 = np.where(rss <= _EPS, 0.0, rss / (k - p))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = beta / np.sqrt(np.diagonal(vb, axis1=1, axis2=2) * s2[:, None])
        if p == 1:
            qm = stat[:, 0] ** 2
        else:
            b2 = beta[:, 1:]
            qm = np.einsum("ni,ni->n", b2, np.linalg.solve(vb[:, 1:, 1:], b2[:, :, None])[:, :, 0])
            qm = qm / s2 / (p - 1) if test == "knha" else qm
    return stat, np.where(s2 > 0, qm, np.nan)
