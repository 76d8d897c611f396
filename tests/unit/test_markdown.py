"""Hostile text stays inert in the Markdown outputs (reliability review F9; synthetic data).

limitations.md and summary_of_findings.md are rendered by viewers (GitHub, pandoc, editors)
that pass raw HTML through; every inserted value goes through
:func:`trialmeta.report.markdown.escape_md`.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from _synthetic_review import review_config, synthetic_config, synthetic_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from trialmeta.report.assemble import review_text, sof_markdown
from trialmeta.report.html import markdown_to_html
from trialmeta.report.labels import label_map
from trialmeta.report.limitations import limitations_markdown
from trialmeta.report.markdown import escape_md, unescape_md
from trialmeta.review.codec import to_data
from trialmeta.review.outcome import run_outcome

SCRIPT = "<script>document.title='PWNED'</script>"
PAYLOADS = [SCRIPT, "<img src=x onerror=alert(1)>", "<!-- comment start",
            "[x](javascript:alert(1))", "![i](http://evil/x.png)", "`code` *em* _u_",
            "a | b", "line\n# Injected heading\n| a | b |", "&lt;script&gt;", "\\| done",
            "<https://auto.link>", "x\r\ny\u2028z"]  # fmt: skip
RAW_HTML = re.compile(r"<(?:[A-Za-z/!?])")


def test_escape_md_examples():
    assert escape_md(SCRIPT) == "&lt;script>document.title='PWNED'&lt;/script>"
    assert escape_md("[x](javascript:1)") == "\\[x\\](javascript:1)"
    assert escape_md("a|b\nc") == "a\\|b c"
    assert escape_md("k < 10 and >= 25% & more") == "k < 10 and >= 25% & more"
    assert escape_md(None) == "" and escape_md(float("nan")) == ""


@pytest.mark.parametrize("text", PAYLOADS)
def test_escaped_text_opens_no_html_link_or_line(text):
    out = escape_md(text)
    assert not RAW_HTML.search(out)
    assert "\n" not in out and "\r" not in out and "\u2028" not in out
    assert not re.search(r"(?<!\\)[\[\]|`*]", out)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_unescape_inverts_escape(text):
    flat = re.sub("\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]", " ", text)
    assert unescape_md(escape_md(text)) == flat
    assert not RAW_HTML.search(escape_md(text))


@pytest.fixture(scope="module")
def hostile_outputs():
    rows = synthetic_rows()
    rows["technique"] = PAYLOADS[1]
    raw = synthetic_config()
    raw["comparisons"][0]["label"] = "Acupuncture vs sham " + PAYLOADS[1]
    raw["grade"]["overrides"] = [
        {
            "analysis_id": "pain_eot__sham",
            "domain": "imprecision",
            "downgrade": 1,
            "reason": "reason " + PAYLOADS[7] + SCRIPT,
        }
    ]
    cfg = review_config(raw)
    res = run_outcome(rows, {}, cfg, "pain_eot")
    assert res.analyses[0].comparison_label == raw["comparisons"][0]["label"]
    accounting = [{"study_id": "Synthetic09", "timepoint_weeks": 17,
                   "reason": f"another timepoint ('4 months' {SCRIPT})"}]  # fmt: skip
    warnings = [{"warning": "Synthetic02: " + PAYLOADS[2]}]
    lim = limitations_markdown(
        [res],
        rows.to_dict("records"),
        accounting,
        warnings,
        cfg.grade.ois_alpha,
        cfg.grade.ois_power,
    )
    studies = [{"study_id": f"Synthetic{i:02d}", "authors": "Synthetic A", "year": 2000 + i}
               for i in range(1, 7)]  # fmt: skip
    text = review_text(cfg, [res], label_map(to_data(cfg), studies), studies, [])
    sof = sof_markdown(text.sof, title="SoF " + SCRIPT)
    return lim, sof


def test_no_raw_html_reaches_the_markdown(hostile_outputs):
    for md in hostile_outputs:
        assert "<script" not in md and "<img" not in md and "<!--" not in md
        assert "](javascript:" not in md.replace("\\](javascript:", "")
        assert "\n# Injected" not in md
    lim, sof = hostile_outputs
    assert "&lt;script>document.title='PWNED'&lt;/script>" in lim
    assert "Override: reason line # Injected heading \\| a \\| b \\|" in lim


def test_tables_keep_their_columns(hostile_outputs):
    for md in hostile_outputs:
        for block in re.findall(r"(?:^\|.*\n)+", md, flags=re.M):
            widths = {len(re.findall(r"(?<!\\)\|", line)) for line in block.splitlines()}
            assert len(widths) == 1, block


def test_report_html_shows_the_text_once_escaped(hostile_outputs):
    html = markdown_to_html(hostile_outputs[0])
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;document.title=&#x27;PWNED&#x27;&lt;/script&gt;" in html
    assert "&amp;lt;" not in html  # not double-escaped


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc not installed")
def test_pandoc_renders_no_active_content(hostile_outputs):
    # the review's attack: pandoc -f gfm -t html, then a browser; nothing may become live
    for md in hostile_outputs:
        html = subprocess.run(["pandoc", "-f", "gfm", "-t", "html"], input=md, text=True,
                              capture_output=True, check=True, timeout=60).stdout  # fmt: skip
        assert "<script" not in html and "<img" not in html and "<!--" not in html
        assert 'href="javascript:' not in html
        assert not re.search(r"<h\d[^>]*>[^<]*Injected", html)
