"""Tests of the Summary of Findings rows, wording and Markdown (synthetic data)."""

import math

import pytest
from _synthetic_review import review_config, synthetic_config, synthetic_rows

from trialmeta.report.summary_of_findings import (
    SOF_COLUMNS,
    SofWording,
    md_text,
    plain_language,
    sof_markdown,
    sof_rows,
)
from trialmeta.review.codec import from_data, to_data
from trialmeta.review.outcome import run_outcome
from trialmeta.review.results import OutcomeResult

WORDING = SofWording.of(review_config())


@pytest.fixture(scope="module")
def bundle():
    out = run_outcome(synthetic_rows(), {"Synthetic01": "high"}, review_config(), "pain_eot")
    return from_data(OutcomeResult, to_data(out))


def test_md_text_gradepro_wording():
    assert md_text(-5.24, -9.8, 0.61, "MD") == "MD 5.2 lower (9.8 lower to 0.6 higher)"
    assert md_text(3.0, 1.0, 5.0, "MD") == "MD 3.0 higher (1.0 higher to 5.0 higher)"
    assert md_text(math.nan, 0, 1, "MD") == "not estimable"


@pytest.mark.parametrize(("level", "est", "lb", "ub", "expected"), [
    (2, -5.0, -9.0, -1.0, "Acupuncture may reduce pain slightly compared with sham."),
    (3, -20.0, -25.0, -16.0, "Acupuncture probably reduces pain compared with sham."),
    (4, -2.0, -6.0, 2.0, "Acupuncture results in little to no difference in pain compared "
                         "with sham."),
    (2, 4.0, 1.0, 7.0, "Acupuncture may increase pain slightly compared with sham."),
    (1, -20.0, -30.0, -10.0, "The evidence is very uncertain about the effect of acupuncture "
                             "on pain compared with sham."),
    (0, math.nan, math.nan, math.nan, "The effect of acupuncture on pain compared with sham "
                                      "could not be estimated."),
])  # fmt: skip
def test_plain_language(level, est, lb, ub, expected):
    assert plain_language(level, est, lb, ub, 15.0, "pain", "sham", "acupuncture") == expected


def test_sof_rows_one_per_main_analysis(bundle):
    rows = sof_rows([bundle], WORDING)
    assert [r["analysis_id"] for r in rows] == [
        "pain_eot__sham", "pain_eot__active", "pain_eot__none", "pain_eot__any"]
    sham = rows[0]
    assert set(SOF_COLUMNS) <= set(sham)
    assert sham["k"] == 5 and sham["participants_studies"].endswith("(5 RCTs)")
    assert sham["effect"].startswith("MD ") and sham["certainty_symbols"].count("⨁") >= 1
    assert sham["plain_language"].startswith(("Acupuncture", "The evidence"))
    active, none = rows[1], rows[2]
    # a single trial reports its own result and is rated, as GRADEpro does
    assert active["effect"].endswith("(single trial)") and active["participants_studies"] == (
        f"{active['n_participants']} (1 RCT)")
    assert active["certainty_level"] >= 1
    assert none["effect"] == "not estimable (k = 0)" and none["certainty"] == "not estimable"
    assert "could not be estimated" in none["plain_language"]


def test_sof_markdown_escapes_pipes(bundle):
    rows = sof_rows([bundle], WORDING)
    rows[0]["outcome"] = "Synthetic | pipe"
    md = sof_markdown(rows, WORDING)
    assert "Synthetic \\| pipe" in md
    assert md.count("\n| ") == len(rows) + 1
    assert "№ of participants (studies)" in md


def test_wording_comes_from_the_config(bundle):
    # SYNTHETIC: another intervention, outcome noun and confidence level
    cfg = synthetic_config()
    cfg.update(intervention="synthetic therapy", outcome_nouns={"pain": "synthetic pain"})
    cfg["model"]["level"] = 0.9
    cfg["comparisons"][0]["comparator"] = "a synthetic placebo"
    wording = SofWording.of(review_config(cfg))
    rows = sof_rows([bundle], wording)
    assert rows[0]["plain_language"].startswith(("Synthetic therapy", "The evidence"))
    assert "synthetic pain compared with a synthetic placebo" in rows[0]["plain_language"]
    md = sof_markdown(rows, wording)
    assert "Effect (90% CI)" in md and "negative favours synthetic therapy" in md
    assert "favours acupuncture" not in md and "95%" not in md  # labels are config text
    smd = sof_markdown(rows, SofWording("SMD", "therapy", {}, {}, 0.95))
    assert "SMD: standardised mean difference (negative favours therapy)." in smd
