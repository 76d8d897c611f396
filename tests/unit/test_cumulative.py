"""Tests of trialmeta.stats.cumulative against metafor 3.8-1 ``cumul()``.

Reference values: tests/reference/metafor_permutest_cumul.json, written by
tests/reference/make_tsa_permutation_reference.R (R 4.2, metafor 3.8-1), e.g.
# R: cumul(rma(yi, vi, data = syn1, method = "REML", test = "z"), order = syn1$year)
All data are synthetic.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from trialmeta.errors import InputError
from trialmeta.stats.cumulative import cumulative
from trialmeta.stats.pooling import pool

REF = json.loads(
    (Path(__file__).parents[1] / "reference" / "metafor_permutest_cumul.json").read_text()
)
CASES = REF["cumul"]
N_CASES = 3  # the grid must not shrink silently
# metafor stops REML iterations at a change below 1e-5 in tau2 (observed error
# ~5e-9 relative here); the closed forms agree to rounding.
TOL = {"REML": 1e-7, "DL": 1e-10, "FE": 1e-10}
FIELDS = ("estimate", "se", "stat", "pval", "ci_lb", "ci_ub")
HETEROGENEITY = ("tau2", "i2_percent", "h2", "q", "q_pval")


def test_reference_grid_has_not_shrunk():
    assert len(CASES) == N_CASES
    assert {(c["method"], c["test"]) for c in CASES} == {("REML", "z"), ("DL", "knha"), ("FE", "z")}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['method']}-{c['test']}")
def test_matches_metafor_cumul(case):
    d = REF["synthetic_data"][case["data"]]
    r = cumulative(d["yi"], d["vi"], order=d["year"], method=case["method"], test=case["test"])
    tol = TOL[case["method"]]
    # Step 1 (k = 1): metafor falls back to a z test under knha (there are no
    # residual df) and reports tau2 = 0, I2 = 0; trialmeta reports NaN for both.
    first = 0 if case["test"] == "z" else 1
    for name in FIELDS:
        np.testing.assert_allclose(
            getattr(r, name)[first:], case[name][first:], rtol=tol, atol=tol, err_msg=name
        )
    if first:
        assert np.isnan(r.stat[0]) and np.isnan(r.ci_lb[0])
        assert r.estimate[0] == pytest.approx(case["estimate"][0], rel=1e-14)
    for name in HETEROGENEITY:
        if case.get(name) is None:
            continue
        np.testing.assert_allclose(
            getattr(r, name)[1:], case[name][1:], rtol=tol, atol=tol, err_msg=name
        )
        assert np.isnan(getattr(r, name)[0])


def test_ties_keep_input_order_like_r_order():
    d = REF["synthetic_data"]["syn1"]  # two studies from 2004: inputs 1 and 3
    r = cumulative(d["yi"], d["vi"], order=d["year"], method="FE")
    assert r.order == (1, 3, 5, 0, 2, 4)


def test_no_order_keeps_input_order_and_last_step_is_full_fit():
    yi = [0.2, -0.1, 0.5, 0.3, 0.05]  # synthetic
    vi = [0.04, 0.09, 0.05, 0.02, 0.07]
    r = cumulative(yi, vi, method="PM", test="knha")
    full = pool(yi, vi, method="PM", test="knha")
    assert r.order == (0, 1, 2, 3, 4)
    np.testing.assert_array_equal(r.k, [1, 2, 3, 4, 5])
    assert r.estimate[-1] == pytest.approx(full.estimate, rel=1e-14)
    assert r.ci_ub[-1] == pytest.approx(full.ci_ub, rel=1e-14)
    assert r.tau2[-1] == pytest.approx(full.tau2, rel=1e-14)
    assert r.estimate[0] == pytest.approx(0.2)
    assert "k_eq_1" in r.flags


def test_result_is_json_safe():
    r = cumulative([0.1, 0.3], [0.01, 0.02])
    out = json.dumps(r.to_dict(), allow_nan=False)
    assert '"method": "REML"' in out


@pytest.mark.parametrize(
    "kwargs",
    [{"order": [1, 2]}, {"order": [1, 2, float("nan")]}, {"method": "XX"}, {"level": 95}],
)
def test_rejects_bad_input(kwargs):
    with pytest.raises(InputError):
        cumulative([0.1, 0.2, 0.3], [0.01, 0.01, 0.01], **kwargs)
