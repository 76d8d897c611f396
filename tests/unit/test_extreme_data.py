"""Valid but extreme data never crash the core: a correct answer with a flag, or
``NotComputableError`` with its reason (reliability review F5, F6, F14, F15; SYNTHETIC data).
metafor agreement of these paths: tests/reference/test_metafor_extreme.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trialmeta
from trialmeta import flags as fl
from trialmeta.errors import NotComputableError
from trialmeta.resampling.gosh import gosh
from trialmeta.resampling.permutation import permutation_test
from trialmeta.stats import _projection
from trialmeta.stats._kendall import kendall_s
from trialmeta.stats.cumulative import cumulative
from trialmeta.stats.leave_one_out import leave_one_out
from trialmeta.stats.metareg import meta_regression
from trialmeta.stats.small_study import begg_test, egger_test, trim_and_fill
from trialmeta.stats.tau2 import projection, projection_sums

METHODS = ("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
# The reproductions of review F14 (`trialmeta pool` crashed with ZeroDivisionError,
# LinAlgError, ArithmeticError, OverflowError, ValueError) and F6 (sd = 1e-100).
EXTREME = {
    "yi_1e100": ([1e100, -1e100, 5.0], [1.0, 1.0, 1.0]),
    "yi_1e155": ([1e155, -1e155, 5.0], [1.0, 1.0, 1.0]),
    "yi_1e200": ([1e200, -1e200, 5.0], [1.0, 1.0, 1.0]),
    "vi_1e-200": ([1.0, 2.0, 1.5], [1e-200, 0.5, 0.4]),
    "vi_1e-310": ([1.0, 2.0, 1.5], [1e-310, 0.5, 0.4]),
    "vi_subnormal": ([1.0, 2.0, 1.5], [5e-324, 0.5, 0.4]),
    "sd_1e-100": ([-5.0, 3.0, -10.0, 2.0, -1.0], [7e-202, 30.0, 50.0, 20.0, 40.0]),
}
CALLS = {
    "pool": lambda y, v: [trialmeta.pool(y, v, method=m) for m in METHODS],
    "egger": egger_test,
    "begg": begg_test,
    "trimfill": lambda y, v: trim_and_fill(y, v, method="REML"),
    "leave_one_out": leave_one_out,
    "cumulative": cumulative,
    "meta_regression": lambda y, v: meta_regression(y, v, np.arange(len(y), dtype=float)),
    "gosh": lambda y, v: gosh(y, v, max_subsets=100),
    "permutation": lambda y, v: permutation_test(y, v, n_permutations=20),
}


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("case", sorted(EXTREME))
def test_extreme_data_is_declined_with_a_reason(case, call):
    y, v = EXTREME[case]
    with pytest.raises(NotComputableError) as info:
        CALLS[call](np.array(y), np.array(v))
    assert info.value.flag == fl.NOT_COMPUTABLE_RANGE
    assert info.value.argument in ("yi", "vi") and info.value.row is not None
    assert "double precision" in info.value.reason


def test_message_points_at_the_value_to_check():
    with pytest.raises(NotComputableError) as info:
        trialmeta.pool(*EXTREME["sd_1e-100"])
    assert (info.value.argument, info.value.row) == ("vi", 0)
    assert str(info.value).startswith("vi[0]: not computable (the sampling variances span 1e")
    with pytest.raises(NotComputableError) as info:
        trialmeta.pool(*EXTREME["yi_1e100"])
    assert (info.value.argument, info.value.row) == ("yi", 0)


@pytest.mark.parametrize("call", ["pool", "egger", "begg", "trimfill", "leave_one_out"])
@pytest.mark.parametrize("exponent", [-500, -130, 70, 400])
def test_rescaled_estimators_are_exact_at_any_magnitude(call, exponent):
    # yi -> 2^e yi, vi -> 4^e vi is exact in binary floating point: results equal the unit
    # scale ones times 2^e (location) or 4^e (variance); p-values are unchanged.
    rng = np.random.default_rng(3)
    y, v = rng.normal(0, 1, 12), rng.uniform(0.05, 1.0, 12)
    big = CALLS[call](np.ldexp(y, exponent), np.ldexp(v, 2 * exponent))
    unit = CALLS[call](y, v)
    for a, b in zip(np.atleast_1d(big), np.atleast_1d(unit), strict=True):
        for field in ("estimate", "se", "ci_lb", "pi_ub", "limit_estimate", "filled_yi"):
            if hasattr(b, field):
                np.testing.assert_allclose(np.ldexp(getattr(b, field), exponent),
                                           getattr(a, field), rtol=1e-9)  # fmt: skip
        for field in ("tau2", "tau2_ci_ub", "filled_vi"):
            if hasattr(b, field):
                np.testing.assert_allclose(np.ldexp(getattr(b, field), 2 * exponent),
                                           getattr(a, field), rtol=1e-7, atol=0)  # fmt: skip
        if hasattr(b, "pval"):
            np.testing.assert_allclose(a.pval, b.pval, rtol=1e-9)


def test_metafor_tau2_max_flag_follows_the_original_units():
    y, v = np.array([0.1, 0.9, 0.4, -0.3]), np.array([0.02, 0.03, 0.05, 0.04])
    assert fl.TAU2_BEYOND_METAFOR_MAX not in trialmeta.pool(y, v).flags
    big = trialmeta.pool(y * 2.0**50, v * 2.0**100)
    assert big.tau2 > 100 and fl.TAU2_BEYOND_METAFOR_MAX in big.flags


def test_equal_variances_for_every_method():
    # F5: every study with the same SE: pool works, Egger and Begg say why they cannot
    y = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    v = np.full(5, 0.3)
    for method in METHODS:
        assert np.isfinite(trialmeta.pool(y, v, method=method).estimate)
    assert fl.EGGER_SEI_CONSTANT in egger_test(y, v).flags
    assert fl.BEGG_ALL_TIED in begg_test(y, v).flags
    for method in METHODS:
        with pytest.raises(NotComputableError):
            trim_and_fill(y, v, method=method)
    # nearly equal SEs (beyond R's 1e-7 rank tolerance) are still regressed on
    e = egger_test(y, v * (1 + 1e-3 * np.arange(5)))
    assert fl.EGGER_SEI_CONSTANT not in e.flags and np.isfinite(e.pval)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=2, max_size=40),
       st.booleans())  # fmt: skip
def test_kendall_s_equals_the_pairwise_definition(pairs, negate):
    x = np.array([p[0] for p in pairs], dtype=float)
    y = np.array([p[1] for p in pairs], dtype=float) * (-1 if negate else 1)
    i, j = np.triu_indices(len(x), k=1)
    assert kendall_s(x, y) == int(np.sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j])))


def test_begg_on_100000_studies_is_linearithmic():
    # F15: the pairwise S needed 37 GiB at k = 100,000
    rng = np.random.default_rng(11)
    r = begg_test(rng.normal(0, 1, 100_000), rng.uniform(0.01, 1, 100_000))
    assert not r.exact and fl.BEGG_NORMAL_LARGE_K in r.flags and abs(r.tau) < 0.02


def test_low_rank_traces_equal_the_explicit_projection():
    rng = np.random.default_rng(2)
    k = 40
    X = np.column_stack([np.ones(k), rng.normal(size=k), rng.uniform(size=k)])
    v = rng.uniform(0.01, 1, k)
    w = 1.0 / (v + 0.2)
    s = projection_sums(w, v, X)
    P = projection(w, X)
    assert np.isclose(np.trace(P), s.tr)
    np.testing.assert_allclose(_projection.lowrank_traces(w, v, X),
                               (s.tr, s.pp, s.trpv, s.pvpv, s.pvp), rtol=1e-12)  # fmt: skip


def test_low_rank_fits_equal_the_explicit_ones(monkeypatch):
    rng = np.random.default_rng(4)
    k = 80
    y, v, x = rng.normal(0, 1, k), rng.uniform(0.02, 1, k), rng.normal(size=k)
    explicit = [meta_regression(y, v, x, method=m) for m in ("REML", "ML", "EB", "DL", "SJ")]
    tf = trim_and_fill(y + 0.5 * np.sqrt(v), v, method="REML")
    monkeypatch.setattr(_projection, "LOW_RANK_MIN_K", 10)
    monkeypatch.setattr("trialmeta.stats.tau2.LOW_RANK_MIN_K", 10)
    for a, m in zip(explicit, ("REML", "ML", "EB", "DL", "SJ"), strict=True):
        b = meta_regression(y, v, x, method=m)
        np.testing.assert_allclose(b.coef, a.coef, rtol=1e-10)
        assert b.tau2 == pytest.approx(a.tau2, rel=1e-9, abs=1e-14)
    tf2 = trim_and_fill(y + 0.5 * np.sqrt(v), v, method="REML")
    assert (tf2.k0, tf2.side) == (tf.k0, tf.side)
