"""What the review adds to each effect row of a main analysis: the trial's overall risk of
bias, the control arm's verbatim intervention and, for sham controls, the kind of sham the
review's vocabulary names (used for indirectness, GRADE guidelines 8)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from trialmeta.data.risk_of_bias import domain_judgements, result_risk_of_bias
from trialmeta.data.vocabulary import Vocabulary
from trialmeta.review.results import EffectRow

if TYPE_CHECKING:  # pandas loads where a frame is built, not on import
    import pandas as pd

__all__ = ["RobLookup", "annotate", "control_lookup", "is_secondary", "result_rob_lookup"]

RobLookup = Mapping[str, str] | Callable[[EffectRow], str]
"""Study id → overall judgement, or a function of the effect row (per result, RoB 2)."""


def result_rob_lookup(
    rob: pd.DataFrame | None, vocabulary: Vocabulary
) -> Callable[[EffectRow], str]:
    """Risk of bias per result (RoB 2 is outcome-specific): the trial's domains (RoB 2, or
    RoB 1 / PEDro mapped onto them) with D4 high for a self-reported outcome when the
    participants know their allocation (any control but a sham) or were not blinded
    (:func:`trialmeta.data.risk_of_bias.result_risk_of_bias`); ``not_assessed`` when the
    trial has no assessment."""
    domains = domain_judgements(rob)

    def lookup(row: EffectRow) -> str:
        overall, _, _ = result_risk_of_bias(
            domains.get(row.study_id),
            self_reported=vocabulary.is_self_reported(row.get("outcome")),
            participants_aware=str(row.get("control_type")) not in vocabulary.sham_control_types,
        )
        return overall

    return lookup


def control_lookup(
    arms: pd.DataFrame | None, vocabulary: Vocabulary
) -> dict[tuple[str, str], tuple[str, str]]:
    """(study_id, arm_id) → (verbatim intervention, kind of sham) from the arms sheet.

    The kind of sham is the vocabulary's (:meth:`~trialmeta.data.vocabulary.Vocabulary.
    sham_kind`; ``""`` for an arm that is not a sham control).
    """
    if arms is None or arms.empty:
        return {}
    cols = arms[["study_id", "arm_id", "arm_type", "intervention"]].astype(str)
    return {(str(r.study_id), str(r.arm_id)): (str(r.intervention), vocabulary.sham_kind(
        str(r.arm_type), str(r.intervention)))
            for r in cols.drop_duplicates(["study_id", "arm_id"]).itertuples()}  # fmt: skip


def is_secondary(row: EffectRow) -> bool:
    """True when a row's ``verification`` or ``evidence_level`` says secondary."""
    return any("secondary" in str(row.get(c) or "").lower()
               for c in ("verification", "evidence_level"))  # fmt: skip


def annotate(
    effects: tuple[EffectRow, ...],
    rob: RobLookup,
    controls: Mapping[tuple[str, str], tuple[str, str]],
) -> tuple[EffectRow, ...]:
    """Each row with ``risk_of_bias`` (``not_assessed`` when the trial has none), and the
    control intervention and sham type where the arms sheet gives them."""
    out = []
    for r in effects:
        text, sham = controls.get((r.study_id, str(r.get("arm_id_2"))), ("", ""))
        judged = rob(r) if callable(rob) else rob.get(r.study_id, "not_assessed")
        out.append(
            replace(
                r, risk_of_bias=judged, control_intervention=text or None, sham_type=sham or None
            )
        )
    return tuple(out)
