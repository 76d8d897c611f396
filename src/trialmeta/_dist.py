"""Tail probabilities and quantiles of the normal, t, chi-square and F distributions.

These are the ``scipy.special`` functions that ``scipy.stats`` evaluates for
the same calls (``norm.sf(x) = ndtr(-x)``, ``t.isf(q, df) = -stdtrit(df, q)``,
``chi2.ppf(q, df) = 2·gammaincinv(df/2, q)``, ``chi2.isf = chdtri``,
``f.sf = fdtrc``; scipy 1.17 ``_continuous_distns``), with the same answers
on invalid arguments (NaN for ``df ≤ 0`` or ``q`` outside [0, 1]; the
distribution's support at ``q = 0, 1`` and for ``x < 0``). Importing
``scipy.stats`` costs about 0.3 s of CPU per process more than
``scipy.special`` (``python -X importtime``); ``tests/unit/test_dist.py``
checks every function equals ``scipy.stats`` bit for bit on a grid.

``scipy.special`` itself (0.14-0.25 s per process) is imported on the first call
(:func:`_special`), so a job that only reads results (figures, report) never loads it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "chi2_cdf", "chi2_isf", "chi2_ppf", "chi2_sf", "f_sf", "norm_cdf", "norm_isf", "norm_pdf",
    "norm_ppf", "norm_sf", "t_isf", "t_ppf", "t_sf",
]  # fmt: skip

_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _special() -> ModuleType:
    """``scipy.special``, imported on first use (then a lookup in ``sys.modules``)."""
    from scipy import special

    return special


def _f(x: ArrayLike) -> np.ndarray:
    """``x`` as a float array (the special functions' argument type)."""
    return np.asarray(x, dtype=float)


def _out(x: np.ndarray) -> Any:
    """A 0-d result as a NumPy scalar (as scipy.stats returns), else the array."""
    return x[()] if x.ndim == 0 else x


def _quantile(q: ArrayLike, df: ArrayLike, value: ArrayLike, lower: float, upper: float) -> Any:
    """``value`` where ``df > 0`` and ``0 < q < 1``; the support ends at ``q = 0, 1``."""
    qa, da = np.asarray(q, dtype=float), np.asarray(df, dtype=float)
    out = np.where(qa == 0, lower, np.where(qa == 1, upper, value))
    return _out(np.where((da > 0) & (qa >= 0) & (qa <= 1), out, np.nan))


def norm_cdf(x: ArrayLike) -> Any:
    """Standard normal CDF ``Φ(x) = ndtr(x)``."""
    return _out(np.asarray(_special().ndtr(_f(x))))


def norm_sf(x: ArrayLike) -> Any:
    """Standard normal upper tail ``1 - Φ(x) = ndtr(-x)``."""
    return _out(np.asarray(_special().ndtr(-_f(x))))


def norm_ppf(q: ArrayLike) -> Any:
    """Standard normal quantile ``Φ⁻¹(q) = ndtri(q)``."""
    return _out(np.asarray(_special().ndtri(_f(q))))


def norm_isf(q: ArrayLike) -> Any:
    """Upper-tail standard normal quantile ``Φ⁻¹(1 - q) = -ndtri(q)``."""
    return _out(-np.asarray(_special().ndtri(_f(q))))


def norm_pdf(x: ArrayLike) -> Any:
    """Standard normal density ``exp(-x²/2)/√(2π)``."""
    xa = np.asarray(x, dtype=float)
    return _out(np.exp(-(xa**2) / 2.0) / _SQRT_2PI)


def t_sf(x: ArrayLike, df: ArrayLike) -> Any:
    """Student t upper tail ``stdtr(df, -x)``; NaN for ``df ≤ 0``."""
    da = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        val = _special().stdtr(da, -_f(x))
    return _out(np.where(da > 0, val, np.nan))


def t_ppf(q: ArrayLike, df: ArrayLike) -> Any:
    """Student t quantile ``stdtrit(df, q)``."""
    with np.errstate(invalid="ignore"):
        val = _special().stdtrit(_f(df), _f(q))
    return _quantile(q, df, val, -np.inf, np.inf)


def t_isf(q: ArrayLike, df: ArrayLike) -> Any:
    """Upper-tail Student t quantile ``-stdtrit(df, q)``."""
    with np.errstate(invalid="ignore"):
        val = -np.asarray(_special().stdtrit(_f(df), _f(q)))
    return _quantile(q, df, val, np.inf, -np.inf)


def _chi2_tail(
    x: ArrayLike, df: ArrayLike, func: Callable[[np.ndarray, np.ndarray], Any], below: float
) -> Any:
    xa, da = np.asarray(x, dtype=float), np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        val = func(da, np.maximum(xa, 0.0))
    val = np.where(xa < 0, below, val)
    return _out(np.where((da > 0) & ~np.isnan(xa), val, np.nan))


def chi2_sf(x: ArrayLike, df: ArrayLike) -> Any:
    """Chi-square upper tail ``chdtrc(df, x)`` (1 for ``x < 0``)."""
    return _chi2_tail(x, df, _special().chdtrc, 1.0)


def chi2_cdf(x: ArrayLike, df: ArrayLike) -> Any:
    """Chi-square CDF ``chdtr(df, x)`` (0 for ``x < 0``)."""
    return _chi2_tail(x, df, _special().chdtr, 0.0)


def chi2_ppf(q: ArrayLike, df: ArrayLike) -> Any:
    """Chi-square quantile ``2·gammaincinv(df/2, q)``."""
    with np.errstate(invalid="ignore"):
        val = 2.0 * np.asarray(_special().gammaincinv(_f(df) / 2.0, _f(q)))
    return _quantile(q, df, val, 0.0, np.inf)


def chi2_isf(q: ArrayLike, df: ArrayLike) -> Any:
    """Upper-tail chi-square quantile ``chdtri(df, q)``."""
    with np.errstate(invalid="ignore"):
        val = _special().chdtri(_f(df), _f(q))
    return _quantile(q, df, val, np.inf, 0.0)


def f_sf(x: ArrayLike, dfn: ArrayLike, dfd: ArrayLike) -> Any:
    """F upper tail ``fdtrc(dfn, dfd, x)`` (1 for ``x < 0``); NaN unless both df > 0."""
    xa = np.asarray(x, dtype=float)
    n, d = np.asarray(dfn, dtype=float), np.asarray(dfd, dtype=float)
    with np.errstate(invalid="ignore"):
        val = _special().fdtrc(n, d, np.maximum(xa, 0.0))
    val = np.where(xa < 0, 1.0, val)
    return _out(np.where((n > 0) & (d > 0) & ~np.isnan(xa), val, np.nan))
