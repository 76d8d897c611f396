"""Futility boundaries (beta spending), ordering without a year, and agreement with the
primary analysis (issue 8, section 6).

Independent check: the probability of stopping for futility at look k under the design
alternative, P(a_j <= |Z_j| < b_j for j < k, |Z_k| < a_k), is computed with scipy's
multivariate normal CDF (Genz's algorithm; no code shared with the recursive integration)
as a sum over the 2^(k-1) sign patterns of the continuation region, and must equal the
beta spent at that look, beta(t_k) - beta(t_{k-1}) with beta(t) = 2 - 2 Phi(z_{1-beta/2}
/ sqrt t) (O'Brien-Fleming-type spending; Pampallona & Tsiatis 1994). All data synthetic.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from trialmeta.report.sentences import tsa_sentence
from trialmeta.stats.cumulative import cumulative
from trialmeta.stats.group_sequential import (
    beta_spending_futility,
    lan_demets_boundaries,
    obf_beta_spent,
)
from trialmeta.stats.pooling import pool
from trialmeta.stats.tsa import MONITORING, trial_sequential_analysis

ALPHA, BETA = 0.05, 0.20
THETA = stats.norm.isf(ALPHA / 2) + stats.norm.isf(BETA)


def futility_stop_mvn(t: np.ndarray, a: np.ndarray, b: np.ndarray, k: int) -> float:
    """P(continue at looks < k, |Z_k| < a_k) under drift THETA sqrt(t), by Genz MVN."""
    tt = t[: k + 1]
    cov = np.sqrt(np.minimum.outer(tt, tt) / np.maximum.outer(tt, tt))
    mean = THETA * np.sqrt(tt)
    total = 0.0
    for signs in itertools.product((1, -1), repeat=k):
        lo, hi = [], []
        for j, s in enumerate(signs):
            lo.append(a[j] if s > 0 else -b[j])
            hi.append(b[j] if s > 0 else -a[j])
        lo.append(-a[k])
        hi.append(a[k])
        total += stats.multivariate_normal.cdf(
            np.array(hi),
            mean=mean,
            cov=cov,
            lower_limit=np.array(lo),
            abseps=1e-10,
            releps=1e-10,
            maxpts=4_000_000,
            rng=np.random.default_rng(2017),
        )
    return float(total)


@pytest.mark.parametrize("t", [np.array([0.25, 0.5, 0.75, 1.0]), np.array([0.15, 0.4, 0.62, 0.9])])
def test_futility_boundaries_spend_beta_as_designed(t):
    b = lan_demets_boundaries(t)
    a = beta_spending_futility(t, b, ALPHA, BETA)
    spent = np.diff(obf_beta_spent(t, BETA), prepend=0.0)
    for k in range(len(t)):
        if k == len(t) - 1 and t[-1] >= 1.0:
            assert a[k] == b[k]  # the wedge closes at the required information size
            continue
        assert futility_stop_mvn(t, a, b, k) == pytest.approx(spent[k], abs=2e-6)
    assert np.all(np.diff(a) > 0) and np.all(a <= b)


def test_first_futility_boundary_closed_form():
    # look 1: P(|Z_1| < a) with Z_1 ~ N(theta sqrt t1, 1) equals beta(t1)
    t = np.array([0.3, 1.0])
    a = beta_spending_futility(t, lan_demets_boundaries(t))
    mu = THETA * math.sqrt(0.3)
    p = stats.norm.cdf(a[0] - mu) - stats.norm.cdf(-a[0] - mu)
    assert p == pytest.approx(obf_beta_spent([0.3], BETA)[0], rel=1e-9)


YI = [-8.0, -12.0, -3.0, -15.0, -6.0, -10.0]
VI = [30.0, 40.0, 20.0, 60.0, 25.0, 35.0]
N = [40, 36, 60, 30, 80, 50]


def test_missing_year_is_ordered_by_sheet_position_with_a_flag():
    years = [2008, 2011, float("nan"), 2014, 2018, 2020]
    r = trial_sequential_analysis(
        YI, VI, N, years, list("ABCDEF"), mcid=10, sd=20, method="REML", test="knha"
    )
    assert r.study == ("A", "B", "C", "D", "E", "F")  # C after B, its sheet predecessor
    assert r.year_imputed == (False, False, True, False, False, False) and r.year[2] is None
    assert "tsa_year_missing_ordered_by_sheet_position" in r.flags
    first = trial_sequential_analysis(
        YI[:2], VI[:2], N[:2], [float("nan"), 2010], ["X", "Y"], mcid=10, sd=20
    )
    assert first.study == ("X", "Y")


def test_z_curve_uses_the_primary_model_and_test():
    # metafor 3.8-1 convention: knha t with df = k - 1; z has the same two-sided P
    years = [2008, 2011, 2011, 2014, 2018, 2020]
    r = trial_sequential_analysis(
        YI, VI, N, years, list("ABCDEF"), mcid=10, sd=20, method="REML", test="knha"
    )
    full = pool(np.array(YI), np.array(VI), method="REML", test="knha")
    assert r.primary_pval == pytest.approx(full.pval, rel=1e-10)
    assert abs(r.z[-1]) == pytest.approx(stats.norm.isf(full.pval / 2), rel=1e-10)
    cz = cumulative(np.array(YI), np.array(VI), order=np.arange(6.0), method="REML", test="z")
    assert r.z[0] == pytest.approx(cz.stat[0])  # k = 1: no Hartung-Knapp df, Wald z


def test_tsa_never_contradicts_a_non_significant_primary_result():
    # two trials: Wald z crosses the boundary, Hartung-Knapp (df = 1) does not reach p < 0.05
    y, v, n = [-9.0, -5.0], [4.0, 3.0], [400, 420]
    wald = trial_sequential_analysis(
        y, v, n, [2010, 2012], ["A", "B"], mcid=10, sd=20, method="REML", test="z"
    )
    hk = trial_sequential_analysis(
        y, v, n, [2010, 2012], ["A", "B"], mcid=10, sd=20, method="REML", test="knha"
    )
    prim = pool(np.array(y), np.array(v), method="REML", test="knha")
    assert wald.status == MONITORING
    assert prim.ci_lb < 0 < prim.ci_ub or prim.pval >= 0.05
    assert hk.status != MONITORING and not hk.primary_significant
    assert "crossed the trial sequential monitoring boundary" not in tsa_sentence(hk)


def test_futility_reached_is_stated():
    # a large null result: inside the inner wedge once the information is nearly complete
    y, v, n = [0.5, -0.3, 0.2], [2.0, 2.5, 2.2], [300, 280, 310]
    r = trial_sequential_analysis(
        y, v, n, [2001, 2005, 2009], ["A", "B", "C"], mcid=10, sd=20, method="REML", test="knha"
    )
    assert r.crossed_futility and "futility" in tsa_sentence(r)
    assert r.futility_z[-1] > abs(r.z[-1])
