"""trialmeta._dist equals scipy.stats bit for bit (it calls the same scipy.special functions)."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from trialmeta import _dist

X = [-1.0, 0.0, 1e-300, 0.3, 2.5, 40.0, np.inf, np.nan]
Q = [-0.1, 0.0, 1e-12, 0.025, 0.5, 0.975, 1.0 - 1e-12, 1.0, 1.5, np.nan]
DF = [-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 9.0, 60.0, 1e6, np.nan]


def same(a: object, b: object) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("x", X)
def test_normal(x: float) -> None:
    assert same(_dist.norm_cdf(x), stats.norm.cdf(x))
    assert same(_dist.norm_sf(x), stats.norm.sf(x))
    assert same(_dist.norm_pdf(x), stats.norm.pdf(x))


@pytest.mark.parametrize("q", Q)
def test_normal_quantiles(q: float) -> None:
    assert same(_dist.norm_ppf(q), stats.norm.ppf(q))
    assert same(_dist.norm_isf(q), stats.norm.isf(q))


@pytest.mark.parametrize("df", DF)
def test_t_and_chi2(df: float) -> None:
    for x in X:
        assert same(_dist.t_sf(x, df), stats.t.sf(x, df)), (x, df)
        assert same(_dist.chi2_sf(x, df), stats.chi2.sf(x, df)), (x, df)
        assert same(_dist.chi2_cdf(x, df), stats.chi2.cdf(x, df)), (x, df)
    for q in Q:
        assert same(_dist.t_ppf(q, df), stats.t.ppf(q, df)), (q, df)
        assert same(_dist.t_isf(q, df), stats.t.isf(q, df)), (q, df)
        assert same(_dist.chi2_ppf(q, df), stats.chi2.ppf(q, df)), (q, df)
        assert same(_dist.chi2_isf(q, df), stats.chi2.isf(q, df)), (q, df)


def test_f() -> None:
    for x, n, d in itertools.product(X, DF, DF):
        assert same(_dist.f_sf(x, n, d), stats.f.sf(x, n, d)), (x, n, d)


def test_arrays_broadcast_like_scipy_stats() -> None:
    q = np.array([0.025, 0.05])
    df = np.array([[1.0], [4.0], [16.0]])
    assert same(_dist.t_isf(q, df), stats.t.isf(q, df))
    assert same(_dist.chi2_ppf(q, df), stats.chi2.ppf(q, df))
    x = np.array([0.5, 3.0])
    assert same(_dist.chi2_sf(x, df), stats.chi2.sf(x, df))


def test_core_import_does_not_load_scipy_stats() -> None:
    """``import trialmeta`` and the statistics core stay free of scipy.stats (import time)."""
    code = (
        "import sys, trialmeta, trialmeta.stats.pooling, trialmeta.resampling.gosh, "
        "trialmeta.resampling.coverage, trialmeta.resampling.permutation;"
        "trialmeta.pool([0.1, 0.3], [0.01, 0.02]);"
        "print('scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
