"""Print route (WeasyPrint): A4 pages, a landscape page for a forest plot, headers repeated,
embedded fonts, byte-identical reruns. The document is synthetic (``Synthetic`` rows and
a synthetic forest plot)."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

import trialmeta
from trialmeta import plots
from trialmeta.plots.forest_layout import MAX_WIDTH_IN
from trialmeta.report.pdf import LANDSCAPE_WIDTH_MM, svg_as_images, write_pdf

pypdf = pytest.importorskip("pypdf")  # the test extra; CI installs it
A4 = (595.28, 841.89)  # points


def _forest_svg(k: int) -> str:
    rng = np.random.default_rng(7)
    yi, vi = rng.normal(-5, 6, k), rng.uniform(20, 60, k)
    fit = trialmeta.pool(yi, vi, method="REML", test="knha")
    data = plots.forest_data([f"Synthetic {2000 + i}" for i in range(k)], yi, vi, overall=fit,
                             control="Usual care or no treatment", mcid=(-15.0, 15.0))  # fmt: skip
    fig = plots.forest_plot(data)
    buf = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none"}):  # text as text, as the workflow writes it
        fig.savefig(buf, format="svg")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def synthetic_html(rows: int = 80) -> str:
    body = "".join(f"<tr><td>Synthetic trial {i}</td><td>{i * 3}</td></tr>" for i in range(rows))
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Synthetic</title></head>
    <body><h1>Synthetic report</h1><p>Certainty ⨁⨁◯◯ Low; MD −1.7.</p>
    <table><thead><tr><th>Synthetic trial</th><th>n</th></tr></thead><tbody>{body}</tbody></table>
    <section class="landscape"><figure>{_forest_svg(10)}
    <figcaption>Figure 1. Synthetic forest plot.</figcaption></figure></section></body></html>"""


@pytest.fixture(scope="module")
def pdf_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pdf(synthetic_html(), tmp_path_factory.mktemp("pdf") / "report.pdf")


def test_pages_sizes_and_landscape_forest(pdf_path: Path) -> None:
    reader = pypdf.PdfReader(str(pdf_path))
    sizes = [(round(float(p.mediabox.width), 2), round(float(p.mediabox.height), 2))
             for p in reader.pages]  # fmt: skip
    assert len(reader.pages) == 4  # 3 portrait pages of table, then the forest page
    assert sizes[:-1] == [A4] * 3 and sizes[-1] == A4[::-1]
    assert "Figure 1. Synthetic forest plot." in reader.pages[-1].extract_text()


def test_table_header_repeats_on_every_page(pdf_path: Path) -> None:
    reader = pypdf.PdfReader(str(pdf_path))
    for page in reader.pages[:3]:
        lines = page.extract_text().splitlines()
        assert any(line.replace(" ", "") in ("Synthetictrialn", "Synthetictrial") for line in
                   lines[:4]), lines[:4]  # fmt: skip


def test_fonts_are_embedded_dejavu_subsets(pdf_path: Path) -> None:
    reader = pypdf.PdfReader(str(pdf_path))
    fonts = {}
    for page in reader.pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            font = ref.get_object()
            fonts[str(font["/BaseFont"])] = font
    assert fonts and all("DejaVu" in name and "Sans" in name for name in fonts)
    for font in fonts.values():
        descendant = (
            font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        )
        descriptor = descendant["/FontDescriptor"].get_object()
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_reruns_are_byte_identical(tmp_path: Path) -> None:
    html = synthetic_html(rows=5)
    a = write_pdf(html, tmp_path / "a.pdf").read_bytes()
    b = write_pdf(html, tmp_path / "b.pdf").read_bytes()
    assert a == b
    assert b"/CreationDate" not in a and b"/ModDate" not in a


def test_the_pdf_holds_no_path_of_the_folder_it_was_written_in(tmp_path: Path) -> None:
    # the workflow writes it without a base URL: a link to a file beside the report stays
    # relative, so a run in another folder (a cluster, CI) gives the same bytes
    html = synthetic_html(rows=2).replace("</body>", '<a href="provenance.json">p</a></body>')
    a = write_pdf(html, tmp_path / "one" / "report.pdf").read_bytes()
    b = write_pdf(html, tmp_path / "two" / "report.pdf").read_bytes()
    assert a == b
    uris = [
        annot.get_object()["/A"]["/URI"]
        for page in pypdf.PdfReader(io.BytesIO(a)).pages
        for annot in page.get("/Annots", [])
        if "/URI" in annot.get_object().get("/A", {})
    ]
    assert uris == ["provenance.json"]
    # an absolute base URL, as the adapter passed before, writes this machine's path
    c = write_pdf(html, tmp_path / "c.pdf", base_url=tmp_path).read_bytes()
    absolute = [
        annot.get_object()["/A"]["/URI"]
        for page in pypdf.PdfReader(io.BytesIO(c)).pages
        for annot in page.get("/Annots", [])
        if "/URI" in annot.get_object().get("/A", {})
    ]
    assert absolute and absolute[0].startswith("file://")


def test_a_forest_plot_prints_at_its_own_size_on_a_landscape_page() -> None:
    # forest text is >= 7 pt at natural size, so it must not be scaled down in print
    assert MAX_WIDTH_IN * 25.4 <= LANDSCAPE_WIDTH_MM


def test_an_inline_figure_prints_as_an_image_of_the_same_svg() -> None:
    svg = _forest_svg(3).strip().replace("<svg", "<svg role='img'", 1)
    svg = svg.replace(">", ">\n<title>Synthetic &amp; forest</title>", 1)
    html = f"<html><body><p>a</p><figure>{svg}</figure><p>b</p></body></html>"
    printed = svg_as_images(html)
    assert "<svg" not in printed and printed.count("<img ") == 1
    src = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', printed)
    assert src is not None and base64.b64decode(src.group(1)).decode("utf-8") == svg
    assert 'alt="Synthetic &amp; forest"' in printed
    assert printed.startswith("<html><body><p>a</p><figure><img ")
    assert printed.endswith("></figure><p>b</p></body></html>")


def test_figure_text_stays_text_in_the_pdf(pdf_path: Path) -> None:
    # the forest plot, printed from its SVG as an image, keeps its labels as text
    text = pypdf.PdfReader(str(pdf_path)).pages[-1].extract_text().replace(" ", "")
    assert "Synthetic2000" in text and "Synthetic2009" in text


def test_short_headers_of_a_narrow_table_do_not_break_mid_word(tmp_path: Path) -> None:
    # overflow-wrap: break-word sizes columns by whole words (CSS Text 3, section 5.5);
    # with `anywhere` WeasyPrint broke "Randomised" into "Rand/omise/d" in a 12-column table
    head = "".join(f"<th>Randomised{i}</th>" for i in range(12))
    row = "".join(f"<td>Synthetic text {i}</td>" for i in range(12))
    html = (f"<html><body><table><thead><tr>{head}</tr></thead><tbody><tr>{row}</tr>"
            "</tbody></table></body></html>")  # fmt: skip
    text = pypdf.PdfReader(str(write_pdf(html, tmp_path / "t.pdf"))).pages[0].extract_text()
    assert all(f"Randomised{i}" in text for i in range(12)), text
