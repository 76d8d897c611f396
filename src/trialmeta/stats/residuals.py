"""Residuals, hat values, BLUPs and covariance matrices of a fitted model (metafor
``residuals.rma``, ``rstandard.rma.uni``, ``hatvalues.rma.uni``, ``blup.rma.uni``,
``vcov.rma``).

With ``M = diag(vᵢ + τ̂²)`` and weights ``W = M⁻¹`` (or the user weights ``A``), the hat
matrix is ``H = X(X'WX)⁻¹X'W`` and the residuals ``e = y - Xβ̂ = (I - H)y`` have covariance
``(I - H)M(I - H)'`` (Viechtbauer & Cheung 2010).

References
----------
Viechtbauer W, Cheung MW-L. Outlier and influence diagnostics for meta-analysis. Res Synth
Methods. 2010;1:112-25.
Raudenbush SW. Analyzing effect sizes: random-effects models. In: Cooper H, Hedges LV,
Valentine JC, eds. The Handbook of Research Synthesis and Meta-Analysis. 2nd ed. 2009
(the BLUPs of the random effects).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialmeta import _dist
from trialmeta._checks import check_choice, check_level
from trialmeta.errors import InputError
from trialmeta.stats.fitted import FittedModel
from trialmeta.stats.results import _AsDict

__all__ = ["Blup", "Residuals", "blup", "hat_matrix", "hatvalues", "residuals", "rstandard",
           "vcov"]  # fmt: skip

RESIDUAL_TYPES = ("response", "pearson", "cholesky", "rstandard", "rstudent")
VCOV_TYPES = ("fixed", "obs", "fitted", "resid")
_TINY = 100 * np.finfo(float).eps  # metafor sets |e| below this to 0


@dataclass(frozen=True)
class Residuals(_AsDict):
    """Residuals ``resid``, their standard errors ``se`` and ``z = resid/se``."""

    resid: np.ndarray
    se: np.ndarray
    z: np.ndarray


@dataclass(frozen=True)
class Blup(_AsDict):
    """Best linear unbiased predictions of ``θᵢ = xᵢ'β + uᵢ`` with their standard errors and
    ``level`` intervals (metafor's ``pi.lb``/``pi.ub``)."""

    pred: np.ndarray
    se: np.ndarray
    pi_lb: np.ndarray
    pi_ub: np.ndarray
    level: float


def _weights(fit: FittedModel) -> np.ndarray:
    return fit.weights if fit.weights is not None else 1.0 / (fit.vi + fit.tau2)


def hat_matrix(fit: FittedModel) -> np.ndarray:
    """``H = X(X'WX)⁻¹X'W`` (``A`` for user weights)."""
    w = _weights(fit)
    WX = fit.X * w[:, None]
    return np.asarray(fit.X @ np.linalg.solve(fit.X.T @ WX, WX.T), dtype=float)


def hatvalues(fit: FittedModel) -> np.ndarray:
    """Diagonal of :func:`hat_matrix`; values within 10ε of 1 are 1 (metafor)."""
    h = np.diag(hat_matrix(fit)).copy()
    h[h > 1 - 10 * np.finfo(float).eps] = 1.0
    return h


def _response(fit: FittedModel) -> np.ndarray:
    e = fit.yi - fit.X @ fit.beta
    e[np.abs(e) < _TINY] = 0.0
    return np.asarray(e, dtype=float)


def _resid_cov(fit: FittedModel) -> np.ndarray:
    imh = np.eye(fit.k) - hat_matrix(fit)
    return np.asarray((imh * (fit.vi + fit.tau2)) @ imh.T, dtype=float)


def vcov(fit: FittedModel, type: str = "fixed") -> np.ndarray:  # noqa: A002 (metafor's name)
    """``fixed``: Var(β̂); ``obs``: M; ``fitted``: ``X Var(β̂) X'``; ``resid``:
    ``(I - H)M(I - H)'``."""
    check_choice("type", type, VCOV_TYPES)
    if type == "fixed":
        return np.array(fit.vb, dtype=float)
    if type == "obs":
        return np.diag(fit.vi + fit.tau2)
    if type == "fitted":
        return np.asarray(fit.X @ fit.vb @ fit.X.T, dtype=float)
    return _resid_cov(fit)


def rstandard(fit: FittedModel, type: str = "marginal") -> Residuals:  # noqa: A002
    """Standardised residuals.

    ``marginal``: ``eᵢ = yᵢ - xᵢ'β̂`` over ``sqrt([(I - H)M(I - H)']ᵢᵢ)``.
    ``conditional``: ``yᵢ`` minus its BLUP, over ``sqrt(vᵢ²/(vᵢ + τ̂²)·(1 - hᵢ))``; not
    available with user weights (as in metafor).
    """
    check_choice("type", type, ("marginal", "conditional"))
    if type == "marginal":
        e = _response(fit)
        se = np.sqrt(np.diag(_resid_cov(fit)))
    else:
        if fit.weights is not None:
            raise InputError("type", type, "'marginal' for a model with user weights")
        lam = fit.tau2 / (fit.tau2 + fit.vi)
        e = fit.yi - (lam * fit.yi + (1 - lam) * (fit.X @ fit.beta))
        se = np.sqrt(fit.vi**2 / (fit.vi + fit.tau2) * (1 - np.diag(hat_matrix(fit))))
    with np.errstate(divide="ignore", invalid="ignore"):
        return Residuals(resid=e, se=se, z=e / se)


def residuals(fit: FittedModel, type: str = "response") -> np.ndarray:  # noqa: A002
    """``response`` ``y - Xβ̂``; ``pearson`` and ``cholesky`` (equal for rma.uni)
    ``(y - Xβ̂)/sqrt(v + τ̂²)``; ``rstandard`` its ``z``. ``rstudent`` needs the
    case-deletion refits: :func:`trialmeta.stats.case_influence.rstudent` (which imports
    this module); :meth:`trialmeta.stats.model.RmaFit.residuals` takes all five types."""
    check_choice("type", type, RESIDUAL_TYPES[:-1])
    if type == "rstandard":
        return rstandard(fit).z
    e = _response(fit)
    if type == "response":
        return e
    return np.asarray(e / np.sqrt(fit.vi + fit.tau2), dtype=float)


def blup(fit: FittedModel, level: float | None = None) -> Blup:
    """``θ̂ᵢ = λᵢyᵢ + (1 - λᵢ)xᵢ'β̂`` with ``λᵢ = τ̂²/(τ̂² + vᵢ)`` and
    ``Var = λᵢvᵢ + (1 - λᵢ)²xᵢ'Var(β̂)xᵢ``; the interval uses the normal quantile (``z``)
    or t on ``k - p`` df (``knha``). Not available with user weights (metafor)."""
    if fit.weights is not None:
        raise InputError("weights", "user weights", "inverse-variance weights for BLUPs")
    lv = fit.level if level is None else check_level(level)
    alpha = 1.0 - lv
    crit = _dist.t_isf(alpha / 2, fit.df) if fit.test == "knha" else _dist.norm_isf(alpha / 2)
    lam = fit.tau2 / (fit.tau2 + fit.vi)
    xb = fit.X @ fit.beta
    pred = lam * fit.yi + (1 - lam) * xb
    var = lam * fit.vi + (1 - lam) ** 2 * np.einsum("ij,jk,ik->i", fit.X, fit.vb, fit.X)
    se = np.sqrt(var)
    return Blup(pred=pred, se=se, pi_lb=pred - crit * se, pi_ub=pred + crit * se, level=lv)
