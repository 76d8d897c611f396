"""HTML building blocks of the report: escaping, tables, inline SVG figures, and the
subset of Markdown the generated files use.

Every value that comes from the data or the config passes through :func:`html.escape`,
so a study named ``<script>alert(1)</script>`` renders as text.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from pathlib import Path

from trialmeta.report.markdown import unescape_md
from trialmeta.report.text import num, prose

__all__ = ["e", "figure_html", "inline_svg", "markdown_to_html", "prose", "table_html"]


def e(value: object) -> str:
    """HTML-escaped text of ``value`` (quotes too)."""
    return html.escape("" if value is None else str(value), quote=True)


def _fmt(x: object, nd: int = 2) -> str:
    """Cell text: ``nd`` decimals for floats (true minus, thousands separator); ``nd < 0`` =
    integers without decimals; "–" for a missing number."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return num(x, 0)
    if isinstance(x, float):
        if nd < 0 and math.isfinite(x):
            return num(x, 0) if x.is_integer() else prose(f"{x:g}")
        return num(x, max(nd, 0))
    return "" if x is None else prose(str(x))


def table_html(
    head: Sequence[str], rows: Sequence[Sequence[object]], nd: int = 2, cls: str = ""
) -> str:
    """An escaped HTML table in a scroll box; numbers right-aligned with ``nd`` decimals;
    the header row repeats on every printed page (``thead``)."""
    out = ['<div class="scroll">', f'<table class="{e(cls)}">' if cls else "<table>", "<thead><tr>"]
    out += [f"<th>{e(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for r in rows:
        cells = []
        for c in r:
            num = isinstance(c, (int, float)) and not isinstance(c, bool)
            text = e(_fmt(c, nd)) if num else e(_fmt(c))
            cells.append(f'<td class="num">{text}</td>' if num else f"<td>{text}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


_GEOMETRY = re.compile(r'\b(d|transform|x|y|width|height|points)="([^"]*)"')


def _compact(svg: str) -> str:
    """``svg`` without what a reader never sees: ids nothing references (matplotlib names
    every group), coordinates past two decimals (0.01 pt) and the line breaks inside path
    data. Text content is untouched: only geometry attributes are rounded."""
    refs = set(re.findall(r"url\(#([^)]+)\)", svg)) | set(re.findall(r'href="#([^"]+)"', svg))
    svg = re.sub(r' id="([^"]+)"', lambda m: m.group(0) if m.group(1) in refs else "", svg)

    def geometry(m: re.Match[str]) -> str:
        value = re.sub(r"(\d+\.\d\d)\d+", r"\1", m.group(2))
        return f'{m.group(1)}="{" ".join(value.split())}"'

    return _GEOMETRY.sub(geometry, svg)


def _prefixed(svg: str, prefix: str) -> str:
    """``svg`` with every id (and reference to one) prefixed, so figures inlined in one page
    never share an id."""
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}\1)", svg)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}\1"', svg)


def inline_svg(path: str | Path, title: str, prefix: str) -> str:
    """An SVG file as inline markup: without its XML prolog and doctype, compacted
    (:func:`_compact`), ids prefixed,
    ``role="img"`` and a ``<title>`` (read by screen readers and shown on hover)."""
    svg = Path(path).read_text(encoding="utf-8")
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<!--.*?-->|<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = _prefixed(_compact(svg), prefix)
    svg = re.sub(r">\s+<", "><", svg)  # indentation only: no text node is whitespace
    head_end = svg.index(">") + 1
    return (
        svg[: head_end - 1]
        + f' role="img" aria-label="{e(title)}">'
        + f"<title>{e(title)}</title>"
        + svg[head_end:]
    )


def figure_html(
    path: str | Path, caption: str, alt: str = "", anchor: str = "", wide: bool = False
) -> str:
    """``<figure>``: the SVG saved beside ``path`` inlined (real text, no base64), else the
    PNG; ``caption`` below it, ``alt`` its accessible description (default: the caption)."""
    path = Path(path)
    svg = path.with_suffix(".svg")
    alt = alt or caption
    ident = anchor or "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", path.stem)
    if svg.exists():
        body = inline_svg(svg, alt, ident + "-")
    else:
        import base64  # a PNG without its SVG (a raster figure)

        data = base64.b64encode(path.read_bytes()).decode("ascii")
        body = f'<img alt="{e(alt)}" src="data:image/png;base64,{data}">'
    cls = ' class="landscape"' if wide else ""
    return f'<figure id="{e(ident)}"{cls}>{body}<figcaption>{e(caption)}</figcaption></figure>'


def _md_inline(text: str) -> str:
    return e(prose(unescape_md(text)))


def markdown_to_html(md: str) -> str:
    """Render the subset of Markdown our generated files use (headings shifted
    down one level, pipe tables, ``- `` lists, paragraphs), escaping all text."""
    out: list[str] = []
    lines = md.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            level = min(len(line) - len(line.lstrip("#")) + 2, 6)
            out.append(f"<h{level}>{_md_inline(line.lstrip('#').strip())}</h{level}>")
        elif line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append(lines[i])
                i += 1
            split = [[unescape_md(c) for c in _split_row(b)] for b in block
                     if not set(b) <= set("|-: ")]  # fmt: skip
            if split:
                out.append(table_html(split[0], split[1:]))
            continue
        elif line.startswith("- "):
            out.append("<ul>")
            while i < len(lines) and lines[i].startswith("- "):
                out.append(f"<li>{_md_inline(lines[i][2:])}</li>")
                i += 1
            out.append("</ul>")
            continue
        elif line.strip():
            out.append(f"<p>{_md_inline(line)}</p>")
        i += 1
    return "\n".join(out)


def _split_row(line: str) -> list[str]:
    body = line.strip().strip("|")
    cells, cur, j = [], "", 0
    while j < len(body):
        if body[j] == "\\" and j + 1 < len(body):  # an escaped character (escape_md)
            cur += body[j : j + 2]
            j += 2
            continue
        if body[j] == "|":
            cells.append(cur.strip())
            cur = ""
        else:
            cur += body[j]
        j += 1
    cells.append(cur.strip())
    return cells
