"""Read extraction sheets as raw text: a directory of CSV files or one .xlsx workbook.

Nothing here interprets a value. Every cell stays a string (empty string for an empty
cell), every row keeps the line number a user sees in a spreadsheet (header = row 1), and
every problem met while reading (missing file, non-UTF-8 bytes, an empty file, a duplicated
column) is returned as a one-line message instead of raised. ``validate.py`` types and
checks the cells.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SHEET_NAMES", "REQUIRED_SHEETS", "RawSheet", "load_raw_sheets"]

#: Sheets of an extraction, in the order they are checked.
SHEET_NAMES = ("studies", "arms", "contrasts", "risk_of_bias")
#: Sheets that must exist; the others may be absent (no contrasts, no RoB assessment).
REQUIRED_SHEETS = ("studies", "arms")
_MAX_BYTES = 50_000_000


@dataclass
class RawSheet:
    """One sheet as text: ``label`` names it in messages (``arms.csv``, ``book.xlsx[arms]``)."""

    name: str
    label: str
    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _read_csv(path: Path, name: str, problems: list[str]) -> RawSheet | None:
    label = path.name
    try:
        size = path.stat().st_size
        if size > _MAX_BYTES:
            problems.append(f"{label}: file too large (got {size} bytes, expected at most "
                            f"{_MAX_BYTES})")
            return None
        data = path.read_bytes()
    except OSError as exc:
        problems.append(f"{label}: cannot be read (got {exc.strerror or exc}, expected a "
                        "readable file)")
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
        problems.append(f"{label}: file is empty (got no text, expected a header row naming the "
                        "columns)")
        return None
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        problems.append(f"{label}: not valid CSV (got {exc}, expected comma-separated values)")
        return None
    return _to_sheet(name, label, records, problems)


def _to_sheet(
    name: str, label: str, records: list[list[str]], problems: list[str]
) -> RawSheet | None:
    # Line numbers: header is row 1; blank lines count, as in a spreadsheet view.
    numbered = [(i + 1, r) for i, r in enumerate(records)]
    numbered = [(i, r) for i, r in numbered if any(c.strip() for c in r)]
    if not numbered:
        problems.append(f"{label}: file is empty (got no cells, expected a header row naming the "
                        "columns)")
        return None
    _, header = numbered[0]
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


def _read_xlsx(path: Path, problems: list[str]) -> dict[str, RawSheet]:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        problems.append(f"{path.name}: reading .xlsx needs openpyxl (pip install openpyxl)")
        return {}
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any failure of a corrupt file is one message
        problems.append(f"{path.name}: not a readable workbook (got {type(exc).__name__}, "
                        "expected an .xlsx file saved by a spreadsheet program)")
        return {}
    out: dict[str, RawSheet] = {}
    try:
        for name in SHEET_NAMES:
            if name not in book.sheetnames:
                continue
            records = [
                [_cell_text(v) for v in row] for row in book[name].iter_rows(values_only=True)
            ]
            sheet = _to_sheet(name, f"{path.name}[{name}]", records, problems)
            if sheet is not None:
                out[name] = sheet
    finally:
        book.close()
    return out


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
                problems.append(f"{f.name}: file not found (got no {f.name} in {p}, expected "
                                f"the {name} sheet)")
    elif p.is_file() and p.suffix.lower() in (".xlsx", ".xlsm"):
        sheets = _read_xlsx(p, problems)
        if not problems:
            for name in REQUIRED_SHEETS:
                if name not in sheets:
                    problems.append(f"{p.name}: sheet not found (got tabs "
                                    f"{', '.join(sorted(sheets)) or 'none'}, expected a tab "
                                    f"'{name}')")
    elif p.exists():
        problems.append(f"{p.name}: unsupported input (got a {p.suffix or 'plain'} file, "
                        "expected DATA_DIR or a .xlsx file)")
        return {}, problems
    else:
        problems.append(f"{p}: no such file or directory (got a missing path, expected DATA_DIR "
                        "or a .xlsx file)")
        return {}, problems
    for name in REQUIRED_SHEETS:
        if name in sheets and not sheets[name].rows:
            problems.append(f"{sheets[name].label}: no data rows (got only a header, expected at "
                            "least one row)")
    return sheets, problems
