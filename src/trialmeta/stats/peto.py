"""Peto's one-step odds ratio (metafor ``rma.peto``).

For each table, ``Eᵢ = mᵢn1ᵢ/Nᵢ`` events are expected in group 1 under no effect and
``Vᵢ = mᵢ(Nᵢ - mᵢ)n1ᵢn2ᵢ/(Nᵢ²(Nᵢ - 1))`` is their hypergeometric variance (``mᵢ = aᵢ + cᵢ``);
the pooled ``log OR = Σ(aᵢ - Eᵢ)/ΣVᵢ`` with variance ``1/ΣVᵢ``, and the heterogeneity
statistic is ``Q = Σ(aᵢ - Eᵢ)²/Vᵢ - (Σ(aᵢ - Eᵢ))²/ΣVᵢ`` on ``k - 1`` df. The Cochrane
Handbook v6.5 (10.4.2) recommends it for rare events with balanced groups and small
effects; zero cells need no correction.

References
----------
Yusuf S, Peto R, Lewis J, Collins R, Sleight P. Prog Cardiovasc Dis. 1985;27:335-71.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialmeta import _dist
from trialmeta import flags as fl
from trialmeta.flags import Flag
from trialmeta.stats._tables import TablePool, prepare, z_inference

__all__ = ["PetoResult", "pool_peto"]


@dataclass(frozen=True)
class PetoResult(TablePool):
    """A Peto fit (metafor ``rma.peto``); ``estimate`` is the log odds ratio. ``k`` counts
    the pooled tables, ``k_yi`` the estimable study effects (Q's df is ``k_yi - 1``)."""

    flags: tuple[Flag, ...] = ()


def pool_peto(
    *,
    ai: object,
    ci: object,
    bi: object = None,
    di: object = None,
    n1i: object = None,
    n2i: object = None,
    add: float | tuple[float, float] = (0.5, 0.0),
    to: str | tuple[str, str] = ("only0", "none"),
    drop00: bool | tuple[bool, bool] = (True, False),
    level: float = 0.95,
) -> PetoResult:
    """Peto's pooled log odds ratio, as metafor ``rma.peto(ai, bi, ci, di)``.

    ``add``, ``to`` and ``drop00`` are pairs as in :func:`trialmeta.pool_mh` (the first for
    the study-level Peto odds ratios, the second for the pooled tables). When one outcome
    never occurs in any table the estimate is NaN with a flag (metafor stops).

    Examples
    --------
    >>> r = pool_peto(ai=[4, 0, 6], n1i=[20, 25, 30], ci=[9, 3, 10], n2i=[21, 24, 31])
    >>> round(float(np.exp(r.estimate)), 4), round(r.q, 4)
    (0.3836, 1.3357)
    """
    counts = {"ai": ai, "bi": bi, "ci": ci, "di": di, "n1i": n1i, "n2i": n2i}
    prep = prepare("PETO", counts, add, to, drop00, level)
    t = prep.tables
    flags = list(prep.flags)
    k_yi = int(np.sum(prep.effects.estimable))
    n = t.n1i + t.n2i
    xt = t.ai + t.ci
    e = xt * t.n1i / n
    v = xt * (t.bi + t.di) * (t.n1i / n) * (t.n2i / n) / (n - 1)
    sum_v = float(np.sum(v))
    nan = float("nan")
    if t.k == 0 or sum_v == 0:
        flags.append(fl.PETO_NOT_ESTIMABLE)
        return PetoResult(t.k, k_yi, prep.level, nan, nan, nan, nan, nan, nan, nan,
                          max(k_yi - 1, 0), nan, nan, nan, tuple(dict.fromkeys(flags)))  # fmt: skip
    o_e = t.ai - e
    beta, se = float(np.sum(o_e)) / sum_v, float(np.sqrt(1.0 / sum_v))
    z, p, lb, ub = z_inference(beta, se, prep.level)
    pos = v > 0
    q = max(0.0, float(np.sum(o_e[pos] ** 2 / v[pos])) - float(np.sum(o_e)) ** 2 / sum_v)
    df = k_yi - 1
    if int(np.sum(pos)) > 1:
        q_p = float(_dist.chi2_sf(q, df))
        i2 = 0.0 if q <= 0 else max(0.0, 100.0 * (q - df) / q)
        h2 = q / df
    else:
        q_p, i2, h2 = 1.0, 0.0, 1.0
    return PetoResult(
        k=t.k, k_yi=k_yi, level=prep.level, estimate=beta, se=se, ci_lb=lb, ci_ub=ub,
        stat=z, pval=p, q=q, q_df=max(df, 0), q_pval=q_p, i2_percent=i2, h2=h2,
        flags=tuple(dict.fromkeys(flags)),
    )  # fmt: skip
