"""Tests of the guarded, deterministic CSV writer (synthetic cells only)."""

import csv
import io
import math

import numpy as np
import pytest

from trialmeta.io.safe_csv import format_cell, to_csv_text, write_csv


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-cmd|' /C calc'!A0", "@SUM(1)",
                                  "\tTAB", "\rCR", "=HYPERLINK(\"http://x\")"])
def test_dangerous_text_gets_apostrophe(text):
    assert format_cell(text) == "'" + text


@pytest.mark.parametrize(("value", "expected"), [
    (-1.5, "-1.5"), ("-1.5", "-1.5"), ("+3", "+3"), (np.float64(-2.25), "-2.25"),
    (np.int64(-3), "-3"), (7, "7"), (True, "true"), (np.bool_(False), "false"),
    (None, ""), (math.nan, ""), (-0.0, "0"), ("plain text", "plain text"),
])
def test_numbers_and_plain_text_untouched(value, expected):
    assert format_cell(value) == expected


def test_text_that_only_looks_numeric_is_guarded():
    assert format_cell("-1.56 (-2.18 to -0.94)") == "'-1.56 (-2.18 to -0.94)"
    assert format_cell("-nan") == "'-nan"


def test_float_format_is_fixed():
    assert format_cell(1 / 3) == "0.3333333333"
    assert format_cell(123456789012.0) == "1.23456789e+11"


def test_csv_text_round_trips_and_uses_newline_only(tmp_path):
    rows = [{"study_id": "Synthetic, one", "yi": -1.0, "note": "=cmd"},
            {"study_id": "Synthetic \"two\"", "yi": 2.5}]
    text = to_csv_text(rows, ["study_id", "yi", "note"])
    assert "\r" not in text
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed == [["study_id", "yi", "note"], ["Synthetic, one", "-1", "'=cmd"],
                      ["Synthetic \"two\"", "2.5", ""]]
    path = tmp_path / "sub" / "out.csv"
    write_csv(path, rows, ["study_id", "yi", "note"])
    write_csv(tmp_path / "again.csv", rows, ["study_id", "yi", "note"])
    assert path.read_bytes() == (tmp_path / "again.csv").read_bytes()
    assert path.read_bytes() == text.encode("utf-8")


def test_header_cells_are_guarded_too():
    assert to_csv_text([], ["=evil"]).strip() == "'=evil"
