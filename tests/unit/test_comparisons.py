"""build_comparisons: pairing, harmonisation, multi-arm handling, exclusions, ledger.

Synthetic sheets are built in tmp_path (named SYNTHETIC); shipped-data tests check rows
whose expected values follow from the sources by hand arithmetic.
"""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import pytest
from scipy import stats

from trialmeta.data.validate import read_sheets
from trialmeta.effects.comparisons import build_comparisons
from trialmeta.effects.conversions import combine_groups, mean_sd_from_quantiles
from trialmeta.effects.escalc import effect_sizes

DATA = Path(__file__).parents[2] / "data"
Z = stats.norm.ppf(0.975)

STUDY = {
    "study_id": "Synth1",
    "authors": "SYNTHETIC",
    "year": "2020",
    "title": "",
    "journal": "",
    "doi": "",
    "pmid": "",
    "country": "",
    "population": "CLBP",
    "design": "parallel_rct",
    "funding": "",
    "source": "synthetic",
    "verification": "primary_verbatim",
}
ARM = {
    "study_id": "Synth1",
    "arm_id": "ACU",
    "arm_type": "acupuncture",
    "intervention": "acu",
    "technique": "manual",
    "cointervention": "",
    "n_sessions": "10",
    "treatment_weeks": "5",
    "outcome": "pain",
    "instrument": "VAS",
    "scale_min": "0",
    "scale_max": "100",
    "higher_is_worse": "true",
    "timepoint_weeks": "8",
    "measure": "final",
    "change_sign": "",
    "n": "20",
    "mean": "",
    "sd": "",
    "se": "",
    "ci_lb": "",
    "ci_ub": "",
    "median": "",
    "q1": "",
    "q3": "",
    "min": "",
    "max": "",
    "source": "synthetic",
    "source_location": "synthetic",
    "timepoint_label": "",
}


def arm(**kw) -> dict:
    row = dict(ARM)
    if kw.get("arm_type", "acupuncture") not in ("acupuncture", "electroacupuncture"):
        row["technique"] = ""
    row.update({k: str(v) for k, v in kw.items()})
    return row


def write(
    tmp: Path,
    arms: list[dict],
    studies: list[dict] | None = None,
    contrasts: list[dict] | None = None,
) -> Path:
    """A valid synthetic data directory (the sheets and the shipped vocabulary.yaml)."""
    shutil.copy(DATA / "vocabulary.yaml", tmp / "vocabulary.yaml")
    for name, rows in (("studies", studies or [STUDY]), ("arms", arms), ("contrasts", contrasts)):
        if rows is None:
            continue
        with open(tmp / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    read_sheets(tmp)  # valid, else the test data is wrong
    return tmp


def test_vas_0_10_harmonised_to_0_100(tmp_path):
    # DESIGN/issue 3: VAS 0-10 cm -> 0-100; MD yi = m1 - m2, vi = sd1²/n1 + sd2²/n2 (escalc MD)
    s = write(
        tmp_path,
        [
            arm(scale_max=10, mean=4, sd=2),
            arm(arm_id="SH", arm_type="sham", scale_max=10, mean=5, sd=2),
        ],
    )
    e = build_comparisons(s).effects.iloc[0]
    assert (e.m1, e.sd1, e.m2) == (40, 20, 50)
    assert e.yi == pytest.approx(-10.0)
    assert e.vi == pytest.approx(20**2 / 20 + 20**2 / 20)
    assert "VAS 0-10" in e.derivation and "x10" in e.derivation


def test_odi_raw_0_50_to_percent(tmp_path):
    # issue 3: ODI raw 0-50 -> 0-100 %
    s = write(
        tmp_path,
        [
            arm(outcome="odi", instrument="ODI", scale_max=50, mean=10, sd=5),
            arm(
                arm_id="UC",
                arm_type="usual_care",
                outcome="odi",
                instrument="ODI",
                scale_max=50,
                mean=14,
                sd=5,
            ),
        ],
    )
    e = build_comparisons(s).effects.iloc[0]
    assert e.yi == pytest.approx(-8.0) and e.sd1 == pytest.approx(10.0)


def test_direction_aligned_when_higher_is_better(tmp_path):
    # a negative MD must favour acupuncture whatever the instrument's direction
    s = write(
        tmp_path,
        [
            arm(higher_is_worse="false", mean=60, sd=10),
            arm(arm_id="SH", arm_type="sham", higher_is_worse="false", mean=50, sd=10),
        ],
    )
    e = build_comparisons(s).effects.iloc[0]
    assert e.yi == pytest.approx(-10.0)
    assert "sign flipped" in e.derivation


def test_change_reported_as_decrease(tmp_path):
    # Brinkhaus-style "decreased by": positive = improvement -> sign flipped
    s = write(
        tmp_path,
        [
            arm(measure="change", change_sign="baseline_minus_post", mean=28.7, sd=30.3),
            arm(
                arm_id="SH",
                arm_type="sham",
                measure="change",
                change_sign="baseline_minus_post",
                mean=23.6,
                sd=31.0,
            ),
        ],
    )
    assert build_comparisons(s).effects.iloc[0].yi == pytest.approx(-5.1)


def test_sd_from_ci_is_t_based_and_recorded(tmp_path):
    # Handbook 6.5.2.2: n < 60 -> t with n - 1 df; ledger names it
    s = write(
        tmp_path,
        [
            arm(n=25, mean=40, ci_lb=35, ci_ub=45),
            arm(arm_id="SH", arm_type="sham", n=25, mean=50, sd=12),
        ],
    )
    e = build_comparisons(s).effects.iloc[0]
    sd = math.sqrt(25) * 10 / (2 * stats.t.ppf(0.975, 24))
    assert e.sd1 == pytest.approx(sd)
    assert "ACU: sd from 95% CI (t, df=24)" in e.derivation


def test_median_iqr_converted_with_conv_fivenum_defaults(tmp_path):
    # Luo 2018 / Wan 2014 via mean_sd_from_quantiles; the ledger names both
    s = write(
        tmp_path,
        [
            arm(n=40, median=40, q1=30, q3=52),
            arm(arm_id="SH", arm_type="sham", n=40, mean=50, sd=15),
        ],
    )
    e = build_comparisons(s).effects.iloc[0]
    q = mean_sd_from_quantiles(40, 40, q1=30, q3=52)
    assert (e.m1, e.sd1) == pytest.approx((q.mean, q.sd))
    assert "Luo 2018" in e.derivation and "Wan 2014" in e.derivation


@pytest.mark.parametrize(
    "acu, ctl, code",
    [
        ({"n": ""}, {}, "n not reported"),
        ({"sd": ""}, {}, "no SD and no CI"),
        ({"sd": "", "mean": "", "median": "40"}, {}, "median without IQR or range"),
        ({"cointervention": "physiotherapy"}, {}, "cointervention differs between arms"),
        ({"scale_max": ""}, {"scale_max": ""}, "scale range not reported (SMD only)"),
    ],
)
def test_excluded_with_reason(tmp_path, acu, ctl, code):
    s = write(
        tmp_path,
        [
            arm(**{"mean": 40, "sd": 10, **acu}),
            arm(arm_id="SH", arm_type="sham", mean=50, sd=10, **ctl),
        ],
    )
    cs = build_comparisons(s)
    assert cs.effects.empty
    row = cs.accounting.iloc[0]
    assert row.status == "excluded" and row.reason_code == code
    assert cs.counts["excluded_by_reason"] == {code: 1}


def test_add_on_design_is_a_valid_comparison(tmp_path):
    # A + B vs B isolates A (cointervention of the acupuncture arm = control intervention)
    s = write(
        tmp_path,
        [
            arm(cointervention="physiotherapy", mean=40, sd=10),
            arm(arm_id="PT", arm_type="active", intervention="physiotherapy (PT)", mean=50, sd=10),
        ],
    )
    assert len(build_comparisons(s).effects) == 1


def _three_arm(tmp_path):
    return write(
        tmp_path,
        [
            arm(mean=40, sd=10, n=30),
            arm(arm_id="ACU2", mean=44, sd=12, n=30),
            arm(arm_id="SH", arm_type="sham", mean=50, sd=11, n=30),
        ],
    )


def test_multiarm_split_divides_shared_control(tmp_path):
    # Handbook 23.3.4: split the shared group's n so no participant counts twice
    cs = build_comparisons(_three_arm(tmp_path), multiarm="split")
    e = cs.effects
    assert len(e) == 2 and (e.n2 == 15).all()
    assert e.vi.iloc[0] == pytest.approx(10**2 / 30 + 11**2 / 15)
    assert e.multiarm.str.contains("SH n 30 split 2 ways").all()


def test_multiarm_combine_merges_arms(tmp_path):
    # Handbook 6.5.2.10: combine the two acupuncture arms into one group
    cs = build_comparisons(_three_arm(tmp_path), multiarm="combine")
    e = cs.effects
    assert len(e) == 1
    n, m, sd = combine_groups(30, 40, 10, 30, 44, 12)
    assert (e.n1.iloc[0], e.m1.iloc[0], e.sd1.iloc[0]) == pytest.approx((n, m, sd))
    assert e.arm_id_1.iloc[0] == "ACU+ACU2"
    assert (cs.accounting.reason_code == "merged into a combined comparison").sum() == 1


def test_smd_never_mixes_change_and_final(tmp_path):
    studies = [dict(STUDY, study_id=f"Synth{i}") for i in (1, 2, 3)]
    arms = []
    for i, measure in ((1, "final"), (2, "change"), (3, "final")):
        sign = "post_minus_baseline" if measure == "change" else ""
        for aid, atype, mean in (("ACU", "acupuncture", 40), ("SH", "sham", 50)):
            arms.append(
                arm(
                    study_id=f"Synth{i}",
                    arm_id=aid,
                    arm_type=atype,
                    measure=measure,
                    change_sign=sign,
                    mean=mean - (60 if sign else 0),
                    sd=10,
                )
            )
    s = write(tmp_path, arms, studies=studies)
    assert len(build_comparisons(s, measure="MD").effects) == 3  # MD may mix
    cs = build_comparisons(s, measure="SMD")
    assert set(cs.effects.measure) == {"final"} and len(cs.effects) == 2
    assert "score type differs (SMD)" in set(cs.accounting.reason_code)
    g = effect_sizes("SMD", m1i=[40], sd1i=[10], n1i=[20], m2i=[50], sd2i=[10], n2i=[20])
    assert cs.effects.yi.iloc[0] == pytest.approx(g.yi[0])


def test_windows_pick_closest_to_target(tmp_path):
    arms = []
    for week in (4, 6, 10):
        for aid, atype in (("ACU", "acupuncture"), ("SH", "sham")):
            arms.append(arm(arm_id=aid, arm_type=atype, timepoint_weeks=week, mean=40, sd=10))
    arms.append(arm(timepoint_weeks="", timepoint_label="later", mean=40, sd=10))
    arms.append(
        arm(
            arm_id="SH",
            arm_type="sham",
            timepoint_weeks="",
            timepoint_label="later",
            mean=40,
            sd=10,
        )
    )
    s = write(tmp_path, arms)
    win = [
        {"id": "pain_eot", "outcome": "pain", "timepoint_weeks": {"min": 0, "max": 12, "target": 8}}
    ]
    cs = build_comparisons(s, outcomes=win)
    assert cs.effects.timepoint_weeks.tolist() == [6.0]  # |6-8| = |10-8|: earlier on ties
    codes = cs.accounting.reason_code.value_counts().to_dict()
    assert codes == {"": 1, "another timepoint used": 2, "timepoint not reported in weeks": 1}


def test_plausibility_warnings_name_the_study(tmp_path):
    studies = [STUDY, dict(STUDY, study_id="Synth2")]
    s = write(
        tmp_path,
        [
            arm(mean=40, sd=1),
            arm(arm_id="SH", arm_type="sham", mean=140, sd=10),
            arm(study_id="Synth2", mean=40, sd=10),
            arm(study_id="Synth2", arm_id="SH", arm_type="sham", mean=40, sd=10),
            arm(study_id="Synth2", timepoint_weeks=12, n=25, mean=30, sd=10),
        ],
        studies=studies,
    )
    w = build_comparisons(s).warnings_table
    checks = dict(zip(w.check, w.study_id, strict=True))
    assert checks == {
        "sd_below_2pct_range": "Synth1",
        "mean_outside_scale": "Synth1",
        "identical_arms": "Synth2",
        "n_rises_over_time": "Synth2",
    }
    assert all(m.startswith(sid + ": ") for m, sid in zip(w.message, w.study_id, strict=True))


# ---------------------------------------------------------------- shipped data
@pytest.fixture(scope="module")
def shipped():
    return build_comparisons(DATA)


def _row(cs, study, arm2=None, **kw):
    e = cs.effects[cs.effects.study_id == study]
    if arm2:
        e = e[e.arm_id_2 == arm2]
    for k, v in kw.items():
        e = e[e[k] == v]
    assert len(e) == 1, e
    return e.iloc[0]


def test_shipped_contrast_reversed_to_acupuncture_minus_control(shipped):
    # Nicolian 2019: "Δ = 5, 95% CI: 0.8 to 9" (standard care minus acupuncture), n 96/103
    e = _row(shipped, "Nicolian2019")
    assert e.yi == pytest.approx(-5.0)
    assert e.vi == pytest.approx(((9 - 0.8) / (2 * Z)) ** 2)
    assert "reversed" in e.derivation and e.source_kind == "contrast"


def test_shipped_debar_shared_usual_care_counted_once(shipped):
    # DeBar 2025: SE (−0.1 − −1.9)/3.92 = 0.46 on 0-24 -> x100/24; EA shares UMC
    e = _row(shipped, "DeBar2025")
    assert e.arm_id_1 == "SA"
    assert e.yi == pytest.approx(-1.0 * 100 / 24)
    assert math.sqrt(e.vi) == pytest.approx(1.8 / (2 * Z) * 100 / 24)
    acc = shipped.accounting
    ea = acc[(acc.study_id == "DeBar2025") & (acc.arm_id_1 == "EA")].iloc[0]
    assert ea.reason_code == "shared arm (difference only)"


def test_shipped_hunter_sd_from_within_group_ci(shipped):
    # Hunter 2012: improvement 10.7 (5.7 to 15.3), n 24 -> t with 23 df (Handbook 6.5.2.2)
    e = _row(shipped, "Hunter2012")
    assert e.sd1 == pytest.approx(math.sqrt(24) * 9.6 / (2 * stats.t.ppf(0.975, 23)))
    assert e.yi == pytest.approx(-(10.7 - 6.7))
    assert "sd from 95% CI (t, df=23)" in e.derivation


def test_shipped_exclusions_and_flow(shipped):
    acc, c = shipped.accounting, shipped.counts
    code = {(r.study_id, r.arm_id_1, r.arm_id_2): r.reason_code for r in acc.itertuples()}
    assert code[("Glazov2014", "LOW", "SHAM")] == "n not reported"
    assert code[("SvahnEkdahl2021", "ACU", "TENS")] == "n not reported"
    assert code[("Wedenberg2000", "ACU", "PT")] == "no SD and no CI"
    assert code[("Elden2008", "ACU", "SHAM")] == "median without IQR or range"
    assert code[("Elden2005", "ACU", "EX")] == "median difference only"
    assert code[("Sokunbi_NJMR", "ACPT", "CG")] == "cointervention differs between arms"
    assert code[("Kong2020", "EA", "SHAM")] in (
        "instrument poolable only as SMD",
        "no SD and no CI",
    )
    assert c["identified"] == c["poolable"] + c["excluded"]
    assert sum(c["excluded_by_reason"].values()) == c["excluded"]
    assert sum(c["poolable_by"].values()) == len(shipped.effects)


def test_shipped_effect_rows_are_complete(shipped):
    e = shipped.effects
    assert len(e) > 0
    assert (e.vi > 0).all() and e.yi.notna().all()
    assert e.derivation.str.len().gt(0).all() and e.verification.notna().all()
    binary = e.effect_measure.isin(["RR", "OR", "RD"])
    arms_rows = e[(e.source_kind == "arms") & ~binary]
    assert arms_rows[["m1", "sd1", "m2", "sd2"]].notna().all().all()
    assert arms_rows[["events1", "events2"]].isna().all().all()
    assert e[e.source_kind == "contrast"][["m1", "sd1"]].isna().all().all()
    # binary rows (issue 11): events of n per arm, no means; Kvorning 2004, DERIVED counts
    counts = e[binary][["study_id", "events1", "n1", "events2", "n2", "m1", "sd1"]]
    assert counts.drop_duplicates(["study_id"]).values.tolist()[0][:5] == [
        "Kvorning2004",
        22,
        37,
        5,
        35,
    ]
    assert counts[["m1", "sd1"]].isna().all().all()


def test_contrast_only_pairs_kept_unless_they_share_an_arm(tmp_path):
    # Handbook 23.3.4: a shared arm must not count twice; disjoint pairs are independent
    con_row = {
        "study_id": "Synth1",
        "arm_id_1": "ACU2",
        "arm_id_2": "UC",
        "outcome": "pain",
        "instrument": "VAS",
        "scale_min": "0",
        "scale_max": "100",
        "higher_is_worse": "true",
        "timepoint_weeks": "8",
        "timepoint_label": "",
        "measure": "final",
        "estimate_type": "mean_difference",
        "estimate": "-6",
        "ci_lb": "-12",
        "ci_ub": "0",
        "se": "",
        "p_value": "",
        "n_1": "",
        "n_2": "",
        "source": "synthetic",
        "source_location": "synthetic",
    }
    shared = dict(con_row, arm_id_1="ACU", arm_id_2="UC2", estimate="-3")
    arms = [
        arm(mean=40, sd=10),
        arm(arm_id="SH", arm_type="sham", mean=50, sd=10),
        arm(arm_id="ACU2"),
        arm(arm_id="UC", arm_type="usual_care"),
        arm(arm_id="UC2", arm_type="usual_care"),
    ]
    s = write(tmp_path, arms, contrasts=[con_row, shared])
    any_cmp = [{"id": "any", "control_types": ["sham", "usual_care"]}]
    cs = build_comparisons(s, comparisons=any_cmp)
    kept = {(r.arm_id_1, r.arm_id_2) for r in cs.effects.itertuples()}
    assert kept == {("ACU", "SH"), ("ACU2", "UC")}
    dropped = cs.accounting[cs.accounting.arm_id_2 == "UC2"].iloc[0]
    assert dropped.reason_code == "shared arm (difference only)"
    assert cs.effects.set_index("arm_id_1").loc["ACU2", "yi"] == pytest.approx(-6.0)
