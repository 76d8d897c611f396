"""The trial as the unit, add-on vs head-to-head, comparison members and data-quality flags.

Sources: Cochrane Handbook v6.5, 23.3.4 (multi-arm trials) and 6.5.2.10 (combining groups);
issue 8 sections 2-4. The shipped-data checks use values from data/arms.csv by hand.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from trialmeta.effects.comparisons import build_comparisons
from trialmeta.effects.conversions import combine_groups
from trialmeta.effects.data_quality import QualityRules
from trialmeta.effects.information import information_sd
from trialmeta.stats.pooling import pool

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def cfg():
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


@pytest.fixture(scope="module")
def shipped(cfg):
    return build_comparisons(
        ROOT / "data",
        outcomes=cfg["outcomes"],
        comparisons=cfg["comparisons"],
        data_quality=cfg["data_quality"],
    )


def _rows(cs, **kw):
    e = cs.effects
    for k, v in kw.items():
        e = e[e[k] == v]
    return e


def test_multi_arm_trial_contributes_one_combined_comparison(shipped):
    # Tam 2007: EA 5.7 (2.3) and TCA 5.1 (2.9), n 12 each, vs sham 5.1 (1.9) on 0-10 (x10)
    row = _rows(shipped, study_id="Tam2007", comparison="sham", outcome_id="pain_eot")
    assert len(row) == 1
    n, m, sd = combine_groups(12, 57, 23, 12, 51, 29)
    r = row.iloc[0]
    assert (r.n1, r.m1, r.sd1) == pytest.approx((n, m, sd))
    assert r.arm_id_1 == "EA+TCA" and r.arms_combined and r.sd1_derived
    for comp in ("sham", "usual_care", "active_add_on", "active_head_to_head"):
        per = shipped.effects[shipped.effects.comparison == comp]
        assert not per.duplicated(["study_id", "outcome_id"]).any(), comp


def test_split_is_the_option(cfg):
    cs = build_comparisons(
        ROOT / "data", outcomes=cfg["outcomes"], comparisons=cfg["comparisons"], multiarm="split"
    )
    rows = _rows(cs, study_id="Tam2007", comparison="sham", outcome_id="pain_eot")
    assert len(rows) == 2 and (rows.n2 == 6).all() and rows.n2_split.all()


def test_active_comparisons_split_by_design(shipped):
    add = _rows(shipped, comparison="active_add_on", outcome_id="pain_eot")
    h2h = _rows(shipped, comparison="active_head_to_head", outcome_id="pain_eot")
    assert set(add.study_id) == {"Sokunbi_NJMR", "Zaringhalam2010"}
    assert (add.active_design == "add_on").all() and (h2h.active_design == "head_to_head").all()
    sok = add[add.study_id == "Sokunbi_NJMR"].iloc[0]
    assert (sok.arm_id_1, sok.arm_id_2) == ("ACPT", "CPT")  # ACPT = acupuncture + CPT
    assert "Sokunbi_NJMR" in set(h2h.study_id) and "Jang2015" in set(h2h.study_id)


def test_members_rows_equal_their_standalone_twins(shipped, cfg):
    # issue 8 section 2: a subgroup equals its standalone analysis to 1e-12
    e = shipped.effects
    anyc = e[e.comparison == "any"]
    members = next(c for c in cfg["comparisons"] if c["id"] == "any")["members"]
    assert set(anyc.member) == set(members)
    for (oid, mem), sub in anyc.groupby(["outcome_id", "member"]):
        twin = e[(e.comparison == mem) & (e.outcome_id == oid)]
        assert len(sub) == len(twin)
        if len(sub) >= 2:
            a = pool(sub.yi.to_numpy(), sub.vi.to_numpy(), method="REML", test="knha")
            b = pool(twin.yi.to_numpy(), twin.vi.to_numpy(), method="REML", test="knha")
            assert abs(a.estimate - b.estimate) <= 1e-12 and abs(a.ci_lb - b.ci_lb) <= 1e-12


def test_data_quality_flags_are_booleans_per_row(shipped):
    e = shipped.effects
    sok = _rows(shipped, study_id="Sokunbi_NJMR", comparison="usual_care").iloc[0]
    assert sok.flag_sd_floor and sok.flagged  # SD 0.06/0.08 on 0-10: 0.6/0.8 on 0-100
    li = _rows(shipped, study_id="Li2016", outcome_id="function_fu_short").iloc[0]
    assert li.flag_sd_floor and li.flag_secondary_extraction  # ODI SDs 1.5/1.4
    jiang = _rows(shipped, study_id="Jiang2013", outcome_id="pain_eot").iloc[0]
    assert jiang.flag_identical_arms
    bishop = _rows(shipped, study_id="Bishop2016", outcome_id="function_eot")
    assert not bishop.flagged.any()  # 14.4-18.8: plausible ODI SDs
    for col in (
        "flag_sd_floor",
        "flag_sd_ratio",
        "flag_identical_arms",
        "flag_secondary_extraction",
        "flagged",
    ):
        assert e[col].map(type).eq(bool).all(), col


def test_rules_are_configurable(cfg):
    dq = {
        **cfg["data_quality"],
        "sd_floor": {"enabled": False, "fraction_of_range": 0.05},
        "sd_ratio": {"enabled": False, "ratio": 3, "min_other_trials": 2},
    }
    cs = build_comparisons(
        ROOT / "data", outcomes=cfg["outcomes"], comparisons=cfg["comparisons"], data_quality=dq
    )
    assert not cs.effects.flag_sd_floor.any() and not cs.effects.flag_sd_ratio.any()
    assert QualityRules().fraction_of_range == 0.05


def test_information_sd_never_uses_a_flagged_sd(shipped):
    # GRADE guidelines 6 (Guyatt et al., J Clin Epidemiol 2011;64:1283-1293), "Optimal
    # information size": the OIS needs a plausible SD, so an implausible (flagged) SD must
    # not shrink it; the config's external SD comes first when given
    e = _rows(shipped, comparison="usual_care", outcome_id="pain_eot")
    sd, why = information_sd(e.to_dict("records"), None)
    ok = e[~e.flagged]
    expected = np.median(np.sqrt((ok.sd1**2 + ok.sd2**2) / 2))
    assert sd == pytest.approx(expected) and "unflagged" in why
    assert sd > 10  # Sokunbi's 0.6-0.8 would have given an OIS of a few participants
    assert information_sd(e.to_dict("records"), 23.0) == (23.0, "external SD from the config")
    assert math.isnan(information_sd([], None)[0])


def test_k_counts_trials_and_m_comparisons():
    from trialmeta.effects.multiarm import trials_and_comparisons, unit_text

    assert trials_and_comparisons(["Tam2007", "Tam2007", "Bishop2016"]) == (2, 3)
    assert unit_text(["Tam2007", "Tam2007", "Bishop2016"]) == "2 trials (3 comparisons)"
    assert unit_text(["A", "B"]) == "2 trials"


def test_disability_across_odi_and_rmdq_as_one_outcome(cfg):
    # issue 8 section 7: an outcome may list several codes; RMDQ 0-24 (or 0-23) is rescaled
    # to 0-100 like every instrument (harmonise.py), DeBar's contrast x 100/24
    fn = [
        {
            "id": "function_eot",
            "outcome": ["odi", "rmdq"],
            "label": "Function 0-100",
            "timepoint": {"anchor": "end_of_treatment", "tolerance_weeks": 2},
            "timepoint_weeks": {"min": 0, "max": 12, "target": 8},
        }
    ]
    cs = build_comparisons(ROOT / "data", outcomes=fn, comparisons=cfg["comparisons"])
    e = cs.effects[cs.effects.comparison == "usual_care"]
    assert {"odi", "rmdq"} <= set(e.outcome)
    cherkin = e[e.study_id == "Cherkin2009"].iloc[0]  # 8 weeks after a 7-week course
    assert cherkin.arm_id_1 == "IND+STD" and cherkin.sd2 == pytest.approx(6.0 * 100 / 23)


def test_rows_carry_the_sheet_position_for_tsa_ordering(shipped):
    # a trial without a year enters the TSA at its studies.csv position (issue 8, section 6)
    e = shipped.effects
    sok = e[e.study_id == "Sokunbi_NJMR"]
    assert sok.year.isna().all() and (sok.study_position == 1).all()
    assert e.study_position.notna().all()
