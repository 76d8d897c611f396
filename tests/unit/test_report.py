"""Tests of the HTML report: escaping, self-containment, determinism (synthetic data)."""

import pytest
from _synthetic_review import review_config, synthetic_config, synthetic_rows

from trialmeta.report.assemble import review_text
from trialmeta.report.html import ReportInputs, markdown_to_html, render_report, table_html
from trialmeta.report.humanise import humaniser
from trialmeta.report.labels import label_map
from trialmeta.review.codec import from_data, to_data
from trialmeta.review.outcome import run_outcome
from trialmeta.review.results import OutcomeResult

XSS = "<script>alert(1)</script>"


def _render() -> str:
    rows = synthetic_rows()
    rows.loc[rows["study_id"] == "Synthetic02", "study_id"] = XSS
    cfg = synthetic_config()
    cfg["title"] = f"Synthetic {XSS} title"
    cfg["external_results"] = [
        {
            "outcome_id": "pain_eot",
            "label": XSS,
            "measure": "MD",
            "estimate": -1.0,
            "ci_lb": -2.0,
            "ci_ub": 0.0,
            "source": "javascript:alert(1)",
        }
    ]
    typed = review_config(cfg)
    result = from_data(OutcomeResult, to_data(run_outcome(rows, {}, typed, "pain_eot")))
    prov = {
        "packages": {"trialmeta": "0"},
        "git": {"commit": "abc", "dirty": False},
        "rerun": "snakemake --cores 2",
        "inputs": [{"path": XSS, "sha256": "0" * 64}],
        "config_files": [],
        "config": cfg,
    }
    studies = [
        {"study_id": "Synthetic01", "authors": XSS, "year": 2001.0, "country": XSS},
        {"study_id": XSS, "authors": "Synthetic B", "year": 2002.0},
    ]
    labels = label_map(to_data(typed), studies)
    accounting = [{"study_id": XSS, "status": "excluded", "reason_code": XSS}]
    text = review_text(typed, [result], labels, studies, accounting)
    return render_report(
        ReportInputs(
            typed,
            [result],
            text.sof,
            text.flow,
            text.summary,
            text.top_limitations,
            f"# Lim\n\n- {XSS}\n\n| a | b |\n|---|---|\n| {XSS} | x \\| y |\n",
            prov,
            {},
            studies,
            labels,
            humaniser(labels),
        )
    )


@pytest.fixture(scope="module")
def html_text():
    return _render()


def test_no_raw_markup_from_data(html_text):
    assert XSS not in html_text
    assert "<script" not in html_text.lower()
    assert html_text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4
    assert 'href="javascript' not in html_text


def test_sections_in_the_guideline_panel_order_and_print_css(html_text):
    # issue 9: key findings, SoF, included studies, RoB, results, limitations, appendices
    ids = ["key-findings", "sof", "included", "rob", "results", "limitations", "appendix"]
    positions = [html_text.index(f'<h2 id="{i}"') for i in ids]
    assert positions == sorted(positions)
    assert "@media print" in html_text and "@page{size:A4;margin:15mm}" in html_text
    assert "@page landscape{size:A4 landscape}" in html_text  # SoF and forest pages
    assert '<a href="provenance.json">' in html_text and "Configuration used" not in html_text


def test_render_is_deterministic(html_text):
    assert _render() == html_text
    assert "No trial reported: Pain (0-100), end of treatment." in html_text


def test_markdown_subset_escapes_and_keeps_escaped_pipes():
    out = markdown_to_html("## H <b>\n\n| a | b |\n|---|---|\n| 1 \\| 2 | <i> |\n\n- item &\n")
    assert "<h4>H &lt;b&gt;</h4>" in out
    assert "<td>1 | 2</td>" in out and "<td>&lt;i&gt;</td>" in out
    assert "<li>item &amp;</li>" in out


def test_table_html_numbers_right_aligned():
    out = table_html(["x", "y"], [["a", 1.23456], ["<b>", float("nan")]])
    assert '<td class="num">1.23</td>' in out and '<td class="num">\u2013</td>' in out
    assert "<td>&lt;b&gt;</td>" in out
