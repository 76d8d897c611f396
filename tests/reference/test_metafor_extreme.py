"""Extreme but valid data against R metafor (reliability review F5, F6, F14, F15).

Reference: tests/reference/metafor_extreme_reference.json, written by
tests/reference/make_extreme_reference.R (metafor 3.8-1, tight controls). All data SYNTHETIC.
Tolerance: relative 1e-6, absolute 1e-8 near zero (as the main reference).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import trialmeta
from trialmeta import flags as fl
from trialmeta.errors import NotComputableError
from trialmeta.stats.metareg import meta_regression
from trialmeta.stats.small_study import begg_test, egger_test, trim_and_fill

REF = json.loads(Path(__file__).with_name("metafor_extreme_reference.json").read_text("utf-8"))
FIELDS = ("estimate", "se", "pval", "ci_lb", "ci_ub", "tau2", "i2_percent", "q")


def _vec(name: str, key: str) -> np.ndarray:
    return np.array([float(x) for x in REF["sets"][name][key]])


def _close(got: float, want: str | None, what: str) -> None:
    if want is None:
        assert math.isnan(got), f"{what}: metafor NA, got {got}"
        return
    w = float(want)
    assert abs(got - w) <= max(1e-6 * abs(w), 1e-8), f"{what}: got {got!r}, metafor {w!r}"


def test_grid_has_not_shrunk():
    assert len(REF["ratio_grid"]) == 2 * 9 * 2
    assert set(REF["sets"]) == {"ratio_1e8", "ratio_1e12", "equal_vi", "tiny_vi", "large_k"}


@pytest.mark.parametrize("index", range(36))
def test_extreme_variance_ratio_matches_metafor_and_is_flagged(index):
    # metafor 3.8-1: rma(yi, vi, method=M, test=T, control=tight); vi span 1e8 and 1e12.
    case = REF["ratio_grid"][index]
    y, v = _vec(case["set"], "yi"), _vec(case["set"], "vi")
    r = trialmeta.pool(y, v, method=case["method"], test=case["test"])
    for f in FIELDS:
        _close(getattr(r, f), case[f], f"{case['set']} {case['method']}-{case['test']} {f}")
    # metafor: "Ratio of largest to smallest sampling variance extremely large"
    assert any("extremely large" in w for w in case["warnings"])
    assert fl.VI_RATIO_EXTREME in r.flags


def test_equal_variances_pool_and_small_study_tests():
    # metafor 3.8-1: rma(yi, vi) fits; ranktest() NA; regtest() and trimfill() stop.
    y, v = _vec("equal_vi", "yi"), _vec("equal_vi", "vi")
    ref = REF["equal_vi"]
    r = trialmeta.pool(y, v, method="REML")
    for f in FIELDS:
        _close(getattr(r, f), ref["pool"][f], f"equal_vi REML {f}")
    b = begg_test(y, v)
    assert ref["ranktest_tau"] is None and math.isnan(b.tau) and math.isnan(b.pval)
    assert fl.BEGG_ALL_TIED in b.flags
    assert "full rank" in ref["regtest_error"]
    e = egger_test(y, v)
    assert math.isnan(e.pval) and math.isnan(e.bias) and fl.EGGER_SEI_CONSTANT in e.flags
    assert ref["trimfill_error"]
    with pytest.raises(NotComputableError, match="same standard error") as info:
        trim_and_fill(y, v, method="REML")
    assert info.value.flag == fl.TRIMFILL_SIDE_UNDEFINED
    # with the side given, trim-and-fill runs (the estimator L0 needs no slope)
    assert trim_and_fill(y, v, method="REML", side="left").k >= 12


def test_tiny_variance_is_declined_where_metafor_warns():
    # metafor 3.8-1 fits rma(yi, vi) with vi[1] = 7e-202 (an SD typed as 1e-100) and warns
    # that results may not be stable. trialmeta declines by design: max(yi², vi)/min(vi) is
    # 1e204, beyond the 1e60 its sums can hold, and the message names the variance to check.
    ref = REF["tiny_vi"]
    assert ref["warnings"] and ref["estimate"] is not None
    y, v = _vec("tiny_vi", "yi"), _vec("tiny_vi", "vi")
    for method in ("FE", "DL", "REML", "PM"):
        with pytest.raises(NotComputableError) as info:
            trialmeta.pool(y, v, method=method)
        assert info.value.row == 0 and info.value.argument == "vi"
        assert info.value.flag == fl.NOT_COMPUTABLE_RANGE
        assert "7e-202" in info.value.reason


def test_large_k_begg_trimfill_and_metaregression():
    # metafor 3.8-1, k = 600: ranktest(yi, vi, exact=FALSE); trimfill(rma(method="REML"));
    # rma(yi, vi, mods=x, method="REML", test="knha"). trialmeta's exact Kendall
    # distribution stops at k = 500 and its side and moderator fits skip the k x k matrix.
    y, v, x = _vec("large_k", "yi"), _vec("large_k", "vi"), _vec("large_k", "x")
    ref = REF["large_k"]
    b = begg_test(y, v)
    _close(b.tau, ref["ranktest_tau"], "ranktest tau")
    _close(b.pval, ref["ranktest_pval"], "ranktest pval")
    assert not b.exact and fl.BEGG_NORMAL_LARGE_K in b.flags
    t = trim_and_fill(y, v, method="REML")
    assert (t.k0, t.side) == (ref["trimfill"]["k0"], ref["trimfill"]["side"])
    for f in ("estimate", "se", "tau2"):
        _close(getattr(t, f), ref["trimfill"][f], f"trimfill {f}")
    m = meta_regression(y, v, x, method="REML", test="knha")
    for i in range(2):
        _close(float(m.coef[i]), ref["metareg"]["beta"][i], f"metareg beta[{i}]")
        _close(float(m.se[i]), ref["metareg"]["se"][i], f"metareg se[{i}]")
    _close(m.tau2, ref["metareg"]["tau2"], "metareg tau2")


@pytest.mark.parametrize("scale", [2.0**60, 1e150, 2.0**-70, 1e-140])
@pytest.mark.parametrize("method", ["FE", "DL", "REML", "PM", "SJ"])
def test_units_do_not_matter_at_any_magnitude(scale, method):
    # metafor 3.8-1 values of ratio_1e8 (unit scale), times the scale: yi -> c yi, vi -> c² vi
    # multiplies estimate, SE and CI by c and tau² by c², and leaves p, I² and Q unchanged.
    y, v = _vec("ratio_1e8", "yi"), _vec("ratio_1e8", "vi")
    case = next(
        c
        for c in REF["ratio_grid"]
        if c["set"] == "ratio_1e8" and c["method"] == method and c["test"] == "z"
    )
    r = trialmeta.pool(y * scale, v * scale**2, method=method)
    powers = {"estimate": 1, "se": 1, "ci_lb": 1, "ci_ub": 1, "tau2": 2, "pval": 0,
              "i2_percent": 0, "q": 0}  # fmt: skip
    for f, k in powers.items():
        _close(getattr(r, f) / scale**k, case[f], f"{method} x{scale:g} {f}")
