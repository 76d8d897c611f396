"""The largest limitations of the evidence, each one sentence with its numbers, ranked.

Built from the typed results, the config's ``search:`` statement and the trial-level flow
(:class:`trialmeta.plots.prisma.PrismaData`); nothing is hand-written. Each limitation
carries the share of the evidence it touches (percent), and they are ranked by it, so the
report's key findings show the three that touch the most. The executive summary is every
limitation plus the spread of certainty ratings, kept to at most 300 words (issue 9;
GRADE guidelines 26, Santesso et al. 2020: lead with what matters for the decision).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from trialmeta.report.labels import LabelMap
from trialmeta.report.text import count_text, num, trials_text
from trialmeta.report.trial_flow import PrismaData, participants
from trialmeta.review.config import ReviewConfig
from trialmeta.review.results import AnalysisResult, OutcomeResult

__all__ = ["Limitation", "executive_summary", "limitations", "summary_markdown"]

MAX_WORDS = 300


@dataclass(frozen=True)
class Limitation:
    """One problem: its sentence and the percent of the evidence it touches (for ranking)."""

    sentence: str
    share_percent: float


def _main(config: ReviewConfig, results: Sequence[OutcomeResult]) -> list[AnalysisResult]:
    """Analyses that answer one question (no side-by-side ``members`` display), with data."""
    shown = {c.id for c in config.comparisons if c.members}
    return [a for r in results for a in r.analyses
            if a.analysis.comparison not in shown and a.effects]  # fmt: skip


def _search(config: ReviewConfig, n_trials: int) -> Limitation | None:
    if config.search is None or config.search.systematic:
        return None
    return Limitation(f"No systematic search was done: the {trials_text(n_trials)} are a "
                      "convenience set, so the results are not a systematic review and "
                      "publication bias cannot be ruled out.", 100.0)  # fmt: skip


def _unpooled(flow: PrismaData) -> Limitation | None:
    dropped = flow.not_pooled()
    if not dropped:
        return None
    known = sum(t.n_randomised or 0 for t in flow.trials)
    lost = sum(t.n_randomised or 0 for t in dropped)
    share = 100.0 * lost / known if known else 100.0 * len(dropped) / len(flow.trials)
    biggest = sorted(dropped, key=lambda t: -(t.n_randomised or 0))[:3]
    names = ", ".join(f"{t.label} (n = {count_text(t.n_randomised)})" for t in biggest
                      if t.n_randomised)  # fmt: skip
    return Limitation(
        f"{len(dropped)} of the {len(flow.trials)} trials ({participants(dropped)}, "
        f"{num(share, 0)}% of all randomised) contribute to no analysis"
        + (f", among them {names}" if names else "")
        + ".",
        share,
    )


def _rob(analyses: Sequence[AnalysisResult]) -> Limitation | None:
    status: dict[str, str] = {}
    for a in analyses:
        for r in a.effects:
            status.setdefault(r.study_id, r.risk_of_bias or "not_assessed")
    if not status:
        return None
    none = sum(v in ("not_assessed", "") for v in status.values())
    high = sum(v == "high" for v in status.values())
    share = 100.0 * (none + high) / len(status)
    if none + high == 0:
        return None
    return Limitation(
        f"Of the {trials_text(len(status))} analysed, {none} have no "
        f"risk-of-bias assessment and {high} are at high risk of bias.",
        share,
    )


def _flagged(analyses: Sequence[AnalysisResult], labels: LabelMap) -> Limitation | None:
    worst: tuple[float, str, str] = (0.0, "", "")
    trials: set[str] = set()
    for a in analyses:
        for r in a.effects:
            if str(r.get("flagged")).lower() in ("true", "1"):
                trials.add(r.study_id)
                if r.weight_percent > worst[0] and a.analysis.pooled is not None:
                    worst = (r.weight_percent, r.study_id, labels.analysis(a.analysis_id))
    if not trials:
        return None
    text = (
        f"{trials_text(len(trials))} carry data-quality flags (such as an SD implausibly "
        "small for its scale)"
    )
    if worst[1]:
        text += (
            f"; the largest flagged share of one analysis is {num(worst[0])}% "
            f"({labels.study(worst[1])}, {worst[2][:1].lower() + worst[2][1:]})"
        )
        text += _without_flagged(analyses, worst[2], labels)
    return Limitation(text + ".", worst[0])


def _without_flagged(analyses: Sequence[AnalysisResult], where: str, labels: LabelMap) -> str:
    """What the "excluding flagged data" sensitivity analysis gives there, when it was run."""
    for a in analyses:
        if labels.analysis(a.analysis_id) != where or a.analysis.pooled is None:
            continue
        for fit in a.sensitivity:
            if "flag" in fit.label.lower() and fit.k > 0:
                p = a.analysis.pooled
                return (
                    f"; without flagged data the MD there is {num(fit.estimate)} "
                    f"({num(fit.ci_lb)} to {num(fit.ci_ub)}) instead of {num(p.estimate)}"
                )
    return ""


def _indirect(config: ReviewConfig, analyses: Sequence[AnalysisResult],
              labels: LabelMap) -> Limitation | None:  # fmt: skip
    pop: dict[str, str] = {}
    for a in analyses:
        for r in a.effects:
            pop.setdefault(r.study_id, str(r.get("population") or ""))
    if not pop:
        return None
    target = sum(v == config.target_population for v in pop.values())
    share = 100.0 * (len(pop) - target) / len(pop)
    if share == 0:
        return None
    sizes = [int(n) for a in analyses for r in a.effects
             for n in (r.number("n1") + r.number("n2"),) if n == n]  # fmt: skip
    median = (
        f"; the median comparison has {count_text(statistics.median(sizes))} participants"
        if sizes
        else ""
    )
    return Limitation(
        f"Only {target} of the {trials_text(len(pop))} analysed enrolled people with "
        f"{labels.code(config.target_population).lower()}, the population of "
        f"the question{median}.",
        share,
    )


def limitations(config: ReviewConfig, results: Sequence[OutcomeResult], flow: PrismaData,
                labels: LabelMap) -> list[Limitation]:  # fmt: skip
    """Every limitation found, largest share first."""
    analyses = _main(config, results)
    found = [_search(config, len(flow.trials)), _unpooled(flow), _rob(analyses),
             _flagged(analyses, labels), _indirect(config, analyses, labels)]  # fmt: skip
    return sorted((x for x in found if x is not None), key=lambda x: -x.share_percent)


def _certainty(config: ReviewConfig, results: Sequence[OutcomeResult]) -> str:
    rated = [a.grade for a in _main(config, results) if a.grade.level > 0]
    if not rated:
        return "No result could be rated for certainty."
    counts = {w: sum(g.certainty == w for g in rated) for w in
              ("High", "Moderate", "Low", "Very low")}  # fmt: skip
    parts = [f"{n} {w.lower()}" for w, n in counts.items() if n]
    return (
        f"Of the {len(rated)} rated results in the Summary of Findings, "
        + ", ".join(parts)
        + " certainty."
    )


def executive_summary(config: ReviewConfig, results: Sequence[OutcomeResult], flow: PrismaData,
                      labels: LabelMap) -> list[str]:  # fmt: skip
    """Sentences of the executive summary (at most :data:`MAX_WORDS` words in all)."""
    out = [_certainty(config, results)]
    for item in limitations(config, results, flow, labels):
        if sum(len(s.split()) for s in [*out, item.sentence]) > MAX_WORDS:
            break
        out.append(item.sentence)
    return out


def summary_markdown(sentences: Sequence[str]) -> list[str]:
    """The summary as the opening of ``limitations.md``."""
    return ["## Summary", "", *[f"- {s}" for s in sentences], ""]
