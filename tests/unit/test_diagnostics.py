"""Baujat coordinates and influence diagnostics against R metafor 3.8-1.

Reference values: tests/reference/metafor_diagnostics.json, written at full
precision by tests/reference/make_diagnostics_reference.R (synthetic data,
methods FE/DL/REML/PM x tests z/knha, k = 3, 6, 10).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import trialmeta
from trialmeta.errors import InputError
from trialmeta.stats.influence import baujat, influence
from trialmeta.stats.leave_one_out import leave_one_out
from trialmeta.stats.results import LeaveOneOutResult, PooledResult

REFERENCE = Path(__file__).parents[1] / "reference" / "metafor_diagnostics.json"
CASES = json.loads(REFERENCE.read_text())["cases"]
IDS = [f"{c['dataset']}-{c['method']}-{c['test']}" for c in CASES]

# Formulas alone (R's own fit and leave1out as input): only floating-point error.
RTOL_FORMULA = 1e-9
# Through trialmeta.pool/leave_one_out: tau2 iterations stop at a slightly different
# point than metafor's (threshold 1e-5 on the tau2 step), observed <= 1e-6 relative.
RTOL_PIPELINE = 1e-5
INFLUENCE_COLUMNS = (
    "rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "hat", "weight_percent",
    "dfbetas",
)  # fmt: skip


def test_reference_grid_has_not_shrunk() -> None:
    assert len(CASES) == 24
    assert {(c["method"], c["test"]) for c in CASES} == {
        (m, t) for m in ("FE", "DL", "REML", "PM") for t in ("z", "knha")
    }


def _r_inputs(case: dict) -> tuple[PooledResult, LeaveOneOutResult]:
    """Build trialmeta result objects from R's own fit and leave1out values."""
    nan = math.nan
    f = case["fit"]
    fit = PooledResult(
        k=f["k"], method=case["method"], test=case["test"], level=0.95, estimate=f["estimate"],
        se=f["se"], ci_lb=nan, ci_ub=nan, stat=nan, pval=nan, df=nan, tau2=f["tau2"],
        tau2_se=nan, tau2_ci_lb=nan, tau2_ci_ub=nan, i2_percent=nan, i2_ci_lb=nan,
        i2_ci_ub=nan, h2=nan, h2_ci_lb=nan, h2_ci_ub=nan, q=f["q"], q_df=f["k"] - 1,
        q_pval=nan, pi_lb=nan, pi_ub=nan, converged=True, iterations=0,
    )  # fmt: skip
    lo = case["leave1out"]
    arr = {key: np.asarray(lo[key], dtype=float) for key in ("estimate", "se", "tau2", "q")}
    empty = np.full(f["k"], nan)
    loo = LeaveOneOutResult(
        method=case["method"], test=case["test"], level=0.95, estimate=arr["estimate"],
        se=arr["se"], ci_lb=empty, ci_ub=empty, pval=empty, tau2=arr["tau2"],
        i2_percent=empty, q=arr["q"],
    )  # fmt: skip
    return fit, loo


def _close(got: np.ndarray, want: list, rtol: float, what: str) -> None:
    want_arr = np.asarray(want, dtype=float)
    # relative, with an absolute floor of rtol for values at or near zero
    np.testing.assert_allclose(got, want_arr, rtol=rtol, atol=rtol, err_msg=what)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_formulas_match_metafor(case: dict) -> None:
    # R: baujat(rma(yi, vi, method, test)); influence(rma(yi, vi, method, test))
    fit, loo = _r_inputs(case)
    bj = baujat(case["yi"], case["vi"], fit, loo)
    _close(bj.x, case["baujat"]["x"], RTOL_FORMULA, "baujat x")
    _close(bj.y, case["baujat"]["y"], RTOL_FORMULA, "baujat y")
    inf = influence(case["yi"], case["vi"], fit, loo)
    for col in INFLUENCE_COLUMNS:
        _close(getattr(inf, col), case["influence"][col], RTOL_FORMULA, col)
    assert inf.is_influential.tolist() == case["influence"]["is_influential"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_pipeline_matches_metafor(case: dict) -> None:
    y, v, m, t = case["yi"], case["vi"], case["method"], case["test"]
    fit = trialmeta.pool(y, v, method=m, test=t)
    loo = leave_one_out(y, v, method=m, test=t)
    bj = baujat(y, v, fit, loo)
    _close(bj.x, case["baujat"]["x"], RTOL_PIPELINE, "baujat x")
    _close(bj.y, case["baujat"]["y"], RTOL_PIPELINE, "baujat y")
    inf = influence(y, v, fit, loo)
    for col in INFLUENCE_COLUMNS:
        _close(getattr(inf, col), case["influence"][col], RTOL_PIPELINE, col)
    assert inf.is_influential.tolist() == case["influence"]["is_influential"]


def test_baujat_axis_labels_follow_model() -> None:
    y, v = [-10.0, -2.0, -6.0], [4.0, 4.0, 4.0]
    fe = baujat(y, v, trialmeta.pool(y, v, method="FE"), leave_one_out(y, v, method="FE"))
    assert fe.x_label == "Contribution to overall heterogeneity"
    assert fe.x.tolist() == pytest.approx([4.0, 4.0, 0.0])  # (yi - mean)^2 / vi
    re = baujat(y, v, trialmeta.pool(y, v), leave_one_out(y, v))
    assert re.x_label == "Squared Pearson residual"


def test_mismatched_inputs_are_rejected() -> None:
    y, v = [-10.0, -2.0, -6.0], [4.0, 4.0, 4.0]
    fit = trialmeta.pool(y, v, method="REML", test="z")
    with pytest.raises(InputError, match="loo"):
        baujat(y, v, fit, leave_one_out(y, v, method="DL", test="z"))
    with pytest.raises(InputError, match="fit"):
        influence(y[:2], v[:2], fit, leave_one_out(y[:2], v[:2]))


def test_to_dict_is_strict_json() -> None:
    y, v = [-10.0, -2.0, -6.0, 1.0], [4.0, 5.0, 6.0, 7.0]
    inf = influence(y, v, trialmeta.pool(y, v), leave_one_out(y, v))
    text = json.dumps(inf.to_dict(), allow_nan=False)
    assert '"is_influential"' in text
