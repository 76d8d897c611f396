"""Tests of the per-outcome review result (synthetic data)."""

import json
import math
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from _synthetic_review import review_config, synthetic_config, synthetic_rows

from trialmeta.review.annotate import control_lookup, is_secondary
from trialmeta.review.codec import NotRun, to_data
from trialmeta.review.outcome import rob_lookup, run_outcome
from trialmeta.review.results import EffectRow, iter_flags
from trialmeta.review.sensitivity import robust_conclusion


def fit(est, lb, ub):
    return SimpleNamespace(estimate=est, ci_lb=lb, ci_ub=ub)


@pytest.mark.parametrize(("other", "same"), [
    (fit(-3.0, -5.0, -1.0), True),   # both exclude 0 on the benefit side
    (fit(-1.0, -3.0, 1.0), False),   # now includes 0
    (fit(3.0, 1.0, 5.0), False),     # other side
])  # fmt: skip
def test_robust_conclusion_significant_main(other, same):
    assert robust_conclusion(fit(-4.0, -6.0, -2.0), other) is same


def test_robust_conclusion_both_null_is_same_and_missing_is_none():
    assert robust_conclusion(fit(-1.0, -3.0, 1.0), fit(2.0, -1.0, 5.0)) is True
    assert robust_conclusion(fit(-1.0, -3.0, 1.0), fit(math.nan, math.nan, math.nan)) is None


def test_rob_lookup_tools():
    sheet = pd.DataFrame([
        {"study_id": "SynR2", "tool": "RoB2", "domain": "overall", "judgement": "some_concerns"},
        {"study_id": "SynR1", "tool": "RoB1", "domain": "sequence_generation", "judgement": "low"},
        {"study_id": "SynR1", "tool": "RoB1", "domain": "blinding", "judgement": "unclear"},
        *[{"study_id": "SynP", "tool": "PEDro", "domain": f"item{i}", "judgement": "yes"}
          for i in range(5)],
        {"study_id": "SynP", "tool": "PEDro", "domain": "eligibility_criteria", "judgement": "yes"},
    ])  # fmt: skip
    out = rob_lookup(sheet, pedro_low_below=6)
    assert out == {"SynR2": "some_concerns", "SynR1": "some_concerns", "SynP": "high"}
    assert rob_lookup(sheet, pedro_low_below=5)["SynP"] == "low"
    assert rob_lookup(None, 6) == {}


def _row(**values):
    return EffectRow(
        values={"row_id": "S", "study_id": "S", **values}, analysis_id="a", weight_percent=math.nan
    )


def test_is_secondary():
    assert is_secondary(_row(verification="secondary_extraction"))
    assert not is_secondary(_row(verification="primary_verbatim"))


def test_result_structure_and_json_strictness():
    res = run_outcome(synthetic_rows(), {"Synthetic01": "high"}, review_config(), "pain_eot")
    text = json.dumps(to_data(res), allow_nan=False)  # strict JSON: no NaN
    data = json.loads(text)
    ids = [a.analysis_id for a in res.analyses]
    assert ids == ["pain_eot__sham", "pain_eot__active", "pain_eot__none", "pain_eot__any"]
    assert [e["analysis"]["analysis_id"] for e in data["analyses"]] == ids
    sham = res.analyses[0]
    labels = [s.label for s in sham.sensitivity]
    assert labels[:4] == [
        "excluding flagged data",
        "excluding high risk of bias",
        "excluding secondary-extraction data",
        "common effect (FE, z)",
    ]
    assert [s.label for s in sham.sensitivity if s.kind == "grid"] == [
        "DL + z",
        "DL + knha",
        "REML + z",
        "REML + knha",
    ]
    assert sham.sensitivity[1].k == 4  # Synthetic01 (high RoB) left out
    assert sham.effects[0].risk_of_bias == "high"
    assert not isinstance(sham.loo, NotRun)
    assert sham.loo.omitted == tuple(r.row_id for r in sham.effects)
    assert isinstance(sham.small_study, NotRun) and "k = 5 trials < 10" in sham.small_study.reason
    assert isinstance(sham.metareg["n_sessions"], NotRun)
    anyc = res.analyses[3]
    assert [s.variable for s in anyc.subgroups] == ["control_type", "population"]
    assert anyc.subgroups[0].levels == ("active", "sham")
    assert res.analyses[2].analysis.status == "not estimable (k = 0)"
    assert res.analyses[2].tsa == NotRun("not estimable (k = 0)")


def test_sham_types_and_control_annotation():
    # the kinds of sham are the review's (data/vocabulary.yaml sham_kinds)
    from trialmeta.data.validate import read_vocabulary

    vocab = read_vocabulary(Path(__file__).parents[2] / "data")

    def sham_type(text: str) -> str:
        return vocab.sham_kind("sham", text)

    assert sham_type("simulated (non-penetrating) acupuncture") == "non-penetrating"
    assert sham_type("minimal acupuncture (superficial needling)") == (
        "minimal (superficial needling)"
    )
    assert sham_type("sham laser (0 J/point)") == "sham laser"
    assert sham_type("sham acupuncture") == "sham (unspecified)"
    assert vocab.sham_kind("usual_care", "minimal care") == ""
    rows = synthetic_rows()
    rows["arm_id_1"], rows["arm_id_2"] = "ACU", "CTL"
    arms = pd.DataFrame([
        {"study_id": f"Synthetic{i:02d}", "arm_id": "CTL", "arm_type": "sham",
         "intervention": "synthetic non-penetrating sham" if i % 2 else "synthetic minimal sham"}
        for i in range(1, 6)])  # fmt: skip
    out = run_outcome(rows, {}, review_config(), "pain_eot", control_lookup(arms, vocab))
    sham = out.analyses[0]
    assert {r.sham_type for r in sham.effects} == {
        "non-penetrating",
        "minimal (superficial needling)",
    }
    ind = next(d for d in sham.grade.domains if d.domain == "indirectness")
    assert "2 sham types are pooled" in ind.reason


def _equal_variance_rows(k: int = 12):
    rows = synthetic_rows(k_sham=k)
    rows["sd1"] = rows["sd2"] = 20.0
    rows["n1"] = rows["n2"] = 30
    rows["vi"] = 2 * 20.0**2 / 30
    return rows


def test_equal_sampling_variances_do_not_stop_the_review():
    # Review F5: >= 10 trials with the same n and SD crashed trim-and-fill (LinAlgError).
    raw = synthetic_config()
    raw["comparisons"] = raw["comparisons"][:1]
    raw["simulation"].update(coverage_n_sim=100, gosh_max_subsets=1000, permutations=100)
    res = run_outcome(_equal_variance_rows(), {}, review_config(raw), "pain_eot")
    json.dumps(to_data(res), allow_nan=False)
    sham = res.analyses[0]
    assert sham.analysis.status == "pooled"
    ss = sham.small_study
    assert not isinstance(ss, NotRun)
    assert not isinstance(ss.egger, NotRun) and not isinstance(ss.begg, NotRun)
    assert "egger_not_computable_equal_standard_errors" in ss.egger.flags
    assert "begg_not_computable_all_tied" in ss.begg.flags
    assert isinstance(ss.trimfill, NotRun)
    assert ss.trimfill.flags == ("trimfill_not_computable_equal_standard_errors",)
    assert "same standard error" in ss.trimfill.reason
    data = to_data(res)["analyses"][0]["small_study"]["trimfill"]
    assert data["flags"] == ["trimfill_not_computable_equal_standard_errors"]
    assert ("pain_eot__sham trimfill", "trimfill_not_computable_equal_standard_errors") in {
        (w, str(f)) for w, f in iter_flags(res)
    }


def test_a_variance_out_of_range_is_a_cell_status_not_a_crash():
    # Review F6: sd = 1e-100 passed validation (with a warning) and crashed REML.
    rows = synthetic_rows(k_sham=6)
    rows.loc[rows["study_id"] == "Synthetic03", "vi"] = 1e-201
    res = run_outcome(rows, {}, review_config(), "pain_eot")
    json.dumps(to_data(res), allow_nan=False)
    sham = res.analyses[0].analysis
    assert sham.status.startswith("not estimable (not computable: the sampling variances span 1e")
    assert sham.status.endswith("; study Synthetic03)")
    assert [str(f) for f in sham.flags] == ["pooling_failed", "not_computable_data_range"]
    assert res.analyses[1].analysis.status == "not estimable (k = 1)"
