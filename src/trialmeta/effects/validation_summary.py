"""What a valid extraction can pool: the validation report plus the comparison counts.

:func:`trialmeta.data.validate.validate_path` only reads and checks sheets (the data layer
never builds effects). Its callers, the ``trialmeta validate`` command and the workflow's
``prepare_data`` rule, add what :func:`~trialmeta.effects.comparisons.build_comparisons`
finds: the data-quality warnings and the counts of identified, poolable and excluded
comparisons, so both report the same numbers.
"""

from __future__ import annotations

from dataclasses import replace

from trialmeta.data.validate import ValidationReport
from trialmeta.effects.comparisons import build_comparisons

__all__ = ["with_comparison_counts"]


def with_comparison_counts(report: ValidationReport) -> ValidationReport:
    """``report`` with ``warnings`` and the comparison counts merged into ``summary``.

    An invalid report comes back unchanged: nothing is built from invalid sheets. The
    comparisons are built with the report's vocabulary and :func:`build_comparisons`'
    defaults (one comparison per control type, every outcome and timepoint its own
    analysis), so the counts describe the data, not one configuration of it.
    """
    if not report.ok:
        return report
    cset = build_comparisons(report.tables, vocabulary=report.vocabulary)
    return replace(report, warnings=list(cset.warnings), summary={**report.summary, **cset.counts})
