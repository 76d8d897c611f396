"""Timepoints anchored to each trial's course (issue 8, section 1).

Rules: end of treatment = the last assessment at or before the end of the course within the
tolerance, else the first after it within the tolerance; follow-up counted from the end of
treatment in the Cochrane Back and Neck bands (Furlan et al., Spine 2015;40(21):1660-1673);
a trial without a course length falls back to the absolute window with a flag. Synthetic
values unless a test names the shipped data.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from trialmeta.effects.comparisons import build_comparisons
from trialmeta.effects.timepoints import TimepointRule, place, rule_from_config, says_after_course

ROOT = Path(__file__).parents[2]
EOT = TimepointRule("end_of_treatment", 2.0, "", 0, 12, 8)
SHORT = TimepointRule("follow_up", 2.0, "short_term", 13, 16, 13)
INTER = TimepointRule("follow_up", 2.0, "intermediate", 17, 52, 26)


@pytest.mark.parametrize(
    "label, after",
    [
        ("week 10 (5 weeks post-treatment)", True),
        ("3-month follow-up (reference point not stated)", True),
        ("~2 weeks after 6-week treatment", True),
        ("AHRQ follow-up '4 months'", True),
        ("follow-up column '>1d but <3mo' (reference point unclear)", True),
        ("end of 5-week treatment", False),
        ("immediate post-treatment (<1 day)", False),
        ("after 6 weeks of treatment", False),
        ("6 months after randomization", False),
        ("8 weeks", False),
        ("after treatment", False),
        (None, False),
    ],
)
def test_labels_that_place_a_row_after_the_course(label, after):
    assert says_after_course(label) is after


def _best(weeks, rule, course=5.0, labels=None):
    labels = labels or {}
    placed = [(w, place(w, labels.get(w, f"week {w}"), course, rule)) for w in weeks]
    ok = [(p.rank, w) for w, p in placed if p.eligible]
    return min(ok)[1] if ok else None


def test_end_of_treatment_is_last_assessment_at_or_before_the_course_end():
    # Zaringhalam 2010: 5-week course, weeks 1-5 and 10 -> week 5 (not week 10 as before)
    assert _best([1, 2, 3, 4, 5, 10], EOT) == 5
    assert _best([4, 6], EOT) == 4  # at or before wins over after
    assert _best([6, 7], EOT) == 6  # else the first after it within the tolerance
    assert _best([8], EOT) is None  # 3 weeks after a 5-week course: beyond the tolerance


def test_a_post_treatment_label_is_never_end_of_treatment():
    pl = place(6, "week 6 (1 week post-treatment)", 5, EOT)
    assert not pl.eligible and "never used as end of treatment" in pl.reason


def test_follow_up_bands_count_from_the_end_of_treatment():
    # Brinkhaus 2006: 8-week course; weeks 26 and 52 are 18 and 44 weeks after -> intermediate
    assert _best([8, 26, 52], INTER, course=8) == 26
    assert _best([8, 26, 52], SHORT, course=8) is None
    assert _best([5, 10], SHORT) == 10  # Zaringhalam week 10: 5 weeks after the course
    pl = place(2, "follow-up column '>1d but <3mo'", 2, SHORT)  # Li 2016: the label wins
    assert pl.eligible and "label says follow-up" in pl.rule


def test_no_course_length_falls_back_to_the_absolute_window_with_a_flag():
    pl = place(26, "6 months", None, INTER)
    assert pl.eligible and pl.fallback and "fallback" in pl.rule
    assert not place(30, "x", None, TimepointRule("absolute", 2, "", 0, 12, 8)).eligible


def test_untimed_rows_only_where_the_outcome_includes_them_and_after_timed_rows():
    # an outcome measured once (length of stay, examples/normand1999) has no week
    assert not place(None, "until discharge", None, EOT).eligible
    win = {"timepoint_weeks": {"min": 0, "max": 52, "include_untimed": True}}
    rule = rule_from_config(win)
    assert rule.include_untimed and rule.anchor == "absolute"
    untimed, timed = place(None, "until discharge", 5, rule), place(52, "week 52", 5, rule)
    assert untimed.eligible and "include_untimed" in untimed.rule
    assert timed.rank < untimed.rank  # a timed assessment of the same arms is used first
    assert not rule_from_config({"timepoint_weeks": {"min": 0, "max": 52}}).include_untimed


def test_rule_from_config_reads_the_timepoint_block():
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    rules = {o["id"]: rule_from_config(o) for o in cfg["outcomes"]}
    assert rules["pain_eot"].anchor == "end_of_treatment" and rules["pain_eot"].tolerance_weeks == 2
    assert rules["pain_fu"].band == "intermediate" and rules["pain_fu_short"].band == "short_term"


@pytest.fixture(scope="module")
def shipped():
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    return build_comparisons(
        ROOT / "data",
        outcomes=cfg["outcomes"],
        comparisons=cfg["comparisons"],
        data_quality=cfg["data_quality"],
    )


def test_done_when_zaringhalam_enters_end_of_treatment_at_week_5(shipped):
    # issue 8: pain, end of treatment, vs no treatment: Zaringhalam AC vs C = 47 - 64.3 = -17.3
    e = shipped.effects
    row = e[
        (e.study_id == "Zaringhalam2010")
        & (e.outcome_id == "pain_eot")
        & (e.comparison == "usual_care")
    ].iloc[0]
    assert row.yi == pytest.approx(-17.3) and row.timepoint_weeks == 5
    assert row.timepoint_rule.startswith("end of treatment") and row.weeks_after_treatment == 0
    acc = shipped.accounting
    wk10 = acc[(acc.study_id == "Zaringhalam2010") & (acc.timepoint_weeks == 10)]
    assert set(wk10.outcome_id) == {"pain_fu_short"}  # 5 weeks after the course


def test_every_effect_row_records_its_timepoint_rule(shipped):
    e = shipped.effects
    assert e.timepoint_rule.str.len().gt(0).all()
    fallback = set(e.loc[e.timepoint_fallback, "study_id"])
    assert fallback == {"Hunter2012"}  # the only pooled trial without a course length
    acc = shipped.accounting
    assert acc.loc[acc.status == "excluded", "reason"].str.len().gt(0).all()
