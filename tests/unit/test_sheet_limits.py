"""Bounded, strict reading of extraction sheets (reliability review F2, F20, F26).

Cases that cannot live in tests/data/malformed/ as files (a FIFO, a symlink to /dev/zero,
files of 200,000 rows) are built here from the SYNTHETIC corpus case `negative_sd`.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from _workbooks import shipped_workbook

from trialmeta.data import sheets
from trialmeta.data.sheets import load_raw_sheets, sheet_source
from trialmeta.data.validate import validate_path

MALFORMED = Path(__file__).parents[1] / "data" / "malformed"
DATA = Path(__file__).parents[2] / "data"


def _case(tmp_path: Path, name: str = "negative_sd") -> Path:
    d = tmp_path / "d"
    shutil.copytree(MALFORMED / name, d)
    shutil.copy(DATA / "vocabulary.yaml", d)  # the corpus holds sheets only (tests/conftest.py)
    return d


@pytest.mark.parametrize(("kind", "got"), [("fifo", "a FIFO (named pipe)"),
                                           ("dev_zero", "a character device"),
                                           ("directory", "a directory")])  # fmt: skip
def test_special_file_as_sheet_is_refused_at_once(tmp_path, kind, got):
    d = _case(tmp_path)
    (d / "arms.csv").unlink()
    if kind == "fifo":
        os.mkfifo(d / "arms.csv")
    elif kind == "dev_zero":
        (d / "arms.csv").symlink_to("/dev/zero")
    else:
        (d / "arms.csv").mkdir()
    # in a subprocess with a timeout: a blocking open or an endless read fails the test
    proc = subprocess.run([sys.executable, "-m", "trialmeta.cli", "validate", str(d)],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 2
    assert (
        f"arms.csv: not a regular file (got {got}, expected a file saved by a program)"
        in proc.stdout
    )


def test_size_and_row_limits(tmp_path, monkeypatch):
    d = _case(tmp_path)
    arms = (d / "arms.csv").read_text(encoding="utf-8")
    (d / "arms.csv").write_text(arms + "\n" * sheets.MAX_ROWS, encoding="utf-8")
    _, problems = load_raw_sheets(d)
    assert (
        f"arms.csv: too many rows (got more than {sheets.MAX_ROWS}, expected at most" in problems[0]
    )
    monkeypatch.setattr(sheets, "_MAX_BYTES", 100)
    _, problems = load_raw_sheets(d)
    assert any(p.startswith("arms.csv: file too large (got ") for p in problems)


def test_column_limit(tmp_path):
    d = _case(tmp_path)
    lines = (d / "arms.csv").read_text(encoding="utf-8").splitlines()
    wide = [lines[0] + "".join(f",x{i}" for i in range(sheets.MAX_COLUMNS)), *lines[1:]]
    (d / "arms.csv").write_text("\n".join(wide) + "\n", encoding="utf-8")
    _, problems = load_raw_sheets(d)
    assert problems == [
        f"arms.csv:1: too many columns (got {len(wide[0].split(','))}, "
        f"expected at most {sheets.MAX_COLUMNS})"
    ]


def test_multiline_notes_are_not_mistaken_for_swallowed_rows(tmp_path):
    d = _case(tmp_path, "duplicate_arm")
    lines = (d / "arms.csv").read_text(encoding="utf-8").splitlines()[:3]
    lines[1] = lines[1].rsplit(",", 1)[0] + ',"SYNTHETIC: Table 2, row 3,\nmean, SD and n"'
    (d / "arms.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = validate_path(d)
    assert report.ok, report.problems


def _without_dimension(book: Path, out: Path) -> None:
    """Copy of an .xlsx whose worksheets state no used range (as some writers save them)."""
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                text = data.decode("utf-8")
                start = text.find("<dimension")
                if start >= 0:
                    text = text[:start] + text[text.index("/>", start) + 2 :]
                data = text.encode("utf-8")
            dst.writestr(info, data)


def test_workbook_without_dimension_is_read_within_bounds(tmp_path, monkeypatch):
    # F20: a stray cell at XFD1048576 in a tab that states no used range: rows are counted
    # while reading and the read stops at the limit.
    monkeypatch.setattr(sheets, "MAX_ROWS", 500)
    book = tmp_path / "book.xlsx"
    _without_dimension(MALFORMED / "xlsx_far_cell" / "book.xlsx", book)
    _, problems = load_raw_sheets(book)
    assert problems == [
        "book.xlsx[risk_of_bias]: sheet too large (got more than 500 rows or "
        "100 columns, expected at most that: delete stray cells below and right "
        "of the table)"
    ]


def test_workbook_unpacked_size_is_bounded(monkeypatch):
    monkeypatch.setattr(sheets, "_MAX_UNPACKED", 1000)
    _, problems = load_raw_sheets(MALFORMED / "xlsx_formula" / "book.xlsx")
    assert problems[0].startswith("book.xlsx: workbook too large once unpacked (got ")


def test_sheet_source_reads_a_tab_as_its_csv(tmp_path):
    # F26: the workflow's adapters read a workbook's tab exactly as the CSV sheet.
    book = shipped_workbook(tmp_path / "data.xlsx")
    for name in ("studies", "arms", "risk_of_bias"):
        from_csv = pd.read_csv(sheet_source(DATA / f"{name}.csv", name), dtype=str)
        src = sheet_source(book, name)
        assert isinstance(src, io.StringIO)
        pd.testing.assert_frame_equal(pd.read_csv(src, dtype=str), from_csv)
    assert sheet_source(MALFORMED / "xlsx_capitalised_tabs" / "book.xlsx", "contrasts") is None


def test_empty_trailing_columns_are_ignored(tmp_path):
    # review H16: Excel saves unused columns as a trailing ",,,"; each was an unknown
    # "(blank)" column. Unnamed columns that hold a value are still reported.
    d = _case(tmp_path)
    for name in ("studies.csv", "arms.csv"):
        p = d / name
        p.write_text("\n".join(line + ",,," for line in p.read_text("utf-8").splitlines()) + "\n",
                     encoding="utf-8")  # fmt: skip
    assert validate_path(d).problems == [
        "arms.csv:2:sd: out of range (got '-15', expected a value > 0)"
    ]
    p = d / "arms.csv"
    lines = p.read_text("utf-8").splitlines()
    p.write_text("\n".join([lines[0], lines[1] + "x", *lines[2:]]) + "\n", encoding="utf-8")
    assert any(":1:(blank): unknown column" in q for q in validate_path(d).problems)
