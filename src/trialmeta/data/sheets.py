"""Read extraction sheets as raw text: a directory of CSV files or one .xlsx workbook.

Nothing here interprets a value. Every cell stays a string (empty string for an empty
cell), every row keeps the line number a user sees in a spreadsheet (header = row 1), and
every problem met while reading (missing file, non-UTF-8 bytes, an empty file, a duplicated
column) is returned as a one-line message instead of raised. ``validate.py`` types and
checks the cells.

Reading is bounded and strict (:mod:`trialmeta.io.safe_read`): only regular files of at
most 50 MB, at most 200,000 rows and 100 columns per sheet (a workbook's stated dimension
is checked before any row is read, and its unpacked size is bounded), and CSV quoting is
parsed strictly, with a quoted cell that swallows record-like lines reported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from trialmeta.data.workbook import read_workbook
from trialmeta.io.safe_read import UnreadableFile, csv_records, read_regular_file, swallowed_records

__all__ = ["MAX_COLUMNS", "MAX_ROWS", "REQUIRED_SHEETS", "SHEET_NAMES", "WORKBOOK_SUFFIXES",
           "RawSheet", "data_source", "is_sheet_source", "load_raw_sheets",
           "sheet_in", "sheet_source"]  # fmt: skip

#: Sheets of an extraction, in the order they are checked.
SHEET_NAMES = ("studies", "arms", "contrasts", "risk_of_bias")
#: Sheets that must exist; the others may be absent (no contrasts, no RoB assessment).
REQUIRED_SHEETS = ("studies", "arms")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_MAX_BYTES = 50_000_000
#: Rows (blank ones included) and columns one sheet may have.
MAX_ROWS = 200_000
MAX_COLUMNS = 100
_MAX_UNPACKED = 1_000_000_000  # bytes of a workbook's XML once unzipped


@dataclass
class RawSheet:
    """One sheet as text: ``label`` names it in messages (``arms.csv``, ``book.xlsx[arms]``)."""

    name: str
    label: str
    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


def _read_bytes(path: Path, problems: list[str]) -> bytes | None:
    try:
        return read_regular_file(path, _MAX_BYTES)
    except UnreadableFile as exc:
        problems.append(f"{path.name}: {exc}")
        return None


def _read_csv(path: Path, name: str, problems: list[str]) -> RawSheet | None:
    label = path.name
    data = _read_bytes(path, problems)
    if data is None:
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(
            f"{label}: file is not UTF-8 (got byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}, expected UTF-8 text: re-save the sheet as 'CSV UTF-8')"
        )
        return None
    if "\x00" in text:
        problems.append(f"{label}: not a text file (got NUL bytes, expected a CSV text file)")
        return None
    if not text.strip():
        problems.append(
            f"{label}: file is empty (got no text, expected a header row naming the columns)"
        )
        return None
    parsed = csv_records(text, label, MAX_ROWS, problems)
    if parsed is None:
        return None
    header = next((r.cells for r in parsed if any(c.strip() for c in r.cells)), [])
    if len(header) == 1 and header[0].count(";") >= 2:
        problems.append(
            f"{label}:1: semicolon-separated (got ';' between the column names, "
            "expected commas: save the sheet as 'CSV UTF-8 (comma delimited)')"
        )
        return None
    row_of = {r.first_line: i + 1 for i, r in enumerate(parsed)}
    problems += swallowed_records(parsed, header, label, row_of)
    return _to_sheet(name, label, [r.cells for r in parsed], problems)


def _without_empty_trailing_columns(header: list[str], rows: list[list[str]]) -> list[str]:
    """``header`` without the unnamed columns at its end that hold no value in any row
    (spreadsheet programs save them as trailing ``,,,``)."""
    width = len(header)
    while (
        width
        and not header[width - 1].strip()
        and all(len(r) < width or not r[width - 1].strip() for r in rows)
    ):
        width -= 1
    return list(header[:width])


def _to_sheet(
    name: str, label: str, records: list[list[str]], problems: list[str]
) -> RawSheet | None:
    # Line numbers: header is row 1; blank lines count, as in a spreadsheet view.
    numbered = [(i + 1, r) for i, r in enumerate(records)]
    numbered = [(i, r) for i, r in numbered if any(c.strip() for c in r)]
    if not numbered:
        problems.append(
            f"{label}: file is empty (got no cells, expected a header row naming the columns)"
        )
        return None
    _, header = numbered[0]
    header = _without_empty_trailing_columns(header, [r for _, r in numbered[1:]])
    if len(header) > MAX_COLUMNS:
        problems.append(
            f"{label}:1: too many columns (got {len(header)}, expected at most {MAX_COLUMNS})"
        )
        return None
    sheet = RawSheet(name=name, label=label, header=list(header))
    width = len(header)
    for line, rec in numbered[1:]:
        if len(rec) > width and any(c.strip() for c in rec[width:]):
            problems.append(
                f"{label}:{line}: too many cells (got {len(rec)}, expected {width} as in the "
                "header; is there an unquoted comma?)"
            )
            continue
        sheet.rows.append((line, list(rec[:width]) + [""] * (width - len(rec))))
    return sheet


def _read_xlsx(path: Path, problems: list[str]) -> tuple[dict[str, RawSheet], list[str]]:
    data = _read_bytes(path, problems)
    if data is None:
        return {}, []
    limits = (MAX_ROWS, MAX_COLUMNS, _MAX_UNPACKED)
    tabs_rows, tabs = read_workbook(path, data, SHEET_NAMES, limits, problems)
    out: dict[str, RawSheet] = {}
    for name, records in tabs_rows.items():
        sheet = _to_sheet(name, f"{path.name}[{name}]", records, problems)
        if sheet is not None:
            out[name] = sheet
    return out, tabs


def _missing_tab(book: str, name: str, tabs: list[str]) -> str:
    near = [t for t in tabs if t.strip().lower() == name]
    hint = f"; tab names are case-sensitive: rename {near[0]!r} to {name!r}" if near else ""
    return (
        f"{book}: sheet not found (got tabs {', '.join(tabs) or 'none'}, expected a tab "
        f"{name!r}{hint})"
    )


def data_source(files: Iterable[str | Path]) -> Path:
    """The data directory or workbook that ``files`` (a workflow rule's declared sheet
    files, with the vocabulary beside them) come from: the workbook when one is listed,
    else the directory of the first file.

    >>> str(data_source(["d/arms.csv", "d/studies.csv"])), str(data_source(["x/b.xlsx"]))
    ('d', 'x/b.xlsx')
    """
    paths = [Path(f) for f in files]
    book = next((p for p in paths if p.suffix.lower() in WORKBOOK_SUFFIXES), None)
    return book if book is not None else paths[0].parent


def sheet_in(source: str | Path, name: str) -> Path | io.StringIO | None:
    """Where ``pandas.read_csv`` reads sheet ``name`` of a data directory or workbook
    ``source`` (:func:`sheet_source`); None when the directory has no ``<name>.csv``."""
    p = Path(source)
    if p.suffix.lower() in WORKBOOK_SUFFIXES:
        return sheet_source(p, name)
    return p / f"{name}.csv" if (p / f"{name}.csv").is_file() else None


def is_sheet_source(path: str | Path) -> bool:
    """Whether ``path`` is a directory or a workbook (where sheets, and their vocabulary, are)."""
    p = Path(path)
    return p.is_dir() or (p.is_file() and p.suffix.lower() in WORKBOOK_SUFFIXES)


def load_raw_sheets(path: str | Path) -> tuple[dict[str, RawSheet], list[str]]:
    """Read every sheet found at ``path`` (a directory of CSVs or an ``.xlsx`` workbook).

    Returns the sheets found and the problems met; a missing required sheet is a problem.
    Never raises for bad content.
    """
    p = Path(path)
    problems: list[str] = []
    sheets: dict[str, RawSheet] = {}
    if p.is_dir():
        for name in SHEET_NAMES:
            f = p / f"{name}.csv"
            if f.exists():
                sheet = _read_csv(f, name, problems)
                if sheet is not None:
                    sheets[name] = sheet
            elif name in REQUIRED_SHEETS:
                problems.append(
                    f"{f.name}: file not found (got no {f.name} in {p}, expected the {name} sheet)"
                )
    elif p.is_file() and p.suffix.lower() in WORKBOOK_SUFFIXES:
        sheets, tabs = _read_xlsx(p, problems)
        for name in REQUIRED_SHEETS:
            if tabs and name not in tabs:
                problems.append(_missing_tab(p.name, name, tabs))
    elif p.exists():
        problems.append(
            f"{p.name}: unsupported input (got a {p.suffix or 'plain'} file, "
            "expected DATA_DIR or a .xlsx file)"
        )
        return {}, problems
    else:
        problems.append(
            f"{p}: no such file or directory (got a missing path, expected DATA_DIR "
            "or a .xlsx file)"
        )
        return {}, problems
    for name in REQUIRED_SHEETS:
        if name in sheets and not sheets[name].rows:
            problems.append(
                f"{sheets[name].label}: no data rows (got only a header, expected at least one row)"
            )
    return sheets, problems


def sheet_source(source: str | Path, name: str) -> Path | io.StringIO | None:
    """Where ``pandas.read_csv`` reads sheet ``name``: ``source`` itself when it is the
    sheet's CSV file, or the tab ``name`` of the ``.xlsx`` workbook ``source`` as CSV text
    (None when the workbook has no such tab). For the workflow's adapters, so that a
    workbook named as ``data_dir`` is read exactly as its CSV export would be; the data
    were validated before (a problem here raises ``ValueError``)."""
    p = Path(source)
    if p.suffix.lower() not in WORKBOOK_SUFFIXES:
        return p
    problems: list[str] = []
    sheets, _ = _read_xlsx(p, problems)
    if problems:
        raise ValueError("; ".join(problems))
    if name not in sheets:
        return None
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(sheets[name].header)
    writer.writerows(cells for _, cells in sheets[name].rows)
    buf.seek(0)
    return buf
