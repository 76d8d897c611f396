"""Kendall's rank correlation test, as R's ``cor.test(method="kendall")``.

Without ties the two-sided p-value is exact, from the distribution of the
number of concordant pairs under independence (the Mahonian numbers; Kendall
1938), as long as that distribution is affordable (``n ≤ EXACT_MAX_N``: it has
``n(n-1)/2 + 1`` terms and costs O(n³) to build). With ties, or beyond that
size, it uses the normal approximation with the tie-corrected variance of S
(Kendall 1970, ch. 4), without continuity correction.

S itself is counted in O(n log² n) time and O(n) memory (Knight 1966, "A computer
method for calculating Kendall's tau with ungrouped data", JASA 61:436-439): sort
by (x, y), count the pairs tied in x, in y and in both, and count the discordant
pairs as the inversions of the y sequence.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from trialmeta import _dist

__all__ = ["EXACT_MAX_N", "concordance_cdf", "kendall_s", "kendall_test"]

#: Largest n for which the exact null distribution is computed (about 0.2 s at n = 500;
#: the cost grows as n³, and R needs O(n³) memory for it).
EXACT_MAX_N = 500


@lru_cache(maxsize=16)
def _concordance_pmf(n: int) -> np.ndarray:
    """P(T = t), t = 0..n(n-1)/2, for T the number of concordant pairs (read-only)."""
    pmf = np.ones(1)
    for i in range(2, n + 1):
        size = len(pmf) + i - 1
        cum = np.concatenate([[0.0], np.cumsum(pmf), np.full(i - 1, np.sum(pmf))])
        idx = np.arange(size)
        new = cum[idx + 1] - cum[np.maximum(idx + 1 - i, 0)]
        pmf = new / i
    pmf.flags.writeable = False
    return pmf


def concordance_cdf(q: int, n: int) -> float:
    """``P(T ≤ q)``: R's internal ``pkendall(q, n)``."""
    if q < 0:
        return 0.0
    pmf = _concordance_pmf(n)
    return float(min(1.0, np.sum(pmf[: q + 1])))


def _tie_counts(x: np.ndarray) -> np.ndarray:
    _, counts = np.unique(x, return_counts=True)
    return counts[counts > 1].astype(float)


def _tied_pairs(*columns: np.ndarray) -> int:
    """Number of pairs equal in every column."""
    _, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
    return int(np.sum(counts * (counts - 1) // 2))


def _inversions(a: np.ndarray) -> int:
    """Number of pairs ``i < j`` with ``a[i] > a[j]``, in O(n log² n).

    Each pair is counted at the one level of a bottom-up merge where i falls in the
    left and j in the right half of a block of width ``2w``; the left halves of all
    blocks are sorted once per level (keys offset by the block number) and every
    right element looks up how many of its block's left elements exceed it.
    """
    n = len(a)
    ranks = np.unique(a, return_inverse=True)[1].astype(np.int64)
    pos = np.arange(n, dtype=np.int64)
    total = 0
    width = 1
    while width < n:
        block = pos // (2 * width)
        right = (pos // width) % 2 == 1
        left_keys = np.sort(block[~right] * n + ranks[~right])
        rb, rk = block[right], block[right] * n + ranks[right]
        end = np.searchsorted(left_keys, (rb + 1) * n, side="left")  # past the block's left half
        at_most = np.searchsorted(left_keys, rk, side="right")
        total += int(np.sum(end - at_most))
        width *= 2
    return total


def kendall_s(x: np.ndarray, y: np.ndarray) -> int:
    """Kendall's ``S = Σ_{i<j} sign(xᵢ - xⱼ)·sign(yᵢ - yⱼ)`` (concordant minus discordant).

    ``S = n₀ - n₁ - n₂ + n₃ - 2·D`` with ``n₀ = n(n-1)/2`` pairs, ``n₁``/``n₂`` pairs tied
    in x / in y, ``n₃`` tied in both, and ``D`` the discordant pairs: the inversions of y
    after sorting by (x, y), since pairs tied in x are then in y order (Knight 1966).
    """
    x = np.asarray(x, dtype=float) + 0.0  # -0.0 -> 0.0, so ties are by value
    y = np.asarray(y, dtype=float) + 0.0
    n = len(x)
    order = np.lexsort((y, x))
    n0 = n * (n - 1) // 2
    n1, n2, n3 = _tied_pairs(x), _tied_pairs(y), _tied_pairs(x, y)
    return n0 - n1 - n2 + n3 - 2 * _inversions(y[order])


def kendall_test(x: np.ndarray, y: np.ndarray) -> tuple[float, float, bool]:
    """Return (tau_b, two-sided p-value, exact?) for paired samples ``x``, ``y``."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    s = float(kendall_s(x, y))
    t0 = n * (n - 1) / 2.0
    tx, ty = _tie_counts(x), _tie_counts(y)
    t1 = float(np.sum(tx * (tx - 1)) / 2)
    t2 = float(np.sum(ty * (ty - 1)) / 2)
    denom = np.sqrt((t0 - t1) * (t0 - t2))
    tau = s / denom if denom > 0 else float("nan")
    ties = len(tx) > 0 or len(ty) > 0
    if not ties and n <= EXACT_MAX_N:
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
    p = 2 * min(_dist.norm_cdf(z), _dist.norm_sf(z))
    return float(tau), float(p), False
