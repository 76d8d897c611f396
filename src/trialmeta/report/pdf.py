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

Two choices keep the print cheap (the report's 96 pages took 27 s of CPU, 14 s after):
- table cells wrap with ``overflow-wrap: break-word``, not ``anywhere``. For an automatic
  table layout WeasyPrint measures each cell's min-content width by laying its text out at
  every break opportunity (CSS Tables 3, section 3.9.3; CSS Text 3, section 5.5): with
  ``anywhere`` every character is one, which cost 9 s and set columns so narrow that short
  headers broke mid-word ("Rand/omise/d"). ``break-word`` still breaks a word too long for
  its cell, but sizes columns by whole words.
- each inline ``<svg>`` figure is handed to WeasyPrint as an image (a ``data:`` URI of the
  same SVG text) rather than as part of the document: the figure is then parsed as its own
  SVG document instead of entering the HTML box tree, where the CSS cascade matched every
  one of the report's ~9,400 SVG elements (3 s). The printed pages are the same (text and
  pixels compared).

Fonts are the DejaVu Sans files that matplotlib ships (the figures' font too), found
without importing matplotlib and loaded by ``@font-face``, so every machine embeds the
same subset fonts, including ⨁ (U+2A01) and ◯ (U+25EF) at the same size for GRADE certainty.
"""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import importlib.util
import re
from pathlib import Path

from trialmeta.io.outputs import replace_bytes

__all__ = [
    "LANDSCAPE_WIDTH_MM",
    "PRINT_CSS",
    "font_face_css",
    "print_css",
    "svg_as_images",
    "write_pdf",
]

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
td, th {{ padding: 1mm 1.5mm; vertical-align: top; overflow-wrap: break-word; }}
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


_SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)  # the report's figures are never nested
_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
_SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'


def _as_image(match: re.Match[str]) -> str:
    svg = match.group(0)
    head = svg[: svg.index(">")]
    if _SVG_NS not in head:  # an image document needs the namespace an inline one inherits
        svg = "<svg " + _SVG_NS + svg[len("<svg") :]
    title = _TITLE.search(svg)
    alt = html_lib.unescape(title.group(1)) if title else ""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img alt="{html_lib.escape(alt, quote=True)}" src="data:image/svg+xml;base64,{data}">'


def svg_as_images(html: str) -> str:
    """``html`` with each inline ``<svg>…</svg>`` replaced by an ``<img>`` of the same SVG.

    The image's source is a ``data:image/svg+xml`` URI of the element's own text (its size
    comes from the SVG's ``width``/``height``, as inline); its ``alt`` text is the SVG's
    ``<title>``. Only the print route uses this (see the module docstring); the HTML
    report keeps its inline SVG, whose text a browser can search and select.
    """
    return _SVG.sub(_as_image, html)


def write_pdf(html: str, path: str | Path, base_url: str | Path | None = None) -> Path:
    """Render ``html`` (a complete document) to an A4 PDF at ``path``.

    Elements with class ``landscape`` (forest plots) go on landscape pages; table
    headers repeat on every page; fonts are embedded subsets of DejaVu Sans.
    ``base_url`` resolves relative links and images; leave it ``None`` to keep links
    relative (an absolute base writes ``file://`` paths into the PDF, which then differs from
    folder to folder).
    """
    from weasyprint import CSS, HTML  # imported here: only the print route needs it

    base = str(base_url) if base_url is not None else None
    document = HTML(string=svg_as_images(html), base_url=base).render(
        stylesheets=[CSS(string=print_css())]
    )
    meta = document.metadata  # fixed metadata: no dates, a content-derived file identifier
    meta.created = meta.modified = None
    meta.generator = "trialmeta"
    pdf = document.write_pdf(pdf_identifier=hashlib.sha256(html.encode("utf-8")).digest()[:16])
    return replace_bytes(path, pdf)  # atomic: a job killed mid-write leaves no half PDF
