"""trialmeta.io.frame_json: a slice of a table reads back with the whole table's dtypes.

The per-outcome inputs of the fits (results/outcome_data/) depend on this: read back from CSV,
a slice would have its column types guessed again from fewer rows (SYNTHETIC tables).
"""

from __future__ import annotations

import io
import json
import math

import pandas as pd
import pytest

from trialmeta.errors import IntermediateError
from trialmeta.io.frame_json import frame_from_data, frame_to_data
from trialmeta.io.jsonio import dumps, read_records

WHOLE = "study_id,arm_id_2,timepoint_weeks,yi,notes\nA,1,8,-0.1,\nB,CTL,,0.30000000000000004,text\n"


def _round_trip(df: pd.DataFrame) -> pd.DataFrame:
    return frame_from_data(json.loads(dumps(frame_to_data(df))))


def test_a_slice_keeps_the_whole_tables_dtypes_and_exact_values():
    whole = read_records(io.StringIO(WHOLE))
    part = whole.iloc[0:1]  # read alone, "1" would be a number and 8 an integer
    back = _round_trip(part)
    assert list(back.dtypes) == list(whole.dtypes)
    assert back.loc[0, "arm_id_2"] == "1" and back.loc[0, "timepoint_weeks"] == 8.0
    assert isinstance(back.loc[0, "timepoint_weeks"], float)
    assert _round_trip(whole.iloc[1:2]).loc[0, "yi"] == 0.30000000000000004  # exact repr
    assert math.isnan(_round_trip(whole.iloc[1:2]).loc[0, "timepoint_weeks"])
    assert pd.isna(back.loc[0, "notes"])


def test_an_empty_slice_keeps_its_columns_and_dtypes():
    whole = read_records(io.StringIO(WHOLE))
    back = _round_trip(whole.iloc[0:0])
    assert list(back.columns) == list(whole.columns) and back.empty
    assert list(back.dtypes) == list(whole.dtypes)


def test_the_same_table_gives_the_same_bytes():
    whole = read_records(io.StringIO(WHOLE))
    assert dumps(frame_to_data(whole)) == dumps(frame_to_data(read_records(io.StringIO(WHOLE))))


def test_an_unknown_dtype_and_a_non_table_are_located_errors():
    with pytest.raises(IntermediateError, match="column t: dtype datetime64"):
        frame_to_data(pd.DataFrame({"t": pd.to_datetime(["2020-01-01"])}))
    with pytest.raises(IntermediateError, match="outcome_data/x.json: not a table"):
        frame_from_data({"rows": []}, "outcome_data/x.json")
