"""Mantel-Haenszel pooling of 2x2 tables (metafor ``rma.mh``).

A common-effect method that works on the counts directly, so zero cells need no
correction; the Cochrane Handbook v6.5 (section 10.4.1) makes it the default for
dichotomous data and notes (10.4.4) that it behaves well with sparse data. With
``wᵢ``-free sums over the tables (``Nᵢ = n1ᵢ + n2ᵢ``):

- OR: ``ψ = R/S``, ``R = Σ aᵢdᵢ/Nᵢ``, ``S = Σ bᵢcᵢ/Nᵢ``; variance of ``log ψ`` by Robins,
  Breslow & Greenland (1986).
- RR: ``ψ = Σ aᵢn2ᵢ/Nᵢ / Σ cᵢn1ᵢ/Nᵢ``; variance of ``log ψ`` by Greenland & Robins (1985).
- RD: ``Σ (aᵢn2ᵢ - cᵢn1ᵢ)/Nᵢ / Σ n1ᵢn2ᵢ/Nᵢ``; variance by Sato, Greenland & Robins (1989).

For OR the Cochran-Mantel-Haenszel test of ψ = 1 (with continuity correction unless
``correct=False``) and the Breslow-Day test of homogeneity with Tarone's (1985) correction
are given too. Q, I² and H² are those metafor prints: Cochran's Q of the study-level
(escalc) effects about the MH estimate.

References
----------
Mantel N, Haenszel W. J Natl Cancer Inst. 1959;22:719-48.
Robins J, Breslow N, Greenland S. Biometrics. 1986;42:311-23.
Greenland S, Robins JM. Biometrics. 1985;41:55-68.
Sato T, Greenland S, Robins JM. Biometrics. 1989;45:1323-4.
Tarone RE. Biometrika. 1985;72:91-5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialmeta import _dist
from trialmeta import flags as fl
from trialmeta._checks import check_choice
from trialmeta.effects.binary import Tables
from trialmeta.flags import Flag
from trialmeta.stats._tables import TablePool, heterogeneity, prepare, z_inference

__all__ = ["MH_MEASURES", "MantelHaenszelResult", "pool_mh"]

MH_MEASURES = ("OR", "RR", "RD")
_NAN = float("nan")


@dataclass(frozen=True)
class MantelHaenszelResult(TablePool):
    """A Mantel-Haenszel fit (metafor ``rma.mh``); ``estimate`` is on the log scale for
    OR/RR. ``k`` counts the pooled tables, ``k_yi`` the estimable study effects behind
    ``q``. The CMH, Cochran, Breslow-Day and Tarone statistics are NaN unless OR;
    ``k_pos`` is the number of tables informative for Breslow-Day/Tarone."""

    measure: str
    correct: bool
    cmh: float
    cmh_pval: float
    cochran: float
    cochran_pval: float
    breslow_day: float
    breslow_day_pval: float
    tarone: float
    tarone_pval: float
    k_pos: int
    flags: tuple[Flag, ...] = ()


def _odds_ratio(t: Tables) -> tuple[float, float]:
    """log MH OR and its Robins-Breslow-Greenland standard error; NaN if R or S is 0."""
    n = t.n1i + t.n2i
    p, q = (t.ai + t.di) / n, (t.bi + t.ci) / n
    r, s = t.ai * t.di / n, t.bi * t.ci / n
    big_r, big_s = float(np.sum(r)), float(np.sum(s))
    if big_r == 0 or big_s == 0:
        return _NAN, _NAN
    var = 0.5 * (np.sum(p * r) / big_r**2 + np.sum(p * s + q * r) / (big_r * big_s)
                 + np.sum(q * s) / big_s**2)  # fmt: skip
    return float(np.log(big_r / big_s)), float(np.sqrt(var))


def _risk_ratio(t: Tables) -> tuple[float, float]:
    """log MH RR and its Greenland-Robins standard error; NaN without events in a group."""
    n = t.n1i + t.n2i
    if np.sum(t.ai) == 0 or np.sum(t.ci) == 0:
        return _NAN, _NAN
    r, s = float(np.sum(t.ai * t.n2i / n)), float(np.sum(t.ci * t.n1i / n))
    var = np.sum(t.n1i / n * (t.n2i / n) * (t.ai + t.ci) - t.ai / n * t.ci) / (r * s)
    return float(np.log(r / s)), float(np.sqrt(max(0.0, var)))  # 0 less rounding: all events


def _risk_difference(t: Tables) -> tuple[float, float]:
    """MH RD and its Sato-Greenland-Robins standard error."""
    a, c, n1, n2 = t.ai, t.ci, t.n1i, t.n2i
    n = n1 + n2
    w = float(np.sum(n1 * (n2 / n)))
    rd = float(np.sum(a * (n2 / n) - c * (n1 / n))) / w
    num = rd * np.sum(c * (n1 / n) ** 2 - a * (n2 / n) ** 2 + n1 / n * (n2 / n) * (n2 - n1) / 2)
    num += np.sum(a * (n2 - c) / n + c * (n1 - a) / n) / 2
    return rd, float(np.sqrt(max(0.0, num / w**2)))


def _cmh(t: Tables, correct: bool) -> tuple[float, float, float, float]:
    """Cochran's and the Cochran-Mantel-Haenszel statistics (1 df) with their p-values:
    ``(|Σ(aᵢ - n1ᵢmᵢ/Nᵢ)| - ½)² / Σ n1ᵢn2ᵢmᵢ(Nᵢ-mᵢ)/(Nᵢ²·Nᵢ)`` (Cochran; ``Nᵢ - 1`` in the
    last factor for CMH), ``mᵢ = aᵢ + cᵢ``; ½ only when ``correct``."""
    n = t.n1i + t.n2i
    xt, yt = t.ai + t.ci, t.bi + t.di
    if np.sum(xt) == 0 or np.sum(yt) == 0:
        return _NAN, _NAN, _NAN, _NAN
    num = (abs(float(np.sum(t.ai - t.n1i / n * xt))) - (0.5 if correct else 0.0)) ** 2
    var_co = float(np.sum(t.n1i / n * (t.n2i / n) * (xt * (yt / n))))
    if var_co == 0:  # no table has both outcomes: the tests are undefined (metafor: Inf)
        return _NAN, _NAN, _NAN, _NAN
    co = num / var_co
    mh = num / float(np.sum(t.n1i / n * (t.n2i / n) * (xt * (yt / (n - 1)))))
    return co, float(_dist.chi2_sf(co, 1)), mh, float(_dist.chi2_sf(mh, 1))


def _tarone(t: Tables, log_or: float) -> tuple[float, float, float, float, int]:
    """Breslow-Day statistic and Tarone's corrected version, on ``k_pos - 1`` df.

    ``N11ᵢ`` solves ``N11(N22)/(N12·N21) = ψ`` for the MH ψ given the margins; over the
    tables with ``N11 > 0`` and both outcomes observed, ``BD = Σ(aᵢ - N11ᵢ)²/Vᵢ`` with
    ``1/Vᵢ = 1/N11 + 1/N12 + 1/N21 + 1/N22`` and ``TA = BD - (Σ(aᵢ - N11ᵢ))²/ΣVᵢ``.
    """
    if not np.isfinite(log_or):
        return _NAN, _NAN, _NAN, _NAN, 0
    psi = float(np.exp(log_or))
    n1, n2 = t.n1i, t.n2i
    xt, yt = t.ai + t.ci, t.bi + t.di
    n = n1 + n2
    if psi == 1.0:
        n11 = n1 / n * xt
    else:
        big_a = psi * (n1 + xt) + (n2 - xt)
        with np.errstate(invalid="ignore"):
            big_b = np.sqrt(big_a**2 - 4 * n1 * xt * psi * (psi - 1))
        n11 = (big_a - big_b) / (2 * (psi - 1))
    pos = (n11 > 0) & (xt > 0) & (yt > 0)
    k_pos = int(np.sum(pos))
    if k_pos == 0:
        return 0.0, _NAN, _NAN, _NAN, 0
    n11, a = n11[pos], t.ai[pos]
    n12, n21 = n1[pos] - n11, xt[pos] - n11
    n22 = n11 - n1[pos] - xt[pos] + n[pos]
    v = 1.0 / (1 / n11 + 1 / n12 + 1 / n21 + 1 / n22)
    bd = max(0.0, float(np.sum((a - n11) ** 2 / v)))
    ta = max(0.0, bd - float(np.sum(a - n11)) ** 2 / float(np.sum(v)))
    if k_pos < 2:
        return bd, _NAN, ta, _NAN, k_pos
    return bd, float(_dist.chi2_sf(bd, k_pos - 1)), ta, float(_dist.chi2_sf(ta, k_pos - 1)), k_pos


def pool_mh(
    measure: str = "OR",
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
    correct: bool = True,
    level: float = 0.95,
) -> MantelHaenszelResult:
    """Mantel-Haenszel pooled OR, RR or RD, as metafor ``rma.mh(..., measure)``.

    Parameters
    ----------
    measure
        ``"OR"``, ``"RR"`` or ``"RD"``.
    ai, bi, ci, di, n1i, n2i
        Events and non-events per group, or events and group sizes.
    add, to, drop00
        Zero-cell rules (see :mod:`trialmeta.effects.binary`), each a single value or a
        pair (study-level effects, pooled tables); metafor's defaults.
    correct
        Continuity correction of the CMH test (OR).
    level
        Confidence level.

    Examples
    --------
    >>> r = pool_mh("OR", ai=[4, 0, 6], n1i=[20, 25, 30], ci=[9, 3, 10], n2i=[21, 24, 31])
    >>> round(float(np.exp(r.estimate)), 4), r.k, [str(f) for f in r.flags]
    (0.3605, 3, ['zero_cells_continuity_corrected'])
    """
    check_choice("measure", measure, MH_MEASURES)
    counts = {"ai": ai, "bi": bi, "ci": ci, "di": di, "n1i": n1i, "n2i": n2i}
    prep = prepare(measure, counts, add, to, drop00, level)
    t = prep.tables
    flags = list(prep.flags)
    co = cop = cmh = cmhp = bd = bdp = ta = tap = _NAN
    k_pos = 0
    if t.k == 0:
        est, se = _NAN, _NAN
    elif measure == "OR":
        est, se = _odds_ratio(t)
        co, cop, cmh, cmhp = _cmh(t, bool(correct))
        bd, bdp, ta, tap, k_pos = _tarone(t, est)
        if np.isfinite(est) and k_pos < 2:
            flags.append(fl.MH_TARONE_UNDEFINED)
    elif measure == "RR":
        est, se = _risk_ratio(t)
    else:
        est, se = _risk_difference(t)
    if not np.isfinite(est):
        flags.append(fl.MH_NOT_ESTIMABLE)
    z, p, lb, ub = z_inference(est, se, prep.level)
    q, q_df, q_p, i2, h2 = heterogeneity(prep.effects.yi, prep.effects.vi, est)
    return MantelHaenszelResult(
        measure=measure, k=t.k, k_yi=int(np.sum(prep.effects.estimable)), level=prep.level,
        correct=bool(correct), estimate=est, se=se, ci_lb=lb, ci_ub=ub, stat=z, pval=p,
        q=q, q_df=q_df, q_pval=q_p, i2_percent=i2, h2=h2, cmh=cmh, cmh_pval=cmhp,
        cochran=co, cochran_pval=cop, breslow_day=bd, breslow_day_pval=bdp, tarone=ta,
        tarone_pval=tap, k_pos=k_pos, flags=tuple(dict.fromkeys(flags)),
    )  # fmt: skip
