"""Tests of analysis selection and not-estimable cells (synthetic data)."""

import gc
import math

import pandas as pd
import pytest
from _synthetic_review import MODEL, synthetic_rows

from trialmeta import pool
from trialmeta.review.cell import (
    AnalysisSpec,
    run_analysis,
    select_effects,
    selected_rows,
    status_text,
)


def spec(**kw):
    base = dict(
        analysis_id="pain_eot__sham",
        outcome_id="pain_eot",
        outcome="pain",
        comparison="sham",
        control_types=("sham",),
        tp_min=0,
        tp_max=12,
        tp_target=8,
    )
    base.update(kw)
    return AnalysisSpec(**base)


def test_status_text():
    assert status_text(1, 2) == "not estimable (k = 1)"
    assert status_text(0, 2) == "not estimable (k = 0)"
    assert status_text(3, 2) == "pooled"


def test_selection_keeps_timepoint_closest_to_target():
    sel = select_effects(synthetic_rows(), spec())
    assert list(sel["study_id"]) == [f"Synthetic{i:02d}" for i in range(1, 6)]
    assert set(sel["timepoint_weeks"]) == {8}
    sel = select_effects(synthetic_rows(), spec(tp_target=0))
    assert set(sel["timepoint_weeks"]) == {4}


def test_pooled_equals_core():
    rows = synthetic_rows()
    res = run_analysis(rows, spec(), MODEL)
    sel = select_effects(rows, spec())
    direct = pool(sel["yi"], sel["vi"], method="REML", test="knha")
    assert res.status == "pooled" and res.k == 5
    assert res.pooled.estimate == pytest.approx(direct.estimate)
    assert res.n_participants == int(sel["n1"].sum() + sel["n2"].sum())


@pytest.mark.parametrize(("controls", "k"), [(("waitlist",), 0), (("active",), 1)])
def test_small_cells_are_reported_not_raised(controls, k):
    res = run_analysis(synthetic_rows(), spec(control_types=controls), MODEL)
    assert res.k == k and res.pooled is None
    assert res.status == f"not estimable (k = {k})"


def test_empty_table():
    res = run_analysis(pd.DataFrame(), spec(), MODEL)
    assert res.k == 0 and res.status == "not estimable (k = 0)"


def test_two_comparisons_of_one_trial_get_distinct_row_ids():
    rows = synthetic_rows()
    extra = rows.loc[(rows["study_id"] == "Synthetic06")].copy()
    extra["comparison"] = "sham"
    rows = pd.concat([rows, extra], ignore_index=True)
    sel = select_effects(rows, spec(control_types=("sham", "active")))
    ids = list(sel["row_id"])
    assert "Synthetic06 (active)" in ids and "Synthetic06 (sham)" in ids
    assert len(ids) == len(set(ids))


def test_nonfinite_rows_are_dropped():
    rows = synthetic_rows()
    rows.loc[rows["study_id"] == "Synthetic01", "vi"] = math.nan
    res = run_analysis(rows, spec(), MODEL)
    assert res.k == 4 and "Synthetic01" not in res.study_ids


def test_a_selection_is_computed_once_per_frame_and_returned_as_a_copy():
    # the fits of one outcome select the same rows for every refit: kept per frame
    rows = synthetic_rows()
    first = select_effects(rows, spec())
    first.loc[:, "yi"] = 99.0  # a caller's change stays in its own copy
    again = select_effects(rows, spec())
    pd.testing.assert_frame_equal(again, selected_rows(rows, spec()))
    assert (again["yi"] != 99.0).all()
    # another analysis of the same selection (another id) reuses it; another window does not
    other = spec(analysis_id="another")
    pd.testing.assert_frame_equal(select_effects(rows, other), again)
    assert set(select_effects(rows, spec(tp_target=0))["timepoint_weeks"]) == {4}


def test_a_new_frame_is_selected_anew_even_at_a_recycled_address():
    rows = synthetic_rows()
    before = select_effects(rows, spec())
    changed = rows.copy()
    changed["yi"] = changed["yi"] + 1.0
    pd.testing.assert_series_equal(
        select_effects(changed, spec())["yi"], before["yi"] + 1.0, check_names=False
    )
    del rows, changed  # a new frame may get a freed id: the weak reference tells them apart
    fresh = synthetic_rows()
    fresh["yi"] = fresh["yi"] * 2.0
    pd.testing.assert_series_equal(
        select_effects(fresh, spec())["yi"], before["yi"] * 2.0, check_names=False
    )


def test_the_selections_of_a_freed_frame_are_dropped():
    from trialmeta.review import cell

    rows = synthetic_rows()
    select_effects(rows, spec())
    select_effects(rows, spec(tp_target=0))
    frame_id = id(rows)
    assert sum(k[0] == frame_id for k in cell._SELECTED) == 2
    del rows
    gc.collect()
    assert not any(k[0] == frame_id for k in cell._SELECTED)
