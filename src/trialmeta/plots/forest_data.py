"""What a forest plot shows: frozen inputs, their builder, RevMan text formatters, CSV writer.

The builder computes every number the drawing needs (per-study confidence
intervals, weights, subgroup membership), so :func:`trialmeta.plots.forest_plot`
only places marks and text. Per-study intervals follow RevMan 5:
``yi ± z_{1-α/2} · sqrt(vi)`` (Cochrane Handbook, section 10.3).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from trialmeta._checks import as_vector, check_level, check_positive, check_same_length
from trialmeta.errors import InputError
from trialmeta.plots._style import write_rows
from trialmeta.plots.revman_text import SubgroupTest
from trialmeta.stats.results import PooledResult

__all__ = [
    "ARM_FIELDS",
    "ForestStudy",
    "ForestGroup",
    "ForestData",
    "SubgroupTest",
    "forest_data",
    "write_forest_csv",
]

ARM_FIELDS: tuple[str, ...] = ("m1", "sd1", "n1", "m2", "sd2", "n2")
MEASURE_LABELS = {"MD": "Mean Difference", "SMD": "Std. Mean Difference"}


@dataclass(frozen=True)
class ForestStudy:
    """One study row. Arm statistics are NaN when absent; ``derived`` names converted ones."""

    label: str
    yi: float
    ci_lb: float
    ci_ub: float
    weight_percent: float
    m1: float = math.nan
    sd1: float = math.nan
    n1: float = math.nan
    m2: float = math.nan
    sd2: float = math.nan
    n2: float = math.nan
    derived: frozenset[str] = frozenset()
    rob: tuple[str, ...] = ()
    subgroup: str | None = None


@dataclass(frozen=True)
class ForestGroup:
    """A block of rows: ``label`` None for the single ungrouped block."""

    label: str | None
    studies: tuple[int, ...]
    result: PooledResult | None


@dataclass(frozen=True)
class ForestData:
    """Everything a RevMan-style forest plot shows, already computed."""

    studies: tuple[ForestStudy, ...]
    groups: tuple[ForestGroup, ...]
    overall: PooledResult | None
    subgroup_test: SubgroupTest | None
    level: float
    measure_label: str
    model_label: str
    intervention: str
    control: str
    favours_left: str
    favours_right: str
    mcid: tuple[float, ...] = ()
    rob_labels: tuple[str, ...] = ()
    xlim: tuple[float, float] | None = None
    stat_digits: int = 1
    effect_digits: int = 2

    @property
    def has_arm_stats(self) -> bool:
        return any(not math.isnan(getattr(s, f)) for s in self.studies for f in ARM_FIELDS)

    @property
    def has_rob(self) -> bool:
        return bool(self.rob_labels)

    @property
    def has_derived(self) -> bool:
        return any(s.derived for s in self.studies)


def _column(name: str, values: object, n: int) -> np.ndarray:
    arr = as_vector(name, values)
    if len(arr) != n:
        raise InputError(name, f"length {len(arr)}", f"length {n} (as labels)")
    return arr


def _rob_rows(rob: Sequence[object] | None, n: int) -> list[tuple[str, ...]]:
    if rob is None:
        return [()] * n
    if len(rob) != n:
        raise InputError("rob", f"length {len(rob)}", f"length {n} (as labels)")
    rows = []
    for r in rob:
        if r is None or isinstance(r, str):
            rows.append(("not_assessed" if r is None else r,))
        else:
            rows.append(tuple("not_assessed" if j is None else str(j) for j in r))
    return rows


def forest_data(
    labels: Sequence[str],
    yi: object,
    vi: object,
    *,
    overall: PooledResult | None = None,
    subgroups: Sequence[str] | None = None,
    subgroup_results: Mapping[str, PooledResult] | None = None,
    subgroup_test: SubgroupTest | None = None,
    arms: Mapping[str, object] | None = None,
    derived: Mapping[str, object] | None = None,
    rob: Sequence[object] | None = None,
    rob_labels: Sequence[str] = ("Overall",),
    weights_percent: object | None = None,
    level: float = 0.95,
    measure: str = "MD",
    intervention: str = "Acupuncture",
    control: str = "Control",
    favours: tuple[str, str] = ("Favours acupuncture", "Favours control"),
    mcid: Sequence[float] = (),
    xlim: tuple[float, float] | None = None,
) -> ForestData:
    """Assemble :class:`ForestData` from per-study arrays and fitted results.

    Parameters
    ----------
    labels, yi, vi
        Study labels, effects and sampling variances (input order).
    overall
        The model over all studies; its ``weights_percent`` give the weight column.
    subgroups
        Subgroup label per study; blocks appear in order of first appearance.
    subgroup_results
        Subgroup label -> model fitted to that subgroup's studies (in input
        order). A subgroup without an entry gets no subtotal row.
    subgroup_test
        Test for subgroup differences (printed in the footer).
    arms
        Optional arm statistics keyed by ``m1, sd1, n1, m2, sd2, n2`` (arm 1 is
        the intervention). ``derived`` maps the same keys to booleans marking
        values that came from a conversion (printed with a dagger).
    rob
        Per study: one judgement (``low``, ``some_concerns``, ``high``,
        ``no_information``, ``yes``/``no`` for PEDro, None = not assessed) or a
        tuple of judgements, one per entry of ``rob_labels``.
    weights_percent
        Overrides the weights taken from ``overall`` (or from the subgroup models).
    level
        Confidence level of the per-study intervals.
    measure
        ``MD`` or ``SMD``, used in the column headings.
    mcid
        Effect values where dashed MCID lines are drawn.
    xlim
        Axis limits; CIs beyond them end in arrows. Default: symmetric, covering all.

    Returns
    -------
    ForestData
    """
    labels = [str(s) for s in labels]
    n = len(labels)
    y = _column("yi", yi, n)
    v = _column("vi", vi, n)
    check_same_length(labels=np.zeros(n), yi=y, vi=v)
    check_positive("vi", v)
    level = check_level(level)
    if measure not in MEASURE_LABELS:
        raise InputError("measure", measure, "one of " + ", ".join(MEASURE_LABELS))
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    half = z * np.sqrt(v)

    groups_of = [None] * n if subgroups is None else [str(g) for g in subgroups]
    if len(groups_of) != n:
        raise InputError("subgroups", f"length {len(groups_of)}", f"length {n} (as labels)")
    order: list[str | None] = []
    for g in groups_of:
        if g not in order:
            order.append(g)
    results = dict(subgroup_results or {})

    weights = np.full(n, math.nan)
    if weights_percent is not None:
        weights = _column("weights_percent", weights_percent, n)
    elif overall is not None and len(overall.weights_percent) == n:
        weights = np.asarray(overall.weights_percent, dtype=float)
    else:
        for g in order:
            idx = [i for i in range(n) if groups_of[i] == g]
            res = results.get(g) if g is not None else None
            if res is not None and len(res.weights_percent) == len(idx):
                weights[idx] = res.weights_percent

    arm_values = {f: np.full(n, math.nan) for f in ARM_FIELDS}
    for key, values in (arms or {}).items():
        if key not in ARM_FIELDS:
            raise InputError("arms", key, "keys among " + ", ".join(ARM_FIELDS))
        arm_values[key] = _column(f"arms[{key}]", values, n)
    derived_sets: list[set[str]] = [set() for _ in range(n)]
    for key, flags in (derived or {}).items():
        if key not in ARM_FIELDS:
            raise InputError("derived", key, "keys among " + ", ".join(ARM_FIELDS))
        marks = np.asarray(flags, dtype=bool).reshape(-1)
        if len(marks) != n:
            raise InputError(f"derived[{key}]", f"length {len(marks)}", f"length {n}")
        for i in np.flatnonzero(marks):
            derived_sets[i].add(key)

    rob_rows = _rob_rows(rob, n)
    width = max((len(r) for r in rob_rows), default=0)
    if rob is not None and len(rob_labels) != width:
        raise InputError("rob_labels", tuple(rob_labels), f"{width} labels (one per judgement)")

    studies = tuple(
        ForestStudy(
            label=labels[i],
            yi=float(y[i]),
            ci_lb=float(y[i] - half[i]),
            ci_ub=float(y[i] + half[i]),
            weight_percent=float(weights[i]),
            **{f: float(arm_values[f][i]) for f in ARM_FIELDS},
            derived=frozenset(derived_sets[i]),
            rob=rob_rows[i],
            subgroup=groups_of[i],
        )
        for i in range(n)
    )
    groups = tuple(
        ForestGroup(
            label=g,
            studies=tuple(i for i in range(n) if groups_of[i] == g),
            result=results.get(g) if g is not None else None,
        )
        for g in order
    )
    ref = overall or next((r for r in results.values()), None)
    random = ref is None or ref.method != "FE"
    pct = f"{100 * level:g}%"
    model = f"IV, {'Random' if random else 'Fixed'}, {pct} CI"
    return ForestData(
        studies=studies,
        groups=groups,
        overall=overall,
        subgroup_test=subgroup_test,
        level=level,
        measure_label=MEASURE_LABELS[measure],
        model_label=model,
        intervention=intervention,
        control=control,
        favours_left=favours[0],
        favours_right=favours[1],
        mcid=tuple(float(m) for m in mcid),
        rob_labels=tuple(rob_labels) if rob is not None else (),
        xlim=None if xlim is None else (float(xlim[0]), float(xlim[1])),
    )


# --------------------------------------------------------------------------- CSV
_CSV_HEADER = (
    "row_type",
    "subgroup",
    "label",
    "estimate",
    "ci_lb",
    "ci_ub",
    "weight_percent",
    *ARM_FIELDS,
    "derived",
    "rob",
    "level",
)


def write_forest_csv(data: ForestData, path: str | Path) -> Path:
    """Write the numbers behind the forest plot: studies, subtotals, total, prediction interval."""
    rows: list[tuple[object, ...]] = []
    blank = (math.nan,) * len(ARM_FIELDS)
    for group in data.groups:
        for i in group.studies:
            s = data.studies[i]
            rows.append(
                (
                    "study",
                    s.subgroup,
                    s.label,
                    s.yi,
                    s.ci_lb,
                    s.ci_ub,
                    s.weight_percent,
                    *(getattr(s, f) for f in ARM_FIELDS),
                    ";".join(sorted(s.derived)),
                    ";".join(s.rob),
                    data.level,
                )
            )
        r = group.result
        if r is not None:
            w = sum(data.studies[i].weight_percent for i in group.studies)
            rows.append(
                (
                    "subtotal",
                    group.label,
                    "Subtotal",
                    r.estimate,
                    r.ci_lb,
                    r.ci_ub,
                    w,
                    *blank,
                    "",
                    "",
                    r.level,
                )
            )
    r = data.overall
    if r is not None:
        rows.append(
            ("total", None, "Total", r.estimate, r.ci_lb, r.ci_ub, 100.0, *blank, "", "", r.level)
        )
        if math.isfinite(r.pi_lb):
            rows.append(
                (
                    "prediction_interval",
                    None,
                    "Prediction interval",
                    r.estimate,
                    r.pi_lb,
                    r.pi_ub,
                    math.nan,
                    *blank,
                    "",
                    "",
                    r.level,
                )
            )
    return write_rows(path, _CSV_HEADER, rows)
