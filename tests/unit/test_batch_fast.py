"""The compiled engine (numba, ``trialmeta[fast]``) equals the numpy engine to 1e-10.

The numpy engine is the reference (it equals ``pool()`` row by row and metafor:
test_batch.py); here every field of the compiled engine is compared with it, on
ordinary rows and on rows built to have two likelihood maxima. All data are
SYNTHETIC (seeded random numbers).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from trialmeta.errors import InputError
from trialmeta.resampling.batch import fast
from trialmeta.resampling.batch.engine import pool_batch, pool_batch_tests

numba = pytest.importorskip("numba", reason="numba not installed (pip install 'trialmeta[fast]')")

RTOL = 1e-10
FIELDS = (
    "estimate", "se", "ci_lb", "ci_ub", "stat", "pval", "df", "tau2", "tau2_se", "tau2_ci_lb",
    "tau2_ci_ub", "i2_percent", "i2_ci_lb", "i2_ci_ub", "h2", "h2_ci_lb", "h2_ci_ub", "q",
    "q_pval", "pi_lb", "pi_ub",
)  # fmt: skip
#: the scale that sets each field's absolute floor (1e-10 of it)
SCALE = {"estimate": "y", "ci_lb": "y", "ci_ub": "y", "pi_lb": "y", "pi_ub": "y", "se": "sd",
         "tau2": "v", "tau2_se": "v", "tau2_ci_lb": "v", "tau2_ci_ub": "v"}  # fmt: skip


def ordinary(n: int, k: int = 10, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC: v ~ U(0.01, 0.2), y ~ N(0.3, v + 0.05) (as bench/engine.py)."""
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.01, 0.2, (n, k))
    return 0.3 + rng.standard_normal((n, k)) * np.sqrt(v + 0.05), v


def two_maxima(n: int, k: int = 10, seed: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC rows whose likelihoods often have two maxima (as bench/engine.py):
    half the variances in [0.001, 0.02], half in [0.5, 5]; three studies shifted."""
    rng = np.random.default_rng(seed)
    small = rng.random((n, k)) < 0.5
    v = np.where(small, rng.uniform(1e-3, 0.02, (n, k)), rng.uniform(0.5, 5, (n, k)))
    y = rng.normal(0, 1, (n, k)) * np.sqrt(v + 0.1)
    y[:, :3] += rng.normal(0, 2, (n, 1))
    return y, v


def assert_engines_agree(y: np.ndarray, v: np.ndarray, method: str, tau2_ci: bool) -> None:
    ref = pool_batch_tests(y, v, method, ("z", "knha"), tau2_ci=tau2_ci, engine="numpy")
    got = pool_batch_tests(y, v, method, ("z", "knha"), tau2_ci=tau2_ci, engine="numba")
    scale = {"y": np.abs(y).mean(1), "sd": np.sqrt(v.mean(1)), "v": v.mean(1)}
    for test in ("z", "knha"):
        a, b = ref[test], got[test]
        np.testing.assert_array_equal(a.converged, b.converged)
        np.testing.assert_array_equal(a.k, b.k)
        np.testing.assert_array_equal(a.q_df, b.q_df)
        # same steps: the kernel follows the numpy engine's safeguarded Newton
        assert np.mean(a.iterations == b.iterations) > 0.999, (method, test)
        for name in FIELDS:
            x, z = getattr(a, name), getattr(b, name)
            np.testing.assert_array_equal(np.isnan(x), np.isnan(z), err_msg=name)
            floor = RTOL * scale[SCALE[name]] if name in SCALE else RTOL
            with np.errstate(invalid="ignore"):  # inf - inf: equal infinities pass by ==
                close = np.abs(x - z) <= np.maximum(RTOL * np.abs(x), floor)
            ok = np.isnan(x) | (x == z) | close
            assert ok.all(), (method, test, name, np.flatnonzero(~ok)[:5])


@pytest.mark.parametrize("method", ("DL", "ML", "REML", "PM", "EB"))
def test_compiled_equals_numpy_on_ordinary_rows(method):
    y, v = ordinary(20_000)
    assert_engines_agree(y, v, method, tau2_ci=True)


@pytest.mark.parametrize("method", ("DL", "ML", "REML", "PM"))
def test_compiled_equals_numpy_on_two_maxima_rows(method):
    # every kind of row: the grid scan for a second maximum, the lower root above a
    # positive start (refitted by the numpy engine), the bound that rules them out
    y, v = two_maxima(20_000)
    assert_engines_agree(y, v, method, tau2_ci=False)


@pytest.mark.parametrize("k", (2, 3, 70))
def test_compiled_equals_numpy_at_small_and_large_k(k):
    # k = 2: no PI; k = 70: Q's p-value past the chi-square series (df > 60)
    y, v = ordinary(3_000, k=k, seed=k)
    for method in ("DL", "REML"):
        assert_engines_agree(y, v, method, tau2_ci=True)


def test_compiled_equals_numpy_on_edge_rows():
    rows = [
        ([0.2] * 5, [0.05] * 5),  # identical effects: knha scale 0, tau2 0
        ([0.0, 10.0, -10.0, 20.0], [1e-4, 1e-4, 1e-4, 1e-4]),  # extreme heterogeneity
        ([0.1, 0.5, 0.3, 0.2], [1e-9, 2.0, 3.0, 4.0]),  # one weight dominates
        ([1e6, 1e6 + 1, 1e6 - 2, 1e6 + 3], [0.5, 0.2, 0.9, 1.3]),  # far from zero
    ]
    for y, v in rows:
        ya, va = np.array([y] * 3), np.array([v] * 3)
        for method in ("DL", "ML", "REML", "PM"):
            assert_engines_agree(ya, va, method, tau2_ci=True)


def test_engine_choice(monkeypatch):
    y, v = ordinary(50)
    with pytest.raises(InputError, match="engine"):
        pool_batch(y, v, engine="fortran")
    monkeypatch.setenv(fast.ENV, "numpy")
    assert not fast.use_numba("auto", "REML")
    assert fast.use_numba("numba", "REML")  # an explicit choice wins
    monkeypatch.setenv(fast.ENV, "cuda")
    with pytest.raises(InputError, match=fast.ENV):
        pool_batch(y, v)
    monkeypatch.delenv(fast.ENV)
    assert fast.use_numba("auto", "REML") and not fast.use_numba("auto", "SJ")
    # small calls stay with numpy until the kernels are loaded (numba's start-up cost)
    monkeypatch.delitem(sys.modules, "trialmeta.resampling.batch.nb_rows", raising=False)
    assert not fast.use_numba("auto", "REML", rows=fast.AUTO_MIN_ROWS - 1)
    assert fast.use_numba("auto", "REML", rows=fast.AUTO_MIN_ROWS)
    monkeypatch.setenv(fast.ENV, "numba")
    assert fast.use_numba("auto", "REML", rows=10)  # forced
    monkeypatch.delenv(fast.ENV)
    monkeypatch.setattr(fast, "numba_installed", lambda: False)
    assert not fast.use_numba("auto", "REML")  # falls back to numpy
    with pytest.raises(InputError, match="trialmeta\\[fast\\]"):
        pool_batch(y, v, engine="numba")


def test_mask_and_other_methods_use_the_numpy_engine():
    y, v = ordinary(200, k=6)
    mask = np.ones_like(y, dtype=bool)
    mask[:, 0] = False
    for method in ("REML", "SJ"):
        a = pool_batch(y, v, method, mask=mask, engine="numba")
        b = pool_batch(y, v, method, mask=mask, engine="numpy")
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_two_threads_give_the_same_result():
    y, v = ordinary(5_000)
    one = pool_batch(y, v, "REML", "knha", engine="numba")
    two = pool_batch(y, v, "REML", "knha", engine="numba", workers=2)
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name))
