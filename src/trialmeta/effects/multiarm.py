"""The trial is the unit of analysis: one comparison per trial and analysis.

A multi-arm trial may offer several acupuncture-vs-control pairs to one analysis (two
acupuncture arms against one sham, or one acupuncture arm against two usual-care arms).
Counting each pair as a study would count the shared group twice (Cochrane Handbook v6.5,
section 23.3.4). Two remedies, chosen by the config (``multi_arm.method``):

``combine`` (default)
    Merge the arms on each side into one group with the Handbook's formula for combining
    groups (section 6.5.2.10, Table 6.5.a; :func:`trialmeta.effects.conversions.combine_groups`),
    so the trial contributes one comparison; a binary outcome's groups are combined by
    adding their events and their participants.
``split``
    Keep the pairs and divide the shared group's n (and, for a binary outcome, its events)
    among them (section 23.3.4), so the
    trial contributes several comparisons with no participant counted twice; k then counts
    trials and the text says "k trials (m comparisons)".

Contrast-only results (a between-group difference without arm statistics) can be neither
combined nor split; a second one that shares an arm is excluded with that reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from trialmeta.effects.binary import REVIEW_BINARY_MEASURES
from trialmeta.effects.conversions import combine_groups
from trialmeta.effects.exclusions import ExclusionReason
from trialmeta.effects.pairing import _recompute
from trialmeta.errors import InputError

__all__ = ["MULTIARM_METHODS", "resolve_multiarm", "trials_and_comparisons", "unit_text"]

MULTIARM_METHODS = ("combine", "split")


def _drop_shared_contrasts(live: list[dict[str, Any]]) -> None:
    used = {a for r in live if r["effect"]["source_kind"] == "arms"
            for a in (r["arm_id_1"], r["arm_id_2"])}  # fmt: skip
    for r in live:
        if r["effect"]["source_kind"] != "contrast":
            continue
        arms_here = {r["arm_id_1"], r["arm_id_2"]}
        if arms_here & used:
            shared = ", ".join(sorted(arms_here & used))
            r.update(
                status="excluded",
                reason=f"shares {shared} with another comparison of "
                "this trial; contrast-only data cannot be split or combined",
                why=ExclusionReason.SHARED_CONTRAST_ARM,
            )
            continue
        used |= arms_here


def _split(arm_level: list[dict[str, Any]], uses: dict[str, int], measure: str) -> None:
    for r in arm_level:
        e, notes = r["effect"], []
        for side, arm in (("1", r["arm_id_1"]), ("2", r["arm_id_2"])):
            if uses[arm] > 1:
                notes.append(f"{arm} n {e['n' + side]:g} split {uses[arm]} ways")
                e["n" + side] = e["n" + side] / uses[arm]
                if "events" + side in e:  # binary: the events are split alike (23.3.4)
                    e["events" + side] = e["events" + side] / uses[arm]
        r["multiarm"] = "split: " + "; ".join(notes) if notes else ""
        e["n1_split"] = uses[r["arm_id_1"]] > 1
        e["n2_split"] = uses[r["arm_id_2"]] > 1
        try:
            _recompute(e, measure)
        except InputError as exc:
            r.update(
                status="excluded",
                reason=f"arm statistics not usable after the split ({exc})",
                why=ExclusionReason.NOT_USABLE,
            )


def _merge_side(
    e: dict[str, Any], side: str, arms: dict[str, tuple[float, float, float]], binary: bool
) -> None:
    """One side's merged group: counts summed (binary), else Handbook Table 6.5.a."""
    if binary:
        e.update(
            {
                "n" + side: sum(a[0] for a in arms.values()),
                "events" + side: sum(a[1] for a in arms.values()),
            }
        )
        return
    (n, m, sd), *rest = arms.values()
    for n2, m2, sd2 in rest:
        n, m, sd = combine_groups(n, m, sd, n2, m2, sd2)
    e.update({"n" + side: n, "m" + side: m, "sd" + side: sd})


def _combine(arm_level: list[dict[str, Any]], measure: str) -> None:
    first = arm_level[0]
    binary = measure in REVIEW_BINARY_MEASURES
    groups: dict[str, dict[str, tuple[float, float, float]]] = {"1": {}, "2": {}}
    for r in arm_level:
        e = r["effect"]
        for side in ("1", "2"):
            stats = (e["events" + side], math.nan) if binary else (e["m" + side], e["sd" + side])
            groups[side][r[f"arm_id_{side}"]] = (e["n" + side], *stats)
    e = first["effect"]
    for side, arms in groups.items():
        _merge_side(e, side, arms, binary)
    try:
        _recompute(e, measure)
    except InputError as exc:  # pragma: no cover - merged groups only grow
        first.update(
            status="excluded",
            reason=f"arm statistics not usable ({exc})",
            why=ExclusionReason.NOT_USABLE,
        )
    merged = {side: len(arms) > 1 for side, arms in groups.items()}
    first["arm_id_1"] = "+".join(groups["1"])
    first["arm_id_2"] = "+".join(groups["2"])
    first["control_type"] = "+".join(sorted({str(r["control_type"]) for r in arm_level}))
    kinds = sorted({str(r["technique"]) for r in arm_level if r.get("technique")})
    first["technique"] = "+".join(kinds) if kinds else first.get("technique")
    first["multiarm"] = (
        f"combine: {'+'.join(groups['1'])} vs {'+'.join(groups['2'])} merged "
        "(Handbook 6.5.2.10, 23.3.4)"
    )
    for side in ("1", "2"):
        for stat in ("m", "sd"):
            e[f"{stat}{side}_derived"] = bool(e.get(f"{stat}{side}_derived")) or merged[side]
    e["arms_combined"] = True
    for r in arm_level[1:]:
        r.update(
            status="excluded",
            reason=f"combined into {first['arm_id_1']} vs {first['arm_id_2']} (multi-arm combine)",
            multiarm="combine",
            why=ExclusionReason.MERGED,
        )


def resolve_multiarm(rows: list[dict[str, Any]], mode: str, measure: str) -> None:
    """Rows of one trial in one outcome × comparison: stop any arm being counted twice.

    ``mode`` is ``"combine"`` or ``"split"`` (module docstring). Rows are updated in place:
    merged rows are excluded with the reason, split rows get their n divided.
    """
    live = [r for r in rows if r["status"] == "poolable"]
    if len(live) < 2:
        return
    _drop_shared_contrasts(live)
    arm_level = [
        r for r in live if r["status"] == "poolable" and r["effect"]["source_kind"] == "arms"
    ]
    if len(arm_level) < 2:
        return
    uses: dict[str, int] = {}
    for r in arm_level:
        for arm in (r["arm_id_1"], r["arm_id_2"]):
            uses[arm] = uses.get(arm, 0) + 1
    if not any(v > 1 for v in uses.values()) and mode == "split":
        return
    if mode == "split":
        _split(arm_level, uses, measure)
    else:
        _combine(arm_level, measure)


def trials_and_comparisons(study_ids: Sequence[str]) -> tuple[int, int]:
    """``(k trials, m comparisons)`` of an analysis' effect rows (one study id per row).

    >>> trials_and_comparisons(["A", "A", "B"])
    (2, 3)
    """
    return len(set(study_ids)), len(study_ids)


def unit_text(study_ids: Sequence[str]) -> str:
    """ "k trials", or "k trials (m comparisons)" where the two differ.

    >>> unit_text(["A", "A", "B"]), unit_text(["A"])
    ('2 trials (3 comparisons)', '1 trial')
    """
    k, m = trials_and_comparisons(study_ids)
    base = f"{k} trial{'s' if k != 1 else ''}"
    return base if k == m else f"{base} ({m} comparison{'s' if m != 1 else ''})"
