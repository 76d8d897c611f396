"""The report as a reader gets it (issue 9), read from the DOM of a cold run of the
SYNTHETIC review: the GRADEpro Summary of Findings (columns, footnotes, legend, links),
no raw identifiers outside the appendices (HTML, Markdown, SVG), no "NA" in prose, the
size limit, the Word file's cells equal to the CSV's, and the PDF's pages and fonts."""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from trialmeta.report.docx import read_docx_tables
from trialmeta.report.labels import identifiers
from trialmeta.report.rendered_text import find_raw_identifiers, html_text, svg_text
from trialmeta.report.sheet_labels import sheet_labels

MAX_BYTES = 1_500_000  # issue 9: the main report is at most 1.5 MB
SOF_COLUMNS = ["Outcomes", "Anticipated absolute effects* (95% CI)",
               "Relative effect (95% CI)", "№ of participants (studies)",
               "Certainty of the evidence (GRADE)", "Comments"]  # fmt: skip


class _Dom(HTMLParser):
    """The few DOM facts the tests read: ids, links, and each SoF table's header cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.sof_heads: list[list[str]] = []
        self._in_sof = self._in_th = False
        self._cell = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href", "").startswith("#"):
            self.links.append(a["href"][1:])
        if tag == "table" and "sof-table" in a.get("class", ""):
            self._in_sof = True
            self.sof_heads.append([])
        if tag == "th" and self._in_sof:
            self._in_th, self._cell = True, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "th" and self._in_th:
            self.sof_heads[-1].append(self._cell.strip())
            self._in_th = False
        if tag == "thead":
            self._in_sof = False

    def handle_data(self, data: str) -> None:
        if self._in_th:
            self._cell += data


@pytest.fixture(scope="module")
def results(runs) -> Path:
    return runs[0] / "results"


@pytest.fixture(scope="module")
def html(results) -> str:
    return (results / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def dom(html) -> _Dom:
    d = _Dom()
    d.feed(html)
    return d


@pytest.fixture(scope="module")
def raw_ids(runs) -> frozenset[str]:
    import json

    cfg = json.loads((runs[0] / "results" / "provenance.json").read_text())["config"]
    settings = {"data_dir": str(runs[0] / "data"), "outcomes": cfg["outcomes"],
                "comparisons": cfg["comparisons"]}  # fmt: skip
    labels, _ = sheet_labels(settings)
    return identifiers(labels)


def test_sof_tables_have_gradepro_columns_footnotes_and_legend(html, dom):
    # GRADE Handbook 2013, section 9.2; Cochrane Handbook v6.5, Figure 14.1.a
    assert dom.sof_heads, "no Summary of Findings table"
    for head in dom.sof_heads:
        assert [h for h in head if not h.startswith("Risk with")] == SOF_COLUMNS
        assert sum(h.startswith("Risk with") for h in head) == 2
    sof = html[html.index('<h2 id="sof">') : html.index('<h2 id="included">')]
    for line in ("Patient or population:", "Setting:", "Intervention:", "Comparison:"):
        assert sof.count(f"<b>{line}</b>") == len(dom.sof_heads)
    assert sof.count("GRADE Working Group grades of evidence") == len(dom.sof_heads)
    assert "\u2a01" in html and "\u2295" not in html_text(html)  # ⨁ with ◯, not ⊕
    notes = {i for i in dom.ids if i.startswith("sof-") and re.search(r"-[a-z]$", i)}
    assert notes, "no footnote"
    sof_links = [x for x in dom.links if x.startswith(("sof-", "fig-"))]
    assert set(sof_links) <= dom.ids  # every footnote mark and forest link resolves
    assert {x for x in sof_links if x.startswith("fig-")}  # each SoF row links its forest plot


def test_every_in_page_link_resolves(dom):
    assert set(dom.links) <= dom.ids


def test_no_raw_identifiers_outside_the_appendices(results, html, raw_ids):
    assert find_raw_identifiers(html_text(html), raw_ids) == []
    for name in ("limitations.md", "summary_of_findings.md"):
        assert find_raw_identifiers((results / name).read_text(encoding="utf-8"), raw_ids) == []
    hits = {}
    for svg in sorted((results / "figures").rglob("*.svg")):
        found = find_raw_identifiers(svg_text(svg.read_text(encoding="utf-8")), raw_ids)
        if found:
            hits[svg.name] = found
    assert hits == {}


def test_no_na_and_numbers_as_readers_expect(html):
    text = html_text(html)
    assert re.findall(r".{40}\bNA\b.{20}", text) == []
    assert "P = <" not in text and "p = 0.000" not in text
    assert re.findall(r"\b1 (?:trial|RCT)s\b", text) == []


def test_size_limit_and_inline_svg(results, html):
    assert (results / "report.html").stat().st_size <= MAX_BYTES
    assert "base64,PD94" not in html  # no base64 SVG
    assert html.count("<svg") == html.count("<title>") - 1  # every figure has a <title>


def test_docx_has_the_same_cells_as_the_csv(results):
    tables = read_docx_tables(results / "summary_of_findings.docx")
    with open(results / "summary_of_findings.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    body = [r for t in tables for r in t[2:]]
    cols = ["outcome", "risk_control", "risk_intervention", "relative_effect", "participants",
            "certainty", "comments"]  # fmt: skip
    assert body == [[r[c].lstrip("'") for c in cols] for r in rows]


def test_pdf_is_a4_with_embedded_fonts(results):
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(results / "report.pdf")
    assert 5 <= len(reader.pages) <= 200
    sizes = {tuple(round(float(x)) for x in p.mediabox[2:]) for p in reader.pages}
    assert sizes <= {(595, 842), (842, 595)} and (842, 595) in sizes  # A4, landscape forests
    fonts = set()
    for page in reader.pages:
        for f in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(f.get_object()["/BaseFont"]))
    assert fonts and all("DejaVu" in f for f in fonts)  # embedded subsets (+ in the name)
    assert all("+" in f for f in fonts)
