"""vocabulary.yaml: a review's codes drive validation and pairing (nothing is hard-wired).

Uses the Normand 1999 example's sheets (examples/normand1999/data): a data directory
without a vocabulary.yaml is a located problem, never the first review's codes.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from trialmeta.cli import main
from trialmeta.data.validate import read_sheets, validate_path
from trialmeta.data.vocabulary import load_vocabulary
from trialmeta.effects.comparisons import build_comparisons
from trialmeta.errors import DataValidationError, InputError

ROOT = Path(__file__).resolve().parents[2]
NORMAND = ROOT / "examples" / "normand1999" / "data"


@pytest.fixture
def normand(tmp_path) -> Path:
    d = tmp_path / "normand"
    shutil.copytree(NORMAND, d)
    return d


def _replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_the_review_codes_are_the_allowed_values(normand, capsys):
    _replace(normand / "arms.csv", ",routine_care,", ",routine_cars,")
    assert main(["validate", str(normand)]) == 2
    out = capsys.readouterr().out
    assert (
        "arms.csv:3:arm_type: not an allowed value (got 'routine_cars', expected one of "
        "specialist_care, routine_care; did you mean 'routine_care'?)"
    ) in out


def test_outcome_and_instrument_codes_come_from_the_vocabulary(normand, capsys):
    _replace(normand / "arms.csv", ",length_of_stay,days,", ",pain,VAS,")
    assert main(["validate", str(normand)]) == 2
    out = capsys.readouterr().out
    assert (
        "arms.csv:2:outcome: not an allowed value (got 'pain', expected one of "
        "length_of_stay)" in out
    )
    assert "arms.csv:2:instrument: not an allowed value (got 'VAS', expected one of days)" in out


def test_population_codes_come_from_the_vocabulary(normand, capsys):
    _replace(normand / "studies.csv", ",stroke,", ",SIJ,")
    assert main(["validate", str(normand)]) == 2
    assert (
        "studies.csv:2:population: not an allowed value (got 'SIJ', expected one of "
        "stroke)" in capsys.readouterr().out
    )


def test_a_broken_vocabulary_is_reported_with_the_sheets(normand, capsys):
    _replace(normand / "vocabulary.yaml", "md_instruments: [days]", "md_instruments: [hours]")
    _replace(normand / "vocabulary.yaml", "md_scale: native", "md_scale: log")
    assert main(["validate", str(normand)]) == 2
    out = capsys.readouterr().out
    assert "vocabulary.yaml:outcomes/length_of_stay/md_scale: invalid vocabulary (got 'log'" in out
    with pytest.raises(DataValidationError):
        read_sheets(normand)


def test_md_instruments_must_be_instruments_of_the_outcome(normand):
    _replace(normand / "vocabulary.yaml", "md_instruments: [days]", "md_instruments: [hours]")
    vocab, problems = load_vocabulary(normand)
    assert vocab is None
    assert problems == [
        "vocabulary.yaml:outcomes/length_of_stay/md_instruments: not an "
        "instrument of the outcome (got hours, expected some of days)"
    ]


def test_an_arm_type_is_either_intervention_or_control(normand):
    _replace(
        normand / "vocabulary.yaml",
        "control_types: [routine_care]",
        "control_types: [routine_care, specialist_care]",
    )
    assert any(
        "also an intervention type (got specialist_care" in p for p in load_vocabulary(normand)[1]
    )


def test_active_and_sham_controls_are_control_types(normand):
    _replace(
        normand / "vocabulary.yaml",
        "control_types: [routine_care]",
        "control_types: [routine_care]\nactive_control_types: [specialist_care]\n"
        "sham_kinds: [{keyword: placebo, kind: placebo ward}]",
    )
    assert load_vocabulary(normand)[1] == [
        "vocabulary.yaml:active_control_types: not a control type (got specialist_care, "
        "expected some of routine_care)",
        "vocabulary.yaml:sham_kinds: kinds of sham without a sham control type (got 1 kinds, "
        "expected sham_control_types too)",
    ]


def test_active_design_comes_from_the_vocabulary(normand):
    # add-on vs head-to-head (issue 8) applies to the vocabulary's active_control_types only
    assert set(build_comparisons(normand).effects["active_design"]) == {""}
    _replace(
        normand / "vocabulary.yaml",
        "control_types: [routine_care]",
        "control_types: [routine_care]\nactive_control_types: [routine_care]",
    )
    eff = build_comparisons(normand).effects
    assert set(eff["active_design"]) == {"head_to_head"} and len(eff) == 9  # no cointervention
    add_on = [{"id": "add_on", "control_types": ["routine_care"], "active_design": "add_on"}]
    assert build_comparisons(normand, comparisons=add_on).effects.empty


def test_sham_kinds_come_from_the_vocabulary(normand):
    _replace(
        normand / "vocabulary.yaml",
        "control_types: [routine_care]",
        "control_types: [routine_care]\nsham_control_types: [routine_care]\n"
        "sham_kinds: [{keyword: Non-specialist, kind: general ward}]",
    )
    vocab = load_vocabulary(normand)[0]
    assert vocab is not None
    assert vocab.sham_kind("routine_care", "routine (non-specialist) care") == "general ward"
    assert vocab.sham_kind("routine_care", "usual ward") == "sham (unspecified)"
    assert vocab.sham_kind("specialist_care", "non-specialist") == ""


def test_native_scale_keeps_the_units(normand):
    # metafor 3.8-1: escalc(measure="MD", m1i, sd1i, n1i, m2i, sd2i, n2i,
    # data=dat.normand1999)[1, ] -> yi = -20, vi = 47^2/155 + 64^2/156 = 40.50802...
    eff = build_comparisons(normand).effects
    edinburgh = eff[eff["study_id"] == "Edinburgh"].iloc[0]
    assert edinburgh["yi"] == pytest.approx(-20.0)
    assert edinburgh["vi"] == pytest.approx(47**2 / 155 + 64**2 / 156, rel=1e-12)
    assert "days in its own units (not rescaled)" in edinburgh["derivation"]


def test_untimed_rows_need_a_window_that_includes_them(normand):
    window = {"id": "los", "outcome": "length_of_stay", "timepoint_weeks": {"min": 0, "max": 52}}
    cset = build_comparisons(normand, outcomes=[window])
    assert cset.effects.empty
    assert set(cset.accounting["reason_code"]) == {"timepoint not reported in weeks"}
    window["timepoint_weeks"]["include_untimed"] = True
    assert len(build_comparisons(normand, outcomes=[window]).effects) == 9


def test_md_only_for_the_md_instruments(normand):
    _replace(normand / "vocabulary.yaml", "instruments: [days]", "instruments: [days, hours]")
    _replace(normand / "arms.csv", ",length_of_stay,days,", ",length_of_stay,hours,", count=2)
    acc = build_comparisons(normand).accounting
    edinburgh = acc[acc["study_id"] == "Edinburgh"].iloc[0]
    assert edinburgh["status"] == "excluded"
    assert edinburgh["reason"] == (
        "instrument hours is not an MD instrument of the length_of_stay scale; poolable only as SMD"
    )


def test_directory_without_vocabulary_is_a_located_error(normand, capsys):
    # the acupuncture codes are never a silent default for another review's sheets
    (normand / "vocabulary.yaml").unlink()
    assert main(["validate", str(normand)]) == 2
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0] == (
        f"{normand / 'vocabulary.yaml'}: missing (got no such file, expected the "
        "review's codes: populations, intervention_types, control_types, outcomes, "
        "as in trialmeta's data/vocabulary.yaml; see data/README.md)"
    )
    # its codes (specialist_care, length_of_stay, stroke) are not judged without one
    assert out[1:] == ["1 problem found; nothing was pooled."]
    with pytest.raises(DataValidationError) as err:
        build_comparisons(normand)
    assert err.value.problems[0].startswith(f"{normand / 'vocabulary.yaml'}: missing")


def test_tables_without_a_vocabulary_are_refused(normand):
    tables = read_sheets(normand)
    with pytest.raises(InputError, match="vocabulary: .*the review's Vocabulary"):
        build_comparisons(tables)
    assert len(build_comparisons(tables, vocabulary=load_vocabulary(normand)[0]).effects) == 9


def test_workbook_vocabulary_is_the_file_beside_it(tmp_path, capsys):
    # data/README.md: a workbook's codes are the vocabulary.yaml in its directory
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in ("studies", "arms"):
        rows = (NORMAND / f"{name}.csv").read_text(encoding="utf-8").splitlines()
        ws = book.create_sheet(name)
        for row in csv.reader(rows):
            ws.append([c if c != "" else None for c in row])
    book.save(tmp_path / "normand.xlsx")
    assert main(["validate", str(tmp_path / "normand.xlsx")]) == 2
    assert capsys.readouterr().out.startswith(f"{tmp_path / 'vocabulary.yaml'}: missing (got")
    shutil.copy(NORMAND / "vocabulary.yaml", tmp_path / "vocabulary.yaml")
    report = validate_path(tmp_path / "normand.xlsx")
    assert report.ok, report.problems
    assert report.vocabulary is not None and report.vocabulary.control_types == ("routine_care",)
