"""Subgroup analyses with a test for subgroup differences (as RevMan 5).

Each subgroup is pooled on its own (its own τ²), then the subgroup estimates
are compared with a Cochran-type Q between subgroups:

``Q_between = Σ_j w_j (θ̂_j − θ̄)²``, ``w_j = 1/SE_j²``, ``θ̄ = Σ w_j θ̂_j / Σ w_j``,

referred to χ² with ``df = g − 1`` (g = subgroups with an estimate), and
``I²_between = max(0, (Q − df)/Q)``. SE_j is the Wald (``test="z"``) standard
error of the subgroup's random-effects estimate, as RevMan uses it, whatever
test the subgroup estimates themselves are shown with.

References
----------
Borenstein M, Higgins JPT. Meta-analysis and subgroups. Prev Sci. 2013;14(2):134-143.
Deeks JJ, Higgins JPT, Altman DG (eds). Cochrane Handbook for Systematic Reviews of
Interventions, version 6.4, section 10.11.3.1 (2023).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from trialmeta import _dist
from trialmeta import flags as fl
from trialmeta.errors import InputError
from trialmeta.flags import Flag
from trialmeta.stats.pooling import pool
from trialmeta.stats.results import PooledResult, to_jsonable

__all__ = ["SubgroupDifference", "SubgroupResult", "subgroup_analysis", "subgroup_difference"]


class _DeepDict:
    def to_dict(self) -> dict[str, object]:
        """Field name → JSON-safe value, nested results included."""
        return to_jsonable(asdict(self))  # type: ignore[call-overload, return-value]


@dataclass(frozen=True)
class SubgroupDifference(_DeepDict):
    """Test for subgroup differences (``q`` on ``df`` with ``pval``; ``i2_percent``)."""

    g: int
    q: float
    df: int
    pval: float
    i2_percent: float
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class SubgroupResult(_DeepDict):
    """Per-level fits (``levels`` sorted, ``fits[i]`` for ``levels[i]``) and the test."""

    variable: str
    levels: tuple[str, ...]
    k: tuple[int, ...]
    fits: tuple[PooledResult, ...]
    difference: SubgroupDifference


def subgroup_difference(estimates: Sequence[float], ses: Sequence[float]) -> SubgroupDifference:
    """Q test between subgroup estimates; NaN with flag ``fewer_than_2_subgroups``.

    Examples
    --------
    >>> d = subgroup_difference([-10.0, -2.0], [2.0, 2.0])
    >>> d.df, round(d.q, 3)
    (1, 8.0)
    """
    est = np.asarray(estimates, dtype=float)
    se = np.asarray(ses, dtype=float)
    if est.shape != se.shape:
        raise InputError("ses", f"length {se.size}", f"length {est.size} (as estimates)")
    keep = np.isfinite(est) & np.isfinite(se) & (se > 0)
    est, se = est[keep], se[keep]
    g = int(est.size)
    if g < 2:
        nan = float("nan")
        return SubgroupDifference(g, nan, max(g - 1, 0), nan, nan, (fl.FEWER_THAN_2_SUBGROUPS,))
    w = 1.0 / se**2
    mean = float(np.sum(w * est) / np.sum(w))
    q = float(np.sum(w * (est - mean) ** 2))
    df = g - 1
    pval = float(_dist.chi2_sf(q, df))
    i2 = 100.0 * max(0.0, (q - df) / q) if q > 0 else 0.0
    return SubgroupDifference(g, q, df, pval, i2)


def subgroup_analysis(
    yi: Sequence[float],
    vi: Sequence[float],
    groups: Sequence[str],
    variable: str,
    method: str = "REML",
    test: str = "knha",
    level: float = 0.95,
) -> SubgroupResult:
    """Pool each level of ``groups`` separately and test for differences.

    Levels are sorted so that the result does not depend on input order.
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    labels = np.asarray([str(x) for x in groups], dtype=object)
    if not (y.size == v.size == labels.size):
        raise InputError("groups", f"length {labels.size}", f"length {y.size} (as yi)")
    levels = tuple(sorted(set(labels.tolist())))
    fits, ks, z_se, ests = [], [], [], []
    for lev in levels:
        idx = labels == lev
        fit = pool(y[idx], v[idx], method=method, test=test, level=level)
        fit_z = fit if test == "z" else pool(y[idx], v[idx], method=method, test="z", level=level)
        fits.append(fit)
        ks.append(int(idx.sum()))
        ests.append(fit_z.estimate)
        z_se.append(fit_z.se)
    return SubgroupResult(
        variable=variable,
        levels=levels,
        k=tuple(ks),
        fits=tuple(fits),
        difference=subgroup_difference(ests, z_se),
    )
