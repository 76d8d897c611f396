"""Plain-text pieces of the report's opening sections: the PICO lines, the key-findings line
of each comparison, the characteristics of included studies, and figure captions.

Strings only (no HTML): :mod:`trialmeta.report.html` escapes and places them. Every value
comes from the typed results, the config, the label map or the sheets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from trialmeta.effects.binary import BINARY_MEASURES
from trialmeta.report.labels import LabelMap
from trialmeta.report.sof_model import SofRow
from trialmeta.report.text import count_text, num, trials_text, value_text
from trialmeta.review.config import ReviewConfig
from trialmeta.review.results import AnalysisResult, OutcomeResult

__all__ = ["FIGURE_TITLES", "GLANCE_HEAD", "STUDY_HEAD", "alt_text", "caption",
           "characteristics_rows", "finding_text", "glance_rows", "pico_lines"]  # fmt: skip

FIGURE_TITLES = {
    "forest": "forest plot", "funnel": "contour-enhanced funnel plot",
    "loo": "leave-one-out analysis", "baujat": "Baujat plot",
    "tsa": "trial sequential analysis", "gosh": "GOSH plot (subsets of trials)",
}  # fmt: skip
STUDY_HEAD = ("Trial", "Population", "Country", "Randomised", "Technique", "Sessions",
              "Weeks of treatment", "Control", "Weeks analysed", "Score", "Source",
              "In an analysis")  # fmt: skip


def pico_lines(config: ReviewConfig, labels: LabelMap) -> list[tuple[str, str]]:
    """(name, text) of the question as PICO, with outcomes, instruments, MCIDs and windows."""
    mcids: dict[str, str] = {}
    for o in config.outcomes:  # a binary outcome's MCID is a risk difference per 1000
        unit = "per 1000" if (o.measure or config.measure) in BINARY_MEASURES else "points"
        mcids.setdefault(config.outcome_noun(o.codes[0]), f"{o.mcid_value:g} {unit}")
    outcomes = (
        "; ".join(o.label for o in config.outcomes) + ". Minimal important "
        "differences: " + "; ".join(f"{k} {v}" for k, v in mcids.items()) + "."
    )
    comps = "; ".join(c.label for c in config.comparisons if not c.members)
    return [("Question", config.question),
            ("Population", labels.code(config.target_population)),
            ("Intervention", config.intervention_label),
            ("Comparisons", comps), ("Outcomes", outcomes)]  # fmt: skip


def finding_text(row: SofRow) -> str:
    """``"Pain (0-100), end of treatment: MD 1.6 lower (...); 359 (4 RCTs); ⨁◯◯◯ Very low."``"""
    outcome = row.outcome.split(". ")[0]
    grade = f"{row.certainty_symbols} {row.certainty_word}".strip()
    people = row.participants.replace(" (", " participants (", 1)
    return f"{outcome}: {row.risk_intervention}; {people}; {grade}."


def caption(number: int, kind: str, a: AnalysisResult, labels: LabelMap) -> str:
    """``"Figure 3. Pain (0-100), end of treatment, acupuncture vs sham: forest plot"``."""
    comp = labels.comparison(a.analysis.comparison)
    outcome = labels.outcome(a.analysis.outcome_id)
    return (
        f"Figure {number}. {outcome}, {comp[:1].lower() + comp[1:]}: "
        f"{FIGURE_TITLES.get(kind, kind)}"
    )


def alt_text(kind: str, a: AnalysisResult) -> str:
    """What a figure shows, for screen readers: a forest plot's trials and pooled result."""
    trials = trials_text(len({r.study_id for r in a.effects}))
    what = FIGURE_TITLES.get(kind, kind).capitalize()
    p = a.analysis.pooled
    if kind != "forest" or p is None:
        return f"{what} of {trials}."
    return (
        f"{what} of {trials}: pooled mean difference {num(p.estimate)} (95% CI "
        f"{num(p.ci_lb)} to {num(p.ci_ub)}), I² {num(p.i2_percent, 0)}%."
    )


def _study_facts(results: Sequence[OutcomeResult]) -> dict[str, dict[str, set[str]]]:
    facts: dict[str, dict[str, set[str]]] = {}
    for res in results:
        for a in res.analyses:
            for r in a.effects:
                f = facts.setdefault(r.study_id, {})
                for key, value in (("acupuncture", r.get("technique")),
                                   ("sessions", r.get("n_sessions")),
                                   ("weeks", r.get("treatment_weeks")),
                                   ("control", r.control_intervention or r.get("control_type")),
                                   ("analysed", r.get("timepoint_weeks")),
                                   ("score", r.get("measure"))):  # fmt: skip
                    if value not in (None, ""):
                        f.setdefault(key, set()).add(value_text(value))
    return facts


def _join(values: set[str], labels: LabelMap) -> str:
    def key(v: str) -> tuple[int, float | str]:
        try:
            return 0, float(v)
        except ValueError:
            return 1, v

    return ", ".join(labels.code(v) for v in sorted(values, key=key)) or "–"


def characteristics_rows(studies: Sequence[Mapping[str, object]],
                         results: Sequence[OutcomeResult], labels: LabelMap,
                         in_analysis: Mapping[str, bool]) -> list[list[object]]:  # fmt: skip
    """Characteristics of included studies: one row per trial of the studies sheet."""
    facts = _study_facts(results)
    rows: list[list[object]] = []
    for s in studies:
        sid = str(s.get("study_id"))
        f = facts.get(sid, {})
        n = value_text(s.get("n_randomised"))
        rows.append([labels.study(sid), labels.code(value_text(s.get("population"))),
                     value_text(s.get("country")) or "–", count_text(float(n)) if n else "–",
                     _join(f.get("acupuncture", set()), labels),
                     _join(f.get("sessions", set()), labels), _join(f.get("weeks", set()), labels),
                     _join(f.get("control", set()), labels),
                     _join(f.get("analysed", set()), labels), _join(f.get("score", set()), labels),
                     labels.code(value_text(s.get("verification"))) or "–",
                     "yes" if in_analysis.get(sid) else "no"])  # fmt: skip
    return rows


GLANCE_HEAD = ("Analysis", "Trials", "Participants", "I² (%)", "Certainty", "Rated down for")


def glance_rows(config: ReviewConfig, results: Sequence[OutcomeResult],
                labels: LabelMap) -> list[list[object]]:  # fmt: skip
    """One row per analysis with data: size, heterogeneity, certainty and the domains rated
    down (the limitations, grouped by analysis)."""
    shown = {c.id for c in config.comparisons if c.members}
    rows: list[list[object]] = []
    for res in results:
        for a in res.analyses:
            if a.analysis.comparison in shown or not a.effects:
                continue
            p, g = a.analysis.pooled, a.grade
            down = "; ".join(f"{d.domain.replace('_', ' ')} ({d.judgement})"
                             for d in g.domains if d.downgrade > 0)  # fmt: skip
            rows.append([labels.analysis(a.analysis_id),
                         trials_text(len({r.study_id for r in a.effects})),
                         count_text(a.analysis.n_participants),
                         "–" if p is None or a.analysis.k < 2 else p.i2_percent,
                         g.certainty if g.level > 0 else "Not rated (single trial)",
                         down or "–"])  # fmt: skip
    return rows
