"""Traces of the projection ``P = W - W X (X'WX)⁻¹ X'W`` with moderators, without forming P.

For many studies the k × k matrix P does not fit in memory (k = 100,000 needs 75 GiB).
Write ``P = W - B`` with ``B = W X A X' W`` and ``A = (X'WX)⁻¹`` (p × p). For diagonal
``D₁``, ``D₂``:

``tr(P D₁ P D₂) = Σ wᵢ² d₁ᵢ d₂ᵢ - 2 Σ wᵢ d₁ᵢ d₂ᵢ Bᵢᵢ + tr(A C₁ A C₂)``,
``Cⱼ = X' diag(w² dⱼ) X``, ``Bᵢᵢ = wᵢ² xᵢ'A xᵢ``,

so ``tr(PP)``, ``tr(PVPV)`` and ``tr(PPV)`` cost O(k p²). ``Py = W(y - Xβ̂)`` needs no P
either. :mod:`trialmeta.stats.tau2` uses these for k above :data:`LOW_RANK_MIN_K` and forms P
(as metafor does) below it, so results for the usual sizes are unchanged to the bit.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LOW_RANK_MIN_K", "lowrank_score", "lowrank_traces"]

#: Number of studies above which P is never formed.
LOW_RANK_MIN_K = 500


def _parts(w: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``A = (X'WX)⁻¹`` and the diagonal ``Bᵢᵢ = wᵢ² xᵢ'A xᵢ``."""
    A = np.linalg.inv(X.T @ (X * w[:, None]))
    return A, np.einsum("ij,jk,ik->i", X, A, X) * w * w


def _trace_pdpd(w: np.ndarray, X: np.ndarray, A: np.ndarray, b: np.ndarray,
                d1: np.ndarray, d2: np.ndarray) -> float:  # fmt: skip
    c1 = X.T @ (X * (w * w * d1)[:, None])
    c2 = X.T @ (X * (w * w * d2)[:, None])
    cross = float(np.sum(w * d1 * d2 * b))
    return float(np.sum(w * w * d1 * d2)) - 2.0 * cross + float(np.trace(A @ c1 @ A @ c2))


def lowrank_traces(w: np.ndarray, v: np.ndarray, X: np.ndarray) -> tuple[float, ...]:
    """``(tr P, tr PP, tr PV, tr PVPV, tr PPV)`` in O(k p²)."""
    A, b = _parts(w, X)
    diag = w - b
    one = np.ones_like(w)
    return (float(np.sum(diag)), _trace_pdpd(w, X, A, b, one, one), float(np.sum(diag * v)),
            _trace_pdpd(w, X, A, b, v, v), _trace_pdpd(w, X, A, b, one, v))  # fmt: skip


def lowrank_score(method: str, w: np.ndarray, y: np.ndarray, X: np.ndarray
                  ) -> tuple[float, float]:  # fmt: skip
    """Estimating equation and Fisher step of ML, REML or EB (see ``tau2._score``)."""
    k, p = X.shape
    A, b = _parts(w, X)
    beta = A @ (X.T @ (w * y))
    r = y - X @ beta
    py = w * r
    if method == "ML":
        g = float(py @ py) - float(np.sum(w))
        return g, g / float(np.sum(w * w))
    if method == "REML":
        one = np.ones_like(w)
        g = float(py @ py) - float(np.sum(w - b))
        return g, g / _trace_pdpd(w, X, A, b, one, one)
    g = float(np.sum(w * r * r)) * k / (k - p) - k
    return g, g / float(np.sum(w))
