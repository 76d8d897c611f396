"""What the figures of one outcome read from the sheets, in one file per outcome
(``outcome_labels/<id>.json``), so that an edit of one trial's row redraws only the
figures of the outcomes that trial enters.

- ``studies``: study id → label of the outcome's trials, made from the whole studies sheet
  (:func:`~trialmeta.report.labels.label_map`: two trials of one author and year get
  their letters from the whole review, not from the trials of one outcome);
- ``arms``: (study, arm) → label of those trials' arms;
- ``risk_of_bias``: the rows of the risk-of-bias sheet, all of them: the forest plot picks
  its domain scheme (RoB 1 letters or RoB 2 domains) from every assessment of the review
  (:func:`trialmeta.plots.rob_domains.pick_scheme`), so a risk-of-bias edit redraws every
  outcome's figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from trialmeta.data.vocabulary import Vocabulary
from trialmeta.errors import IntermediateError
from trialmeta.report.labels import LabelMap, label_map

__all__ = ["figure_labels", "read_figure_labels"]


def figure_labels(
    labels: LabelMap, rob_rows: Sequence[Mapping[str, str]], studies: Iterable[str]
) -> dict[str, Any]:
    """The label slice of the trials ``studies`` (JSON data, sorted) from the review's
    whole label map and risk-of-bias rows."""
    keep = set(studies)
    return {
        "studies": {s: t for s, t in sorted(labels.studies.items()) if s in keep},
        "arms": sorted([s, a, t] for (s, a), t in labels.arms.items() if s in keep),
        "risk_of_bias": [dict(sorted(r.items())) for r in rob_rows],
    }


def read_figure_labels(data: Mapping[str, Any], config: Mapping[str, object],
                       vocabulary: Vocabulary, source: str
                       ) -> tuple[LabelMap, list[dict[str, str]]]:  # fmt: skip
    """(label map, risk-of-bias rows) of one outcome's figures: the config's outcome and
    comparison labels, the vocabulary's code labels, the slice :func:`figure_labels` made."""
    try:
        studies = {str(k): str(v) for k, v in data["studies"].items()}
        arms = {(str(s), str(a)): str(t) for s, a, t in data["arms"]}
        rob = [{str(k): str(v) for k, v in r.items()} for r in data["risk_of_bias"]]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise IntermediateError(
            f"{source}: not the figure labels of one outcome (expected "
            "studies, arms and risk_of_bias)"
        ) from None
    return replace(label_map(config, (), (), vocabulary), studies=studies, arms=arms), rob
