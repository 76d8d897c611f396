"""Text and table rows of the report's sections (plain strings; no HTML here).

:mod:`trialmeta.report` escapes and places them. Every sentence is built from
results; nothing is recomputed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = [
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


def _f(x: object, nd: int = 1) -> str:
    return f"{x:.{nd}f}" if isinstance(x, (int, float)) and math.isfinite(x) else "NA"


def _p(x: object) -> str:
    if not isinstance(x, (int, float)) or not math.isfinite(x):
        return "NA"
    return "< 0.001" if x < 0.001 else f"{x:.3f}"


def methods_paragraphs(config: Mapping[str, object], provenance: Mapping[str, object]) -> list[str]:
    """Section 1: question, data, model, conversions, small-study policy, GRADE."""
    m = config["model"]
    tests = {"knha": "Hartung-Knapp-Sidik-Jonkman (knha)", "z": "Wald z"}
    paras = [
        f"Question: {config['question']}",
        f"Data: the extraction sheets in {config['data_dir']}/ were validated against their "
        "schemas before any analysis. Effect measure: "
        + ("mean difference (MD) on the harmonised 0-100 scale, lower = better, so a negative "
           "MD favours acupuncture." if config["measure"] == "MD" else
           "standardised mean difference (Hedges' g)."),
        f"Model: random-effects, tau² by {m['method']} (metafor names), test "  # type: ignore[index]
        f"{tests.get(m['test'], m['test'])}, {100 * float(m['level']):g}% intervals; "  # type: ignore[index]
        "prediction intervals use t with k-2 df (Higgins, Thompson & Spiegelhalter 2009). "
        + (HKSJ_REASON if m["test"] == "knha" else ""),  # type: ignore[index]
        "Conversions follow the Cochrane Handbook chapter 6 (SD from SE, CI, t or p); medians "
        "with IQR or range are converted with the Wan 2014 / Luo 2018 estimators; scales are "
        "harmonised to 0-100 with direction aligned; change and final scores are not mixed in one "
        "SMD; multi-arm trials split the shared control. Each conversion is recorded in the "
        "effect table (derivation column).",
        "Per trial, the timepoint closest to each outcome window's target is analysed. Cells with "
        f"fewer than {m.get('min_k', 2)} trials are reported as not estimable.",  # type: ignore[union-attr]
        "Small-study tests (funnel plot, Egger, Begg, trim-and-fill) run only when k >= "
        f"{config['grade'].get('pubbias_min_k', 10)} (Cochrane Handbook 13.3.5.4).",  # type: ignore[union-attr]
        _simulation_paragraph(config),
        "Certainty: GRADE, starting at High for randomised trials, rated down by the explicit "
        "rules in config/config.yaml (grade:), each judgement given with its numbers in "
        "section 6. Manual overrides are printed with their reasons.",
    ]
    return paras


def _simulation_paragraph(config: Mapping[str, object]) -> str:
    sim = config.get("simulation") or {}
    n_sim, perms = sim.get("coverage_n_sim", 10_000), sim.get("permutations", 10_000)  # type: ignore[union-attr]
    return (
        "Checks of every pooled analysis with at least 3 trials: (1) coverage simulation: "
        f"{n_sim:,} meta-analyses drawn from the random-effects model with the analysis' own "
        "number of trials and within-trial variances, at tau² equal to its estimate and its "
        "Q-profile CI bounds, refitted with both tests, give how often a nominal interval covers "
        "(Partlett C, Riley RD. Stat Med 2017;36:301-317); (2) GOSH: the "
        f"{sim.get('gosh_method', 'DL')} model fitted to every subset of trials (a random sample "  # type: ignore[union-attr]
        f"of {sim.get('gosh_max_subsets', 2_000_000):,} when there are more), naming the trials "  # type: ignore[union-attr]
        "whose inclusion shifts the subset estimates or I² by a standard deviation or more (Olkin "
        "I, Dahabreh IJ, Trikalinos TA. Res Synth Methods 2012;3:214-223); (3) permutation tests "
        f"({perms:,} permutations, exact when there are fewer distinct ones) of subgroup "
        "differences (meta-regression on subgroup dummies) and of meta-regressions, as metafor "
        "permutest (Higgins JPT, Thompson SG. Stat Med 2004;23:1663-1682). Every simulation "
        f"uses the fixed seed {sim.get('seed', 20261125)}."  # type: ignore[union-attr]
    )


def flow_rows(
    bundles: Sequence[Mapping[str, object]], accounting: Sequence[Mapping[str, object]]
) -> tuple[list[str], list[list[object]]]:
    """identified → poolable → pooled, per main analysis (outcome window × comparison).

    ``identified``/``poolable`` count the accounting rows of that outcome window
    and comparison (the data build's decisions); ``pooled`` is the analysis' k
    when a pooled estimate exists, else 0.
    """
    head = ["Outcome window", "Comparison", "Identified", "Poolable", "Pooled (k)", "Status"]
    rows: list[list[object]] = []
    for b in bundles:
        o = b["outcome"]
        for entry in b["analyses"]:  # type: ignore[union-attr]
            a = entry["analysis"]
            cell = [r for r in accounting if str(r.get("outcome_id")) == a["outcome_id"]
                    and str(r.get("comparison")) == a["comparison"]]  # fmt: skip
            poolable = sum(1 for r in cell if str(r.get("status")) == "poolable")
            pooled = a["k"] if a["status"] == "pooled" else 0
            rows.append([o["label"], entry.get("comparison_label", a["comparison"]),  # type: ignore[index]
                         len(cell), poolable, pooled, a["status"]])
    return head, rows


def outcome_text(entry: Mapping[str, object]) -> str:
    """RevMan-style sentence for a main analysis."""
    a = entry["analysis"]
    p = a.get("pooled")  # type: ignore[union-attr]
    if not p:
        return f"{a['analysis_id']}: {a['status']}; no pooled estimate."  # type: ignore[index]
    g = entry["grade"]
    pi = (f"prediction interval {_f(p['pi_lb'])} to {_f(p['pi_ub'])}" if a["k"] >= 3  # type: ignore[index]
          else "no prediction interval (k < 3)")
    return (
        f"MD {_f(p['estimate'])} (95% CI {_f(p['ci_lb'])} to {_f(p['ci_ub'])}; {p['method']} + "
        f"{p['test']}), {a['k']} trials, {a['n_participants']} participants; "  # type: ignore[index]
        f"Heterogeneity: Tau² = {_f(p['tau2'], 2)}; Chi² = {_f(p['q'], 2)}, df = {p['q_df']} "
        f"(P = {_p(p['q_pval'])}); I² = {_f(p['i2_percent'], 0)}%; {pi}. Test for overall "
        f"effect: P = {_p(p['pval'])}. Certainty: {g['symbols']} {g['certainty']}."  # type: ignore[index]
    )


def sensitivity_blocks(entry: Mapping[str, object]) -> list[tuple[str, object]]:
    """Section 5 blocks: ("h", text), ("p", text) or ("t", (head, rows))."""
    a = entry["analysis"]
    out: list[tuple[str, object]] = [("h", f"{a['analysis_id']}")]  # type: ignore[index]
    sens = entry.get("sensitivity") or []
    if not sens:
        out.append(("p", f"No sensitivity analysis: {a['status']}."))  # type: ignore[index]
    else:
        out.append(("t", (["Analysis", "k", "MD", "95% CI", "tau²", "I² (%)", "Same conclusion"],
                          [[s["label"], s["k"], s["estimate"],
                            f"{_f(s['ci_lb'])} to {_f(s['ci_ub'])}", s["tau2"], s["i2_percent"],
                            "" if s.get("robust") is None else ("yes" if s["robust"] else "no")]
                           for s in sens])))  # type: ignore[union-attr]  # fmt: skip
    loo = entry.get("loo")
    if loo:
        rows = [[sid, loo["estimate"][i], f"{_f(loo['ci_lb'][i])} to {_f(loo['ci_ub'][i])}",
                 loo["i2_percent"][i]] for i, sid in enumerate(loo["omitted"])]  # type: ignore[index]
        out.append(("t", (["Leave out", "MD", "95% CI", "I² (%)"], rows)))
    for sg in entry.get("subgroups") or []:  # type: ignore[union-attr]
        d = sg["difference"]
        rows = []
        for fit in sg["fits"]:
            fa = fit["analysis"]
            fp = fa.get("pooled") or {}
            rows.append([fa["subgroup"], fa["k"], fp.get("estimate", math.nan),
                         f"{_f(fp.get('ci_lb'))} to {_f(fp.get('ci_ub'))}",
                         fp.get("i2_percent", math.nan)])  # fmt: skip
        out.append(("t", (["Subgroup", "k", "MD", "95% CI", "I² (%)"], rows)))
        out.append(("p", f"Test for subgroup differences ({sg['variable']}): Chi² = "
                         f"{_f(d['q'], 2)}, df = {d['df']} (P = {_p(d['pval'])}), I² = "
                         f"{_f(d['i2_percent'])}%. "
                         + _subgroup_perm_text(sg.get("permutation"))))  # fmt: skip
    ss = entry.get("small_study")
    if ss:
        if not ss.get("run"):  # type: ignore[union-attr]
            out.append(("p", f"Funnel plot and small-study tests: {ss['reason']}."))  # type: ignore[index]
        else:
            eg, bg, tf = ss.get("egger", {}), ss.get("begg", {}), ss.get("trimfill", {})  # type: ignore[union-attr]
            out.append(("p", f"Egger's test p = {_p(eg.get('pval'))}; Begg's test p = "
                             f"{_p(bg.get('pval'))}; trim-and-fill adds {tf.get('k0', 'NA')} "
                             f"trials, MD {_f(tf.get('estimate'))}."))  # fmt: skip
    t = entry.get("tsa")
    if t:
        out.append(("p", "Trial sequential analysis: " + (t["sentence"] + "." if t.get("run")  # type: ignore[index]
                         else f"not run ({t.get('reason')}).")))  # type: ignore[union-attr]
    for mod, mr in (entry.get("metareg") or {}).items():  # type: ignore[union-attr]
        if not mr.get("run"):
            out.append(("p", f"Meta-regression on {mod}: not run ({mr.get('reason')})."))
        else:
            out.append(("p", f"Meta-regression on {mod}: slope {_f(mr['coef'][1], 3)} per unit "
                             f"(95% CI {_f(mr['ci_lb'][1], 3)} to {_f(mr['ci_ub'][1], 3)}, "
                             f"p = {_p(mr['pval'][1])}), k = {mr['k']}, R² = "
                             f"{_f(mr['r2_percent'])}%; " + _perm_p_text(mr.get("permutation"))
                             + "."))  # fmt: skip
    return out + robustness_blocks(entry)


def _perm_p_text(perm: Mapping[str, object] | None) -> str:
    """``"permutation p = 0.021 (10,000 random permutations)"`` or why there is none."""
    if not perm or not perm.get("run"):
        return "no permutation test" + (f" ({perm['reason']})" if perm and perm.get("reason")
                                        else "")  # fmt: skip
    n = f"{perm['n_permutations']:,}"
    how = f"exact: all {n} permutations" if perm["exact"] else f"{n} random permutations"
    return f"permutation p = {_p(perm['qm_pval'])} ({how}; metafor permutest)"


def _subgroup_perm_text(perm: Mapping[str, object] | None) -> str:
    """The permutation test of the same question (metafor ``permutest`` of the dummy model)."""
    if not perm or not perm.get("run"):
        return _perm_p_text(perm).capitalize() + "."
    stat = "F" if perm["test"] == "knha" else "QM"
    return (f"Meta-regression on subgroup dummies ({perm['method']} + {perm['test']}, one common "
            f"tau²): {stat} = {_f(perm['qm'], 2)}, parametric p = "
            f"{_p(perm.get('qm_pval_parametric'))}, {_perm_p_text(perm)}.")


COVERAGE_HEAD = ["tau² at", "tau²", "Test", "CI coverage (%)", "MCSE (%)", "PI coverage (%)",
                 "Mean CI width"]  # fmt: skip


def coverage_table(cov: Mapping[str, object]) -> tuple[list[str], list[list[object]]]:
    """Rows of the coverage simulation: τ² value × test, coverage in percent."""
    rows: list[list[object]] = []
    for i, point in enumerate(cov["tau2_points"]):  # type: ignore[attr-defined]
        for j, test in enumerate(cov["tests"]):  # type: ignore[attr-defined]
            pct = [cov[f][i][j] for f in ("ci_coverage", "ci_mcse", "pi_coverage")]  # type: ignore[index]
            rows.append([point.replace("ci_", "CI ").replace("lb", "lower bound")
                         .replace("ub", "upper bound"), _f(cov["tau2_values"][i], 2), test,  # type: ignore[index]
                         *[_f(100 * x if isinstance(x, (int, float)) else None) for x in pct],
                         _f(cov["ci_width_mean"][i][j], 2)])  # type: ignore[index]  # fmt: skip
    return COVERAGE_HEAD, rows


def robustness_blocks(entry: Mapping[str, object]) -> list[tuple[str, object]]:
    """Coverage simulation (sentence + table) and GOSH summary of a main analysis."""
    out: list[tuple[str, object]] = []
    cov = entry.get("coverage") or {}
    if cov.get("run"):  # type: ignore[union-attr]
        out.append(("p", f"Coverage simulation ({cov['n_sim']:,} simulated meta-analyses per "  # type: ignore[index]
                         f"tau² value, seed {cov['seed']}): {cov['sentence']}"))  # type: ignore[index]
        out.append(("t", coverage_table(cov)))  # type: ignore[arg-type]
    elif cov:
        out.append(("p", f"Coverage simulation: not run ({cov.get('reason')})."))  # type: ignore[union-attr]
    g = entry.get("gosh") or {}
    if g.get("run"):  # type: ignore[union-attr]
        text = str(g["sentence"]).rstrip(".")  # type: ignore[index]
        out.append(("p", f"{text} (plot in section 4; per-trial shifts in results/gosh.csv)."))
    elif g:
        out.append(("p", f"GOSH: not run ({g.get('reason')})."))  # type: ignore[union-attr]
    return out
