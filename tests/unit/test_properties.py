"""Hypothesis property tests of pool(): invariances every estimator must have."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trialmeta

METHODS = ("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
FIELDS = ("estimate", "se", "ci_lb", "ci_ub", "tau2", "i2_percent", "q", "pi_lb", "pi_ub",
          "tau2_ci_lb", "tau2_ci_ub")  # fmt: skip


@st.composite
def meta_data(draw, min_k=2, max_k=12):
    k = draw(st.integers(min_k, max_k))
    y = draw(st.lists(st.floats(-5, 5, allow_nan=False), min_size=k, max_size=k))
    v = draw(st.lists(st.floats(0.01, 4.0), min_size=k, max_size=k))
    return np.array(y), np.array(v)


def close(a: float, b: float, rel: float = 1e-7, abs_: float = 1e-9) -> bool:
    if np.isnan(a) and np.isnan(b):
        return True
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), abs_)


@settings(max_examples=40, deadline=None)
@given(data=meta_data(), method=st.sampled_from(METHODS), test=st.sampled_from(("z", "knha")),
       seed=st.integers(0, 2**32 - 1))  # fmt: skip
def test_study_order_does_not_matter(data, method, test, seed):
    y, v = data
    perm = np.random.default_rng(seed).permutation(len(y))
    a = trialmeta.pool(y, v, method=method, test=test)
    b = trialmeta.pool(y[perm], v[perm], method=method, test=test)
    for f in FIELDS:
        assert close(getattr(a, f), getattr(b, f), abs_=1e-8), f


@settings(max_examples=40, deadline=None)
@given(data=meta_data(), method=st.sampled_from(METHODS), c=st.floats(-50, 50))
def test_shift_moves_estimate_by_c(data, method, c):
    y, v = data
    a = trialmeta.pool(y, v, method=method, test="knha")
    b = trialmeta.pool(y + c, v, method=method, test="knha")
    assert close(b.estimate, a.estimate + c, abs_=1e-7)
    assert close(b.se, a.se, rel=1e-6, abs_=1e-8)
    assert close(b.tau2, a.tau2, rel=1e-6, abs_=1e-9)


@settings(max_examples=40, deadline=None)
@given(data=meta_data(), method=st.sampled_from(METHODS), a=st.floats(0.1, 10),
       negative=st.booleans())  # fmt: skip
def test_scaling_scales_estimate_and_se(data, method, a, negative):
    y, v = data
    s = -a if negative else a
    r0 = trialmeta.pool(y, v, method=method)
    r1 = trialmeta.pool(s * y, a**2 * v, method=method)
    assert close(r1.estimate, s * r0.estimate, rel=1e-6, abs_=1e-8 * a)
    assert close(r1.se, a * r0.se, rel=1e-6)
    assert close(r1.tau2, a**2 * r0.tau2, rel=1e-6, abs_=1e-9 * a**2)
    assert close(r1.i2_percent, r0.i2_percent, rel=1e-6, abs_=1e-7)


@settings(max_examples=40, deadline=None)
@given(value=st.floats(-10, 10), v=st.lists(st.floats(0.01, 4), min_size=2, max_size=10),
       method=st.sampled_from(METHODS))  # fmt: skip
def test_identical_estimates_give_zero_tau2(value, v, method):
    r = trialmeta.pool([value] * len(v), v, method=method)
    assert r.tau2 == 0.0
    assert r.estimate == pytest.approx(value, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(data=meta_data(min_k=3), method=st.sampled_from(METHODS))
def test_tau2_never_negative_and_ci_ordered(data, method):
    y, v = data
    r = trialmeta.pool(y, v, method=method, test="knha")
    assert r.tau2 >= 0 and r.tau2_ci_lb >= 0
    assert r.tau2_ci_lb <= r.tau2_ci_ub
    assert r.ci_lb <= r.estimate <= r.ci_ub
    assert r.pi_lb <= r.ci_lb + 1e-12 or r.test == "knha"
    assert 0 <= r.i2_percent < 100
