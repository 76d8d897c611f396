"""Tests of trialmeta.resampling.permutation against metafor 3.8-1 ``permutest()``.

Reference values: tests/reference/metafor_permutest_cumul.json, written by
tests/reference/make_tsa_permutation_reference.R with exact permutations
(deterministic), e.g.
# R: permutest(rma(yi, vi, mods = ~ sessions, data = syn1, method = "REML"), exact = TRUE)
The vectorised refits are also checked, fit by fit, against
trialmeta.meta_regression and trialmeta.pool. All data are synthetic.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

from trialmeta.errors import InputError
from trialmeta.resampling.permutation import (
    COMPTOL,
    batch_fit,
    count_permutations,
    permutation_test,
)
from trialmeta.stats.metareg import design_matrix, meta_regression
from trialmeta.stats.pooling import pool

REF = json.loads(
    (Path(__file__).parents[1] / "reference" / "metafor_permutest_cumul.json").read_text()
)
CASES = REF["permutest"]
N_CASES = 8  # the grid must not shrink silently
METHODS = ("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")


def case_id(c):
    return f"{c['data']}-{c['moderator'] or 'intercept'}-{c['method']}-{c['test']}"


def test_reference_grid_has_not_shrunk():
    assert len(CASES) == N_CASES
    assert sum(c["moderator"] is None for c in CASES) == 3


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_exact_p_values_match_metafor_permutest(case):
    d = REF["synthetic_data"][case["data"]]
    mods = None if case["moderator"] is None else d[case["moderator"]]
    r = permutation_test(d["yi"], d["vi"], mods, method=case["method"], test=case["test"])
    assert r.exact and r.seed is None
    assert r.n_permutations == case["n_permutations"]
    # exact enumeration: p-values are ratios of counts, equal to rounding
    np.testing.assert_allclose(r.pval, np.atleast_1d(case["pval"]), rtol=1e-12)
    # observed statistics: metafor's REML stops at a 1e-5 change in tau2.
    # JSON null stands for R's NA/Inf (knha with a zero residual sum of squares).
    if case["stat"] is None:
        assert not np.isfinite(r.stat).any()
    else:
        np.testing.assert_allclose(r.stat, np.atleast_1d(case["stat"]), rtol=1e-7)
    for name in ("qm", "qm_pval"):
        if case[name] is None:
            assert np.isnan(getattr(r, name)), name
        else:
            assert getattr(r, name) == pytest.approx(case[name], rel=1e-7), name


def synthetic_meta(seed: int, k: int, m: int = 1):
    rng = np.random.default_rng(seed)
    yi = rng.normal(0.0, 1.0, k) * rng.uniform(0.2, 3.0)
    vi = rng.uniform(0.02, 1.0, k)
    mods = rng.normal(size=(k, m))
    return yi, vi, mods


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("test", ["z", "knha"])
def test_batch_fit_equals_meta_regression_fit_by_fit(method, test):
    yi, vi, mods = synthetic_meta(11, 9, 2)
    rng = np.random.default_rng(3)
    perms = [rng.permutation(9) for _ in range(12)]
    X = design_matrix(mods, 9)
    stat, qm = batch_fit(np.tile(yi, (12, 1)), np.stack([X[p] for p in perms]), vi, method, test)
    for b, p in enumerate(perms):
        ref = meta_regression(yi, vi, mods[p], method=method, test=test)
        np.testing.assert_allclose(stat[b], ref.stat, rtol=1e-9, atol=1e-12)
        assert qm[b] == pytest.approx(ref.qm, rel=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_batch_fit_equals_pool_for_sign_flips(method):
    yi, vi, _ = synthetic_meta(12, 8)
    signs = np.random.default_rng(4).choice([-1.0, 1.0], size=(10, 8))
    stat, qm = batch_fit(signs * yi, np.ones((10, 8, 1)), vi, method, "knha")
    for b in range(10):
        ref = pool(signs[b] * yi, vi, method=method, test="knha")
        assert stat[b, 0] == pytest.approx(ref.stat, rel=1e-9)
        assert qm[b] == pytest.approx(ref.stat**2, rel=1e-9)


def test_count_permutations():
    assert count_permutations(None, 7) == 128
    assert count_permutations([1, 1, 1, 0, 0, 0, 0], 7) == math.comb(7, 3)
    assert count_permutations([[1, 0], [1, 0], [0, 1], [0, 0], [0, 0]], 5) == 30  # 5!/(2!2!)
    assert count_permutations(np.arange(6.0), 6) == 720


def test_exact_enumeration_counts_every_distinct_arrangement_once():
    yi, vi, _ = synthetic_meta(5, 7)
    mods = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    r = permutation_test(yi, vi, mods, method="DL")
    assert r.n_permutations == 35
    assert len(np.unique(np.round(r.qm_perm, 10))) == 35
    # the observed arrangement is one of them, so the p-value is at least 1/35
    assert r.qm_pval >= 1 / 35
    assert np.any(np.abs(r.qm_perm - r.qm) < COMPTOL)


def test_random_permutations_are_seeded_and_include_the_observed():
    yi, vi, mods = synthetic_meta(21, 12)
    a = permutation_test(yi, vi, mods, method="REML", n_permutations=500, seed=7)
    b = permutation_test(yi, vi, mods, method="REML", n_permutations=500, seed=7)
    c = permutation_test(yi, vi, mods, method="REML", n_permutations=500, seed=8)
    assert not a.exact and a.seed == 7 and a.n_permutations == 500
    np.testing.assert_array_equal(a.qm_perm, b.qm_perm)
    assert not np.array_equal(a.qm_perm, c.qm_perm)
    assert a.qm_perm[0] == pytest.approx(a.qm, rel=1e-9)
    assert 1 / 500 <= a.qm_pval <= 1


def test_random_approximates_exact():
    d = REF["synthetic_data"]["syn1"]
    exact = permutation_test(d["yi"], d["vi"], d["sessions"], method="DL")
    approx = permutation_test(
        d["yi"], d["vi"], d["sessions"], method="DL", exact=False, n_permutations=4000, seed=1
    )
    assert exact.exact and not approx.exact
    # binomial SE of a p near 0.22 with 4000 draws is 0.0066
    assert approx.qm_pval == pytest.approx(exact.qm_pval, abs=0.03)


def test_sign_flip_random_when_too_many_patterns():
    yi, vi, _ = synthetic_meta(8, 14)  # 2^14 = 16384 > 10,000
    r = permutation_test(yi, vi, method="FE", seed=3)
    assert r.kind == "sign_flip" and not r.exact and r.n_permutations == 10_000
    assert r.stat_perm.shape == (10_000, 1)
    assert r.pval[0] == pytest.approx(r.qm_pval)  # |z| >= |z_obs| iff z^2 >= z_obs^2


def test_progress_only_when_asked_or_on_a_terminal(capsys, monkeypatch):
    d = REF["synthetic_data"]["syn2"]
    permutation_test(d["yi"], d["vi"], d["sham"], method="FE", progress=True)
    assert "permutations [" in capsys.readouterr().err
    log = io.StringIO()  # like a Snakemake log file: not a TTY
    monkeypatch.setattr("sys.stderr", log)
    permutation_test(d["yi"], d["vi"], d["sham"], method="FE")
    assert log.getvalue() == ""


def test_result_to_dict_is_json_safe_and_omits_distributions_by_default():
    d = REF["synthetic_data"]["syn2"]
    r = permutation_test(d["yi"], d["vi"], d["sham"], method="FE")
    small = r.to_dict()
    assert "qm_perm" not in small and small["n_permutations"] == 35
    full = json.dumps(r.to_dict(distributions=True), allow_nan=False)
    assert '"qm_perm"' in full


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_permutations": 1},
        {"n_permutations": True},
        {"n_permutations": 10.5},
        {"exact": "yes"},
        {"method": "XX"},
        {"mods": [1.0, 2.0]},
    ],
)
def test_rejects_bad_input(kwargs):
    args = {"yi": [0.1, 0.4, 0.2, 0.5], "vi": [0.01, 0.02, 0.03, 0.01], "mods": [1, 2, 3, 4]}
    args.update(kwargs)
    with pytest.raises(InputError):
        permutation_test(**args)


def test_exact_refuses_an_infeasible_enumeration():
    yi, vi, mods = synthetic_meta(2, 12)  # 12! = 479,001,600 orders
    with pytest.raises(InputError):
        permutation_test(yi, vi, mods, exact=True)
