"""Predicted effects with confidence and prediction intervals (metafor ``predict.rma``).

For a row ``x`` of moderator values (with the intercept), ``μ̂ = x'β̂`` with
``Var(μ̂) = x'V_β x`` (V_β Knapp-Hartung scaled for ``test="knha"``). The CI is
``μ̂ ± c·SE``, with ``c`` the normal quantile (``z``) or t on ``k - p`` df (``knha``). The
prediction interval for the effect in a new study is ``μ̂ ± c_PI·sqrt(SE² + τ̂²)``:

- ``pi="hts"`` (the project default): ``c_PI`` from t on ``k - p - 1`` df, which reduces
  to Higgins, Thompson & Spiegelhalter's (2009) t(k - 2) without moderators (Cochrane
  Handbook v6.5, 10.10.4.3; Riley, Higgins & Deeks 2011). It equals metafor's
  ``pi.type="riley"`` when τ² is estimated. NaN when ``k - p - 1 < 1``.
- ``pi="metafor"``: ``c_PI = c`` (metafor's default), so metafor's interval is reproduced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialmeta import _dist
from trialmeta import flags as fl
from trialmeta._checks import check_choice, check_finite, check_level
from trialmeta.errors import InputError
from trialmeta.flags import Flag
from trialmeta.stats.fitted import FittedModel
from trialmeta.stats.results import _AsDict

__all__ = ["PI_TYPES", "Prediction", "predict"]

PI_TYPES = ("hts", "metafor")


@dataclass(frozen=True)
class Prediction(_AsDict):
    """Predicted values (one per row of the new moderators, or per study for
    ``newmods=None`` with moderators) with their CI and prediction interval.

    ``pi_df`` is the t degrees of freedom of the prediction interval (NaN when it uses
    the normal quantile).
    """

    pred: np.ndarray
    se: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    pi_lb: np.ndarray
    pi_ub: np.ndarray
    level: float
    pi: str
    pi_df: float
    flags: tuple[Flag, ...] = ()


def _new_rows(fit: FittedModel, newmods: object, intercept: bool) -> np.ndarray:
    """The rows ``x`` to predict at, as metafor reads ``newmods``."""
    if newmods is None:
        return np.ones((1, 1)) if fit.int_only else fit.X
    if fit.int_only:
        raise InputError("newmods", newmods, "None for a model without moderators")
    m = fit.p - 1
    try:
        M = np.asarray(newmods, dtype=float)
    except (TypeError, ValueError):
        raise InputError("newmods", newmods, f"numbers, {m} per row") from None
    if M.ndim == 0:
        M = M.reshape(1, 1)
    elif M.ndim == 1:
        M = M[:, None] if m == 1 else M[None, :]
    if M.ndim != 2 or M.shape[1] != m:
        raise InputError("newmods", f"array of shape {M.shape}", f"{m} values per row")
    check_finite("newmods", M.ravel())
    return np.column_stack([np.full(len(M), 1.0 if intercept else 0.0), M])


def _crit(fit: FittedModel, level: float) -> float:
    alpha = 1.0 - level
    if fit.test == "knha":
        return float(_dist.t_isf(alpha / 2, fit.df)) if fit.df > 0 else float("nan")
    return float(_dist.norm_isf(alpha / 2))


def predict(fit: FittedModel, newmods: object = None, *, intercept: bool = True,
            level: float | None = None, pi: str = "hts") -> Prediction:  # fmt: skip
    """Predictions of ``fit`` at ``newmods`` (a k_new × m array, a vector for m = 1).

    ``newmods=None`` predicts the pooled effect (no moderators) or the fitted value of
    each study. ``intercept=False`` drops the intercept from the new rows (metafor).
    """
    check_choice("pi", pi, PI_TYPES)
    lv = fit.level if level is None else check_level(level)
    rows = _new_rows(fit, newmods, intercept)
    pred = rows @ fit.beta
    var = np.einsum("ij,jk,ik->i", rows, fit.vb, rows)
    se = np.sqrt(np.where(var < 0, np.nan, var))
    crit = _crit(fit, lv)
    flags: list[Flag] = []
    if pi == "hts":
        pi_df = float(fit.k - fit.p - 1)
        if pi_df < 1:
            pi_crit = float("nan")
            flags.append(fl.PI_DF_TOO_SMALL)
        else:
            pi_crit = float(_dist.t_isf((1.0 - lv) / 2, pi_df))
    else:
        pi_crit = crit
        pi_df = fit.df if fit.test == "knha" else float("nan")
    half = pi_crit * np.sqrt(se**2 + fit.tau2)
    return Prediction(
        pred=pred, se=se, ci_lb=pred - crit * se, ci_ub=pred + crit * se, pi_lb=pred - half,
        pi_ub=pred + half, level=lv, pi=pi, pi_df=pi_df, flags=tuple(flags),
    )  # fmt: skip
