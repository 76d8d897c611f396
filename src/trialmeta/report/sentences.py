"""Plain sentences about the simulation checks and the trial sequential analysis, for the
limitations summary and the report (the estimators return numbers only)."""

from __future__ import annotations

import math

import numpy as np

from trialmeta.errors import InputError
from trialmeta.report.text import TEST_LABELS, compact, level_percent
from trialmeta.resampling.coverage import CoverageResult
from trialmeta.review.results import CoverageCheck, GoshSummary
from trialmeta.stats.tsa import CONVENTIONAL_ONLY, MONITORING, TsaResult

__all__ = ["coverage_check_sentence", "coverage_sentence", "gosh_sentence", "tsa_sentence"]


def coverage_sentence(result: CoverageResult, test: str | None = None, tau2_index: int = 0) -> str:
    """One plain sentence on a coverage simulation.

    Example: ``"With 4 trials of this size, a nominal 95% CI (REML, Knapp-Hartung)
    covers the true effect about 89% of the time, and the 95% prediction
    interval covers a new trial's effect about 93% (simulated, 10,000
    meta-analyses at tau² = 0.031)."``
    """
    test = result.tests[-1] if test is None else test
    if test not in result.tests:
        raise InputError("test", test, "one of " + ", ".join(result.tests))
    if not 0 <= tau2_index < result.tau2_values.size:
        raise InputError("tau2_index", tau2_index, f"0 to {result.tau2_values.size - 1}")
    b = result.tests.index(test)
    nominal = level_percent(result.level)
    ci = result.ci_coverage[tau2_index, b] * 100
    trials = "trial" if result.k == 1 else "trials"
    text = (
        f"With {result.k} {trials} of this size, a nominal {nominal} CI "
        f"({result.method}, {TEST_LABELS[test].short}) covers the true effect about {ci:.0f}% "
        "of the time"
    )
    pi = result.pi_coverage[tau2_index, b]
    if np.isfinite(pi):
        text += (
            f", and the {nominal} prediction interval covers a new trial's effect about "
            f"{pi * 100:.0f}%"
        )
    else:
        text += "; with fewer than 3 trials there is no prediction interval"
    tau2 = result.tau2_values[tau2_index]
    return text + f" (simulated, {result.n_sim:,} meta-analyses at tau² = {tau2:.3g})."


def coverage_check_sentence(check: CoverageCheck) -> str:
    """:func:`coverage_sentence` at the τ² estimate, then the range over the τ² CI and, when
    the analysis uses knha, the z-based interval's coverage for contrast."""
    r, test = check.result, check.test
    b = r.tests.index(test)
    text = coverage_sentence(r, test, 0)
    bounds = [i for i, n in enumerate(check.tau2_points) if n != "estimate"]
    if bounds:
        at = " and ".join(compact(float(r.tau2_values[i])) for i in bounds)
        cov = " and ".join(f"{100 * r.ci_coverage[i, b]:.0f}%" for i in bounds)
        text += f" At the bounds of the tau² CI ({at}) it covers about {cov}."
    if test != "z":
        z = 100 * r.ci_coverage[0, r.tests.index("z")]
        text += f" A {TEST_LABELS['z'].short} CI would cover about {z:.0f}%."
    return text


def gosh_sentence(g: GoshSummary) -> str:
    """Plain sentence on a GOSH summary.

    A driver is a trial whose inclusion shifts the mean subset estimate or I² by at least
    ``driver_threshold`` standard deviations (:mod:`trialmeta.resampling.gosh`).
    """
    how = ("all" if g.exhaustive else "a random sample of") + f" {g.n_subsets:,} subsets"
    head = f"GOSH ({g.method}, {how} of {g.k} trials): "
    share = f"{g.outlying_percent:.0f}% of subsets lie apart from the main cloud"
    if not g.drivers:
        return (
            head + "no single trial shifts the subset estimates or I² by a standard "
            f"deviation or more; {share}."
        )
    parts: list[str] = []
    for name in g.drivers:
        j = g.labels.index(name)
        de, di = float(g.shift_estimate[j]), float(g.shift_i2[j])
        what = ("the mean subset estimate moves by", "I² by") if not parts else ("by", "")
        parts.append(
            f"with {name} in, {what[0]} {de:+.1f} and {what[1]} {di:+.0f} points".replace("  ", " ")
        )
    n = len(g.drivers)
    return (
        head + f"{n} trial{'s' if n > 1 else ''} drive{'' if n > 1 else 's'} the spread of "
        f"subset results ({'; '.join(parts)}); {share}."
    )


def tsa_sentence(result: TsaResult) -> str:
    """One sentence for the limitations summary.

    Examples: "accrued information is 31% of the required 1,120 participants;
    the boundary was not crossed". A monitoring crossing is stated only when the primary
    test agrees (:class:`TsaResult`), futility when the z-curve is inside the inner wedge.
    """
    ris = f"{math.ceil(result.ris - 1e-9):,}"
    pct = 100.0 * result.accrued_fraction
    if result.accrued_fraction >= 1.0:
        head = (
            f"accrued information ({int(result.cumulative_n[-1]):,} participants) "
            f"exceeds the required {ris} participants"
        )
    else:
        head = f"accrued information is {pct:.0f}% of the required {ris} participants"
    if result.status == MONITORING:
        tail = "the z-curve crossed the trial sequential monitoring boundary"
    elif result.status == CONVENTIONAL_ONLY:
        tail = (
            f"the z-curve crossed the conventional boundary (|z| = {result.conventional_z:.2f}) "
            "but not the monitoring boundary"
        )
    elif result.crossed_futility:
        tail = (
            f"the z-curve lies inside the futility boundaries, so an effect of "
            f"{result.mcid:g} points (the MCID) has become unlikely"
        )
    elif result.accrued_fraction >= 1.0:
        tail = (
            f"no boundary was crossed although the required information size is reached, so "
            f"an effect of {result.mcid:g} points (the MCID) is unlikely"
        )
    else:
        tail = "the boundary was not crossed"
    return f"{head}; {tail}"
