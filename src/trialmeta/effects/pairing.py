"""Pair arms into intervention-vs-control comparisons and compute each pair's effect.

Private helpers of :mod:`trialmeta.effects.comparisons` (split out to keep modules short).
A candidate is one intervention arm and one control arm of a trial at the same outcome,
instrument, timepoint and score type, from ``arms.csv`` and/or ``contrasts.csv``. Which arm
types are interventions, which instruments pool as an MD and on which scale come from the
review's :class:`~trialmeta.data.vocabulary.Vocabulary`.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from trialmeta.data.keys import MEASUREMENT_KEY
from trialmeta.data.vocabulary import Vocabulary
from trialmeta.effects.binary import REVIEW_BINARY_MEASURES
from trialmeta.effects.binary_rows import binary_arm_effect, recompute_binary
from trialmeta.effects.conversions import se_from_ci, se_from_p
from trialmeta.effects.escalc import effect_sizes
from trialmeta.effects.exclusions import ExclusionReason, first_reason
from trialmeta.effects.harmonise import (
    ArmStats,
    arm_stats,
    direction_factor,
    scale_factor,
    to_harmonised,
)
from trialmeta.errors import InputError

KEY = MEASUREMENT_KEY
Why = tuple[str, ExclusionReason | None]
"""An exclusion in words and its category (``("", None)``: not excluded)."""


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v == ""


def _norm(text: object) -> str:
    s = "" if _blank(text) else str(text).lower()
    s = re.sub(r"\([^)]*\)", "", s)
    s = re.sub(r"\b(alone|only)\b", "", s)
    return " ".join(s.split())


def _k(row: dict[Any, Any]) -> tuple[Any, ...]:
    return tuple("" if _blank(row.get(c)) else row.get(c) for c in KEY)


def _cointervention_gap(acu: dict[Any, Any], ctl: dict[Any, Any]) -> str:
    ca, cc, ci = (
        _norm(acu.get("cointervention")),
        _norm(ctl.get("cointervention")),
        _norm(ctl.get("intervention")),
    )
    if ca == cc or ca == ci:
        return ""
    return (
        f"cointervention differs (acupuncture arm also receives '{ca or 'nothing'}', the "
        f"control arm '{cc or ci or 'nothing'}'): the contrast does not isolate acupuncture"
    )


def _scale_gap(row: dict[Any, Any], measure: str, vocab: Vocabulary) -> Why:
    if measure != "MD":
        return "", None
    rescale = vocab.rescales(row["outcome"])
    if not vocab.md_instrument(row["outcome"], row["instrument"]):
        scale = "a 0-100" if rescale else "an MD instrument of the"
        return (
            f"instrument {row['instrument']} is not {scale} {row['outcome']} scale; "
            "poolable only as SMD",
            ExclusionReason.SMD_ONLY_INSTRUMENT,
        )
    if rescale and math.isnan(scale_factor(row.get("scale_min"), row.get("scale_max"))):
        return (
            "scale range not reported; cannot harmonise to 0-100 (poolable only as SMD)",
            ExclusionReason.SCALE_RANGE_MISSING,
        )
    return "", None


def _scale_factor(row: dict[str, Any], vocab: Vocabulary) -> float:
    """The MD scale factor of a row: to 0-100, or 1 for an outcome pooled in native units."""
    if not vocab.rescales(row["outcome"]):
        return 1.0
    return scale_factor(row.get("scale_min"), row.get("scale_max"))


def _scale_note(row: dict[Any, Any], vocab: Vocabulary) -> str:
    if vocab.rescales(row["outcome"]):
        k = scale_factor(row.get("scale_min"), row.get("scale_max"))
        basis = f" ({row['scale_basis']})" if not _blank(row.get("scale_basis")) else ""
        how = "" if k == 1 else f" x{k:g}"
        text = f"{row['instrument']} {row['scale_min']:g}-{row['scale_max']:g}{basis} -> 0-100{how}"
    else:
        text = f"{row['instrument']} in its own units (not rescaled)"
    if direction_factor(row.get("higher_is_worse"), row["measure"], row.get("change_sign")) < 0:
        text += "; sign flipped so that lower is better"
    return text


def _arm_effect(
    c: dict[Any, Any], measure: str, vocab: Vocabulary
) -> tuple[dict[Any, Any] | None, Why]:
    if measure in REVIEW_BINARY_MEASURES:
        return binary_arm_effect(c, measure)
    acu, ctl = c["acu"], c["ctl"]
    sa, sc = arm_stats(acu), arm_stats(ctl)
    gaps: dict[str, list[str]] = {}
    for s, r in ((sa, acu), (sc, ctl)):
        if s.gap:
            gaps.setdefault(s.gap, []).append(str(r["arm_id"]))
    if gaps:
        why = first_reason(s.gap_reason for s in (sa, sc) if s.gap_reason is not None)
        return None, ("; ".join(f"{g} ({', '.join(a)})" for g, a in gaps.items()), why)
    gap = _scale_gap(acu, measure, vocab)
    if gap[0]:
        return None, gap
    rescale = measure == "MD" and vocab.rescales(acu["outcome"])
    vals = []
    for s, r in ((sa, acu), (sc, ctl)):
        k = scale_factor(r["scale_min"], r["scale_max"]) if rescale else 1.0
        vals.append((s.n, to_harmonised(s.mean, r, rescale=rescale), s.sd * k))
    ledger = f"{acu['arm_id']}: {sa.ledger}; {ctl['arm_id']}: {sc.ledger}"
    if measure == "MD":
        ledger += f"; {_scale_note(acu, vocab)}"
    out = {
        "source_kind": "arms",
        "n1": vals[0][0],
        "m1": vals[0][1],
        "sd1": vals[0][2],
        "n2": vals[1][0],
        "m2": vals[1][1],
        "sd2": vals[1][2],
        "derivation": ledger,
        "skewed": sa.skewed or sc.skewed,
        **_derived_flags(sa, "1"),
        **_derived_flags(sc, "2"),
        "scale_inferred": any(r.get("scale_basis") == "inferred" for r in (acu, ctl)),
    }
    try:
        _recompute(out, measure)
    except InputError as exc:
        return None, (f"arm statistics not usable ({exc})", ExclusionReason.NOT_USABLE)
    return out, ("", None)


def _derived_flags(s: ArmStats, side: str) -> dict[str, bool]:
    """Which of an arm's numbers were derived rather than read (architecture review 8.5)."""
    return {
        f"m{side}_derived": "quantiles" in s.ledger,
        f"sd{side}_derived": s.ledger != "sd reported",
    }


def _recompute(e: dict[Any, Any], measure: str) -> None:
    if measure in REVIEW_BINARY_MEASURES:
        recompute_binary(e, measure)
        return
    es = effect_sizes(
        measure,
        m1i=[e["m1"]],
        sd1i=[e["sd1"]],
        n1i=[e["n1"]],
        m2i=[e["m2"]],
        sd2i=[e["sd2"]],
        n2i=[e["n2"]],
    )
    e["yi"], e["vi"] = float(es.yi[0]), float(es.vi[0])


def _contrast_effect(
    c: dict[Any, Any], measure: str, vocab: Vocabulary
) -> tuple[dict[Any, Any] | None, Why]:
    r = c["contrast"]
    if measure in REVIEW_BINARY_MEASURES:
        return None, (
            "between-group result of a binary outcome; pooled from events of n per arm only",
            ExclusionReason.BINARY_CONTRAST,
        )
    if r.get("estimate_type") == "median_difference":
        return None, (
            "median difference reported (not a mean difference)",
            ExclusionReason.MEDIAN_DIFFERENCE,
        )
    if measure == "SMD":
        return None, (
            "between-group difference only; an SMD needs group SDs",
            ExclusionReason.SMD_NEEDS_SDS,
        )
    gap = _scale_gap(r, measure, vocab)
    if gap[0]:
        return None, gap
    n1, n2 = r.get("n_1"), r.get("n_2")
    small = not (_blank(n1) or _blank(n2)) and min(n1, n2) < 60
    df = float(n1 + n2 - 2) if small else None
    level = 0.95 if _blank(r.get("ci_level")) else float(r["ci_level"])
    if not _blank(r.get("se")):
        se, how = float(r["se"]), "se reported"
    elif not (_blank(r.get("ci_lb")) or _blank(r.get("ci_ub"))):
        se = se_from_ci(r["ci_lb"], r["ci_ub"], level, df)
        how = f"se from {level * 100:g}% CI of the difference ({f't, df={df:g}' if df else 'z'})"
    elif not _blank(r.get("p_value")):
        se = se_from_p(r["estimate"], r["p_value"], df)
        how = f"se from P = {r['p_value']:g} ({f't, df={df:g}' if df else 'z'})"
    else:
        return None, (
            "between-group difference without CI, SE or P value",
            ExclusionReason.CONTRAST_WITHOUT_SPREAD,
        )
    flip = -1.0 if r["arm_id_1"] == c["ctl_id"] else 1.0
    f = direction_factor(r.get("higher_is_worse"), r["measure"], r.get("change_sign"))
    k = _scale_factor(r, vocab)
    yi = flip * f * k * float(r["estimate"])
    reversed_note = "; reversed to acupuncture - control" if flip < 0 else ""
    ledger = (
        f"contrast {r['arm_id_1']} - {r['arm_id_2']} = {r['estimate']:g}; {how}"
        f"{reversed_note}; {_scale_note(r, vocab)}"
    )
    return {
        "source_kind": "contrast",
        "n1": n1,
        "n2": n2,
        "m1": np.nan,
        "sd1": np.nan,
        "m2": np.nan,
        "sd2": np.nan,
        "yi": yi,
        "vi": (k * se) ** 2,
        "derivation": ledger,
        "skewed": False,
        "se_derived": how != "se reported",
        "scale_inferred": r.get("scale_basis") == "inferred",
    }, ("", None)


def _candidates(
    arms: pd.DataFrame, contrasts: pd.DataFrame | None, vocab: Vocabulary
) -> list[dict[Any, Any]]:
    meta: dict[tuple[Any, Any], dict[Any, Any]] = {}
    for r in arms.to_dict("records"):
        meta.setdefault((r["study_id"], r["arm_id"]), r)
    cands: dict[tuple[Any, ...], dict[Any, Any]] = {}
    for _key, grp in arms.groupby(list(KEY), dropna=False, sort=False):
        recs = grp.to_dict("records")
        for a in (r for r in recs if vocab.is_intervention(r["arm_type"])):
            for c in (r for r in recs if not vocab.is_intervention(r["arm_type"])):
                cands[(_k(a), a["arm_id"], c["arm_id"])] = {
                    "acu": a,
                    "ctl": c,
                    "contrast": None,
                    "acu_id": a["arm_id"],
                    "ctl_id": c["arm_id"],
                    "base": a,
                    "order": len(cands),
                }
    if contrasts is not None:
        for r in contrasts.to_dict("records"):
            t1 = meta.get((r["study_id"], r["arm_id_1"]), {}).get("arm_type")
            t2 = meta.get((r["study_id"], r["arm_id_2"]), {}).get("arm_type")
            if vocab.is_intervention(t1) == vocab.is_intervention(t2):
                continue  # intervention vs intervention, or control vs control
            acu_id, ctl_id = (
                (r["arm_id_1"], r["arm_id_2"])
                if vocab.is_intervention(t1)
                else (r["arm_id_2"], r["arm_id_1"])
            )
            key = (_k(r), acu_id, ctl_id)
            if key in cands:
                cands[key]["contrast"] = r
                continue
            base = {**meta[(r["study_id"], acu_id)], **{k: r[k] for k in KEY}}
            cands[key] = {
                "acu": None,
                "ctl": None,
                "contrast": r,
                "acu_id": acu_id,
                "ctl_id": ctl_id,
                "base": base,
                "order": len(cands),
            }
    out = list(cands.values())
    for c in out:
        c["acu_meta"] = meta[(c["base"]["study_id"], c["acu_id"])]
        c["ctl_meta"] = meta[(c["base"]["study_id"], c["ctl_id"])]
    return out


def _evaluate(c: dict[Any, Any], measure: str, vocab: Vocabulary) -> None:
    """Set the candidate's ``effect``, or its ``reason`` (words) and ``why`` (category)."""
    c["effect"], c["reason"] = None, _cointervention_gap(c["acu_meta"], c["ctl_meta"])
    c["why"] = ExclusionReason.COINTERVENTION if c["reason"] else None
    if c["reason"]:
        return
    reasons: list[Why] = []
    if c["acu"] is not None and c["ctl"] is not None:
        c["effect"], why = _arm_effect(c, measure, vocab)
        reasons.append(why)
    if c["effect"] is None and c["contrast"] is not None:
        c["effect"], why = _contrast_effect(c, measure, vocab)
        reasons.append(why)
    if c["effect"] is not None:
        c["reason"], c["why"] = "", None
        return
    c["reason"] = "; ".join(dict.fromkeys(text for text, _ in reasons if text))
    c["why"] = first_reason(w for _, w in reasons if w is not None)
