"""The binary example review (examples/lee2004) runs end to end through the workflow.

``snakemake --cores 2 --configfile examples/lee2004/config.yaml`` from a copy of the
repository's root layout. The pooled log risk ratio equals metafor 3.8-1's
``rma(measure="RR", ai, n1i, ci, n2i, data=dat.lee2004, method="REML", test="knha")``
(tests/reference/metafor_binary.json); the Summary of Findings gives the absolute effects
per 1000 from the median control-group risk; the forest plot is the binary one.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from _snakemake import run_example

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "lee2004"
RESULTS = Path("examples") / "lee2004" / "results"
REF = json.loads((ROOT / "tests" / "reference" / "metafor_binary.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A copy of the root layout the example expects, after one cold run."""
    return run_example(tmp_path_factory.mktemp("lee2004"), "lee2004")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_pooled_log_risk_ratio_equals_metafor(workdir):
    # metafor 3.8-1: rma(measure="RR", ai, bi, ci, di, method="REML", test="knha") on
    # dat.lee2004 (tests/reference/make_binary_reference.R)
    ref = next(
        c
        for c in REF["rma"]
        if c["dataset"] == "lee2004"
        and c["measure"] == "RR"
        and c["method"] == "REML"
        and c["test"] == "knha"
    )
    (row,) = [r for r in _rows(workdir / RESULTS / "pooled.csv") if r["analysis_type"] == "main"]
    assert (row["status"], int(row["k"]), int(row["n_participants"])) == ("pooled", 16, 1826)
    for key in ("estimate", "se", "ci_lb", "ci_ub", "tau2", "i2_percent", "q"):
        assert float(row[key]) == pytest.approx(ref[key], rel=1e-6), key


def test_summary_of_findings_gives_effects_per_1000(workdir):
    # assumed control risk: R median(dat.lee2004$ci / dat.lee2004$n2i) = 0.4217949 -> 422;
    # risk with P6 = 0.4217949 x exp(REML+knha log RR and its CI) (Handbook 14.1.5.1)
    ref = next(
        c
        for c in REF["rma"]
        if c["dataset"] == "lee2004"
        and c["measure"] == "RR"
        and c["method"] == "REML"
        and c["test"] == "knha"
    )
    (row,) = _rows(workdir / RESULTS / "summary_of_findings.csv")
    acr = 0.4217948718
    risks = [round(1000 * acr * math.exp(ref[k])) for k in ("estimate", "ci_lb", "ci_ub")]
    assert row["control_risk_per_1000"] == "422"
    assert row["intervention_risk_per_1000"] == f"{risks[0]} ({risks[1]} to {risks[2]})"
    rr = [math.exp(ref[k]) for k in ("estimate", "ci_lb", "ci_ub")]
    assert row["relative_effect"] == f"RR {rr[0]:.2f} ({rr[1]:.2f} to {rr[2]:.2f})"
    assert row["control_risk_source"] == "median control-group risk of the 16 included trials"
    md = (workdir / RESULTS / "summary_of_findings.md").read_text(encoding="utf-8")
    # GRADEpro's dichotomous layout: risk with the comparator and with the intervention per
    # 1000, the difference per 1000 beside it
    assert "| 422 per 1000 |" in md and "fewer per 1000" in md
    assert row["risk_control"] == "422 per 1000"
    assert row["risk_intervention"].startswith(f"{risks[0]} per 1000 ({risks[1]} to {risks[2]})")


def test_imprecision_is_judged_on_the_absolute_scale(workdir):
    res = json.loads((workdir / RESULTS / "analyses" / "nausea.json").read_text("utf-8"))
    (a,) = res["analyses"]
    imprecision = next(d for d in a["grade"]["domains"] if d["domain"] == "imprecision")
    assert (
        "per 1000" in imprecision["reason"] and "optimal information size" in imprecision["reason"]
    )
    assert a["absolute"]["control_risk"] == pytest.approx(0.4217948718, abs=1e-10)
    assert a["analysis"]["binary"]["mh"]["run"] is True


def test_forest_plot_is_the_binary_one(workdir):
    svg = (workdir / RESULTS / "figures" / "nausea" / "forest__nausea__p6_vs_sham.svg").read_text(
        encoding="utf-8"
    )
    for text in ("Risk Ratio", "Events", "Favours P6 stimulation", "Mantel-Haenszel (fixed)"):
        assert text in svg, text
