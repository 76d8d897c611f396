"""The effect row of a binary outcome: one arm pair's 2x2 table and its log RR, log OR or
RD (private helpers of :mod:`trialmeta.effects.pairing` and :mod:`~trialmeta.effects.multiarm`).

The 2x2 table is ``ai`` = events and ``n1i`` = participants of the intervention arm, ``ci``
and ``n2i`` of the control arm (metafor's names). The study effect is metafor's
``escalc(measure, ai, n1i, ci, n2i)`` (:func:`trialmeta.effects.binary.binary_effect_sizes`)
with metafor's default zero-cell rule: ½ added to every cell of a table with a zero cell
(``add=1/2, to="only0"``; Cochrane Handbook v6.5, section 10.4.4.2). A table with no
events in either arm is excluded from a risk or odds ratio (``drop00``: it carries no
information on a ratio, Handbook 10.4.4.1) and kept for a risk difference. The pooled
Mantel-Haenszel and Peto estimates use the tables unchanged (:mod:`trialmeta.review.binary`).

Multi-arm trials (Handbook 23.3.4): ``combine`` sums the events and the participants of
the arms merged on one side (Handbook 6.5.2.10 for dichotomous data: groups are combined by
adding their counts); ``split`` divides the shared arm's events and n alike.
"""

from __future__ import annotations

import math
from typing import Any

from trialmeta.effects.binary import REVIEW_BINARY_MEASURES, binary_effect_sizes, two_by_two
from trialmeta.effects.exclusions import ExclusionReason

__all__ = ["ADD", "TO", "binary_arm_effect", "drops_double_zero", "recompute_binary"]

ADD = 0.5
"""Added to each cell of a table with a zero cell (metafor ``escalc`` default)."""
TO = "only0"
"""Which tables get ``ADD``: only those with a zero cell."""

Why = tuple[str, ExclusionReason | None]


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v == ""


def drops_double_zero(measure: str) -> bool:
    """Whether a table without events in either arm is left out (RR, OR: yes; RD: no)."""
    return measure in ("RR", "OR")


def binary_arm_effect(c: dict[Any, Any], measure: str) -> tuple[dict[Any, Any] | None, Why]:
    """The effect row of one arm pair of a binary outcome, or why there is none."""
    acu, ctl = c["acu"], c["ctl"]
    missing = [str(r["arm_id"]) for r in (acu, ctl) if _blank(r.get("events")) or _blank(r["n"])]
    if missing:
        return None, (
            f"events or n not reported ({', '.join(missing)})",
            ExclusionReason.EVENTS_MISSING,
        )
    e: dict[Any, Any] = {
        "source_kind": "arms",
        "n1": float(acu["n"]),
        "events1": float(acu["events"]),
        "n2": float(ctl["n"]),
        "events2": float(ctl["events"]),
        "m1": math.nan,
        "sd1": math.nan,
        "m2": math.nan,
        "sd2": math.nan,
        "skewed": False,
        "derivation": (
            f"{acu['arm_id']}: {acu['events']:g}/{acu['n']:g} events; "
            f"{ctl['arm_id']}: {ctl['events']:g}/{ctl['n']:g} events"
        ),
    }
    if e["events1"] + e["events2"] == 0 and drops_double_zero(measure):
        return None, (
            "no events in either arm: no information on a risk or odds ratio (Handbook 10.4.4.1)",
            ExclusionReason.DOUBLE_ZERO,
        )
    recompute_binary(e, measure)
    return e, ("", None)


def recompute_binary(e: dict[Any, Any], measure: str) -> None:
    """Set ``yi``/``vi`` of an effect row from its counts (after a combine or a split), and
    say in its derivation when ½ was added to its cells."""
    if measure not in REVIEW_BINARY_MEASURES:
        raise ValueError(f"not a binary measure: {measure}")
    t = two_by_two(ai=[e["events1"]], n1i=[e["n1"]], ci=[e["events2"]], n2i=[e["n2"]])
    es = binary_effect_sizes(measure, t, add=ADD, to=TO, drop00=drops_double_zero(measure))
    e["yi"], e["vi"] = float(es.yi[0]), float(es.vi[0])
    note = f"; {ADD:g} added to each cell (a zero cell; Handbook 10.4.4.2)"
    corrected = es.corrected is not None and bool(es.corrected[0])
    e["zero_cell_corrected"] = corrected
    if corrected and note not in e["derivation"]:
        e["derivation"] += note
