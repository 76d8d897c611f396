"""Build the GRADEpro Summary of Findings tables (:mod:`trialmeta.report.sof_model`) from the
typed review result.

One table per comparison that answers one question (a comparison with ``members``, the
side-by-side display of several comparators, gets no Summary of Findings row: Cochrane
Handbook v6.5, section 14.1.4, one table per comparison). Per outcome window:

* Outcomes: the window's label, the instruments the analysed rows used, "lower is better"
  (the harmonised scale's direction) and the weeks after randomisation actually analysed;
* Risk with the comparator: the range of the control groups' final means (GRADEpro's
  "The mean pain was ..."; change scores give the range of mean changes);
* Risk with the intervention: the pooled MD and CI in GRADEpro wording; a single trial's
  own MD and CI (metafor ``escalc`` + Wald CI) when only one trial reports the outcome;
* Relative effect "–" (continuous outcome); № of participants (studies);
* a binary outcome (RR, OR, RD) instead gives the assumed risk with the comparator per 1000
  (median control-group risk, or the configured one), the corresponding risk with the
  intervention per 1000 with its CI and the difference per 1000, and the relative effect
  (Cochrane Handbook v6.5, sections 14.1.5.1 and 15.4.4; GRADE guidelines 12);
* Certainty as ⨁⨁◯◯ + word (GRADE Handbook 2013, section 5.1) with one footnote per
  domain rated down, giving its reason and numbers;
* Comments: the MCID (with its source) and the plain-language statement (GRADE guidelines
  26, Santesso et al. 2020); a CI past the ends of the scale says so.

Nothing is refitted: every number comes from the result or its effect rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TypedDict

from trialmeta.effects.harmonise import HARMONISED_RANGE
from trialmeta.report.absolute_effects import (
    absolute_columns,
    difference_text,
    per_1000,
    relative_text,
)
from trialmeta.report.humanise import humaniser
from trialmeta.report.labels import LabelMap
from trialmeta.report.sof_model import EXPLANATION, SofHeader, SofRow, SofTable
from trialmeta.report.summary_of_findings import md_text, plain_language
from trialmeta.report.text import MEASURE_LABELS, capitalised, count_text, num, prose, trials_text
from trialmeta.review.absolute_effects import AbsoluteEffect
from trialmeta.review.config import ComparisonConfig, ReviewConfig
from trialmeta.review.results import AnalysisResult, EffectRow, OutcomeResult
from trialmeta.stats._tables import z_inference

__all__ = ["certainty_glyphs", "figure_anchor", "footnote_anchor", "single_trial_ci",
           "sof_tables"]  # fmt: skip

LETTERS = "abcdefghijklmnopqrstuvwxyz"
_LEVELS = {1: "one level", 2: "two levels"}


def certainty_glyphs(level: int) -> str:
    """GRADEpro's symbols: ⨁ (U+2A01) and ◯ (U+25EF), drawn at the same size.

    >>> certainty_glyphs(2)
    '⨁⨁◯◯'
    """
    return "" if level <= 0 else "\u2a01" * level + "\u25ef" * (4 - level)


def figure_anchor(analysis_id: str) -> str:
    """The HTML id of an analysis' forest plot."""
    return f"fig-{analysis_id}"


def footnote_anchor(comparison_id: str, letter: str) -> str:
    """The HTML id of a Summary of Findings footnote."""
    return f"sof-{comparison_id}-{letter}"


def single_trial_ci(row: EffectRow, level: float) -> tuple[float, float, float]:
    """(MD, CI lower, CI upper) of one trial: ``yi ± z_{1-α/2} sqrt(vi)`` (metafor
    ``escalc`` then ``summary(..., level)``), the interval the forest plot draws."""
    _, _, lb, ub = (
        z_inference(row.yi, math.sqrt(row.vi), level) if row.vi >= 0 else (0, 0, math.nan, math.nan)
    )
    return row.yi, lb, ub


def _population(config: ReviewConfig, labels: LabelMap, effects: Sequence[EffectRow]) -> str:
    target = labels.code(config.target_population)
    per: dict[str, set[str]] = {}
    for r in effects:
        per.setdefault(labels.code(r.get("population") or "not reported"), set()).add(r.study_id)
    found = ", ".join(f"{p[:1].lower() + p[1:]} ({len(s)})" for p, s in sorted(per.items()))
    return f"{target} (review question); trials enrolled: {found}" if found else target


def _setting(effects: Sequence[EffectRow], countries: Mapping[str, str]) -> str:
    per: dict[str, set[str]] = {}
    for r in effects:
        per.setdefault(countries.get(r.study_id) or "country not reported", set()).add(r.study_id)
    if not per:
        return "No trials"
    return "Trials in " + ", ".join(f"{c} ({len(s)})" for c, s in sorted(per.items()))


def _weeks(effects: Sequence[EffectRow]) -> str:
    weeks = sorted({r.number("timepoint_weeks") for r in effects
                    if math.isfinite(r.number("timepoint_weeks"))})  # fmt: skip
    if not weeks:
        return "timepoint not reported"
    lo, hi = num(weeks[0], 0 if weeks[0].is_integer() else 1), num(weeks[-1], 0)
    return f"week {lo}" if weeks[0] == weeks[-1] else f"weeks {lo} to {hi}"


def _outcome_cell(res: OutcomeResult, a: AnalysisResult, labels: LabelMap,
                  binary: bool) -> str:  # fmt: skip
    inst = sorted({labels.code(r.get("instrument")) for r in a.effects if r.get("instrument")})
    what = ", ".join(inst) if inst else "instrument not reported"
    if binary:  # participants with the event, over each trial's own period
        weeks = _weeks(a.effects)
        when = (
            "over each trial's own study period (no week reported)"
            if weeks == "timepoint not reported"
            else f"at {weeks} after randomisation"
        )
        return f"{res.outcome.label}. {what}; assessed {when}"
    return (
        f"{res.outcome.label}. {what}, rescaled to {HARMONISED_RANGE[0]:g}–"
        f"{HARMONISED_RANGE[1]:g}; lower is better. Assessed at {_weeks(a.effects)} "
        "after randomisation"
    )


def _control_risk(a: AnalysisResult, noun: str) -> str:
    for measure, words in (("final", f"The mean {noun}"), ("change", f"The mean change in {noun}")):
        vals = sorted(
            r.number("m2")
            for r in a.effects
            if r.get("measure") == measure and math.isfinite(r.number("m2"))
        )
        if vals:
            if len(vals) == 1 or num(vals[0], 0) == num(vals[-1], 0):
                return f"{words} was {num(vals[0], 0)} points"
            return (
                f"{words} ranged across control groups from {num(vals[0], 0)} to "
                f"{num(vals[-1], 0)} points"
            )
    return "Not reported"


def _beyond_scale(lb: float, ub: float) -> bool:
    span = HARMONISED_RANGE[1] - HARMONISED_RANGE[0]
    return math.isfinite(lb) and math.isfinite(ub) and (lb < -span or ub > span)


def _participants(a: AnalysisResult) -> str:
    n_trials = len({r.study_id for r in a.effects}) or a.analysis.k
    text = f"{count_text(a.analysis.n_participants)} ({trials_text(n_trials, 'RCT')}"
    if n_trials != a.analysis.k:
        text += f"; {a.analysis.k} comparisons"
    return text + ")"


def _footnotes(a: AnalysisResult, start: int,
               human: Callable[[str], str]) -> list[tuple[str, str]]:  # fmt: skip
    """One footnote per domain rated down: the typed judgement's sentence with its numbers
    (GRADEpro explains each downgrade in a footnote)."""
    out: list[tuple[str, str]] = []
    for d in a.grade.domains:
        if d.downgrade <= 0:
            continue
        word = labels_domain(d.domain)
        text = f"Rated down {_LEVELS.get(d.downgrade, str(d.downgrade))} for {word}: {d.reason}"
        if d.overridden:
            text += f" (judgement set in the config: {d.override_reason})"
        out.append((LETTERS[(start + len(out)) % len(LETTERS)], prose(human(text))))
    return out


def labels_domain(domain: str) -> str:
    """A GRADE domain in a sentence: ``risk_of_bias`` → ``risk of bias``."""
    return domain.replace("_", " ")


def outcome_noun(config: ReviewConfig, res: OutcomeResult) -> str:
    """The outcome's plain-language noun: each pooled code's (``outcome_nouns``), distinct
    ones joined by "or" (ODI and RMDQ: "disability")."""
    return " or ".join(dict.fromkeys(config.outcome_noun(c) for c in res.outcome.codes))


def _mcid_comment(res: OutcomeResult, unit: str) -> str:
    """``"Minimal important difference: 15 points (Ostelo RWJG et al)."``"""
    cite = res.outcome.mcid.citation.split(".")[0] if res.outcome.mcid.citation else ""
    return f"Minimal important difference: {num(res.outcome.mcid_value, 0)} {unit}" + (
        f" ({cite})." if cite else "."
    )


class _Graded(TypedDict):
    certainty_symbols: str
    certainty_word: str
    footnote_marks: str
    anchor: str
    analysis_id: str


def _graded(a: AnalysisResult, notes: list[tuple[str, str]],
            human: Callable[[str], str]) -> _Graded:  # fmt: skip
    """The SofRow fields every row shares: certainty, its footnote letters (appended to
    ``notes``), the forest-plot anchor and the analysis id."""
    g = a.grade
    own = _footnotes(a, len(notes), human)
    notes += own
    return {"certainty_symbols": certainty_glyphs(g.level),
            "certainty_word": g.certainty if g.level > 0 else "Not rated",
            "footnote_marks": ",".join(letter for letter, _ in own),
            "anchor": figure_anchor(a.analysis.analysis_id),
            "analysis_id": a.analysis.analysis_id}  # fmt: skip


def _binary_row(config: ReviewConfig, res: OutcomeResult, a: AnalysisResult, ab: AbsoluteEffect,
                labels: LabelMap, notes: list[tuple[str, str]],
                human: Callable[[str], str]) -> SofRow:  # fmt: skip
    """A binary outcome's row: risks per 1000 and the relative effect (GRADEpro's
    dichotomous layout; Cochrane Handbook v6.5, section 14.1.5.1)."""
    cell, g = a.analysis, a.grade
    noun = outcome_noun(config, res)
    comparator = next(c.comparator for c in config.comparisons if c.id == cell.comparison)
    mcid = res.outcome.mcid_value
    cols = absolute_columns(ab)
    comments: list[str] = []
    if cell.pooled is None:
        study = labels.study(a.effects[0].study_id)
        comments.append(f"One trial ({study}): not pooled.")
    if g.level > 0:
        comments.append(
            plain_language(
                g.level,
                ab.difference_per_1000,
                ab.difference_per_1000_lb,
                ab.difference_per_1000_ub,
                mcid,
                noun,
                comparator,
                config.intervention,
            )
        )
    comments.append(f"Assumed risk with the comparator: {ab.control_risk_source}.")
    comments.append(_mcid_comment(res, "per 1000"))
    return SofRow(
        outcome=_outcome_cell(res, a, labels, binary=True),
        risk_control=f"{cols['control_risk_per_1000']} per 1000",
        risk_intervention=f"{per_1000(ab.risk)} per 1000 ({per_1000(ab.risk_lb)} to "
                          f"{per_1000(ab.risk_ub)}): {difference_text(ab)}",
        relative_effect=relative_text(ab) if MEASURE_LABELS[ab.measure].ratio else "–",
        participants=_participants(a), comments=" ".join(comments),
        absolute=tuple((k, str(v)) for k, v in cols.items()), **_graded(a, notes, human),
    )  # fmt: skip


def _row(config: ReviewConfig, res: OutcomeResult, a: AnalysisResult, labels: LabelMap,
         notes: list[tuple[str, str]], human: Callable[[str], str]) -> SofRow:  # fmt: skip
    if a.absolute is not None:
        return _binary_row(config, res, a, a.absolute, labels, notes, human)
    cell, g, level = a.analysis, a.grade, config.model.level
    measure = res.outcome.measure or config.measure
    noun = outcome_noun(config, res)
    comparator = next(c.comparator for c in config.comparisons if c.id == cell.comparison)
    mcid = res.outcome.mcid_value
    comments = []
    if cell.pooled is not None:
        est, lb, ub = cell.pooled.estimate, cell.pooled.ci_lb, cell.pooled.ci_ub
        effect = md_text(est, lb, ub, measure)
        comments.append(plain_language(g.level, est, lb, ub, mcid, noun, comparator,
                                       config.intervention))  # fmt: skip
    else:
        est, lb, ub = single_trial_ci(a.effects[0], level)
        effect = md_text(est, lb, ub, measure)
        study = labels.study(a.effects[0].study_id)
        comments.append(
            f"One trial ({study}): not pooled."
            + ("" if g.level > 0 else " Certainty not rated for a single trial by these rules.")
        )
        if g.level > 0:
            comments.append(plain_language(g.level, est, lb, ub, mcid, noun, comparator,
                                           config.intervention))  # fmt: skip
    if measure == "MD" and _beyond_scale(lb, ub):
        comments.append(f"The CI runs past the ends of the {HARMONISED_RANGE[0]:g}–"
                        f"{HARMONISED_RANGE[1]:g} scale (no difference can exceed "
                        f"{HARMONISED_RANGE[1] - HARMONISED_RANGE[0]:g} points): it carries "
                        "almost no information.")  # fmt: skip
    comments.append(_mcid_comment(res, "points"))
    return SofRow(
        outcome=_outcome_cell(res, a, labels, binary=False),
        risk_control=_control_risk(a, noun),
        risk_intervention=effect, relative_effect="–", participants=_participants(a),
        comments=" ".join(comments), **_graded(a, notes, human),
    )  # fmt: skip


def _table(config: ReviewConfig, comp: ComparisonConfig, results: Sequence[OutcomeResult],
           labels: LabelMap, countries: Mapping[str, str],
           human: Callable[[str], str]) -> SofTable:  # fmt: skip
    rows: list[SofRow] = []
    notes: list[tuple[str, str]] = []
    missing: list[str] = []
    effects: list[EffectRow] = []
    for res in results:
        for a in res.analyses:
            if a.analysis.comparison != comp.id:
                continue
            if not a.effects:
                missing.append(res.outcome.label)
                continue
            effects += a.effects
            rows.append(_row(config, res, a, labels, notes, human))
    comparator = capitalised(comp.comparator)
    controls = sorted({str(r.control_intervention) for r in effects if r.control_intervention})
    shown = "; ".join(controls[:8]) + ("; …" if len(controls) > 8 else "")
    header = SofHeader(
        title=f"{capitalised(comp.label.replace(' vs ', ' compared with ', 1))} for "
              f"{labels.code(config.target_population).lower()}",
        population=_population(config, labels, effects), setting=_setting(effects, countries),
        intervention=config.intervention_label,
        comparison=comparator + (f" (in these trials: {shown})" if shown else ""),
        comparator=comparator)  # fmt: skip
    measures = sorted({res.outcome.measure or config.measure for res in results
                       if any(a.analysis.comparison == comp.id and a.effects
                              for a in res.analyses)})  # fmt: skip
    abbrevs = "; ".join(f"{MEASURE_LABELS[m].abbrev}: {MEASURE_LABELS[m].name}"
                        for m in measures)  # fmt: skip
    explanation = EXPLANATION.replace("MD: mean difference", abbrevs) if abbrevs else EXPLANATION
    return SofTable(
        header,
        tuple(rows),
        tuple(notes),
        explanation=explanation,
        not_reported=tuple(missing),
        comparison_id=comp.id,
    )


def sof_tables(config: ReviewConfig, results: Sequence[OutcomeResult], labels: LabelMap,
               countries: Mapping[str, str]) -> list[SofTable]:  # fmt: skip
    """One GRADEpro table per comparison (config order); ``countries`` maps a study id to its
    country (the studies sheet)."""
    human = humaniser(labels)
    return [_table(config, c, results, labels, countries, human) for c in config.comparisons
            if not c.members]  # fmt: skip
