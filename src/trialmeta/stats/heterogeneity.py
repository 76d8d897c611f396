"""Heterogeneity statistics: Cochran's Q, I², H² and Q-profile intervals.

I² and H² follow metafor's τ²-based definitions for random-effects models
(Higgins & Thompson 2002): ``I² = 100 τ² / (ṽ + τ²)`` and ``H² = τ²/ṽ + 1`` with
the typical within-study variance ``ṽ = (k - p) / tr(P₀)``, which reduces to
``(k-1)Σw / ((Σw)² - Σw²)`` without moderators. For the common-effect model
they are the Q-based ``I² = max(0, 100 (Q - df)/Q)`` and ``H² = Q/df``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialmeta import _dist
from trialmeta import flags as fl
from trialmeta.flags import Flag
from trialmeta.stats.tau2 import generalized_q, projection_sums

__all__ = ["QTest", "cochran_q", "typical_variance", "i2_h2", "QProfileCI", "q_profile_ci"]


@dataclass(frozen=True)
class QTest:
    """Cochran's Q test of residual heterogeneity (inverse-variance weights)."""

    q: float
    df: int
    pval: float


def cochran_q(y: np.ndarray, v: np.ndarray, X: np.ndarray) -> QTest:
    """``Q = y'P₀y`` with ``w = 1/v``; chi-square with ``k - p`` df (Cochran 1954)."""
    k, p = X.shape
    df = k - p
    if df <= 0:
        return QTest(float("nan"), df, float("nan"))
    q = max(0.0, generalized_q(0.0, y, v, X))
    return QTest(q, df, float(_dist.chi2_sf(q, df)))


def typical_variance(v: np.ndarray, X: np.ndarray) -> float:
    """metafor's ``vt = (k - p) / tr(P₀)`` (Higgins & Thompson 2002, eq. 9)."""
    k, p = X.shape
    return float((k - p) / projection_sums(1.0 / v, v, X).tr)


def i2_h2(tau2: float, vt: float, q: QTest, common_effect: bool) -> tuple[float, float]:
    """I² (percent) and H² as metafor reports them."""
    if q.df <= 0:
        return float("nan"), float("nan")
    if common_effect:
        i2 = 0.0 if q.q <= 0 else max(0.0, 100.0 * (q.q - q.df) / q.q)
        return i2, q.q / q.df
    return 100.0 * tau2 / (vt + tau2), tau2 / vt + 1.0


@dataclass(frozen=True)
class QProfileCI:
    """Q-profile confidence limits for τ², I² (percent) and H²."""

    tau2_lb: float
    tau2_ub: float
    i2_lb: float
    i2_ub: float
    h2_lb: float
    h2_ub: float
    flags: tuple[Flag, ...]


def _nan_ci(*flags: Flag) -> QProfileCI:
    nan = float("nan")
    return QProfileCI(nan, nan, nan, nan, nan, nan, tuple(flags))


def q_profile_ci(y: np.ndarray, v: np.ndarray, X: np.ndarray, level: float) -> QProfileCI:
    """Q-profile interval for τ² (Viechtbauer 2007), as metafor's ``confint``.

    The limits solve ``Q(τ²) = χ²_{df, 1-α/2}`` (lower) and ``Q(τ²) = χ²_{df, α/2}``
    (upper), where ``Q(τ²) = y'P(τ²)y`` decreases in τ². A limit whose
    equation has no non-negative root is set to zero. Unlike metafor, the
    search is not capped at ``tau2.max``: the bracket widens until the root is
    enclosed. A limit still not enclosed at τ² = 1e300 (effects so large that
    Q stays above the target in floating point) is NaN with the flag
    ``tau2_ci_upper_not_found``. I² and H² limits are transformed with ``ṽ``
    (metafor).
    """
    k, p = X.shape
    df = k - p
    if df <= 0:
        return _nan_ci(fl.NO_HETEROGENEITY_DF)
    alpha = 1.0 - level
    crit_u = float(_dist.chi2_isf(alpha / 2, df))
    crit_l = float(_dist.chi2_ppf(alpha / 2, df))
    q0 = generalized_q(0.0, y, v, X)

    def solve(target: float) -> float:
        if q0 <= target:
            return 0.0
        hi = 100.0
        while generalized_q(hi, y, v, X) > target:
            hi *= 2.0
            if hi > 1e300:  # Q(τ²) → 0 as τ² → ∞, but not within floating point
                return float("nan")
        f = lambda t: generalized_q(t, y, v, X) - target  # noqa: E731
        from scipy.optimize import brentq  # imported on first use (~0.1 s)

        return float(brentq(f, 0.0, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=2000))

    lb = solve(crit_u)
    ub = solve(crit_l)
    open_ub = (fl.TAU2_CI_UPPER_OPEN,) if np.isnan(ub) else ()
    vt = typical_variance(v, X)
    return QProfileCI(
        tau2_lb=lb,
        tau2_ub=ub,
        i2_lb=100.0 * lb / (vt + lb),
        i2_ub=100.0 * ub / (vt + ub),
        h2_lb=lb / vt + 1.0,
        h2_ub=ub / vt + 1.0,
        flags=open_ub,
    )
