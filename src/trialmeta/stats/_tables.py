"""What :func:`pool_mh` and :func:`pool_peto` share: the two stages of zero-cell handling,
the heterogeneity statistics metafor reports for them, and z inference.

As in metafor's ``rma.mh``/``rma.peto``, ``add``, ``to`` and ``drop00`` are pairs: the first
element builds the study-level effects (``escalc``; they give Q, I² and H²), the second the
tables the pooled estimate is computed from (by default untouched: the Mantel-Haenszel and
Peto methods need no correction for zero cells; Cochrane Handbook v6.5, 10.4.4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialmeta import _dist
from trialmeta import flags as fl
from trialmeta._checks import check_level
from trialmeta._jsonable import AsDict as _AsDict
from trialmeta.effects.binary import (
    Tables,
    add_constant,
    binary_effect_sizes,
    check_rule,
    double_zero,
    two_by_two,
)
from trialmeta.effects.sizes import EffectSizes
from trialmeta.errors import InputError
from trialmeta.flags import Flag

__all__ = ["Prepared", "TablePool", "heterogeneity", "pair", "prepare", "z_inference"]


@dataclass(frozen=True)
class TablePool(_AsDict):
    """Fields every pool of 2x2 tables has: ``k`` pooled tables, ``k_yi`` estimable study
    effects behind Cochran's ``q`` (df ``q_df``), and the z inference of ``estimate``."""

    k: int
    k_yi: int
    level: float
    estimate: float
    se: float
    ci_lb: float
    ci_ub: float
    stat: float
    pval: float
    q: float
    q_df: int
    q_pval: float
    i2_percent: float
    h2: float


def pair(name: str, value: object, second: object) -> tuple[object, object]:
    """A scalar becomes ``(value, second)``, as metafor's ``add``/``to``/``drop00``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise InputError(name, value, "one value or a pair (study effects, pooling)")
        return value[0], value[1]
    return value, second


@dataclass(frozen=True)
class Prepared:
    """Study-level effects (stage 1) and the tables to pool (stage 2)."""

    effects: EffectSizes
    tables: Tables
    level: float
    flags: tuple[Flag, ...]


def prepare(measure: str, counts: dict[str, object], add: object, to: object, drop00: object,
            level: float) -> Prepared:  # fmt: skip
    """Validate the counts, compute the stage-1 effects and the stage-2 tables."""
    lv = check_level(level)
    t = two_by_two(**counts)
    add1, add2 = pair("add", add, 0.0)
    to1, to2 = pair("to", to, "none")
    drop1, drop2 = pair("drop00", drop00, False)
    effects = binary_effect_sizes(measure, t, add1, to1, drop1)  # type: ignore[arg-type]
    value, rule, drop = check_rule(add2, to2, drop2)
    keep = ~double_zero(t) if drop else np.ones(t.k, dtype=bool)
    flags = [Flag(f) for f in effects.flags]
    if not np.all(keep):
        flags.append(fl.DOUBLE_ZERO_DROPPED)
    tables, hit = add_constant(t.subset(keep), value, rule)
    if np.any(hit):
        flags.append(fl.ZERO_CELLS_CORRECTED)
    if tables.k == 0:
        flags.append(fl.NO_TABLES_LEFT)
    return Prepared(effects, tables, lv, tuple(dict.fromkeys(flags)))


QStats = tuple[float, int, float, float, float]  # q, df, p-value, I² (percent), H²


def heterogeneity(yi: np.ndarray, vi: np.ndarray, beta: float) -> QStats:
    """Cochran's Q of the estimable study effects about ``beta``, with I² and H² as
    metafor's ``rma.mh`` reports them: ``Q = max(0, Σ(yᵢ - β)²/vᵢ)``, ``df = k - 1``,
    ``I² = max(0, 100(Q - df)/Q)``, ``H² = Q/df``; Q = 0, p = 1, I² = 0, H² = 1 when k = 1."""
    ok = np.isfinite(yi) & np.isfinite(vi)
    y, v = yi[ok], vi[ok]
    df = int(len(y)) - 1
    if df < 1:
        return 0.0, max(df, 0), 1.0, 0.0, 1.0
    q = max(0.0, float(np.sum((y - beta) ** 2 / v))) if np.isfinite(beta) else float("nan")
    return q, df, *_q_summary(q, df)


def _q_summary(q: float, df: int) -> tuple[float, float, float]:
    """p-value, I² (percent) and H² of a Q statistic on ``df`` degrees of freedom."""
    if not np.isfinite(q):
        return float("nan"), float("nan"), float("nan")
    i2 = 0.0 if q <= 0 else max(0.0, 100.0 * (q - df) / q)
    return float(_dist.chi2_sf(q, df)), i2, q / df


def z_inference(beta: float, se: float, level: float) -> tuple[float, float, float, float]:
    """``z = β/se``, two-sided normal p-value and the level-CI ``β ± z_{1-α/2}·se``."""
    if not (np.isfinite(beta) and np.isfinite(se)):
        nan = float("nan")
        return nan, nan, nan, nan
    crit = float(_dist.norm_isf((1.0 - level) / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = float(np.float64(beta) / np.float64(se))  # 0/0 (no events at all, RD) is NaN
    return z, float(2 * _dist.norm_sf(abs(z))), beta - crit * se, beta + crit * se
