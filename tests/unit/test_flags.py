"""Every Flag has a sentence and is raised by some input (none is dead vocabulary).

Each case names the estimator or review step that raises the flag; the inputs are
SYNTHETIC. A new Flag member without a case here fails ``test_every_flag_has_a_case``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import trialmeta
from trialmeta.errors import NotComputableError
from trialmeta.flags import FLAG_TEXT, Flag, describe
from trialmeta.review.cell import AnalysisSpec, run_analysis
from trialmeta.review.config import GradeRules, ModelConfig
from trialmeta.review.grading import tsa_check
from trialmeta.review.units import TrialUnits
from trialmeta.stats import likelihood
from trialmeta.stats import tau2 as tau2_module
from trialmeta.stats.heterogeneity import q_profile_ci
from trialmeta.stats.subgroups import subgroup_difference

Y = [0.1, 0.3, 0.35, 0.65, 0.2]
V = [0.01, 0.02, 0.015, 0.04, 0.03]


def _cell(yi: list[float], vi: list[float], min_k: int = 2) -> tuple[str, ...]:
    rows = pd.DataFrame(
        {
            "study_id": [f"S{i}" for i in range(len(yi))],
            "comparison": "sham",
            "outcome": "pain",
            "timepoint_weeks": 8.0,
            "yi": yi,
            "vi": vi,
        }
    )
    spec = AnalysisSpec("pain__sham", "pain", "pain", "sham", ("sham",), 0.0, 12.0, 8.0)
    return tuple(run_analysis(rows, spec, ModelConfig("REML", "knha", 0.95, min_k)).flags)


def _tsa_without_n() -> tuple[str, ...]:
    # review step: a trial with a between-group result only (no n) enters the TSA with the n
    # its variance implies (trialmeta.review.grading.tsa_check)
    units = TrialUnits(
        ("S1", "S2"),
        np.array([-5.0, -8.0]),
        np.array([20.0, 25.0]),
        np.array([60.0, np.nan]),
        np.array([2001.0, 2005.0]),
        np.array([1.0, 2.0]),
        ((0,), (1,)),
    )
    rules = GradeRules(25, 50, 6, 50, 0.1, 50, False, 0.05, 0.8, 10, 0.1, ())
    return tuple(
        tsa_check(
            units, units.labels, ModelConfig("REML", "knha", 0.95, 2), 10.0, 20.0, rules
        ).flags
    )


def _not_converged(monkeypatch: pytest.MonkeyPatch) -> tuple[str, ...]:
    # Fisher scoring stopped after 2 steps and no bracket for the score's root: the last
    # iterate is kept with converged=False (metafor warns instead of stopping).
    monkeypatch.setattr(tau2_module, "_MAXITER", 2)

    def no_bracket(f: Callable[[float], float], start: float) -> float:
        raise ArithmeticError("no sign change found for tau^2")

    monkeypatch.setattr(tau2_module, "_upper_bracket", no_bracket)
    fit = trialmeta.pool(
        [0.1, 0.3, 0.35, 0.65, 0.2, 0.9], [0.01, 0.02, 0.015, 0.04, 0.03, 0.09], method="REML"
    )
    assert not fit.converged
    return fit.flags


ZERO_CELLS = {"ai": [0, 4, 0], "n1i": [10, 20, 15], "ci": [3, 6, 0], "n2i": [12, 18, 15]}
MODS = [6.0, 10.0, 8.0, 4.0, 12.0]


def _pl_bound_open(monkeypatch: pytest.MonkeyPatch) -> tuple[str, ...]:
    # The likelihood falls as tau^2 grows, so the upper profile bound is always found;
    # a flat likelihood (patched) never reaches the cut-off below tau^2 = 1e300.
    fit = trialmeta.rma(Y, V, method="REML")
    top = likelihood.loglik_at(fit, fit.tau2, True)
    monkeypatch.setattr(likelihood, "loglik_at", lambda f, t, reml: top)
    return fit.confint().flags


def _tsa(mcid: float, yi: list[float], vi: list[float]) -> tuple[str, ...]:
    return trialmeta.trial_sequential_analysis(
        yi, vi, [40, 40], [2001, 2002], mcid=mcid, sd=25.0, method="FE"
    ).flags


CASES: dict[Flag, Callable[[pytest.MonkeyPatch], tuple[str, ...]]] = {
    Flag.K1: lambda mp: trialmeta.pool([1.0], [0.5]).flags,
    Flag.K_LT_3_NO_PI: lambda mp: trialmeta.pool([1.0, 2.0], [0.5, 0.4]).flags,
    Flag.K_LT_10: lambda mp: trialmeta.egger_test(Y, V).flags,
    Flag.TAU2_BOUNDARY: lambda mp: trialmeta.pool([1.0, 1.01, 0.99], [0.5, 0.4, 0.6]).flags,
    Flag.FALLBACK_SOLVER: lambda mp: (
        mp.setattr(tau2_module, "_MAXITER", 2),
        trialmeta.pool(Y, V, method="REML").flags,
    )[1],
    Flag.NOT_CONVERGED: _not_converged,
    Flag.TAU2_BEYOND_METAFOR_MAX: lambda mp: (
        trialmeta.pool([-100.0, 100.0, 0.0], [1, 1, 1], method="PM").flags
    ),
    Flag.KNHA_FE: lambda mp: trialmeta.pool(Y, V, method="FE", test="knha").flags,
    Flag.KNHA_ZERO_RSS: lambda mp: (
        trialmeta.pool([1.0, 1.0, 1.0], [0.1, 0.2, 0.3], test="knha").flags
    ),
    # |yi| ~ 1e150: Q(tau²) stays above the chi² target up to tau² = 1e300 in floating point
    # (pool() refuses such data first: NOT_COMPUTABLE_RANGE; the interval function is direct)
    Flag.TAU2_CI_UPPER_OPEN: lambda mp: (
        q_profile_ci(np.array([1e150, -1e150, 0.0]), np.ones(3), np.ones((3, 1)), 0.95).flags
    ),
    # two studies, two coefficients: no residual df for the Q-profile interval
    Flag.NO_HETEROGENEITY_DF: lambda mp: (
        q_profile_ci(
            np.array([1.0, 2.0]), np.array([0.1, 0.2]), np.array([[1.0, 0.0], [1.0, 1.0]]), 0.95
        ).flags
    ),
    Flag.EGGER_EXACT_FIT: lambda mp: trialmeta.egger_test([1.0, 1.0, 1.0], [0.1, 0.2, 0.3]).flags,
    Flag.K_BELOW_MIN_K: lambda mp: _cell([0.1], [0.01]),
    Flag.POOLING_FAILED: lambda mp: (
        mp.setattr("trialmeta.review.cell.pool", _reject),
        _cell(Y, V),
    )[1],
    Flag.FEWER_THAN_2_SUBGROUPS: lambda mp: subgroup_difference([1.0], [0.5]).flags,
    Flag.TSA_RIS_NOT_REACHED: lambda mp: _tsa(10.0, [-8.0, -12.0], [60.0, 80.0]),
    Flag.TSA_CONVENTIONAL_ONLY: lambda mp: _tsa(2.0, [-9.0, -7.0], [25.0, 20.0]),
    Flag.TSA_YEAR_MISSING: lambda mp: (
        trialmeta.trial_sequential_analysis(
            [-8.0, -12.0, -3.0],
            [30.0, 40.0, 20.0],
            [40, 36, 60],
            [2008, float("nan"), 2014],
            mcid=10,
            sd=20,
        ).flags
    ),
    # Wald z crosses at the first look; Hartung-Knapp with df = 1 is not significant at the last
    Flag.TSA_CROSSED_EARLIER: lambda mp: (
        trialmeta.trial_sequential_analysis(
            [-9.0, -5.0],
            [4.0, 3.0],
            [400, 420],
            [2010, 2012],
            mcid=10,
            sd=20,
            method="REML",
            test="knha",
        ).flags
    ),
    Flag.TSA_FUTILITY: lambda mp: (
        trialmeta.trial_sequential_analysis(
            [0.5, -0.3, 0.2],
            [2.0, 2.5, 2.2],
            [300, 280, 310],
            [2001, 2005, 2009],
            mcid=10,
            sd=20,
            method="REML",
            test="knha",
        ).flags
    ),
    Flag.TSA_N_FROM_VARIANCE: lambda mp: _tsa_without_n(),
    Flag.VI_RATIO_EXTREME: lambda mp: trialmeta.pool([1.0, 2.0, 3.0], [1e-8, 1.0, 1.0]).flags,
    Flag.NOT_COMPUTABLE_RANGE: lambda mp: _refused(
        lambda: trialmeta.pool([1e150, -1e150, 0.0], [1, 1, 1])
    ),
    Flag.EGGER_SEI_CONSTANT: lambda mp: trialmeta.egger_test(Y, [0.1] * 5).flags,
    Flag.BEGG_ALL_TIED: lambda mp: trialmeta.begg_test([1.0, 1.0, 1.0], [0.1, 0.2, 0.3]).flags,
    Flag.BEGG_NORMAL_LARGE_K: lambda mp: (
        trialmeta.begg_test(np.linspace(-1, 1, 501), np.linspace(0.1, 0.6, 501)).flags
    ),
    Flag.TRIMFILL_SIDE_UNDEFINED: lambda mp: _refused(
        lambda: trialmeta.trim_and_fill(Y, [0.1] * 5)
    ),
    # binary effect sizes, Mantel-Haenszel and Peto (2x2 counts)
    Flag.ZERO_CELLS_CORRECTED: lambda mp: trialmeta.effect_sizes("OR", **ZERO_CELLS).flags,
    Flag.DOUBLE_ZERO_DROPPED: lambda mp: (
        trialmeta.effect_sizes("OR", **ZERO_CELLS, drop00=True).flags
    ),
    Flag.EFFECT_NOT_ESTIMABLE: lambda mp: (
        trialmeta.effect_sizes("OR", **ZERO_CELLS, to="none").flags
    ),
    Flag.MH_NOT_ESTIMABLE: lambda mp: (
        trialmeta.pool_mh("OR", ai=[0, 0], n1i=[10, 12], ci=[2, 1], n2i=[11, 12]).flags
    ),
    Flag.MH_TARONE_UNDEFINED: lambda mp: (
        trialmeta.pool_mh("OR", ai=[12], n1i=[50], ci=[20], n2i=[48]).flags
    ),
    Flag.PETO_NOT_ESTIMABLE: lambda mp: (
        trialmeta.pool_peto(ai=[0, 0], n1i=[10, 12], ci=[0, 0], n2i=[11, 12]).flags
    ),
    Flag.NO_TABLES_LEFT: lambda mp: (
        trialmeta.pool_mh(
            "OR", ai=[0, 0], n1i=[10, 12], ci=[0, 0], n2i=[11, 12], drop00=(True, True)
        ).flags
    ),
    # rma() and its methods
    Flag.TAU2_FIXED: lambda mp: trialmeta.pool(Y, V, tau2=0.01).flags,
    Flag.USER_WEIGHTS: lambda mp: trialmeta.pool(Y, V, method="DL", weights=[1, 2, 3, 4, 5]).flags,
    Flag.TAU2_PL_BOUND_OPEN: _pl_bound_open,
    Flag.LRT_REML_FIXED_DIFFER: lambda mp: (
        trialmeta.anova(trialmeta.rma(Y, V, mods=MODS), trialmeta.rma(Y, V)).flags
    ),
    Flag.PI_DF_TOO_SMALL: lambda mp: (
        trialmeta.rma(Y[:3], V[:3], mods=MODS[:3], method="DL").predict([7.0]).flags
    ),
    # the lowest study carries nearly all the weight: every other one lies above the estimate
    Flag.TRIMFILL_R0_ONE_SIDED: lambda mp: (
        trialmeta.trim_and_fill(
            [0.0, 1.0, 2.0, 3.0], [1e-14, 1.0, 1.0, 1.0], method="FE", estimator="R0", side="left"
        ).flags
    ),
    # deleting the one study with dummy = 1 leaves a design without full rank
    Flag.REFIT_FAILED: lambda mp: (
        trialmeta.rma(Y, V, mods=[0, 0, 0, 1, 0], method="DL").influence().flags
    ),
    Flag.REGTEST_COLLINEAR: lambda mp: trialmeta.regtest(Y, [0.1] * 5, predictor="sei").flags,
}


def _refused(call: Callable[[], object]) -> tuple[str, ...]:
    """The flag a NotComputableError carries (valid input beyond what can be computed)."""
    with pytest.raises(NotComputableError) as err:
        call()
    return (err.value.flag,) if err.value.flag else ()


def _reject(*args: object, **kwargs: object) -> object:
    raise trialmeta.InputError("vi", 0.0, "a number > 0", row=0)


def test_every_flag_has_a_sentence_and_a_case():
    assert set(FLAG_TEXT) == set(Flag) == set(CASES)
    assert all(f.sentence and f.sentence == describe(f.value) for f in Flag)
    assert describe("unknown_synthetic_code") == "unknown_synthetic_code"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # |yi| ~ 1e150 overflows squares
@pytest.mark.parametrize("flag", list(Flag), ids=str)
def test_flag_is_raised(flag: Flag, monkeypatch: pytest.MonkeyPatch):
    assert flag in CASES[flag](monkeypatch)


def test_flags_are_strings_in_json():
    fit = trialmeta.pool([1.0], [0.5])
    assert np.all([isinstance(f, str) for f in fit.to_dict()["flags"]])
    assert "k_eq_1" in fit.to_dict()["flags"]
