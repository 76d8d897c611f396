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

from trialmeta.resampling.batch.scoring import fisher_scoring
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
    return np.asarray(np.einsum("nij,nji->n", A, B))


def _gram(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Stacked ``X'diag(w)X``."""
    return np.asarray(np.einsum("nki,nk,nkj->nij", X, w, X))


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
    return np.asarray(((r * r).sum(1) - trpv) / (k - p))


def regression_tau2(Y: np.ndarray, X: np.ndarray, v: np.ndarray, method: str) -> np.ndarray:
    """τ² of each fit ``Y[b] ~ X[b]`` with sampling variances ``v`` (k,), floored at 0."""
    N, k, p = X.shape
    if method == "FE":
        return np.zeros(N)
    if method not in _VECTOR_METHODS:
        return np.array([estimate_tau2(Y[b], v, X[b], method).tau2 for b in range(N)])
    he = _he(Y, X, v)
    if method == "HE":
        return np.asarray(np.maximum(he, 0.0))
    if method == "DL":
        w0 = np.broadcast_to(1.0 / v, (N, k))
        Minv, _, r = _solve(X, w0, Y)
        tr, _ = _traces(X, w0, Minv)
        return np.asarray(np.maximum(0.0, ((w0 * r * r).sum(1) - (k - p)) / tr))
    return _fisher_scoring(Y, X, v, np.maximum(he, 0.0), method == "REML")


def _score(
    Y: np.ndarray, X: np.ndarray, v: np.ndarray, t: np.ndarray, reml: bool
) -> tuple[np.ndarray, np.ndarray]:
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
    Y: np.ndarray, X: np.ndarray, v: np.ndarray, start: np.ndarray, reml: bool
) -> np.ndarray:
    """metafor's Fisher scoring from ``start`` for every fit, finished inside the bracket
    where its iterates alternate (:func:`~.scoring.fisher_scoring`); fits that do not
    settle go to the scalar solver."""

    def step(rows: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _score(Y[rows], X[rows], v, t, reml)

    tau2, bad = fisher_scoring(step, start, _TOL)
    for b in bad:  # rare: the scalar solver has a bracketing fallback
        tau2[b] = estimate_tau2(Y[b], v, X[b], "REML" if reml else "ML").tau2
    return tau2


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
