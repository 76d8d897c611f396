"""Tests of subgroup pooling and the RevMan test for subgroup differences (synthetic data)."""

import math

import numpy as np
import pytest
from scipy import stats

from trialmeta import pool
from trialmeta.errors import InputError
from trialmeta.stats.subgroups import subgroup_analysis, subgroup_difference


def test_difference_matches_hand_computation():
    # Q = sum w (theta - mean)^2 with w = 1/se^2: two estimates -10 and -2, SE 2 each.
    d = subgroup_difference([-10.0, -2.0], [2.0, 2.0])
    assert d.g == 2 and d.df == 1
    assert d.q == pytest.approx(8.0)
    assert d.pval == pytest.approx(stats.chi2.sf(8.0, 1))
    assert d.i2_percent == pytest.approx(87.5)


def test_difference_three_groups_unequal_weights():
    est, se = np.array([-5.0, -1.0, 3.0]), np.array([1.0, 2.0, 4.0])
    w = 1 / se**2
    mean = np.sum(w * est) / np.sum(w)
    q = float(np.sum(w * (est - mean) ** 2))
    d = subgroup_difference(est, se)
    assert d.q == pytest.approx(q) and d.df == 2
    assert d.i2_percent == pytest.approx(100 * max(0.0, (q - 2) / q))


def test_difference_identical_estimates_gives_zero():
    d = subgroup_difference([1.0, 1.0], [0.5, 0.7])
    assert d.q == pytest.approx(0.0) and d.pval == pytest.approx(1.0) and d.i2_percent == 0.0


def test_fewer_than_two_estimable_subgroups_is_flagged_not_raised():
    d = subgroup_difference([1.0, math.nan], [0.5, 0.5])
    assert d.g == 1 and math.isnan(d.q) and d.flags == ("fewer_than_2_subgroups",)


def test_difference_length_mismatch_raises():
    with pytest.raises(InputError):
        subgroup_difference([1.0, 2.0], [0.5])


def test_subgroup_analysis_pools_each_level_and_is_order_free():
    yi = [-10.0, -12.0, -9.0, -2.0, -1.0, -3.5]
    vi = [4.0, 5.0, 6.0, 4.5, 5.5, 3.0]
    groups = ["sham", "sham", "sham", "usual_care", "usual_care", "usual_care"]
    res = subgroup_analysis(yi, vi, groups, "control_type", method="REML", test="knha")
    assert res.levels == ("sham", "usual_care") and res.k == (3, 3)
    direct = pool(yi[:3], vi[:3], method="REML", test="knha")
    assert res.fits[0].estimate == pytest.approx(direct.estimate)
    assert res.fits[0].ci_lb == pytest.approx(direct.ci_lb)
    # The difference test uses the Wald (z) SE of each subgroup, as RevMan does.
    z = [pool(yi[:3], vi[:3], test="z"), pool(yi[3:], vi[3:], test="z")]
    expected = subgroup_difference([f.estimate for f in z], [f.se for f in z])
    assert res.difference.q == pytest.approx(expected.q)
    order = [5, 0, 3, 1, 4, 2]
    again = subgroup_analysis(
        np.take(yi, order), np.take(vi, order), np.take(groups, order), "control_type"
    )
    assert again.difference.q == pytest.approx(res.difference.q)
    assert again.fits[1].estimate == pytest.approx(res.fits[1].estimate)


def test_subgroup_analysis_single_study_level_is_kept():
    res = subgroup_analysis([-5.0, -6.0, 1.0], [2.0, 3.0, 2.5], ["a", "a", "b"], "v", test="z")
    assert res.k == (2, 1)
    assert res.fits[1].estimate == pytest.approx(1.0)
    assert res.difference.g == 2


def test_subgroup_analysis_to_dict_is_json_ready():
    res = subgroup_analysis([-5.0, -6.0, 1.0, 2.0], [2.0, 3.0, 2.5, 1.0], ["a", "a", "b", "b"], "v")
    d = res.to_dict()
    assert d["levels"] == ["a", "b"] and isinstance(d["fits"][0], dict)
