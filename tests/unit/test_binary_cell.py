"""The analysis cell of a binary outcome, from the sheets to the pooled numbers, against
metafor 3.8-1 on metadat::dat.lee2004 (examples/lee2004, the same counts).

Reference values: tests/reference/metafor_binary.json (tests/reference/make_binary_reference.R):
- ``rma(measure="RR", ai, bi, ci, di, method="REML", test="knha", control=tight)``;
- ``rma.mh(ai, bi, ci, di, measure="RR", add=c(0.5, 0), to=c("only0", "none"),
  drop00=c(TRUE, FALSE))`` and the same for OR;
- ``rma.peto(ai, bi, ci, di, add=c(0.5, 0), to=c("only0", "none"), drop00=c(TRUE, FALSE))``.
Tolerance: relative 1e-6 (tests/reference/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trialmeta.effects.comparisons import build_comparisons
from trialmeta.errors import InputError
from trialmeta.review.cell import AnalysisSpec, run_analysis
from trialmeta.review.codec import from_data, to_data
from trialmeta.review.config import ModelConfig
from trialmeta.review.results import CellResult
from trialmeta.stats.mantel_haenszel import MantelHaenszelResult
from trialmeta.stats.peto import PetoResult

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "examples" / "lee2004" / "data"
REF = json.loads((ROOT / "tests" / "reference" / "metafor_binary.json").read_text("utf-8"))
MODEL = ModelConfig(method="REML", test="knha", level=0.95, min_k=2)
OUTCOME = {
    "id": "nausea",
    "outcome": "nausea",
    "timepoint_weeks": {"min": 0, "max": 520, "target": 0, "include_untimed": True},
}
REL = 1e-6


def _cell(measure: str) -> CellResult:
    rows = build_comparisons(
        DATA,
        outcomes=[{**OUTCOME, "measure": measure}],
        comparisons=[{"id": "p6_vs_sham", "control_types": ["sham"]}],
        measure="MD",
    ).effects
    spec = AnalysisSpec(
        "nausea__p6_vs_sham",
        "nausea",
        "nausea",
        "p6_vs_sham",
        ("sham",),
        0,
        520,
        0,
        measure=measure,
    )
    return run_analysis(rows, spec, MODEL)


def _case(section: str, measure: str, **match: object) -> dict:
    return next(
        c
        for c in REF[section]
        if c["dataset"] == "lee2004"
        and c["measure"] == measure
        and all(c.get(k) == v for k, v in match.items())
    )


def _close(got: float, want: float) -> None:
    assert got == pytest.approx(want, rel=REL, abs=1e-10)


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_random_effects_on_the_log_scale_equal_metafor(measure):
    # metafor 3.8-1: rma(measure=measure, ai, bi, ci, di, method="REML", test="knha")
    ref = _case("rma", measure, method="REML", test="knha")
    p = _cell(measure).pooled
    assert p is not None and p.k == ref["k"] == 16
    for field in ("estimate", "se", "ci_lb", "ci_ub", "pval", "tau2", "q", "i2_percent"):
        _close(getattr(p, field), ref[field])


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_mantel_haenszel_and_peto_equal_metafor(measure):
    # metafor 3.8-1: rma.mh(ai, bi, ci, di, measure, add=c(0.5, 0), to=c("only0", "none"),
    # drop00=c(TRUE, FALSE), correct=TRUE); rma.peto(ai, bi, ci, di, same rule)
    b = _cell(measure).binary
    assert b is not None and isinstance(b.mh, MantelHaenszelResult)
    ref = _case("mh", measure, add=[0.5, 0], correct=True)
    for field in ("estimate", "se", "ci_lb", "ci_ub", "pval", "q", "i2_percent"):
        _close(getattr(b.mh, field), ref[field])
    peto = next(c for c in REF["peto"] if c["dataset"] == "lee2004" and c["add"] == [0.5, 0])
    assert isinstance(b.peto, PetoResult)
    for field in ("estimate", "se", "ci_lb", "ci_ub", "q"):
        _close(getattr(b.peto, field), peto[field])


def test_counts_and_median_control_risk():
    # R: with(dat.lee2004, c(sum(ai), sum(n1i), sum(ci), sum(n2i))) = 248 874 394 952;
    # median(dat.lee2004$ci / dat.lee2004$n2i) = 0.4217948718 (metadat 1.2-0)
    b = _cell("RR").binary
    assert b is not None
    assert (b.events_intervention, b.n_intervention) == (248, 874)
    assert (b.events_control, b.n_control) == (394, 952)
    assert b.median_control_risk == pytest.approx(0.4217948718, abs=1e-10)
    assert not b.rare_events
    assert "0.5 is added" in b.zero_cells


def test_binary_cell_round_trips_through_the_codec():
    cell = _cell("RR")
    back = from_data(CellResult, json.loads(json.dumps(to_data(cell))))
    assert back.binary is not None and cell.binary is not None
    assert back.binary.median_control_risk == cell.binary.median_control_risk
    assert isinstance(back.binary.mh, MantelHaenszelResult)
    assert back.binary.mh.estimate == cell.binary.mh.estimate


def test_double_zero_trial_is_left_out_of_a_ratio_and_kept_for_rd(tmp_path):
    # Cochrane Handbook v6.5, 10.4.4.1: a trial without events in either arm carries no
    # information on a risk or odds ratio (metafor escalc(..., drop00=TRUE))
    d = tmp_path / "data"
    d.mkdir()
    for name in ("studies.csv", "vocabulary.yaml"):
        (d / name).write_text((DATA / name).read_text("utf-8"), "utf-8")
    lines = (DATA / "arms.csv").read_text("utf-8").splitlines()
    header = lines[0].split(",")
    at = header.index("events")

    def zero(line: str) -> str:
        cells = line.split(",")
        cells[at] = "0"
        return ",".join(cells)

    lines[1], lines[2] = zero(lines[1]), zero(lines[2])  # Agarwal 2000: 0/100 vs 0/100
    (d / "arms.csv").write_text("\n".join(lines) + "\n", "utf-8")
    kw = {"comparisons": [{"id": "p6_vs_sham", "control_types": ["sham"]}], "measure": "MD"}
    rr = build_comparisons(d, outcomes=[{**OUTCOME, "measure": "RR"}], **kw)
    assert "Agarwal2000" not in set(rr.effects["study_id"])
    why = rr.accounting.loc[rr.accounting["study_id"] == "Agarwal2000", "reason_code"]
    assert why.tolist() == ["no events in either arm"]
    rd = build_comparisons(d, outcomes=[{**OUTCOME, "measure": "RD"}], **kw).effects
    row = rd.loc[rd["study_id"] == "Agarwal2000"].iloc[0]
    assert row["yi"] == 0 and "0.5 added to each cell" in row["derivation"]


def test_measure_must_fit_the_outcome_type():
    with pytest.raises(InputError, match=r"outcomes\[0\]\.measure.*RR, OR or RD"):
        build_comparisons(
            DATA,
            outcomes=[OUTCOME],
            measure="MD",
            comparisons=[{"id": "c", "control_types": ["sham"]}],
        )


def test_a_single_trial_has_its_counts_but_no_pooled_fit():
    # GRADEpro rates and reports a single trial's own result, so its 2x2 counts stay (the
    # Summary of Findings' per-1000 effects come from them); nothing is pooled
    rows = build_comparisons(
        DATA,
        outcomes=[{**OUTCOME, "measure": "RR"}],
        measure="MD",
        comparisons=[{"id": "c", "control_types": ["sham"]}],
    ).effects
    spec = AnalysisSpec("a", "nausea", "nausea", "c", ("sham",), 0, 520, 0, measure="RR")
    one = run_analysis(rows, spec, MODEL, study_subset=["Ho1996"])
    assert one.pooled is None and one.k == 1 and one.binary is not None
    assert (
        one.binary.events_intervention,
        one.binary.n_intervention,
        one.binary.events_control,
        one.binary.n_control,
    ) == (1.0, 30.0, 13.0, 30.0)


def test_mantel_haenszel_is_a_sensitivity_row_and_peto_only_when_events_are_rare():
    # Cochrane Handbook v6.5, 10.4.4 (M-H) and 10.4.4.2 (Peto when events < 1%); the
    # estimate is metafor's rma.mh(measure="RR") as above
    from trialmeta.review.sensitivity import binary_fits

    cell = _cell("RR")
    fits = binary_fits(cell)
    assert [f.label for f in fits] == ["Mantel-Haenszel (fixed)"]
    ref = _case("mh", "RR", add=[0.5, 0], correct=True)
    _close(fits[0].estimate, ref["estimate"])
    assert fits[0].robust is True and fits[0].kind == "model"
