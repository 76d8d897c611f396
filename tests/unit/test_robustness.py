"""Wiring of the coverage simulation, GOSH and permutation tests into the review (SYNTHETIC
data only: effect sizes invented for the tests, never trial data)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from _synthetic_review import review_config, synthetic_config, synthetic_rows

from trialmeta import gosh, meta_regression, permutation_test, pool
from trialmeta.report import tables
from trialmeta.report.limitations import collect_flags, limitations_markdown
from trialmeta.report.sections import coverage_table, robustness_blocks, sensitivity_blocks
from trialmeta.report.sentences import coverage_check_sentence, gosh_sentence
from trialmeta.review.codec import NotRun, to_data
from trialmeta.review.config import SimulationConfig, load_config
from trialmeta.review.outcome import run_outcome
from trialmeta.review.results import CoverageCheck, GoshSummary, PermutationCheck
from trialmeta.review.robustness import (
    PLOT_POINTS,
    coverage_check,
    gosh_check,
    metareg_permutation,
    subgroup_permutation,
)

ROOT = Path(__file__).parents[2]
# SYNTHETIC: six trials, the last far from the others (a GOSH driver by construction)
Y = [-10.0, -12.0, -9.0, -11.5, -10.5, 8.0]
V = [4.0, 5.0, 3.5, 6.0, 4.5, 4.0]
LABELS = [f"Synthetic{i}" for i in range(1, 7)]
N_SIM, N_PERM, SEED = 300, 200, 5


@pytest.fixture(scope="module")
def result():
    return run_outcome(
        synthetic_rows(k_sham=6), {"Synthetic01": "high"}, review_config(), "pain_eot"
    )


def test_simulation_settings_come_from_the_config():
    shipped = load_config(
        [ROOT / "config" / "config.yaml"], ROOT / "workflow" / "schemas" / "config.schema.yaml"
    ).simulation
    assert shipped == SimulationConfig(10_000, "DL", 2_000_000, 10_000, 20261125)
    assert review_config().simulation == SimulationConfig(400, "DL", 2_000_000, 200, 11)


def test_coverage_check_uses_estimate_and_q_profile_bounds():
    fit = pool(Y[:5], V[:5], method="REML", test="knha")
    c = coverage_check(V[:5], fit, "knha", N_SIM, SEED)
    assert isinstance(c, CoverageCheck)
    assert c.result.k == 5 and c.result.n_sim == 300 and c.result.seed == 5
    finite = [n for n, t in (("estimate", fit.tau2), ("ci_lb", fit.tau2_ci_lb),
                             ("ci_ub", fit.tau2_ci_ub)) if math.isfinite(t)]  # fmt: skip
    assert list(c.tau2_points) == finite and c.result.tests == ("z", "knha")
    assert c.result.tau2_values[0] == pytest.approx(fit.tau2)
    text = coverage_check_sentence(c)
    assert text.startswith("With 5 trials of this size, a nominal 95% CI (REML, Knapp")
    assert "A Wald-type (z) CI would cover about" in text
    assert to_data(coverage_check(V[:5], fit, "knha", N_SIM, SEED)) == to_data(c)  # fixed seed


def test_coverage_check_not_run_below_three_trials():
    fit = pool(Y[:2], V[:2], method="REML", test="knha")
    assert coverage_check(V[:2], fit, "knha", N_SIM, SEED) == NotRun("k = 2 < 3")


def test_gosh_check_names_the_outlying_trial_and_stores_plot_points():
    g = gosh_check(Y, V, LABELS, "DL", 2_000_000, SEED)
    direct = gosh(Y, V, "DL", labels=LABELS)
    assert isinstance(g, GoshSummary) and g.exhaustive is True and g.n_subsets == 63
    assert g.drivers[0] == "Synthetic6" and g.drivers == direct.drivers
    assert g.outlying_percent == pytest.approx(100 * direct.outlying.mean())
    pts = g.points
    assert len(pts.estimate) == 63 - 6 and pts.subsampled is False  # subsets of >= 2
    assert min(pts.k_subset) == 2 and max(pts.membership) == 2**6 - 1
    assert g.full_estimate == pytest.approx(pool(Y, V, method="DL").estimate)
    assert "Synthetic6 in, the mean subset estimate moves by +" in gosh_sentence(g)
    assert isinstance(gosh_check(Y[:2], V[:2], LABELS[:2], "DL", 2_000_000, SEED), NotRun)


def test_gosh_check_subsamples_points_deterministically_and_samples_subsets():
    rng = np.random.default_rng(1)
    y, v = rng.normal(0, 1, 14), rng.uniform(0.05, 0.2, 14)
    labels = [f"S{i}" for i in range(14)]
    g = gosh_check(y, v, labels, "DL", 2_000_000, SEED)
    assert isinstance(g, GoshSummary)
    assert g.exhaustive is True and g.points.n_eligible == 2**14 - 1 - 14
    assert len(g.points.estimate) == PLOT_POINTS and g.points.subsampled is True
    assert list(g.points.membership) == sorted(g.points.membership)
    again = gosh_check(y, v, labels, "DL", 2_000_000, SEED)
    assert isinstance(again, GoshSummary) and to_data(again.points) == to_data(g.points)
    sampled = gosh_check(y, v, labels, "DL", 1000, SEED)
    assert isinstance(sampled, GoshSummary)
    assert sampled.exhaustive is False and sampled.n_subsets == 1000
    assert "a random sample of 1,000 subsets" in gosh_sentence(sampled)


def test_subgroup_permutation_equals_permutest_on_dummies():
    groups = ["a", "a", "b", "b", "c", "c"]
    p = subgroup_permutation(Y, V, groups, "REML", "knha", N_PERM, SEED)
    dummies = [[float(g == "b"), float(g == "c")] for g in groups]
    direct = permutation_test(Y, V, dummies, method="REML", test="knha", n_permutations=200,
                              seed=5)  # fmt: skip
    assert isinstance(p, PermutationCheck)
    assert p.qm_pval == direct.qm_pval and p.exact == direct.exact
    assert p.names == ("intrcpt", "b", "c")
    fit = meta_regression(Y, V, dummies, method="REML", test="knha")
    assert p.qm_pval_parametric == pytest.approx(fit.qm_pval, rel=1e-10)
    assert isinstance(subgroup_permutation(Y, V, ["a"] * 6, "REML", "knha", N_PERM, SEED), NotRun)
    few = subgroup_permutation(Y[:2], V[:2], ["a", "b"], "REML", "knha", N_PERM, SEED)
    assert isinstance(few, NotRun) and "2 trials in 2 subgroups" in few.reason


def test_metareg_permutation_equals_permutest():
    x = [3.0, 6.0, 8.0, 10.0, 12.0, 20.0]
    p = metareg_permutation(Y, V, x, "n_sessions", "REML", "z", N_PERM, SEED)
    direct = permutation_test(Y, V, x, method="REML", test="z", n_permutations=200, seed=5,
                              names=["n_sessions"])  # fmt: skip
    assert isinstance(p, PermutationCheck)
    assert p.qm_pval == direct.qm_pval and p.names == ("intrcpt", "n_sessions")
    assert p.exact is False and p.n_permutations == 200  # 6! = 720 orders > 200
    exact = metareg_permutation(Y, V, x, "n_sessions", "REML", "z", 1000, SEED)
    assert isinstance(exact, PermutationCheck)
    assert exact.exact is True and exact.n_permutations == 720


def test_run_outcome_attaches_checks_to_pooled_analyses(result):
    by_id = {a.analysis_id: a for a in result.analyses}
    sham, anyc = by_id["pain_eot__sham"], by_id["pain_eot__any"]
    assert isinstance(sham.coverage, CoverageCheck) and sham.coverage.result.n_sim == 400
    assert isinstance(sham.gosh, GoshSummary)
    assert sham.gosh.labels == tuple(r.row_id for r in sham.effects)
    # k = 1: not pooled beyond the trial
    assert by_id["pain_eot__active"].coverage == NotRun("not estimable (k = 1)")
    perms = [sg.permutation for sg in anyc.subgroups]
    assert all(isinstance(p, PermutationCheck) for p in perms)
    assert perms[0].names == ("intrcpt", "sham")  # type: ignore[union-attr]
    again = run_outcome(
        synthetic_rows(k_sham=6), {"Synthetic01": "high"}, review_config(), "pain_eot"
    )
    assert to_data(again) == to_data(result)


def test_tables_coverage_gosh_subgroup_and_metareg_rows(result):
    cov = tables.coverage_rows([result])
    assert {r["analysis_id"] for r in cov} == {"pain_eot__sham", "pain_eot__any"}
    assert set(cov[0]) == set(tables.COVERAGE_COLUMNS)
    assert [r["test"] for r in cov[:2]] == ["z", "knha"] and cov[0]["tau2_point"] == "estimate"
    g = tables.gosh_rows([result])
    assert set(g[0]) == set(tables.GOSH_COLUMNS)
    sham = [r for r in g if r["analysis_id"] == "pain_eot__sham"]
    assert [r["bit"] for r in sham] == list(range(6))
    sub = tables.subgroup_rows([result])
    assert all(set(r) <= set(tables.SUBGROUP_COLUMNS) for r in sub)
    assert all(0 < r["perm_pval"] <= 1 and r["perm_n_permutations"] >= 2 for r in sub)
    mr = tables.metareg_rows([result])
    assert mr and all(r["run"] is False and "at least 10" in r["reason"] for r in mr)


def test_metareg_rows_carry_the_permutation_p():
    cfg = synthetic_config()
    cfg["meta_regression"]["min_k"] = 3
    out = run_outcome(synthetic_rows(k_sham=6), {}, review_config(cfg), "pain_eot")
    rows = {r["analysis_id"]: r for r in tables.metareg_rows([out])}
    sham = rows["pain_eot__sham"]
    assert sham["run"] is True and 0 < sham["perm_pval"] <= 1
    assert isinstance(sham["perm_exact"], bool) and sham["perm_n_permutations"] >= 2
    entry = next(a for a in out.analyses if a.analysis_id == "pain_eot__sham")
    text = " ".join(b.text for b in sensitivity_blocks(entry, "MD", 0.95) if b.kind == "paragraph")
    assert "Meta-regression on n_sessions" in text and "permutation P " in text  # "P = ", "P < "


def test_report_and_limitations_show_the_checks(result):
    sham = next(a for a in result.analyses if a.analysis_id == "pain_eot__sham")
    assert isinstance(sham.coverage, CoverageCheck) and isinstance(sham.gosh, GoshSummary)
    blocks = robustness_blocks(sham)
    assert blocks[0].kind == "paragraph"
    assert coverage_check_sentence(sham.coverage) in blocks[0].text
    head, rows = coverage_table(sham.coverage)
    assert head[3] == "CI coverage (%)" and len(rows) == 2 * len(sham.coverage.tau2_points)
    assert "GOSH (DL, all 63 subsets of 6 trials)" in blocks[-1].text
    anyc = next(a for a in result.analyses if a.analysis_id == "pain_eot__any")
    text = " ".join(b.text for b in sensitivity_blocks(anyc, "MD", 0.95) if b.kind == "paragraph")
    assert "Meta-regression on subgroup dummies (REML + knha, one common tau²)" in text
    md = limitations_markdown([result], [], [], [], 0.05, 0.80)
    sec3 = md.split("## 3.")[1].split("## 4.")[0]
    assert f"Coverage simulation: {coverage_check_sentence(sham.coverage)}" in sec3
    sec7 = md.split("## 7.")[1].split("## 8.")[0]
    assert f"- pain_eot__sham: {gosh_sentence(sham.gosh)}" in sec7
    assert all(where for where, _ in collect_flags([result]))
