"""Which comparisons the extraction can inform, which can be pooled, and why not.

``build_comparisons`` pairs every acupuncture arm with every control arm of the same trial,
outcome, instrument, timepoint and score type (``arms.csv``), adds the between-group results
of ``contrasts.csv``, and decides for each pair:

- *poolable*: an effect row with ``yi``/``vi`` and a derivation ledger (which inputs, which
  formula), on the harmonised 0-100 scale for MD (see ``harmonise.py``);
- *excluded*: with the reason ("n not reported", "no SD and no CI", ...).

A comparison contrasts acupuncture with a control only when the arms share their background
treatment (``cointervention`` equal, or the acupuncture arm's cointervention is the control's
intervention, as in A + B vs B); against an active control that is an *add-on* comparison,
otherwise a *head-to-head* one (``active_design``). The timepoint each outcome uses comes
from the trial's own course (:mod:`trialmeta.effects.timepoints`); the trial is the unit of
analysis (:mod:`trialmeta.effects.multiarm`: multi-arm trials combined by default, or the
shared arm split). A comparison with ``members`` shows other comparisons' rows side by side,
unchanged. Change and final scores may mix in an MD, never in an SMD.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from trialmeta.data.keys import MEASUREMENT_KEY
from trialmeta.data.vocabulary import Vocabulary
from trialmeta.effects.binary import REVIEW_BINARY_MEASURES
from trialmeta.effects.data_quality import FLAG_COLUMNS, flag_effects, rules_from_config
from trialmeta.effects.exclusions import ExclusionReason, first_reason
from trialmeta.effects.harmonise import plausibility_warnings
from trialmeta.effects.multiarm import MULTIARM_METHODS, resolve_multiarm
from trialmeta.effects.pairing import _blank, _candidates, _evaluate
from trialmeta.effects.timepoints import Placement, place, rule_from_config
from trialmeta.errors import InputError

__all__ = ["ComparisonSet", "build_comparisons"]

Row = dict[Any, Any]
"""One candidate comparison or effect row while the table is built."""

#: Booleans beside the human-readable ``derivation``: which numbers were not read as printed.
DERIVED_FLAGS = (
    "m1_derived",
    "sd1_derived",
    "m2_derived",
    "sd2_derived",
    "se_derived",
    "n1_split",
    "n2_split",
    "arms_combined",
    "scale_inferred",
)
EFFECT_COLUMNS = [
    "study_id",
    "comparison",
    "control_type",
    "technique",
    "population",
    "outcome",
    "outcome_id",
    "timepoint_weeks",
    "timepoint_label",
    "measure",
    "instrument",
    "instrument_detail",
    "arm_id_1",
    "arm_id_2",
    "n1",
    "n2",
    "m1",
    "sd1",
    "m2",
    "sd2",
    "events1",
    "events2",
    "yi",
    "vi",
    "effect_measure",
    "higher_is_worse",
    "source_kind",
    "derivation",
    "multiarm",
    "verification",
    "n_sessions",
    "treatment_weeks",
    "year",
    "study_position",
    "notes",
    "active_design",
    "member",
    "weeks_after_treatment",
    "timepoint_rule",
    "timepoint_fallback",
    *DERIVED_FLAGS,
    *FLAG_COLUMNS,
]
ACCOUNT_COLUMNS = [
    "study_id",
    "comparison",
    "control_type",
    "outcome",
    "outcome_id",
    "instrument",
    "instrument_detail",
    "timepoint_weeks",
    "timepoint_label",
    "measure",
    "arm_id_1",
    "arm_id_2",
    "status",
    "reason_code",
    "reason",
    "source_kind",
    "multiarm",
    "active_design",
    "member",
    "weeks_after_treatment",
    "timepoint_rule",
    "timepoint_fallback",
]


@dataclass(frozen=True)
class ComparisonSet:
    """Effect rows, the accounting of every comparison, data-quality warnings and counts."""

    effects: pd.DataFrame
    accounting: pd.DataFrame
    warnings: list[str]
    warnings_table: pd.DataFrame = field(repr=False)
    counts: dict[str, object] = field(default_factory=dict)


Why = tuple[str, ExclusionReason | None]
"""An exclusion in words and its category (``("", None)``: not excluded)."""


def _windows(c: Row, outcomes: list[Row] | None) -> tuple[list[tuple[str, Placement]], Why]:
    """(outcome_id, placement) per outcome this assessment can answer, or why none."""
    outcome = c["base"]["outcome"]
    if outcomes is None:
        return [(outcome, Placement(True, (0.0,), "every timepoint (no windows)"))], ("", None)
    mine = [o for o in outcomes if outcome in _outcome_codes(o)]
    if not mine:
        return [], (f"outcome {outcome} is not analysed", ExclusionReason.OUTCOME_NOT_ANALYSED)
    hits, why, codes = [], [], []
    for o in mine:
        pl = place(
            c["base"].get("timepoint_weeks"),
            c["base"].get("timepoint_label"),
            c["acu_meta"].get("treatment_weeks"),
            rule_from_config(o),
        )
        if pl.eligible:
            hits.append((str(o["id"]), pl))
            continue
        if pl.reason not in why:
            why.append(pl.reason)
        if pl.why is not None:
            codes.append(pl.why)
    if hits:
        return hits, ("", None)
    return hits, ("; ".join(why), first_reason(codes))


def _outcome_codes(o: dict[Any, Any]) -> tuple[str, ...]:
    codes = o["outcome"]
    return tuple(codes) if isinstance(codes, (list, tuple)) else (str(codes),)


def active_design(acu_meta: Row, ctl_meta: Row, vocabulary: Vocabulary) -> str:
    """``add_on`` (acupuncture + X vs X), ``head_to_head`` (acupuncture vs X) for a control
    of one of the vocabulary's ``active_control_types``, else ``""``. Read from
    ``delivery`` (else from ``cointervention``)."""
    if not vocabulary.is_active_control(ctl_meta.get("arm_type")):
        return ""
    delivery = acu_meta.get("delivery")
    if _blank(delivery):
        delivery = "standalone" if _blank(acu_meta.get("cointervention")) else "add_on"
    return "add_on" if delivery == "add_on" else "head_to_head"


def _in_group(c: dict[Any, Any], g: dict[Any, Any]) -> bool:
    if g.get("members") or c["ctl_meta"]["arm_type"] not in g["control_types"]:
        return False
    want = g.get("active_design")
    return not want or c["design"] in ("", want)


def _row_common(c: dict[Any, Any], studies: dict[Any, Any]) -> dict[Any, Any]:
    b, a, ct = c["base"], c["acu_meta"], c["ctl_meta"]
    st = studies.get(b["study_id"], {})
    return {
        "study_id": b["study_id"],
        "control_type": ct["arm_type"],
        "technique": a.get("technique"),
        "population": st.get("population"),
        "outcome": b["outcome"],
        "timepoint_weeks": b.get("timepoint_weeks"),
        "timepoint_label": b.get("timepoint_label"),
        "measure": b["measure"],
        "effect_measure": c["effect_measure"],
        "higher_is_worse": b.get("higher_is_worse"),
        "instrument": b.get("instrument"),
        "instrument_detail": b.get("instrument_detail"),
        "arm_id_1": c["acu_id"],
        "arm_id_2": c["ctl_id"],
        "verification": (c["contrast"] or c["acu"] or {}).get("verification")
        or st.get("verification"),
        "n_sessions": a.get("n_sessions"),
        "treatment_weeks": a.get("treatment_weeks"),
        "year": st.get("year"),
        "study_position": st.get("_position"),
        "notes": _row_notes(c),
        "active_design": c["design"],
        "member": "",
    }


def _row_notes(c: dict[Any, Any]) -> str:
    """Notes of the rows this comparison was built from (the contrast, or both arms' rows
    for this outcome and timepoint), each once, so caveats travel with the numbers."""
    parts: list[str] = []
    for key in ("contrast", "acu", "ctl"):
        note = (c.get(key) or {}).get("notes")
        if not _blank(note) and note not in parts:
            parts.append(str(note))
    return " | ".join(parts)


def build_comparisons(
    sheets: dict[str, pd.DataFrame] | str | Path,
    *,
    outcomes: list[dict[Any, Any]] | None = None,
    comparisons: list[dict[Any, Any]] | None = None,
    measure: str = "MD",
    multiarm: str = "combine",
    data_quality: Mapping[str, object] | None = None,
    vocabulary: Vocabulary | None = None,
) -> ComparisonSet:
    """Decide which comparisons can be pooled and build their effect rows.

    Parameters
    ----------
    sheets
        Typed tables from :func:`trialmeta.data.validate.read_sheets`, or a path to read.
    outcomes
        Outcomes as in ``config.yaml`` (``id``, ``outcome`` (a code or a list of codes),
        ``timepoint: {anchor, tolerance_weeks, band}`` and the absolute window
        ``timepoint_weeks: {min, max, target, include_untimed}``);
        :mod:`trialmeta.effects.timepoints` places each assessment (rows without a
        timepoint in weeks only where ``include_untimed`` is true: an outcome measured
        once, e.g. length of stay). ``None``: every outcome and timepoint is its own
        analysis (``outcome_id = outcome``).
    comparisons
        As in ``config.yaml``: ``id``, ``control_types``, optionally ``active_design``
        (``add_on`` | ``head_to_head``, for the vocabulary's ``active_control_types``) or
        ``members`` (ids of other comparisons whose rows this one shows side by side,
        unchanged). ``None``: one comparison per control type.
    measure
        ``"MD"`` (harmonised 0-100 scale, negative favours acupuncture) or ``"SMD"``, or for
        binary outcomes ``"RR"``, ``"OR"`` (log scale) or ``"RD"``: the measure of every
        outcome without its own ``measure`` key. A binary outcome code (vocabulary ``type:
        binary``) needs a binary measure, a continuous one MD or SMD
        (:func:`outcome_measures`).
    multiarm
        ``"combine"`` the arms of a multi-arm trial (default) or ``"split"`` the shared
        arm's n (:mod:`trialmeta.effects.multiarm`).
    data_quality
        The config's ``data_quality`` rules (None: defaults), evaluated per effect row into
        the flag columns of :mod:`trialmeta.effects.data_quality`.
    vocabulary
        The review's codes: which arm types are interventions, which instruments pool as
        MD and on which scale. ``None``: the ``vocabulary.yaml`` of ``sheets``, which must
        then be a path (tables need their vocabulary passed: there is no default review).
    """
    if measure not in ALL_MEASURES:
        raise InputError("measure", measure, "MD, SMD, RR, OR or RD")
    if multiarm not in MULTIARM_METHODS:
        raise InputError("multiarm", multiarm, "combine or split")
    if not isinstance(sheets, dict):
        from trialmeta.data.validate import read_sheets, read_vocabulary

        vocabulary = vocabulary or read_vocabulary(sheets)
        sheets = read_sheets(sheets)
    if vocabulary is None:
        raise InputError(
            "vocabulary",
            None,
            "the review's Vocabulary with tables (e.g. "
            "trialmeta.data.validate.read_vocabulary(DATA_DIR)), or sheets as a path",
        )
    arms, con = sheets["arms"], sheets.get("contrasts")
    studies = {
        r["study_id"]: {**r, "_position": i + 1}
        for i, r in enumerate(sheets["studies"].to_dict("records"))
    }
    groups = comparisons or [{"id": t, "control_types": [t]} for t in vocabulary.control_types]
    by_code = outcome_measures(outcomes, measure, vocabulary)
    rows: list[dict[Any, Any]] = []
    for c in _candidates(arms, con, vocabulary):
        c["effect_measure"] = by_code.get(c["base"]["outcome"], measure)
        _evaluate(c, c["effect_measure"], vocabulary)
        c["design"] = active_design(c["acu_meta"], c["ctl_meta"], vocabulary)
        rows.extend(_candidate_rows(c, studies, groups, outcomes))
    windowed = outcomes is not None
    _select(rows, measure, windowed)
    by_group: dict[tuple[Any, ...], list[dict[Any, Any]]] = {}
    for r in rows:
        by_group.setdefault(_group_key(r, windowed), []).append(r)
    for grp in by_group.values():
        resolve_multiarm(grp, multiarm, grp[0]["effect_measure"])
    rows.extend(_member_rows(rows, groups))
    cset = _assemble(rows, arms, measure, multiarm)
    flagged = flag_effects(cset.effects, arms, rules_from_config(data_quality))
    return replace(cset, effects=flagged[EFFECT_COLUMNS])


ALL_MEASURES = ("MD", "SMD", *REVIEW_BINARY_MEASURES)


def outcome_measures(
    outcomes: list[dict[Any, Any]] | None, measure: str, vocabulary: Vocabulary
) -> dict[str, str]:
    """The effect measure of each outcome code: its configured outcome's ``measure`` (else
    ``measure``); a binary code's is RR, OR or RD, a continuous one's MD or SMD, and one
    code has one measure. Raises :class:`InputError` naming ``outcomes[i].measure``."""
    out: dict[str, str] = {}
    for i, o in enumerate(outcomes or ()):
        m = o.get("measure") or measure
        for code in _outcome_codes(o):
            binary = vocabulary.is_binary(code)
            if binary != (m in REVIEW_BINARY_MEASURES):
                kind = "binary" if binary else "continuous"
                want = "RR, OR or RD" if binary else "MD or SMD"
                raise InputError(
                    f"outcomes[{i}].measure",
                    m,
                    f"{want} for the {kind} outcome {code} ({vocabulary.source})",
                )
            if out.setdefault(code, m) != m:
                raise InputError(
                    f"outcomes[{i}].measure",
                    m,
                    f"{out[code]}, the measure of outcome {code} in another outcome window",
                )
    if outcomes is None:  # every outcome code: the review's measure where it fits
        ratio = measure if measure in REVIEW_BINARY_MEASURES else "RR"
        mean = "MD" if measure in REVIEW_BINARY_MEASURES else measure
        out = {code: ratio if vocabulary.is_binary(code) else mean for code in vocabulary.outcomes}
    return out


def _candidate_rows(
    c: dict[Any, Any],
    studies: dict[Any, Any],
    groups: list[dict[Any, Any]],
    outcomes: list[dict[Any, Any]] | None,
) -> list[dict[Any, Any]]:
    """The rows of one candidate pair: one per comparison and outcome it can inform."""
    hits, why = _windows(c, outcomes)
    out: list[Row] = []
    placed: list[tuple[str, Placement | None]] = [*hits] if hits else [("", None)]
    for g in (g for g in groups if _in_group(c, g)):
        for oid, pl in placed:
            status = "poolable" if c["effect"] is not None and hits else "excluded"
            reason, code = (
                (c["reason"], c["why"])
                if c["reason"]
                else why
                if status == "excluded"
                else ("", None)
            )
            out.append(
                {
                    **_row_common(c, studies),
                    "comparison": g["id"],
                    "outcome_id": oid,
                    "cand": c["order"],
                    "rank": pl.rank if pl else (math.inf,),
                    "status": status,
                    "effect": dict(c["effect"]) if c["effect"] else None,
                    "reason": reason,
                    "why": code,
                    "multiarm": "",
                    **_timepoint_columns(pl),
                }
            )
    if not out:
        kind = c["ctl_meta"]["arm_type"] + (
            f" ({c['design'].replace('_', '-')})" if c["design"] else ""
        )
        out.append(
            {
                **_row_common(c, studies),
                "comparison": "",
                "outcome_id": "",
                "cand": c["order"],
                "rank": (math.inf,),
                "status": "excluded",
                "reason": c["reason"] or f"control type {kind} is in no configured comparison",
                "why": c["why"] if c["reason"] else ExclusionReason.CONTROL_NOT_ANALYSED,
                "effect": None,
                "multiarm": "",
                **_timepoint_columns(None),
            }
        )
    return out


def _timepoint_columns(pl: Placement | None) -> dict[str, object]:
    if pl is None:
        return {
            "weeks_after_treatment": math.nan,
            "timepoint_rule": "",
            "timepoint_fallback": False,
        }
    return {
        "weeks_after_treatment": pl.weeks_after_treatment,
        "timepoint_rule": pl.rule,
        "timepoint_fallback": pl.fallback,
    }


def _member_rows(rows: list[dict[Any, Any]], groups: list[dict[Any, Any]]) -> list[dict[Any, Any]]:
    """Rows of the comparisons that list ``members``: the members' rows, unchanged but for
    ``comparison`` (and ``member`` naming the source), so a subgroup equals its standalone
    analysis exactly."""
    out: list[Row] = []
    for g in groups:
        for m in g.get("members") or ():
            out.extend(
                {
                    **r,
                    "comparison": g["id"],
                    "member": m,
                    "effect": dict(r["effect"]) if r["effect"] else None,
                }
                for r in rows
                if r["comparison"] == m and not r["member"]
            )
    return out


def _group_key(r: dict[Any, Any], windowed: bool) -> tuple[Any, ...]:
    when = "" if windowed else (_blank_to(r["timepoint_weeks"]), _blank_to(r["timepoint_label"]))
    return (r["study_id"], r["outcome_id"], r["comparison"], when)


def _blank_to(v: object) -> object:
    return "" if _blank(v) else v


def _select(rows: list[dict[Any, Any]], measure: str, windowed: bool) -> None:
    """One row per arm pair and analysis; in SMD, one score type per analysis."""
    if measure == "SMD":
        per: dict[tuple[Any, ...], dict[str, set[Any]]] = {}
        for r in rows:
            if r["status"] == "poolable":
                per.setdefault((r["outcome_id"], r["comparison"]), {}).setdefault(
                    r["measure"], set()
                ).add(r["study_id"])
        for r in rows:
            kinds = per.get((r["outcome_id"], r["comparison"]), {})
            if r["status"] != "poolable" or len(kinds) < 2:
                continue
            keep = (
                "final" if len(kinds.get("final", ())) >= len(kinds.get("change", ())) else "change"
            )
            if r["measure"] != keep:
                r.update(
                    status="excluded",
                    reason=f"{r['measure']} score; an SMD does not mix "
                    f"change and final scores ({keep} scores used in this analysis)",
                    why=ExclusionReason.SCORE_TYPE_MIX,
                )
    pairs: dict[tuple[Any, ...], list[dict[Any, Any]]] = {}
    for r in rows:
        if r["status"] == "poolable":
            key = (*_group_key(r, windowed), r["arm_id_1"], r["arm_id_2"])
            pairs.setdefault(key, []).append(r)
    for grp in pairs.values():
        grp.sort(key=lambda r: (r["rank"], _week(r), r["cand"]))
        best = grp[0]
        for r in grp[1:]:
            if _week(r) != _week(best) or r["timepoint_label"] != best["timepoint_label"]:
                when = f"week {_week(best):g}" if math.isfinite(_week(best)) else "another week"
                why = (
                    f"another timepoint of the same arms is used: {when} "
                    f"({best['timepoint_label']}) by the rule '{best['timepoint_rule']}'"
                )
                code = ExclusionReason.OTHER_TIMEPOINT
            else:
                detail = best["instrument_detail"] or ""
                why = (
                    f"same arms and timepoint already informed by {best['instrument']} "
                    f"{detail}".rstrip()
                    + " (listed first)"
                )
                code = ExclusionReason.ALREADY_INFORMED
            r.update(status="excluded", reason=why, why=code)


def _week(r: dict[Any, Any]) -> float:
    return math.inf if _blank(r["timepoint_weeks"]) else float(r["timepoint_weeks"])


def _assemble(rows: list[Row], arms: pd.DataFrame, measure: str, multiarm: str) -> ComparisonSet:
    effects, account = [], []
    for r in rows:
        e = r["effect"] or {}
        account.append(
            {
                **{c: r.get(c) for c in ACCOUNT_COLUMNS},
                "reason_code": r["why"].code if r["status"] != "poolable" else "",
                "source_kind": e.get("source_kind", ""),
            }
        )
        if r["status"] != "poolable":
            continue
        deriv = e["derivation"] + (
            " [skewness test significant: use in sensitivity analysis]" if e.get("skewed") else ""
        )
        effects.append(
            {
                **{c: r.get(c) for c in EFFECT_COLUMNS},
                **{
                    k: e[k]
                    for k in ("n1", "n2", "m1", "sd1", "m2", "sd2", "yi", "vi", "source_kind")
                },
                "events1": e.get("events1", math.nan),
                "events2": e.get("events2", math.nan),
                **{k: bool(e.get(k, False)) for k in DERIVED_FLAGS},
                "derivation": deriv,
            }
        )
    eff = pd.DataFrame(effects, columns=[c for c in EFFECT_COLUMNS if c not in FLAG_COLUMNS])
    acc = pd.DataFrame(account, columns=ACCOUNT_COLUMNS)
    warn = plausibility_warnings(arms)
    cand_key = [*MEASUREMENT_KEY, "arm_id_1", "arm_id_2"]
    uniq = acc.assign(**{k: acc[k].astype(object).where(acc[k].notna(), "") for k in cand_key})
    status = uniq.groupby(cand_key, sort=False)["status"].agg(
        lambda s: "poolable" if (s == "poolable").any() else "excluded"
    )
    dropped = uniq[uniq["status"] == "excluded"]
    first_reason = dropped.groupby(cand_key, sort=False)["reason_code"].first()
    excl = first_reason[status[status == "excluded"].index]
    counts = {
        "measure": measure,
        "multiarm": multiarm,
        "identified": int(len(status)),
        "poolable": int((status == "poolable").sum()),
        "excluded": int((status == "excluded").sum()),
        "studies_identified": int(acc["study_id"].nunique()),
        "studies_poolable": int(eff["study_id"].nunique()),
        "excluded_by_reason": {k: int(v) for k, v in excl.value_counts().items()},
        "poolable_by": {
            f"{key[0]}/{key[1]}": int(n)
            for key, n in eff.groupby(["outcome_id", "comparison"]).size().items()
            if isinstance(key, tuple)
        },
    }
    return ComparisonSet(
        effects=eff,
        accounting=acc,
        warnings=warn["message"].tolist(),
        warnings_table=warn,
        counts=counts,
    )
