"""Summary of Findings table in GRADEpro layout (CSV rows and Markdown).

Columns follow GRADEpro GDT for continuous outcomes: outcome, № of
participants (studies), the mean difference with its CI on the analysis scale,
certainty (``⊕⊕◯◯ Low``) and a plain-language statement worded as in GRADE
guidance on informative statements (Santesso N, Glenton C, Dahm P, et al.
GRADE guidelines 26: informative statements to communicate the findings of
systematic reviews of interventions. J Clin Epidemiol. 2020;119:126-135).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from trialmeta.report.absolute_effects import ABSOLUTE_COLUMNS, absolute_columns
from trialmeta.report.text import MEASURE_LABELS, capitalised, level_percent, md_cell, scale_text
from trialmeta.review.config import ReviewConfig
from trialmeta.review.results import AnalysisResult, OutcomeResult

__all__ = [
    "SOF_COLUMNS",
    "SofWording",
    "md_text",
    "measure_note",
    "plain_language",
    "sof_markdown",
    "sof_rows",
]

SOF_COLUMNS: tuple[str, ...] = (
    "analysis_id", "outcome_id", "outcome", "comparison", "k", "n_trials", "n_participants",
    "participants_studies", "estimate", "ci_lb", "ci_ub", "effect", "certainty_level",
    "certainty_symbols", "certainty", "rated_down_for", "plain_language", "status",
    *ABSOLUTE_COLUMNS,
)  # fmt: skip

_VERBS = {
    4: ("reduces", "results in little to no difference in", "increases"),
    3: ("probably reduces", "probably results in little to no difference in", "probably increases"),
    2: ("may reduce", "may result in little to no difference in", "may increase"),
}
_DOMAIN_WORDS = {
    "risk_of_bias": "risk of bias",
    "inconsistency": "inconsistency",
    "indirectness": "indirectness",
    "imprecision": "imprecision",
    "publication_bias": "publication bias",
}


@dataclass(frozen=True)
class SofWording:
    """What the Summary of Findings words come from (config): the effect measure, the
    intervention, each outcome code's noun, each comparison's comparator, the CI level."""

    measure: str
    intervention: str
    outcome_nouns: Mapping[str, str]
    comparators: Mapping[str, str]
    level: float

    @classmethod
    def of(cls, cfg: ReviewConfig) -> SofWording:
        return cls(cfg.measure, cfg.intervention, dict(cfg.outcome_nouns),
                   {c.id: c.comparator for c in cfg.comparisons}, cfg.model.level)


def md_text(estimate: float, ci_lb: float, ci_ub: float, measure: str) -> str:
    """GRADEpro wording, e.g. ``"MD 5.2 lower (9.8 lower to 0.6 higher)"``.

    >>> md_text(-5.24, -9.8, 0.61, "MD")
    'MD 5.2 lower (9.8 lower to 0.6 higher)'
    """
    if not math.isfinite(estimate):
        return "not estimable"

    def side(x: float) -> str:
        return f"{abs(x):.1f} {'lower' if x < 0 else 'higher'}"

    if math.isfinite(ci_lb) and math.isfinite(ci_ub):
        return f"{measure} {side(estimate)} ({side(ci_lb)} to {side(ci_ub)})"
    return f"{measure} {side(estimate)} (CI not estimable)"


def plain_language(
    level: int,
    estimate: float,
    ci_lb: float,
    ci_ub: float,
    mcid: float,
    outcome: str,
    comparator: str,
    intervention: str,
) -> str:
    """One sentence, e.g. "Acupuncture may reduce pain slightly compared with sham."

    Lower is better, so a negative MD is a reduction. "little to no difference"
    when the CI includes no effect and |MD| < MCID; "slightly" when |MD| < MCID.
    Very low certainty always gives "The evidence is very uncertain ...".
    """
    subj = capitalised(intervention)
    if level <= 0 or not math.isfinite(estimate):
        return (
            f"The effect of {intervention} on {outcome} compared with {comparator} "
            "could not be estimated."
        )
    if level == 1:
        return (
            f"The evidence is very uncertain about the effect of {intervention} on {outcome} "
            f"compared with {comparator}."
        )
    reduce, none, increase = _VERBS[min(level, 4)]
    crosses = math.isfinite(ci_lb) and math.isfinite(ci_ub) and ci_lb < 0 < ci_ub
    small = abs(estimate) < mcid
    if crosses and small or not math.isfinite(ci_lb):
        return f"{subj} {none} {outcome} compared with {comparator}."
    verb = reduce if estimate < 0 else increase
    return f"{subj} {verb} {outcome}{' slightly' if small else ''} compared with {comparator}."


def _noun(res: OutcomeResult, w: SofWording) -> str:
    """The outcome's plain-language noun: each pooled code's (``outcome_nouns``; a code not
    listed reads as itself), distinct ones joined by "or" (ODI and RMDQ: "disability")."""
    nouns = dict.fromkeys(w.outcome_nouns.get(c, c.replace("_", " ")) for c in res.outcome.codes)
    return " or ".join(nouns)


def _row(res: OutcomeResult, a: AnalysisResult, w: SofWording) -> dict[str, object]:
    cell, g, p = a.analysis, a.grade, a.analysis.pooled
    single = p is None and g.basis == "single trial"  # rated as GRADEpro does
    pooled = cell.status == "pooled" or single
    est = p.estimate if p else g.estimate if single else math.nan
    lb, ub = (p.ci_lb, p.ci_ub) if p else (g.ci_lb, g.ci_ub) if single else (math.nan, math.nan)
    down = [f"{_DOMAIN_WORDS[d.domain]} ({d.judgement})" for d in g.domains if d.downgrade > 0]
    ab = a.absolute
    said = (est, lb, ub)  # what the statement follows: a binary outcome's effect per 1000
    if ab is not None:  # binary: the estimate columns hold the ratio as reported
        est, lb, ub = ab.relative, ab.relative_lb, ab.relative_ub
        said = (ab.difference_per_1000, ab.difference_per_1000_lb, ab.difference_per_1000_ub)
    k = trials = cell.k  # the trial is the unit
    unit = f"{trials} RCT{'s' if trials != 1 else ''}"
    if cell.k_comparisons != k:
        unit += f"; {cell.k_comparisons} comparisons"
    return {
        "analysis_id": cell.analysis_id, "outcome_id": res.outcome.id,
        "outcome": res.outcome.label, "comparison": a.comparison_label, "k": k,
        "n_participants": cell.n_participants,
        "participants_studies": f"{cell.n_participants} ({unit})", "n_trials": trials,
        "estimate": est, "ci_lb": lb, "ci_ub": ub,
        "effect": (str(absolute_columns(ab)["relative_effect"]) if ab is not None else
                   md_text(est, lb, ub, w.measure) if pooled else cell.status)
        + (" (single trial)" if single else ""),
        "certainty_level": g.level, "certainty_symbols": g.symbols, "certainty": g.certainty,
        "rated_down_for": "; ".join(down),
        "plain_language": plain_language(
            g.level, said[0] if pooled else math.nan, said[1], said[2], res.outcome.mcid_value,
            _noun(res, w), w.comparators[cell.comparison],
            w.intervention),
        "status": cell.status, **absolute_columns(ab),
    }  # fmt: skip


def sof_rows(results: Sequence[OutcomeResult], wording: SofWording) -> list[dict[str, object]]:
    """One row per main analysis (outcome × comparison), in result (outcome) order, then the
    config's comparison order; a comparison across comparator types (subtotals only) has
    none."""
    return [_row(res, a, wording) for res in results for a in res.analyses
            if not a.subtotals_only]  # no row for a comparison across comparator types


def sof_markdown(rows: Sequence[Mapping[str, object]], wording: SofWording,
                 title: str = "Summary of Findings") -> str:
    """GRADEpro-style Markdown table of :func:`sof_rows` (data escaped by
    :func:`trialmeta.report.markdown.escape_md`)."""
    binary = any(r.get("relative_effect") for r in rows)
    head = ["Outcome", "Comparison", "№ of participants (studies)",
            f"Effect ({level_percent(wording.level)} CI)", "Certainty of the evidence (GRADE)",
            "What happens"]  # fmt: skip
    if binary:  # GRADEpro's anticipated absolute effects of a dichotomous outcome
        head[3:3] = ["Risk with control (per 1000)", "Risk with intervention (per 1000, "
                     f"{level_percent(wording.level)} CI)", "Difference (per 1000)"]
    lines = [f"# {md_cell(title)}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cert = f"{r['certainty_symbols']} {r['certainty']}".strip()
        if r["rated_down_for"]:
            cert += f" (rated down for {r['rated_down_for']})"
        cells = [r["outcome"], r["comparison"], r["participants_studies"], r["effect"], cert,
                 r["plain_language"]]  # fmt: skip
        if binary:
            cells[3:3] = [r.get("control_risk_per_1000", ""),
                          r.get("intervention_risk_per_1000", ""),
                          r.get("difference_per_1000", "")]
        lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    sources = sorted({str(r["control_risk_source"]) for r in rows if r.get("control_risk_source")})
    if sources:
        lines += ["", md_cell("Risk with control: " + "; ".join(sources) + ". Risk with the "
                              "intervention = risk with control x the pooled risk ratio (for an "
                              "odds ratio: converted through the odds; Cochrane Handbook v6.5, "
                              "14.1.5.1 and 15.4.4).")]
    lines += ["", md_cell(measure_note(wording)) + " GRADE: ⊕⊕⊕⊕ High, ⊕⊕⊕◯ Moderate, ⊕⊕◯◯ Low, "
              "⊕◯◯◯ Very low.", ""]
    return "\n".join(lines)


def measure_note(w: SofWording) -> str:
    """The footnote on the effect measure, e.g. ``"MD: mean difference on the 0-100 scale
    (negative favours acupuncture)."``"""
    m = MEASURE_LABELS[w.measure]
    if m.ratio:
        return f"{m.abbrev}: {m.name} (below 1: fewer events with {w.intervention})."
    if w.measure == "RD":
        return f"{m.abbrev}: {m.name} (negative: fewer events with {w.intervention})."
    scale = f" on the {scale_text()} scale" if w.measure == "MD" else ""
    return f"{m.abbrev}: {m.name}{scale} (negative favours {w.intervention})."
