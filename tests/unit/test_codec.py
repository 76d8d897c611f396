"""The one JSON writer and reader of the typed review objects (synthetic values)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from _synthetic_review import review_config, synthetic_rows

from trialmeta import leave_one_out, pool
from trialmeta.flags import Flag
from trialmeta.review.codec import NotRun, from_data, to_data
from trialmeta.review.outcome import run_outcome
from trialmeta.review.results import (
    PENDING,
    CoverageCheck,
    OutcomeResult,
    read_result,
    write_result,
)
from trialmeta.review.robustness import CoverageChecks
from trialmeta.stats.results import LeaveOneOutResult, PooledResult


def _json(x: object, tp: object = None) -> object:
    return json.loads(json.dumps(to_data(x, tp), allow_nan=False))


def test_pooled_result_round_trips_with_flags_as_enum():
    fit = pool([-1.0, -2.0, 0.5, -1.5], [0.2, 0.3, 0.25, 0.4], method="REML", test="knha")
    back = from_data(PooledResult, _json(fit))
    assert back == fit and back.weights_percent == fit.weights_percent
    k1 = from_data(PooledResult, _json(pool([1.0], [0.5])))
    assert math.isnan(k1.tau2) and k1.k == 1  # null in JSON reads back as NaN
    assert all(isinstance(f, Flag) for f in k1.flags) and Flag.K1 in k1.flags


def test_arrays_keep_their_values_and_null_becomes_nan():
    loo = leave_one_out([-1.0, -2.0, 0.5, -1.5], [0.2, 0.3, 0.25, 0.4])
    back = from_data(LeaveOneOutResult, _json(loo))
    assert isinstance(back.estimate, np.ndarray)
    np.testing.assert_array_equal(back.estimate, loo.estimate)
    arr = from_data(np.ndarray, [1.0, None, [2.0]][:2])
    assert arr.dtype == float and math.isnan(arr[1])


def test_not_run_unions_are_tagged_in_fields_and_containers():
    checks: CoverageChecks = {"a": NotRun("k = 2 < 3")}
    data = _json(checks, CoverageChecks)
    assert data == {"a": {"run": False, "reason": "k = 2 < 3"}}
    assert from_data(CoverageChecks, data) == checks
    assert _json(PENDING) == {"run": False, "reason": PENDING.reason}


def test_whole_outcome_result_round_trips_through_a_file(tmp_path: Path):
    res = run_outcome(synthetic_rows(), {"Synthetic01": "high"}, review_config(), "pain_eot")
    write_result(tmp_path / "r.json", res)
    back = read_result(tmp_path / "r.json", OutcomeResult)
    assert to_data(back) == _json(res)
    write_result(tmp_path / "again.json", back)
    assert (tmp_path / "again.json").read_bytes() == (tmp_path / "r.json").read_bytes()
    assert isinstance(back.analyses[0].coverage, CoverageCheck)
    assert back.outcome == res.outcome and back.model == res.model
    assert [a.grade for a in back.analyses] == [a.grade for a in res.analyses]
    pending = [
        sg.permutation for a in back.analyses for sg in a.subgroups if sg.permutation == PENDING
    ]
    assert pending == []  # every permutation test was filled in by its step
