"""Anticipated absolute effects and GRADE imprecision of binary outcomes.

Worked examples: Cochrane Handbook v5.1, section 12.5.4.2 (v6.5, 15.4.4): RR 0.92 with an
assumed control risk (ACR) of 0.3 gives 24 fewer per 1000 (NNT 42); section 12.5.4.3: OR
0.73 with ACR 0.3 gives 62 fewer per 1000 (NNT 17). Handbook v5.1, 11.5.5: an RR of 0.75
reduces a control risk of 80% to 60% and of 20% to 15%.
"""

from __future__ import annotations

import math

import pytest

from trialmeta.report.absolute_effects import absolute_columns, difference_text, relative_text
from trialmeta.review.absolute_effects import (
    absolute_effect,
    absolute_imprecision,
    binary_ois,
    corresponding_risk,
)


def test_handbook_risk_ratio_example():
    # Handbook v5.1 12.5.4.2: RR = 0.92, ACR = 0.3 -> 24 fewer per 1000; NNT 42
    risk = corresponding_risk(0.3, 0.92, "RR")
    assert round(1000 * (risk - 0.3)) == -24
    assert math.ceil(1 / (0.3 - risk)) == 42


def test_handbook_odds_ratio_example():
    # Handbook v5.1 12.5.4.3: OR = 0.73, ACR = 0.3 -> 62 fewer per 1000; NNT 17
    risk = corresponding_risk(0.3, 0.73, "OR")
    assert round(1000 * (risk - 0.3)) == -62
    assert math.ceil(1 / (0.3 - risk)) == 17


@pytest.mark.parametrize(("acr", "want"), [(0.8, 0.6), (0.2, 0.15)])
def test_handbook_consistent_risk_ratio(acr, want):
    # Handbook v5.1 11.5.5: RR 0.75 takes 80% to 60% and 20% to 15%
    assert corresponding_risk(acr, 0.75, "RR") == pytest.approx(want)


def test_risk_difference_adds_to_the_control_risk():
    assert corresponding_risk(0.3, -0.05, "RD") == pytest.approx(0.25)


def test_absolute_effect_of_a_log_ratio_and_its_wording():
    a = absolute_effect("RR", math.log(0.63), math.log(0.45), math.log(0.88), 0.3, "median")
    assert (a.relative, a.relative_lb, a.relative_ub) == pytest.approx((0.63, 0.45, 0.88))
    assert (a.risk, a.risk_lb, a.risk_ub) == pytest.approx((0.189, 0.135, 0.264))
    assert relative_text(a) == "RR 0.63 (0.45 to 0.88)"
    assert difference_text(a) == "111 fewer per 1000 (165 fewer to 36 fewer)"
    cols = absolute_columns(a)
    assert cols["control_risk_per_1000"] == "300"
    assert cols["intervention_risk_per_1000"] == "189 (135 to 264)"


def test_a_risk_above_one_is_capped_and_flagged():
    a = absolute_effect("RR", math.log(1.5), math.log(1.2), math.log(3.0), 0.6, "cited")
    assert a.risk_ub == 1.0 and a.capped
    assert a.difference_per_1000_ub == pytest.approx(400.0)


def test_binary_ois_formula():
    # two proportions, normal approximation: p0 = 0.2, p1 = 0.15 (RRR 25%), alpha 0.05,
    # power 0.8: 2 * (1.959964 + 0.841621)^2 * (0.16 + 0.1275) / 0.05^2 = 1805.3
    z = 1.959963984540054 + 0.8416212335729143
    want = 2 * z**2 * (0.2 * 0.8 + 0.15 * 0.85) / 0.05**2
    assert binary_ois(0.2, 0.25, 0.05, 0.8) == pytest.approx(want, rel=1e-12)
    assert math.isnan(binary_ois(0.0, 0.25, 0.05, 0.8))


def _imprecision(lb: float, ub: float, n: int = 5000, ois: float = 1000.0):
    a = absolute_effect("RD", (lb + ub) / 2000, lb / 1000, ub / 1000, 0.3, "s")
    return absolute_imprecision(a, 50, n, ois, 0.95, 0.25)


def test_imprecision_rules_of_guidance_34():
    # GRADE guidance 34 (Zeng 2022), minimally contextualised, threshold 50 per 1000
    assert _imprecision(-120, -60).downgrade == 0  # beyond the threshold, OIS met
    assert _imprecision(-120, -60, n=500).downgrade == 1  # ... but below the OIS
    assert _imprecision(-80, -20).downgrade == 1  # crosses -50
    assert _imprecision(-30, 10).downgrade == 1  # crosses no effect
    assert _imprecision(-80, 70).downgrade == 2  # crosses both thresholds
    j = _imprecision(-80, -20)
    assert "crosses -50 per 1000" in j.reason and "optimal information size of 1000" in j.reason


def test_missing_absolute_numbers_never_read_na():
    # issue 9: "NA" never in prose; a missing risk is a dash, a missing CI says so
    from trialmeta.report.absolute_effects import per_1000

    assert per_1000(math.nan) == "\u2013" and per_1000(0.4218) == "422"
    a = absolute_effect("RR", math.log(2.0), math.nan, math.nan, 0.2, "s")
    assert difference_text(a) == "200 more per 1000 (CI not estimable)"
