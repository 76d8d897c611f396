"""Cross-row and cross-sheet checks of the extraction sheets (called by
:mod:`trialmeta.data.validate` after every cell has passed its schema).

Each check appends ``file:row:column: what is wrong (got VALUE, expected ...)`` lines to
``problems``; none raises.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd

from trialmeta.data.binary_checks import check_outcome_kinds
from trialmeta.data.keys import ARM_KEY
from trialmeta.data.risk_of_bias import TOOL_DOMAINS, TOOL_JUDGEMENTS

__all__ = ["ARM_KEY", "cross_checks", "show"]

_ROB_JUDGEMENTS = TOOL_JUDGEMENTS
_ROB_DOMAINS = TOOL_DOMAINS


def show(text: object) -> str:
    s = str(text)
    return repr(s if len(s) <= 40 else s[:37] + "...")


def _code(value: object) -> str:
    """A code as it is when it is plain (``sham``), else quoted and escaped like :func:`show`."""
    s = str(value)
    return s if s.isascii() and s.replace("_", "a").isalnum() else show(s)


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def cross_checks(
    tables: dict[str, pd.DataFrame],
    labels: dict[str, str],
    problems: list[str],
    intervention_types: tuple[str, ...] | None,
    binary_outcomes: tuple[str, ...] | None = None,
) -> None:
    """Append the cross-row and cross-sheet problems of ``tables`` to ``problems``.

    ``intervention_types`` are the vocabulary's arm types of intervention arms (only those
    may carry a ``technique`` or a ``delivery``); ``None`` when the
    vocabulary is missing or invalid, which skips those two checks. ``binary_outcomes``
    are the outcome codes reported as events of n (:mod:`trialmeta.data.binary_checks`;
    ``None``: unknown, with the vocabulary).
    """
    studies = tables.get("studies")
    known = set(studies["study_id"].dropna()) if studies is not None else set()
    if studies is not None:
        dup = studies[studies["study_id"].notna() & studies["study_id"].duplicated(keep="first")]
        for r in dup.to_dict("records"):
            problems.append(
                f"{labels['studies']}:{r['_row']}:study_id: duplicate study "
                f"(got {show(r['study_id'])}, expected each study once)"
            )
    for name in ("arms", "contrasts", "risk_of_bias"):
        df = tables.get(name)
        if df is None or studies is None:
            continue
        for r in df[df["study_id"].notna() & ~df["study_id"].isin(known)].to_dict("records"):
            hint = difflib.get_close_matches(str(r["study_id"]), sorted(known), n=1)
            more = f"; did you mean {hint[0]!r}?" if hint else ""
            problems.append(
                f"{labels[name]}:{r['_row']}:study_id: unknown study (got "
                f"{show(r['study_id'])}, expected a study_id of studies.csv{more})"
            )
    arms = tables.get("arms")
    if arms is not None:
        _check_arms(arms, labels["arms"], problems, intervention_types)
        check_outcome_kinds(arms, labels["arms"], problems, binary_outcomes)
        if studies is not None:
            _check_arm_counts(studies, arms, labels, problems)
    if tables.get("contrasts") is not None:
        _check_contrasts(tables["contrasts"], arms, labels["contrasts"], problems)
    if tables.get("risk_of_bias") is not None:
        _check_rob(tables["risk_of_bias"], labels["risk_of_bias"], problems)


def _ordered(r: dict[Any, Any], cols: tuple[str, ...], label: str, problems: list[str]) -> None:
    vals = [(c, r[c]) for c in cols if not _blank(r.get(c))]
    for (c1, v1), (c2, v2) in zip(vals, vals[1:], strict=False):
        if v2 < v1:
            problems.append(
                f"{label}:{r['_row']}:{c2}: bound out of order (got {c2}={v2} below "
                f"{c1}={v1}, expected {' <= '.join(cols)})"
            )


def _pair(r: dict[Any, Any], a: str, b: str, label: str, problems: list[str]) -> None:
    if _blank(r.get(a)) != _blank(r.get(b)):
        missing = a if _blank(r.get(a)) else b
        problems.append(
            f"{label}:{r['_row']}:{missing}: half an interval (got only one of {a}/"
            f"{b}, expected both or neither)"
        )


def _inside(r: Mapping[Any, Any], col: str, lo: str, hi: str, what: str, label: str,
            problems: list[str]) -> None:  # fmt: skip
    """``lo <= col <= hi`` when all three are given (an inverted ``lo``/``hi`` is reported
    by :func:`_ordered`)."""
    x, a, b = r.get(col), r.get(lo), r.get(hi)
    if x is None or a is None or b is None or _blank(x) or _blank(a) or _blank(b):
        return
    if a > b or a <= x <= b:
        return
    problems.append(
        f"{label}:{r['_row']}:{col}: outside its own {what} (got {col}={x} with "
        f"{lo}={a} and {hi}={b}, expected {lo} <= {col} <= {hi})"
    )


def _check_arm_counts(studies: pd.DataFrame, arms: pd.DataFrame, labels: dict[str, str],
                      problems: list[str]) -> None:  # fmt: skip
    """Every study has its arms in the arms sheet: at least two, and ``n_arms`` when given."""
    found: dict[str, list[str]] = {}
    for sid, aid in zip(arms["study_id"], arms["arm_id"], strict=True):
        if sid is not None and aid is not None and aid not in found.setdefault(sid, []):
            found[sid].append(aid)
    where = labels["arms"]
    for r in studies.to_dict("records"):
        sid, line = r["study_id"], r["_row"]
        if sid is None:
            continue
        ids = sorted(found.get(sid, []))
        declared = r.get("n_arms")
        if not ids:
            problems.append(
                f"{labels['studies']}:{line}:study_id: study has no arms (got no row "
                f"of {show(sid)} in {where}, expected a row per arm: an arm whose "
                "statistics the source does not report has empty statistics)"
            )
        elif not _blank(declared) and declared != len(ids):
            problems.append(
                f"{labels['studies']}:{line}:n_arms: arms do not match (got "
                f"{len(ids)} arm(s) of {show(sid)} in {where} ({', '.join(ids)}), "
                f"expected {declared} as n_arms says)"
            )
        elif len(ids) == 1:
            problems.append(
                f"{labels['studies']}:{line}:study_id: only one arm (got arm "
                f"{show(ids[0])} alone in {where}, expected at least 2 arms of a "
                "randomised trial)"
            )


def _check_arms(
    arms: pd.DataFrame, label: str, problems: list[str], intervention_types: tuple[str, ...] | None
) -> None:
    seen: dict[tuple[Any, ...], int] = {}
    kinds: dict[tuple[Any, ...], tuple[object, int]] = {}
    for r in arms.to_dict("records"):
        line = r["_row"]
        _pair(r, "ci_lb", "ci_ub", label, problems)
        _pair(r, "q1", "q3", label, problems)
        _pair(r, "min", "max", label, problems)
        _ordered(r, ("ci_lb", "ci_ub"), label, problems)
        _ordered(r, ("min", "q1", "median", "q3", "max"), label, problems)
        _inside(r, "mean", "ci_lb", "ci_ub", "CI", label, problems)
        _inside(r, "mean", "min", "max", "range", label, problems)
        if (
            not _blank(r["scale_min"])
            and not _blank(r["scale_max"])
            and r["scale_max"] <= r["scale_min"]
        ):
            problems.append(
                f"{label}:{line}:scale_max: scale upper end not above the lower (got "
                f"{r['scale_max']}, expected > scale_min={r['scale_min']})"
            )
        if r["measure"] == "change" and _blank(r.get("change_sign")):
            problems.append(
                f"{label}:{line}:change_sign: missing for a change score (got an empty "
                "cell, expected post_minus_baseline or baseline_minus_post)"
            )
        if r["measure"] == "final" and not _blank(r.get("change_sign")):
            problems.append(
                f"{label}:{line}:change_sign: set on a final score (got "
                f"{show(r['change_sign'])}, expected an empty cell)"
            )
        if intervention_types is not None:
            _check_arm_kind(
                r,
                r["arm_type"] in intervention_types,
                label,
                problems,
                "delivery" in arms.attrs.get("present_columns", ()),
            )
        if any(r.get(k) is None for k in ("study_id", "arm_id")):
            continue
        key = tuple("" if _blank(r.get(k)) else r.get(k) for k in ARM_KEY)
        if key in seen:
            problems.append(
                f"{label}:{line}:arm_id: duplicate arm row (got {show(r['arm_id'])} "
                f"again for the same outcome, instrument and timepoint as row "
                f"{seen[key]}, expected one row per arm x outcome x timepoint)"
            )
        else:
            seen[key] = line
        akey = (r["study_id"], r["arm_id"])
        if akey in kinds and r["arm_type"] is not None and kinds[akey][0] != r["arm_type"]:
            problems.append(
                f"{label}:{line}:arm_type: arm changes type (got "
                f"{show(r['arm_type'])}, expected {show(kinds[akey][0])} as on row "
                f"{kinds[akey][1]})"
            )
        elif akey not in kinds and r["arm_type"] is not None:
            kinds[akey] = (r["arm_type"], line)


def _check_arm_kind(
    r: dict[Hashable, Any], intervention: bool, label: str, problems: list[str], delivery: bool
) -> None:
    """Columns of intervention arms only: ``technique`` (and ``delivery``
    when the sheet has that column)."""
    if r["arm_type"] is not None and not intervention and not _blank(r.get("technique")):
        problems.append(
            f"{label}:{r['_row']}:technique: set on a {_code(r['arm_type'])} "
            f"arm (got {show(r['technique'])}, expected an empty cell)"
        )
    if delivery:
        _check_delivery(r, intervention, label, problems)


def _check_delivery(r: dict[Any, Any], intervention: bool, label: str, problems: list[str]) -> None:
    """``delivery`` (optional column): set on intervention arms only (the
    vocabulary's ``intervention_types``), and ``add_on`` exactly when the arm has a
    cointervention (A + B vs B)."""
    line, value, co = r["_row"], r.get("delivery"), r.get("cointervention")
    if not intervention:
        if not _blank(value) and r["arm_type"] is not None:
            problems.append(
                f"{label}:{line}:delivery: set on a "
                f"{_code(r['arm_type'])} arm (got {show(value)}, expected an empty "
                "cell)"
            )
        return
    if _blank(value):
        problems.append(
            f"{label}:{line}:delivery: missing for an intervention arm "
            f"({_code(r['arm_type'])}) (got an empty cell, expected add_on or "
            "standalone)"
        )
    elif value == "add_on" and _blank(co):
        problems.append(
            f"{label}:{line}:delivery: add_on without a cointervention "
            "(got 'add_on', expected standalone, or the treatment it is added to in "
            "cointervention)"
        )
    elif value == "standalone" and not _blank(co):
        problems.append(
            f"{label}:{line}:delivery: standalone but the arm has a "
            f"cointervention (got 'standalone' with cointervention {show(co)}, "
            "expected add_on)"
        )


def _check_contrasts(
    con: pd.DataFrame, arms: pd.DataFrame | None, label: str, problems: list[str]
) -> None:
    arm_ids = set()
    if arms is not None:
        arm_ids = set(zip(arms["study_id"], arms["arm_id"], strict=True))
    for r in con.to_dict("records"):
        line = r["_row"]
        _pair(r, "ci_lb", "ci_ub", label, problems)
        _ordered(r, ("ci_lb", "ci_ub"), label, problems)
        _inside(r, "estimate", "ci_lb", "ci_ub", "CI", label, problems)
        if r["arm_id_1"] is not None and r["arm_id_1"] == r["arm_id_2"]:
            problems.append(
                f"{label}:{line}:arm_id_2: an arm compared with itself (got "
                f"{show(r['arm_id_2'])}, expected a different arm from arm_id_1)"
            )
        for col in ("arm_id_1", "arm_id_2"):
            if (
                arms is not None
                and r[col] is not None
                and r["study_id"] is not None
                and (r["study_id"], r[col]) not in arm_ids
            ):
                problems.append(
                    f"{label}:{line}:{col}: unknown arm (got {show(r[col])}, "
                    f"expected an arm_id of {r['study_id']} in arms.csv)"
                )
        if r["measure"] == "change" and _blank(r.get("change_sign")):
            problems.append(
                f"{label}:{line}:change_sign: missing for a change score (got an empty "
                "cell, expected post_minus_baseline or baseline_minus_post)"
            )


def _check_rob(rob: pd.DataFrame, label: str, problems: list[str]) -> None:
    seen: dict[tuple[Any, ...], int] = {}
    for r in rob.to_dict("records"):
        tool, line = r["tool"], r["_row"]
        if (
            tool in _ROB_JUDGEMENTS
            and r["judgement"] is not None
            and r["judgement"] not in _ROB_JUDGEMENTS[tool]
        ):
            problems.append(
                f"{label}:{line}:judgement: not a {tool} judgement (got "
                f"{show(r['judgement'])}, expected one of "
                f"{', '.join(_ROB_JUDGEMENTS[tool])})"
            )
        domains = _ROB_DOMAINS.get(tool)
        if domains and r["domain"] is not None and r["domain"] not in domains:
            problems.append(
                f"{label}:{line}:domain: not a {tool} domain (got "
                f"{show(r['domain'])}, expected one of {', '.join(domains)})"
            )
        key = (r["study_id"], tool, r["domain"])
        if key in seen:
            problems.append(
                f"{label}:{line}:domain: duplicate judgement (got {show(r['domain'])} "
                f"again, expected one row per study x tool x domain; see row "
                f"{seen[key]})"
            )
        else:
            seen[key] = line
