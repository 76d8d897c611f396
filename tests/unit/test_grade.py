"""Tests of the rule-based GRADE rating (synthetic inputs; the thresholds of the shipped
config, which follow GRADE guidelines 4-8 and Cochrane Handbook 10.10.2)."""

import math
from dataclasses import replace
from pathlib import Path

import pytest
from scipy import stats

from trialmeta.review.codec import to_data
from trialmeta.review.config import GradeOverride, load_config
from trialmeta.review.grade import (
    GradeInput,
    certainty_symbols,
    grade,
    optimal_information_size,
)

ROOT = Path(__file__).parents[2]
RULES = load_config([ROOT / "config" / "config.yaml"],
                    ROOT / "workflow" / "schemas" / "config.schema.yaml").grade


def base(**kw) -> GradeInput:
    g = GradeInput(
        analysis_id="pain_eot__sham", k=4, n_participants=400, estimate=-20.0, ci_lb=-25.0,
        ci_ub=-16.0, pi_lb=-28.0, pi_ub=-12.0, tau2=1.0, i2_percent=10.0,
        study_ids=("S1", "S2", "S3", "S4"), weights_percent=(25.0, 25.0, 25.0, 25.0),
        rob={"S1": "low", "S2": "low", "S3": "low", "S4": "low"},
        populations={"S1": "SIJ", "S2": "SIJ", "S3": "SIJ", "S4": "SIJ"},
        target_population="SIJ", mcid=15.0, ois_sd=20.0, level=0.95,
    )  # fmt: skip
    return replace(g, **kw)


def domain(res, name):
    return next(d for d in res.domains if d.domain == name)


def test_ois_formula():
    z = stats.norm.isf(0.025) + stats.norm.ppf(0.8)
    assert optimal_information_size(10, 20, 0.05, 0.8) == pytest.approx(4 * z**2 * 400 / 100)
    assert math.isnan(optimal_information_size(0, 20, 0.05, 0.8))


def test_symbols():
    assert certainty_symbols(4) == "⊕⊕⊕⊕"
    assert certainty_symbols(2) == "⊕⊕◯◯"
    assert certainty_symbols(0) == ""


def test_clean_evidence_with_k_below_10_stays_high():
    res = grade(base(), RULES)
    assert res.level == 4 and res.certainty == "High" and res.symbols == "⊕⊕⊕⊕"
    pb = domain(res, "publication_bias")
    assert pb.judgement == "not assessable" and pb.downgrade == 0 and "k = 4 < 10" in pb.reason


def test_risk_of_bias_by_weight_share():
    res = grade(base(rob={"S1": "high", "S2": "low", "S3": "low", "S4": "low"}), RULES)
    d = domain(res, "risk_of_bias")
    assert d.downgrade == 1 and "25.0% of the weight" in d.reason
    res = grade(base(rob={"S1": "high", "S2": "high", "S3": "low", "S4": "low"}), RULES)
    assert domain(res, "risk_of_bias").downgrade == 2
    res = grade(base(rob={"S1": "low"}), RULES)  # 75% unassessed
    d = domain(res, "risk_of_bias")
    assert d.downgrade == 1 and "75.0% from trials with no risk-of-bias assessment" in d.reason


def test_inconsistency_rules():
    assert domain(grade(base(i2_percent=60.0), RULES), "inconsistency").downgrade == 1
    assert domain(grade(base(i2_percent=80.0), RULES), "inconsistency").downgrade == 2
    d = domain(grade(base(pi_lb=-30.0, pi_ub=3.0), RULES), "inconsistency")
    assert d.downgrade == 1 and "crosses no effect" in d.reason
    d = domain(grade(base(subgroup_pval=0.03), RULES), "inconsistency")
    assert d.downgrade == 1 and "p = 0.030" in d.reason
    single = grade(base(k=1, i2_percent=math.nan, pi_lb=math.nan, pi_ub=math.nan,
                        study_ids=("S1",), weights_percent=(100.0,)), RULES)
    assert domain(single, "inconsistency").judgement == "not assessable"


def test_indirectness_non_target_population_and_sham_variants():
    pops = {"S1": "CLBP", "S2": "PGP", "S3": "SIJ", "S4": "SIJ"}
    d = domain(grade(base(populations=pops), RULES), "indirectness")
    assert d.downgrade == 1 and "50.0%" in d.reason and "SIJ" in d.reason
    shams = ("minimal", "non-penetrating")
    d = domain(grade(base(sham_types=shams), RULES), "indirectness")
    assert d.downgrade == 0 and "2 sham types" in d.reason
    rules = replace(RULES, sham_variants_rate_down=True)
    assert domain(grade(base(sham_types=shams), rules), "indirectness").downgrade == 1


def test_imprecision_null_mcid_and_ois():
    d = domain(grade(base(ci_lb=-12.0, ci_ub=2.0, estimate=-5.0), RULES), "imprecision")
    assert d.downgrade == 1 and "crosses no effect" in d.reason
    d = domain(grade(base(ci_lb=-20.0, ci_ub=-10.0), RULES), "imprecision")
    assert d.downgrade == 1 and "includes the MCID of ±15" in d.reason
    d = domain(grade(base(ci_lb=-20.0, ci_ub=20.0, estimate=0.0), RULES), "imprecision")
    assert d.downgrade == 2
    d = domain(grade(base(n_participants=40), RULES), "imprecision")
    assert d.downgrade == 1 and "40 participants" in d.reason


def test_publication_bias_only_with_k_10():
    ids = tuple(f"S{i}" for i in range(10))
    g = base(k=10, study_ids=ids, weights_percent=(10.0,) * 10,
             rob=dict.fromkeys(ids, "low"), populations=dict.fromkeys(ids, "SIJ"),
             egger_pval=0.02)
    d = domain(grade(g, RULES), "publication_bias")
    assert d.downgrade == 1 and "p = 0.020" in d.reason
    d = domain(grade(replace(g, egger_pval=0.5), RULES), "publication_bias")
    assert d.downgrade == 0 and d.judgement == "undetected"


def test_floor_is_very_low():
    res = grade(base(rob={}, i2_percent=90.0, ci_lb=-40, ci_ub=30, estimate=-5,
                     populations={}), RULES)
    assert res.level == 1 and res.certainty == "Very low"


def test_override_needs_reason_and_is_recorded():
    ov = GradeOverride("pain_eot__sham", "risk_of_bias", 1, "Synthetic reason: blinding impossible")
    res = grade(base(), replace(RULES, overrides=(ov,)))
    d = domain(res, "risk_of_bias")
    assert d.overridden and d.downgrade == 1 and d.override_reason.startswith("Synthetic")
    assert res.level == 3
    ignored = grade(base(), replace(RULES, overrides=(replace(ov, reason="  "),)))
    assert ignored.level == 4
    other = grade(base(), replace(RULES, overrides=(replace(ov, analysis_id="odi_eot__sham"),)))
    assert other.level == 4


def test_not_estimable():
    res = grade(base(k=0, estimate=math.nan, study_ids=(), weights_percent=()), RULES)
    assert res.level == 0 and res.certainty == "not estimable" and res.domains == ()
    assert to_data(res)["domains"] == []
