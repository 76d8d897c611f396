"""GRADE rules of trialmeta.review.certainty, each test citing the guidance it encodes.

The 2022 imprecision papers were read as published abstracts (the full texts with their
worked figures were not readable here); where a test uses this review's own numbers it says
so. All other inputs are SYNTHETIC.
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from trialmeta.review.certainty import (
    certainty,
    certainty_symbols,
    iceman_credibility,
    imprecision,
    inconsistency,
    indirectness,
    optimal_information_size,
    publication_bias,
    risk_of_bias,
    statement,
)

OIS_PAIN = optimal_information_size(15, 23)  # MCID 15, SD 23 (Cherkin 2009 Table 1) -> 74


# ------------------------------------------------------------------ imprecision
def test_ois_closed_form():
    # GRADE guidelines 6 (Guyatt 2011, J Clin Epidemiol 64:1283): OIS = the sample size of
    # a single adequately powered trial; two arms, alpha 0.05, power 0.80, delta = 0.2 SD
    z = stats.norm.isf(0.025) + stats.norm.ppf(0.8)
    assert optimal_information_size(0.2, 1.0) == pytest.approx(4 * z**2 / 0.04)
    assert round(optimal_information_size(0.2, 1.0)) == 785
    assert math.ceil(OIS_PAIN) == 74 and math.isnan(optimal_information_size(0, 1))


def test_ci_within_plus_minus_mcid_is_little_or_no_difference_not_imprecise():
    # GRADE guidance 34 (Zeng 2022, J Clin Epidemiol 150:216-224): the CI approach with the
    # MID as threshold is primary. This review's sham analysis (report-review M8): -1.66
    # (-9.12 to 5.80), n 305, MCID 15 -> the CI lies within +/-15: not rated down
    j = imprecision(-1.66, -9.12, 5.80, 15, 305, OIS_PAIN)
    assert j.downgrade == 0 and "little or no difference" in j.sentence
    assert j.numbers["ci_zone"] == "trivial"


def test_ci_crossing_one_threshold_rates_down_once():
    # GRADE guidance 34: a CI crossing the threshold of interest -> rate down
    j = imprecision(-20.0, -28.0, -12.0, 15, 400, OIS_PAIN)
    assert j.downgrade == 1 and "benefit threshold" in j.sentence


def test_ci_crossing_both_thresholds_or_very_wide_rates_down_twice():
    # GRADE guidance 34, Results: "when a CI appreciably crosses the threshold(s) of interest,
    # one should consider rating down two or three levels"; GRADE guidance 35 (Schuenemann
    # 2022, J Clin Epidemiol 150:225-242): very serious when the CI spans both thresholds
    both = imprecision(-14.3, -149.0, 120.4, 15, 315, OIS_PAIN)  # report-review S1
    assert both.downgrade == 2 and "both" in both.sentence
    wide = imprecision(-30.0, -62.0, -10.0, 15, 400, OIS_PAIN)  # 52 points = 3.5 MCIDs
    assert wide.downgrade == 2 and wide.numbers["width_in_mcid"] == pytest.approx(52 / 15)


def test_ois_is_the_second_check():
    # GRADE guidance 34, Results: "When the CI does not cross the threshold(s) ... implement
    # the OIS approach. If the sample size ... is far less than the OIS, ... rating down more
    # than one level"
    ok = imprecision(-25.0, -32.0, -18.0, 15, 200, OIS_PAIN)
    short = imprecision(-25.0, -32.0, -18.0, 15, 60, OIS_PAIN)
    far = imprecision(-25.0, -32.0, -18.0, 15, 20, OIS_PAIN)
    assert (ok.downgrade, short.downgrade, far.downgrade) == (0, 1, 2)
    assert "optimal information size of 74" in short.sentence


# ------------------------------------------------------------------ risk of bias
def test_risk_of_bias_by_weight_share_and_unassessed_as_unclear():
    # GRADE guidelines 4 (Guyatt 2011, J Clin Epidemiol 64:407): judge by the contribution
    # of each study; Cochrane Handbook 14.2.2. Unassessed trials count as unclear.
    w = {"A": 40.0, "B": 35.0, "C": 25.0}
    assert risk_of_bias(w, {"A": "low", "B": "low", "C": "high"}).downgrade == 1  # 25% high
    assert risk_of_bias(w, {"A": "high", "B": "high", "C": "low"}).downgrade == 2  # 75% high
    j = risk_of_bias(w, {"A": "low"})  # B, C not assessed: 60% unclear
    assert j.downgrade == 1 and j.numbers["not_assessed_percent"] == pytest.approx(60.0)
    assert risk_of_bias(w, dict.fromkeys(w, "low")).downgrade == 0


# ------------------------------------------------------------------ inconsistency
def test_large_i2_with_estimates_on_one_side_of_the_mcid_is_not_serious():
    # GRADE guidelines 7 (Guyatt 2011, J Clin Epidemiol 64:1294): judge the spread of the
    # point estimates against the thresholds and the overlap of CIs, not I2 alone. This
    # review's ODI vs active (report-review M10): I2 91%, estimates -7.2 to +0.3, MCID 10
    yi = [-7.2, -4.6, -3.5, 0.3, -6.7]
    lb = [-9.0, -5.9, -6.6, -2.5, -7.5]
    ub = [-5.4, -3.3, -0.4, 3.1, -5.9]
    j = inconsistency(yi, lb, ub, 91.0, -13.0, 4.0, 10)
    assert j.downgrade == 0 and "one side" in j.sentence


def test_estimates_across_the_threshold_with_non_overlapping_cis_rate_down():
    yi, lb, ub = [-39.0, -5.0, -12.0], [-40.0, -12.0, -20.0], [-38.0, 2.0, -4.0]
    j = inconsistency(yi, lb, ub, 88.0, -75.0, 22.0, 15)
    assert j.downgrade == 1 and "both sides" in j.sentence
    harm = inconsistency([-30.0, 25.0], [-35.0, 20.0], [-25.0, 30.0], 97.0, math.nan, math.nan, 15)
    assert harm.downgrade == 2  # important benefit and important harm, CIs apart


def test_a_credible_subgroup_effect_explains_inconsistency_only_when_credible():
    # ICEMAN (Schandelmaier 2020, CMAJ 192:E901): between-trial comparison, p = 0.04 -> low
    between = dict.fromkeys(
        [
            "a_priori_direction",
            "few_effect_modifiers_tested",
            "chance_unlikely",
            "no_arbitrary_cut_points",
        ],
        True,
    )
    assert iceman_credibility(between, 0.04) == "low"
    within = dict.fromkeys(
        [
            "within_trial_comparison",
            "similar_across_trials",
            "a_priori_direction",
            "few_effect_modifiers_tested",
            "chance_unlikely",
            "no_arbitrary_cut_points",
        ],
        True,
    )
    assert iceman_credibility(within, 0.001) == "high"
    assert iceman_credibility(within, 0.2) == "low"
    yi, lb, ub = [-39.0, -5.0, -12.0], [-40.0, -12.0, -20.0], [-38.0, 2.0, -4.0]
    kept = inconsistency(yi, lb, ub, 88.0, -75.0, 22.0, 15, subgroup_credibility="low")
    gone = inconsistency(yi, lb, ub, 88.0, -75.0, 22.0, 15, subgroup_credibility="moderate")
    assert (kept.downgrade, gone.downgrade) == (1, 0) and "ICEMAN" in gone.sentence


def test_single_trial_is_not_inconsistent():
    j = inconsistency([-3.8], [-12.4], [4.9], math.nan, math.nan, math.nan, 15)
    assert j.downgrade == 0 and j.judgement == "not applicable"


# ------------------------------------------------------------------ indirectness
def test_indirectness_population_comparator_timepoint():
    # GRADE guidelines 8 (Guyatt 2011, J Clin Epidemiol 64:1303): population, comparator and
    # outcome timing each count; this review's SIJ question with CLBP/PGP trials (M12)
    w = {"A": 60.0, "B": 40.0}
    pops = {"A": "CLBP", "B": "PGP"}
    assert indirectness(w, pops, "SIJ").downgrade == 1
    two = indirectness(w, pops, "SIJ", ["minimal (superficial needling)", "non-penetrating"])
    assert two.downgrade == 2 and "2 sham types" in two.sentence
    assert indirectness(w, {"A": "SIJ", "B": "SIJ"}, "SIJ").downgrade == 0
    late = indirectness(w, {"A": "SIJ", "B": "SIJ"}, "SIJ", fallback_timepoint={"A": True})
    assert late.downgrade == 1


# ------------------------------------------------------------------ publication bias
def test_convenience_set_or_secondary_extractions_rate_down_publication_bias():
    # GRADE guidelines 5 (Guyatt 2011, J Clin Epidemiol 64:1277): strongly suspected when
    # the search was not comprehensive; small-study tests only at k >= 10 (Handbook 13.3.5.4)
    w = {"A": 50.0, "B": 30.0, "C": 20.0}
    conv = publication_bias(
        w,
        {},
        systematic_search=False,
        search_statement="a convenience set, not a systematic search",
    )
    assert conv.downgrade == 1 and "convenience set" in conv.sentence
    sec = publication_bias(w, {"A": True, "B": True}, systematic_search=True)
    assert sec.downgrade == 1 and sec.numbers["secondary_percent"] == pytest.approx(80.0)
    fine = publication_bias(w, {}, systematic_search=True, egger_pval=0.01)
    assert fine.downgrade == 0 and "not run (k = 3 < 10" in fine.sentence


# ------------------------------------------------------------------ overall and statement
def test_overall_certainty_and_statement():
    # GRADE guidelines 3 (Balshem 2011): RCTs start high; Santesso 2020 (GRADE 26) wording
    j = [risk_of_bias({"A": 1.0}, {"A": "high"}), imprecision(-3.8, -12.4, 4.9, 15, 210, OIS_PAIN)]
    c = certainty(j)
    assert c.level == 2 and c.words == "Low" and c.symbols == "\u2a01\u2a01\u25ef\u25ef"
    assert (
        statement(2, "Acupuncture", "pain", "little_or_no_difference")
        == "Acupuncture may result in little or no difference in pain."
    )
    assert statement(3, "Acupuncture", "pain", "reduces") == "Acupuncture probably reduces pain."
    assert statement(1, "Acupuncture", "pain", "reduces").startswith("The evidence is very")
    assert certainty_symbols(0) == "" and certainty(j * 3).level == 1
