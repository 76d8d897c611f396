"""Mixed-effects meta-regression (metafor ``rma.uni(yi, vi, mods=...)``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from trialmeta import _dist
from trialmeta import flags as fl
from trialmeta._checks import (
    METHODS,
    TESTS,
    check_choice,
    check_finite,
    check_level,
    check_tau2,
    check_weights,
    yi_vi,
)
from trialmeta.errors import InputError
from trialmeta.stats._wls import fit_fixed
from trialmeta.stats.heterogeneity import cochran_q, i2_h2, typical_variance
from trialmeta.stats.results import MetaRegressionResult
from trialmeta.stats.tau2 import estimate_tau2, fixed_tau2

__all__ = ["meta_regression", "design_matrix"]


def design_matrix(mods: object, k: int) -> np.ndarray:
    """``[1, mods]`` as a k × (m+1) float matrix; ``mods`` is k × m or a k-vector."""
    try:
        M = np.asarray(mods, dtype=float)
    except (TypeError, ValueError):
        raise InputError("mods", mods, "a numeric k x m array") from None
    if M.ndim == 1:
        M = M[:, None]
    if M.ndim != 2 or M.shape[0] != k:
        raise InputError("mods", f"array of shape {M.shape}", f"{k} rows (one per study)")
    check_finite("mods", M.ravel())
    X = np.column_stack([np.ones(k), M])
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise InputError("mods", "a rank-deficient design", "linearly independent moderators")
    return X


def meta_regression(
    yi: object,
    vi: object,
    mods: object,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    names: Sequence[str] | None = None,
    tau2: float | None = None,
    weights: object = None,
) -> MetaRegressionResult:
    """Fit ``yᵢ = xᵢ'β + uᵢ + εᵢ`` with ``uᵢ ~ N(0, τ²)`` and ``εᵢ ~ N(0, vᵢ)``.

    τ² is estimated by ``method`` from the residuals of the model with
    moderators (Viechtbauer 2005; Thompson & Higgins 2002). The omnibus test
    ``QM = β₂'V₂⁻¹β₂`` of all coefficients except the intercept is chi-square
    with ``m`` df (``z``) or ``QM/m ~ F(m, k - p)`` (``knha``). Pseudo-R² is
    ``max(0, 100 (τ²₀ - τ²)/τ²₀)`` against the intercept-only fit with the
    same method (Raudenbush 2009), 0 when ``τ²₀ = 0``.

    ``tau2`` fixes τ² instead of estimating it and ``weights`` replaces the
    inverse-variance weights of the coefficients, as metafor's ``tau2=`` and
    ``weights=`` (see :func:`trialmeta.pool`).
    """
    y, v = yi_vi(yi, vi)
    check_choice("method", method, METHODS)
    check_choice("test", test, TESTS)
    lv = check_level(level)
    k = len(y)
    X = design_matrix(mods, k)
    p = X.shape[1]
    if k <= p:
        raise InputError("mods", f"{p - 1} moderators for k = {k}", "k > number of coefficients")
    m = p - 1
    fixed = check_tau2(tau2, method)
    a = check_weights(weights, k)
    if a is not None and np.linalg.matrix_rank(X * np.sqrt(a)[:, None]) < p:
        raise InputError("weights", "zero weights on too many studies", "a full-rank design")
    t2 = estimate_tau2(y, v, X, method) if fixed is None else fixed_tau2(fixed)
    fit = fit_fixed(y, v, X, t2.tau2, test, lv, a)
    q = cochran_q(y, v, X)
    i2, h2 = i2_h2(t2.tau2, typical_variance(v, X), q, common_effect=(method == "FE"))
    b2 = fit.beta[1:]
    V2 = fit.vb[1:, 1:]
    try:
        qm = float(b2 @ np.linalg.solve(V2, b2))
    except np.linalg.LinAlgError:
        # knha with a perfect fit scales the covariance to zero: QM is undefined (metafor: NA)
        qm = float("nan")
    if test == "knha":
        qm = qm / m
        qm_df: tuple[int, ...] = (m, k - p)
        qm_pval = float(_dist.f_sf(qm, m, k - p))
    else:
        qm_df = (m,)
        qm_pval = float(_dist.chi2_sf(qm, m))
    if method == "FE":
        r2 = float("nan")
    else:
        tau2_0 = estimate_tau2(y, v, np.ones((k, 1)), method).tau2
        r2 = 0.0 if tau2_0 == 0 else max(0.0, 100.0 * (tau2_0 - t2.tau2) / tau2_0)
    labels = ("intrcpt",) + tuple(names if names is not None else (f"x{j}" for j in range(1, p)))
    if len(labels) != p:
        raise InputError("names", list(labels[1:]), f"{m} names, one per moderator")
    return MetaRegressionResult(
        k=k, p=p, method=method, test=test, level=lv, names=labels,
        coef=fit.beta, se=fit.se, stat=fit.stat, pval=fit.pval, ci_lb=fit.ci_lb, ci_ub=fit.ci_ub,
        df=fit.df, tau2=t2.tau2, i2_percent=i2, h2=h2, r2_percent=r2,
        qe=q.q, qe_df=q.df, qe_pval=q.pval, qm=qm, qm_df=qm_df, qm_pval=qm_pval,
        converged=t2.converged,
        flags=tuple(dict.fromkeys(t2.flags + fit.flags + ((fl.USER_WEIGHTS,) if a is not None
                                                          else ()))),
    )  # fmt: skip
