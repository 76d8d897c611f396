"""Binary outcomes in arms.csv: events of n, every problem located and reported at once
(synthetic sheets; the checks are :mod:`trialmeta.data.binary_checks`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from trialmeta.data.validate import read_vocabulary, validate_path

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "tests" / "data" / "malformed" / "events_above_n"
HEADER = (
    "study_id,arm_id,arm_type,intervention,technique,cointervention,n_sessions,"
    "treatment_weeks,outcome,instrument,scale_min,scale_max,higher_is_worse,"
    "timepoint_weeks,measure,change_sign,n,events,mean,sd,se,ci_lb,ci_ub,median,q1,q3,"
    "min,max,source,source_location,notes"
)


def _row(
    arm: str,
    kind: str,
    outcome: str,
    instrument: str,
    n: str,
    events: str,
    mean: str = "",
    sd: str = "",
) -> str:
    acu = "manual" if kind == "acupuncture" else ""
    scale = "0,100" if outcome == "pain" else ","
    return (
        f"Synth2020,{arm},{kind},x,{acu},,10,5,{outcome},{instrument},{scale},true,8,final,,"
        f"{n},{events},{mean},{sd},,,,,,,,,synthetic,synthetic table,SYNTHETIC"
    )


def _sheet(tmp_path: Path, rows: list[str]) -> Path:
    d = tmp_path / "case"
    d.mkdir()
    shutil.copy(CASE / "studies.csv", d / "studies.csv")
    shutil.copy(ROOT / "data" / "vocabulary.yaml", d / "vocabulary.yaml")
    (d / "arms.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return d


def test_every_binary_problem_at_once(tmp_path):
    d = _sheet(
        tmp_path,
        [
            _row("ACU", "acupuncture", "responders", "responder", "20", "25"),
            _row("SHAM", "sham", "responders", "responder", "20", "-1"),
            _row("ACU", "acupuncture", "adverse_events", "participants_with_event", "20", "2.5"),
            _row("SHAM", "sham", "adverse_events", "participants_with_event", "20", "3", "4.0"),
            _row("ACU", "acupuncture", "pain", "VAS", "20", "7", "40", "15"),
            _row("SHAM", "sham", "pain", "VAS", "20", "", "50", "16"),
        ],
    )
    problems = validate_path(d).problems
    assert problems == [
        "arms.csv:3:events: out of range (got '-1', expected a value >= 0)",
        "arms.csv:4:events: not a whole number (got '2.5', expected an integer)",
        "arms.csv:2:events: more events than participants (got events=25 with n=20, expected "
        "events <= n)",
        "arms.csv:5:mean: a mean on a binary outcome (got mean=4 for outcome adverse_events, "
        "expected an empty cell: a binary outcome is reported as events of n)",
        "arms.csv:6:events: events on a continuous outcome (got events=7 for outcome pain, "
        "expected an empty cell: only outcomes the vocabulary declares binary count events)",
    ]


def test_valid_binary_rows_pass_and_keep_their_counts(tmp_path):
    d = _sheet(
        tmp_path,
        [
            _row("ACU", "acupuncture", "responders", "responder", "20", "12"),
            _row("SHAM", "sham", "responders", "responder", "20", "0"),
        ],
    )
    report = validate_path(d)
    assert report.problems == []
    arms = report.tables["arms"]
    assert arms["events"].tolist() == [12, 0]


def test_vocabulary_declares_binary_outcomes():
    vocab = read_vocabulary(ROOT / "data")
    assert vocab.binary_outcomes == ("responders", "adverse_events")
    assert vocab.is_binary("responders") and not vocab.is_binary("pain")
    assert vocab.outcomes["responders"].md_instruments == ()
