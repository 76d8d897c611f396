"""Intercept-only meta-analysis: :func:`pool` (metafor ``rma.uni(yi, vi)``)."""

from __future__ import annotations

import numpy as np

from trialmeta import _dist
from trialmeta import flags as fl
from trialmeta._checks import (
    METHODS,
    TESTS,
    check_choice,
    check_level,
    check_tau2,
    check_weights,
    yi_vi,
)
from trialmeta.stats._scale import rescaled
from trialmeta.stats._wls import fit_fixed
from trialmeta.stats.heterogeneity import (
    QProfileCI,
    cochran_q,
    i2_h2,
    q_profile_ci,
    typical_variance,
)
from trialmeta.stats.results import PooledResult
from trialmeta.stats.tau2 import estimate_tau2, fixed_tau2

__all__ = ["pool", "prediction_interval"]


def prediction_interval(
    estimate: float, se: float, tau2: float, k: int, level: float
) -> tuple[float, float]:
    """``estimate ± t_{k-2, 1-α/2} · sqrt(τ² + se²)`` (Higgins, Thompson &
    Spiegelhalter 2009; Cochrane Handbook 10.10.4.3). NaN when k < 3."""
    if k < 3:
        return float("nan"), float("nan")
    half = float(_dist.t_isf((1.0 - level) / 2, k - 2)) * np.sqrt(tau2 + se**2)
    return float(estimate - half), float(estimate + half)


def _single_study(
    y: np.ndarray, v: np.ndarray, method: str, test: str, level: float, tau2: float | None = None
) -> PooledResult:
    """k = 1: the pooled estimate is the study; heterogeneity is undefined."""
    nan = float("nan")
    se = float(np.sqrt(v[0] + (tau2 or 0.0)))
    z = float(_dist.norm_isf((1.0 - level) / 2))
    if test == "z":
        stat = y[0] / se
        pval, lb, ub, df = 2 * _dist.norm_sf(abs(stat)), y[0] - z * se, y[0] + z * se, nan
    else:
        stat, pval, lb, ub, df = nan, nan, nan, nan, 0.0
    return PooledResult(
        k=1, method=method, test=test, level=level, estimate=float(y[0]), se=se,
        ci_lb=float(lb), ci_ub=float(ub), stat=float(stat), pval=float(pval), df=df,
        tau2=nan if tau2 is None else tau2, tau2_se=nan, tau2_ci_lb=nan, tau2_ci_ub=nan,
        i2_percent=nan, i2_ci_lb=nan, i2_ci_ub=nan, h2=nan, h2_ci_lb=nan, h2_ci_ub=nan,
        q=nan, q_df=0, q_pval=nan, pi_lb=nan, pi_ub=nan, converged=True, iterations=0,
        weights_percent=(100.0,),
        flags=(fl.K1, fl.K_LT_3_NO_PI) + (() if tau2 is None else (fl.TAU2_FIXED,)),
    )  # fmt: skip


_NAN = float("nan")
_NO_CI = QProfileCI(_NAN, _NAN, _NAN, _NAN, _NAN, _NAN, ())


@rescaled(
    location=("estimate", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub"),
    variance=("tau2", "tau2_se", "tau2_ci_lb", "tau2_ci_ub"),
    variance_args=("tau2",),
)
def pool(
    yi: object,
    vi: object,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    tau2: float | None = None,
    weights: object = None,
) -> PooledResult:
    """Pool effect sizes with a common-effect (``FE``) or random-effects model.

    The estimate is the inverse-variance weighted mean
    ``μ̂ = Σwᵢyᵢ / Σwᵢ`` with ``wᵢ = 1/(vᵢ + τ̂²)`` and ``Var(μ̂) = 1/Σwᵢ``
    (``test="z"``), or ``s²/Σwᵢ`` with t on ``k - 1`` df for ``test="knha"``
    (Hartung & Knapp 2001; IntHout, Ioannidis & Borm 2014). τ² by ``method``
    (see :func:`trialmeta.tau2.estimate_tau2`); its CI and those of I² and H²
    by the Q-profile method (Viechtbauer 2007); the prediction interval by
    :func:`prediction_interval`.

    Data of any magnitude are pooled (exactly rescaled when needed, see
    :mod:`trialmeta.stats._scale`); a variance ratio ``max(vi)/min(vi) ≥ 1e7`` is flagged,
    as metafor warns; data spanning more than ``1e60`` (``max(yi², vi)/min(vi)``) raise
    :class:`~trialmeta.errors.NotComputableError` naming the smallest variance.

    Parameters
    ----------
    yi, vi
        Effect sizes and their sampling variances (> 0).
    method
        One of ``FE, DL, HE, HS, SJ, ML, REML, EB, PM``.
    test
        ``"z"`` or ``"knha"``.
    level
        Confidence level, e.g. 0.95.
    tau2
        A fixed τ² instead of an estimate (metafor ``tau2=``); its CIs are then NaN,
        as metafor's ``confint`` gives none.
    weights
        User weights ``aᵢ`` (metafor ``weights=``): ``μ̂ = Σaᵢyᵢ/Σaᵢ`` with
        ``Var(μ̂) = Σaᵢ²(vᵢ + τ̂²)/(Σaᵢ)²``; τ² is still estimated by ``method``.

    Examples
    --------
    >>> r = pool([0.1, 0.3, 0.35, 0.65], [0.01, 0.02, 0.015, 0.04], method="DL")
    >>> round(r.estimate, 4)
    0.3089
    """
    y, v = yi_vi(yi, vi)
    check_choice("method", method, METHODS)
    check_choice("test", test, TESTS)
    lv = check_level(level)
    k = len(y)
    fixed = check_tau2(tau2, method)
    a = check_weights(weights, k)
    if k == 1:
        return _single_study(y, v, method, test, lv, fixed)
    X = np.ones((k, 1))
    t2 = estimate_tau2(y, v, X, method) if fixed is None else fixed_tau2(fixed)
    fit = fit_fixed(y, v, X, t2.tau2, test, lv, a)
    q = cochran_q(y, v, X)
    vt = typical_variance(v, X)
    i2, h2 = i2_h2(t2.tau2, vt, q, common_effect=(method == "FE"))
    ci = q_profile_ci(y, v, X, lv) if fixed is None else _NO_CI
    est, se = float(fit.beta[0]), float(fit.se[0])
    pi_lb, pi_ub = prediction_interval(est, se, t2.tau2, k, lv)
    flags = list(t2.flags) + list(fit.flags) + list(ci.flags)
    if method == "FE":
        flags = [f for f in flags if f != fl.TAU2_BOUNDARY]
        if test == "knha":
            flags.append(fl.KNHA_FE)
    if k < 3:
        flags.append(fl.K_LT_3_NO_PI)
    if float(np.max(v)) >= 1e7 * float(np.min(v)):  # metafor rma.uni: "vimaxmin >= 1e7"
        flags.append(fl.VI_RATIO_EXTREME)
    if a is not None:
        flags.append(fl.USER_WEIGHTS)
    share = 100.0 * fit.weights / np.sum(fit.weights)
    return PooledResult(
        k=k, method=method, test=test, level=lv,
        estimate=est, se=se, ci_lb=float(fit.ci_lb[0]), ci_ub=float(fit.ci_ub[0]),
        stat=float(fit.stat[0]), pval=float(fit.pval[0]), df=fit.df,
        tau2=t2.tau2, tau2_se=t2.se, tau2_ci_lb=ci.tau2_lb, tau2_ci_ub=ci.tau2_ub,
        i2_percent=i2, i2_ci_lb=ci.i2_lb, i2_ci_ub=ci.i2_ub,
        h2=h2, h2_ci_lb=ci.h2_lb, h2_ci_ub=ci.h2_ub,
        q=q.q, q_df=q.df, q_pval=q.pval, pi_lb=pi_lb, pi_ub=pi_ub,
        converged=t2.converged, iterations=t2.iterations,
        weights_percent=tuple(float(x) for x in share),
        flags=tuple(dict.fromkeys(flags)),
    )  # fmt: skip
