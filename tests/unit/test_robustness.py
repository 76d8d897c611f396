"""Wiring of the coverage simulation, GOSH and permutation tests into the review (SYNTHETIC
data only: effect sizes invented for the tests, never trial data)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from _synthetic_review import synthetic_config, synthetic_rows

from trialmeta import gosh, meta_regression, permutation_test, pool
from trialmeta.report import tables
from trialmeta.report.limitations import collect_flags, limitations_markdown
from trialmeta.report.sections import coverage_table, robustness_blocks, sensitivity_blocks
from trialmeta.review.outcome import run_outcome
from trialmeta.review.robustness import (
    PLOT_POINTS,
    Simulation,
    coverage_check,
    gosh_check,
    metareg_permutation,
    simulation_from_config,
    subgroup_permutation,
)

SIM = Simulation(coverage_n_sim=300, gosh_method="DL", gosh_max_subsets=2_000_000,
                 permutations=200, seed=5)  # fmt: skip
# SYNTHETIC: six trials, the last far from the others (a GOSH driver by construction)
Y = [-10.0, -12.0, -9.0, -11.5, -10.5, 8.0]
V = [4.0, 5.0, 3.5, 6.0, 4.5, 4.0]
LABELS = [f"Synthetic{i}" for i in range(1, 7)]


@pytest.fixture(scope="module")
def bundle():
    cfg = synthetic_config()
    out = run_outcome(synthetic_rows(k_sham=6), {"Synthetic01": "high"}, cfg, "pain_eot")
    return json.loads(json.dumps(out, allow_nan=False))


def test_simulation_defaults_and_config_values():
    assert simulation_from_config({}) == Simulation()
    assert Simulation().coverage_n_sim == 10_000 and Simulation().permutations == 10_000
    assert Simulation().gosh_method == "DL" and Simulation().gosh_max_subsets == 2_000_000
    got = simulation_from_config({"simulation": {"coverage_n_sim": 500, "seed": 3}})
    assert (got.coverage_n_sim, got.seed, got.permutations) == (500, 3, 10_000)


def test_coverage_check_uses_estimate_and_q_profile_bounds():
    fit = pool(Y[:5], V[:5], method="REML", test="knha")
    c = coverage_check(V[:5], fit, SIM, "knha")
    assert c["run"] is True and c["k"] == 5 and c["n_sim"] == 300 and c["seed"] == 5
    finite = [n for n, t in (("estimate", fit.tau2), ("ci_lb", fit.tau2_ci_lb),
                             ("ci_ub", fit.tau2_ci_ub)) if math.isfinite(t)]  # fmt: skip
    assert c["tau2_points"] == finite and c["tests"] == ["z", "knha"]
    assert np.asarray(c["tau2_values"])[0] == pytest.approx(fit.tau2)
    assert c["sentence"].startswith("With 5 trials of this size, a nominal 95% CI (REML, Knapp")
    assert "A Wald-type (z) CI would cover about" in c["sentence"]
    assert coverage_check(V[:5], fit, SIM, "knha") == c  # fixed seed: identical


def test_coverage_check_not_run_below_three_trials():
    fit = pool(Y[:2], V[:2], method="REML", test="knha")
    assert coverage_check(V[:2], fit, SIM, "knha") == {"run": False, "reason": "k = 2 < 3"}


def test_gosh_check_names_the_outlying_trial_and_stores_plot_points():
    g = gosh_check(Y, V, LABELS, SIM)
    direct = gosh(Y, V, "DL", labels=LABELS)
    assert g["run"] is True and g["exhaustive"] is True and g["n_subsets"] == 63
    assert g["drivers"][0] == "Synthetic6" and tuple(g["drivers"]) == direct.drivers
    assert g["outlying_percent"] == pytest.approx(100 * direct.outlying.mean())
    pts = g["points"]
    assert len(pts["estimate"]) == 63 - 6 and pts["subsampled"] is False  # subsets of >= 2
    assert min(pts["k_subset"]) == 2 and max(pts["membership"]) == 2**6 - 1
    assert g["full_estimate"] == pytest.approx(pool(Y, V, method="DL").estimate)
    assert "Synthetic6 in, the mean subset estimate moves by +" in g["sentence"]
    assert gosh_check(Y[:2], V[:2], LABELS[:2], SIM)["run"] is False


def test_gosh_check_subsamples_points_deterministically_and_samples_subsets():
    rng = np.random.default_rng(1)
    y, v = rng.normal(0, 1, 14), rng.uniform(0.05, 0.2, 14)
    labels = [f"S{i}" for i in range(14)]
    g = gosh_check(y, v, labels, SIM)
    assert g["exhaustive"] is True and g["points"]["n_eligible"] == 2**14 - 1 - 14
    assert len(g["points"]["estimate"]) == PLOT_POINTS and g["points"]["subsampled"] is True
    assert g["points"]["membership"] == sorted(g["points"]["membership"])
    assert gosh_check(y, v, labels, SIM)["points"] == g["points"]
    sampled = gosh_check(y, v, labels, Simulation(gosh_max_subsets=1000, seed=5))
    assert sampled["exhaustive"] is False and sampled["n_subsets"] == 1000
    assert "a random sample of 1,000 subsets" in sampled["sentence"]


def test_subgroup_permutation_equals_permutest_on_dummies():
    groups = ["a", "a", "b", "b", "c", "c"]
    p = subgroup_permutation(Y, V, groups, "REML", "knha", SIM)
    dummies = [[float(g == "b"), float(g == "c")] for g in groups]
    direct = permutation_test(Y, V, dummies, method="REML", test="knha", n_permutations=200,
                              seed=5)  # fmt: skip
    assert p["run"] is True and p["qm_pval"] == direct.qm_pval and p["exact"] == direct.exact
    assert p["names"] == ["intrcpt", "b", "c"]
    fit = meta_regression(Y, V, dummies, method="REML", test="knha")
    assert p["qm_pval_parametric"] == pytest.approx(fit.qm_pval, rel=1e-10)
    assert subgroup_permutation(Y, V, ["a"] * 6, "REML", "knha", SIM)["run"] is False
    few = subgroup_permutation(Y[:2], V[:2], ["a", "b"], "REML", "knha", SIM)
    assert few["run"] is False and "2 trials in 2 subgroups" in few["reason"]


def test_metareg_permutation_equals_permutest():
    x = [3.0, 6.0, 8.0, 10.0, 12.0, 20.0]
    p = metareg_permutation(Y, V, x, "n_sessions", "REML", "z", SIM)
    direct = permutation_test(Y, V, x, method="REML", test="z", n_permutations=200, seed=5,
                              names=["n_sessions"])  # fmt: skip
    assert p["qm_pval"] == direct.qm_pval and p["names"] == ["intrcpt", "n_sessions"]
    assert p["exact"] is False and p["n_permutations"] == 200  # 6! = 720 orders > 200
    exact = metareg_permutation(Y, V, x, "n_sessions", "REML", "z",
                                Simulation(permutations=1000, seed=5))  # fmt: skip
    assert exact["exact"] is True and exact["n_permutations"] == 720


def test_run_outcome_attaches_checks_to_pooled_analyses(bundle):
    by_id = {e["analysis"]["analysis_id"]: e for e in bundle["analyses"]}
    sham, anyc = by_id["pain_eot__sham"], by_id["pain_eot__any"]
    assert sham["coverage"]["run"] and sham["coverage"]["n_sim"] == 400
    assert sham["gosh"]["run"] and sham["gosh"]["labels"] == [r["row_id"] for r in sham["effects"]]
    assert "coverage" not in by_id["pain_eot__active"]  # k = 1: not pooled beyond the trial
    perms = [sg["permutation"] for sg in anyc["subgroups"]]
    assert all(p["run"] for p in perms) and perms[0]["names"] == ["intrcpt", "sham"]
    again = json.loads(json.dumps(run_outcome(synthetic_rows(k_sham=6), {"Synthetic01": "high"},
                                              synthetic_config(), "pain_eot")))  # fmt: skip
    assert again == bundle


def test_tables_coverage_gosh_subgroup_and_metareg_rows(bundle):
    cov = tables.coverage_rows([bundle])
    assert {r["analysis_id"] for r in cov} == {"pain_eot__sham", "pain_eot__any"}
    assert set(cov[0]) == set(tables.COVERAGE_COLUMNS)
    assert [r["test"] for r in cov[:2]] == ["z", "knha"] and cov[0]["tau2_point"] == "estimate"
    g = tables.gosh_rows([bundle])
    assert set(g[0]) == set(tables.GOSH_COLUMNS)
    sham = [r for r in g if r["analysis_id"] == "pain_eot__sham"]
    assert [r["bit"] for r in sham] == list(range(6))
    sub = tables.subgroup_rows([bundle])
    assert all(set(r) <= set(tables.SUBGROUP_COLUMNS) for r in sub)
    assert all(0 < r["perm_pval"] <= 1 and r["perm_n_permutations"] >= 2 for r in sub)
    mr = tables.metareg_rows([bundle])
    assert mr and all(r["run"] is False and "at least 10" in r["reason"] for r in mr)


def test_metareg_rows_carry_the_permutation_p():
    cfg = synthetic_config()
    cfg["meta_regression"]["min_k"] = 3
    out = json.loads(json.dumps(run_outcome(synthetic_rows(k_sham=6), {}, cfg, "pain_eot")))
    rows = {r["analysis_id"]: r for r in tables.metareg_rows([out])}
    sham = rows["pain_eot__sham"]
    assert sham["run"] is True and 0 < sham["perm_pval"] <= 1
    assert isinstance(sham["perm_exact"], bool) and sham["perm_n_permutations"] >= 2
    entry = next(e for e in out["analyses"] if e["analysis"]["analysis_id"] == "pain_eot__sham")
    text = " ".join(str(x) for kind, x in sensitivity_blocks(entry) if kind == "p")
    assert "Meta-regression on n_sessions" in text and "permutation p = " in text


def test_report_and_limitations_show_the_checks(bundle):
    sham = next(e for e in bundle["analyses"] if e["analysis"]["analysis_id"] == "pain_eot__sham")
    blocks = robustness_blocks(sham)
    assert blocks[0][0] == "p" and sham["coverage"]["sentence"] in blocks[0][1]
    head, rows = coverage_table(sham["coverage"])
    assert head[3] == "CI coverage (%)" and len(rows) == 2 * len(sham["coverage"]["tau2_points"])
    assert "GOSH (DL, all 63 subsets of 6 trials)" in blocks[-1][1]
    anyc = next(e for e in bundle["analyses"] if e["analysis"]["analysis_id"] == "pain_eot__any")
    text = " ".join(str(x) for kind, x in sensitivity_blocks(anyc) if kind == "p")
    assert "Meta-regression on subgroup dummies (REML + knha, one common tau²)" in text
    md = limitations_markdown([bundle], [], [], [], synthetic_config())
    sec3 = md.split("## 3.")[1].split("## 4.")[0]
    assert f"Coverage simulation: {sham['coverage']['sentence']}" in sec3
    sec7 = md.split("## 7.")[1].split("## 8.")[0]
    assert f"- pain_eot__sham: {sham['gosh']['sentence']}" in sec7
    assert all(where for where, _ in collect_flags([bundle]))
