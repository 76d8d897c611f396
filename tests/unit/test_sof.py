"""Tests of the Summary of Findings rows, wording and Markdown (synthetic data)."""

import math

import pytest
from _synthetic_review import review_config, synthetic_config, synthetic_rows

from trialmeta.report.assemble import review_text, sof_csv_rows, sof_markdown
from trialmeta.report.labels import label_map
from trialmeta.report.sof_build import _beyond_scale
from trialmeta.report.sof_model import sof_cells
from trialmeta.report.summary_of_findings import md_text, plain_language
from trialmeta.report.text import md_cell
from trialmeta.review.codec import from_data, to_data
from trialmeta.review.outcome import run_outcome
from trialmeta.review.results import OutcomeResult


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


def _tables(result, cfg=None):
    cfg = cfg or review_config()
    studies = [
        {
            "study_id": f"Synthetic{i:02d}",
            "authors": f"Synthetic{i:02d} A",
            "year": 2000 + i,
            "country": "Synthetia",
        }
        for i in range(1, 7)
    ]
    labels = label_map(to_data(cfg), studies)
    return review_text(cfg, [result], labels, studies, []).sof


def test_one_gradepro_table_per_comparison(bundle):
    # GRADE Handbook 2013, section 9.2; Cochrane Handbook v6.5, Figure 14.1.a
    tables = _tables(bundle)
    cfg = review_config()
    assert [t.comparison_id for t in tables] == [c.id for c in cfg.comparisons if not c.members]
    sham = tables[0]
    assert sham.header.title.startswith("Acupuncture compared with sham")
    assert sham.header.setting == "Trials in Synthetia (5)"
    assert "trials enrolled" in sham.header.population
    cells = sof_cells(sham)
    assert cells[0][:2] == ["Outcomes", "Anticipated absolute effects* (95% CI)"]
    assert cells[1][1:3] == ["Risk with sham", f"Risk with {cfg.intervention_label.lower()}"]
    row = sham.rows[0]
    assert row.participants.endswith("(5 RCTs)") and row.relative_effect == "\u2013"
    assert row.risk_intervention.startswith("MD ") and "lower" in row.risk_intervention
    assert row.risk_control.startswith("The mean pain ranged across control groups from")
    assert row.certainty_symbols.count("\u2a01") == bundle.analyses[0].grade.level
    assert "\u2295" not in row.certainty_symbols  # GRADEpro's circled plus, not U+2295
    assert "Minimal important difference: 15 points" in row.comments
    assert "weeks" in row.outcome or "week" in row.outcome
    downs = [d for d in bundle.analyses[0].grade.domains if d.downgrade > 0]
    assert len(sham.footnotes) == len(downs)  # one footnote per domain rated down
    assert row.footnote_marks == ",".join("abcdefghij"[: len(downs)])
    assert all(text.startswith("Rated down") for _, text in sham.footnotes)


def test_single_trial_shows_its_own_numbers(bundle):
    # GRADEpro reports a single-study result (issue 9: never "not estimable" when known)
    active = next(t for t in _tables(bundle) if t.comparison_id == "active")
    row = active.rows[0]
    eff = next(a for a in bundle.analyses if a.analysis.comparison == "active").effects[0]
    lo = eff.yi - 1.959963984540054 * math.sqrt(eff.vi)  # metafor escalc + Wald CI
    assert row.risk_intervention.startswith("MD ")
    assert f"{abs(lo):.1f}" in row.risk_intervention
    assert "One trial" in row.comments and row.participants.endswith("(1 RCT)")


def test_outcomes_no_trial_reported_are_listed(bundle):
    none = next(t for t in _tables(bundle) if t.comparison_id == "none")
    assert none.rows == () and none.not_reported == ("Pain (0-100), end of treatment",)


def test_ci_past_the_scale_says_so(bundle):
    assert _beyond_scale(-149.0, 120.4) and not _beyond_scale(-40.0, 10.0)


def test_markdown_and_csv_carry_the_same_cells(bundle):
    tables = _tables(bundle)
    md = sof_markdown(tables)
    rows = sof_csv_rows(tables)
    assert len(rows) == sum(len(t.rows) for t in tables)
    for t in tables:
        for cells in sof_cells(t)[2:]:
            assert "| " + " | ".join(md_cell(c) for c in cells) + " |" in md
    assert "**Patient or population:**" in md and "GRADE Working Group grades" in md


def test_wording_comes_from_the_config(bundle):
    # SYNTHETIC: another intervention, outcome noun and confidence level
    cfg = synthetic_config()
    cfg.update(intervention="synthetic therapy", outcome_nouns={"pain": "synthetic pain"})
    cfg["comparisons"][0]["comparator"] = "a synthetic placebo"
    typed = review_config(cfg)
    row = _tables(bundle, typed)[0].rows[0]
    assert row.comments.startswith(("Synthetic therapy", "The evidence"))
    assert "synthetic pain compared with a synthetic placebo" in row.comments
    assert row.risk_control.startswith("The mean synthetic pain")
