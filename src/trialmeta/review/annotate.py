"""What the review adds to each effect row of a main analysis: the trial's overall risk of
bias, the control arm's verbatim intervention and, for sham controls, the kind of sham the
review's vocabulary names (used for indirectness, GRADE guidelines 8)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd

from trialmeta.data.vocabulary import Vocabulary
from trialmeta.review.results import EffectRow

__all__ = ["annotate", "control_lookup", "is_secondary"]


def control_lookup(arms: pd.DataFrame | None, vocabulary: Vocabulary
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


def annotate(effects: tuple[EffectRow, ...], rob: Mapping[str, str],
             controls: Mapping[tuple[str, str], tuple[str, str]]) -> tuple[EffectRow, ...]:
    """Each row with ``risk_of_bias`` (``not_assessed`` when the trial has none), and the
    control intervention and sham type where the arms sheet gives them."""
    out = []
    for r in effects:
        text, sham = controls.get((r.study_id, str(r.get("arm_id_2"))), ("", ""))
        out.append(replace(r, risk_of_bias=rob.get(r.study_id, "not_assessed"),
                           control_intervention=text or None, sham_type=sham or None))
    return tuple(out)
