"""Print route: ``results/report.pdf`` from the report's HTML, with WeasyPrint.

Why WeasyPrint: it installs from pip (its system libraries, Pango and HarfBuzz,
are standard Debian packages present on the project's machines), needs no
browser, and implements CSS paged media: ``@page`` sizes and margins, named
pages (landscape pages for forest plots), table headers repeated on every page
(``thead``), page counters. Its output carries no creation date, so two runs on
the same HTML give byte-identical files. Headless Chromium's ``--print-to-pdf``
was the alternative: it needs a browser package that a new machine does not
have, and it writes the current time into ``/CreationDate`` and ``/ModDate``
(two prints of one page differ), so reruns would need post-processing.

Fonts are the DejaVu Sans files that matplotlib ships (the figures' font too), found
without importing matplotlib and loaded by ``@font-face``, so every machine embeds the
same subset fonts, including ⨁ (U+2A01) and ◯ (U+25EF) at the same size for GRADE certainty.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from trialmeta.io.outputs import replace_bytes

__all__ = ["LANDSCAPE_WIDTH_MM", "PRINT_CSS", "font_face_css", "print_css", "write_pdf"]

PAGE_MARGIN_MM = 15
LANDSCAPE_WIDTH_MM = 297 - 2 * PAGE_MARGIN_MM  # a figure this wide prints at its own size
_FACES = (("DejaVuSans.ttf", "normal", "normal"), ("DejaVuSans-Bold.ttf", "bold", "normal"),
          ("DejaVuSans-Oblique.ttf", "normal", "italic"),
          ("DejaVuSans-BoldOblique.ttf", "bold", "italic"))  # fmt: skip

PRINT_CSS = f"""
@page {{ size: A4; margin: {PAGE_MARGIN_MM}mm;
  @bottom-center {{ content: counter(page) " / " counter(pages); font-size: 8pt; }} }}
@page landscape {{ size: A4 landscape; }}
html {{ font-family: "Report Sans", sans-serif; font-size: 9.5pt; line-height: 1.35; }}
h1, h2, h3, h4 {{ break-after: avoid; }}
.landscape {{ page: landscape; }}
figure {{ break-inside: avoid; margin: 0 0 4mm 0; }}
figure svg, figure img {{ max-width: 100%; height: auto; }}
figcaption {{ font-size: 8.5pt; }}
table {{ border-collapse: collapse; width: 100%; }}
thead {{ display: table-header-group; }}
tr, td, th {{ break-inside: avoid; }}
td, th {{ padding: 1mm 1.5mm; vertical-align: top; overflow-wrap: anywhere; }}
nav {{ display: block; }}
a {{ color: inherit; }}
"""


def _mpl_data() -> Path:
    """matplotlib's data folder (``mpl-data`` beside its package), located, not imported."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise RuntimeError("matplotlib is not installed (its DejaVu Sans fonts print the PDF)")
    return Path(spec.origin).parent / "mpl-data"


def font_face_css() -> str:
    """``@font-face`` rules for "Report Sans": matplotlib's bundled DejaVu Sans files."""
    folder = _mpl_data() / "fonts" / "ttf"
    return "\n".join(
        f'@font-face {{ font-family: "Report Sans"; src: url("{(folder / name).as_uri()}"); '
        f"font-weight: {weight}; font-style: {style}; }}"
        for name, weight, style in _FACES
    )


def print_css() -> str:
    """The stylesheet applied on top of the report's own CSS when printing."""
    return font_face_css() + "\n" + PRINT_CSS


def write_pdf(html: str, path: str | Path, base_url: str | Path | None = None) -> Path:
    """Render ``html`` (a complete document) to an A4 PDF at ``path``.

    Elements with class ``landscape`` (forest plots) go on landscape pages; table
    headers repeat on every page; fonts are embedded subsets of DejaVu Sans.
    ``base_url`` resolves relative links and images; leave it ``None`` to keep links
    relative (an absolute base writes ``file://`` paths into the PDF, which then differs from
    folder to folder).
    """
    from weasyprint import CSS, HTML  # imported here: only the print route needs it

    document = HTML(string=html, base_url=str(base_url) if base_url is not None else None
                    ).render(stylesheets=[CSS(string=print_css())])  # fmt: skip
    meta = document.metadata  # fixed metadata: no dates, a content-derived file identifier
    meta.created = meta.modified = None
    meta.generator = "trialmeta"
    pdf = document.write_pdf(pdf_identifier=hashlib.sha256(html.encode("utf-8")).digest()[:16])
    return replace_bytes(path, pdf)  # atomic: a job killed mid-write leaves no half PDF
