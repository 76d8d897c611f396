"""Tests of the guarded, deterministic CSV writer (synthetic cells only)."""

import csv
import io
import math

import numpy as np
import pytest

from trialmeta.io.safe_csv import format_cell, to_csv_text, write_csv


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+SUM(A1)",
        "-cmd|' /C calc'!A0",
        "@SUM(1)",
        "\tTAB",
        "\rCR",
        '=HYPERLINK("http://x")',
    ],
)
def test_dangerous_text_gets_apostrophe(text):
    assert format_cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-1.5, "-1.5"),
        ("-1.5", "-1.5"),
        ("+3", "+3"),
        (np.float64(-2.25), "-2.25"),
        (np.int64(-3), "-3"),
        (7, "7"),
        (True, "true"),
        (np.bool_(False), "false"),
        (None, ""),
        (math.nan, ""),
        (-0.0, "0"),
        ("plain text", "plain text"),
    ],
)
def test_numbers_and_plain_text_untouched(value, expected):
    assert format_cell(value) == expected


def test_text_that_only_looks_numeric_is_guarded():
    assert format_cell("-1.56 (-2.18 to -0.94)") == "'-1.56 (-2.18 to -0.94)"
    assert format_cell("-nan") == "'-nan"


def test_float_format_is_fixed():
    assert format_cell(1 / 3) == "0.3333333333"
    assert format_cell(123456789012.0) == "1.23456789e+11"


def test_csv_text_round_trips_and_uses_newline_only(tmp_path):
    rows = [
        {"study_id": "Synthetic, one", "yi": -1.0, "note": "=cmd"},
        {"study_id": 'Synthetic "two"', "yi": 2.5},
    ]
    text = to_csv_text(rows, ["study_id", "yi", "note"])
    assert "\r" not in text
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed == [
        ["study_id", "yi", "note"],
        ["Synthetic, one", "-1", "'=cmd"],
        ['Synthetic "two"', "2.5", ""],
    ]
    path = tmp_path / "sub" / "out.csv"
    write_csv(path, rows, ["study_id", "yi", "note"])
    write_csv(tmp_path / "again.csv", rows, ["study_id", "yi", "note"])
    assert path.read_bytes() == (tmp_path / "again.csv").read_bytes()
    assert path.read_bytes() == text.encode("utf-8")


def test_header_cells_are_guarded_too():
    assert to_csv_text([], ["=evil"]).strip() == "'=evil"


# Reliability review F3: a bare CR inside a cell split the rows and let "=..." start a row.
HOSTILE = [
    "ok\r=1+1+cmd|' /C calc'!A0",
    "two\nlines",
    "crlf\r\nend",
    'say "hi", then',
    "a,b",
    " =1+1",
    "\u00a0=1+1",
    "\uff1dSUM(A1)",
    "x\u2028y",
    "\x1b[31mred",
    "trailing\r",
    "",
]


def test_every_field_that_needs_quotes_is_quoted():
    text = to_csv_text([{"a": "ok\r=1+1", "b": "x"}], ["a", "b"])
    assert text == 'a,b\n"ok\r=1+1",x\n'
    assert to_csv_text([{"a": ""}], ["a"]) == 'a\n""\n'  # a lone empty field is not a blank line


@pytest.mark.parametrize("cell", HOSTILE)
def test_round_trip_with_csv_module_and_pandas(cell, tmp_path):
    pd = pytest.importorskip("pandas")
    rows = [{"study": cell, "note": cell, "n": 3}, {"study": "plain", "note": "", "n": 4}]
    path = tmp_path / "synthetic.csv"
    write_csv(path, rows, ["study", "note", "n"])
    want = [[format_cell(cell), format_cell(cell), "3"], ["plain", "", "4"]]
    with open(path, encoding="utf-8", newline="") as fh:
        assert list(csv.reader(fh))[1:] == want
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert df.values.tolist() == want
    # the formula guard applies to the text as a spreadsheet normalises it
    assert not format_cell(cell).lstrip().startswith(("=", "+", "-", "@"))


@pytest.mark.parametrize(
    "text", [" =1+1", "\u3000=1", "\u00a0@SUM(1)", "\uff1dSUM(A1)", "\uff0bcmd", "\n-2+3"]
)
def test_guard_after_normalisation(text):
    # NFKC maps full-width signs to ASCII; leading white space is stripped on import
    assert format_cell(text) == "'" + text


def test_text_with_a_sign_inside_is_not_guarded():
    assert format_cell("2_5-x") == "2_5-x"
    assert format_cell("VAS 0-100") == "VAS 0-100"


def test_only_plain_numbers_escape_the_guard():
    # float() reads "-1_0" as -10 and "-inf" as infinity; neither is a number in a sheet
    assert format_cell("-1_0") == "'-1_0"
    assert format_cell("-inf") == "'-inf"
    assert format_cell("-1e-3") == "-1e-3"
