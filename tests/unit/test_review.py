"""Tests of the per-outcome review bundle (synthetic data)."""

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from _synthetic_review import synthetic_config, synthetic_rows

from trialmeta.review.outcome import is_secondary, rob_lookup, robust_conclusion, run_outcome


def fit(est, lb, ub):
    return {"estimate": est, "ci_lb": lb, "ci_ub": ub}


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


def test_is_secondary():
    assert is_secondary({"verification": "secondary_extraction"})
    assert not is_secondary({"verification": "primary_verbatim"})


def test_bundle_structure_and_json_strictness():
    cfg = synthetic_config()
    out = run_outcome(synthetic_rows(), {"Synthetic01": "high"}, cfg, "pain_eot")
    text = json.dumps(out, allow_nan=False)  # strict JSON: no NaN
    bundle = json.loads(text)
    ids = [e["analysis"]["analysis_id"] for e in bundle["analyses"]]
    assert ids == ["pain_eot__sham", "pain_eot__active", "pain_eot__none", "pain_eot__any"]
    sham = bundle["analyses"][0]
    labels = [s["label"] for s in sham["sensitivity"]]
    assert labels[:3] == ["excluding high risk of bias", "excluding secondary-extraction data",
                          "common effect (FE, z)"]
    assert [s["label"] for s in sham["sensitivity"] if s["kind"] == "grid"] == [
        "DL + z", "DL + knha", "REML + z", "REML + knha"]
    excl = sham["sensitivity"][0]
    assert excl["k"] == 4  # Synthetic01 (high RoB) left out
    assert sham["effects"][0]["risk_of_bias"] == "high"
    assert sham["loo"]["omitted"] == [r["row_id"] for r in sham["effects"]]
    assert sham["small_study"]["run"] is False and "k = 5 < 10" in sham["small_study"]["reason"]
    assert sham["metareg"]["n_sessions"]["run"] is False
    anyc = bundle["analyses"][3]
    assert [s["variable"] for s in anyc["subgroups"]] == ["control_type", "population"]
    assert anyc["subgroups"][0]["levels"] == ["active", "sham"]
    assert bundle["analyses"][2]["analysis"]["status"] == "not estimable (k = 0)"


def test_sham_types_and_control_annotation():
    # the kinds of sham are the review's (data/vocabulary.yaml sham_kinds)
    from trialmeta.data.validate import read_vocabulary
    from trialmeta.review.outcome import control_lookup

    vocab = read_vocabulary(Path(__file__).parents[2] / "data")

    def sham_type(text: str) -> str:
        return vocab.sham_kind("sham", text)

    assert sham_type("simulated (non-penetrating) acupuncture") == "non-penetrating"
    assert sham_type("minimal acupuncture (superficial needling)") == (
        "minimal (superficial needling)")
    assert sham_type("sham laser (0 J/point)") == "sham laser"
    assert sham_type("sham acupuncture") == "sham (unspecified)"
    assert vocab.sham_kind("usual_care", "minimal care") == ""
    rows = synthetic_rows()
    rows["arm_id_1"], rows["arm_id_2"] = "ACU", "CTL"
    arms = pd.DataFrame([
        {"study_id": f"Synthetic{i:02d}", "arm_id": "CTL", "arm_type": "sham",
         "intervention": "synthetic non-penetrating sham" if i % 2 else "synthetic minimal sham"}
        for i in range(1, 6)])  # fmt: skip
    out = run_outcome(rows, {}, synthetic_config(), "pain_eot", control_lookup(arms, vocab))
    sham = out["analyses"][0]
    assert {r["sham_type"] for r in sham["effects"]} == {
        "non-penetrating", "minimal (superficial needling)"}
    ind = next(d for d in sham["grade"]["domains"] if d["domain"] == "indirectness")
    assert "2 sham types are pooled" in ind["reason"]


def _equal_variance_rows(k: int = 12):
    rows = synthetic_rows(k_sham=k)
    rows["sd1"] = rows["sd2"] = 20.0
    rows["n1"] = rows["n2"] = 30
    rows["vi"] = 2 * 20.0**2 / 30
    return rows


def test_equal_sampling_variances_do_not_stop_the_review():
    # Review F5: >= 10 trials with the same n and SD crashed trim-and-fill (LinAlgError).
    cfg = synthetic_config()
    cfg["comparisons"] = cfg["comparisons"][:1]
    cfg["simulation"].update(coverage_n_sim=50, gosh_max_subsets=200, permutations=20)
    out = json.loads(json.dumps(run_outcome(_equal_variance_rows(), {}, cfg, "pain_eot"),
                                allow_nan=False))  # fmt: skip
    sham = out["analyses"][0]
    assert sham["analysis"]["status"] == "pooled" and sham["small_study"]["run"] is True
    ss = sham["small_study"]
    assert "egger_not_computable_equal_standard_errors" in ss["egger"]["flags"]
    assert "begg_not_computable_all_tied" in ss["begg"]["flags"]
    assert ss["trimfill"]["flags"] == ["trimfill_not_computable_equal_standard_errors"]
    assert "same standard error" in ss["trimfill"]["error"]


def test_a_variance_out_of_range_is_a_cell_status_not_a_crash():
    # Review F6: sd = 1e-100 passed validation (with a warning) and crashed REML.
    rows = synthetic_rows(k_sham=6)
    rows.loc[rows["study_id"] == "Synthetic03", "vi"] = 1e-201
    out = json.loads(json.dumps(run_outcome(rows, {}, synthetic_config(), "pain_eot"),
                                allow_nan=False))  # fmt: skip
    sham = out["analyses"][0]["analysis"]
    assert sham["status"].startswith("not estimable (not computable: the sampling variances "
                                     "span 1e")
    assert sham["status"].endswith("; study Synthetic03)")
    assert sham["flags"] == ["pooling_failed", "not_computable_data_range"]
    assert out["analyses"][1]["analysis"]["status"] == "not estimable (k = 1)"
