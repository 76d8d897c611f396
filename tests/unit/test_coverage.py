"""Coverage simulation: determinism, known exact cases, sentences. Synthetic settings only."""

from __future__ import annotations

import json

import numpy as np
import pytest

from trialmeta.errors import InputError
from trialmeta.report.sentences import coverage_sentence
from trialmeta.resampling.coverage import simulate_coverage

SYN_V = [0.02, 0.03, 0.05, 0.04]  # synthetic within-study variances of 4 trials


def test_same_seed_same_result_and_streams_per_tau2_are_independent():
    a = simulate_coverage(SYN_V, [0.01, 0.1], "DL", n_sim=500, seed=3)
    b = simulate_coverage(SYN_V, [0.01, 0.1], "DL", n_sim=500, seed=3)
    c = simulate_coverage(SYN_V, [0.01], "DL", n_sim=500, seed=3)
    d = simulate_coverage(SYN_V, [0.01, 0.1], "DL", n_sim=500, seed=4)
    assert np.array_equal(a.ci_coverage, b.ci_coverage)
    assert np.array_equal(a.ci_coverage[:1], c.ci_coverage)  # first τ² unaffected by the second
    assert not np.array_equal(a.ci_width_mean, d.ci_width_mean)


def test_common_effect_z_interval_is_exact_without_heterogeneity():
    # With tau2 = 0 the FE z interval is exact: coverage = 95% up to Monte Carlo error.
    r = simulate_coverage(SYN_V, [0.0], "FE", tests=("z",), n_sim=20_000, seed=1)
    assert abs(r.ci_coverage[0, 0] - 0.95) < 4 * np.sqrt(0.95 * 0.05 / 20_000)
    assert r.ci_mcse[0, 0] == pytest.approx(
        np.sqrt(r.ci_coverage[0, 0] * (1 - r.ci_coverage[0, 0]) / 20_000)
    )


def test_z_undercovers_with_few_heterogeneous_trials_and_knha_helps():
    r = simulate_coverage(SYN_V, [0.1], "REML", n_sim=10_000, seed=2)
    z, knha = r.ci_coverage[0]
    assert z < 0.92 and knha > z and abs(knha - 0.95) < 0.02
    assert 0 < r.tau2_zero_share[0] < 1


def test_two_trials_have_no_prediction_interval():
    r = simulate_coverage([0.02, 0.03], [0.05], "DL", n_sim=200)
    assert np.isnan(r.pi_coverage).all() and np.isfinite(r.ci_coverage).all()
    assert "no prediction interval" in coverage_sentence(r)


def test_sentence_reads_like_the_limitations_summary():
    r = simulate_coverage(SYN_V, [0.03], "REML", n_sim=1000, seed=0)
    s = coverage_sentence(r, "knha")
    pct = round(r.ci_coverage[0, 1] * 100)
    assert s.startswith(
        f"With 4 trials of this size, a nominal 95% CI (REML, Knapp-Hartung) "
        f"covers the true effect about {pct}%"
    )
    assert "1,000 meta-analyses" in s and "prediction interval" in s


def test_result_is_json_serialisable():
    r = simulate_coverage(SYN_V, [0.0, 0.05], "PM", n_sim=100)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["tests"] == ["z", "knha"] and len(d["ci_coverage"]) == 2


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"vi": [0.1, -0.2], "tau2_values": [0.1]}, "vi"),
        ({"vi": [0.1, 0.2], "tau2_values": [-0.1]}, "tau2_values"),
        ({"vi": [0.1, 0.2], "tau2_values": [0.1], "tests": ("t",)}, "tests"),
        ({"vi": [0.1, 0.2], "tau2_values": [0.1], "n_sim": 0}, "n_sim"),
        ({"vi": [0.1, 0.2], "tau2_values": [0.1], "level": 95}, "level"),
    ],
)
def test_invalid_input_names_argument(kwargs, argument):
    with pytest.raises(InputError) as err:
        simulate_coverage(**kwargs)
    assert err.value.argument == argument


def test_sentence_rejects_unknown_test():
    r = simulate_coverage(SYN_V, [0.0], "DL", tests=("z",), n_sim=50)
    with pytest.raises(InputError):
        coverage_sentence(r, "knha")
