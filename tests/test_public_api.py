"""``trialmeta/__init__.py`` exports the statistical API and nothing else.

The list follows the architecture review's "Public API" (section 2.3): effect sizes and
conversions, models, small-study tests and diagnostics, sequential analysis and resampling,
every ``*Result`` class and the errors. Review, report, plot and file helpers are imported
from their subpackages.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import trialmeta

STATISTICAL_LAYERS = ("trialmeta.effects.", "trialmeta.stats.", "trialmeta.resampling.",
                      "trialmeta.errors")  # fmt: skip


def test_all_is_sorted_and_unique():
    assert trialmeta.__all__ == sorted(set(trialmeta.__all__))


@pytest.mark.parametrize("name", trialmeta.__all__)
def test_each_name_is_importable_and_statistical(name):
    obj = getattr(trialmeta, name)
    assert not inspect.ismodule(obj), f"trialmeta.{name} is a module, not the API object"
    assert obj.__module__.startswith(STATISTICAL_LAYERS), (name, obj.__module__)


def test_no_other_public_name_leaks():
    public = {n for n in vars(trialmeta) if not n.startswith("_")}
    subpackages = {"data", "effects", "stats", "resampling", "review", "report", "plots", "io",
                   "errors", "flags", "cli", "annotations"}  # fmt: skip
    assert public - set(trialmeta.__all__) - subpackages == set()


def test_every_result_class_is_exported():
    import trialmeta.resampling.batch.engine as engine
    import trialmeta.resampling.coverage as coverage
    import trialmeta.resampling.gosh as gosh_module
    import trialmeta.resampling.permutation as permutation
    import trialmeta.stats.cumulative as cumulative_module
    import trialmeta.stats.influence as influence_module
    import trialmeta.stats.results as results
    import trialmeta.stats.subgroups as subgroups
    import trialmeta.stats.tsa as tsa

    modules = (results, influence_module, cumulative_module, subgroups, tsa, engine, coverage,
               gosh_module, permutation)  # fmt: skip
    found = {
        name
        for m in modules
        for name, obj in vars(m).items()
        if inspect.isclass(obj) and name.endswith("Result") and obj.__module__ == m.__name__
    }
    assert found <= set(trialmeta.__all__)


def test_influence_is_the_function_not_the_module():
    # metafor 3.8-1: influence(rma(c(-10, -2, -6), c(4, 4, 2), method="FE")) (SYNTHETIC
    # numbers): hat 0.25 0.25 0.50, cook.d 1.77777777777778 1.77777777777778 7.9e-31.
    y, v = [-10.0, -2.0, -6.0], [4.0, 4.0, 2.0]
    fit = trialmeta.pool(y, v, method="FE")
    res = trialmeta.influence(y, v, fit, trialmeta.leave_one_out(y, v, method="FE"))
    assert isinstance(res, trialmeta.InfluenceResult)
    np.testing.assert_allclose(res.hat, [0.25, 0.25, 0.5], rtol=1e-12)
    np.testing.assert_allclose(res.cook_d, [16 / 9, 16 / 9, 0.0], rtol=1e-12, atol=1e-12)


def test_review_helpers_live_in_their_subpackages():
    from trialmeta.data.validate import validate_path
    from trialmeta.effects.comparisons import build_comparisons

    for name in (
        "validate_path",
        "read_sheets",
        "build_comparisons",
        "reason_code",
        "plausibility_warnings",
        "coverage_sentence",
        "tsa_sentence",
    ):
        assert not hasattr(trialmeta, name), name
    assert callable(validate_path) and callable(build_comparisons)
