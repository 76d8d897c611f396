"""Weighted least-squares fit of the (mixed-)effects model shared by pooling and
meta-regression: ``β̂ = (X'WX)⁻¹X'Wy`` with ``W = diag(1/(v + τ²))``.

With ``test="knha"`` the covariance is scaled by
``s² = Σw(y - Xβ̂)² / (k - p)`` and inference uses t with ``k - p`` df
(Hartung & Knapp 2001; Sidik & Jonkman 2002). As in metafor, ``s²`` is not
truncated at 1 and is set to 0 when the residual sum of squares is below
machine epsilon.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialmeta import _dist
from trialmeta import flags as fl

__all__ = ["Fit", "fit_fixed"]


@dataclass(frozen=True)
class Fit:
    beta: np.ndarray
    vb: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    df: float
    crit: float
    weights: np.ndarray
    flags: tuple[str, ...]


def fit_fixed(
    y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2: float, test: str, level: float
) -> Fit:
    """Estimate the fixed effects given τ², with z or Knapp-Hartung inference."""
    k, p = X.shape
    w = 1.0 / (v + tau2)
    WX = X * w[:, None]
    vb = np.linalg.inv(X.T @ WX)
    beta = vb @ (WX.T @ y)
    flags: list[str] = []
    alpha = 1.0 - level
    if test == "knha":
        rss = float(np.sum(w * (y - X @ beta) ** 2))
        df = float(k - p)
        if rss <= np.finfo(float).eps:
            s2w = 0.0
            flags.append(fl.KNHA_ZERO_RSS)
        else:
            s2w = rss / df if df > 0 else float("nan")
        vb = s2w * vb
        se = np.sqrt(np.diag(vb))
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = beta / se
        if df > 0:
            crit = float(_dist.t_isf(alpha / 2, df))
            pval = 2 * _dist.t_sf(np.abs(stat), df)
        else:
            crit = float("nan")
            pval = np.full(p, np.nan)
    else:
        df = float("nan")
        se = np.sqrt(np.diag(vb))
        stat = beta / se
        crit = float(_dist.norm_isf(alpha / 2))
        pval = 2 * _dist.norm_sf(np.abs(stat))
    with np.errstate(invalid="ignore"):
        ci_lb = beta - crit * se
        ci_ub = beta + crit * se
    return Fit(beta, vb, se, stat, np.asarray(pval), ci_lb, ci_ub, df, crit, w, tuple(flags))
