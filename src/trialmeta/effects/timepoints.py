"""Which assessment of a trial answers an outcome's timepoint: anchored to the trial's course.

Three rules, chosen per outcome in the config (``outcomes[].timepoint.anchor``):

``end_of_treatment``
    The last assessment at or before the end of the course (``treatment_weeks``) within
    ``tolerance_weeks`` of it, failing that the first one after the end within the
    tolerance. So a 5-week course with assessments at weeks 1-5 and 10 enters at week 5.
    A row whose label says it is after the course ("5 weeks post-treatment", "follow-up",
    "2 weeks after ...") is never end of treatment.
``follow_up``
    An assessment after the course, counted from its end, in one of the Cochrane Back and
    Neck group's bands (Furlan AD et al. 2015 updated method guideline for systematic
    reviews in the Cochrane Back and Neck Group. Spine 2015;40(21):1660-1673): short term
    up to 3 months (13 weeks) after the end of treatment, intermediate more than 3 and less
    than 12 months, long term 12 months (52 weeks) or more. Within a band the assessment
    nearest the band's target is used (the earlier one on ties). A row is after the course
    when its label says so or when it lies beyond the end-of-treatment tolerance.
``absolute``
    The assessment closest to ``target`` within ``[min, max]`` weeks after randomisation
    (the earlier one on ties): the rule of earlier versions, kept as an option.

A trial without ``treatment_weeks`` falls back to the absolute window of the outcome and the
row carries ``timepoint_fallback = True``. A row without a timepoint in weeks cannot be
placed, unless the outcome sets ``timepoint_weeks.include_untimed`` (an outcome measured
once, such as length of hospital stay): then it is eligible, ranked after every timed row of
the same arms. Every placement says which rule chose it and why a timepoint was not used.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from trialmeta.effects.exclusions import ExclusionReason

__all__ = [
    "ANCHORS",
    "BANDS",
    "Placement",
    "TimepointRule",
    "place",
    "rule_from_config",
    "says_after_course",
]

#: Follow-up bands in weeks after the end of treatment: (lower, upper, target); a row belongs
#: to a band when ``lower < weeks_after <= upper`` (Furlan et al. 2015, see module docstring;
#: 3 months = 13 weeks, 12 months = 52 weeks). The long-term band starts at 52 inclusive.
BANDS: dict[str, tuple[float, float, float]] = {
    "short_term": (0.0, 13.0, 13.0),
    "intermediate": (13.0, 52.0 - 1e-9, 26.0),
    "long_term": (52.0 - 1e-9, math.inf, 52.0),
}
ANCHORS = ("end_of_treatment", "follow_up", "absolute")

# Labels that place a row after the course. "immediate post-treatment" (within a day of the
# last session) and "after N weeks of treatment" are the end of treatment, and "N months
# after randomisation" is a time since baseline, so none of these count.
_AFTER_COURSE = re.compile(
    r"(?<!immediate )\bpost[- ]?treatment"
    r"|\bfollow[- ]?up\b"
    r"|\b\d+(\.\d+)?\s*(days?|weeks?|months?)\s+after\s+(?!randomi[sz]ation|baseline)"
    r"|\bafter (the )?(end of (the )?)?(course|study conclusion)",
    re.IGNORECASE,
)


def says_after_course(label: object) -> bool:
    """True when a timepoint label says the assessment is after the course.

    >>> says_after_course("week 10 (5 weeks post-treatment)"), says_after_course("week 5")
    (True, False)
    >>> says_after_course("immediate post-treatment")
    False
    >>> says_after_course("6 months after randomization")
    False
    """
    return isinstance(label, str) and bool(_AFTER_COURSE.search(label))


@dataclass(frozen=True)
class TimepointRule:
    """How one outcome picks its timepoint (config ``outcomes[].timepoint`` plus the
    absolute window ``outcomes[].timepoint_weeks``)."""

    anchor: str = "absolute"
    tolerance_weeks: float = 2.0
    band: str = ""
    window_min: float = 0.0
    window_max: float = math.inf
    window_target: float = math.inf
    include_untimed: bool = False

    def describe(self) -> str:
        """The rule in words, for the effect rows and the report."""
        if self.anchor == "end_of_treatment":
            return (
                f"end of treatment: last assessment at or before the end of the trial's course "
                f"(within {self.tolerance_weeks:g} weeks), else the first after it within "
                f"{self.tolerance_weeks:g} weeks"
            )
        if self.anchor == "follow_up":
            lo, hi, target = BANDS[self.band]
            upper = "" if math.isinf(hi) else f" to {round(hi):g}"
            band = self.band.replace("_", "-")
            return (
                f"{band} follow-up: {round(lo):g}{upper} weeks after the end of the "
                f"trial's course, nearest {target:g} weeks"
            )
        return self.absolute_text()

    def absolute_text(self) -> str:
        return (
            f"absolute window: weeks {self.window_min:g}-{self.window_max:g} after "
            f"randomisation, nearest week {self.window_target:g}"
        )


@dataclass(frozen=True)
class Placement:
    """Where one assessment stands for one outcome: eligible (with a rank, lower first) or
    not (with the reason)."""

    eligible: bool
    rank: tuple[float, ...]
    rule: str
    reason: str = ""
    weeks_after_treatment: float = math.nan
    fallback: bool = False
    why: ExclusionReason | None = None


def rule_from_config(outcome: Mapping[str, object]) -> TimepointRule:
    """:class:`TimepointRule` of one ``outcomes[]`` entry (``timepoint`` optional: absolute)."""
    win = outcome.get("timepoint_weeks") or {}
    tp = outcome.get("timepoint") or {}
    assert isinstance(win, Mapping) and isinstance(tp, Mapping)
    lo, hi = float(win.get("min", 0.0)), float(win.get("max", math.inf))
    return TimepointRule(
        anchor=str(tp.get("anchor", "absolute")),
        tolerance_weeks=float(tp.get("tolerance_weeks", 2.0)),
        band=str(tp.get("band") or ""),
        window_min=lo, window_max=hi, window_target=float(win.get("target", hi)),
        include_untimed=bool(win.get("include_untimed", False)),
    )  # fmt: skip


def _absolute(tp: float, rule: TimepointRule, fallback: bool, why: str = "") -> Placement:
    text = rule.absolute_text() + (f" ({why})" if why else "")
    if rule.window_min <= tp <= rule.window_max:
        return Placement(True, (abs(tp - rule.window_target), tp), text, fallback=fallback)
    return Placement(
        False,
        (),
        text,
        f"week {tp:g} is outside the {text}",
        fallback=fallback,
        why=ExclusionReason.OUTSIDE_WINDOWS,
    )


def place(
    timepoint_weeks: object, label: object, treatment_weeks: object, rule: TimepointRule
) -> Placement:
    """Place one assessment (weeks after randomisation, its label) of a trial whose course
    lasts ``treatment_weeks`` for ``rule``."""
    tp, course = _num(timepoint_weeks), _num(treatment_weeks)
    if math.isnan(tp):
        if rule.include_untimed:
            return Placement(
                True,
                (math.inf,),
                "untimed: an assessment without a week, taken "
                "because the outcome includes untimed rows (include_untimed)",
            )
        return Placement(
            False,
            (),
            rule.describe(),
            "timepoint not reported in weeks; cannot be placed in a window",
            why=ExclusionReason.TIMEPOINT_MISSING,
        )
    if rule.anchor == "absolute":
        return _absolute(tp, rule, False)
    if math.isnan(course):
        return _absolute(tp, rule, True, "fallback: the trial's course length is not reported")
    after = tp - course
    labelled_after = says_after_course(label)
    if rule.anchor == "end_of_treatment":
        return _end_of_treatment(tp, course, after, labelled_after, label, rule)
    return _follow_up(tp, after, labelled_after, rule)


def _end_of_treatment(
    tp: float, course: float, after: float, labelled_after: bool, label: object, rule: TimepointRule
) -> Placement:
    text, tol = rule.describe(), rule.tolerance_weeks
    if labelled_after:
        return Placement(
            False,
            (),
            text,
            f"its label says it is after the course ('{label}'): never used as end of treatment",
            after,
            why=ExclusionReason.AFTER_COURSE,
        )
    if abs(after) > tol + 1e-9:
        side = "before" if after < 0 else "after"
        return Placement(
            False,
            (),
            text,
            f"week {tp:g} is {abs(after):g} weeks {side} the end "
            f"of the {course:g}-week course (tolerance {tol:g} weeks): not end of "
            "treatment",
            after,
            why=ExclusionReason.NOT_END_OF_COURSE,
        )
    rank = (0.0, -tp) if after <= 1e-9 else (1.0, tp)
    return Placement(True, rank, text, "", after)


def _follow_up(tp: float, after: float, labelled_after: bool, rule: TimepointRule) -> Placement:
    text, tol = rule.describe(), rule.tolerance_weeks
    lo, hi, target = BANDS[rule.band]
    if not labelled_after and after < -tol - 1e-9:
        return Placement(
            False,
            (),
            text,
            f"week {tp:g} is during the course ({-after:g} weeks before its end): not follow-up",
            after,
            why=ExclusionReason.NOT_FOLLOW_UP,
        )
    if not labelled_after and after <= tol + 1e-9:
        return Placement(
            False,
            (),
            text,
            f"week {tp:g} is within {tol:g} weeks of the end of the "
            "course (end of treatment), not follow-up",
            after,
            why=ExclusionReason.NOT_FOLLOW_UP,
        )
    eff = after if after > 0 else 1e-9  # the label says after the course: the label wins
    if not lo < eff <= hi:
        return Placement(
            False,
            (),
            text,
            f"{max(after, 0):g} weeks after the end of the course "
            f"is outside the {rule.band.replace('_', '-')} band",
            after,
            why=ExclusionReason.OUTSIDE_BAND,
        )
    conflict = (
        ""
        if after > 0
        else (
            "; its week does not exceed the course length, but its "
            "label says follow-up (the label is followed)"
        )
    )
    return Placement(True, (abs(eff - target), tp), text + conflict, "", after)


def _num(v: object) -> float:
    if v is None or isinstance(v, bool):
        return math.nan
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
