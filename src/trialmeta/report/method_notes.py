"""What the method did that a reader must know, from the typed result: whether multi-arm
trials were combined or split, each flagged trial's weight and what removing it does, the
trials whose timepoint fell back to the absolute window, outcome caveats (instruments
rescaled to one scale), what k = 2 trials report, and the comparisons shown as subtotals
only (no total across comparator types)."""

from __future__ import annotations

from collections.abc import Sequence

from trialmeta.report.text import fixed
from trialmeta.report.text import md_cell as md
from trialmeta.review.results import FlaggedTrial, OutcomeResult, TwoTrials

__all__ = ["method_notes_section"]

_MULTI_ARM = {
    "combine": "multi-arm trials: their intervention arms (and control arms) were combined "
    "into one group each, so each trial contributes one comparison per analysis "
    "(Cochrane Handbook v6.5, section 23.3.4)",
    "split": "multi-arm trials: the shared group was split between the comparisons "
    "(Cochrane Handbook v6.5, section 23.3.4); k counts trials, and methods that "
    "need independent units combine a trial's comparisons",
}


def _flagged(aid: str, f: FlaggedTrial) -> str:
    without = (
        f"{fixed(f.estimate)} ({fixed(f.ci_lb)} to {fixed(f.ci_ub)}), I² {fixed(f.i2_percent, 0)}%"
        if f.status == "pooled"
        else md(f.status)
    )
    return (
        f"- {md(aid)}: {md(f.study_id)} ({md(', '.join(f.flags))}) carries "
        f"{fixed(f.weight_percent)}% of the weight; without it {without}, against "
        f"{fixed(f.main_estimate)} ({fixed(f.main_ci_lb)} to {fixed(f.main_ci_ub)}), "
        f"I² {fixed(f.main_i2_percent, 0)}%."
    )


def method_notes_section(results: Sequence[OutcomeResult]) -> list[str]:
    """The "Method notes" section of the limitations summary (Markdown lines)."""
    lines = ["## 10. Method notes", ""]
    modes = sorted({r.multi_arm for r in results})
    lines += [f"- Unit of analysis: the trial; {_MULTI_ARM.get(m, md(m))}." for m in modes]
    for r in results:
        if r.outcome.caveat is not None:
            lines.append(
                f"- {md(r.outcome.label)}: {md(r.outcome.caveat.text)} "
                f"({md(r.outcome.caveat.citation)})."
            )
    for r in results:
        for a in r.analyses:
            if a.subtotals_only and a.effects:
                lines.append(
                    f"- {md(a.analysis_id)}: {md(a.analysis.units_text)} shown as "
                    "subgroups with subtotals only; no total across comparator types."
                )
            lines += [_flagged(a.analysis_id, f) for f in a.flagged_trials]
            if isinstance(a.two_trials, TwoTrials):
                lines.append(f"- {md(a.analysis_id)}: {md(a.two_trials.note)}")
            if a.timepoint_fallback and not a.subtotals_only:
                lines.append(
                    f"- {md(a.analysis_id)}: no course length reported, timepoint "
                    f"from the absolute window: {md(', '.join(a.timepoint_fallback))}."
                )
    return [*lines, ""]
