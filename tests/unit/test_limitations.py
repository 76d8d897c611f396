"""Tests of the generated limitations summary (synthetic data)."""

import json

import pytest
from _synthetic_review import synthetic_config, synthetic_rows

from trialmeta import flags
from trialmeta.report.limitations import collect_flags, describe_flag, limitations_markdown
from trialmeta.review.outcome import run_outcome


@pytest.fixture(scope="module")
def parts():
    rows = synthetic_rows()
    cfg = synthetic_config()
    bundle = json.loads(json.dumps(run_outcome(rows, {"Synthetic01": "high"}, cfg, "pain_eot")))
    accounting = [{"study_id": "Synthetic09", "reason": "synthetic: no SD reported"}]
    warnings = [{"warning": "Synthetic02: implausibly small SD (synthetic)"}]
    md = limitations_markdown([bundle], rows.to_dict("records"), accounting, warnings, cfg)
    return bundle, md


def test_all_sections_present(parts):
    _, md = parts
    for head in ("## 1. Number and size of trials", "## 2. Spread of protocols",
                 "## 3. Heterogeneity and prediction intervals",
                 "## 4. What could not be pooled and why", "## 5. Data-quality warnings",
                 "## 6. Flags raised by the analysis core",
                 "## 7. Robustness across the sensitivity grid",
                 "## 8. What would change the conclusion (trial sequential analysis)",
                 "## 9. Certainty of the evidence (GRADE) and why"):
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
    bundle, md = parts
    pairs = collect_flags([bundle])
    assert pairs, "the synthetic design must raise flags (k = 1 cells)"
    for _where, code in pairs:
        assert describe_flag(code) != code
        assert describe_flag(code) in md


def test_describe_flag_prefers_core_text():
    assert describe_flag(flags.K1) == flags.describe(flags.K1)
    assert describe_flag("unknown_synthetic_code") == "unknown_synthetic_code"


def test_trial_sequential_analysis_sentence(parts):
    bundle, md = parts
    sham = next(e for e in bundle["analyses"] if e["analysis"]["analysis_id"] == "pain_eot__sham")
    assert sham["tsa"]["run"] is True
    assert f"- pain_eot__sham: {sham['tsa']['sentence']} (RIS from MCID 15" in md


def test_robustness_and_grade_reasons(parts):
    _, md = parts
    assert "pain_eot__sham: the conclusion (whether the CI excludes no effect, and on which " \
           "side) holds in" in md
    assert "- imprecision:" in md and "optimal information size" in md


def test_deterministic(parts):
    bundle, md = parts
    rows = synthetic_rows()
    again = limitations_markdown(
        [bundle], rows.to_dict("records"),
        [{"study_id": "Synthetic09", "reason": "synthetic: no SD reported"}],
        [{"warning": "Synthetic02: implausibly small SD (synthetic)"}], synthetic_config())
    assert again == md
