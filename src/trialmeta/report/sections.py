"""Text and table rows of the report's sections (plain strings; no HTML here).

:mod:`trialmeta.report.html` escapes and places them. Every sentence is built from the
typed results and the config; nothing is recomputed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from trialmeta.report.sentences import coverage_check_sentence, gosh_sentence, tsa_sentence
from trialmeta.report.sof_build import certainty_glyphs
from trialmeta.report.text import (
    MEASURE_LABELS,
    TEST_LABELS,
    MeasureLabel,
    effect_scale,
    level_percent,
    num,
    p_text,
    scale_text,
    trials_text,
)
from trialmeta.review.codec import NotRun
from trialmeta.review.config import ReviewConfig
from trialmeta.review.results import (
    AnalysisResult,
    CoverageCheck,
    GoshSummary,
    MetaRegression,
    OutcomeResult,
    PermutationCheck,
    SmallStudy,
)
from trialmeta.stats.results import BeggResult, EggerResult, TrimFillResult

__all__ = [
    "Block",
    "coverage_table",
    "flow_rows",
    "methods_paragraphs",
    "outcome_text",
    "robustness_blocks",
    "sensitivity_blocks",
]

HKSJ_REASON = (
    "The Hartung-Knapp-Sidik-Jonkman (knha) test is used because, with few studies, the "
    "usual z-based random-effects interval is too narrow while knha keeps close to nominal "
    "coverage (IntHout J, Ioannidis JPA, Borm GF. BMC Med Res Methodol 2014;14:25, "
    "doi:10.1186/1471-2288-14-25)."
)


@dataclass(frozen=True)
class Block:
    """One piece of section 5: a heading, a paragraph, or a table (``head`` + ``rows``)."""

    kind: str  # "heading" | "paragraph" | "table"
    text: str = ""
    head: tuple[str, ...] = ()
    rows: tuple[tuple[object, ...], ...] = ()


def _table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> Block:
    return Block("table", head=tuple(head), rows=tuple(tuple(r) for r in rows))


def _blank(x: float) -> float | None:
    """A result number as a table cell: a missing (NaN) value is a blank cell."""
    return None if isinstance(x, float) and math.isnan(x) else x


def methods_paragraphs(config: ReviewConfig) -> list[str]:
    """Section 1: question, data, model, conversions, small-study policy, GRADE."""
    m = config.model
    return [
        f"Question: {config.question}",
        f"Data: the extraction sheets in {config.data_dir}/ were validated against their "
        "schemas before any analysis. Effect measure: "
        + effect_scale(config.measure, config.intervention),
        f"Model: random-effects, tau² by {m.method} (metafor names), test "
        f"{TEST_LABELS[m.test].methods}, {level_percent(m.level)} intervals; "
        "prediction intervals use t with k-2 df (Higgins, Thompson & Spiegelhalter 2009). "
        + (HKSJ_REASON if m.test == "knha" else ""),
        "Conversions follow the Cochrane Handbook chapter 6 (SD from SE, CI, t or p); medians "
        "with IQR or range are converted with the Wan 2014 / Luo 2018 estimators; scales are "
        f"harmonised to {scale_text()} with direction aligned; change and final scores are not "
        "mixed in one SMD; multi-arm trials are "
        + (
            "split (the shared control divided)"
            if config.multi_arm is not None and config.multi_arm.method == "split"
            else "combined into one comparison per trial"
        )
        + " (Cochrane Handbook 23.3.4). Each conversion is recorded in the effect table "
        "(derivation column).",
        "Timepoints: an outcome with a timepoint rule takes, per trial, the end of that trial's "
        "own course (its treatment weeks plus a tolerance) or a follow-up band counted from it; "
        "an outcome without one, or a trial without treatment weeks (flagged), the timepoint "
        "closest to the window's target. Fewer than "
        f"{m.min_k} trials are not pooled; a single trial is reported with its own result.",
        "Small-study tests (funnel plot, Egger, Begg, trim-and-fill) run only when k >= "
        f"{config.grade.pubbias_min_k} (Cochrane Handbook 13.3.5.4).",
        _simulation_paragraph(config),
        "Certainty: GRADE, starting at High for randomised trials, rated down by the explicit "
        "rules in config/config.yaml (grade:), each judgement given with its numbers in "
        "section 6. Manual overrides are printed with their reasons.",
    ]


def _simulation_paragraph(config: ReviewConfig) -> str:
    sim = config.simulation
    return (
        "Checks of every pooled analysis with at least 3 trials: (1) coverage simulation: "
        f"{sim.coverage_n_sim:,} meta-analyses drawn from the random-effects model with the "
        "analysis' own number of trials and within-trial variances, at tau² equal to its "
        "estimate and its Q-profile CI bounds, refitted with both tests, give how often a "
        "nominal interval covers (Partlett C, Riley RD. Stat Med 2017;36:301-317); (2) GOSH: "
        f"the {sim.gosh_method} model fitted to every subset of trials (a random sample of "
        f"{sim.gosh_max_subsets:,} when there are more), naming the trials whose inclusion "
        "shifts the subset estimates or I² by a standard deviation or more (Olkin I, Dahabreh "
        "IJ, Trikalinos TA. Res Synth Methods 2012;3:214-223); (3) permutation tests "
        f"({sim.permutations:,} permutations, exact when there are fewer distinct ones) of "
        "subgroup differences (meta-regression on subgroup dummies) and of meta-regressions, as "
        "metafor permutest (Higgins JPT, Thompson SG. Stat Med 2004;23:1663-1682). Every "
        f"simulation uses the fixed seed {sim.seed}."
    )


def flow_rows(
    results: Sequence[OutcomeResult], accounting: Sequence[Mapping[str, object]]
) -> tuple[list[str], list[list[object]]]:
    """identified → poolable → pooled, per main analysis (outcome window × comparison).

    ``identified``/``poolable`` count the accounting rows of that outcome window
    and comparison (the data build's decisions); ``pooled`` is the analysis' k
    when a pooled estimate exists, else 0.
    """
    head = ["Outcome window", "Comparison", "Identified", "Poolable", "Pooled (k)", "Status"]
    rows: list[list[object]] = []
    for res in results:
        for a in res.analyses:
            c = a.analysis
            cell = [r for r in accounting if str(r.get("outcome_id")) == c.outcome_id
                    and str(r.get("comparison")) == c.comparison]  # fmt: skip
            poolable = sum(1 for r in cell if str(r.get("status")) == "poolable")
            pooled = c.k if c.status == "pooled" else 0
            rows.append(
                [res.outcome.label, a.comparison_label, len(cell), poolable, pooled, c.status]
            )
    return head, rows


def outcome_text(a: AnalysisResult, measure: str) -> str:
    """RevMan-style sentence for a main analysis (a ratio as the ratio, with its
    Mantel-Haenszel estimate: Cochrane Handbook v6.5, 10.4.4)."""
    c, p, g = a.analysis, a.analysis.pooled, a.grade
    if p is None:
        return f"{c.analysis_id}: {c.status}; no pooled estimate."
    m = MEASURE_LABELS[measure]
    nd = 2 if m.ratio else 1
    pi = (
        f"prediction interval {num(m.shown(p.pi_lb), nd)} to {num(m.shown(p.pi_ub), nd)}"
        if c.k >= 3
        else "no prediction interval (k < 3)"
    )
    mh = c.binary.mh if c.binary is not None else None
    beside = (
        f"; Mantel-Haenszel (fixed) {m.abbrev} {num(m.shown(mh.estimate), 2)} "
        f"({num(m.shown(mh.ci_lb), 2)} to {num(m.shown(mh.ci_ub), 2)})"
        if mh is not None and not isinstance(mh, NotRun)
        else ""
    )
    return (
        f"{m.abbrev} {num(m.shown(p.estimate), nd)} ({level_percent(p.level)} CI "
        f"{num(m.shown(p.ci_lb), nd)} to {num(m.shown(p.ci_ub), nd)}; {p.method} + "
        f"{p.test}{beside}), {c.k} trials, "
        f"{c.n_participants} participants; Heterogeneity: Tau² = {num(p.tau2, 2)}; Chi² = "
        f"{num(p.q, 2)}, df = {p.q_df} ({p_text(p.q_pval)}); I² = "
        f"{num(p.i2_percent, 0)}%; {pi}. Test for overall effect: {p_text(p.pval)}. "
        f"Certainty: {certainty_glyphs(g.level)} {g.certainty}."
    )


def _small_study_text(ss: SmallStudy, m: MeasureLabel) -> str:
    eg, bg, tf = ss.egger, ss.begg, ss.trimfill
    egger_p = eg.pval if isinstance(eg, EggerResult) else math.nan
    begg_p = bg.pval if isinstance(bg, BeggResult) else math.nan
    added = trials_text(tf.k0) if isinstance(tf, TrimFillResult) else "no trial"
    est = tf.estimate if isinstance(tf, TrimFillResult) else math.nan
    return (
        f"Egger's test {p_text(egger_p)}; Begg's test {p_text(begg_p)}; "
        f"trim-and-fill adds {added}, {m.abbrev} {num(m.shown(est), 2 if m.ratio else 1)}."
    )


def sensitivity_blocks(a: AnalysisResult, measure: str, level: float) -> list[Block]:
    """Section 5 blocks of one main analysis."""
    m = MEASURE_LABELS[measure]
    v = m.shown  # a ratio's tables show the ratio (exp of the analysis scale)
    md, ci = m.abbrev, f"{level_percent(level)} CI"
    out = [Block("heading", a.analysis_id)]
    if not a.sensitivity:
        out.append(Block("paragraph", f"No sensitivity analysis: {a.analysis.status}."))
    else:
        out.append(_table(["Analysis", "k", md, ci, "tau²", "I² (%)", "Same conclusion"],
                          [[s.label, s.k, _blank(v(s.estimate)),
                            f"{num(v(s.ci_lb))} to {num(v(s.ci_ub))}", _blank(s.tau2),
                            _blank(s.i2_percent),
                            "" if s.robust is None else ("yes" if s.robust else "no")]
                           for s in a.sensitivity]))  # fmt: skip
    if not isinstance(a.loo, NotRun):
        loo = a.loo.result
        out.append(_table(["Leave out", md, ci, "I² (%)"],
                          [[sid, _blank(v(float(loo.estimate[i]))),
                            f"{num(v(float(loo.ci_lb[i])))} to "
                            f"{num(v(float(loo.ci_ub[i])))}",
                            _blank(float(loo.i2_percent[i]))]
                           for i, sid in enumerate(a.loo.omitted)]))  # fmt: skip
    for sg in a.subgroups:
        d = sg.difference
        rows = [[f.analysis.subgroup, f.analysis.k,
                 _blank(v(f.analysis.pooled.estimate)) if f.analysis.pooled else math.nan,
                 f"{num(v(f.analysis.pooled.ci_lb) if f.analysis.pooled else None)} to "
                 f"{num(v(f.analysis.pooled.ci_ub) if f.analysis.pooled else None)}",
                 _blank(f.analysis.pooled.i2_percent) if f.analysis.pooled else math.nan]
                for f in sg.fits]  # fmt: skip
        out.append(_table(["Subgroup", "k", md, ci, "I² (%)"], rows))
        out.append(Block("paragraph", f"Test for subgroup differences ({sg.variable}): Chi² = "
                                      f"{num(d.q, 2)}, df = {d.df} ({p_text(d.pval)}), "
                                      f"I² = {num(d.i2_percent)}%. "
                                      + _subgroup_perm_text(sg.permutation)))  # fmt: skip
    if isinstance(a.small_study, SmallStudy):
        out.append(Block("paragraph", _small_study_text(a.small_study, m)))
    elif a.analysis.pooled is not None:
        out.append(
            Block("paragraph", f"Funnel plot and small-study tests: {a.small_study.reason}.")
        )
    if not isinstance(a.tsa, NotRun):
        out.append(Block("paragraph", f"Trial sequential analysis: {tsa_sentence(a.tsa)}."))
    elif a.analysis.pooled is not None and a.analysis.k >= 2:
        out.append(Block("paragraph", f"Trial sequential analysis: not run ({a.tsa.reason})."))
    for mod, mr in a.metareg.items():
        if isinstance(mr, MetaRegression):
            r = mr.result
            out.append(Block("paragraph", (
                f"Meta-regression on {mod}: slope {num(r.coef[1], 3)} per unit "
                f"({level_percent(r.level)} CI {num(r.ci_lb[1], 3)} to {num(r.ci_ub[1], 3)}, "
                f"{p_text(r.pval[1])}), k = {r.k}, R² = {num(r.r2_percent)}%; "
                + _perm_p_text(mr.permutation) + ".")))  # fmt: skip
        else:
            out.append(Block("paragraph", f"Meta-regression on {mod}: not run ({mr.reason})."))
    return out + robustness_blocks(a)


def _perm_p_text(perm: PermutationCheck | NotRun) -> str:
    """``"permutation p = 0.021 (10,000 random permutations)"`` or why there is none."""
    if isinstance(perm, NotRun):
        return "no permutation test" + (f" ({perm.reason})" if perm.reason else "")
    n = f"{perm.n_permutations:,}"
    how = f"exact: all {n} permutations" if perm.exact else f"{n} random permutations"
    return f"permutation {p_text(perm.qm_pval)} ({how}; metafor permutest)"


def _subgroup_perm_text(perm: PermutationCheck | NotRun) -> str:
    """The permutation test of the same question (metafor ``permutest`` of the dummy model)."""
    if isinstance(perm, NotRun):
        return _perm_p_text(perm).capitalize() + "."
    stat = "F" if perm.test == "knha" else "QM"
    return (
        f"Meta-regression on subgroup dummies ({perm.method} + {perm.test}, one common "
        f"tau²): {stat} = {num(perm.qm, 2)}, parametric "
        f"{p_text(perm.qm_pval_parametric)}, {_perm_p_text(perm)}."
    )


COVERAGE_HEAD = ["tau² at", "tau²", "Test", "CI coverage (%)", "MCSE (%)", "PI coverage (%)",
                 "Mean CI width"]  # fmt: skip


def coverage_table(cov: CoverageCheck) -> tuple[list[str], list[list[object]]]:
    """Rows of the coverage simulation: τ² value × test, coverage in percent."""
    r = cov.result
    rows: list[list[object]] = []
    for i, point in enumerate(cov.tau2_points):
        for j, test in enumerate(r.tests):
            pct = [float(getattr(r, f)[i][j]) for f in ("ci_coverage", "ci_mcse", "pi_coverage")]
            rows.append([point.replace("ci_", "CI ").replace("lb", "lower bound")
                         .replace("ub", "upper bound"), num(float(r.tau2_values[i]), 2), test,
                         *[num(100 * x) for x in pct],
                         num(float(r.ci_width_mean[i][j]), 2)])  # fmt: skip
    return COVERAGE_HEAD, rows


def robustness_blocks(a: AnalysisResult) -> list[Block]:
    """Coverage simulation (sentence + table) and GOSH summary of a main analysis."""
    out: list[Block] = []
    cov = a.coverage
    if isinstance(cov, CoverageCheck):
        out.append(Block("paragraph", f"Coverage simulation ({cov.result.n_sim:,} simulated "
                                      f"meta-analyses per tau² value, seed {cov.result.seed}): "
                                      f"{coverage_check_sentence(cov)}"))  # fmt: skip
        out.append(_table(*coverage_table(cov)))
    elif a.analysis.pooled is not None and a.analysis.k >= 3:
        out.append(Block("paragraph", f"Coverage simulation: not run ({cov.reason})."))
    g = a.gosh
    if isinstance(g, GoshSummary):
        text = gosh_sentence(g).rstrip(".")
        out.append(Block("paragraph", f"{text} (plot in section 4; per-trial shifts in "
                                      "results/gosh.csv)."))  # fmt: skip
    elif a.analysis.pooled is not None and a.analysis.k >= 3:
        out.append(Block("paragraph", f"GOSH: not run ({g.reason})."))
    return out
