"""Regression tests for funnel-plot asymmetry (metafor ``regtest``).

The effect sizes are regressed on a measure of study precision or size; a slope different
from 0 indicates small-study effects (Egger, Davey Smith, Schneider & Minder 1997; Sterne &
Egger 2005; Cochrane Handbook v6.5, 13.3.5.3). The predictors are metafor's: ``sei``
(standard error: Egger's test), ``vi`` (variance), ``ni`` (total sample size), ``ninv``
(1/n), ``sqrtni`` (√n) and ``sqrtninv`` (1/√n).

- ``model="rma"`` (metafor's default): the meta-regression ``rma(yi, vi, mods = predictor,
  method, test)``, so the test of the slope is z (or Knapp-Hartung t) with the model's τ².
- ``model="lm"``: weighted least squares with weights ``1/vᵢ`` and a free residual scale,
  t on ``k - p`` df (Egger's original test, :func:`trialmeta.egger_test`).

With the predictors ``sei``, ``vi``, ``ninv`` and ``sqrtninv`` the intercept is the
``limit estimate`` of a study of infinite precision (Stanley & Doucouliagos 2014). The
tests have low power below 10 studies (Handbook 13.3.5.4): such results carry ``k_lt_10``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialmeta import _dist
from trialmeta import flags as fl
from trialmeta._checks import METHODS, TESTS, as_vector, check_choice, check_level, yi_vi
from trialmeta.errors import InputError
from trialmeta.flags import Flag
from trialmeta.stats.model import RmaFit, fit_model
from trialmeta.stats.results import _AsDict

__all__ = ["PREDICTORS", "RegtestResult", "regtest"]

PREDICTORS = ("sei", "vi", "ni", "ninv", "sqrtni", "sqrtninv")
_LIMIT = ("sei", "vi", "ninv", "sqrtninv")


@dataclass(frozen=True)
class RegtestResult(_AsDict):
    """The test of the predictor's coefficient (``coef``, ``coef_se``, ``stat``, ``pval``
    on ``df``, NaN for z) and, for int-only models with a precision predictor, the limit
    estimate with its CI. ``tau2`` is the residual τ² (``rma``; NaN for ``lm``)."""

    model: str
    predictor: str
    k: int
    method: str
    test: str
    coef: float
    coef_se: float
    stat: float
    pval: float
    df: float
    limit_estimate: float
    limit_ci_lb: float
    limit_ci_ub: float
    tau2: float
    flags: tuple[Flag, ...] = ()


def _column(predictor: str, v: np.ndarray, ni: np.ndarray | None) -> np.ndarray:
    if predictor in ("sei", "vi"):
        return np.sqrt(v) if predictor == "sei" else v
    if ni is None:
        raise InputError("ni", None, f"sample sizes for predictor {predictor!r}")
    columns = {"ni": ni, "ninv": 1 / ni, "sqrtni": np.sqrt(ni), "sqrtninv": 1 / np.sqrt(ni)}
    return np.asarray(columns[predictor], dtype=float)


def _rank_deficient(X: np.ndarray) -> bool:
    """True when a column of ``X`` is, to R's ``lm`` tolerance 1e-7, a combination of the
    columns before it (metafor stops: "Model matrix no longer of full rank")."""
    r = np.linalg.qr(X, mode="r")
    return bool(np.any(np.abs(np.diag(r)) < 1e-7 * np.linalg.norm(X, axis=0)))


def _lm(y: np.ndarray, v: np.ndarray, X: np.ndarray, level: float) -> tuple[np.ndarray, ...]:
    """WLS with weights 1/v and the residual scale: coefficients, SEs, df, t critical value
    and whether the fit is exact (the t statistic is then 0/0, reported as NaN)."""
    k, p = X.shape
    w = 1.0 / v
    WX = X * w[:, None]
    inv = np.linalg.inv(X.T @ WX)
    b = inv @ (WX.T @ y)
    rss = float(np.sum(w * (y - X @ b) ** 2))
    exact = rss <= np.finfo(float).eps * max(1.0, float(np.sum(w * y**2)))
    sigma2 = float("nan") if exact else rss / (k - p)
    se = np.sqrt(np.diag(inv) * sigma2)
    crit = float(_dist.t_isf((1.0 - level) / 2, k - p))
    return b, se, np.array([k - p, crit, float(exact)])


def _data(x: object, vi: object, ni: object, method: str, test: str, level: float
          ) -> tuple[RmaFit | None, np.ndarray, np.ndarray, np.ndarray | None, float]:  # fmt: skip
    if isinstance(x, RmaFit):
        n = x.ni if ni is None else as_vector("ni", ni)
        return x, x.yi, x.vi, n, x.level
    y, v = yi_vi(x, vi)
    check_choice("method", method, METHODS)
    check_choice("test", test, TESTS)
    return None, y, v, None if ni is None else as_vector("ni", ni), check_level(level)


def regtest(
    x: object,
    vi: object = None,
    *,
    model: str = "rma",
    predictor: str = "sei",
    ni: object = None,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
) -> RegtestResult:
    """Regression test for funnel-plot asymmetry, as metafor ``regtest``.

    ``x`` is an :class:`~trialmeta.stats.model.RmaFit` (its moderators, method, test,
    fixed τ² and weights are kept, the predictor is added) or the effect sizes ``yi``
    with ``vi`` (then ``method`` and ``test`` apply). A predictor that is constant (equal
    standard errors or sample sizes) or collinear with the moderators gives NaN with the
    ``regtest_not_computable_predictor_collinear`` flag (metafor stops).

    Examples
    --------
    >>> y = [0.05, 0.10, 0.08, 0.21, 0.35, 0.42, 0.61, 0.18, 0.75, 0.90]
    >>> v = [0.004, 0.006, 0.008, 0.02, 0.04, 0.05, 0.09, 0.012, 0.12, 0.16]
    >>> r = regtest(y, v, model="rma", predictor="sei")
    >>> round(r.stat, 3), round(r.limit_estimate, 3)
    (3.828, -0.102)
    """
    check_choice("model", model, ("rma", "lm"))
    check_choice("predictor", predictor, PREDICTORS)
    base, y, v, n, lv = _data(x, vi, ni, method, test, level)
    k = len(y)
    if n is not None and len(n) != k:
        raise InputError("ni", f"length {len(n)}", f"length {k} (one per study)")
    X0 = base.X if base is not None else np.ones((k, 1))
    X = np.column_stack([X0, _column(predictor, v, n)])
    p = X.shape[1]
    if k <= p:
        raise InputError("yi", f"{k} studies", f"more than {p} studies for this regression test")
    flags = [fl.K_LT_10] if k < 10 else []
    limit = predictor in _LIMIT and X0.shape[1] == 1
    nan = float("nan")
    if _rank_deficient(X):
        return RegtestResult(model, predictor, k, method if base is None else base.method,
                             test if base is None else base.test, nan, nan, nan, nan, nan,
                             nan, nan, nan, nan, (*flags, fl.REGTEST_COLLINEAR))  # fmt: skip
    if model == "lm":
        b, se, (df, crit, exact) = _lm(y, v, X, lv)
        flags += [fl.EGGER_EXACT_FIT] if exact else []
        stat = float(b[-1] / se[-1])
        return RegtestResult(
            model, predictor, k, method if base is None else base.method, "t", float(b[-1]),
            float(se[-1]), stat, float(2 * _dist.t_sf(abs(stat), df)), float(df),
            float(b[0]) if limit else nan, float(b[0] - crit * se[0]) if limit else nan,
            float(b[0] + crit * se[0]) if limit else nan, nan, tuple(flags),
        )  # fmt: skip
    names = (base.names if base is not None else ("intrcpt",)) + (predictor,)
    if base is None:
        fit = fit_model(y, v, X, names, method, test, lv, None, None, n)
    else:
        fixed = base.tau2 if base.tau2_fixed else None
        fit = fit_model(y, v, X, names, base.method, base.test, lv, fixed, base.weights, n)
    return RegtestResult(
        model, predictor, k, fit.method, fit.test, float(fit.beta[-1]), float(fit.se[-1]),
        float(fit.stat[-1]), float(fit.pval[-1]), fit.df,
        float(fit.beta[0]) if limit else nan, float(fit.ci_lb[0]) if limit else nan,
        float(fit.ci_ub[0]) if limit else nan, fit.tau2, tuple(flags) + fit.flags,
    )  # fmt: skip
