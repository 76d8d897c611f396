"""Case diagnostics of an intercept-only model: Baujat coordinates and influence measures.

Both are pure functions of the data, the full fit and its leave-one-out refits
(:func:`trialmeta.pool` and :func:`trialmeta.leave_one_out` with the same
``method``/``test``), so nothing is refitted here. They reproduce metafor 3.8-1
``baujat()`` and ``influence()`` for ``rma.uni`` models without moderators.

References
----------
Baujat B, Mahé C, Pignon J-P, Hill C. A graphical method for exploring heterogeneity
in meta-analyses: application to a meta-analysis of 65 trials. Stat Med. 2002;21:2641-52.
Viechtbauer W, Cheung MW-L. Outlier and influence diagnostics for meta-analysis.
Res Synth Methods. 2010;1:112-25.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialmeta import _dist
from trialmeta._checks import yi_vi
from trialmeta.errors import InputError
from trialmeta.stats.results import LeaveOneOutResult, PooledResult, _AsDict

__all__ = ["BaujatResult", "InfluenceResult", "baujat", "influence"]


@dataclass(frozen=True)
class BaujatResult(_AsDict):
    """Baujat coordinates per study (input order).

    ``x`` is the squared Pearson residual ``(yᵢ − μ̂)² / (τ̂² + vᵢ)`` (for ``FE``:
    the study's contribution to Cochran's Q); ``y`` is the influence on the
    overall result ``(μ̂₍₋ᵢ₎ − μ̂)² / Var(μ̂₍₋ᵢ₎)``.
    """

    method: str
    test: str
    x: np.ndarray
    y: np.ndarray
    x_label: str
    y_label: str


@dataclass(frozen=True)
class InfluenceResult(_AsDict):
    """metafor ``influence()`` columns, per study in input order.

    ``is_influential`` applies metafor's rule: ``|dffits| > 3·sqrt(p/(k−p))``, or
    ``pchisq(cook_d, p) > 0.5``, or ``hat > 3p/k``, or ``|dfbetas| > 1`` (p = 1).
    """

    method: str
    test: str
    rstudent: np.ndarray
    dffits: np.ndarray
    cook_d: np.ndarray
    cov_r: np.ndarray
    tau2_del: np.ndarray
    qe_del: np.ndarray
    hat: np.ndarray
    weight_percent: np.ndarray
    dfbetas: np.ndarray
    is_influential: np.ndarray


def _check(y: np.ndarray, fit: PooledResult, loo: LeaveOneOutResult) -> None:
    k = len(y)
    if fit.k != k:
        raise InputError("fit", f"a model with k = {fit.k}", f"the model of these {k} studies")
    if len(loo.estimate) != k:
        raise InputError("loo", f"{len(loo.estimate)} refits", f"{k} (one per study)")
    if (loo.method, loo.test) != (fit.method, fit.test):
        raise InputError(
            "loo", f"method={loo.method}, test={loo.test}",
            f"the same as the full fit (method={fit.method}, test={fit.test})",
        )  # fmt: skip
    if k < 2:
        raise InputError("yi", f"{k} study", "at least 2 studies")


def baujat(yi: object, vi: object, fit: PooledResult, loo: LeaveOneOutResult) -> BaujatResult:
    """Baujat plot coordinates, as metafor ``baujat(rma(yi, vi, method, test))``.

    Parameters
    ----------
    yi, vi
        Effects and sampling variances, as passed to ``pool``.
    fit
        ``trialmeta.pool(yi, vi, method, test)``.
    loo
        ``trialmeta.leave_one_out(yi, vi, method, test)``.

    Returns
    -------
    BaujatResult
        ``x = (yᵢ − μ̂)²/(τ̂² + vᵢ)`` and ``y = (μ̂₍₋ᵢ₎ − μ̂)² / SE(μ̂₍₋ᵢ₎)²``, where the
        leave-one-out SE belongs to the same test (Knapp-Hartung scaled for ``knha``).

    Examples
    --------
    >>> import trialmeta
    >>> y, v = [-10.0, -2.0, -6.0], [4.0, 4.0, 4.0]
    >>> fit = trialmeta.pool(y, v, method="FE")
    >>> res = baujat(y, v, fit, trialmeta.leave_one_out(y, v, method="FE"))
    >>> [round(float(x), 6) for x in res.x]
    [4.0, 4.0, 0.0]
    """
    y, v = yi_vi(yi, vi)
    _check(y, fit, loo)
    x = (y - fit.estimate) ** 2 / (fit.tau2 + v)
    infl = (loo.estimate - fit.estimate) ** 2 / loo.se**2
    fe = fit.method == "FE"
    return BaujatResult(
        method=fit.method,
        test=fit.test,
        x=x,
        y=infl,
        x_label="Contribution to overall heterogeneity" if fe else "Squared Pearson residual",
        y_label="Influence on overall result",
    )


def influence(yi: object, vi: object, fit: PooledResult, loo: LeaveOneOutResult) -> InfluenceResult:
    """Outlier and influence diagnostics, as metafor ``influence(rma(yi, vi, method, test))``.

    With ``wᵢ = 1/(vᵢ + τ̂²)``, hat ``hᵢ = wᵢ/Σw``; for fit i without study i
    (estimate ``μ̂₍₋ᵢ₎``, variance ``V₍₋ᵢ₎``, ``τ̂²₍₋ᵢ₎``, Knapp-Hartung factor
    ``s²₍₋ᵢ₎ = V₍₋ᵢ₎ · Σ_{j≠i} 1/(vⱼ + τ̂²₍₋ᵢ₎)``, equal to 1 for ``z``):

    - ``rstudent = (yᵢ − μ̂₍₋ᵢ₎) / sqrt(s²₍₋ᵢ₎(vᵢ + τ̂²₍₋ᵢ₎) + V₍₋ᵢ₎)``
    - ``dffits = (μ̂ − μ̂₍₋ᵢ₎) / sqrt(s²₍₋ᵢ₎ · hᵢ · (τ̂²₍₋ᵢ₎ + vᵢ))``
    - ``cook_d = (μ̂ − μ̂₍₋ᵢ₎)² / Var(μ̂)``; ``cov_r = V₍₋ᵢ₎ / Var(μ̂)``
    - ``dfbetas = (μ̂ − μ̂₍₋ᵢ₎) / sqrt(s²₍₋ᵢ₎ / Σⱼ 1/(vⱼ + τ̂²₍₋ᵢ₎))`` (sum over all k).

    Parameters
    ----------
    yi, vi
        Effects and sampling variances.
    fit, loo
        ``trialmeta.pool`` and ``trialmeta.leave_one_out`` with the same method and test.

    Returns
    -------
    InfluenceResult
    """
    y, v = yi_vi(yi, vi)
    _check(y, fit, loo)
    k = len(y)
    w = 1.0 / (v + fit.tau2)
    hat = w / w.sum()
    t2d = np.asarray(loo.tau2, dtype=float)
    vdel = np.asarray(loo.se, dtype=float) ** 2
    if fit.test == "knha":
        sum_w_del = np.array([np.sum(np.delete(1.0 / (v + t2d[i]), i)) for i in range(k)])
        s2w = vdel * sum_w_del
    else:
        s2w = np.ones(k)
    dfb = fit.estimate - loo.estimate
    resid = y - loo.estimate
    resid[np.abs(resid) < 100 * np.finfo(float).eps] = 0.0
    rstudent = resid / np.sqrt(v * s2w + vdel + t2d * s2w)
    dffits = dfb / np.sqrt(s2w * hat * (t2d + v))
    vb_del = 1.0 / np.array([np.sum(1.0 / (v + t2d[i])) for i in range(k)])
    dfbetas = dfb / np.sqrt(s2w * vb_del)
    cook_d = dfb**2 / fit.se**2
    cov_r = vdel / fit.se**2
    p = 1
    with np.errstate(invalid="ignore"):
        infl = (
            (np.abs(dffits) > 3 * np.sqrt(p / (k - p)))
            | (_dist.chi2_cdf(cook_d, p) > 0.5)
            | (hat > 3 * p / k)
            | (np.abs(dfbetas) > 1)
        )
    return InfluenceResult(
        method=fit.method, test=fit.test, rstudent=rstudent, dffits=dffits, cook_d=cook_d,
        cov_r=cov_r, tau2_del=t2d, qe_del=np.asarray(loo.q, dtype=float), hat=hat,
        weight_percent=100 * hat, dfbetas=dfbetas, is_influential=infl,
    )  # fmt: skip
