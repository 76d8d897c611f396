"""A fitted ``rma.uni`` model and metafor's generic functions on it.

:func:`rma` fits the same model as :func:`trialmeta.pool` (no moderators) or
:func:`trialmeta.meta_regression` (``mods``) and keeps the data, so that metafor's
methods can be asked of it under their metafor names: ``predict``, ``fitted``,
``residuals``, ``rstandard``, ``rstudent``, ``blup``, ``vcov``, ``hatvalues``,
``influence``, ``logLik``, ``deviance``, ``AIC``, ``BIC``, ``AICc``, ``fitstats`` and
``confint``. Each method returns a frozen result and changes nothing; the formulas are
in the modules that compute them (:mod:`.predict`, :mod:`.residuals`,
:mod:`.case_influence`, :mod:`.likelihood`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from trialmeta import flags as fl
from trialmeta._checks import (
    METHODS,
    TESTS,
    as_vector,
    check_choice,
    check_level,
    check_positive,
    check_tau2,
    check_weights,
    yi_vi,
)
from trialmeta.errors import InputError
from trialmeta.flags import Flag
from trialmeta.stats import case_influence, likelihood
from trialmeta.stats import predict as prediction
from trialmeta.stats import residuals as resid
from trialmeta.stats._wls import fit_fixed
from trialmeta.stats.metareg import design_matrix
from trialmeta.stats.results import _AsDict
from trialmeta.stats.tau2 import estimate_tau2, fixed_tau2

__all__ = ["RmaFit", "rma"]


@dataclass(frozen=True)
class RmaFit(_AsDict):
    """The fitted model ``yᵢ = xᵢ'β + uᵢ + εᵢ`` (metafor ``rma.uni``) with its data.

    ``X`` includes the intercept column; ``beta``, ``vb`` (the covariance of ``beta``,
    Knapp-Hartung scaled for ``test="knha"``) and the per-coefficient ``se``, ``stat``,
    ``pval``, ``ci_lb``, ``ci_ub`` follow ``names``. ``s2w`` is the Knapp-Hartung factor
    (1 for ``z``), ``df`` the t degrees of freedom (NaN for ``z``). ``tau2_fixed`` says
    the user fixed τ²; ``weights`` are user weights (None: inverse variance).
    """

    yi: np.ndarray
    vi: np.ndarray
    X: np.ndarray
    names: tuple[str, ...]
    method: str
    test: str
    level: float
    tau2: float
    tau2_fixed: bool
    weights: np.ndarray | None
    ni: np.ndarray | None
    beta: np.ndarray
    vb: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    df: float
    s2w: float
    converged: bool
    flags: tuple[Flag, ...] = ()

    @property
    def k(self) -> int:
        return int(self.yi.shape[0])

    @property
    def p(self) -> int:
        return int(self.X.shape[1])

    @property
    def int_only(self) -> bool:
        """True without moderators (the design is the intercept alone)."""
        return self.p == 1

    @property
    def parms(self) -> int:
        """Estimated parameters: p coefficients, plus τ² unless FE or fixed (metafor)."""
        return self.p + (0 if self.method == "FE" or self.tau2_fixed else 1)

    def refit(self, yi: np.ndarray, vi: np.ndarray, X: np.ndarray, weights: np.ndarray | None,
              tau2: float | None = None, method: str | None = None) -> RmaFit:  # fmt: skip
        """The same model (method, test, level, a fixed τ²) on other data; ``tau2`` fixes
        τ² at another value, ``method`` changes the estimator (anova's ML refit)."""
        fixed = self.tau2 if tau2 is None and self.tau2_fixed else tau2
        return fit_model(yi, vi, X, self.names, method or self.method, self.test, self.level,
                         fixed, weights, None)  # fmt: skip

    # --- metafor's generic functions -------------------------------------------------
    def predict(self, newmods: object = None, *, intercept: bool = True,
                level: float | None = None, pi: str = "hts") -> prediction.Prediction:  # fmt: skip
        """metafor ``predict.rma``: see :func:`trialmeta.stats.predict.predict`."""
        return prediction.predict(self, newmods, intercept=intercept, level=level, pi=pi)

    def fitted(self) -> np.ndarray:
        """metafor ``fitted.rma``: ``Xβ̂``."""
        return np.asarray(self.X @ self.beta, dtype=float)

    def residuals(self, type: str = "response") -> np.ndarray:  # noqa: A002 (metafor's name)
        """metafor ``residuals.rma``: ``response``, ``pearson``, ``cholesky``,
        ``rstandard`` or ``rstudent`` residuals."""
        check_choice("type", type, resid.RESIDUAL_TYPES)
        if type == "rstudent":
            return case_influence.rstudent(self).z
        return resid.residuals(self, type)

    def rstandard(self, type: str = "marginal") -> resid.Residuals:  # noqa: A002
        """metafor ``rstandard.rma.uni`` (``marginal`` or ``conditional``)."""
        return resid.rstandard(self, type)

    def rstudent(self) -> resid.Residuals:
        """metafor ``rstudent.rma.uni``: deleted residuals from the case-deletion refits."""
        return case_influence.rstudent(self)

    def blup(self, level: float | None = None) -> resid.Blup:
        """metafor ``blup.rma.uni``: best linear unbiased predictions of ``xᵢ'β + uᵢ``."""
        return resid.blup(self, level)

    def vcov(self, type: str = "fixed") -> np.ndarray:  # noqa: A002
        """metafor ``vcov.rma``: ``fixed``, ``obs``, ``fitted`` or ``resid``."""
        return resid.vcov(self, type)

    def hatvalues(self) -> np.ndarray:
        """metafor ``hatvalues.rma.uni``: the diagonal of the hat matrix."""
        return resid.hatvalues(self)

    def influence(self) -> case_influence.ModelInfluence:
        """metafor ``influence.rma.uni``: case-deletion diagnostics."""
        return case_influence.influence(self)

    def logLik(self, reml: bool | None = None) -> float:  # noqa: N802 (metafor's name)
        """metafor ``logLik.rma``: REML log-likelihood for REML fits, else ML."""
        return likelihood.fitstats(self, reml).loglik

    def deviance(self, reml: bool | None = None) -> float:
        """metafor ``deviance.rma``."""
        return likelihood.fitstats(self, reml).deviance

    def AIC(self, reml: bool | None = None) -> float:  # noqa: N802
        """metafor ``AIC.rma``: ``-2 logLik + 2 parms``."""
        return likelihood.fitstats(self, reml).aic

    def BIC(self, reml: bool | None = None) -> float:  # noqa: N802
        """metafor ``BIC.rma``: ``-2 logLik + parms·log(n)``."""
        return likelihood.fitstats(self, reml).bic

    def AICc(self, reml: bool | None = None) -> float:  # noqa: N802
        """metafor ``AICc.rma``."""
        return likelihood.fitstats(self, reml).aicc

    def fitstats(self, reml: bool | None = None) -> likelihood.FitStats:
        """metafor ``fitstats.rma``: log-likelihood, deviance, AIC, BIC and AICc."""
        return likelihood.fitstats(self, reml)

    def confint(self, type: str = "PL", level: float | None = None) -> likelihood.Tau2Interval:  # noqa: A002
        """metafor ``confint.rma.uni`` for τ²: profile likelihood (``PL``) or Q-profile
        (``QP``)."""
        return likelihood.confint(self, type, level)


def fit_model(y: np.ndarray, v: np.ndarray, X: np.ndarray, names: tuple[str, ...],
              method: str, test: str, level: float, tau2: float | None,
              weights: np.ndarray | None, ni: np.ndarray | None) -> RmaFit:  # fmt: skip
    """Fit validated data (no checks here; :func:`rma` checks)."""
    t2 = estimate_tau2(y, v, X, method) if tau2 is None else fixed_tau2(tau2)
    fit = fit_fixed(y, v, X, t2.tau2, test, level, weights)
    flags = list(t2.flags) + list(fit.flags)
    if weights is not None:
        flags.append(fl.USER_WEIGHTS)
    if method == "FE":
        flags = [f for f in flags if f != fl.TAU2_BOUNDARY]
    return RmaFit(
        yi=y, vi=v, X=X, names=names, method=method, test=test, level=level, tau2=t2.tau2,
        tau2_fixed=tau2 is not None, weights=weights, ni=ni, beta=fit.beta, vb=fit.vb,
        se=fit.se, stat=fit.stat, pval=fit.pval, ci_lb=fit.ci_lb, ci_ub=fit.ci_ub,
        df=fit.df, s2w=fit.s2w, converged=t2.converged, flags=tuple(dict.fromkeys(flags)),
    )  # fmt: skip


def rma(
    yi: object,
    vi: object,
    mods: object = None,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    tau2: float | None = None,
    weights: object = None,
    ni: object = None,
    names: Sequence[str] | None = None,
) -> RmaFit:
    """Fit metafor's ``rma.uni(yi, vi, mods, method, test, level, tau2, weights)``.

    The estimates equal :func:`trialmeta.pool` (``mods=None``) and
    :func:`trialmeta.meta_regression`; the returned :class:`RmaFit` keeps the data for
    metafor's generic functions. ``ni`` (total sample sizes) is only used by
    :func:`trialmeta.regtest`'s sample-size predictors.

    Examples
    --------
    >>> fit = rma([0.1, 0.3, 0.35, 0.65, 0.45], [0.01, 0.02, 0.015, 0.04, 0.03],
    ...           mods=[1, 2, 3, 4, 5], method="ML")
    >>> [round(float(b), 4) for b in fit.beta], round(fit.logLik(), 4)
    ([0.0219, 0.1104], 4.3013)
    """
    y, v = yi_vi(yi, vi)
    check_choice("method", method, METHODS)
    check_choice("test", test, TESTS)
    lv = check_level(level)
    k = len(y)
    X = np.ones((k, 1)) if mods is None else design_matrix(mods, k)
    p = X.shape[1]
    if k <= p:
        raise InputError("yi", f"{k} studies", f"more studies than coefficients ({p})")
    fixed = check_tau2(tau2, method)
    a = check_weights(weights, k)
    if a is not None and np.linalg.matrix_rank(X * np.sqrt(a)[:, None]) < p:
        raise InputError("weights", "zero weights on too many studies", "a full-rank design")
    n = None
    if ni is not None:
        n = as_vector("ni", ni)
        if len(n) != k:
            raise InputError("ni", f"length {len(n)}", f"length {k} (one per study)")
        check_positive("ni", n)
    labels = ("intrcpt",) + tuple(names if names is not None else (f"x{j}" for j in range(1, p)))
    if len(labels) != p:
        raise InputError("names", list(labels[1:]), f"{p - 1} names, one per moderator")
    return fit_model(y, v, X, labels, method, test, lv, fixed, a, n)
