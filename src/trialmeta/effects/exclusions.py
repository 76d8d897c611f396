"""Why an extracted comparison cannot be pooled: one enum member per kind of reason.

Every place that excludes a comparison names its :class:`ExclusionReason` together with
the detailed sentence it prints (``"no SD and no CI (ACU)"``), so the accounting table's
``reason_code`` is data, never recovered from the wording. When one comparison has several
reasons (both arms lack something), the first member in declaration order is its category:
the order is the precedence of the flow table (Cochrane Handbook 6.5.2: a trial arm without
its size cannot be used whatever else it reports, so ``n not reported`` outranks a missing SD).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

__all__ = ["ExclusionReason", "first_reason"]


class ExclusionReason(Enum):
    """A category of exclusion: ``code`` (the flow table's short label) and ``sentence``."""

    COINTERVENTION = (
        "cointervention differs between arms",
        "the arms differ in background treatment, so the contrast does not "
        "isolate the intervention",
    )
    MEDIAN_DIFFERENCE = (
        "median difference only",
        "only a difference in medians is reported, not a mean difference",
    )
    MEDIAN_WITHOUT_SPREAD = (
        "median without IQR or range",
        "a median is reported without quartiles or range, so no mean and "
        "SD can be derived (Cochrane Handbook 6.5.2.5)",
    )
    N_MISSING = ("n not reported", "the number of participants of an arm is not reported")
    NO_SD_NO_CI = (
        "no SD and no CI",
        "a mean is reported without SD, SE or CI (Cochrane Handbook 6.5.2.2-3)",
    )
    NO_STATISTICS = ("no statistics reported", "an arm reports neither mean nor median")
    SCALE_RANGE_MISSING = (
        "scale range not reported (SMD only)",
        "the instrument's range is not reported, so it cannot be put on the "
        "0-100 scale of a mean difference",
    )
    SMD_ONLY_INSTRUMENT = (
        "instrument poolable only as SMD",
        "the instrument is not a 0-100 scale of the outcome, so it pools only "
        "as a standardised mean difference",
    )
    SMD_NEEDS_SDS = (
        "difference only (SMD needs SDs)",
        "only a between-group difference is reported, and a standardised mean "
        "difference needs the group SDs",
    )
    CONTRAST_WITHOUT_SPREAD = (
        "difference without CI, SE or P",
        "a between-group difference is reported without CI, SE or P value",
    )
    SHARED_CONTRAST_ARM = (
        "shared arm (difference only)",
        "the comparison shares an arm with another one of the trial, and a "
        "reported difference cannot be split or combined",
    )
    MERGED = (
        "merged into a combined comparison",
        "the arms were merged into one comparison of the multi-arm trial "
        "(Cochrane Handbook 23.3.4)",
    )
    TIMEPOINT_MISSING = (
        "timepoint not reported in weeks",
        "the timepoint is not given in weeks, so it cannot be placed in an outcome window",
    )
    OUTSIDE_WINDOWS = (
        "timepoint outside the windows",
        "the timepoint lies outside the outcome's absolute window",
    )
    OTHER_TIMEPOINT = (
        "another timepoint used",
        "the outcome's timepoint rule prefers another assessment of the same arms",
    )
    AFTER_COURSE = (
        "after the course (not end of treatment)",
        "the assessment's label places it after the course, so it is never the end of treatment",
    )
    NOT_END_OF_COURSE = (
        "not at the end of the course",
        "the assessment lies further from the end of the trial's course than the tolerance",
    )
    NOT_FOLLOW_UP = (
        "end of treatment, not follow-up",
        "the assessment is during the course or at its end, not after it",
    )
    OUTSIDE_BAND = (
        "outside the follow-up band",
        "the assessment lies outside the outcome's follow-up band (Furlan et al. 2015)",
    )
    ALREADY_INFORMED = (
        "same arms already informed",
        "another instrument already informs the same arms and timepoint",
    )
    SCORE_TYPE_MIX = (
        "score type differs (SMD)",
        "a standardised mean difference does not mix change and final scores "
        "(Cochrane Handbook 10.5.2)",
    )
    CONTROL_NOT_ANALYSED = (
        "control type not analysed",
        "the control type is in no configured comparison",
    )
    OUTCOME_NOT_ANALYSED = ("outcome not analysed", "the outcome is in no configured window")
    NOT_USABLE = ("statistics not usable", "the reported statistics fail a conversion's checks")
    EVENTS_MISSING = (
        "events not reported",
        "a binary outcome's events or n of an arm are not reported",
    )
    DOUBLE_ZERO = (
        "no events in either arm",
        "neither arm has an event, so the trial gives no information on a risk or "
        "odds ratio (Cochrane Handbook 10.4.4.1)",
    )
    BINARY_CONTRAST = (
        "binary outcome as a difference only",
        "a binary outcome is pooled from events of n per arm (arms.csv), not "
        "from a reported between-group result",
    )

    @property
    def code(self) -> str:
        """Short label in the accounting table's ``reason_code`` column."""
        return self.value[0]

    @property
    def sentence(self) -> str:
        """What the category means, for readers of the flow table."""
        return self.value[1]


_RANK = {reason: i for i, reason in enumerate(ExclusionReason)}


def first_reason(reasons: Iterable[ExclusionReason]) -> ExclusionReason:
    """The reason that names a comparison with several: the first in declaration order.

    >>> first_reason([ExclusionReason.NO_SD_NO_CI, ExclusionReason.N_MISSING]).code
    'n not reported'
    """
    return min(reasons, key=_RANK.__getitem__)
