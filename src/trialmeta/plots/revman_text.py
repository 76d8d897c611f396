"""RevMan 5 wording of forest-plot numbers: P values, estimate [CI], footer lines.

RevMan prints ``P < 0.00001`` below that bound, two decimals from 0.01 and one
significant digit below; Tau², Chi², Z and t with two decimals; I² as a whole
percent (one decimal for the test for subgroup differences). Review Manager
(RevMan) 5.4, The Cochrane Collaboration, 2020.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from trialmeta.stats.results import PooledResult

__all__ = [
    "SubgroupTest",
    "format_p",
    "format_estimate_ci",
    "heterogeneity_text",
    "overall_effect_text",
    "subgroup_test_text",
]


class SubgroupTest(Protocol):
    """Anything with ``q``, ``df``, ``pval``: e.g. ``trialmeta.subgroups.SubgroupDifference``."""

    q: float
    df: int
    pval: float


def _num(x: float, digits: int) -> str:
    s = f"{x:.{digits}f}"
    s = "0." + "0" * digits if s == "-0." + "0" * digits else s  # no "-0.00"
    return s.replace("-", "\u2212")  # a true minus sign


def format_p(p: float) -> str:
    """RevMan's P: ``P < 0.00001``; 2 decimals from 0.01; else one significant digit."""
    if p is None or not math.isfinite(p):
        return "P = NA"
    if p < 0.00001:
        return "P < 0.00001"
    if p >= 0.01:
        return f"P = {p:.2f}"
    return "P = " + np.format_float_positional(float(f"{p:.1g}"), trim="-")


def format_estimate_ci(estimate: float, lb: float, ub: float, digits: int = 2) -> str:
    """``−12.30 [−20.10, −4.50]``; ``Not estimable`` when the estimate or a bound is missing."""
    if not all(math.isfinite(v) for v in (estimate, lb, ub)):
        return "Not estimable"
    return f"{_num(estimate, digits)} [{_num(lb, digits)}, {_num(ub, digits)}]"


def heterogeneity_text(result: PooledResult) -> str:
    """``Heterogeneity: Tau² = 12.34; Chi² = 5.67, df = 3 (P = 0.13); I² = 47%``.

    Tau² is omitted for a common-effect (``FE``) model, as RevMan does; with a
    single study heterogeneity is ``Not applicable``.
    """
    if result.k < 2 or not math.isfinite(result.q):
        return "Heterogeneity: Not applicable"
    chi = f"Chi² = {result.q:.2f}, df = {result.q_df} ({format_p(result.q_pval)})"
    i2 = f"I² = {result.i2_percent:.0f}%"
    if result.method == "FE":
        return f"Heterogeneity: {chi}; {i2}"
    return f"Heterogeneity: Tau² = {result.tau2:.2f}; {chi}; {i2}"


def overall_effect_text(result: PooledResult) -> str:
    """``Test for overall effect: Z = 2.10 (P = 0.04)`` or ``t = 2.10, df = 4 (...)`` (knha)."""
    if not math.isfinite(result.stat):
        return "Test for overall effect: Not applicable"
    if result.test == "knha":
        return (
            f"Test for overall effect: t = {abs(result.stat):.2f}, df = {result.df:.0f} "
            f"({format_p(result.pval)})"
        )
    return f"Test for overall effect: Z = {abs(result.stat):.2f} ({format_p(result.pval)})"


def subgroup_test_text(test: SubgroupTest) -> str:
    """``Test for subgroup differences: Chi² = 1.23, df = 2 (P = 0.54), I² = 0%``; "Not
    applicable" with fewer than two estimable subgroups (RevMan's wording)."""
    if test.df < 1 or not math.isfinite(test.q):
        return "Test for subgroup differences: Not applicable"
    i2 = max(0.0, (test.q - test.df) / test.q) * 100.0 if test.q > 0 else 0.0
    return (
        f"Test for subgroup differences: Chi² = {test.q:.2f}, df = {test.df} "
        f"({format_p(test.pval)}), I² = {i2:.1f}%"
    )
