"""Deterministic CSV writing with a formula-injection guard.

Spreadsheet programs execute a cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return as a formula (OWASP, "CSV Injection"). Study names and
notes come from extraction sheets, so every *text* cell that starts with one of
these characters is written with a leading apostrophe. Numbers (``int``,
``float``, NumPy scalars, and strings that parse completely as a number such as
``"-1.5"``) are written unchanged. Floats use one fixed format so that two runs
give byte-identical files; NaN and None become an empty cell.

Reference
---------
OWASP Foundation. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ["DANGEROUS_PREFIXES", "FLOAT_FORMAT", "format_cell", "to_csv_text", "write_csv"]

DANGEROUS_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
FLOAT_FORMAT = ".10g"


def _is_number_text(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return text.strip() == text and math.isfinite(value)


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
    if text.startswith(DANGEROUS_PREFIXES) and not _is_number_text(text):
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
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([format_cell(c) for c in columns])
    for row in rows:
        writer.writerow([format_cell(row.get(c), float_format) for c in columns])
    return buf.getvalue()


def write_csv(
    path: str | Path,
    rows: Iterable[Mapping[str, object]],
    columns: Sequence[str],
    float_format: str = FLOAT_FORMAT,
) -> None:
    """Write ``rows`` to ``path`` as guarded, deterministic UTF-8 CSV."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(to_csv_text(rows, columns, float_format), encoding="utf-8", newline="")
