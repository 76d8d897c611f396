"""Small-study effects: Egger's regression test, Begg's rank test, trim-and-fill.

These tests have low power with few studies; the Cochrane Handbook
(section 13.3.5.4) advises against them when k < 10. They still compute for
k ≥ 3 but carry the ``k_lt_10`` flag, which the report turns into a sentence.
"""

from __future__ import annotations

import numpy as np

from trialmeta import flags as fl
from trialmeta._checks import METHODS, check_choice, yi_vi
from trialmeta.errors import InputError, NotComputableError
from trialmeta.stats._kendall import EXACT_MAX_N, kendall_test
from trialmeta.stats._scale import rescaled
from trialmeta.stats.pooling import pool
from trialmeta.stats.regtest import regtest
from trialmeta.stats.results import BeggResult, EggerResult, TrimFillResult
from trialmeta.stats.tau2 import estimate_tau2

__all__ = ["begg_test", "egger_test", "sei_is_constant", "trim_and_fill"]


def _need(k: int, minimum: int, what: str) -> None:
    if k < minimum:
        raise InputError("yi", f"{k} studies", f"at least {minimum} studies for {what}")


def _small_k(k: int) -> tuple[fl.Flag, ...]:
    return (fl.K_LT_10,) if k < 10 else ()


def sei_is_constant(v: np.ndarray) -> bool:
    """True when ``[1, √vᵢ]`` is not of full rank in R's sense, as metafor checks before
    ``regtest`` (``lm``) and ``trimfill`` (``rma.uni`` with ``mods = sei``).

    R's QR (LINPACK ``dqrdc2``, tolerance 1e-7) drops a column whose norm after
    removing the earlier columns is below 1e-7 of its own norm; for ``sei`` after the
    intercept that is ``‖sei - mean(sei)‖ < 1e-7·‖sei‖``.
    """
    sei = np.sqrt(v)
    return bool(np.linalg.norm(sei - np.mean(sei)) < 1e-7 * np.linalg.norm(sei))


def _egger_not_computable(k: int) -> EggerResult:
    nan = float("nan")
    return EggerResult(k=k, bias=nan, bias_se=nan, stat=nan, df=k - 2, pval=nan,
                       limit_estimate=nan, limit_ci_lb=nan, limit_ci_ub=nan,
                       flags=_small_k(k) + (fl.EGGER_SEI_CONSTANT,))  # fmt: skip


@rescaled(location=("limit_estimate", "limit_ci_lb", "limit_ci_ub"), variance=())
def egger_test(yi: object, vi: object, level: float = 0.95) -> EggerResult:
    """Egger's test as metafor ``regtest(model="lm", predictor="sei")``.

    Weighted least squares of ``yᵢ = b₀ + b₁·√vᵢ`` with weights ``1/vᵢ``; the
    test of ``b₁ = 0`` uses t with ``k - 2`` df and the residual scale
    (Egger, Davey Smith, Schneider & Minder 1997; Sterne & Egger 2005).
    ``b₀`` is the limit estimate as ``√vᵢ → 0``. When every study has the same
    standard error the regression has no slope to estimate (metafor stops: "Model matrix
    no longer of full rank"); the result is then NaN with the ``EGGER_SEI_CONSTANT`` flag.
    See :func:`trialmeta.regtest` for metafor's other forms of the test.
    """
    y, v = yi_vi(yi, vi)
    k = len(y)
    _need(k, 3, "Egger's test")
    if sei_is_constant(v):
        return _egger_not_computable(k)
    r = regtest(y, v, model="lm", predictor="sei", level=level)
    return EggerResult(
        k=k, bias=r.coef, bias_se=r.coef_se, stat=r.stat, df=int(r.df), pval=r.pval,
        limit_estimate=r.limit_estimate, limit_ci_lb=r.limit_ci_lb,
        limit_ci_ub=r.limit_ci_ub, flags=r.flags,
    )  # fmt: skip


@rescaled(location=(), variance=())
def begg_test(yi: object, vi: object) -> BeggResult:
    """Begg & Mazumdar (1994) rank correlation test, as metafor ``ranktest``.

    Kendall's τ between the standardised deviates
    ``(yᵢ - μ̂_FE)/sqrt(vᵢ - 1/Σw)`` and the variances ``vᵢ``. The p-value is
    exact when there are no ties (as R's ``cor.test(exact=TRUE)``) and
    ``k ≤ 500``, otherwise the tie-corrected normal approximation (flagged when
    only the size ruled out the exact one). All estimates or all variances tied:
    τ and p are NaN (metafor: NA), flagged ``BEGG_ALL_TIED``.
    """
    y, v = yi_vi(yi, vi)
    k = len(y)
    _need(k, 3, "Begg's test")
    w = 1.0 / v
    theta = float(np.sum(w * y) / np.sum(w))
    ystar = (y - theta) / np.sqrt(v - 1.0 / np.sum(w))
    tau, pval, exact = kendall_test(ystar, v)
    flags = _small_k(k)
    if np.isnan(pval):
        flags += (fl.BEGG_ALL_TIED,)
    elif not exact and k > EXACT_MAX_N and len(np.unique(ystar)) == k and len(np.unique(v)) == k:
        flags += (fl.BEGG_NORMAL_LARGE_K,)
    return BeggResult(k=k, tau=tau, pval=pval, exact=exact, flags=flags)


def _rank_first(x: np.ndarray) -> np.ndarray:
    """R's ``rank(x, ties.method="first")``: 1-based, ties by position."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x), dtype=float)
    ranks[order] = np.arange(1, len(x) + 1)
    return ranks


def _l0(signed: np.ndarray, k: int) -> tuple[float, float]:
    """``L0 = (4Sᵣ - k(k+1))/(2k - 1)`` with ``Sᵣ`` the sum of the positive signed ranks,
    and its standard error (Duval & Tweedie 2000)."""
    sr = float(np.sum(signed[signed > 0]))
    l0 = (4 * sr - k * (k + 1)) / (2 * k - 1)
    var_sr = (
        k * (k + 1) * (2 * k + 1) + 10 * l0**3 + 27 * l0**2 + 17 * l0
        - 18 * k * l0**2 - 18 * k * l0 + 6 * k**2 * l0
    ) / 24.0  # fmt: skip
    se = max(0.0, 4 * np.sqrt(var_sr) / (2 * k - 1)) if var_sr >= 0 else float("nan")
    return l0, float(se)


def _r0(signed: np.ndarray, k: int) -> tuple[float, float]:
    """``R0 = γ* - 1``, ``γ*`` the length of the rightmost run of positive ranks (k minus
    the largest rank on the left), with standard error ``sqrt(2·max(0, R0) + 2)``
    (Duval & Tweedie 2000). With no study left of the estimate every study is in the run
    (``k - 1``), and with all deviations 0 there is nothing to trim."""
    left = -signed[signed < 0]
    if left.size:
        r0 = float(k - np.max(left) - 1)
    else:
        r0 = float(k - 1) if np.any(signed > 0) else 0.0
    return r0, float(np.sqrt(2 * max(0.0, r0) + 2))


@rescaled(
    location=("estimate", "se", "ci_lb", "ci_ub", "filled_yi"), variance=("tau2", "filled_vi")
)
def trim_and_fill(
    yi: object,
    vi: object,
    method: str = "REML",
    side: str | None = None,
    maxiter: int = 100,
    estimator: str = "L0",
) -> TrimFillResult:
    """Duval & Tweedie (2000) trim-and-fill with the L0 or R0 estimator, as metafor
    ``trimfill(rma(yi, vi, method=method), estimator=estimator)``.

    The side is estimated, as metafor does, from the sign of the slope of
    ``√vᵢ`` in a meta-regression fitted with ``method``: a negative slope means
    studies are missing on the right. Iteratively, the number ``k0`` of missing
    studies is estimated from the signed ranks of ``|yᵢ - μ̂|`` (:func:`_l0`:
    ``(4 Sᵣ - k(k+1)) / (2k - 1)``; :func:`_r0`: the rightmost run of positive ranks
    minus 1) after trimming the ``k0`` most extreme studies; the filled studies mirror
    the trimmed ones about ``μ̂``. The filled model is refitted with ``method`` and a
    z test. R0 comes with ``p_k0 = 0.5^(k0+1)``, metafor's test of ``k0 = 0``.

    When every study has the same standard error the side cannot be estimated (the
    slope is not identified; metafor stops with "missing value where TRUE/FALSE
    needed"): :class:`~trialmeta.errors.NotComputableError` says so, unless ``side``
    is given.
    """
    y, v = yi_vi(yi, vi)
    check_choice("method", method, METHODS)
    check_choice("estimator", estimator, ("L0", "R0"))
    k = len(y)
    _need(k, 3, "trim-and-fill")
    if side is None and sei_is_constant(v):
        raise NotComputableError(
            "every study has the same standard error, so the side of the missing studies "
            "cannot be estimated; give side='left' or 'right'",
            flag=fl.TRIMFILL_SIDE_UNDEFINED,
        )
    if side is None:
        X = np.column_stack([np.ones(k), np.sqrt(v)])
        t2 = estimate_tau2(y, v, X, method).tau2
        w = 1.0 / (v + t2)
        WX = X * w[:, None]
        slope = np.linalg.solve(X.T @ WX, WX.T @ y)[1]
        side = "right" if slope < 0 else "left"
    else:
        side = check_choice("side", side, ("left", "right"))
    ys = -y if side == "right" else y.copy()
    order = np.argsort(ys, kind="stable")
    ys, vs = ys[order], v[order]
    k0, k0_prev, it = 0, -1, 0
    se_k0 = float("nan")
    flags = list(_small_k(k))
    beta = 0.0
    while k0 != k0_prev:
        k0_prev = k0
        it += 1
        if it > maxiter:  # pragma: no cover - metafor raises here too
            raise InputError("maxiter", maxiter, "more iterations for trim-and-fill")
        beta = pool(ys[: k - k0], vs[: k - k0], method=method).estimate
        centred = ys - beta
        # Rounding noise around identical estimates must rank as ties at zero (exact
        # arithmetic gives 0); otherwise L0 oscillates, as metafor's does on such data.
        centred[np.abs(centred) <= 1e-12 * max(1.0, float(np.max(np.abs(ys))))] = 0.0
        signed = np.sign(centred) * _rank_first(np.abs(centred))
        estimate_k0 = _r0 if estimator == "R0" else _l0
        raw, se_k0 = estimate_k0(signed, k)
        if estimator == "R0" and not np.any(signed < 0) and np.any(signed > 0):
            flags.append(fl.TRIMFILL_R0_ONE_SIDED)
        k0 = int(max(0.0, np.round(raw)))  # R's round(): halves to even, as numpy
    if k0 > 0:
        mirrored = 2 * beta - ys[k - k0 :]
        fill_y = -mirrored if side == "right" else mirrored
        fill_v = vs[k - k0 :]
        res = pool(np.concatenate([y, fill_y]), np.concatenate([v, fill_v]), method=method)
    else:
        fill_y, fill_v = np.empty(0), np.empty(0)
        res = pool(y, v, method=method)
    return TrimFillResult(
        k=k, k0=k0, se_k0=float(se_k0), side=side, method=method, estimate=res.estimate,
        se=res.se, ci_lb=res.ci_lb, ci_ub=res.ci_ub, pval=res.pval, tau2=res.tau2,
        filled_yi=fill_y, filled_vi=fill_v, flags=tuple(dict.fromkeys(flags)),
        estimator=estimator, p_k0=0.5 ** (k0 + 1) if estimator == "R0" else float("nan"),
    )  # fmt: skip
