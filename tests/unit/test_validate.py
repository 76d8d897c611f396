"""trialmeta validate: every malformed sheet gives its message, never a traceback."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from _workbooks import shipped_workbook

from trialmeta.cli import main as cli_main
from trialmeta.data.sheets import load_raw_sheets
from trialmeta.data.validate import read_sheets, validate_path
from trialmeta.errors import DataValidationError

HERE = Path(__file__).parents[1]
MALFORMED = HERE / "data" / "malformed"
DATA = HERE.parent / "data"

# case directory -> fragments the output must contain (all synthetic data).
CASES = {
    "missing_column": ["arms.csv:1:sd: required column is missing"],
    "duplicated_column": ["arms.csv:1:mean: column appears more than once"],
    "unknown_column": ["arms.csv:1:sdd: unknown column", "did you mean 'sd'?"],
    "unknown_study_id": [
        "arms.csv:2:study_id: unknown study (got 'Synth2021'",
        "did you mean 'Synth2020'?",
    ],
    "duplicate_arm": ["arms.csv:4:arm_id: duplicate arm row", "as row 2"],
    "enum_typo": ["arms.csv:3:arm_type: not an allowed value (got 'shamm'", "did you mean 'sham'?"],
    "non_numeric_text": ["arms.csv:2:mean: not a number (got 'forty', expected a number)"],
    "decimal_comma": ["arms.csv:2:mean: decimal comma (got '40,5', expected '40.5')"],
    "n_zero": ["arms.csv:2:n: out of range (got '0', expected a value >= 1)"],
    "negative_sd": ["arms.csv:2:sd: out of range (got '-15', expected a value > 0)"],
    "upper_below_lower": ["arms.csv:2:ci_ub: bound out of order (got ci_ub=35.0 below ci_lb=45.0"],
    "empty_file": ["arms.csv: file is empty"],
    "header_only": ["arms.csv: no data rows"],
    "non_utf8": ["studies.csv: file is not UTF-8 (got byte 0xfc"],
    "stray_spaces": [
        "arms.csv:3:arm_type: stray spaces around the value (got ' sham', expected 'sham')"
    ],
    "stray_spaces_header": ["arms.csv:1:mean: stray spaces in the column name"],
    "formula": ["arms.csv:2:mean: spreadsheet formula (got '=1+1'"],
    "huge_number": ["arms.csv:2:mean: not a finite number (got '1e400'"],
    "huge_n": ["arms.csv:2:n: out of range (got '99999999999', expected a value <= 1000000)"],
    "na_string": ["arms.csv:2:sd: missing-value marker (got 'NA'"],
    "nr_string": ["arms.csv:2:sd: missing-value marker (got 'n.r.'"],
    "missing_arms_sheet": ["arms.csv: file not found"],
    "not_boolean": [
        "arms.csv:2:higher_is_worse: not a boolean (got 'yes', expected true or false)"
    ],
    "not_whole_number": ["arms.csv:2:n: not a whole number (got '20.5', expected an integer)"],
    "typographic_minus": ["arms.csv:2:mean: typographic minus sign"],
    "change_without_sign": ["arms.csv:2:change_sign: missing for a change score"],
    "half_interval": ["arms.csv:2:ci_ub: half an interval"],
    "quartiles_out_of_order": ["arms.csv:2:median: bound out of order"],
    "empty_required_cell": ["arms.csv:2:source: missing value (got an empty cell"],
    "year_out_of_range": [
        "studies.csv:2:year: out of range (got '20015', expected a value <= 2100)"
    ],
    "ragged_row": ["arms.csv:4: too many cells (got 33, expected 30"],
    "contrast_unknown_arm": ["contrasts.csv:2:arm_id_2: unknown arm (got 'PLACEBO'"],
    "contrast_same_arm": ["contrasts.csv:2:arm_id_2: an arm compared with itself"],
    "rob_wrong_judgement": ["risk_of_bias.csv:2:judgement: not a PEDro judgement (got 'low'"],
    "duplicate_study": ["studies.csv:3:study_id: duplicate study"],
    "technique_on_control": ["arms.csv:3:technique: set on a sham arm"],
    "arm_changes_type": ["arms.csv:4:arm_type: arm changes type (got 'usual_care'"],
    "binary_garbage": ["arms.csv: not a text file (got NUL bytes"],
    "xlsx_formula/book.xlsx": ["book.xlsx[arms]:2:mean: spreadsheet formula (got '=1+1'"],
    "not_a_workbook/book.xlsx": ["book.xlsx: not a readable workbook"],
    # reliability review (issue 12): F2 quoting read strictly
    "unbalanced_quote": [
        "arms.csv:2:notes: quoted cell spans lines 2-5 of the file and "
        "swallows 3 line(s) that look like rows",
        "studies.csv:2:study_id: only one arm",
    ],
    "unclosed_quote": ["arms.csv:3: quoted cell never closed"],
    "text_after_quote": ["arms.csv:5: broken quoting", "the record that starts on line 2"],
    # F17 digit grouping, and non-ASCII digits, are not numbers
    "underscore_digits": [
        "arms.csv:2:sd: not a number (got '2_5', expected digits without '_' "
        "('25' if '_' groups digits, '2.5' if it is a decimal mark))"
    ],
    "fullwidth_digits": [
        "arms.csv:2:mean: not a number (got '４０', expected ASCII digits ('40'))"
    ],
    # F18 an estimate outside its own CI (and a mean outside its range)
    "mean_outside_ci": [
        "arms.csv:2:mean: outside its own CI (got mean=500.0 with ci_lb=30.0 and ci_ub=50.0"
    ],
    "mean_outside_range": [
        "arms.csv:2:mean: outside its own range (got mean=40.0 with min=45.0 and max=90.0"
    ],
    "estimate_outside_ci": [
        "contrasts.csv:2:estimate: outside its own CI (got estimate=50.0 "
        "with ci_lb=0.8 and ci_ub=9.0"
    ],
    # F30 studies with no arms, one arm, or not the arms n_arms declares
    "study_without_arms": [
        "studies.csv:3:study_id: study has no arms (got no row of 'Lonely2021' in arms.csv"
    ],
    "one_arm_study": ["studies.csv:2:study_id: only one arm (got arm 'ACU' alone"],
    "n_arms_mismatch": [
        "studies.csv:2:n_arms: arms do not match (got 2 arm(s) of 'Synth2020' "
        "in arms.csv (ACU, SHAM), expected 4 as n_arms says)"
    ],
    # H4: the delimiter is named
    "semicolon": ["arms.csv:1: semicolon-separated"],
    # F29 a chart sheet, F20 a stray cell at XFD1048576, H28 tab names listed as they are
    "xlsx_chartsheet/book.xlsx": ["book.xlsx[arms]: not a worksheet (got a chart sheet"],
    "xlsx_far_cell/book.xlsx": [
        "book.xlsx[risk_of_bias]: sheet too large (got 1048576 rows x 16384 columns"
    ],
    "xlsx_capitalised_tabs/book.xlsx": [
        "book.xlsx: sheet not found (got tabs Studies, arms, "
        "expected a tab 'studies'; tab names are case-sensitive"
    ],
    # issue 11: binary outcomes (vocabulary type binary) are events of n per arm
    "events_above_n": [
        "arms.csv:2:events: more events than participants (got events=25 with "
        "n=20, expected events <= n)"
    ],
    "negative_events": ["arms.csv:2:events: out of range (got '-3', expected a value >= 0)"],
    "non_integer_events": [
        "arms.csv:2:events: not a whole number (got '12.5', expected an integer)"
    ],
    "events_on_continuous": [
        "arms.csv:2:events: events on a continuous outcome (got events=12 for outcome pain"
    ],
    "mean_on_binary": [
        "arms.csv:3:mean: a mean on a binary outcome (got mean=45 for outcome responders"
    ],
    "missing_vocabulary": [
        "missing_vocabulary/vocabulary.yaml: missing (got no such file, "
        "expected the review's codes: populations, intervention_types, "
        "control_types, outcomes"
    ],
}
#: Cases whose defect is a code, which only the review's vocabulary can tell.
NEEDS_CODES = {"enum_typo", "technique_on_control", "events_on_continuous", "mean_on_binary"}


def main(argv: list[str]) -> int:
    """``trialmeta validate ARGV...`` (the one CLI parser)."""
    return cli_main(["validate", *argv])


LINE = re.compile(r"^[^:\s][^:]*(\[\w+\])?(:\d+(:[\w ]+)?)?: .+\(got .+, expected .+\)")


def test_corpus_is_complete():
    dirs = {p.name for p in MALFORMED.iterdir() if p.is_dir()}
    listed = {c.split("/")[0] for c in CASES} | {"bom"}
    assert dirs == listed
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_sheet_reports_message(case, corpus_case, capsys):
    # each case with the shipped vocabulary beside it (tests/conftest.py), so it fails for
    # its own defect only
    rc = main([str(corpus_case(case))])
    out = capsys.readouterr().out
    assert rc == 2
    for fragment in CASES[case]:
        assert fragment in out
    problems = out.strip().splitlines()[:-1]
    assert problems, out
    for line in problems:
        assert LINE.match(line), line
    assert "Traceback" not in out
    if "vocabulary" not in case:  # the harness's vocabulary is never the problem
        assert "vocabulary.yaml" not in out


@pytest.mark.parametrize("case", sorted(set(CASES) - NEEDS_CODES))
def test_missing_vocabulary_is_reported_beside_every_other_problem(case, capsys):
    # the corpus as stored has no vocabulary.yaml: that is one more located problem, and the
    # case's own problem is still listed (every problem at once), without a traceback
    rc = main([str(MALFORMED / case)])
    out = capsys.readouterr().out
    assert rc == 2 and "Traceback" not in out
    assert (
        f"{MALFORMED / case.split('/')[0] / 'vocabulary.yaml'}: missing (got no such "
        "file, expected the review's codes" in out
    )
    for fragment in CASES[case]:
        assert fragment.split(":", 1)[-1] in out


def test_vocabulary_problem_does_not_invent_code_problems(capsys):
    # without the review's codes, codes are not judged: no 'not an allowed value' guesses
    assert main([str(MALFORMED / "enum_typo")]) == 2
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and out[0].endswith("see data/README.md)") and "1 problem" in out[1]


def test_bom_is_accepted(corpus_case, capsys):
    # A UTF-8 byte-order mark (as Excel writes) is not part of the first column name.
    rc = main([str(corpus_case("bom"))])
    out = capsys.readouterr().out
    assert rc == 0
    assert "unknown column" not in out and out.startswith("OK: 1 studies")


def test_problems_are_all_collected(corpus_case):
    # several defects in one run: each is reported, nothing stops at the first
    d = corpus_case("enum_typo")
    arms = (d / "arms.csv").read_text(encoding="utf-8")
    (d / "arms.csv").write_text(arms.replace(",40,15,", ",4O,-15,"), encoding="utf-8")
    report = validate_path(d)
    assert len(report.problems) == 3
    with pytest.raises(DataValidationError) as err:
        read_sheets(d)
    assert len(err.value.problems) == 3


def test_missing_path_and_wrong_file(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere")]) == 2
    (tmp_path / "x.txt").write_text("hello", encoding="utf-8")
    assert main([str(tmp_path / "x.txt")]) == 2
    out = capsys.readouterr().out
    assert "no such file or directory" in out and "unsupported input" in out


def test_shipped_data_passes_and_counts(capsys):
    rc = main([str(DATA)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "OK: 25 studies" in out
    assert re.search(r"Comparisons: \d+ identified, \d+ poolable", out)
    # the caveats of the shipped data reach the output as warnings naming the study
    assert "warning: Sokunbi_NJMR:" in out and "below 2% of the 0-10 scale range" in out
    assert "warning: Jiang2013:" in out and "identical summaries" in out


def test_shipped_data_every_row_has_a_source():
    tables = read_sheets(DATA)
    for name in ("studies", "arms", "contrasts", "risk_of_bias"):
        assert tables[name]["source"].notna().all(), name
    assert tables["arms"]["source_location"].notna().all()


def test_shipped_data_keeps_gaps_empty_and_labels():
    # gaps.csv: a missing SD stays empty; DERIVED/INFERENCE labels stay visible.
    t = read_sheets(DATA)
    arms, con = t["arms"], t["contrasts"]
    wed = arms[arms["study_id"] == "Wedenberg2000"]
    assert wed["sd"].isna().all() and wed["mean"].notna().all()
    wl = arms[(arms["study_id"] == "Brinkhaus2006") & (arms["arm_id"] == "WL")]
    assert wl["n"].tolist() == [74] and "DERIVED" in wl["notes"].iloc[0]
    elden = con[(con["study_id"] == "Elden2005") & (con["arm_id_2"] == "EX")].iloc[0]
    assert (elden["estimate"], elden["ci_lb"], elden["ci_ub"]) == (-14, -18.1, -3.3)
    assert elden["estimate_type"] == "median_difference"
    assert arms[arms["study_id"] == "Glazov2014"]["n"].isna().all()


def test_workbook_with_same_tabs_loads(tmp_path):
    shipped_workbook(tmp_path / "data.xlsx")
    shutil.copy(DATA / "vocabulary.yaml", tmp_path)  # a workbook's codes: the file beside it
    report = validate_path(tmp_path / "data.xlsx")
    assert report.ok, report.problems[:5]
    assert report.summary["studies"] == 25
    raw, problems = load_raw_sheets(tmp_path / "data.xlsx")
    assert not problems and raw["arms"].label == "data.xlsx[arms]"


def test_json_output(capsys):
    assert main([str(DATA), "--json"]) == 0
    out = capsys.readouterr().out
    assert '"ok": true' in out and '"poolable"' in out


def test_delivery_checked_against_cointervention(tmp_path):
    # add_on exactly when the acupuncture arm has a cointervention (issue 8, section 2)
    src = read_sheets(DATA)
    arms = pd.read_csv(DATA / "arms.csv", dtype=str, keep_default_na=False)
    studies = pd.read_csv(DATA / "studies.csv", dtype=str, keep_default_na=False)
    zar = arms["study_id"] == "Zaringhalam2010"
    arms.loc[zar & (arms["arm_id"] == "BAAC"), "delivery"] = "standalone"
    arms.loc[zar & (arms["arm_id"] == "C"), "delivery"] = "add_on"
    arms.to_csv(tmp_path / "arms.csv", index=False)
    studies.to_csv(tmp_path / "studies.csv", index=False)
    shutil.copy(DATA / "vocabulary.yaml", tmp_path)
    report = validate_path(tmp_path)
    assert not report.ok
    assert any(
        ":delivery: standalone but the arm has a cointervention" in p for p in report.problems
    )
    assert any(":delivery: set on a no_treatment arm" in p for p in report.problems)
    assert len(src["arms"]) == len(arms)
