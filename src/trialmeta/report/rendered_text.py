"""The text a reader sees in rendered output, and the raw identifiers found in it.

Used by tests (and by anyone checking a report) to prove that no data or config
code reaches a reader: HTML text and the ``alt``, ``title`` and ``aria-label``
attributes (outside ``<script>``/``<style>`` and outside appendices), SVG
``<title>``/``<desc>``/``<text>`` and the text matplotlib records beside each
glyph path, and Markdown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

__all__ = ["find_raw_identifiers", "html_text", "svg_text"]

_SKIP_TAGS = {"script", "style"}
_READ_ATTRS = ("alt", "title", "aria-label")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}  # fmt: skip


class _TextParser(HTMLParser):
    def __init__(self, skip_prefix: str) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_prefix = skip_prefix
        self.stack: list[bool] = []  # per open element: does it hide its content?
        self.parts: list[str] = []

    def _hidden(self) -> bool:
        return any(self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        marks = [a.get("id", ""), *a.get("class", "").split()]
        appendix = bool(self.skip_prefix) and any(m.startswith(self.skip_prefix) for m in marks)
        hide = tag in _SKIP_TAGS or appendix
        if not self._hidden() and not hide:
            self.parts += [a[k] for k in _READ_ATTRS if a.get(k)]
        if tag not in _VOID:
            self.stack.append(hide)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            self.parts.append(data)

    def handle_comment(self, data: str) -> None:
        # matplotlib's SVG keeps each drawn string as a comment beside its glyph paths
        if not self._hidden():
            self.parts.append(data)


def html_text(html: str, skip_prefix: str = "appendix") -> str:
    """Visible text and reader-facing attributes of an HTML page.

    Elements whose ``id`` or one of whose classes starts with ``skip_prefix``
    (appendices) are left out with everything inside them.
    """
    parser = _TextParser(skip_prefix)
    parser.feed(html)
    parser.close()
    return "\n".join(p for p in parser.parts if p.strip())


def svg_text(svg: str) -> str:
    """Text of an SVG: titles, descriptions, text elements and matplotlib's glyph comments."""
    return html_text(svg, skip_prefix="")


def find_raw_identifiers(text: str, identifiers: Iterable[str]) -> list[str]:
    """Every identifier that occurs in ``text`` as a whole word, in order of first hit."""
    hits: list[tuple[int, str]] = []
    for ident in sorted(set(identifiers), key=len, reverse=True):
        m = re.search(rf"(?<![A-Za-z0-9_]){re.escape(ident)}(?![A-Za-z0-9_])", text)
        if m:
            hits.append((m.start(), ident))
    return [ident for _, ident in sorted(hits)]
