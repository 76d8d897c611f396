"""Tests for trialmeta.effects.conversions (Cochrane Handbook ch. 6 worked examples, metafor)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from trialmeta.effects.conversions import (
    combine_groups,
    mean_sd_from_quantiles,
    sd_from_ci,
    sd_from_se,
    se_from_ci,
    se_from_p,
)
from trialmeta.errors import InputError

REF = Path(__file__).parents[1] / "reference" / "conversions" / "conversions_reference.json"
REFERENCE = json.loads(REF.read_text(encoding="utf-8"))
TOL = 1e-10  # full-precision R values; only floating-point noise is allowed


def test_sd_from_se_handbook_6522():
    # Handbook 6.5.2.2: SD = SE * sqrt(N); synthetic SE 2.0 in a group of 25 -> SD 10.
    assert sd_from_se(2.0, 25) == pytest.approx(10.0)


def test_sd_from_ci_small_sample_uses_t_handbook_6522():
    # Handbook 6.5.2.2: for n = 25 the 3.92 divisor is replaced by 2 * 2.0639 = 4.128.
    t = REFERENCE["handbook"]["t_975_df24"]
    assert t == pytest.approx(2.0639, abs=5e-5)
    sd = sd_from_ci(30.0, 34.2, 25)  # synthetic CI
    assert sd == pytest.approx(math.sqrt(25) * 4.2 / (2 * t), rel=TOL)
    assert sd == pytest.approx(5.0 * 4.2 / 4.128, rel=1e-4)


def test_sd_from_ci_large_sample_uses_z_handbook_6522():
    # Handbook 6.5.2.2: "3.92 standard errors wide" for large samples (n >= 60 here).
    z = REFERENCE["handbook"]["z_975"]
    assert sd_from_ci(10.0, 13.92, 100) == pytest.approx(10 * 3.92 / (2 * z), rel=TOL)


def test_sd_from_ci_other_level():
    # Handbook 6.5.2.2: for a 90% CI 3.92 is replaced by 3.29 (large sample).
    assert sd_from_ci(0.0, 3.29, 100, level=0.90) == pytest.approx(10.0, rel=1e-3)


def test_se_from_ci_debar_2025_derivation():
    # gaps/additions of our shipped data: DeBar 2025 SA vs UMC, -1.0 (-1.9 to -0.1),
    # "DERIVED: SE of MD = (-0.1 - -1.9)/3.92 = 0.46" (Handbook 6.5.2.3).
    assert se_from_ci(-1.9, -0.1) == pytest.approx(0.46, abs=0.005)


def test_se_from_ci_t_based_handbook_6523():
    # Handbook 6.5.2.3: small trials use t with NE + NC - 2 df (synthetic 25 vs 22).
    se = se_from_ci(1.0, 5.0, df=45)
    assert se == pytest.approx(4.0 / (2 * 2.0141), rel=1e-4)


def test_se_from_p_handbook_6523():
    # Handbook 6.5.2.3: MD 3.8, P = 0.008, groups 25 and 22 (df 45): t = 2.78, SE = 1.37.
    assert REFERENCE["handbook"]["t_p008_df45"] == pytest.approx(2.78, abs=0.005)
    se = se_from_p(3.8, 0.008, df=45)
    assert se == pytest.approx(REFERENCE["handbook"]["se_md38_p008_df45"], rel=TOL)
    assert se == pytest.approx(1.37, abs=0.005)


def test_se_from_p_normal():
    # Handbook 6.5.2.3 (large samples): Z from the P value; P = 0.05 -> Z = 1.96.
    assert se_from_p(-1.96, 0.05) == pytest.approx(1.0, rel=1e-3)


@pytest.mark.parametrize("case", REFERENCE["fivenum"], ids=lambda c: f"{c['scenario']}-n{c['n']}")
def test_mean_sd_from_quantiles_matches_r(case):
    # metafor conv.fivenum defaults (Luo 2018 / Wan 2014 / Shi 2020), via make_reference.R
    est = mean_sd_from_quantiles(
        case["n"],
        case["median"],
        q1=case["q1"],
        q3=case["q3"],
        minimum=case["minimum"],
        maximum=case["maximum"],
    )
    assert est.scenario == case["scenario"]
    assert est.mean == pytest.approx(case["mean"], rel=TOL, abs=TOL)
    assert est.sd == pytest.approx(case["sd"], rel=TOL)
    assert est.skew_stat == pytest.approx(case["skew_stat"], rel=TOL, abs=TOL)
    assert est.skew_crit == pytest.approx(case["skew_crit"], rel=TOL)
    assert est.skewed is case["skewed"]


def test_reference_grid_has_not_shrunk():
    scenarios = [c["scenario"] for c in REFERENCE["fivenum"]]
    assert len(scenarios) >= 9
    assert {"S1", "S2", "S3"} <= set(scenarios)
    assert any(c["skewed"] for c in REFERENCE["fivenum"])


def test_quantiles_symmetric_normal_iqr():
    # Wan 2014: for normal data the IQR is 1.349 SD for large n (eta -> 2 * 0.6745).
    est = mean_sd_from_quantiles(10_000, 50.0, q1=50 - 0.6745 * 10, q3=50 + 0.6745 * 10)
    assert est.mean == pytest.approx(50.0)
    assert est.sd == pytest.approx(10.0, rel=1e-3)
    assert not est.skewed


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"n": 30, "median": 5.0}, "quartiles"),
        ({"n": 30, "median": 5.0, "q1": 4.0}, "quartiles"),
        ({"n": 3, "median": 5.0, "q1": 4.0, "q3": 6.0}, ">= 5"),
        ({"n": 30, "median": 5.0, "q1": 6.0, "q3": 7.0}, "minimum <= q1"),
    ],
)
def test_quantiles_bad_input(kwargs, fragment):
    with pytest.raises(InputError, match=fragment):
        mean_sd_from_quantiles(**kwargs)


def test_combine_groups_equals_pooled_raw_data():
    # Handbook 6.5.2.10 (Table 6.5.a) reproduces the SD of the merged raw data exactly.
    rng = np.random.default_rng(1)
    a, b = rng.normal(3.0, 2.0, 17), rng.normal(5.0, 1.0, 23)  # synthetic
    n, m, sd = combine_groups(17, a.mean(), a.std(ddof=1), 23, b.mean(), b.std(ddof=1))
    both = np.concatenate([a, b])
    assert n == 40
    assert m == pytest.approx(both.mean(), rel=1e-12)
    assert sd == pytest.approx(both.std(ddof=1), rel=1e-12)


@pytest.mark.parametrize(
    "call",
    [
        lambda: sd_from_se(-1.0, 10),
        lambda: sd_from_se(1.0, 0),
        lambda: sd_from_ci(5.0, 4.0, 10),
        lambda: sd_from_ci(4.0, 5.0, 10, level=95),
        lambda: se_from_ci(float("nan"), 1.0),
        lambda: se_from_p(1.0, 1.5),
        lambda: se_from_p(0.0, 0.04),
    ],
)
def test_invalid_inputs_raise_input_error(call):
    with pytest.raises(InputError):
        call()
