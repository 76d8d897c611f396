"""One label map for every renderer, and the scanner for raw identifiers (report review 1.5).

Label checks run on the shipped sheets (their study and arm ids are the codes a
reader must never see); the rendered-text checks use synthetic HTML, Markdown and
SVG, named so.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
import yaml

from trialmeta import plots
from trialmeta.data.validate import read_vocabulary
from trialmeta.report.labels import (
    CODE_LABELS,
    LabelMap,
    code_labels,
    identifiers,
    label_map,
    schema_codes,
)
from trialmeta.report.rendered_text import find_raw_identifiers, html_text, svg_text
from trialmeta.report.sheet_labels import sheet_labels
from trialmeta.review.codec import NotRun
from trialmeta.review.config import CitedValue, ModelConfig, OutcomeConfig, TimepointWindow
from trialmeta.review.grade import GradeResult
from trialmeta.review.results import AnalysisResult, CellResult, EffectRow, OutcomeResult

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shipped() -> LabelMap:
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    with open(ROOT / "data" / "studies.csv", encoding="utf-8") as f:
        studies = list(csv.DictReader(f))
    with open(ROOT / "data" / "arms.csv", encoding="utf-8") as f:
        arms = list(csv.DictReader(f))
    return label_map(config, studies, arms, read_vocabulary(ROOT / "data"))


def test_every_codebook_code_has_a_label() -> None:
    # schema enums in CODE_LABELS; the review's own codes in its vocabulary.yaml `labels`
    vocab = read_vocabulary(ROOT / "data")
    missing = [(col, v) for col, values in schema_codes().items() for v in values
               if v not in CODE_LABELS]  # fmt: skip
    assert missing == []
    assert [c for c in vocab.codes if c not in vocab.labels] == []
    codes = schema_codes(vocab)
    assert "arms.arm_type" in codes and "risk_of_bias.domain" in codes
    assert all(v in code_labels(vocab) for values in codes.values() for v in values)


def test_another_review_gets_its_own_labels() -> None:
    # Normand 1999: its codes are labelled by its vocabulary, none by the first review's
    vocab = read_vocabulary(ROOT / "examples" / "normand1999" / "data")
    labels = label_map({}, vocabulary=vocab)
    assert labels.code("routine_care") == "Routine care"
    assert labels.code("length_of_stay") == "Length of hospital stay"
    assert "sham" not in labels.codes and "usual_care" not in labels.codes
    assert {"routine_care", "specialist_care", "length_of_stay"} <= identifiers(labels)
    assert vocab.label("no_label_code") == "No label code"


def test_labels_named_in_the_issue(shipped: LabelMap) -> None:
    assert shipped.code("usual_care") == "Usual care"
    assert shipped.code("catgut_embedding") == "Catgut embedding"
    assert shipped.study("Sokunbi_NJMR") == "Sokunbi (n.d.)"
    assert shipped.study("SvahnEkdahl2021") == "Svahn Ekdahl 2021"
    assert shipped.study("Nicolian2019") == "Nicolian 2019"
    assert shipped.comparison_row("Sokunbi_NJMR", "ACT", "CG") == (
        "Sokunbi (n.d.) (acupuncture vs education and advice)"
    )
    assert shipped.comparison_row("Sokunbi_NJMR", "ACPT", "CPT") == (
        "Sokunbi (n.d.) (acupuncture + conventional physiotherapy vs conventional physiotherapy)"
    )
    assert shipped.control("usual_care") == "Usual care or no treatment"
    assert shipped.analysis("pain_eot__sham") == (
        "Pain (0-100), end of treatment: acupuncture vs sham"
    )


def test_two_arms_of_a_trial_never_share_a_label(shipped: LabelMap) -> None:
    by_trial: dict[str, list[str]] = {}
    for (sid, _), text in shipped.arms.items():
        by_trial.setdefault(sid, []).append(text)
    assert all(len(set(v)) == len(v) for v in by_trial.values()), by_trial
    assert not find_raw_identifiers(" ".join(shipped.studies.values()), identifiers(shipped))


def test_same_author_and_year_get_letters() -> None:
    rows = [{"study_id": "SynA", "authors": "Synthetic A; Other B", "year": "2001"},
            {"study_id": "SynB", "authors": "Synthetic A", "year": "2001"},
            {"study_id": "SynC", "authors": "", "title": "A synthetic title of six words",
             "year": ""}]  # fmt: skip
    labels = label_map({}, rows)
    assert (labels.study("SynA"), labels.study("SynB")) == ("Synthetic 2001a", "Synthetic 2001b")
    assert labels.study("SynC") == "A synthetic title of… (n.d.)"


def test_identifiers_cover_codes_config_ids_and_study_ids(shipped: LabelMap) -> None:
    ids = identifiers(shipped)
    assert {"usual_care", "pain_eot", "pain_eot__sham", "Sokunbi_NJMR", "Bishop2016",
            "secondary_extraction", "catgut_embedding"} <= ids  # fmt: skip


def test_scanner_finds_whole_words_only() -> None:
    ids = {"usual_care", "Bishop2016", "pain_eot"}
    text = "Synthetic: Bishop 2016 vs usual care; xusual_carex; see pain_eot__sham and usual_care."
    assert find_raw_identifiers(text, ids) == ["usual_care"]
    assert find_raw_identifiers("Bishop2016 (TA vs SC)", ids) == ["Bishop2016"]


def test_html_text_reads_attributes_and_skips_scripts_and_appendices() -> None:
    html = """<html><head><style>.usual_care{}</style><script>var pain_eot=1</script></head>
    <body><p>Synthetic report</p><img alt="forest of no_treatment" src="x.png">
    <section id="appendix-flags"><p>k_eq_1 usual_care</p></section>
    <div class="appendix"><p>tau2_at_zero_boundary</p></div>
    <p title="waitlist">x</p></body></html>"""
    text = html_text(html)
    assert "forest of no_treatment" in text and "waitlist" in text
    for hidden in ("pain_eot", "usual_care", "k_eq_1", "tau2_at_zero_boundary"):
        assert hidden not in text
    assert "k_eq_1" in html_text(html, skip_prefix="")


def test_shipped_forest_svg_has_no_raw_identifiers(shipped: LabelMap, tmp_path: Path) -> None:
    # the workflow's forest, drawn through the label map, read back from the SVG
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["data_dir"] = str(ROOT / "data")
    labels, rob = sheet_labels(config)
    from trialmeta.plots.outcome import FigureWording, draw_outcome_figures

    draw_outcome_figures(
        _synthetic_result(),
        tmp_path,
        FigureWording("MD", "acupuncture"),
        labels=labels,
        rob_rows=rob,
    )
    svg = (tmp_path / "forest__pain_eot__usual_care.svg").read_text(encoding="utf-8")
    text = svg_text(svg)
    assert "Sokunbi (n.d.) (acupuncture vs education" in text  # the label wraps here
    assert "Usual care or no treatment" in text
    assert find_raw_identifiers(text, identifiers(labels)) == []
    plt.close("all")


def _synthetic_result() -> OutcomeResult:
    """A stored result (synthetic numbers) naming real sheet ids, as run_outcome does."""
    rows = []
    for sid, a1, a2, yi in (("Sokunbi_NJMR", "ACT", "CG", -30.0), ("Bishop2016", "TA", "SC", -20.0),
                            ("Zaringhalam2010", "AC", "C", -10.0)):  # fmt: skip
        rows.append(EffectRow(values={
            "study_id": sid, "row_id": sid, "arm_id_1": a1, "arm_id_2": a2, "yi": yi, "vi": 40.0,
            "m1": 30.0, "sd1": 10.0, "n1": 20, "m2": 50.0, "sd2": 12.0, "n2": 20,
            "measure": "final", "derivation": f"{a1}: sd reported; {a2}: sd reported; VAS 0-10 "
            "(inferred)", "verification": "primary_verbatim", "control_type": "usual_care"},
            analysis_id="pain_eot__usual_care", weight_percent=100 / 3))  # fmt: skip
    aid, not_run = "pain_eot__usual_care", NotRun("synthetic: not pooled")
    cell = CellResult(
        aid,
        "pain_eot",
        "pain",
        "usual_care",
        "all",
        3,
        120,
        "pooled",
        tuple(r.row_id for r in rows),
        (100 / 3,) * 3,
        None,
        (),
        3,
    )
    analysis = AnalysisResult(
        cell,
        tuple(rows),
        (),
        (),
        not_run,
        not_run,
        not_run,
        {},
        (),
        (),
        not_run,
        False,
        "Acupuncture vs usual care or no treatment",
        not_run,
        not_run,
        not_run,
        math.nan,
        "computed",
        GradeResult(aid, 0, "not estimable", ""),
    )
    outcome = OutcomeConfig(
        "pain_eot",
        "pain",
        "Pain",
        TimepointWindow(0, 12, 8, False),
        CitedValue(15, "Synthetic 2000; x"),
        CitedValue(None, "computed"),
    )
    return OutcomeResult(outcome, ModelConfig("REML", "knha", 0.95, 2), (analysis,), "combine")


def test_forest_of_a_plain_label_map_still_draws() -> None:
    data = plots.forest_data(["Synthetic 2001"], [1.0], [2.0])
    fig = plots.forest_plot(data)
    assert fig.get_size_inches()[0] > 0
    plt.close(fig)
