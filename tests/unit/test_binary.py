"""Binary effect sizes, Mantel-Haenszel and Peto: published worked examples, zero cells,
edge cases and bad input. The metafor grid itself is in tests/reference/test_metafor_binary.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trialmeta
from trialmeta.errors import InputError

# Rothman KJ, Greenland S, Lash TL. Modern Epidemiology, 3rd ed. 2008, chapter 15, Table 15-1
# (tolbutamide and death, by age); the values below are those metafor's analysis example
# (tests/testthat/test_analysis_example_rothman2008.r) checks against the chapter.
TOLBUTAMIDE = {"ai": [8, 22], "bi": [98, 76], "ci": [5, 16], "di": [115, 69]}


def test_mantel_haenszel_reproduces_rothman_2008_table_15_1():
    rd = trialmeta.pool_mh("RD", **TOLBUTAMIDE, level=0.90)
    assert [round(x, 4) for x in (rd.estimate, rd.ci_lb, rd.ci_ub, rd.q)] == [
        0.0349,
        -0.0176,
        0.0874,
        0.0017,
    ]
    rr = trialmeta.pool_mh("RR", **TOLBUTAMIDE, level=0.90)
    assert [round(float(np.exp(x)), 4) for x in (rr.estimate, rr.ci_lb, rr.ci_ub)] == [
        1.3256,
        0.8658,
        2.0296,
    ]
    assert round(rr.q, 4) == 0.4472 and round(rr.q_pval, 4) == 0.5037
    odds = trialmeta.pool_mh("OR", **TOLBUTAMIDE, correct=False, level=0.90)
    assert [round(float(np.exp(x)), 4) for x in (odds.estimate, odds.ci_lb, odds.ci_ub)] == [
        1.4031,
        0.8411,
        2.3409,
    ]
    assert [round(x, 4) for x in (odds.cochran, odds.cmh, odds.tarone)] == [1.1976, 1.1914,
                                                                            0.3489]  # fmt: skip
    assert [round(x, 4) for x in (odds.cochran_pval, odds.cmh_pval, odds.tarone_pval)] == [
        0.2738,
        0.2750,
        0.5547,
    ]


def test_peto_reproduces_yusuf_1985_page_107():
    # Yusuf S et al. Prog Cardiovasc Dis 1985;27:335-71, p. 107 (table 6 trials): Peto OR
    # 0.93 (95% CI 0.74 to 1.18); the rows with missing counts are left out, as there.
    ai = [14, 18, 15, 10, 21, 3, 2, 19, 15, 5, 0, 8, 3, 0, 1, 0, 14, 0, 8, 6, 3]
    n1i = [56, 66, 100, 52, 226, 38, 20, 76, 106, 62, 9, 133, 48, 16, 42, 25, 221, 11, 259,
           157, 177]  # fmt: skip
    ci = [15, 19, 12, 12, 24, 6, 3, 15, 9, 4, 0, 11, 3, 0, 1, 3, 15, 0, 7, 4, 2]
    n2i = [58, 64, 95, 47, 228, 31, 20, 67, 114, 57, 8, 127, 49, 13, 46, 25, 228, 11, 129,
           158, 136]  # fmt: skip
    r = trialmeta.pool_peto(ai=ai, n1i=n1i, ci=ci, n2i=n2i)
    peto_or = [round(float(np.exp(x)), 2) for x in (r.estimate, r.ci_lb, r.ci_ub)]
    assert peto_or == [0.93, 0.74, 1.18]
    assert r.k_yi == 18 and "double_zero_studies_dropped" in r.flags


def test_zero_cells_follow_the_rule_and_are_flagged():
    t = {"ai": [0, 4, 0], "n1i": [10, 20, 15], "ci": [3, 6, 0], "n2i": [12, 18, 15]}
    only0 = trialmeta.effect_sizes("OR", **t)
    assert list(only0.corrected) == [True, False, True]
    assert "zero_cells_continuity_corrected" in only0.flags
    assert only0.yi[0] == pytest.approx(np.log(0.5 / 10.5) - np.log(3.5 / 9.5), rel=1e-14)
    dropped = trialmeta.effect_sizes("OR", **t, drop00=True)
    assert list(dropped.dropped) == [False, False, True] and np.isnan(dropped.yi[2])
    assert list(dropped.estimable) == [True, True, False]
    none = trialmeta.effect_sizes("OR", **t, to="none")
    assert np.isnan(none.yi[0]) and "study_effect_not_estimable" in none.flags
    assert not none.corrected.any()
    every = trialmeta.effect_sizes("RR", **t, to="all", add=0.25)
    assert every.corrected.all()
    assert every.ni.tolist() == [22, 38, 30]


def test_risk_difference_needs_no_correction_but_metafor_adds_one():
    # escalc's RD adds 1/2 to tables with a zero cell too (to="only0"); to="none" gives p1 - p2
    raw = trialmeta.effect_sizes("RD", ai=[0], n1i=[10], ci=[2], n2i=[10], to="none")
    assert raw.yi[0] == pytest.approx(-0.2) and raw.vi[0] == pytest.approx(0.016)


def test_mantel_haenszel_not_estimable_is_nan_with_a_flag():
    r = trialmeta.pool_mh("OR", ai=[0, 0], n1i=[10, 12], ci=[2, 1], n2i=[11, 12])
    assert np.isnan(r.estimate) and "mantel_haenszel_estimate_not_estimable" in r.flags
    rd = trialmeta.pool_mh("RD", ai=[0, 0], n1i=[10, 12], ci=[2, 1], n2i=[11, 12])
    assert rd.estimate < 0 and np.isfinite(rd.se)


def test_peto_without_any_event_is_nan_with_a_flag():
    r = trialmeta.pool_peto(ai=[0, 0], n1i=[10, 12], ci=[0, 0], n2i=[11, 12])
    assert np.isnan(r.estimate) and "peto_estimate_not_estimable" in r.flags


def test_single_table():
    r = trialmeta.pool_mh("OR", ai=[12], n1i=[50], ci=[20], n2i=[48])
    assert r.k == 1 and r.q == 0 and r.q_pval == 1 and r.i2_percent == 0 and r.h2 == 1
    assert "tarone_test_fewer_than_2_informative_tables" in r.flags
    es = trialmeta.effect_sizes("OR", ai=[12], n1i=[50], ci=[20], n2i=[48])
    assert r.estimate == pytest.approx(float(es.yi[0]), rel=1e-12)  # MH of one table = its OR


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ai": [5, 12], "n1i": [10, 11], "ci": [1, 2], "n2i": [10, 10]}, r"ai\[1\]: got 12.0"),
        ({"ai": [-1], "n1i": [10], "ci": [1], "n2i": [10]}, r"ai\[0\].*count >= 0"),
        ({"ai": [1], "bi": [9], "n1i": [12], "ci": [1], "n2i": [10]}, r"n1i\[0\].*ai \+ bi"),
        ({"ai": [1], "ci": [1], "n2i": [10]}, "bi or n1i"),
        ({"ai": [1], "n1i": [0], "ci": [0], "n2i": [10]}, "at most n1i"),
        ({"ai": [1], "n1i": [10], "ci": [1], "n2i": [10], "m1i": [3.0]}, "no m1i"),
        ({"ai": [1], "n1i": [10], "ci": [1], "n2i": [10], "to": "some"}, "only0"),
        ({"ai": [1], "n1i": [10], "ci": [1], "n2i": [10], "add": -1}, "add"),
        ({"ai": [1], "n1i": [10], "ci": [1], "n2i": [10], "vtype": "UB"}, "vtype"),
    ],
)
def test_bad_counts_raise_a_located_error(kwargs, match):
    with pytest.raises(InputError, match=match):
        trialmeta.effect_sizes("OR", **kwargs)


def test_mh_rejects_bad_pairs_and_measures():
    t = {"ai": [1, 2], "n1i": [10, 10], "ci": [3, 1], "n2i": [10, 10]}
    with pytest.raises(InputError, match="measure"):
        trialmeta.pool_mh("PETO", **t)
    with pytest.raises(InputError, match="add"):
        trialmeta.pool_mh("OR", **t, add=(0.5, 0.5, 0.5))


def test_approximate_hedges_correction_is_the_handbook_formula():
    # Cochrane Handbook v6.5, 6.5.1.2: g = SMD x (1 - 3/(4N - 9)), N = n1 + n2
    arms = {"m1i": [10.0], "sd1i": [2.0], "n1i": [5], "m2i": [8.0], "sd2i": [2.5], "n2i": [6]}
    d = trialmeta.effect_sizes("SMD", **arms, correct="none").yi[0]
    g = trialmeta.effect_sizes("SMD", **arms, correct="approx").yi[0]
    assert g == pytest.approx(d * (1 - 3 / (4 * 11 - 9)), rel=1e-14)
    exact = trialmeta.effect_sizes("SMD", **arms).yi[0]
    assert abs(exact - g) < 1e-3 * abs(g)


def test_ratio_of_means_needs_means_of_one_sign():
    with pytest.raises(InputError, match="same sign"):
        trialmeta.effect_sizes("ROM", m1i=[2.0], sd1i=[1.0], n1i=[10], m2i=[-1.0], sd2i=[1.0],
                               n2i=[10])  # fmt: skip


@st.composite
def tables(draw, max_k=8):
    """SYNTHETIC 2x2 tables with many zero cells (no events, all events, tiny groups)."""
    k = draw(st.integers(1, max_k))
    n1 = draw(st.lists(st.integers(1, 60), min_size=k, max_size=k))
    n2 = draw(st.lists(st.integers(1, 60), min_size=k, max_size=k))
    ai = [draw(st.sampled_from([0, n, draw(st.integers(0, n))])) for n in n1]
    ci = [draw(st.sampled_from([0, n, draw(st.integers(0, n))])) for n in n2]
    return {"ai": ai, "n1i": n1, "ci": ci, "n2i": n2}


@settings(max_examples=60, deadline=None)
@given(t=tables(), measure=st.sampled_from(("RR", "OR", "RD", "PETO")),
       to=st.sampled_from(("only0", "all", "if0all", "none")), drop00=st.booleans())  # fmt: skip
def test_sparse_tables_never_crash_and_say_what_was_not_estimable(t, measure, to, drop00):
    es = trialmeta.effect_sizes(measure, **t, to=to, drop00=drop00)
    assert not np.any(es.estimable & ~np.isfinite(es.yi))
    assert np.all(es.vi[es.estimable] > 0)  # what pool() accepts
    if not es.estimable.all():
        assert {"double_zero_studies_dropped", "study_effect_not_estimable"} & set(es.flags)
    if measure != "PETO":
        r = trialmeta.pool_mh(measure, **t)
        assert np.isfinite(r.estimate) or "mantel_haenszel_estimate_not_estimable" in r.flags
    p = trialmeta.pool_peto(**t)
    assert np.isfinite(p.estimate) or "peto_estimate_not_estimable" in p.flags
