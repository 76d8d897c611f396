"""The tabs of an ``.xlsx`` extraction workbook as rows of text, read within bounds.

A workbook is a zip of XML parts; a 37 KB file can declare a cell at XFD1048576 (17 billion
cells once padded) or unpack to gigabytes. So the file is read once, as a regular file of
bounded size; the zip's unpacked size is bounded before any XML is parsed; each tab's stated
dimension is checked against the row and column limits before a row is read (and rows are
counted while reading when a tab states none); and a chart sheet is named as such. Every
problem is a one-line message; nothing is raised for bad content.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["read_workbook"]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _unpacked_problem(label: str, data: bytes, max_unpacked: int) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, ValueError):
        return None  # openpyxl reports the unreadable workbook
    if total > max_unpacked:
        return (
            f"{label}: workbook too large once unpacked (got {total} bytes of XML, "
            f"expected at most {max_unpacked})"
        )
    return None


def _tab_rows(ws: object, label: str, max_rows: int, max_cols: int,
              problems: list[str]) -> list[list[str]] | None:  # fmt: skip
    rows_n, cols_n = getattr(ws, "max_row", None), getattr(ws, "max_column", None)
    if (rows_n or 0) > max_rows or (cols_n or 0) > max_cols:
        problems.append(f"{label}: sheet too large (got {rows_n} rows x {cols_n} columns in its "
                        f"used range, expected at most {max_rows} rows and {max_cols} columns: "
                        "delete stray cells below and right of the table)")  # fmt: skip
        return None
    records: list[list[str]] = []
    width = cols_n if cols_n else max_cols + 1  # a tab that states no dimension: bounded
    for row in ws.iter_rows(values_only=True, max_col=width):  # type: ignore[attr-defined]
        if not cols_n:
            row = row[: max((i + 1 for i, v in enumerate(row) if v is not None), default=0)]
        if len(records) >= max_rows or (len(row) > max_cols and row[max_cols] is not None):
            problems.append(f"{label}: sheet too large (got more than {max_rows} rows or "
                            f"{max_cols} columns, expected at most that: delete stray cells "
                            "below and right of the table)")  # fmt: skip
            return None
        records.append([_cell_text(v) for v in row[:max_cols]])
    return records


def read_workbook(path: Path, data: bytes, names: Sequence[str], limits: tuple[int, int, int],
                  problems: list[str]) -> tuple[dict[str, list[list[str]]], list[str]]:  # fmt: skip
    """Rows of text of the tabs ``names`` found in the workbook ``data`` (read from
    ``path``), and every tab name in workbook order. ``limits`` are (rows, columns,
    unpacked bytes)."""
    max_rows, max_cols, max_unpacked = limits
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        problems.append(f"{path.name}: reading .xlsx needs openpyxl (pip install openpyxl)")
        return {}, []
    big = _unpacked_problem(path.name, data, max_unpacked)
    if big:
        problems.append(big)
        return {}, []
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any failure of a corrupt file is one message
        problems.append(
            f"{path.name}: not a readable workbook (got {type(exc).__name__}, "
            "expected an .xlsx file saved by a spreadsheet program)"
        )
        return {}, []
    out: dict[str, list[list[str]]] = {}
    try:
        tabs = list(book.sheetnames)
        for name in names:
            if name not in tabs:
                continue
            ws = book[name]
            label = f"{path.name}[{name}]"
            if not hasattr(ws, "iter_rows"):
                problems.append(f"{label}: not a worksheet (got a chart sheet, expected a "
                                f"worksheet holding the {name} table)")  # fmt: skip
                continue
            rows = _tab_rows(ws, label, max_rows, max_cols, problems)
            if rows is not None:
                out[name] = rows
    finally:
        book.close()
    return out, tabs
