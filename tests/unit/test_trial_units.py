"""The trial as the unit of analysis with a split multi-arm trial (SYNTHETIC rows): k counts
trials, and leave-one-out, small-study tests and TSA see one unit per trial (Cochrane
Handbook v6.5, section 23.3.4)."""

import numpy as np
import pandas as pd
import pytest

from trialmeta.review.cell import AnalysisSpec, effect_table, run_analysis
from trialmeta.review.config import ModelConfig
from trialmeta.review.sensitivity import leave_one_out_fits
from trialmeta.review.small_study import small_study_tests
from trialmeta.review.units import trial_units

MODEL = ModelConfig("REML", "knha", 0.95, 2)
SPEC = AnalysisSpec(
    "pain_eot__usual_care", "pain_eot", "pain", "usual_care", ("usual_care",), 0, 12, 8
)


def _rows() -> pd.DataFrame:
    recs = [
        ("Synth1", "A1", "C", -10.0, 20.0),
        ("Synth1", "A2", "C", -14.0, 25.0),
        ("Synth2", "A", "C", -5.0, 10.0),
        ("Synth3", "A", "C", -8.0, 15.0),
        ("Synth4", "A", "C", -1.0, 30.0),
    ]
    return pd.DataFrame(
        [
            {
                "study_id": s,
                "comparison": "usual_care",
                "outcome": "pain",
                "outcome_id": "pain_eot",
                "arm_id_1": a1,
                "arm_id_2": a2,
                "timepoint_weeks": 8,
                "yi": y,
                "vi": v,
                "n1": 10,
                "n2": 5,
                "year": 2000 + i,
                "study_position": i + 1,
            }
            for i, (s, a1, a2, y, v) in enumerate(recs)
        ]
    )


def test_k_counts_trials_and_comparisons_beside_it():
    cell = run_analysis(_rows(), SPEC, MODEL)
    assert cell.k == 4 and cell.k_comparisons == 5
    assert cell.units_text == "4 trials (5 comparisons)"


def test_units_combine_a_split_trial_by_inverse_variance():
    rows = _rows()
    cell = run_analysis(rows, SPEC, MODEL)
    u = trial_units(effect_table(rows, SPEC, cell))
    assert u.labels == ("Synth1", "Synth2", "Synth3", "Synth4") and not u.same_as_rows
    w = np.array([1 / 20, 1 / 25])
    assert u.yi[0] == pytest.approx(float(np.sum(w * [-10, -14]) / w.sum()), abs=1e-12)
    assert u.vi[0] == pytest.approx(1 / w.sum(), abs=1e-12) and u.n[0] == 30


def test_leave_one_out_and_small_study_tests_work_on_trials():
    rows = _rows()
    cell = run_analysis(rows, SPEC, MODEL)
    eff = effect_table(rows, SPEC, cell)
    loo, baujat = leave_one_out_fits(eff, MODEL, cell.pooled, True)
    assert loo.omitted == ("Synth1", "Synth2", "Synth3", "Synth4")
    assert baujat.labels == loo.omitted
    assert "k = 4 trials < 10" in small_study_tests(eff, "REML", 10).reason
