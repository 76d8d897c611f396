"""Tests of the GRADE step wired to the 2022 rules of :mod:`trialmeta.review.certainty`
(synthetic inputs; thresholds of the shipped config). The domain rules themselves are tested
against the guidance papers in tests/unit/test_certainty.py."""

import math
from dataclasses import replace
from pathlib import Path

import pytest
from scipy import stats

from trialmeta.review.codec import from_data, to_data
from trialmeta.review.config import GradeOverride, load_config
from trialmeta.review.grade import (
    GradeInput,
    GradeResult,
    TrialEvidence,
    certainty_symbols,
    direction,
    grade,
    optimal_information_size,
)

ROOT = Path(__file__).parents[2]
CFG = load_config(
    [ROOT / "config" / "config.yaml"], ROOT / "workflow" / "schemas" / "config.schema.yaml"
)
RULES, THRESHOLDS = CFG.grade, CFG.certainty


def trial(y: float, rob: str = "low", pop: str = "SIJ", w: float = 25.0) -> TrialEvidence:
    return TrialEvidence(w, y, y - 5.0, y + 5.0, rob, pop, False, False)


def base(**kw) -> GradeInput:
    g = GradeInput(
        analysis_id="pain_eot__sham", basis="pooled", n_participants=800, estimate=-20.0,
        ci_lb=-25.0, ci_ub=-16.0, pi_lb=-28.0, pi_ub=-12.0, i2_percent=10.0,
        trials={f"S{i}": trial(-20.0) for i in range(1, 5)}, target_population="SIJ",
        mcid=15.0, ois_sd=20.0, level=0.95, systematic_search=True,
        search_statement="MEDLINE, Embase, CENTRAL to 2025",
    )  # fmt: skip
    return replace(g, **kw)


def domain(res, name):
    return next(d for d in res.domains if d.domain == name)


def test_ois_formula():
    # GRADE guidelines 6 (Guyatt 2011, J Clin Epidemiol 64:1283): OIS of one adequately
    # powered two-arm trial
    z = stats.norm.isf(0.025) + stats.norm.ppf(0.8)
    assert optimal_information_size(10, 20, 0.05, 0.8) == pytest.approx(4 * z**2 * 400 / 100)
    assert math.isnan(optimal_information_size(0, 20, 0.05, 0.8))


def test_symbols_are_gradepro_circles():
    assert certainty_symbols(4) == "\u2a01" * 4
    assert certainty_symbols(2) == "\u2a01\u2a01\u25ef\u25ef"
    assert certainty_symbols(0) == ""


def test_clean_systematic_evidence_stays_high():
    # GRADE guidelines 3 (Guyatt 2011, J Clin Epidemiol 64:401): RCTs start at High
    res = grade(base(), RULES, THRESHOLDS)
    assert res.level == 4 and res.certainty == "High" and res.basis == "pooled"
    pb = domain(res, "publication_bias")
    assert pb.downgrade == 0 and "k = 4 < 10" in pb.reason  # small-study tests not run
    assert all(isinstance(d.numbers, dict) for d in res.domains)
    assert res.direction == "reduces"


def test_convenience_set_rates_down_publication_bias_with_the_statement():
    # GRADE guidelines 5 (Guyatt 2011, J Clin Epidemiol 64:1277): strongly suspected when
    # the search was not comprehensive
    res = grade(
        base(systematic_search=False, search_statement="a convenience set"), RULES, THRESHOLDS
    )
    d = domain(res, "publication_bias")
    assert d.downgrade == 1 and "a convenience set" in d.reason
    assert d.facts["systematic_search"] == "no" and res.level == 3


def test_unblinded_high_risk_weight_rates_down():
    # GRADE guidelines 4 (Guyatt 2011, J Clin Epidemiol 64:407): by weight share
    trials = {"S1": trial(-20, "high"), "S2": trial(-20), "S3": trial(-20), "S4": trial(-20)}
    d = domain(grade(base(trials=trials), RULES, THRESHOLDS), "risk_of_bias")
    assert d.downgrade == 1 and d.numbers["high_percent"] == pytest.approx(25.0)
    trials = {s: trial(-20, "not_assessed") for s in ("S1", "S2", "S3", "S4")}
    d = domain(grade(base(trials=trials), RULES, THRESHOLDS), "risk_of_bias")
    assert d.downgrade == 1 and d.numbers["not_assessed_percent"] == pytest.approx(100.0)


def test_ci_within_mcid_is_little_or_no_difference():
    # GRADE guidance 34 (Zeng 2022, J Clin Epidemiol 150:216-224): a CI within +/-MCID is
    # not imprecise; the statement says "little or no difference" (GRADE guidelines 26)
    res = grade(base(estimate=-1.66, ci_lb=-9.12, ci_ub=5.80), RULES, THRESHOLDS)
    assert domain(res, "imprecision").downgrade == 0
    assert res.direction == "little_or_no_difference"
    assert direction(-20.0, -25.0, -16.0, 15.0) == "reduces"


def test_single_trial_is_rated_not_not_estimable():
    # GRADEpro rates a single study's result like any body of evidence
    res = grade(
        base(
            basis="single trial",
            trials={"S1": trial(-20.0, w=100.0)},
            i2_percent=math.nan,
            pi_lb=math.nan,
            pi_ub=math.nan,
            n_participants=900,
        ),
        RULES,
        THRESHOLDS,
    )
    assert res.basis == "single trial" and res.level >= 1 and res.certainty != "not rated"
    assert domain(res, "inconsistency").downgrade == 0


def test_floor_is_very_low():
    trials = {s: trial(-20, "high", "CLBP") for s in ("S1", "S2", "S3", "S4")}
    res = grade(
        base(trials=trials, ci_lb=-60.0, ci_ub=30.0, systematic_search=False), RULES, THRESHOLDS
    )
    assert res.level == 1 and res.certainty == "Very low"


def test_override_replaces_one_domain_and_keeps_its_reason():
    ov = GradeOverride(
        "pain_eot__sham",
        "publication_bias",
        0,
        "The trial registry search found no unpublished trials.",
    )
    res = grade(base(systematic_search=False), replace(RULES, overrides=(ov,)), THRESHOLDS)
    d = domain(res, "publication_bias")
    assert d.overridden and d.downgrade == 0 and d.override_reason == ov.reason
    assert res.level == 4
    other = grade(
        base(systematic_search=False),
        replace(RULES, overrides=(replace(ov, analysis_id="odi_eot__sham"),)),
        THRESHOLDS,
    )
    assert not domain(other, "publication_bias").overridden


def test_no_trials_is_not_rated_with_a_reason_and_round_trips():
    res = grade(base(trials={}, estimate=math.nan), RULES, THRESHOLDS)
    assert res.level == 0 and res.not_rated
    full = grade(base(), RULES, THRESHOLDS)
    assert from_data(GradeResult, to_data(full)) == full
