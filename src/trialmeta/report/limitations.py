"""The limitations summary (``results/limitations.md``), generated from results.

Nothing here is hand-written about the evidence: every sentence is built from
the outcome bundles of :func:`trialmeta.review.run_outcome`, the effect rows and
the comparisons accounting. Every flag raised anywhere reaches section 6 through
:func:`trialmeta.flags.describe`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from trialmeta import flags as core_flags
from trialmeta.report.markdown import escape_md as md

__all__ = ["collect_flags", "describe_flag", "limitations_markdown"]

PROTOCOL_COLUMNS: tuple[str, ...] = (
    "population", "acupuncture_type", "needle_type", "control_type", "sham_type", "n_sessions",
)  # fmt: skip


MISSING_LABEL = {"sham_type": "no sham control", "control_intervention": "not reported"}


def describe_flag(code: str) -> str:
    """Sentence for a flag code (every code the core or the workflow raises is in
    :data:`trialmeta.flags.FLAG_TEXT`); an unknown code is returned as it is."""
    return core_flags.describe(code)


def _f(x: object, nd: int = 1) -> str:
    return f"{x:.{nd}f}" if isinstance(x, (int, float)) and math.isfinite(x) else "NA"


def _cell(x: object) -> str:
    return md(x)


def _plain(x: object) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else str(x)


def _table(head: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return out + [""]


def collect_flags(bundles: Sequence[Mapping[str, object]]) -> list[tuple[str, str]]:
    """Sorted unique ``(where, flag)`` pairs from every result in the bundles."""
    found: set[tuple[str, str]] = set()

    def add(where: str, codes: object) -> None:
        for c in codes or ():  # type: ignore[union-attr]
            found.add((where, str(c)))

    for b in bundles:
        for e in b["analyses"]:  # type: ignore[union-attr]
            a = e["analysis"]
            aid = a["analysis_id"]
            add(aid, a.get("flags"))
            add(aid, (a.get("pooled") or {}).get("flags"))
            for sg in e.get("subgroups", []):
                add(f"{aid} subgroups by {sg['variable']}", sg["difference"].get("flags"))
                for fit in sg["fits"]:
                    add(fit["analysis"]["analysis_id"], fit["analysis"].get("flags"))
            add(f"{aid} leave-one-out", (e.get("loo") or {}).get("flags"))
            for name in ("egger", "begg", "trimfill"):
                add(f"{aid} {name}", (e.get("small_study") or {}).get(name, {}).get("flags"))
            for mod, mr in (e.get("metareg") or {}).items():
                add(f"{aid} meta-regression on {mod}", mr.get("flags"))
                add(f"{aid} permutation test of {mod}", (mr.get("permutation") or {}).get("flags"))
            for sg in e.get("subgroups", []):
                add(f"{aid} permutation test of subgroups by {sg['variable']}",
                    (sg.get("permutation") or {}).get("flags"))
            add(f"{aid} trial sequential analysis", (e.get("tsa") or {}).get("flags"))
    return sorted(found)


def _main(bundles):
    for b in bundles:
        for e in b["analyses"]:
            yield b, e, e["analysis"]


def _size_section(bundles, rules_alpha_power) -> list[str]:
    alpha, power = rules_alpha_power
    rows = []
    for _b, e, a in _main(bundles):
        arms = [x for r in e["effects"] for x in (r.get("n1"), r.get("n2"))
                if isinstance(x, (int, float)) and math.isfinite(x)]  # fmt: skip
        med = float(np.median(arms)) if arms else math.nan
        ois = _num_or_nan(e.get("grade", {}).get("ois"))  # computed once, by grade()
        verdict = "" if not math.isfinite(ois) else ("below" if a["n_participants"] < ois else
                                                     "reaches")  # fmt: skip
        rows.append([a["analysis_id"], a["k"], a["n_participants"], _f(med, 0), _f(ois, 0),
                     verdict])  # fmt: skip
    lines = ["## 1. Number and size of trials", ""]
    lines += _table(["Analysis", "k", "Participants", "Median n per arm", "OIS", "Total n vs OIS"],
                    rows)  # fmt: skip
    lines += ["OIS: optimal information size for the configured MCID and SD (two-sided alpha "
              f"{alpha:g}, power {power:g}; GRADE guidelines 6).", ""]  # fmt: skip
    return lines


def _num_or_nan(x: object) -> float:
    return float(x) if isinstance(x, (int, float)) else math.nan


def _value_text(x: object) -> str:
    """Raw text of a protocol value (escaped where it is placed)."""
    if isinstance(x, float) and math.isfinite(x) and x.is_integer():
        return str(int(x))
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(x)


def _protocol_section(effect_rows: Sequence[Mapping[str, object]]) -> list[str]:
    """Per trial, every distinct value of each protocol column (joined with "; ")."""
    studies: dict[str, dict[str, set[str]]] = {}
    cols = [c for c in PROTOCOL_COLUMNS if any(c in r for r in effect_rows)]
    for r in effect_rows:
        entry = studies.setdefault(str(r.get("study_id")), {c: set() for c in cols})
        for c in cols:
            text = _value_text(r.get(c))
            if text:
                entry[c].add(text)
    lines = ["## 2. Spread of protocols", ""]
    if not studies:
        return lines + ["No trial data were available.", ""]
    body = [[sid, *["; ".join(sorted(vals[c])) for c in cols]]
            for sid, vals in sorted(studies.items())]  # fmt: skip
    lines += _table(["Study", *cols], body)
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


def _heterogeneity_section(bundles) -> list[str]:
    """Section 3: I², tau², the PI, and how often such intervals cover at this k (simulated)."""
    lines = ["## 3. Heterogeneity and prediction intervals", ""]
    for _b, e, a in _main(bundles):
        p = a.get("pooled")
        if not p:
            lines.append(f"- {md(a['analysis_id'])}: {md(a['status'])}.")
            continue
        if a["k"] < 3:
            pi = "no prediction interval can be given with fewer than 3 trials"
        else:
            pi = (f"the prediction interval for a new trial's effect runs from {_f(p['pi_lb'])} "
                  f"to {_f(p['pi_ub'])}"
                  + (", so a new trial could show no benefit" if p["pi_lb"] is not None
                     and p["pi_ub"] is not None and p["pi_lb"] < 0 < p["pi_ub"] else ""))
        cov = e.get("coverage") or {}
        coverage = f" Coverage simulation: {md(cov['sentence'])}" if cov.get("run") else ""
        lines.append(f"- {md(a['analysis_id'])}: I² = {_f(p['i2_percent'])}% and tau² = "
                     f"{_f(p['tau2'], 2)} across {a['k']} trials; {pi}.{coverage}")
    return lines + [""]


def _not_pooled_section(bundles, accounting: Sequence[Mapping[str, object]]) -> list[str]:
    lines = ["## 4. What could not be pooled and why", ""]
    cells = [(a["analysis_id"], a["status"]) for _b, _e, a in _main(bundles)
             if a["status"] != "pooled"]  # fmt: skip
    if cells:
        lines += _table(["Analysis", "Status"], cells)
    else:
        lines += ["Every configured outcome × comparison cell was pooled.", ""]
    excluded = [r for r in accounting if str(r.get("status", "excluded")) != "poolable"]
    if not excluded:
        return lines + ["The data build excluded no extracted comparison.", ""]
    keys = ("study_id", "outcome", "instrument", "timepoint_weeks", "arm_id_1", "arm_id_2",
            "reason")  # fmt: skip
    cols = [c for c in keys if any(c in r for r in excluded)]
    seen = sorted({tuple(_plain(r.get(c)) for c in cols) for r in excluded})
    lines += [f"The data build excluded {len(seen)} extracted comparison(s) (each listed once, "
              "whatever the comparison groups it would have entered):", ""]
    lines += _table(cols, seen)
    return lines


def _quality_section(warnings: Sequence[Mapping[str, object]], effect_rows) -> list[str]:
    lines = ["## 5. Data-quality warnings", ""]
    if warnings:
        cols = list(warnings[0].keys())
        lines += _table(cols, ([w.get(c, "") for c in cols] for w in warnings))
    else:
        lines += ["The data build raised no warnings.", ""]
    derived = sorted({str(r.get("study_id")) for r in effect_rows
                      if str(r.get("derivation", "")).strip() not in ("", "none", "nan")})
    secondary = sorted({str(r.get("study_id")) for r in effect_rows
                        if "secondary" in str(r.get("verification", "")).lower()})
    lines.append(f"- Rows with derived (converted) statistics: {len(derived)} "
                 f"({md(', '.join(derived)) or 'none'}).")
    lines.append(f"- Rows from secondary sources: {len(secondary)} "
                 f"({md(', '.join(secondary)) or 'none'}).")
    return lines + [""]


def _flags_section(bundles) -> list[str]:
    lines = ["## 6. Flags raised by the analysis core", ""]
    pairs = collect_flags(bundles)
    if not pairs:
        return lines + ["No flags were raised.", ""]
    return lines + _table(["Where", "Flag", "Meaning"],
                          ([w, c, describe_flag(c)] for w, c in pairs))  # fmt: skip


def _robustness_section(bundles) -> list[str]:
    """Section 7: the sensitivity grid, then the GOSH drivers of each analysis."""
    lines = ["## 7. Robustness across the sensitivity grid", ""]
    for _b, e, a in _main(bundles):
        sens = e.get("sensitivity") or []
        judged = [s for s in sens if s.get("robust") is not None]
        if not judged:
            lines.append(f"- {md(a['analysis_id'])}: no sensitivity analysis could be compared.")
            continue
        changed = [s["label"] for s in judged if not s["robust"]]
        msg = (f"- {md(a['analysis_id'])}: the conclusion (whether the CI excludes no effect, "
               f"and on which side) holds in {len(judged) - len(changed)} of {len(judged)} "
               "sensitivity analyses")
        lines.append(msg + (f"; it changes with: {md(', '.join(changed))}." if changed else "."))
    for _b, e, a in _main(bundles):
        g = e.get("gosh") or {}
        if g.get("run"):
            lines.append(f"- {md(a['analysis_id'])}: {md(g['sentence'])}")
    return lines + [""]


def _change_section(bundles) -> list[str]:
    lines = ["## 8. What would change the conclusion (trial sequential analysis)", ""]
    for _b, e, a in _main(bundles):
        t = e.get("tsa")
        if not t:
            continue
        if t.get("run"):
            lines.append(f"- {md(a['analysis_id'])}: {md(t['sentence'])} (RIS from MCID "
                         f"{t['mcid']:g} and SD {_f(t['sd'])}, diversity D² = "
                         f"{_f(100 * t['diversity'], 0)}%).")
        else:
            lines.append(f"- {md(a['analysis_id'])}: trial sequential analysis not run "
                         f"({md(t['reason'])}).")
    if len(lines) == 2:
        lines.append("No pooled analysis had two or more trials for a trial sequential analysis.")
    return lines + [""]


def _grade_section(bundles) -> list[str]:
    lines = ["## 9. Certainty of the evidence (GRADE) and why", ""]
    for _b, e, a in _main(bundles):
        g = e["grade"]
        head = f"### {md(a['analysis_id'])}: {g['symbols']} {md(g['certainty'])}"
        lines.append(head.rstrip())
        lines.append("")
        for d in g["domains"]:
            extra = f" Override: {md(d['override_reason'])}" if d["overridden"] else ""
            lines.append(f"- {md(d['domain'])}: {md(d['judgement'])} (-{d['downgrade']}). "
                         f"{md(d['reason'])}{extra}")
        lines.append("")
    return lines


def limitations_markdown(
    bundles: Sequence[Mapping[str, object]],
    effect_rows: Sequence[Mapping[str, object]],
    accounting: Sequence[Mapping[str, object]],
    warnings: Sequence[Mapping[str, object]],
    config: Mapping[str, object],
) -> str:
    """The whole limitations summary as Markdown (deterministic, no timestamps)."""
    grade_cfg = config.get("grade", {})
    alpha_power = (float(grade_cfg.get("ois_alpha", 0.05)),  # type: ignore[union-attr]
                   float(grade_cfg.get("ois_power", 0.80)))  # type: ignore[union-attr]
    lines = ["# Limitations of the evidence", "",
             "Generated from the results of this run; not hand-written.", ""]
    lines += _size_section(bundles, alpha_power)
    analysed = [r for _b, e, _a in _main(bundles) for r in e["effects"]]
    lines += _protocol_section([*effect_rows, *analysed])
    lines += _heterogeneity_section(bundles)
    lines += _not_pooled_section(bundles, accounting)
    lines += _quality_section(warnings, effect_rows)
    lines += _flags_section(bundles)
    lines += _robustness_section(bundles)
    lines += _change_section(bundles)
    lines += _grade_section(bundles)
    return "\n".join(lines).rstrip() + "\n"
