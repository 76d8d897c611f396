"""The trial as the unit of analysis (Cochrane Handbook v6.5, section 23.3.4).

A multi-arm trial whose shared group was split (``multi_arm: split``) gives several effect
rows; they are correlated through that group, so every method that treats its inputs as
independent trials (leave-one-out, GOSH, Egger's and Begg's tests, trim-and-fill,
cumulative analysis and trial sequential analysis, the coverage simulation) works on
:func:`trial_units`: one unit per trial, its rows combined by inverse variance (the
common-effect estimate within the trial, Handbook section 10.3.1), with the trial's
participants summed. With ``multi_arm: combine`` (the default) every trial already has one
row and the units are the rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from trialmeta.review.results import EffectRow

__all__ = ["TrialUnits", "trial_units"]


@dataclass(frozen=True)
class TrialUnits:
    """One entry per trial, in first-appearance order of its rows."""

    labels: tuple[str, ...]
    yi: np.ndarray
    vi: np.ndarray
    n: np.ndarray
    year: np.ndarray
    position: np.ndarray
    rows: tuple[tuple[int, ...], ...]

    @property
    def k(self) -> int:
        return len(self.labels)

    @property
    def same_as_rows(self) -> bool:
        """True when every trial has exactly one row."""
        return all(len(r) == 1 for r in self.rows)


def _first(values: Sequence[float]) -> float:
    return next((v for v in values if math.isfinite(v)), math.nan)


def trial_units(effects: Sequence[EffectRow]) -> TrialUnits:
    """The trials of ``effects``: ``yi = Σ wᵢ yᵢ / Σ wᵢ``, ``vi = 1 / Σ wᵢ`` with
    ``wᵢ = 1/vᵢ`` over a trial's rows, ``n`` the sum of ``n1 + n2``.

    >>> from trialmeta.review.results import EffectRow
    >>> rows = [EffectRow({"row_id": f"A{i}", "study_id": "A", "yi": y, "vi": 2.0, "n1": 5,
    ...                    "n2": 5}, "x", 50.0) for i, y in enumerate((-1.0, -3.0))]
    >>> u = trial_units(rows)
    >>> u.labels, float(u.yi[0]), float(u.vi[0]), float(u.n[0])
    (('A',), -2.0, 1.0, 20.0)
    """
    order: dict[str, list[int]] = {}
    for i, r in enumerate(effects):
        order.setdefault(r.study_id, []).append(i)
    y, v, n, year, pos = [], [], [], [], []
    for idx in order.values():
        w = np.array([1.0 / effects[i].vi for i in idx])
        ys = np.array([effects[i].yi for i in idx])
        y.append(float(np.sum(w * ys) / np.sum(w)))
        v.append(float(1.0 / np.sum(w)))
        n.append(float(sum(effects[i].number("n1") + effects[i].number("n2") for i in idx)))
        year.append(_first([effects[i].number("year") for i in idx]))
        p = _first([effects[i].number("study_position") for i in idx])
        pos.append(p if math.isfinite(p) else float(idx[0]))
    return TrialUnits(
        tuple(order),
        np.array(y),
        np.array(v),
        np.array(n),
        np.array(year),
        np.array(pos),
        tuple(tuple(i) for i in order.values()),
    )
