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

from trialmeta.report.markdown import escape_md

__all__ = ["SOF_COLUMNS", "md_text", "plain_language", "sof_markdown", "sof_rows"]

SOF_COLUMNS: tuple[str, ...] = (
    "analysis_id", "outcome_id", "outcome", "comparison", "k", "n_trials", "n_participants",
    "participants_studies", "estimate", "ci_lb", "ci_ub", "effect", "certainty_level",
    "certainty_symbols", "certainty", "rated_down_for", "plain_language", "status",
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


def _num(x: object) -> float:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else math.nan


def md_text(estimate: float, ci_lb: float, ci_ub: float, measure: str = "MD") -> str:
    """GRADEpro wording, e.g. ``"MD 5.2 lower (9.8 lower to 0.6 higher)"``.

    >>> md_text(-5.24, -9.8, 0.61)
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
    intervention: str = "acupuncture",
) -> str:
    """One sentence, e.g. "Acupuncture may reduce pain slightly compared with sham."

    Lower is better, so a negative MD is a reduction. "little to no difference"
    when the CI includes no effect and |MD| < MCID; "slightly" when |MD| < MCID.
    Very low certainty always gives "The evidence is very uncertain ...".
    """
    subj = intervention[:1].upper() + intervention[1:]
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


def _comparator(label: str) -> str:
    low = label.lower()
    text = label[low.index(" vs ") + 4 :] if " vs " in low else label
    return text.split(" (")[0].strip()


def _outcome_noun(outcome: str) -> str:
    return {"pain": "pain", "odi": "disability", "rmdq": "disability"}.get(outcome, outcome)


def sof_rows(
    bundles: Sequence[Mapping[str, object]], measure: str = "MD"
) -> list[dict[str, object]]:
    """One row per main analysis (outcome × comparison) of the outcome bundles.

    Bundles are the dicts of :func:`trialmeta.review.run_outcome`; order is the
    bundles' (outcome) order, then the config's comparison order.
    """
    rows: list[dict[str, object]] = []
    for b in bundles:
        ocfg = b["outcome"]
        mcid = _num(ocfg["mcid"]["value"])  # type: ignore[index]
        for entry in b["analyses"]:  # type: ignore[union-attr]
            a, g = entry["analysis"], entry["grade"]
            p = a.get("pooled") or {}
            est, lb, ub = _num(p.get("estimate")), _num(p.get("ci_lb")), _num(p.get("ci_ub"))
            level = int(g["level"])
            down = [
                f"{_DOMAIN_WORDS[d['domain']]} ({d['judgement']})"
                for d in g["domains"]
                if d["downgrade"] > 0
            ]
            k = int(a["k"])
            trials = len({str(r.get("study_id")) for r in entry.get("effects", [])}) or k
            unit = f"{trials} RCT{'s' if trials != 1 else ''}"
            if trials != k:
                unit += f"; {k} comparisons"
            rows.append({
                "analysis_id": a["analysis_id"],
                "outcome_id": ocfg["id"],  # type: ignore[index]
                "outcome": ocfg["label"],  # type: ignore[index]
                "comparison": entry.get("comparison_label", a["comparison"]),
                "k": k,
                "n_participants": int(a["n_participants"]),
                "participants_studies": f"{a['n_participants']} ({unit})",
                "n_trials": trials,
                "estimate": est, "ci_lb": lb, "ci_ub": ub,
                "effect": md_text(est, lb, ub, measure) if a["status"] == "pooled" else a["status"],
                "certainty_level": level,
                "certainty_symbols": g["symbols"],
                "certainty": g["certainty"],
                "rated_down_for": "; ".join(down),
                "plain_language": plain_language(
                    level, est if a["status"] == "pooled" else math.nan, lb, ub, mcid,
                    _outcome_noun(str(a["outcome"])),
                    _comparator(str(entry.get("comparison_label", a["comparison"]))),
                ),
                "status": a["status"],
            })  # fmt: skip
    return rows


def _cell(x: object) -> str:
    return escape_md(x)


def sof_markdown(rows: Sequence[Mapping[str, object]], title: str = "Summary of Findings") -> str:
    """GRADEpro-style Markdown table of :func:`sof_rows` (data escaped by
    :func:`trialmeta.report.markdown.escape_md`)."""
    head = ["Outcome", "Comparison", "№ of participants (studies)", "Effect (95% CI)",
            "Certainty of the evidence (GRADE)", "What happens"]  # fmt: skip
    lines = [f"# {escape_md(title)}", "", "| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    for r in rows:
        cert = f"{r['certainty_symbols']} {r['certainty']}".strip()
        if r["rated_down_for"]:
            cert += f" (rated down for {r['rated_down_for']})"
        cells = [r["outcome"], r["comparison"], r["participants_studies"], r["effect"], cert,
                 r["plain_language"]]  # fmt: skip
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += [
        "",
        "MD: mean difference on the 0-100 scale (negative favours acupuncture). "
        "GRADE: ⊕⊕⊕⊕ High, ⊕⊕⊕◯ Moderate, ⊕⊕◯◯ Low, ⊕◯◯◯ Very low.",
        "",
    ]
    return "\n".join(lines)
