"""trialmeta.review.outcome_inputs: one outcome's file holds what its fits read.

The fits of an outcome from its own file (results/outcome_data/<id>.json) equal the fits from
the whole effect table and the whole sheets, as fit_outcome read them before the per-outcome
files (shipped data and config; the notes aside, which the tables join back); and an edit of
a trial changes only the files of the outcomes it enters.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from trialmeta.data.validate import read_vocabulary
from trialmeta.effects.comparisons import build_comparisons
from trialmeta.errors import IntermediateError
from trialmeta.io.jsonio import dumps, read_records
from trialmeta.io.safe_csv import write_csv
from trialmeta.report.tables import records_and_columns
from trialmeta.review.annotate import control_lookup, result_rob_lookup
from trialmeta.review.codec import to_data
from trialmeta.review.config import parse_config, read_schema
from trialmeta.review.outcome import FitSettings, fit_outcome
from trialmeta.review.outcome_inputs import (
    fit_inputs,
    outcome_studies,
    read_fit_inputs,
    reader_columns,
    with_reader_columns,
)

ROOT = Path(__file__).parents[2]
DATA = ROOT / "data"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    raw = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    config = parse_config(raw, read_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml"))
    cs = build_comparisons(
        DATA,
        outcomes=raw["outcomes"],
        comparisons=raw["comparisons"],
        data_quality=raw["data_quality"],
        multiarm=raw["multi_arm"]["method"],
    )
    path = tmp_path_factory.mktemp("results") / "comparisons.csv"
    write_csv(path, *records_and_columns(cs.effects))
    effects = read_records(path)  # as comparisons.csv is read back
    arms = pd.read_csv(DATA / "arms.csv", dtype=str)
    rob = pd.read_csv(DATA / "risk_of_bias.csv", dtype=str)
    return config, effects, arms, rob, read_vocabulary(DATA)


def _no_notes(obj):
    if isinstance(obj, dict):
        return {k: _no_notes(v) for k, v in obj.items() if k != "notes"}
    if isinstance(obj, list):
        return [_no_notes(v) for v in obj]
    return obj


@pytest.mark.parametrize("outcome_id", ["pain_eot", "function_fu"])
def test_the_fits_from_one_outcomes_file_equal_the_fits_from_the_whole_sheets(shipped, outcome_id):
    config, effects, arms, rob, vocab = shipped
    settings = FitSettings.of(config, outcome_id)
    whole = fit_outcome(effects, result_rob_lookup(rob, vocab), control_lookup(arms, vocab),
                        settings)  # fmt: skip
    data = json.loads(dumps(fit_inputs(effects, arms, rob, vocab, outcome_id)))
    own = fit_outcome(*read_fit_inputs(data, f"outcome_data/{outcome_id}.json"), settings)
    assert json.loads(dumps(to_data(own))) == _no_notes(json.loads(dumps(to_data(whole))))
    assert {r[0] for r in data["controls"]} <= outcome_studies(effects, outcome_id)


def test_an_edit_of_one_trial_changes_only_the_files_of_the_outcomes_it_enters(shipped):
    # Hunter2012 enters function_fu only (data/arms.csv: ODI at 26 weeks)
    _, effects, arms, rob, vocab = shipped
    ids = sorted(set(effects["outcome_id"]))
    before = {o: dumps(fit_inputs(effects, arms, rob, vocab, o)) for o in ids}
    edited = effects.copy()
    edited.loc[edited["study_id"] == "Hunter2012", "yi"] += 0.5
    after = {o: dumps(fit_inputs(edited, arms, rob, vocab, o)) for o in ids}
    assert [o for o in ids if before[o] != after[o]] == ["function_fu"]
    renoted = effects.copy()
    renoted.loc[renoted["study_id"] == "Hunter2012", "notes"] = "edited note"
    assert {o: dumps(fit_inputs(renoted, arms, rob, vocab, o)) for o in ids} == before


def test_the_notes_are_joined_back_into_the_effect_records(shipped):
    _, effects, *_ = shipped
    table = reader_columns(effects)
    records = [{str(k): v for k, v in r.items() if k != "notes"}
               for r in effects.to_dict(orient="records")]  # fmt: skip
    joined = with_reader_columns(records, table, "comparisons.csv")
    assert [r["notes"] for r in joined] == list(effects["notes"])
    with pytest.raises(IntermediateError, match="comparisons.csv: no row"):
        with_reader_columns([{**records[0], "study_id": "Nobody"}], table, "comparisons.csv")


def test_a_file_that_is_not_fit_inputs_is_a_located_error():
    with pytest.raises(IntermediateError, match="outcome_data/x.json: not the fit inputs"):
        read_fit_inputs(
            {"effects": {"columns": [], "dtypes": [], "rows": []}}, "outcome_data/x.json"
        )
