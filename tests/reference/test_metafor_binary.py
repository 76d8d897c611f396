"""trialmeta against metafor 3.8-1 for binary and continuous effect sizes, Mantel-Haenszel,
Peto and inverse-variance pooling of log RR/OR.

Reference values: tests/reference/metafor_binary.json, written at full precision by
tests/reference/make_binary_reference.R (each case records its R call). Tolerance:
relative 1e-6, absolute 1e-8 (tests/reference/README.md).
"""

from __future__ import annotations

import numpy as np
import pytest
from _compare import Pair, cached, check, flat, load, worst_by_section

import trialmeta

REF = load("metafor_binary.json")
TABLES, ARMS = REF["tables"], REF["arms"]
MH_FIELDS = ("estimate", "se", "ci_lb", "ci_ub", "pval", "q", "q_pval", "i2_percent", "h2",
             "cmh", "cmh_pval", "cochran", "cochran_pval", "breslow_day", "breslow_day_pval",
             "tarone", "tarone_pval")  # fmt: skip
PETO_FIELDS = ("estimate", "se", "ci_lb", "ci_ub", "pval", "q", "q_pval", "i2_percent", "h2")


def _counts(name: str) -> dict[str, list[float]]:
    return {c: TABLES[name][c] for c in ("ai", "bi", "ci", "di")}


def _arms(name: str) -> dict[str, list[float]]:
    return {c: ARMS[name][c] for c in ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")}


def _pair(x: list) -> object:
    return tuple(x)


@cached
def escalc_binary_pairs(case: dict) -> list[Pair]:
    # metafor 3.8-1: escalc(measure, ai, bi, ci, di, add, to, drop00, vtype)
    es = trialmeta.effect_sizes(
        case["measure"], **_counts(case["dataset"]), add=case["add"], to=case["to"],
        drop00=case["drop00"], vtype=case["vtype"],
    )  # fmt: skip
    return flat(es.yi, case["yi"], "yi") + flat(es.vi, case["vi"], "vi")


@cached
def escalc_continuous_pairs(case: dict) -> list[Pair]:
    # metafor 3.8-1: escalc(measure, m1i, sd1i, n1i, m2i, sd2i, n2i, vtype); "approx"/"none"
    # corrections: escalc's formulas with c(m) replaced (see make_binary_reference.R)
    es = trialmeta.effect_sizes(case["measure"], **_arms(case["dataset"]), vtype=case["vtype"],
                                correct=case["correct"])  # fmt: skip
    return flat(es.yi, case["yi"], "yi") + flat(es.vi, case["vi"], "vi")


@cached
def mh_pairs(case: dict) -> list[Pair]:
    # metafor 3.8-1: rma.mh(ai, bi, ci, di, measure, add, to, drop00, correct)
    r = trialmeta.pool_mh(case["measure"], **_counts(case["dataset"]), add=_pair(case["add"]),
                          to=_pair(case["to"]), drop00=_pair(case["drop00"]),
                          correct=case["correct"])  # fmt: skip
    if case["error"]:
        # metafor stops ("k = 0" once every table is dropped); we answer NaN with a flag
        assert np.isnan(r.estimate) and "no_tables_left_after_dropping_double_zeros" in r.flags
        return []
    assert (r.k, r.k_yi) == (case["k"], case["k_yi"])
    if case["measure"] == "OR" and case["estimate"] is not None:
        assert r.k_pos == case["k_pos"]
    return [(f, getattr(r, f), case[f]) for f in MH_FIELDS] + [("zval", r.stat, case["zval"])]


@cached
def peto_pairs(case: dict) -> list[Pair]:
    # metafor 3.8-1: rma.peto(ai, bi, ci, di, add, to, drop00)
    r = trialmeta.pool_peto(**_counts(case["dataset"]), add=_pair(case["add"]),
                            to=_pair(case["to"]), drop00=_pair(case["drop00"]))  # fmt: skip
    if case["error"]:
        # metafor stops: no events in any table, or no table left; NaN with a flag here
        assert np.isnan(r.estimate)
        assert {"peto_estimate_not_estimable"} <= set(r.flags)
        return []
    assert (r.k, r.k_yi) == (case["k"], case["k_yi"])
    return [(f, getattr(r, f), case[f]) for f in PETO_FIELDS] + [("zval", r.stat, case["zval"])]


@cached
def rma_pairs(case: dict) -> list[Pair]:
    # metafor 3.8-1: rma(measure, ai, bi, ci, di, method, test, control=tight): escalc's
    # defaults (add=1/2 to tables with a zero cell), then rma.uni on the estimable studies
    es = trialmeta.effect_sizes(case["measure"], **_counts(case["dataset"]))
    keep = es.estimable
    r = trialmeta.pool(es.yi[keep], es.vi[keep], method=case["method"], test=case["test"])
    assert r.k == case["k"]
    return [(f, getattr(r, f), case[f]) for f in
            ("estimate", "se", "ci_lb", "ci_ub", "pval", "tau2", "q", "i2_percent")]  # fmt: skip


SECTIONS = {
    "escalc_binary": escalc_binary_pairs,
    "escalc_continuous": escalc_continuous_pairs,
    "mh": mh_pairs,
    "peto": peto_pairs,
    "rma": rma_pairs,
}


def _id(case: dict) -> str:
    keys = ("dataset", "measure", "rule", "add", "to", "drop00", "vtype", "correct", "method",
            "test")  # fmt: skip
    return "-".join(str(case[k]) for k in keys if k in case)


@pytest.mark.parametrize("case", REF["escalc_binary"], ids=_id)
def test_binary_effect_sizes_match_escalc(case):
    check(escalc_binary_pairs(case))


@pytest.mark.parametrize("case", REF["escalc_continuous"], ids=_id)
def test_continuous_effect_sizes_match_escalc(case):
    check(escalc_continuous_pairs(case))


@pytest.mark.parametrize("case", REF["mh"], ids=_id)
def test_pool_mh_matches_rma_mh(case):
    check(mh_pairs(case))


@pytest.mark.parametrize("case", REF["peto"], ids=_id)
def test_pool_peto_matches_rma_peto(case):
    check(peto_pairs(case))


@pytest.mark.parametrize("case", REF["rma"], ids=_id)
def test_inverse_variance_pooling_of_log_ratios_matches_rma(case):
    check(rma_pairs(case))


def test_print_max_deviation_per_function(capsys):
    """Reports the largest relative deviation per function (for the issue note)."""
    worst = worst_by_section(SECTIONS, REF)
    with capsys.disabled():
        print("\nmax relative deviation from metafor:",
              {k: f"{v:.1e}" for k, v in sorted(worst.items())})  # fmt: skip
    assert max(worst.values()) <= 1e-6
