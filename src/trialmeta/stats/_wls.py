"""Weighted least-squares fit of the (mixed-)effects model shared by pooling and
meta-regression: ``β̂ = (X'WX)⁻¹X'Wy`` with ``W = diag(1/(v + τ²))``.

With ``test="knha"`` the covariance is scaled by
``s² = Σw(y - Xβ̂)² / (k - p)`` and inference uses t with ``k - p`` df
(Hartung & Knapp 2001; Sidik & Jonkman 2002). As in metafor, ``s²`` is not
truncated at 1 and is set to 0 when the residual sum of squares is below
machine epsilon.

User weights ``a`` (metafor ``weights=``) replace W in the estimate,
``β̂ = (X'AX)⁻¹X'Ay``, whose covariance is then the sandwich
``(X'AX)⁻¹X'A M A X(X'AX)⁻¹`` with ``M = diag(v + τ²)``; the Knapp-Hartung ``s²`` still
comes from the inverse-variance fit, as in metafor's ``rma.uni``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialmeta import _dist
from trialmeta import flags as fl
from trialmeta.flags import Flag

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
    flags: tuple[Flag, ...]
    s2w: float = 1.0  # the Knapp-Hartung scale (1 for z)


def fit_fixed(
    y: np.ndarray,
    v: np.ndarray,
    X: np.ndarray,
    tau2: float,
    test: str,
    level: float,
    weights: np.ndarray | None = None,
) -> Fit:
    """Estimate the fixed effects given τ², with z or Knapp-Hartung inference."""
    k, p = X.shape
    w = 1.0 / (v + tau2)
    WX = X * w[:, None]
    vb = np.linalg.inv(X.T @ WX)
    beta = vb @ (WX.T @ y)
    beta_w = beta
    if weights is not None:
        AX = X * weights[:, None]
        bread = np.linalg.inv(X.T @ AX)
        beta = bread @ (AX.T @ y)
        vb = bread @ ((AX.T * (v + tau2)) @ AX) @ bread
    flags: list[Flag] = []
    alpha = 1.0 - level
    if test == "knha":
        rss = float(np.sum(w * (y - X @ beta_w) ** 2))
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
        df, s2w = float("nan"), 1.0
        se = np.sqrt(np.diag(vb))
        stat = beta / se
        crit = float(_dist.norm_isf(alpha / 2))
        pval = 2 * _dist.norm_sf(np.abs(stat))
    with np.errstate(invalid="ignore"):
        ci_lb = beta - crit * se
        ci_ub = beta + crit * se
    used = w if weights is None else weights
    return Fit(beta, vb, se, stat, np.asarray(pval), ci_lb, ci_ub, df, crit, used, tuple(flags),
               s2w)  # fmt: skip
