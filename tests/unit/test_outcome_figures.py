"""Tests of the figure layer's helpers (synthetic values; no drawing)."""

import json
import math
from pathlib import Path

import numpy as np

from trialmeta import leave_one_out, pool
from trialmeta.plots.outcome import derived_marks, result_from_dict, row_flags, split_marks
from trialmeta.stats.results import LeaveOneOutResult, PooledResult


def test_derived_and_split_marks_are_separate_meanings():
    # review F9: one footnote symbol meant both "derived" and "n split"; now two marks
    rec = {"derivation": "SYNA: sd from 95% CI (t, df=23); SYNB: sd reported; VAS 0-10 -> "
                         "0-100 x10",
           "arm_id_1": "SYNA", "arm_id_2": "SYNB", "multiarm": "split: SYNB n 10 split 2 ways"}
    marks = derived_marks(rec)
    assert marks == {"sd1": True, "m1": False, "sd2": False, "m2": False}
    assert split_marks(rec) == {"n1": False, "n2": True}
    assert not any(derived_marks({"derivation": "", "arm_id_1": "A", "arm_id_2": "B"}).values())
    med = derived_marks({"derivation": "A: mean and sd from median and IQR (Wan 2014)",
                         "arm_id_1": "A", "arm_id_2": "B"})
    assert med["m1"] and med["sd1"] and not med["m2"]


def test_result_from_dict_round_trips_through_json():
    y, v = [-1.0, -2.0, 0.5, -1.5], [0.2, 0.3, 0.25, 0.4]
    fit = pool(y, v, method="REML", test="knha")
    back = result_from_dict(PooledResult, json.loads(json.dumps(fit.to_dict())))
    assert back.estimate == fit.estimate and back.weights_percent == fit.weights_percent
    assert back.flags == fit.flags
    loo = leave_one_out(y, v)
    back = result_from_dict(LeaveOneOutResult, json.loads(json.dumps(loo.to_dict())))
    assert isinstance(back.estimate, np.ndarray)
    np.testing.assert_allclose(back.estimate, loo.estimate)


def test_result_from_dict_none_becomes_nan():
    fit = pool([1.0], [0.5])
    back = result_from_dict(PooledResult, json.loads(json.dumps(fit.to_dict())))
    assert math.isnan(back.tau2) and back.k == 1


def test_row_flags_read_inferred_scale_and_secondary_extraction():
    rec = {"derivation": "A: sd reported; B: sd reported; VAS 0-10 (inferred) -> 0-100 x10",
           "verification": "secondary_extraction"}
    assert row_flags(rec) == ("scale_inferred", "secondary_extraction")
    assert row_flags({"derivation": "VAS 0-100 (stated)", "verification": "primary_verbatim"}) == ()


def test_typed_booleans_of_the_effect_row_win_over_its_text():
    rec = {"derivation": "SYNA: sd reported; SYNB: sd reported", "arm_id_1": "SYNA",
           "arm_id_2": "SYNB", "multiarm": "", "sd1_derived": True, "m1_derived": False,
           "sd2_derived": "false", "m2_derived": False, "n1_split": False, "n2_split": "True",
           "flag_sd_floor": True, "flag_sd_ratio": False, "flag_identical_arms": "false",
           "flag_secondary_extraction": True, "scale_inferred": False, "arms_combined": True,
           "timepoint_fallback": False}
    assert derived_marks(rec) == {"sd1": True, "m1": False, "sd2": False, "m2": False}
    assert split_marks(rec) == {"n1": False, "n2": True}
    assert row_flags(rec) == ("flag_sd_floor", "arms_combined", "secondary_extraction")


def test_rob_columns_read_self_reported_outcomes_and_shams_from_the_vocabulary():
    # RoB 2 D4 for a self-reported outcome (Handbook v6.5, 8.4): high when the comparison
    # tells participants their allocation (any control but the vocabulary's shams)
    from trialmeta.data.validate import read_vocabulary
    from trialmeta.plots.outcome import _rob_columns
    from trialmeta.report.labels import LabelMap

    items = ("eligibility_criteria", "random_allocation", "concealed_allocation",
             "baseline_comparability", "blind_subjects", "blind_therapists", "blind_assessors",
             "adequate_followup", "intention_to_treat", "between_group_comparisons",
             "point_estimates_variability")  # fmt: skip
    rob = [{"study_id": "SynPEDro", "tool": "PEDro", "domain": d, "judgement": "yes"}
           for d in items]  # synthetic: every PEDro item met, participants blinded
    eff = [{"study_id": "SynPEDro", "outcome": "pain", "control_type": c}
           for c in ("sham", "usual_care")]  # fmt: skip
    vocab = read_vocabulary(Path(__file__).parents[2] / "data")
    d4 = [cells[3] for cells in _rob_columns(eff, rob, LabelMap(), vocab)["rob"]]
    assert d4 == ["low", "high"]
    assert [c[3] for c in _rob_columns(eff, rob, LabelMap(), None)["rob"]] == ["low", "low"]
    odd = {"outcome": "length_of_stay"}  # not a self-reported outcome of the vocabulary
    assert _rob_columns([{**eff[1], **odd}], rob, LabelMap(), vocab)["rob"][0][3] == "low"
