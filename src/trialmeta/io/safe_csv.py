"""Deterministic CSV writing with a formula-injection guard.

Spreadsheet programs execute a cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return as a formula (OWASP, "CSV Injection"). Study names and
notes come from extraction sheets, so every *text* cell that starts with one of
these characters is written with a leading apostrophe. The test is made on the text
as a spreadsheet may normalise it on import (Unicode NFKC, which maps a full-width
``＝`` to ``=``, then leading white space stripped). Numbers (``int``,
``float``, NumPy scalars, and strings that are a plain number such as
``"-1.5"``) are written unchanged. Floats use one fixed format so that two runs
give byte-identical files; NaN and None become an empty cell.

Every field that contains a comma, a quote, a line feed *or a carriage return* is
quoted (Python's ``csv`` module with ``lineterminator="\\n"`` leaves a bare CR
unquoted, and every CSV reader then splits the row there); quotes are doubled.

Reference
---------
OWASP Foundation. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from trialmeta._checks import parse_number
from trialmeta.io.outputs import naming

__all__ = ["DANGEROUS_PREFIXES", "FLOAT_FORMAT", "format_cell", "to_csv_text", "write_csv"]

DANGEROUS_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
FLOAT_FORMAT = ".10g"


_QUOTE_IF = (",", '"', "\r", "\n")


def _is_number_text(text: str) -> bool:
    value = parse_number(text)
    return value is not None and math.isfinite(value)


def _dangerous(text: str) -> bool:
    """Does the text, as a spreadsheet may normalise it, start a formula?"""
    if text.startswith(DANGEROUS_PREFIXES):
        return True
    return unicodedata.normalize("NFKC", text).lstrip().startswith(DANGEROUS_PREFIXES[:4])


def _field(text: str) -> str:
    if any(c in text for c in _QUOTE_IF):
        return '"' + text.replace('"', '""') + '"'
    return text


def _line(cells: Sequence[str]) -> str:
    """One CSV line; a lone empty field is written ``""`` (as the csv module does), so the
    row is not read back as a blank line."""
    if len(cells) == 1 and cells[0] == "":
        return '""\n'
    return ",".join(_field(c) for c in cells) + "\n"


def format_cell(value: object, float_format: str = FLOAT_FORMAT) -> str:
    """Return the text written for one cell.

    ``float`` → ``format(value, float_format)`` (``-0`` becomes ``0``); NaN/None →
    ``""``; ``bool`` → ``"true"``/``"false"``; text starting with a dangerous
    prefix → ``"'" + text`` unless it is a plain number.

    Examples
    --------
    >>> format_cell("=HYPERLINK(1)")
    "'=HYPERLINK(1)"
    >>> format_cell(-1.5), format_cell("-1.5"), format_cell(float("nan"))
    ('-1.5', '-1.5', '')
    """
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if math.isnan(f):
            return ""
        if f == 0.0:
            f = 0.0
        return format(f, float_format)
    text = str(value)
    if _dangerous(text) and not _is_number_text(text):
        return "'" + text
    return text


def to_csv_text(
    rows: Iterable[Mapping[str, object]],
    columns: Sequence[str],
    float_format: str = FLOAT_FORMAT,
) -> str:
    """Render ``rows`` (dicts) with the given column order as CSV text.

    Missing keys give empty cells; keys not in ``columns`` are ignored, so the
    column order is always the caller's. Lines end with ``\\n``.
    """
    out = [_line([format_cell(c) for c in columns])]
    out += [_line([format_cell(row.get(c), float_format) for c in columns]) for row in rows]
    return "".join(out)


def write_csv(
    path: str | Path,
    rows: Iterable[Mapping[str, object]],
    columns: Sequence[str],
    float_format: str = FLOAT_FORMAT,
) -> None:
    """Write ``rows`` to ``path`` as guarded, deterministic UTF-8 CSV."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    text = to_csv_text(rows, columns, float_format)
    with naming(path):
        Path(path).write_text(text, encoding="utf-8", newline="")
