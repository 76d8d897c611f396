"""Edge cases of pool(): small k, boundaries and regressions of other packages."""

from __future__ import annotations

import math

import numpy as np
import pytest

import trialmeta
from trialmeta import flags as fl
from trialmeta.errors import InputError

METHODS = ("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")


@pytest.mark.parametrize("method", [m for m in METHODS if m != "SJ"])
def test_statsmodels_negative_tau2_regression(method):
    # statsmodels 0.15 combine_effects(method_re="dl") gives tau2 = -0.049 and I2 = -492
    # for these data (STYLE.md); Q = 0.0329 < df = 2, so every truncated estimator gives 0.
    # (SJ is positive by construction: tau0^2 * Q(tau0^2)/(k-1); tested below.)
    r = trialmeta.pool([0.10, 0.11, 0.12], [0.04, 0.05, 0.06], method=method)
    assert r.tau2 == 0.0
    assert r.i2_percent == 0.0
    assert r.h2 == pytest.approx(1.0) if method != "FE" else r.h2 < 1


def test_sj_is_positive_by_construction_on_the_regression_set():
    # Sidik & Jonkman (2005): tau2 = tau0 * Q(tau0) / (k-1), tau0 = mean((y - ybar)^2)
    y, v = np.array([0.10, 0.11, 0.12]), np.array([0.04, 0.05, 0.06])
    t0 = np.mean((y - y.mean()) ** 2)
    w = 1 / (v + t0)
    mu = np.sum(w * y) / np.sum(w)
    expected = t0 * np.sum(w * (y - mu) ** 2) / 2
    r = trialmeta.pool(y, v, method="SJ")
    assert r.tau2 == pytest.approx(expected, rel=1e-12) and r.tau2 > 0


def test_k1_pools_to_the_study_with_flags():
    r = trialmeta.pool([0.4], [0.09], method="REML")
    assert r.k == 1 and r.estimate == 0.4 and r.se == pytest.approx(0.3)
    # metafor 3.8-1: rma(0.4, 0.09) gives ci = 0.4 -/+ 1.959964 * 0.3
    assert r.ci_lb == pytest.approx(0.4 - 1.959963984540054 * 0.3, rel=1e-12)
    assert math.isnan(r.tau2) and math.isnan(r.i2_percent) and math.isnan(r.q)
    assert fl.K1 in r.flags and fl.K_LT_3_NO_PI in r.flags


def test_k2_knha_has_one_df_and_no_pi():
    r = trialmeta.pool([0.1, 0.5], [0.02, 0.03], method="REML", test="knha")
    assert r.df == 1.0
    assert math.isnan(r.pi_lb) and math.isnan(r.pi_ub)
    assert fl.K_LT_3_NO_PI in r.flags


def test_identical_estimates_have_zero_tau2_and_zero_knha_scale():
    r = trialmeta.pool([0.3] * 5, [0.01, 0.02, 0.03, 0.04, 0.05], method="REML", test="knha")
    assert r.tau2 == 0.0 and r.q == pytest.approx(0.0, abs=1e-12)
    assert fl.TAU2_BOUNDARY in r.flags and fl.KNHA_ZERO_RSS in r.flags


def test_pm_beyond_metafor_tau2_max_is_flagged_and_solves_q_equation():
    # synthetic: spread of hundreds with unit variances, so tau2 >> 100
    y = np.array([-300.0, -100.0, 0.0, 150.0, 400.0])
    v = np.ones(5)
    r = trialmeta.pool(y, v, method="PM")
    w = 1 / (v + r.tau2)
    mu = np.sum(w * y) / np.sum(w)
    assert np.sum(w * (y - mu) ** 2) == pytest.approx(4.0, rel=1e-10)
    assert fl.TAU2_BEYOND_METAFOR_MAX in r.flags


def test_weights_sum_to_100_in_input_order():
    r = trialmeta.pool([0.1, 0.2, 0.3], [0.01, 0.04, 0.01], method="FE")
    assert sum(r.weights_percent) == pytest.approx(100.0)
    assert r.weights_percent[0] == pytest.approx(r.weights_percent[2])
    assert r.weights_percent[1] == pytest.approx(100 * 25 / (100 + 25 + 100))


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"yi": [0.1, 0.2], "vi": [0.1, 0.0]}, "vi"),
        ({"yi": [0.1, 0.2], "vi": [0.1, -1]}, "vi"),
        ({"yi": [0.1, float("nan")], "vi": [0.1, 0.1]}, "yi"),
        ({"yi": [0.1, 0.2], "vi": [0.1, float("nan")]}, "vi"),
        ({"yi": [0.1, 0.2, 0.3], "vi": [0.1, 0.1]}, "vi"),
        ({"yi": [], "vi": []}, "yi"),
        ({"yi": [0.1, "x"], "vi": [0.1, 0.1]}, "yi"),
        ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "method": "XYZ"}, "method"),
        ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "test": "t"}, "test"),
        ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "level": 95}, "level"),
    ],
)
def test_bad_input_names_argument(kwargs, argument):
    with pytest.raises(InputError) as info:
        trialmeta.pool(**kwargs)
    assert info.value.argument == argument
    assert argument in str(info.value)


def test_bad_input_names_row_and_value():
    with pytest.raises(InputError, match=r"vi\[2\]: got -0.5"):
        trialmeta.pool([1, 2, 3], [0.1, 0.2, -0.5])


@pytest.mark.parametrize(
    ("field", "value", "row"),
    [("sd1i", 0.0, 1), ("sd2i", -2.0, 0), ("n1i", 1, 1), ("n2i", float("nan"), 0)],
)
def test_effect_sizes_bad_input(field, value, row):
    args = {"m1i": [1, 2], "sd1i": [1, 1], "n1i": [10, 10], "m2i": [0, 0], "sd2i": [1, 1],
            "n2i": [10, 10]}  # fmt: skip
    args[field] = list(args[field])
    args[field][row] = value
    with pytest.raises(InputError) as info:
        trialmeta.effect_sizes("MD", **args)
    assert info.value.argument == field and info.value.row == row


def test_unknown_measure():
    with pytest.raises(InputError, match="measure"):
        trialmeta.effect_sizes("OR", m1i=[1], sd1i=[1], n1i=[5], m2i=[1], sd2i=[1], n2i=[5])


def test_md_variance_formula():
    es = trialmeta.effect_sizes("MD", m1i=[10], sd1i=[4], n1i=[20], m2i=[12], sd2i=[5], n2i=[25])
    assert es.yi[0] == -2 and es.vi[0] == pytest.approx(16 / 20 + 25 / 25)


def test_small_study_tests_flag_k_below_10():
    y = [0.1, 0.3, 0.35, 0.65, 0.2]
    v = [0.01, 0.02, 0.015, 0.04, 0.03]
    for fn in (trialmeta.egger_test, trialmeta.begg_test, trialmeta.trim_and_fill):
        res = fn(y, v)
        assert fl.K_LT_10 in res.flags


def test_small_study_tests_need_three_studies():
    for fn in (trialmeta.egger_test, trialmeta.begg_test, trialmeta.trim_and_fill):
        with pytest.raises(InputError):
            fn([0.1, 0.2], [0.01, 0.02])


@pytest.mark.parametrize("method", ["ML", "REML", "EB"])
def test_fallback_solver_when_fisher_scoring_stalls(method, monkeypatch):
    # Force Fisher scoring to stop after 2 iterations: the bracketing fallback must give the
    # same estimate (the root of the same estimating equation) and say so in a flag.
    y = np.array([0.1, 0.3, 0.35, 0.65, 0.2, 0.9, 0.05, 0.4])
    v = np.array([0.01, 0.02, 0.015, 0.04, 0.03, 0.09, 0.005, 0.05])
    normal = trialmeta.pool(y, v, method=method)
    from trialmeta.stats import tau2 as tau2_module

    monkeypatch.setattr(tau2_module, "_MAXITER", 2)
    forced = trialmeta.pool(y, v, method=method)
    assert fl.FALLBACK_SOLVER in forced.flags and fl.FALLBACK_SOLVER not in normal.flags
    assert forced.converged
    assert forced.tau2 == pytest.approx(normal.tau2, rel=1e-10)
    assert forced.estimate == pytest.approx(normal.estimate, rel=1e-10)
