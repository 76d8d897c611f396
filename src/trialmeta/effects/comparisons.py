"""Which comparisons the extraction can inform, which can be pooled, and why not.

``build_comparisons`` pairs every acupuncture arm with every control arm of the same trial,
outcome, instrument, timepoint and score type (``arms.csv``), adds the between-group results
of ``contrasts.csv``, and decides for each pair:

- *poolable*: an effect row with ``yi``/``vi`` and a derivation ledger (which inputs, which
  formula), on the harmonised 0-100 scale for MD (see ``harmonise.py``);
- *excluded*: with the reason ("n not reported", "no SD and no CI", ...).

A comparison contrasts acupuncture with a control only when the arms share their background
treatment (``cointervention`` equal, or the acupuncture arm's cointervention is the control's
intervention, as in A + B vs B). Shared arms of multi-arm trials are never counted twice
within one comparison: ``multiarm="split"`` divides the shared arm's n, ``"combine"`` merges
the arms (Cochrane Handbook 6.5.2.10, 23.3.4). Change and final scores may mix in an MD,
never in an SMD.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from trialmeta.effects.conversions import combine_groups
from trialmeta.effects.harmonise import plausibility_warnings
from trialmeta.effects.pairing import _blank, _candidates, _evaluate, _recompute
from trialmeta.errors import InputError

__all__ = ["ComparisonSet", "build_comparisons", "reason_code"]

CONTROL_TYPES = ("sham", "usual_care", "no_treatment", "active", "waitlist")
EFFECT_COLUMNS = [
    "study_id", "comparison", "control_type", "acupuncture_type", "population", "outcome",
    "outcome_id", "timepoint_weeks", "timepoint_label", "measure", "instrument",
    "instrument_detail", "arm_id_1", "arm_id_2", "n1", "n2", "m1", "sd1", "m2", "sd2", "yi", "vi",
    "effect_measure", "source_kind", "derivation", "multiarm", "verification", "n_sessions",
    "treatment_weeks", "year", "notes",
]
ACCOUNT_COLUMNS = [
    "study_id", "comparison", "control_type", "outcome", "outcome_id", "instrument",
    "instrument_detail", "timepoint_weeks", "timepoint_label", "measure", "arm_id_1", "arm_id_2",
    "status", "reason_code", "reason", "source_kind", "multiarm",
]
#: Short reason categories for the flow table, first match wins (substring of the reason).
REASON_CODES = (
    ("cointervention differs", "cointervention differs between arms"),
    ("median difference", "median difference only"),
    ("median without", "median without IQR or range"),
    ("n not reported", "n not reported"),
    ("no SD and no CI", "no SD and no CI"),
    ("no mean or median", "no statistics reported"),
    ("no statistics", "no statistics reported"),
    ("scale range not reported", "scale range not reported (SMD only)"),
    ("poolable only as SMD", "instrument poolable only as SMD"),
    ("needs group SDs", "difference only (SMD needs SDs)"),
    ("without CI, SE or P", "difference without CI, SE or P"),
    ("contrast-only data cannot", "shared arm (difference only)"),
    ("combined into", "merged into a combined comparison"),
    ("timepoint not reported", "timepoint not reported in weeks"),
    ("outside every window", "timepoint outside the windows"),
    ("closer to the window target", "another timepoint used"),
    ("already informed", "same arms already informed"),
    ("does not mix", "score type differs (SMD)"),
    ("in no configured", "control type not analysed"),
    ("is not analysed", "outcome not analysed"),
    ("not usable", "statistics not usable"),
)


def reason_code(reason: str) -> str:
    """Short category of an exclusion reason (for the flow table)."""
    for fragment, code in REASON_CODES:
        if fragment in reason:
            return code
    return "other" if reason else ""


@dataclass(frozen=True)
class ComparisonSet:
    """Effect rows, the accounting of every comparison, data-quality warnings and counts."""

    effects: pd.DataFrame
    accounting: pd.DataFrame
    warnings: list[str]
    warnings_table: pd.DataFrame = field(repr=False)
    counts: dict[str, object] = field(default_factory=dict)


def _windows(c: dict, outcomes: list[dict] | None) -> tuple[list[tuple[str, float]], str]:
    """(outcome_id, distance to target) per matching window, or the reason for none."""
    outcome = c["base"]["outcome"]
    if outcomes is None:
        return [(outcome, 0.0)], ""
    mine = [o for o in outcomes if o["outcome"] == outcome]
    if not mine:
        return [], f"outcome {outcome} is not analysed"
    tp = c["base"].get("timepoint_weeks")
    if _blank(tp):
        return [], "timepoint not reported in weeks; cannot be placed in a window"
    hits = []
    for o in mine:
        w = o["timepoint_weeks"]
        if w["min"] <= tp <= w["max"]:
            hits.append((o["id"], abs(tp - w.get("target", w["max"]))))
    if not hits:
        return [], f"week {tp:g} is outside every window of outcome {outcome}"
    return hits, ""


def _row_common(c: dict, studies: dict) -> dict:
    b, a, ct = c["base"], c["acu_meta"], c["ctl_meta"]
    st = studies.get(b["study_id"], {})
    return {"study_id": b["study_id"], "control_type": ct["arm_type"],
            "acupuncture_type": a.get("acupuncture_type"), "population": st.get("population"),
            "outcome": b["outcome"], "timepoint_weeks": b.get("timepoint_weeks"),
            "timepoint_label": b.get("timepoint_label"), "measure": b["measure"],
            "instrument": b.get("instrument"), "instrument_detail": b.get("instrument_detail"),
            "arm_id_1": c["acu_id"], "arm_id_2": c["ctl_id"],
            "verification": (c["contrast"] or c["acu"] or {}).get("verification")
            or st.get("verification"),
            "n_sessions": a.get("n_sessions"), "treatment_weeks": a.get("treatment_weeks"),
            "year": st.get("year"), "notes": _row_notes(c)}


def _row_notes(c: dict) -> str:
    """Notes of the rows this comparison was built from (the contrast, or both arms' rows
    for this outcome and timepoint), each once, so caveats travel with the numbers."""
    parts: list[str] = []
    for key in ("contrast", "acu", "ctl"):
        note = (c.get(key) or {}).get("notes")
        if not _blank(note) and note not in parts:
            parts.append(str(note))
    return " | ".join(parts)


def _resolve_multiarm(rows: list[dict], mode: str, measure: str) -> None:
    """Rows of one study in one outcome x comparison: stop any arm being counted twice."""
    live = [r for r in rows if r["status"] == "poolable"]
    if len(live) < 2:
        return
    used = {a for r in live if r["effect"]["source_kind"] == "arms"
            for a in (r["arm_id_1"], r["arm_id_2"])}
    for r in live:
        if r["effect"]["source_kind"] != "contrast":
            continue
        arms_here = {r["arm_id_1"], r["arm_id_2"]}
        if arms_here & used:
            shared = ", ".join(sorted(arms_here & used))
            r.update(status="excluded", reason=f"shares {shared} with another comparison of "
                     "this trial; contrast-only data cannot be split or combined")
            continue
        used |= arms_here
    arm_level = [r for r in live if r["status"] == "poolable"]
    if len(arm_level) < 2:
        return
    uses: dict[str, int] = {}
    for r in arm_level:
        for arm in (r["arm_id_1"], r["arm_id_2"]):
            uses[arm] = uses.get(arm, 0) + 1
    if not any(v > 1 for v in uses.values()):
        return
    if mode == "split":
        for r in arm_level:
            e, notes = r["effect"], []
            for side, arm in (("1", r["arm_id_1"]), ("2", r["arm_id_2"])):
                if uses[arm] > 1:
                    notes.append(f"{arm} n {e['n' + side]:g} split {uses[arm]} ways")
                    e["n" + side] = e["n" + side] / uses[arm]
            r["multiarm"] = "split: " + "; ".join(notes) if notes else ""
            try:
                _recompute(e, measure)
            except InputError as exc:
                r.update(status="excluded", reason=f"arm statistics not usable after the split "
                         f"({exc})")
        return
    first, groups = arm_level[0], {"1": {}, "2": {}}
    for r in arm_level:
        e = r["effect"]
        for side in ("1", "2"):
            groups[side][r[f"arm_id_{side}"]] = (e["n" + side], e["m" + side], e["sd" + side])
    e = first["effect"]
    for side, arms in groups.items():
        (n, m, sd), *rest = arms.values()
        for n2, m2, sd2 in rest:
            n, m, sd = combine_groups(n, m, sd, n2, m2, sd2)
        e.update({"n" + side: n, "m" + side: m, "sd" + side: sd})
    try:
        _recompute(e, measure)
    except InputError as exc:  # pragma: no cover - merged groups only grow
        first.update(status="excluded", reason=f"arm statistics not usable ({exc})")
    first["arm_id_1"] = "+".join(groups["1"])
    first["arm_id_2"] = "+".join(groups["2"])
    first["control_type"] = "+".join(sorted({r["control_type"] for r in arm_level}))
    first["multiarm"] = "combine: arms merged (Handbook 6.5.2.10)"
    for r in arm_level[1:]:
        r.update(status="excluded", reason=f"combined into {first['arm_id_1']} vs "
                 f"{first['arm_id_2']} (multi-arm combine)", multiarm="combine")


def build_comparisons(
    sheets: dict[str, pd.DataFrame] | str | Path,
    *,
    outcomes: list[dict] | None = None,
    comparisons: list[dict] | None = None,
    measure: str = "MD",
    multiarm: str = "split",
) -> ComparisonSet:
    """Decide which comparisons can be pooled and build their effect rows.

    Parameters
    ----------
    sheets
        Typed tables from :func:`trialmeta.validate.read_sheets`, or a path to read.
    outcomes
        Outcome windows as in ``config.yaml`` (``id``, ``outcome``,
        ``timepoint_weeks: {min, max, target}``). Per trial and window the timepoint
        closest to ``target`` (default ``max``) is used, the earlier one on ties. ``None``:
        every outcome and timepoint is its own analysis (``outcome_id = outcome``).
    comparisons
        As in ``config.yaml`` (``id``, ``control_types``). ``None``: one comparison per
        control type. Shared arms are resolved within each comparison.
    measure
        ``"MD"`` (harmonised 0-100 scale, negative favours acupuncture) or ``"SMD"``.
    multiarm
        ``"split"`` the shared arm's n, or ``"combine"`` the arms (Handbook 6.5.2.10).
    """
    if measure not in ("MD", "SMD"):
        raise InputError("measure", measure, "MD or SMD")
    if multiarm not in ("split", "combine"):
        raise InputError("multiarm", multiarm, "split or combine")
    if not isinstance(sheets, dict):
        from trialmeta.data.validate import read_sheets

        sheets = read_sheets(sheets)
    arms, con = sheets["arms"], sheets.get("contrasts")
    studies = {r["study_id"]: r for r in sheets["studies"].to_dict("records")}
    groups = comparisons or [{"id": t, "control_types": [t]} for t in CONTROL_TYPES]
    cands = _candidates(arms, con)
    rows: list[dict] = []
    for c in cands:
        _evaluate(c, measure)
        hits, why = _windows(c, outcomes)
        for g in groups:
            if c["ctl_meta"]["arm_type"] not in g["control_types"]:
                continue
            for oid, dist in hits or [("", math.inf)]:
                status = "poolable" if c["effect"] is not None and hits else "excluded"
                rows.append({**_row_common(c, studies), "comparison": g["id"], "outcome_id": oid,
                             "cand": c["order"], "dist": dist, "status": status,
                             "reason": c["reason"] or (why if status == "excluded" else ""),
                             "effect": dict(c["effect"]) if c["effect"] else None,
                             "multiarm": ""})
        if not any(c["ctl_meta"]["arm_type"] in g["control_types"] for g in groups):
            rows.append({**_row_common(c, studies), "comparison": "", "outcome_id": "",
                         "cand": c["order"], "dist": math.inf, "status": "excluded",
                         "reason": f"control type {c['ctl_meta']['arm_type']} is in no "
                         "configured comparison", "effect": None, "multiarm": ""})
    windowed = outcomes is not None
    _select(rows, measure, windowed)
    by_group: dict[tuple, list[dict]] = {}
    for r in rows:
        by_group.setdefault(_group_key(r, windowed), []).append(r)
    for grp in by_group.values():
        _resolve_multiarm(grp, multiarm, measure)
    return _assemble(rows, arms, measure, multiarm)


def _group_key(r: dict, windowed: bool) -> tuple:
    when = "" if windowed else (_blank_to(r["timepoint_weeks"]), _blank_to(r["timepoint_label"]))
    return (r["study_id"], r["outcome_id"], r["comparison"], when)


def _blank_to(v: object) -> object:
    return "" if _blank(v) else v


def _select(rows: list[dict], measure: str, windowed: bool) -> None:
    """One row per arm pair and analysis; in SMD, one score type per analysis."""
    if measure == "SMD":
        per: dict[tuple, dict[str, set]] = {}
        for r in rows:
            if r["status"] == "poolable":
                per.setdefault((r["outcome_id"], r["comparison"]), {}).setdefault(
                    r["measure"], set()).add(r["study_id"])
        for r in rows:
            kinds = per.get((r["outcome_id"], r["comparison"]), {})
            if r["status"] != "poolable" or len(kinds) < 2:
                continue
            keep = "final" if len(kinds.get("final", ())) >= len(kinds.get("change", ())) \
                else "change"
            if r["measure"] != keep:
                r.update(status="excluded", reason=f"{r['measure']} score; an SMD does not mix "
                         f"change and final scores ({keep} scores used in this analysis)")
    pairs: dict[tuple, list[dict]] = {}
    for r in rows:
        if r["status"] == "poolable":
            key = (*_group_key(r, windowed), r["arm_id_1"], r["arm_id_2"])
            pairs.setdefault(key, []).append(r)
    for grp in pairs.values():
        grp.sort(key=lambda r: (r["dist"], _week(r), r["cand"]))
        best = grp[0]
        for r in grp[1:]:
            if _week(r) != _week(best) or r["timepoint_label"] != best["timepoint_label"]:
                why = (f"another timepoint of the same arms is closer to the window target "
                       f"({best['timepoint_label']})")
            else:
                detail = best["instrument_detail"] or ""
                why = (f"same arms and timepoint already informed by {best['instrument']} "
                       f"{detail}".rstrip() + " (listed first)")
            r.update(status="excluded", reason=why)


def _week(r: dict) -> float:
    return math.inf if _blank(r["timepoint_weeks"]) else float(r["timepoint_weeks"])


def _assemble(rows: list[dict], arms: pd.DataFrame, measure: str, multiarm: str) -> ComparisonSet:
    effects, account = [], []
    for r in rows:
        e = r["effect"] or {}
        account.append({**{c: r.get(c) for c in ACCOUNT_COLUMNS},
                        "reason_code": reason_code(r["reason"]) if r["status"] != "poolable"
                        else "", "source_kind": e.get("source_kind", "")})
        if r["status"] != "poolable":
            continue
        deriv = e["derivation"] + (" [skewness test significant: use in sensitivity analysis]"
                                   if e.get("skewed") else "")
        effects.append({**{c: r.get(c) for c in EFFECT_COLUMNS}, **{
            k: e[k] for k in ("n1", "n2", "m1", "sd1", "m2", "sd2", "yi", "vi", "source_kind")},
            "derivation": deriv, "effect_measure": measure})
    eff = pd.DataFrame(effects, columns=EFFECT_COLUMNS)
    acc = pd.DataFrame(account, columns=ACCOUNT_COLUMNS)
    warn = plausibility_warnings(arms)
    cand_key = ["study_id", "outcome", "instrument", "instrument_detail", "timepoint_weeks",
                "timepoint_label", "measure", "arm_id_1", "arm_id_2"]
    uniq = acc.assign(**{k: acc[k].astype(object).where(acc[k].notna(), "") for k in cand_key})
    status = uniq.groupby(cand_key, sort=False)["status"].agg(
        lambda s: "poolable" if (s == "poolable").any() else "excluded")
    dropped = uniq[uniq["status"] == "excluded"]
    first_reason = dropped.groupby(cand_key, sort=False)["reason_code"].first()
    excl = first_reason[status[status == "excluded"].index]
    counts = {
        "measure": measure, "multiarm": multiarm,
        "identified": int(len(status)), "poolable": int((status == "poolable").sum()),
        "excluded": int((status == "excluded").sum()),
        "studies_identified": int(acc["study_id"].nunique()),
        "studies_poolable": int(eff["study_id"].nunique()),
        "excluded_by_reason": {k: int(v) for k, v in excl.value_counts().items()},
        "poolable_by": {f"{o}/{c}": int(n) for (o, c), n in
                        eff.groupby(["outcome_id", "comparison"]).size().items()},
    }
    return ComparisonSet(effects=eff, accounting=acc, warnings=warn["message"].tolist(),
                         warnings_table=warn, counts=counts)
