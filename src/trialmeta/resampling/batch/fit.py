"""The ``PooledResult`` fields of many meta-analyses from their τ² (``pool_batch``'s blocks).

Definitions as :func:`trialmeta.batch.pool_batch`; critical values come from
tables indexed by k, computed once per call.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special

from trialmeta import _dist
from trialmeta.resampling.batch.stack import Stack, zero_sums
from trialmeta.resampling.batch.tau2 import Tau2Batch, estimate_tau2_batch, solve_q_equation

__all__ = ["assemble", "chi2_sf", "fit_core", "fit_many", "quantile_tables"]

_EPS = float(np.finfo(float).eps)

_CHI2_SERIES_MAX_DF = 60


def chi2_sf(x: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Chi-square survival function for integer ``df ≥ 1``, by the finite series
    ``Q(x; d+2) = Q(x; d) + (x/2)^{d/2} e^{-x/2} / Γ(d/2 + 1)`` from
    ``Q(x; 1) = erfc(sqrt(x/2))`` and ``Q(x; 2) = e^{-x/2}`` (Abramowitz &
    Stegun 1964, 26.4.4-5). All terms are positive, so it is accurate to a few
    ulp, and several times faster than ``scipy.special.chdtrc`` for small df,
    which is used above ``df = 60``.
    """
    out = np.empty(x.shape)
    present = np.flatnonzero(np.bincount(df))
    for d in present:
        sel = slice(None) if present.size == 1 else df == d
        xs = x[sel]
        if d > _CHI2_SERIES_MAX_DF:
            out[sel] = special.chdtrc(float(d), xs)
            continue
        h = 0.5 * xs
        e = np.exp(-h)
        if d % 2 == 0:
            acc, term, j = e.copy(), e, 2
        else:
            acc = special.erfc(np.sqrt(h))
            term, j = np.sqrt(h) * e * (2.0 / np.sqrt(np.pi)), 3
            if d > 1:
                acc += term
        while j < d:
            term = term * h / (0.5 * j)
            acc += term
            j += 2
        far = h > 500.0  # e^{-h} is subnormal there: keep relative accuracy in the far tail
        if far.any():
            acc[far] = special.chdtrc(float(d), xs[far])
        out[sel] = acc
    return out


def quantile_tables(k: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
    """Critical values indexed by k, computed once per distinct k (:mod:`trialmeta._dist`)."""
    ks = np.flatnonzero(np.bincount(k))
    ks = ks[ks >= 2].astype(float)
    tables = {}
    funcs: dict[str, Callable[[np.ndarray], object]] = {
        "t_knha": lambda d: _dist.t_isf(alpha / 2, d - 1),
        "t_pi": lambda d: np.where(d >= 3, _dist.t_isf(alpha / 2, np.maximum(d - 2, 1)), np.nan),
        "chi2_u": lambda d: _dist.chi2_isf(alpha / 2, d - 1),
        "chi2_l": lambda d: _dist.chi2_ppf(alpha / 2, d - 1),
    }
    for name, func in funcs.items():
        table = np.full(int(k.max()) + 1, np.nan)
        table[ks.astype(np.int64)] = func(ks)
        tables[name] = table
    tables["z"] = np.array([-special.ndtri(alpha / 2)])
    return tables


def _heterogeneity(
    q0: np.ndarray,
    W0: np.ndarray,
    S20: np.ndarray,
    tau2: np.ndarray,
    df: np.ndarray,
    method: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Q (floored at 0), ``ṽ = (k-1)/tr(P₀)``, I² (percent) and H², from ``Q(0)``,
    ``W₀ = Σw₀`` and ``Σw₀²``."""
    q = np.maximum(q0, 0.0)
    vt = df / (W0 - S20 / W0)
    if method == "FE":
        i2 = np.where(q <= 0, 0.0, np.maximum(0.0, 100.0 * (q - df) / q))
        return q, vt, i2, q / df
    return q, vt, 100.0 * tau2 / (vt + tau2), tau2 / vt + 1.0


def fit_many(
    s: Stack, method: str, tests: tuple[str, ...], tables: dict[str, np.ndarray], tau2_ci: bool
) -> list[dict[str, np.ndarray]]:
    """All fields for columns with k ≥ 2, one dict per test in ``tests``
    (``tables``: critical values by k). τ² and every field that does not depend on
    the test (heterogeneity, τ² CIs) are computed once."""
    ki = s.k.astype(np.int64)
    z = zero_sums(s, "zero", score=method in ("ML", "REML"))
    t2 = estimate_tau2_batch(s, method, z, rss="knha" in tests)
    ci = None
    if tau2_ci:
        ci = (solve_q_equation(s, tables["chi2_u"][ki], z.q)[0],
              solve_q_equation(s, tables["chi2_l"][ki], z.q)[0])  # fmt: skip
    return assemble(s.k, method, tests, tables, t2, (z.q, z.W, z.S2), ci)


def assemble(
    k: np.ndarray,
    method: str,
    tests: tuple[str, ...],
    tables: dict[str, np.ndarray],
    t2: Tau2Batch,
    zero: tuple[np.ndarray, np.ndarray, np.ndarray],
    ci: tuple[np.ndarray, np.ndarray] | None,
) -> list[dict[str, np.ndarray]]:
    """The fields of each test from τ̂² (``t2``), the τ² = 0 sums ``zero = (Q(0), W₀,
    Σw₀²)`` and the Q-profile τ² CI ``ci`` (None: not asked); the dicts share the
    fields that do not depend on the test."""
    ki = k.astype(np.int64)
    df = k - 1.0
    tau2 = t2.tau2
    shared: dict[str, np.ndarray] = {"estimate": t2.est, "tau2": tau2, "tau2_se": t2.se}
    shared["converged"], shared["iterations"] = t2.converged, t2.iterations
    with np.errstate(divide="ignore", invalid="ignore"):
        q, vt, shared["i2_percent"], shared["h2"] = _heterogeneity(*zero, tau2, df, method)
        shared["q"] = q
        shared["q_pval"] = chi2_sf(q, ki - 1)
        if ci is not None:
            lb, ub = ci
            shared.update(
                tau2_ci_lb=lb, tau2_ci_ub=ub,
                i2_ci_lb=100.0 * lb / (vt + lb), i2_ci_ub=100.0 * ub / (vt + ub),
                h2_ci_lb=lb / vt + 1.0, h2_ci_ub=ub / vt + 1.0,
            )  # fmt: skip
        return [{**shared, **_test_fields(t2, test, df, ki, tables)} for test in tests]


def _test_fields(
    t2: Tau2Batch, test: str, df: np.ndarray, ki: np.ndarray, tables: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """se, z or t statistic, p-value, CI and prediction interval for ``test`` at τ̂²."""
    est, W = t2.est, t2.W
    res: dict[str, np.ndarray] = {}
    if test == "knha":
        assert t2.rss is not None
        s2w = np.where(t2.rss <= _EPS, 0.0, t2.rss / df)
        se = np.sqrt(s2w * (1.0 / W))
        stat = est / se
        crit = tables["t_knha"][ki]
        pval = 2 * special.stdtr(df, -np.abs(stat))
        res["df"] = df
    else:
        se = np.sqrt(1.0 / W)
        stat = est / se
        crit = tables["z"][0]
        pval = 2 * special.ndtr(-np.abs(stat))
    res.update(se=se, stat=stat, pval=pval, ci_lb=est - crit * se, ci_ub=est + crit * se)
    half = tables["t_pi"][ki] * np.sqrt(t2.tau2 + se * se)
    res["pi_lb"], res["pi_ub"] = est - half, est + half
    return res


def fit_core(s: Stack, method: str) -> dict[str, np.ndarray]:
    """Estimate, τ², Q, I² (percent) and H² for columns with k ≥ 2 (no tests, no CIs).

    The lean path used by GOSH and simulations; definitions as :func:`pool_batch`.
    """
    z = zero_sums(s, "zero", score=method in ("ML", "REML"))
    t2 = estimate_tau2_batch(s, method, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        q, _, i2, h2 = _heterogeneity(z.q, z.W, z.S2, t2.tau2, s.k - 1.0, method)
    return {"estimate": t2.est, "tau2": t2.tau2, "q": q, "i2_percent": i2, "h2": h2}
