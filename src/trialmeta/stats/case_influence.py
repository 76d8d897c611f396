"""Case-deletion diagnostics of a fitted model, with or without moderators (metafor
``influence.rma.uni`` and ``rstudent.rma.uni``).

Fit ``(-i)`` is the model refitted without study ``i`` (same method and test; a fixed τ²
and user weights kept), with coefficients ``β̂₍₋ᵢ₎``, covariance ``V₍₋ᵢ₎``, ``τ̂²₍₋ᵢ₎`` and
Knapp-Hartung factor ``s²₍₋ᵢ₎`` (1 for ``z``). With ``hᵢ`` the hat values of the full fit
(Viechtbauer & Cheung 2010):

- ``rstudent = (yᵢ - xᵢ'β̂₍₋ᵢ₎) / sqrt(s²₍₋ᵢ₎(vᵢ + τ̂²₍₋ᵢ₎) + xᵢ'V₍₋ᵢ₎xᵢ)``
- ``dffits = xᵢ'(β̂ - β̂₍₋ᵢ₎) / sqrt(s²₍₋ᵢ₎·hᵢ·(τ̂²₍₋ᵢ₎ + vᵢ))``
- ``cook_d = (β̂ - β̂₍₋ᵢ₎)'V⁻¹(β̂ - β̂₍₋ᵢ₎)``; ``cov_r = det V₍₋ᵢ₎ / det V``
- ``dfbetas = (β̂ - β̂₍₋ᵢ₎) / sqrt(s²₍₋ᵢ₎·diag((X'W₍₋ᵢ₎X)⁻¹))``, ``W₍₋ᵢ₎`` over all k studies
  with ``τ̂²₍₋ᵢ₎``.

With user weights ``A`` the ``hᵢ(τ̂²₍₋ᵢ₎ + vᵢ)`` of DFFITS and the covariance of DFBETAS
are the sandwich forms metafor uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialmeta import _dist
from trialmeta import flags as fl
from trialmeta.errors import InputError
from trialmeta.flags import Flag
from trialmeta.stats.fitted import FittedModel
from trialmeta.stats.heterogeneity import cochran_q
from trialmeta.stats.residuals import Residuals, hat_matrix, hatvalues
from trialmeta.stats.results import _AsDict

__all__ = ["ModelInfluence", "influence", "rstudent"]


@dataclass(frozen=True)
class ModelInfluence(_AsDict):
    """metafor ``influence()`` of a model, per study in input order; ``dfbetas`` is
    k × p (columns follow ``names``). ``is_influential`` applies metafor's rule:
    ``|dffits| > 3·sqrt(p/(k-p))``, or ``pchisq(cook_d, p) > 0.5``, or ``hat > 3p/k``, or
    any ``|dfbetas| > 1``. A deletion that leaves a rank-deficient design gives NaN."""

    names: tuple[str, ...]
    rstudent: np.ndarray
    resid: np.ndarray
    resid_se: np.ndarray
    dffits: np.ndarray
    cook_d: np.ndarray
    cov_r: np.ndarray
    tau2_del: np.ndarray
    qe_del: np.ndarray
    hat: np.ndarray
    weight_percent: np.ndarray
    dfbetas: np.ndarray
    is_influential: np.ndarray
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class _Deleted:
    beta: np.ndarray
    vb: np.ndarray
    tau2: float
    s2w: float
    qe: float


def _delete(fit: FittedModel, i: int) -> _Deleted | None:
    keep = np.arange(fit.k) != i
    X = fit.X[keep]
    w = fit.weights[keep] if fit.weights is not None else None
    scale = np.sqrt(w) if w is not None else np.ones(len(X))
    if np.linalg.matrix_rank(X * scale[:, None]) < fit.p or len(X) <= fit.p:
        return None
    res = fit.refit(fit.yi[keep], fit.vi[keep], X, w)
    return _Deleted(res.beta, res.vb, res.tau2, res.s2w, cochran_q(res.yi, res.vi, X).q)


def _leave_out(fit: FittedModel) -> list[_Deleted | None]:
    if fit.k < 2:
        raise InputError("fit", f"a model of k = {fit.k}", "at least 2 studies")
    return [_delete(fit, i) for i in range(fit.k)]


def _studentized(fit: FittedModel, dels: list[_Deleted | None]) -> Residuals:
    resid, se = np.full(fit.k, np.nan), np.full(fit.k, np.nan)
    for i, d in enumerate(dels):
        if d is None:
            continue
        x = fit.X[i]
        resid[i] = fit.yi[i] - x @ d.beta
        se[i] = np.sqrt(fit.vi[i] * d.s2w + x @ d.vb @ x + d.tau2 * d.s2w)
    resid[np.abs(resid) < 100 * np.finfo(float).eps] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return Residuals(resid=resid, se=se, z=resid / se)


def rstudent(fit: FittedModel) -> Residuals:
    """Externally studentized (deleted) residuals, metafor ``rstudent.rma.uni``."""
    return _studentized(fit, _leave_out(fit))


def _sandwich(fit: FittedModel, m: np.ndarray) -> np.ndarray:
    """``(X'AX)⁻¹X'A diag(m) A X(X'AX)⁻¹`` for user weights A."""
    assert fit.weights is not None
    AX = fit.X * fit.weights[:, None]
    bread = np.linalg.inv(fit.X.T @ AX)
    return np.asarray(bread @ ((AX.T * m) @ AX) @ bread, dtype=float)


def _row(fit: FittedModel, i: int, d: _Deleted, hat: np.ndarray, H: np.ndarray | None,
         svb: np.ndarray) -> tuple[float, float, float, np.ndarray]:  # fmt: skip
    """dffits, cook_d, cov_r and dfbetas of deletion ``i``."""
    m = fit.vi + d.tau2
    dfb = fit.beta - d.beta
    if H is None:
        dffits = (fit.X[i] @ dfb) / np.sqrt(d.s2w * hat[i] * m[i])
        WX = fit.X / m[:, None]
        vb_del = np.linalg.inv(fit.X.T @ WX)
    else:
        dffits = (fit.X[i] @ dfb) / np.sqrt(d.s2w * (H[i] ** 2 @ m))
        vb_del = _sandwich(fit, m)
    dfbetas = dfb / np.sqrt(d.s2w * np.diag(vb_del))
    cook = float(dfb @ svb @ dfb)
    cov_r = float(np.linalg.det(d.vb) / np.linalg.det(fit.vb))
    return float(dffits), cook, cov_r, dfbetas


def influence(fit: FittedModel) -> ModelInfluence:
    """All of metafor's ``influence()`` columns for ``fit`` (see the module docstring)."""
    dels = _leave_out(fit)
    k, p = fit.k, fit.p
    hat = hatvalues(fit)
    H = hat_matrix(fit) if fit.weights is not None else None
    svb = np.linalg.inv(fit.vb)
    nan = np.full(k, np.nan)
    dffits, cook, cov_r, tau2_del, qe_del = (nan.copy() for _ in range(5))
    dfbetas = np.full((k, p), np.nan)
    for i, d in enumerate(dels):
        if d is None:
            continue
        dffits[i], cook[i], cov_r[i], dfbetas[i] = _row(fit, i, d, hat, H, svb)
        tau2_del[i], qe_del[i] = d.tau2, d.qe
    w = fit.weights if fit.weights is not None else 1.0 / (fit.vi + fit.tau2)
    student = _studentized(fit, dels)
    with np.errstate(invalid="ignore"):
        infl = ((np.abs(dffits) > 3 * np.sqrt(p / (k - p))) | (_dist.chi2_cdf(cook, p) > 0.5)
                | (hat > 3 * p / k) | np.any(np.abs(dfbetas) > 1, axis=1))  # fmt: skip
    flags = (fl.REFIT_FAILED,) if any(d is None for d in dels) else ()
    return ModelInfluence(
        names=fit.names, rstudent=student.z, resid=student.resid, resid_se=student.se,
        dffits=dffits, cook_d=cook, cov_r=cov_r, tau2_del=tau2_del, qe_del=qe_del, hat=hat,
        weight_percent=100 * w / np.sum(w), dfbetas=dfbetas, is_influential=infl, flags=flags,
    )  # fmt: skip
