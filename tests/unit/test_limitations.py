"""Tests of the generated limitations summary (synthetic data)."""

import pytest
from _synthetic_review import review_config, synthetic_rows

from trialmeta.flags import Flag, describe
from trialmeta.report.limitations import collect_flags, limitations_markdown
from trialmeta.report.sentences import tsa_sentence
from trialmeta.review.codec import from_data, to_data
from trialmeta.review.outcome import run_outcome
from trialmeta.review.results import OutcomeResult
from trialmeta.stats.tsa import TsaResult

ACCOUNTING = [{"study_id": "Synthetic09", "reason": "synthetic: no SD reported"}]
WARNINGS = [{"warning": "Synthetic02: implausibly small SD (synthetic)"}]


@pytest.fixture(scope="module")
def parts():
    rows = synthetic_rows()
    res = run_outcome(rows, {"Synthetic01": "high"}, review_config(), "pain_eot")
    res = from_data(OutcomeResult, to_data(res))  # as the workflow reads it back
    md = limitations_markdown([res], rows.to_dict("records"), ACCOUNTING, WARNINGS, 0.05, 0.80)
    return res, md


def test_all_sections_present(parts):
    _, md = parts
    for head in (
        "## 1. Number and size of trials",
        "## 2. Spread of protocols",
        "## 3. Heterogeneity and prediction intervals",
        "## 4. What could not be pooled and why",
        "## 5. Data-quality warnings",
        "## 6. Flags raised by the analysis core",
        "## 7. Robustness across the sensitivity grid",
        "## 8. What would change the conclusion (trial sequential analysis)",
        "## 9. Certainty of the evidence (GRADE) and why",
    ):
        assert head in md


def test_sizes_protocols_and_not_pooled(parts):
    _, md = parts
    assert "| pain_eot__sham | 5 |" in md
    assert "Not recorded in the data: needle_type, sham_type." in md
    assert "| pain_eot__none | not estimable (k = 0) |" in md
    assert "| pain_eot__active | not estimable (k = 1) |" in md
    assert "synthetic: no SD reported" in md
    assert "implausibly small SD (synthetic)" in md
    assert "Rows from secondary sources: 1 (Synthetic03)" in md


def test_every_flag_is_described(parts):
    res, md = parts
    pairs = collect_flags([res])
    assert pairs, "the synthetic design must raise flags (k = 1 cells)"
    for _where, code in pairs:
        assert describe(code) != code
        assert describe(code) in md


def test_sensitivity_grid_flags_reach_the_summary(parts):
    # a refit of the estimator grid raising a flag the main fit does not (the k = 4 subset
    # without the high-risk trial pools a tau² of zero here)
    res, md = parts
    sham = next(a for a in res.analyses if a.analysis_id == "pain_eot__sham")
    flagged = [(s.label, f) for s in sham.sensitivity for f in s.flags]
    assert flagged
    label, flag = flagged[0]
    sec6 = md.split("## 6.")[1].split("## 7.")[0]
    (line,) = [x for x in sec6.splitlines() if f"(`{flag}`;" in x]  # each flag stated once
    assert line.startswith(f"- {Flag(flag).sentence} (`{flag}`;")
    assert f"pain_eot__sham sensitivity: {label}" in line  # with every place it was raised


def test_trial_sequential_analysis_sentence(parts):
    res, md = parts
    sham = next(a for a in res.analyses if a.analysis_id == "pain_eot__sham")
    assert isinstance(sham.tsa, TsaResult)
    assert f"- pain_eot__sham: {tsa_sentence(sham.tsa)} (RIS from MCID 15" in md


def test_robustness_and_grade_reasons(parts):
    _, md = parts
    assert (
        "pain_eot__sham: the conclusion (whether the CI excludes no effect, and on which "
        "side) holds in" in md
    )
    sec9 = md.split("## 9.")[1]
    assert (
        "| Analysis | Certainty | risk of bias | inconsistency | indirectness | imprecision"
        " | publication bias |" in sec9
    )
    imprecision = [
        x
        for x in sec9.split("### Imprecision")[1].split("### ")[0].splitlines()
        if x.startswith("- ")
    ]
    assert imprecision and all("MCID" in x for x in imprecision)
    assert "optimal information size" in md
    for block in sec9.split("### ")[1:]:  # per domain: its rule once, no reason repeated
        assert block.count("Rule: ") <= 1 and "(rate down" not in block
        reasons = [
            x.split(") — ", 1)[1].split(". ", 1)[1] for x in block.splitlines() if ") — " in x
        ]
        assert len(reasons) == len(set(reasons))


def test_deterministic(parts):
    res, md = parts
    again = limitations_markdown(
        [res], synthetic_rows().to_dict("records"), ACCOUNTING, WARNINGS, 0.05, 0.80
    )
    assert again == md
