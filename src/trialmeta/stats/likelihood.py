"""Likelihood of a fitted model: fit statistics, the profile-likelihood CI of τ² and the
likelihood-ratio test of nested models (metafor ``logLik``/``fitstats``, ``confint(type=
"PL")`` and ``anova``).

With ``wᵢ = 1/(vᵢ + τ²)``, ``RSS = Σwᵢ(yᵢ - xᵢ'β̂)²`` and metafor's constants,

- ML:   ``ℓ = -k/2·log 2π - ½Σlog(vᵢ + τ²) - ½RSS``;
- REML: ``ℓ_R = -(k-p)/2·log 2π + ½log|X'X| - ½Σlog(vᵢ + τ²) - ½log|X'WX| - ½RSS``
  (Viechtbauer 2005; Harville 1977).

Deviance is ``-2(ℓ - ℓ_saturated)`` for ML (``ℓ_saturated = Σ log φ(0; vᵢ)``) and ``-2ℓ_R``
for REML; ``AIC = -2ℓ + 2q``, ``BIC = -2ℓ + q·log n``, ``AICc = -2ℓ + 2q·n'/(n' - q - 1)``
with ``q`` parameters (:attr:`FittedModel.parms`), ``n = k`` (ML) or ``k - p`` (REML) and
``n' = max(n, q + 2)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialmeta import _dist
from trialmeta import flags as fl
from trialmeta._checks import check_choice, check_level
from trialmeta.errors import InputError
from trialmeta.flags import Flag
from trialmeta.stats.fitted import FittedModel
from trialmeta.stats.heterogeneity import cochran_q, q_profile_ci, typical_variance
from trialmeta.stats.results import _AsDict

__all__ = ["AnovaResult", "FitStats", "Tau2Interval", "anova", "confint", "fitstats"]

_LOG2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True)
class FitStats(_AsDict):
    """Log-likelihood, deviance, AIC, BIC and AICc (``reml`` says which likelihood)."""

    reml: bool
    loglik: float
    deviance: float
    aic: float
    bic: float
    aicc: float
    parms: int


@dataclass(frozen=True)
class Tau2Interval(_AsDict):
    """A confidence interval for τ² (``type`` ``PL`` or ``QP``) with the I² and H² limits
    it implies (``I² = 100τ²/(ṽ + τ²)``, ``H² = τ²/ṽ + 1``, ṽ the typical variance)."""

    type: str
    level: float
    tau2: float
    tau2_ci_lb: float
    tau2_ci_ub: float
    i2_ci_lb: float
    i2_ci_ub: float
    h2_ci_lb: float
    h2_ci_ub: float
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class AnovaResult(_AsDict):
    """Likelihood-ratio test of a reduced against a full model (metafor ``anova``):
    ``lrt = dev_reduced - dev_full`` (≥ 0) on ``df = parms_full - parms_reduced``.
    ``r2_percent`` is the proportion of τ² the extra moderators account for."""

    method: str
    full: FitStats
    reduced: FitStats
    lrt: float
    df: int
    pval: float
    qe_full: float
    qe_reduced: float
    tau2_full: float
    tau2_reduced: float
    r2_percent: float
    flags: tuple[Flag, ...] = ()


def _rss(fit: FittedModel, tau2: float) -> tuple[float, float]:
    """RSS at ``tau2`` (coefficients re-estimated) and ``log|X'WX|``."""
    w = 1.0 / (fit.vi + tau2)
    a = w if fit.weights is None else fit.weights
    AX = fit.X * a[:, None]
    beta = np.linalg.solve(fit.X.T @ AX, AX.T @ fit.yi)
    r = fit.yi - fit.X @ beta
    return float(np.sum(w * r * r)), float(np.linalg.slogdet(fit.X.T @ (fit.X * w[:, None]))[1])


def loglik_at(fit: FittedModel, tau2: float, reml: bool) -> float:
    """ML or REML log-likelihood of ``fit``'s data and design at ``tau2``."""
    rss, logdet_w = _rss(fit, tau2)
    logv = float(np.sum(np.log(fit.vi + tau2)))
    if not reml:
        return -0.5 * (fit.k * _LOG2PI + logv + rss)
    logdet_x = float(np.linalg.slogdet(fit.X.T @ fit.X)[1])
    return -0.5 * ((fit.k - fit.p) * _LOG2PI - logdet_x + logv + logdet_w + rss)


def fitstats(fit: FittedModel, reml: bool | None = None) -> FitStats:
    """metafor's ``fit.stats`` column: REML for REML fits unless ``reml`` says otherwise."""
    use = fit.method == "REML" if reml is None else bool(reml)
    ll = loglik_at(fit, fit.tau2, use)
    q = fit.parms
    if use:
        n, dev = fit.k - fit.p, -2.0 * ll
    else:
        n = fit.k
        saturated = -0.5 * float(np.sum(_LOG2PI + np.log(fit.vi)))
        dev = -2.0 * (ll - saturated) if fit.k > fit.p else 0.0
    big = max(n, q + 2)
    return FitStats(reml=use, loglik=ll, deviance=dev, aic=-2 * ll + 2 * q,
                    bic=-2 * ll + q * float(np.log(n)), aicc=-2 * ll + 2 * q * big / (big - q - 1),
                    parms=q)  # fmt: skip


def _profile_bounds(fit: FittedModel, level: float) -> tuple[float, float, list[Flag]]:
    """Roots of ``-2(ℓ(τ²) - ℓ(τ̂²)) = χ²₁,level`` below and above τ̂² (0 when the
    likelihood at 0 is within the cut-off), as metafor's ``confint(type="PL")``."""
    reml = fit.method == "REML"
    top = loglik_at(fit, fit.tau2, reml)
    cut = float(_dist.chi2_ppf(level, 1))
    from scipy.optimize import brentq  # on use: scipy.optimize costs ~0.2 s to import

    def f(t: float) -> float:
        return -2.0 * (loglik_at(fit, t, reml) - top) - cut

    def root(lo: float, hi: float) -> float:
        return float(brentq(f, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=2000))

    flags: list[Flag] = []
    lb = 0.0 if f(0.0) < 0 else root(0.0, fit.tau2)
    hi = max(1.0, 10 * fit.tau2)
    while f(hi) < 0 and hi < 1e300:
        hi *= 10.0
    if f(hi) < 0:  # pragma: no cover - the likelihood falls as τ² → ∞
        flags.append(fl.TAU2_PL_BOUND_OPEN)
        return lb, float("nan"), flags
    return lb, root(fit.tau2, hi), flags


def confint(fit: FittedModel, type: str = "PL", level: float | None = None) -> Tau2Interval:  # noqa: A002
    """CI for τ² by profile likelihood (``PL``, ML/REML fits; Hardy & Thompson 1996) or
    Q-profile (``QP``; Viechtbauer 2007). Like metafor, refuses FE and a fixed τ²."""
    check_choice("type", type, ("PL", "QP"))
    lv = fit.level if level is None else check_level(level)
    if fit.method == "FE" or fit.tau2_fixed:
        raise InputError("fit", f"method={fit.method}", "a model with an estimated tau2")
    if type == "PL" and fit.method not in ("ML", "REML"):
        raise InputError("type", type, f"'QP' for method {fit.method} (PL needs ML or REML)")
    if type == "QP":
        ci = q_profile_ci(fit.yi, fit.vi, fit.X, lv)
        lb, ub, flags = ci.tau2_lb, ci.tau2_ub, list(ci.flags)
    else:
        lb, ub, flags = _profile_bounds(fit, lv)
    vt = typical_variance(fit.vi, fit.X)
    return Tau2Interval(
        type=type, level=lv, tau2=fit.tau2, tau2_ci_lb=lb, tau2_ci_ub=ub,
        i2_ci_lb=100 * lb / (vt + lb), i2_ci_ub=100 * ub / (vt + ub),
        h2_ci_lb=lb / vt + 1, h2_ci_ub=ub / vt + 1, flags=tuple(flags),
    )  # fmt: skip


def _check_nested(a: FittedModel, b: FittedModel) -> None:
    if a.parms == b.parms:
        raise InputError("reduced", f"{b.parms} parameters", "a model with fewer parameters")
    if not (np.array_equal(a.yi, b.yi) and np.array_equal(a.vi, b.vi)):
        raise InputError("reduced", "other yi/vi", "the same data as the full model")
    methods = {a.method, b.method}
    if not methods <= {"FE", "ML", "REML"}:
        raise InputError("full", sorted(methods), "FE, ML or REML fits for a likelihood-ratio test")
    if methods == {"ML", "REML"}:
        raise InputError("reduced", sorted(methods), "both ML or both REML")


def _r2(full: FittedModel, reduced: FittedModel) -> float:
    if full.method == "FE":
        s2 = []
        for m in (full, reduced):
            w = 1.0 / m.vi if m.weights is None else m.weights
            WX = m.X * w[:, None]
            r = m.yi - m.X @ np.linalg.solve(m.X.T @ WX, WX.T @ m.yi)
            s2.append(float(np.sum(w * r * r)) / (m.k - m.p))
        return 100 * max(0.0, (s2[1] - s2[0]) / s2[1])
    if reduced.tau2 == 0:
        return 0.0
    return 100 * max(0.0, (reduced.tau2 - full.tau2) / reduced.tau2)


def anova(model1: FittedModel, model2: FittedModel, refit: bool = False) -> AnovaResult:
    """Likelihood-ratio test of two nested fits of the same data (the one with more
    parameters is the full model). REML fits with different moderators are compared
    only after refitting both with ML when ``refit`` (metafor); otherwise the test is
    computed and flagged, as REML likelihoods of different fixed effects are not
    comparable."""
    full, reduced = (model1, model2) if model1.parms > model2.parms else (model2, model1)
    _check_nested(full, reduced)
    if full.method == "FE" and reduced.method != "FE":
        raise InputError("full", "FE", "a random-effects full model (the reduced one is)")
    flags: list[Flag] = []
    same_x = full.X.shape == reduced.X.shape and np.array_equal(full.X, reduced.X)
    if full.method == "REML" and not same_x:
        if refit:
            full = full.refit(full.yi, full.vi, full.X, full.weights, method="ML")
            reduced = reduced.refit(reduced.yi, reduced.vi, reduced.X, reduced.weights,
                                    method="ML")  # fmt: skip
        else:
            flags.append(fl.LRT_REML_FIXED_DIFFER)
    reml = full.method == "REML"
    sf, sr = fitstats(full, reml), fitstats(reduced, reml)
    lrt = max(0.0, sr.deviance - sf.deviance)
    df = full.parms - reduced.parms
    return AnovaResult(
        method=full.method, full=sf, reduced=sr, lrt=lrt, df=df,
        pval=float(_dist.chi2_sf(lrt, df)), qe_full=cochran_q(full.yi, full.vi, full.X).q,
        qe_reduced=cochran_q(reduced.yi, reduced.vi, reduced.X).q, tau2_full=full.tau2,
        tau2_reduced=reduced.tau2, r2_percent=_r2(full, reduced), flags=tuple(flags),
    )  # fmt: skip
