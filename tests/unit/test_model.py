"""trialmeta.rma() and its metafor methods: agreement with pool()/meta_regression(), fixed
tau2 and user weights, edge cases and bad input. The metafor grid is in
tests/reference/test_metafor_functions.py. All data here are SYNTHETIC.
"""

from __future__ import annotations

import numpy as np
import pytest

import trialmeta
from trialmeta.errors import InputError

Y = np.array([-9.5, -4.1, -12.3, 0.8, -6.7, -15.2, -3.3, -8.8])
V = np.array([10.2, 6.5, 18.9, 8.1, 12.4, 25.0, 5.5, 9.0])
X = np.array([6.0, 10, 8, 4, 12, 16, 9, 5])
METHODS = ("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("test", ["z", "knha"])
def test_rma_equals_pool_and_meta_regression(method, test):
    fit = trialmeta.rma(Y, V, method=method, test=test)
    ref = trialmeta.pool(Y, V, method=method, test=test)
    assert fit.beta[0] == pytest.approx(ref.estimate, rel=1e-12)
    assert fit.se[0] == pytest.approx(ref.se, rel=1e-12)
    assert fit.tau2 == pytest.approx(ref.tau2, rel=1e-12, abs=1e-15)
    p = fit.predict()  # pi="hts" is the project's t(k - 2) prediction interval
    assert (p.pi_lb[0], p.pi_ub[0]) == pytest.approx((ref.pi_lb, ref.pi_ub), rel=1e-12)
    m = trialmeta.rma(Y, V, mods=X, method=method, test=test)
    mr = trialmeta.meta_regression(Y, V, X, method=method, test=test)
    np.testing.assert_allclose(m.beta, mr.coef, rtol=1e-12)
    np.testing.assert_allclose(m.pval, mr.pval, rtol=1e-10)


def test_fixed_tau2_and_weights_reach_pool_and_meta_regression():
    fixed = trialmeta.pool(Y, V, tau2=4.0)
    w = 1.0 / (V + 4.0)
    assert fixed.estimate == pytest.approx(np.sum(w * Y) / np.sum(w), rel=1e-14)
    assert fixed.tau2 == 4.0 and np.isnan(fixed.tau2_ci_lb) and np.isnan(fixed.tau2_se)
    assert "tau2_fixed_by_user" in fixed.flags
    a = np.arange(1.0, 9.0)
    weighted = trialmeta.pool(Y, V, method="DL", weights=a)
    assert weighted.estimate == pytest.approx(np.sum(a * Y) / np.sum(a), rel=1e-14)
    t2 = trialmeta.pool(Y, V, method="DL").tau2
    assert weighted.se == pytest.approx(np.sqrt(np.sum(a**2 * (V + t2))) / np.sum(a), rel=1e-12)
    assert weighted.weights_percent == pytest.approx(tuple(100 * a / a.sum()))
    assert "user_supplied_weights" in weighted.flags
    mr = trialmeta.meta_regression(Y, V, X, tau2=2.0, weights=a)
    fit = trialmeta.rma(Y, V, mods=X, tau2=2.0, weights=a)
    np.testing.assert_allclose(mr.coef, fit.beta, rtol=1e-12)
    assert trialmeta.pool(Y[:1], V[:1], tau2=1.0).se == pytest.approx(np.sqrt(V[0] + 1.0))


def test_predict_reads_newmods_as_metafor():
    fit = trialmeta.rma(Y, V, mods=np.column_stack([X, X**2]), method="REML")
    one = fit.predict([5.0, 25.0])  # a vector of length m is one row
    many = fit.predict([[5.0, 25.0], [6.0, 36.0]])
    assert one.pred.shape == (1,) and one.pred[0] == pytest.approx(many.pred[0])
    assert fit.predict().pred.shape == (8,)  # no newmods: the fitted values
    np.testing.assert_allclose(fit.predict().pred, fit.fitted())
    with pytest.raises(InputError, match="2 values per row"):
        fit.predict([[1.0, 2.0, 3.0]])
    with pytest.raises(InputError, match="newmods"):
        trialmeta.rma(Y, V).predict([1.0])
    with pytest.raises(InputError, match="pi"):
        fit.predict(pi="riley")


def test_prediction_interval_needs_k_above_p_plus_1():
    fit = trialmeta.rma(Y[:3], V[:3], mods=X[:3], method="DL")
    p = fit.predict([7.0])
    assert np.isnan(p.pi_lb[0]) and "prediction_interval_needs_k_above_p_plus_1" in p.flags
    assert np.isfinite(fit.predict([7.0], pi="metafor").pi_lb[0])


def test_influence_of_an_intercept_only_model_equals_the_existing_influence():
    fit = trialmeta.rma(Y, V, method="REML", test="knha")
    new = fit.influence()
    old = trialmeta.influence(Y, V, trialmeta.pool(Y, V, test="knha"),
                              trialmeta.leave_one_out(Y, V, test="knha"))  # fmt: skip
    for f in ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "hat"):
        np.testing.assert_allclose(getattr(new, f), getattr(old, f), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(new.dfbetas[:, 0], old.dfbetas, rtol=1e-8)


def test_deleting_a_study_that_carries_a_dummy_gives_nan_with_a_flag():
    dummy = np.zeros(8)
    dummy[3] = 1.0
    inf = trialmeta.rma(Y, V, mods=dummy, method="DL").influence()
    assert np.isnan(inf.cook_d[3]) and np.isfinite(inf.cook_d[0])
    assert "case_deletion_refit_not_estimable" in inf.flags


def test_likelihood_functions_and_anova():
    full = trialmeta.rma(Y, V, mods=X, method="ML")
    reduced = trialmeta.rma(Y, V, method="ML")
    s = full.fitstats()
    assert s.loglik == full.logLik() and s.aic == pytest.approx(-2 * s.loglik + 2 * 3)
    assert full.BIC() == pytest.approx(-2 * s.loglik + 3 * np.log(8))
    a = trialmeta.anova(reduced, full)  # order does not matter
    assert a.df == 1 and a.lrt == pytest.approx(2 * (full.logLik() - reduced.logLik()))
    reml = trialmeta.anova(trialmeta.rma(Y, V, mods=X), trialmeta.rma(Y, V))
    assert "lrt_reml_models_differ_in_fixed_effects" in reml.flags
    refit = trialmeta.anova(trialmeta.rma(Y, V, mods=X), trialmeta.rma(Y, V), refit=True)
    assert refit.lrt == pytest.approx(a.lrt, rel=1e-9) and not refit.flags
    with pytest.raises(InputError, match="fewer parameters"):
        trialmeta.anova(full, trialmeta.rma(Y, V, mods=X * 2, method="ML"))
    with pytest.raises(InputError, match="same data"):
        trialmeta.anova(full, trialmeta.rma(Y + 1, V, method="ML"))
    with pytest.raises(InputError, match="likelihood-ratio"):
        trialmeta.anova(trialmeta.rma(Y, V, mods=X, method="DL"), trialmeta.rma(Y, V, method="DL"))


def test_profile_likelihood_interval_brackets_the_estimate():
    fit = trialmeta.rma(Y, V, method="REML")
    ci = fit.confint()
    assert ci.tau2_ci_lb <= fit.tau2 <= ci.tau2_ci_ub
    qp = fit.confint("QP")
    assert qp.tau2_ci_ub == pytest.approx(trialmeta.pool(Y, V).tau2_ci_ub, rel=1e-12)
    with pytest.raises(InputError, match="PL needs ML or REML"):
        trialmeta.rma(Y, V, method="DL").confint()
    with pytest.raises(InputError, match="estimated tau2"):
        trialmeta.rma(Y, V, tau2=1.0).confint()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "FE", "tau2": 0.5}, "no tau2 with method FE"),
        ({"tau2": -1.0}, "tau2"),
        ({"weights": [1.0] * 7}, "length 8"),
        ({"weights": [-1.0] + [1.0] * 7}, r"weights\[0\]"),
        ({"weights": [0.0] * 8}, "all zero"),
        ({"mods": [1.0] * 8}, "rank-deficient"),
        ({"ni": [10] * 7}, "ni"),
    ],
)
def test_rma_rejects_bad_input(kwargs, match):
    with pytest.raises(InputError, match=match):
        trialmeta.rma(Y, V, **kwargs)


def test_blup_and_conditional_residuals_need_inverse_variance_weights():
    fit = trialmeta.rma(Y, V, weights=np.ones(8))
    with pytest.raises(InputError, match="weights"):
        fit.blup()
    with pytest.raises(InputError, match="marginal"):
        fit.rstandard("conditional")
    assert np.all(np.isfinite(fit.rstandard().z))


def test_regtest_lm_sei_is_egger_and_rma_uses_the_model():
    e = trialmeta.egger_test(Y, V)
    r = trialmeta.regtest(Y, V, model="lm", predictor="sei")
    assert (r.stat, r.pval, r.limit_estimate) == pytest.approx((e.stat, e.pval, e.limit_estimate))
    fit = trialmeta.rma(Y, V, method="DL", test="knha", ni=np.arange(20, 100, 10))
    rr = trialmeta.regtest(fit, predictor="ninv")
    direct = trialmeta.rma(Y, V, mods=1 / np.arange(20, 100, 10), method="DL", test="knha")
    assert rr.stat == pytest.approx(direct.stat[1], rel=1e-12) and rr.df == 6
    with pytest.raises(InputError, match="sample sizes"):
        trialmeta.regtest(Y, V, predictor="ni")


def test_permutest_agrees_with_the_vectorised_permutation_test():
    fit = trialmeta.rma(Y[:6], V[:6], mods=X[:6], method="DL")
    new = trialmeta.permutest(fit)
    old = trialmeta.permutation_test(Y[:6], V[:6], X[:6], method="DL")
    assert new.exact and new.n_permutations == old.n_permutations == 720
    np.testing.assert_allclose(new.pval, old.pval, rtol=1e-12)
    assert new.qm_pval == pytest.approx(old.qm_pval, rel=1e-12)
    rand = trialmeta.permutest(fit, exact=False, iter=200, seed=3)
    assert rand.n_permutations == 200 and rand.seed == 3 and not rand.exact
    with pytest.raises(InputError, match="alternative"):
        trialmeta.permutest(fit, alternative="both")


def test_trimfill_r0_and_leave_one_out_columns():
    t = trialmeta.trim_and_fill(Y, V, method="FE", estimator="R0")
    assert t.estimator == "R0" and t.p_k0 == pytest.approx(0.5 ** (t.k0 + 1))
    assert np.isnan(trialmeta.trim_and_fill(Y, V).p_k0)
    loo = trialmeta.leave_one_out(Y, V, method="DL")
    first = trialmeta.pool(Y[1:], V[1:], method="DL")
    assert (loo.q_pval[0], loo.h2[0], loo.stat[0]) == pytest.approx(
        (first.q_pval, first.h2, first.stat))  # fmt: skip


def test_regtest_with_a_constant_predictor_is_nan_with_a_flag():
    # metafor: "Model matrix no longer of full rank after addition of predictor"
    r = trialmeta.regtest(Y, np.full(8, 2.0), predictor="sei")
    assert np.isnan(r.stat) and "regtest_not_computable_predictor_collinear" in r.flags
    s = trialmeta.regtest(Y, V, model="lm", predictor="ninv", ni=np.full(8, 50.0))
    assert np.isnan(s.pval) and "regtest_not_computable_predictor_collinear" in s.flags
