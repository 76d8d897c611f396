"""The method of the shipped review at the level of the typed result (issue 8, "Done when"):
timepoints from each trial's course, no pooled total across comparator types, each
subgroup equal to its standalone twin, k counting trials, the excluding-flagged-data row,
TSA for every analysis with k >= 2 trials, the OIS SD never flagged, single trials rated,
RMDQ in the function outcome. Shipped data and config; simulations kept small."""

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from trialmeta.data.validate import read_vocabulary
from trialmeta.effects.comparisons import build_comparisons
from trialmeta.report.labels import label_map
from trialmeta.report.sof_build import sof_tables
from trialmeta.review.annotate import control_lookup, result_rob_lookup
from trialmeta.review.codec import NotRun, from_data, to_data
from trialmeta.review.config import load_config
from trialmeta.review.outcome import run_outcome
from trialmeta.review.results import OutcomeResult
from trialmeta.stats.tsa import TsaResult

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def cfg():
    c = load_config(
        [ROOT / "config" / "config.yaml"], ROOT / "workflow" / "schemas" / "config.schema.yaml"
    )
    return replace(
        c,
        simulation=replace(
            c.simulation, coverage_n_sim=100, permutations=100, gosh_max_subsets=1000
        ),
    )


@pytest.fixture(scope="module")
def results(cfg):
    vocabulary = read_vocabulary(ROOT / "data")
    effects = build_comparisons(
        ROOT / "data",
        outcomes=[to_data(o) for o in cfg.outcomes],
        comparisons=[to_data(c) for c in cfg.comparisons],
        data_quality=to_data(cfg.data_quality),
    ).effects
    rows = effects.astype(object).where(effects.notna(), None)
    rob = result_rob_lookup(pd.read_csv(ROOT / "data" / "risk_of_bias.csv", dtype=str), vocabulary)
    controls = control_lookup(pd.read_csv(ROOT / "data" / "arms.csv", dtype=str), vocabulary)
    return {o.id: run_outcome(rows, rob, cfg, o.id, controls) for o in cfg.outcomes}


def _analysis(results, aid):
    oid = aid.split("__")[0]
    return next(a for a in results[oid].analyses if a.analysis_id == aid)


def _all(results):
    return [a for r in results.values() for a in r.analyses]


def test_zaringhalam_enters_end_of_treatment_at_week_5(results):
    # issue 8 "Done when": AC vs C at MD -17.3 (week 5, "end of 5-week treatment")
    a = _analysis(results, "pain_eot__usual_care")
    row = next(r for r in a.effects if r.study_id == "Zaringhalam2010")
    assert row.yi == pytest.approx(-17.3, abs=0.05) and row.number("timepoint_weeks") == 5
    assert "end of treatment" in str(row.get("timepoint_rule"))


def test_no_pooled_total_across_comparator_types(results, cfg):
    for a in _all(results):
        if a.analysis.comparison != "any":
            continue
        assert a.subtotals_only and a.analysis.pooled is None and a.analysis.weights_percent == ()
        assert a.grade.level == 0 and a.grade.not_rated
        for step in (a.loo, a.baujat, a.small_study, a.tsa, a.gosh, a.coverage, a.two_trials):
            assert isinstance(step, NotRun)
        assert a.sensitivity == () and a.metareg == {} and a.flagged_trials == ()
        assert [sg.variable for sg in a.subgroups] in ([], ["member"])
    tables = sof_tables(cfg, list(results.values()), label_map(to_data(cfg)), {})
    assert tables and not [t for t in tables if t.comparison_id == "any"]
    assert not [row for t in tables for row in t.rows if row.analysis_id.endswith("__any")]


def test_each_subgroup_equals_its_standalone_twin(results):
    checked = 0
    for a in _all(results):
        for sg in a.subgroups:
            if sg.variable != "member":
                continue
            for member, fit in zip(sg.levels, sg.fits, strict=True):
                twin = _analysis(results, f"{a.analysis.outcome_id}__{member}").analysis
                assert (
                    fit.analysis.k == twin.k and fit.analysis.n_participants == twin.n_participants
                )
                assert fit.analysis.study_ids == twin.study_ids
                if twin.pooled is None:
                    assert fit.analysis.pooled is None
                    continue
                p, q = fit.analysis.pooled, twin.pooled
                for name in ("estimate", "se", "ci_lb", "ci_ub", "tau2", "i2_percent"):
                    assert abs(getattr(p, name) - getattr(q, name)) <= 1e-12, (member, name)
                checked += 1
    assert checked >= 4


def test_k_counts_trials(results):
    for a in _all(results):
        c = a.analysis
        assert c.k == len({r.study_id for r in a.effects})
        assert c.k_comparisons == len(a.effects)
    anyc = _analysis(results, "pain_eot__any").analysis
    assert anyc.k < anyc.k_comparisons  # Zaringhalam's three comparisons, one trial
    assert anyc.units_text == f"{anyc.k} trials ({anyc.k_comparisons} comparisons)"


def test_every_pooled_analysis_has_an_excluding_flagged_data_row(results):
    pooled = [a for a in _all(results) if a.analysis.pooled is not None]
    assert pooled
    for a in pooled:
        assert a.sensitivity[0].label == "excluding flagged data"


def test_removing_sokunbi_from_usual_care(results):
    # report-review 3.4: removing Sokunbi takes usual-care I2 from 88% to 0%
    a = _analysis(results, "pain_eot__usual_care")
    sok = next(f for f in a.flagged_trials if f.study_id == "Sokunbi_NJMR")
    assert "sd_floor" in sok.flags and sok.weight_percent > 25
    assert sok.main_i2_percent > 80 and sok.i2_percent == pytest.approx(0.0, abs=1e-9)


def test_tsa_for_every_analysis_with_two_or_more_trials(results):
    for a in _all(results):
        if a.analysis.pooled is not None and a.analysis.k >= 2:
            assert isinstance(a.tsa, TsaResult), a.analysis_id
            assert a.tsa.method == "REML" and a.tsa.test == "knha"
            lo, hi = a.analysis.pooled.ci_lb, a.analysis.pooled.ci_ub
            if lo <= 0 <= hi:  # never "boundary crossed" against a null primary result
                assert not a.tsa.crossed_monitoring
    uc = _analysis(results, "pain_eot__usual_care").tsa
    assert isinstance(uc, TsaResult) and any(uc.year_imputed)  # Sokunbi: no year


def test_ois_sd_is_external_with_its_citation(results):
    a = _analysis(results, "pain_eot__usual_care")
    assert a.ois_sd == 23 and "Cherkin" in a.ois_sd_source
    # 4 (1.96 + 0.84)^2 23^2 / 15^2 = 74 participants (GRADE guidelines 6), never 8
    assert a.grade.ois == pytest.approx(73.8, abs=0.1)


def test_single_trial_cells_are_rated(results):
    singles = [a for a in _all(results) if a.analysis.k == 1 and not a.subtotals_only]
    assert singles
    for a in singles:
        assert a.grade.basis == "single trial" and a.grade.level >= 1


def test_function_outcome_includes_rmdq_trials(results):
    studies = {r.study_id for a in results["function_eot"].analyses for r in a.effects}
    instruments = {
        str(r.get("instrument")) for a in results["function_eot"].analyses for r in a.effects
    }
    assert "RMDQ" in instruments and "ODI" in instruments, (studies, instruments)
    assert results["function_eot"].outcome.caveat is not None


def test_result_round_trips(results):
    r = results["pain_eot"]
    back = from_data(OutcomeResult, to_data(r))
    assert back.multi_arm == "combine"
    assert back.analyses[1].flagged_trials == r.analyses[1].flagged_trials
