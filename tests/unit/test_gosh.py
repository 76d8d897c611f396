"""GOSH (all-subsets fits) and the progress bar it draws. Synthetic data only."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from trialmeta.errors import InputError
from trialmeta.io.progress import Progress, progress_enabled
from trialmeta.resampling.gosh import gosh, subset_members
from trialmeta.stats.pooling import pool

# synthetic: five homogeneous studies and one that sits far away (index 5)
SYN_Y = [0.10, 0.30, 0.35, 0.25, 0.20, 1.60]
SYN_V = [0.010, 0.020, 0.015, 0.040, 0.030, 0.020]


def test_exhaustive_enumerates_every_subset_once():
    r = gosh(SYN_Y, SYN_V, "DL")
    assert r.exhaustive and r.n_subsets == 2**6 - 1
    assert sorted(r.membership.tolist()) == list(range(1, 64))
    assert r.k_subset.tolist() == [len(subset_members(c, 6)) for c in r.membership]


@pytest.mark.parametrize("method", ["DL", "REML", "PM", "FE"])
def test_subset_fits_equal_pool(method):
    r = gosh(SYN_Y, SYN_V, method)
    y, v = np.array(SYN_Y), np.array(SYN_V)
    for i in range(r.n_subsets):
        idx = subset_members(r.membership[i], 6)
        if len(idx) == 1:
            assert r.estimate[i] == y[idx[0]] and np.isnan(r.i2_percent[i])
            continue
        p = pool(y[idx], v[idx], method)
        np.testing.assert_allclose(
            [r.estimate[i], r.i2_percent[i], r.q[i]], [p.estimate, p.i2_percent, p.q],
            rtol=1e-10, atol=1e-11,
        )  # fmt: skip
        assert abs(r.tau2[i] - p.tau2) <= 1e-10 * max(p.tau2, 1e-2)


def test_outlying_study_is_named_driver():
    r = gosh(SYN_Y, SYN_V, "DL", labels=["A", "B", "C", "D", "E", "Far"])
    assert r.drivers[0] == "Far"
    assert np.nanargmax(r.influence) == 5
    assert r.shift_estimate[5] > 0.3 and r.shift_i2[5] > 20
    assert r.outlying.any()


def test_identical_studies_have_no_driver():
    r = gosh([0.2] * 5, [0.05] * 5, "DL")
    assert r.drivers == () and np.allclose(r.influence, 0)


def test_random_sample_when_too_many_subsets_is_seeded():
    rng = np.random.default_rng(11)  # synthetic
    y, v = rng.normal(0.2, 0.2, 12), rng.uniform(0.01, 0.05, 12)
    a = gosh(y, v, max_subsets=500, seed=1)
    b = gosh(y, v, max_subsets=500, seed=1)
    c = gosh(y, v, max_subsets=500, seed=2)
    assert not a.exhaustive and a.n_subsets == 500
    assert np.array_equal(a.membership, b.membership) and np.array_equal(a.estimate, b.estimate)
    assert not np.array_equal(a.membership, c.membership)
    assert a.membership.min() >= 1 and a.membership.max() < 2**12


def test_summary_is_json_serialisable():
    r = gosh(SYN_Y, SYN_V)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["n_subsets"] == 63 and "membership" not in d and d["n_outlying"] >= 1
    assert len(r.to_dict(per_subset=True)["estimate"]) == 63


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"yi": [0.1], "vi": [0.1]}, "yi"),
        ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "labels": ["a"]}, "labels"),
        ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "max_subsets": 0}, "max_subsets"),
        ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "method": "XX"}, "method"),
    ],
)
def test_invalid_input_names_argument(kwargs, argument):
    with pytest.raises(InputError) as err:
        gosh(**kwargs)
    assert err.value.argument == argument


# --- progress bar (used by gosh and coverage) ---


def test_progress_is_silent_when_disabled():
    buf = io.StringIO()
    with Progress(10, "x", enabled=False, stream=buf) as bar:
        bar.update(10)
    assert buf.getvalue() == "" and bar.done == 10


def test_progress_draws_on_a_terminal_and_ends_the_line():
    buf = io.StringIO()
    with Progress(4, "GOSH", enabled=True, stream=buf, min_interval=0.0) as bar:
        bar.update(2)
        bar.update(2)
    out = buf.getvalue()
    assert out.startswith("\rGOSH [") and out.endswith("\n") and "100% 4/4" in out


def test_progress_enabled_follows_tty_and_env(monkeypatch):
    monkeypatch.delenv("TRIALMETA_PROGRESS", raising=False)
    assert progress_enabled(io.StringIO()) is False  # a log file is not a terminal
    monkeypatch.setenv("TRIALMETA_PROGRESS", "1")
    assert progress_enabled(io.StringIO()) is True


def test_outlier_distance_is_the_chi2_quantile():
    # sqrt(chi2_2(0.99)), precomputed in closed form (no scipy.stats at import)
    from scipy import stats

    from trialmeta.resampling import gosh as gosh_module

    assert gosh_module._OUTLIER_D == float(np.sqrt(stats.chi2.ppf(0.99, 2)))
