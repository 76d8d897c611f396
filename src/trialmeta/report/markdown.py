"""Escaping of data placed in the Markdown outputs (``limitations.md``,
``summary_of_findings.md``), and its inverse for the report's own Markdown renderer.

Markdown files are rendered by viewers (GitHub, pandoc, editors), which pass raw HTML
through: a ``<script>`` in a timepoint label would run. :func:`escape_md` makes any text
inert and literal inside a table cell, a list item or a heading:

- ``<`` before a letter, ``/``, ``!`` or ``?`` becomes ``&lt;``, so no HTML tag, comment,
  declaration or autolink can open (CommonMark 6.5, 6.6), and ``&`` before a letter or ``#``
  becomes ``&amp;``, so no character reference forms (CommonMark 2.5); ``k < 10`` and
  ``>= 25%`` stay as they are;
- the characters that open Markdown syntax inline, ``\\ ` * [ ] |``, get a backslash
  (CommonMark 2.4: any ASCII punctuation may be backslash-escaped), so no link
  (``[x](javascript:...)``), image, emphasis, code span or extra table column appears;
- every line break (CR, LF, NEL, LS, PS, VT, FF) becomes a space, so data cannot start a
  heading, a list or a new table row.

:func:`unescape_md` returns the original text (line breaks as spaces), for
:func:`trialmeta.report.html.markdown_to_html`, which escapes for HTML itself.
"""

from __future__ import annotations

import math
import re

__all__ = ["escape_md", "unescape_md"]

_PUNCT = "\\`*[]|"
_BREAKS = re.compile("\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
_OPENERS = re.compile(r"<(?=[A-Za-z/!?])|&(?=[A-Za-z#])")
_ESCAPED = re.compile(r"\\([\\`*\[\]|])|&(amp|lt);")


def escape_md(value: object) -> str:
    """``value`` as inert, literal Markdown text (empty for None and NaN).

    >>> escape_md("<script>alert(1)</script> [x](javascript:y) a|b")
    '&lt;script>alert(1)&lt;/script> \\\\[x\\\\](javascript:y) a\\\\|b'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = "".join("\\" + c if c in _PUNCT else c for c in _BREAKS.sub(" ", str(value)))
    return _OPENERS.sub(lambda m: "&lt;" if m.group(0) == "<" else "&amp;", text)


def unescape_md(text: str) -> str:
    """Inverse of :func:`escape_md` (backslash escapes and the two entities)."""
    inverse = {"amp": "&", "lt": "<"}
    return _ESCAPED.sub(lambda m: m.group(1) or inverse[m.group(2)], text)
