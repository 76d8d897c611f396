"""Tests of trialmeta.stats.tsa (trial sequential analysis) and trialmeta.plots.tsa.

Sources of the expected values:
- closed forms of the O'Brien-Fleming-type spending function (Lan & DeMets 1983)
  and of the required information size (Wetterslev et al. 2008, 2009);
- the Lan-DeMets O'Brien-Fleming boundaries for five equally spaced looks,
  two-sided alpha = 0.05, quoted in issue 5 as published (4.877, 3.357, 2.680,
  2.290, 2.031; the values of gsDesign ``sfLDOF`` and ldbounds, Reboussin et
  al. 2000);
- two computations that share no code with the recursive integration under
  test: scipy's multivariate normal CDF (Genz's algorithm), and Gauss-Legendre
  quadrature for nearly coincident looks, where Genz's algorithm is inexact.
R's gsDesign could not be installed here (no Debian package r-cran-gsdesign),
so no R reference file is used for the boundaries.
All data are synthetic.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from scipy import stats

from trialmeta.errors import InputError
from trialmeta.report.sentences import tsa_sentence
from trialmeta.stats.pooling import pool
from trialmeta.stats.tsa import (
    CONVENTIONAL_ONLY,
    MONITORING,
    NOT_CROSSED,
    diversity,
    lan_demets_boundaries,
    obf_alpha_spent,
    required_information_size,
    trial_sequential_analysis,
)

# Published boundaries for 5 equally spaced looks, two-sided alpha 0.05 (3 decimals).
PUBLISHED_K5 = [4.877, 3.357, 2.680, 2.290, 2.031]
PUBLISHED_TOL = 1e-3

# Synthetic trials (mean differences on a 0-100 pain scale).
SYN_YI = [-8.0, -12.0, -3.0, -15.0, -6.0, -10.0]
SYN_VI = [30.0, 40.0, 20.0, 60.0, 25.0, 35.0]
SYN_N = [40, 36, 60, 30, 80, 50]
SYN_YEAR = [2008, 2011, 2011, 2014, 2018, 2020]
SYN_STUDY = ["Lee", "Kim", "Ahn", "Zhao", "Park", "Chen"]


def exit_probability_mvn(t: np.ndarray, b: np.ndarray) -> float:
    """P(|Z_j| >= b_j for some j) with corr(Z_i, Z_j) = sqrt(t_i / t_j)."""
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    inside = stats.multivariate_normal.cdf(
        b, mean=np.zeros(len(t)), cov=cov, lower_limit=-b, abseps=1e-11, releps=1e-11,
        maxpts=2_000_000, rng=np.random.default_rng(20081),
    )  # fmt: skip
    return 1.0 - float(inside)


# --- required information size and diversity ---------------------------------


def test_ris_closed_form():
    # 4 (z_.975 + z_.80)^2 sd^2 / mcid^2
    z = stats.norm.isf(0.025) + stats.norm.isf(0.20)
    expected = 4 * z**2 * 20.0**2 / 10.0**2
    assert required_information_size(10.0, 20.0) == pytest.approx(expected, rel=1e-14)
    assert required_information_size(-10.0, 20.0) == pytest.approx(expected, rel=1e-14)
    assert expected == pytest.approx(125.58207574958546, rel=1e-12)


def test_ris_diversity_adjustment_divides_by_one_minus_d2():
    base = required_information_size(5.0, 15.0, alpha=0.01, beta=0.10)
    adjusted = required_information_size(5.0, 15.0, alpha=0.01, beta=0.10, diversity=0.6)
    assert adjusted == pytest.approx(base / 0.4, rel=1e-14)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mcid": 0.0, "sd": 1.0},
        {"mcid": 1.0, "sd": 0.0},
        {"mcid": 1.0, "sd": float("nan")},
        {"mcid": 1.0, "sd": 1.0, "alpha": 1.5},
        {"mcid": 1.0, "sd": 1.0, "beta": 0.0},
        {"mcid": 1.0, "sd": 1.0, "diversity": 1.0},
        {"mcid": 1.0, "sd": 1.0, "sides": 3},
    ],
)
def test_ris_rejects_invalid_input(kwargs):
    with pytest.raises(InputError):
        required_information_size(**kwargs)


def test_diversity_closed_form_equal_variances():
    # with equal v: v_F = v/k, v_R = (v + tau2)/k, so D2 = tau2 / (v + tau2)
    assert diversity([4.0] * 5, 1.0) == pytest.approx(1.0 / 5.0, rel=1e-14)
    assert diversity([4.0, 2.0, 9.0], 0.0) == 0.0


def test_diversity_definition_unequal_variances():
    v = np.array(SYN_VI)
    tau2 = 12.5
    v_f = 1 / np.sum(1 / v)
    v_r = 1 / np.sum(1 / (v + tau2))
    assert diversity(v, tau2) == pytest.approx((v_r - v_f) / v_r, rel=1e-14)
    with pytest.raises(InputError):
        diversity(v, -1.0)


# --- alpha spending and boundaries ------------------------------------------


def test_spending_closed_form():
    t = np.array([0.0, 0.1, 0.37, 0.5, 0.9, 1.0, 1.4])
    z = stats.norm.isf(0.05 / 4)  # each side spends alpha/2 = 0.025
    tt = np.clip(t, 0, 1)
    expected = np.where(tt > 0, 4 * stats.norm.sf(z / np.sqrt(np.where(tt > 0, tt, 1))), 0.0)
    got = obf_alpha_spent(t)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=0)
    assert got[5] == 0.05 and got[6] == 0.05
    assert np.all(np.diff(got) >= 0)


def test_one_look_at_full_information_is_the_fixed_test():
    assert lan_demets_boundaries([1.0])[0] == pytest.approx(stats.norm.isf(0.025), abs=1e-12)
    assert lan_demets_boundaries([1.0], alpha=0.01)[0] == pytest.approx(
        stats.norm.isf(0.005), abs=1e-12
    )


@pytest.mark.parametrize("t1", [0.05, 0.2, 0.5, 0.8])
def test_first_boundary_is_normal_quantile_of_first_spend(t1):
    b = lan_demets_boundaries([t1, 1.0])
    spent = obf_alpha_spent(t1)[0]
    assert b[0] == pytest.approx(stats.norm.isf(spent / 2), rel=1e-12)


def test_equally_spaced_looks_match_published_values():
    t = np.arange(1, 6) / 5
    np.testing.assert_allclose(lan_demets_boundaries(t), PUBLISHED_K5, atol=PUBLISHED_TOL)


def test_exit_probabilities_match_independent_multivariate_normal():
    t = np.array([0.15, 0.33, 0.5, 0.82, 1.0])  # unequal spacing, as trials are
    b = lan_demets_boundaries(t)
    spent = obf_alpha_spent(t)
    for k in range(1, len(t) + 1):
        assert exit_probability_mvn(t[:k], b[:k]) == pytest.approx(spent[k - 1], abs=2e-8)


def test_close_looks_match_gauss_legendre_quadrature():
    # Looks 0.0005 apart make the covariance nearly singular, where Genz's
    # algorithm loses accuracy (error ~2e-6 here). Independent check: the
    # probability of staying inside at looks 1-3 by Gauss-Legendre quadrature
    # over the scores at looks 1 and 2, the inner interval cut to ±12 SD.
    t = np.array([0.3, 0.3005, 0.301])
    b = lan_demets_boundaries(t)
    c = b * np.sqrt(t)
    sd = np.sqrt(np.diff(t, prepend=0.0))
    norm = stats.norm
    x, w = np.polynomial.legendre.leggauss(400)
    s = c[0] * x  # outer nodes on (-c1, c1)
    lo = np.maximum(-c[1], s - 12 * sd[1])[:, None]
    hi = np.minimum(c[1], s + 12 * sd[1])[:, None]
    u = lo + (hi - lo) * (x[None, :] + 1) / 2
    stay = norm.cdf((c[2] - u) / sd[2]) - norm.cdf((-c[2] - u) / sd[2])
    inner = (hi[:, 0] - lo[:, 0]) / 2 * ((norm.pdf((u - s[:, None]) / sd[1]) / sd[1] * stay) @ w)
    inside = c[0] * np.sum(w * norm.pdf(s / sd[0]) / sd[0] * inner)
    assert 1.0 - inside == pytest.approx(obf_alpha_spent(t)[2], abs=1e-11)


def test_one_sided_half_alpha_nearly_equals_two_sided_boundaries():
    # Equal at the first look; later they differ only by paths that cross the
    # lower boundary and then the upper one (probability ~1e-9 here).
    t = [0.25, 0.5, 0.75, 1.0]
    one = lan_demets_boundaries(t, alpha=0.025, sides=1)
    two = lan_demets_boundaries(t)
    assert one[0] == pytest.approx(two[0], rel=1e-13)
    np.testing.assert_allclose(one, two, rtol=1e-7)
    assert np.all(one >= two - 1e-10)  # integration error is ~1e-11


def test_information_beyond_one_rescales_spending_like_rtsa():
    a = lan_demets_boundaries([0.5, 0.9, 1.2])
    b = lan_demets_boundaries(np.array([0.5, 0.9, 1.2]) / 1.2)
    np.testing.assert_allclose(a, b, rtol=1e-10)


def test_look_that_spends_nothing_is_infinite_and_harmless():
    b = lan_demets_boundaries([1e-4, 0.5, 1.0])
    assert np.isinf(b[0])
    np.testing.assert_allclose(b[1:], lan_demets_boundaries([0.5, 1.0]), rtol=1e-7)


@pytest.mark.parametrize("bad", [[0.5, 0.5], [0.6, 0.3], [0.0, 1.0], [float("nan")]])
def test_boundaries_reject_bad_fractions(bad):
    with pytest.raises(InputError):
        lan_demets_boundaries(bad)


# --- the analysis --------------------------------------------------------------


def syn_tsa(**kwargs):
    args = {"mcid": 5.0, "sd": 22.0}
    args.update(kwargs)
    return trial_sequential_analysis(SYN_YI, SYN_VI, SYN_N, SYN_YEAR, SYN_STUDY, **args)


def test_order_is_by_year_then_study_id():
    r = syn_tsa()
    assert r.study == ("Lee", "Ahn", "Kim", "Zhao", "Park", "Chen")
    assert r.order == (0, 2, 1, 3, 4, 5)
    np.testing.assert_array_equal(r.cumulative_n, np.cumsum(np.array(SYN_N)[list(r.order)]))


def test_z_curve_is_cumulative_random_effects_z():
    r = syn_tsa(method="DL")
    o = list(r.order)
    for i in range(1, len(o) + 1):
        fit = pool(np.array(SYN_YI)[o[:i]], np.array(SYN_VI)[o[:i]], method="DL", test="z")
        assert r.z[i - 1] == pytest.approx(fit.estimate / fit.se, rel=1e-12)


def test_ris_uses_diversity_of_the_full_fit_unless_given():
    r = syn_tsa(method="DL")
    d2 = diversity(SYN_VI, pool(SYN_YI, SYN_VI, method="DL").tau2)
    assert r.diversity == pytest.approx(d2, rel=1e-12)
    assert r.ris == pytest.approx(required_information_size(5.0, 22.0, diversity=d2), rel=1e-12)
    fixed = syn_tsa(d2=0.25)
    assert fixed.ris == pytest.approx(fixed.ris_unadjusted / 0.75, rel=1e-12)
    np.testing.assert_allclose(fixed.information_fraction, fixed.cumulative_n / fixed.ris)


def test_design_adds_the_final_look_at_the_ris():
    r = syn_tsa(mcid=3.0)
    assert r.accrued_fraction < 1
    assert r.design_n[-1] == pytest.approx(r.ris)
    np.testing.assert_allclose(r.design_n[:-1], r.cumulative_n)
    np.testing.assert_allclose(r.boundary_z, r.design_boundary_z[:-1])
    np.testing.assert_allclose(
        r.design_boundary_z, lan_demets_boundaries(r.design_n / r.ris), rtol=1e-12
    )


def test_status_monitoring_boundary_crossed():
    r = syn_tsa(mcid=5.0)
    assert r.status == MONITORING and r.crossed_monitoring
    assert abs(r.z[r.first_crossing]) >= r.boundary_z[r.first_crossing]
    assert "crossed the trial sequential monitoring boundary" in tsa_sentence(r)


def test_status_conventional_only():
    # synthetic: z reaches -2.3 at 10% of a large RIS, far inside the boundary
    r = trial_sequential_analysis(
        [-9.0, -7.0], [25.0, 20.0], [40, 40], [2001, 2002], mcid=2.0, sd=25.0, method="FE"
    )
    assert r.status == CONVENTIONAL_ONLY
    assert r.crossed_conventional and not r.crossed_monitoring and r.first_crossing == -1
    assert "tsa_conventional_boundary_crossed_not_monitoring" in r.flags
    assert "but not the monitoring boundary" in tsa_sentence(r)


def test_status_not_crossed_and_sentence_numbers():
    r = trial_sequential_analysis(
        [-8, -12], [60.0, 80.0], [40, 50], [2010, 2015], ["A", "B"], mcid=10, sd=20, method="FE"
    )
    assert r.status == NOT_CROSSED
    ris = int(np.ceil(required_information_size(10, 20)))
    pct = round(100 * 90 / required_information_size(10, 20))
    assert tsa_sentence(r) == (
        f"accrued information is {pct}% of the required {ris:,} participants; "
        "the boundary was not crossed"
    )
    assert "tsa_required_information_size_not_reached" in r.flags


def test_sentence_formats_thousands_and_exceeded_ris():
    big = syn_tsa(mcid=0.5)
    assert re.fullmatch(
        r"accrued information is \d+% of the required \d{1,3}(,\d{3})+ participants; .+",
        tsa_sentence(big),
    )
    small = syn_tsa(mcid=12.0)
    assert small.accrued_fraction > 1
    assert tsa_sentence(small).startswith("accrued information (296 participants) exceeds")


def test_result_is_frozen_and_json_safe():
    r = syn_tsa()
    with pytest.raises(AttributeError):
        r.ris = 1.0  # type: ignore[misc]
    text = json.dumps(r.to_dict(), allow_nan=False)
    assert '"status": "monitoring_boundary_crossed"' in text


@pytest.mark.parametrize(
    "kwargs",
    [{"n": [40, 0, 60, 30, 80, 50]}, {"year": [2008.5] * 6}, {"study": ["a"]}],
)
def test_analysis_rejects_bad_input(kwargs):
    args = {"yi": SYN_YI, "vi": SYN_VI, "n": SYN_N, "year": SYN_YEAR, "study": SYN_STUDY}
    args.update(kwargs)
    with pytest.raises(InputError):
        trial_sequential_analysis(**args, mcid=5.0, sd=22.0)


# --- the plot ---------------------------------------------------------------------


def test_truncate_boundary_interpolates_the_cap_crossing():
    from trialmeta.plots.tsa import truncate_boundary

    x, z = truncate_boundary(np.array([10.0, 20.0, 40.0]), np.array([np.inf, 6.0, 3.0]), 8.0)
    np.testing.assert_allclose(x, [10.0, 20.0, 40.0])
    np.testing.assert_allclose(z, [8.0, 6.0, 3.0])
    x, z = truncate_boundary(np.array([0.0, 10.0, 20.0]), np.array([16.0, 4.0, 2.0]), 8.0)
    np.testing.assert_allclose(x, [20.0 / 3.0, 10.0, 20.0])
    assert truncate_boundary(np.array([1.0]), np.array([9.0]), 8.0)[0].size == 0


def test_plot_reads_result_and_saves_byte_identical_files(tmp_path):
    import matplotlib.pyplot as plt

    from trialmeta.plots._style import save_figure
    from trialmeta.plots.tsa import draw_tsa

    r = syn_tsa()
    contents = []
    for run in ("a", "b"):
        fig = draw_tsa(r, title="synthetic")
        paths = save_figure(fig, tmp_path / run / "tsa")
        plt.close(fig)
        assert [p.suffix for p in paths] == [".png", ".svg", ".pdf"]
        contents.append([p.read_bytes() for p in paths])
    assert contents[0] == contents[1]
    assert b"CreationDate" not in contents[0][2]
    svg = contents[0][1].decode()
    assert "<dc:date>" not in svg
