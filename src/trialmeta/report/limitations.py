"""The limitations summary (``results/limitations.md``), generated from results.

Nothing here is hand-written about the evidence: every sentence is built from
the typed outcome results of :func:`trialmeta.review.outcome.run_outcome`, the
effect rows and the comparisons accounting. Every flag raised anywhere in a result
reaches section 6 (:func:`collect_flags` walks the whole result with
:func:`trialmeta.review.results.iter_flags`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from trialmeta.flags import describe
from trialmeta.report.humanise import humaniser
from trialmeta.report.labels import LabelMap
from trialmeta.report.limitations_summary import summary_markdown
from trialmeta.report.method_notes import method_notes_section
from trialmeta.report.sentences import coverage_check_sentence, gosh_sentence, tsa_sentence
from trialmeta.report.sof_build import certainty_glyphs
from trialmeta.report.text import fixed, md_table, plain_text, prose, value_text
from trialmeta.report.text import md_cell as md
from trialmeta.review.codec import NotRun
from trialmeta.review.results import (
    AnalysisResult,
    CoverageCheck,
    GoshSummary,
    OutcomeResult,
    iter_flags,
)

__all__ = ["collect_flags", "limitations_markdown"]

PROTOCOL_COLUMNS: tuple[str, ...] = (
    "population", "technique", "needle_type", "control_type", "sham_type", "n_sessions",
)  # fmt: skip


MISSING_LABEL = {"sham_type": "no sham control", "control_intervention": "not reported"}


def collect_flags(results: Sequence[OutcomeResult]) -> list[tuple[str, str]]:
    """Sorted unique ``(where, flag)`` pairs from every result."""
    return sorted({(where, str(flag)) for res in results for where, flag in iter_flags(res)})


def _main(results: Sequence[OutcomeResult]) -> Iterator[AnalysisResult]:
    for res in results:
        yield from res.analyses


def _size_section(results: Sequence[OutcomeResult], alpha: float, power: float) -> list[str]:
    rows = []
    for a in _main(results):
        arms = [x for r in a.effects for x in (r.number("n1"), r.number("n2"))
                if math.isfinite(x)]  # fmt: skip
        med = float(np.median(arms)) if arms else math.nan
        ois = a.grade.ois  # computed once, by grade()
        n = a.analysis.n_participants
        verdict = "" if not math.isfinite(ois) else ("below" if n < ois else "reaches")
        rows.append([a.analysis_id, a.analysis.k, n, fixed(med, 0), fixed(ois, 0), verdict])
    lines = ["## 1. Number and size of trials", ""]
    lines += md_table(["Analysis", "k", "Participants", "Median n per arm", "OIS",
                       "Total n vs OIS"], rows)  # fmt: skip
    lines += ["OIS: optimal information size for the configured MCID and SD (two-sided alpha "
              f"{alpha:g}, power {power:g}; GRADE guidelines 6).", ""]  # fmt: skip
    return lines


def _protocol_section(effect_rows: Sequence[Mapping[str, object]]) -> list[str]:
    """Per trial, every distinct value of each protocol column (joined with "; ")."""
    studies: dict[str, dict[str, set[str]]] = {}
    cols = [c for c in PROTOCOL_COLUMNS if any(c in r for r in effect_rows)]
    for r in effect_rows:
        entry = studies.setdefault(str(r.get("study_id")), {c: set() for c in cols})
        for c in cols:
            text = value_text(r.get(c))
            if text:
                entry[c].add(text)
    lines = ["## 2. Spread of protocols", ""]
    if not studies:
        return lines + ["No trial data were available.", ""]
    body = [[sid, *["; ".join(sorted(vals[c])) for c in cols]]
            for sid, vals in sorted(studies.items())]  # fmt: skip
    lines += md_table(["Study", *cols], body)
    missing = [c for c in PROTOCOL_COLUMNS if c not in cols]
    if missing:
        lines += [f"Not recorded in the data: {', '.join(missing)}.", ""]
    for c in cols:
        counts: dict[str, int] = {}
        for vals in studies.values():
            for key in sorted(vals[c]) or [MISSING_LABEL.get(c, "not reported")]:
                counts[key] = counts.get(key, 0) + 1
        parts = ", ".join(f"{md(k)} {v}" for k, v in sorted(counts.items(), key=_natural))
        lines.append(f"- {c} (trials): {parts}")
    return lines + [""]


def _natural(item: tuple[str, int]) -> tuple[int, float, str]:
    try:
        return (0, float(item[0]), item[0])
    except ValueError:
        return (1, 0.0, item[0])


def _heterogeneity_section(results: Sequence[OutcomeResult]) -> list[str]:
    """Section 3: I², tau², the PI, and how often such intervals cover at this k (simulated)."""
    lines = ["## 3. Heterogeneity and prediction intervals", ""]
    for a in _main(results):
        p = a.analysis.pooled
        if p is None:
            lines.append(f"- {md(a.analysis_id)}: {md(a.analysis.status)}.")
            continue
        if a.analysis.k < 3:
            pi = "no prediction interval can be given with fewer than 3 trials"
        else:
            pi = (
                f"the prediction interval for a new trial's effect runs from {fixed(p.pi_lb)} "
                f"to {fixed(p.pi_ub)}"
                + (
                    ", so a new trial could show no benefit"
                    if math.isfinite(p.pi_lb) and math.isfinite(p.pi_ub) and p.pi_lb < 0 < p.pi_ub
                    else ""
                )
            )
        coverage = (
            f" Coverage simulation: {md(coverage_check_sentence(a.coverage))}"
            if isinstance(a.coverage, CoverageCheck)
            else ""
        )
        lines.append(
            f"- {md(a.analysis_id)}: I² = {fixed(p.i2_percent)}% and tau² = "
            f"{fixed(p.tau2, 2)} across {a.analysis.k} trials; {pi}.{coverage}"
        )
    return lines + [""]


def _not_pooled_section(
    results: Sequence[OutcomeResult], accounting: Sequence[Mapping[str, object]]
) -> list[str]:
    lines = ["## 4. What could not be pooled and why", ""]
    cells = [(a.analysis_id, a.analysis.status) for a in _main(results)
             if a.analysis.status != "pooled"]  # fmt: skip
    if cells:
        lines += md_table(["Analysis", "Status"], cells)
    else:
        lines += ["Every configured outcome × comparison cell was pooled.", ""]
    excluded = [r for r in accounting if str(r.get("status", "excluded")) != "poolable"]
    if not excluded:
        return lines + ["The data build excluded no extracted comparison.", ""]
    keys = ("study_id", "outcome", "instrument", "timepoint_weeks", "arm_id_1", "arm_id_2",
            "reason")  # fmt: skip
    cols = [c for c in keys if any(c in r for r in excluded)]
    seen = sorted({tuple(plain_text(r.get(c)) for c in cols) for r in excluded})
    lines += [
        f"The data build excluded {len(seen)} extracted comparison(s) (each listed once, "
        "whatever the comparison groups it would have entered):",
        "",
    ]
    lines += md_table(cols, seen)
    return lines


def _quality_section(
    warnings: Sequence[Mapping[str, object]], effect_rows: Sequence[Mapping[str, object]]
) -> list[str]:
    lines = ["## 5. Data-quality warnings", ""]
    if warnings:
        cols = list(warnings[0].keys())
        lines += md_table(cols, ([w.get(c, "") for c in cols] for w in warnings))
    else:
        lines += ["The data build raised no warnings.", ""]
    derived = sorted(
        {
            str(r.get("study_id"))
            for r in effect_rows
            if str(r.get("derivation", "")).strip() not in ("", "none", "nan")
        }
    )
    secondary = sorted(
        {
            str(r.get("study_id"))
            for r in effect_rows
            if "secondary" in str(r.get("verification", "")).lower()
        }
    )
    lines.append(
        f"- Rows with derived (converted) statistics: {len(derived)} "
        f"({md(', '.join(derived)) or 'none'})."
    )
    lines.append(
        f"- Rows from secondary sources: {len(secondary)} ({md(', '.join(secondary)) or 'none'})."
    )
    return lines + [""]


def _flags_section(results: Sequence[OutcomeResult]) -> list[str]:
    """Section 6: each distinct flag once, with its meaning and every place it was raised
    (one sentence per problem, the analyses grouped under it)."""
    lines = ["## 6. Flags raised by the analysis core", ""]
    pairs = collect_flags(results)
    if not pairs:
        return lines + ["No flags were raised.", ""]
    where: dict[str, list[str]] = {}
    for w, code in pairs:
        where.setdefault(code, []).append(w)
    for code, places in sorted(where.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lines.append(
            f"- {md(describe(code))} (`{md(code)}`; {_places(places)}): {md('; '.join(places))}."
        )
    return lines + [""]


def _places(items: Sequence[str]) -> str:
    return "1 place" if len(items) == 1 else f"{len(items)} places"


def _robustness_section(results: Sequence[OutcomeResult]) -> list[str]:
    """Section 7: the sensitivity grid, then the GOSH drivers of each analysis."""
    lines = ["## 7. Robustness across the sensitivity grid", ""]
    for a in _main(results):
        judged = [s for s in a.sensitivity if s.robust is not None]
        if not judged:
            lines.append(f"- {md(a.analysis_id)}: no sensitivity analysis could be compared.")
            continue
        changed = [s.label for s in judged if not s.robust]
        msg = (
            f"- {md(a.analysis_id)}: the conclusion (whether the CI excludes no effect, and on "
            f"which side) holds in {len(judged) - len(changed)} of {len(judged)} sensitivity "
            "analyses"
        )
        lines.append(msg + (f"; it changes with: {md(', '.join(changed))}." if changed else "."))
    for a in _main(results):
        if isinstance(a.gosh, GoshSummary):
            lines.append(f"- {md(a.analysis_id)}: {md(gosh_sentence(a.gosh))}")
    return lines + [""]


def _change_section(results: Sequence[OutcomeResult]) -> list[str]:
    lines = ["## 8. What would change the conclusion (trial sequential analysis)", ""]
    for a in _main(results):
        t = a.tsa
        if isinstance(t, NotRun):
            if a.analysis.pooled is None or a.analysis.k < 2:
                continue
            lines.append(
                f"- {md(a.analysis_id)}: trial sequential analysis not run ({md(t.reason)})."
            )
        else:
            lines.append(
                f"- {md(a.analysis_id)}: {md(tsa_sentence(t))} (RIS from MCID "
                f"{t.mcid:g} and SD {fixed(t.sd)}, diversity D² = "
                f"{fixed(100 * t.diversity, 0)}%)."
            )
    if len(lines) == 2:
        lines.append("No pooled analysis had two or more trials for a trial sequential analysis.")
    return lines + [""]


_DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision",
            "publication_bias")  # fmt: skip


_RULE = re.compile(r" \((rate down [^()]*)\)")


def _split_rule(reason: str) -> tuple[str, str]:
    """``(reason without its rule, the rule)``: the parenthetical "(rate down once at ...)"
    the certainty rules append is the same for every analysis, so it is stated once."""
    m = _RULE.search(reason)
    return (reason, "") if m is None else (reason[: m.start()] + reason[m.end() :], m.group(1))


def _grade_section(results: Sequence[OutcomeResult], search: str = "") -> list[str]:
    """Section 9: the certainty and the levels rated down per domain as one table, then per
    domain its rule once and each distinct reason once, with the analyses it applies to
    (GRADE Handbook 2013, section 5: a reason per domain; no template repeated)."""
    lines = ["## 9. Certainty of the evidence (GRADE) and why", ""]
    analyses = list(_main(results))
    rows = []
    for a in analyses:
        g = a.grade
        levels = {d.domain: d.downgrade for d in g.domains}
        rows.append(
            [
                a.analysis_id,
                f"{certainty_glyphs(g.level)} {g.certainty}".strip(),
                *[_levels(levels.get(d)) for d in _DOMAINS],
            ]
        )
    lines += md_table(["Analysis", "Certainty", *[d.replace("_", " ") for d in _DOMAINS]], rows)
    lines += ["Levels rated down per domain (0: not rated down; –: not judged).", ""]
    if search:
        lines += [
            f"How the trials were found (every publication-bias judgement reads it): {md(search)}",
            "",
        ]
    domains = sorted(
        {d.domain for a in analyses for d in a.grade.domains},
        key=lambda x: (_DOMAINS.index(x) if x in _DOMAINS else 99, x),
    )
    for domain in domains:
        lines += _domain_reasons(analyses, domain, search)
    return lines


def _domain_reasons(analyses: Sequence[AnalysisResult], domain: str, search: str) -> list[str]:
    groups: dict[tuple[int, str, str], list[str]] = {}
    rules: set[str] = set()
    for a in analyses:
        for d in a.grade.domains:
            if d.domain != domain:
                continue
            reason, rule = _split_rule(d.reason)
            if search:
                reason = reason.replace(f" ({search})", "")
            if rule:
                rules.add(rule)
            extra = f" Override: {d.override_reason}" if d.overridden else ""
            groups.setdefault((d.downgrade, d.judgement, reason + extra), []).append(a.analysis_id)
    lines = [f"### {md(domain.replace('_', ' ').capitalize())}", ""]
    lines += [f"Rule: {md(r)}." for r in sorted(rules)] + ([""] if rules else [])
    for (down, judgement, reason), ids in sorted(
        groups.items(), key=lambda kv: (-kv[0][0], kv[0][2])
    ):
        who = ids[0] if len(ids) == 1 else f"{len(ids)} analyses: {', '.join(ids)}"
        lines.append(f"- {md(judgement)} ({_levels(down)}) — {md(who)}. {md(reason)}")
    return lines + [""]


def _levels(down: int | None) -> str:
    return "–" if down is None else "0" if down == 0 else f"−{down}"


def limitations_markdown(
    results: Sequence[OutcomeResult],
    effect_rows: Sequence[Mapping[str, object]],
    accounting: Sequence[Mapping[str, object]],
    warnings: Sequence[Mapping[str, object]],
    ois_alpha: float,
    ois_power: float,
    summary: Sequence[str] = (),
    human: LabelMap | None = None,
    search: str = "",
) -> str:
    """The whole limitations summary as Markdown (deterministic, no timestamps);
    ``ois_alpha``/``ois_power`` are the GRADE rules' (``grade:`` in the config), ``search``
    the config's search statement (stated once, not in every publication-bias reason).

    ``summary`` (:func:`trialmeta.report.limitations_summary.executive_summary`) opens the
    file; with a label map ``human``, codes in the detail read as their labels."""
    lines = [
        "# Limitations of the evidence",
        "",
        "Generated from the results of this run; not hand-written.",
        "",
    ]
    lines += summary_markdown([md(s) for s in summary]) if summary else []
    lines += _size_section(results, ois_alpha, ois_power)
    analysed = [r.record() for a in _main(results) for r in a.effects]
    lines += _protocol_section([*effect_rows, *analysed])
    lines += _heterogeneity_section(results)
    lines += _not_pooled_section(results, accounting)
    lines += _quality_section(warnings, effect_rows)
    lines += _flags_section(results)
    lines += _robustness_section(results)
    lines += _change_section(results)
    lines += _grade_section(results, search)
    lines += method_notes_section(results)
    text = "\n".join(lines).rstrip() + "\n"
    return prose(humaniser(human)(text)) if human is not None else text
