"""Kendall's rank correlation test, as R's ``cor.test(method="kendall")``.

Without ties the two-sided p-value is exact, from the distribution of the
number of concordant pairs under independence (the Mahonian numbers; Kendall
1938). With ties it uses the normal approximation with the tie-corrected
variance of S (Kendall 1970, ch. 4), without continuity correction.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import stats

__all__ = ["kendall_test", "concordance_cdf"]


@lru_cache(maxsize=64)
def _concordance_pmf(n: int) -> tuple[float, ...]:
    """P(T = t), t = 0..n(n-1)/2, for T the number of concordant pairs."""
    pmf = np.ones(1)
    for i in range(2, n + 1):
        size = len(pmf) + i - 1
        cum = np.concatenate([[0.0], np.cumsum(pmf), np.full(i - 1, np.sum(pmf))])
        idx = np.arange(size)
        new = cum[idx + 1] - cum[np.maximum(idx + 1 - i, 0)]
        pmf = new / i
    return tuple(pmf.tolist())


def concordance_cdf(q: int, n: int) -> float:
    """``P(T ≤ q)``: R's internal ``pkendall(q, n)``."""
    if q < 0:
        return 0.0
    pmf = _concordance_pmf(n)
    return float(min(1.0, np.sum(pmf[: q + 1])))


def _tie_counts(x: np.ndarray) -> np.ndarray:
    _, counts = np.unique(x, return_counts=True)
    return counts[counts > 1].astype(float)


def kendall_test(x: np.ndarray, y: np.ndarray) -> tuple[float, float, bool]:
    """Return (tau_b, two-sided p-value, exact?) for paired samples ``x``, ``y``."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    i, j = np.triu_indices(n, k=1)
    s = float(np.sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j])))
    t0 = n * (n - 1) / 2.0
    tx, ty = _tie_counts(x), _tie_counts(y)
    t1 = float(np.sum(tx * (tx - 1)) / 2)
    t2 = float(np.sum(ty * (ty - 1)) / 2)
    denom = np.sqrt((t0 - t1) * (t0 - t2))
    tau = s / denom if denom > 0 else float("nan")
    ties = len(tx) > 0 or len(ty) > 0
    if not ties:
        q = int(np.round((tau + 1) * n * (n - 1) / 4))
        if q > n * (n - 1) / 4:
            p = 1.0 - concordance_cdf(q - 1, n)
        else:
            p = concordance_cdf(q, n)
        return float(tau), float(min(2 * p, 1.0)), True
    v0 = n * (n - 1) * (2 * n + 5)
    vt = np.sum(tx * (tx - 1) * (2 * tx + 5))
    vu = np.sum(ty * (ty - 1) * (2 * ty + 5))
    v1 = np.sum(tx * (tx - 1)) * np.sum(ty * (ty - 1))
    v2 = np.sum(tx * (tx - 1) * (tx - 2)) * np.sum(ty * (ty - 1) * (ty - 2))
    var_s = (v0 - vt - vu) / 18 + v1 / (2 * n * (n - 1)) + v2 / (9 * n * (n - 1) * (n - 2))
    if var_s <= 0:  # every value tied (e.g. identical estimates): no test (R: NA)
        return float(tau), float("nan"), False
    z = s / np.sqrt(var_s)
    p = 2 * min(stats.norm.cdf(z), stats.norm.sf(z))
    return float(tau), float(p), False
