"""What a forest plot shows: the typed contract between the review and the drawing.

The builder :func:`forest_data` computes every number the drawing needs
(per-study confidence intervals, weights, subgroup membership, single-study
subtotals), so :func:`trialmeta.plots.forest_plot` only places marks and text.
Per-study intervals follow RevMan 5: ``yi ± z_{1-α/2} · sqrt(vi)`` (Cochrane
Handbook v6.5, section 10.3); a subgroup of one study shows that study's
estimate, interval and ``Z = yi / sqrt(vi)``, as RevMan does.

Labels are human text, prepared by the caller (:mod:`trialmeta.report.labels`);
nothing here decodes identifiers. Footnotes are keyed by meaning: the footer
gives each key one symbol, so a symbol never carries two meanings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from trialmeta import _dist
from trialmeta._checks import as_vector, check_level, check_positive, check_same_length
from trialmeta.errors import InputError
from trialmeta.plots.forest_binary import BINARY_ARM_FIELDS, RATIO_LABELS
from trialmeta.plots.revman_text import (
    SubgroupTest,
    format_p,
    heterogeneity_text,
    overall_effect_text,
)
from trialmeta.plots.rob_domains import CELL_VALUES, Domain
from trialmeta.stats.results import PooledResult

__all__ = [
    "ARM_FIELDS",
    "BUILTIN_NOTES",
    "Footnote",
    "ForestData",
    "ForestGroup",
    "ForestStudy",
    "MeasureKind",
    "SubgroupTest",
    "forest_data",
    "in_sentence",
]

ARM_FIELDS: tuple[str, ...] = ("m1", "sd1", "n1", "m2", "sd2", "n2")
MEASURE_LABELS = {"MD": "Mean Difference", "SMD": "Std. Mean Difference", **RATIO_LABELS}
MeasureKind = Literal["final", "change"]

# Footnotes the plot attaches itself; callers add their own (e.g. data-quality flags).
BUILTIN_NOTES: dict[str, str] = {
    "derived": "Value derived by conversion (SD from SE or CI, mean from median); "
    "see the effect-size table.",
    "n_split": "Shared arm: its participants are split between this trial's comparisons, "
    "so none is counted twice (Cochrane Handbook 23.3.4).",
    "change": "Change from baseline; unmarked rows are final values (MDs of both may be "
    "combined, Cochrane Handbook 10.5.2).",
}


@dataclass(frozen=True)
class Footnote:
    """A footnote's meaning (``key``) and its sentence."""

    key: str
    text: str


@dataclass(frozen=True)
class ForestStudy:
    """One study row. Arm statistics are NaN when absent.

    ``derived`` / ``n_split`` name arm fields (``sd1``, ``n2``, ...) that came
    from a conversion or from splitting a shared arm; ``notes`` are footnote keys
    for the whole row (flags); ``rob`` holds one judgement per plot domain.
    """

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
    se: float = math.nan
    study_id: str = ""
    measure: MeasureKind | None = None
    n_split: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()
    events1: float = math.nan
    events2: float = math.nan

    def cell_notes(self, field: str) -> tuple[str, ...]:
        """Footnote keys attached to one arm cell."""
        return tuple(k for k, s in (("derived", self.derived), ("n_split", self.n_split))
                     if field in s)  # fmt: skip

    def row_notes(self) -> tuple[str, ...]:
        """Footnote keys attached to the study label (change score first, then flags)."""
        return (("change",) if self.measure == "change" else ()) + self.notes


@dataclass(frozen=True)
class ForestGroup:
    """A block of rows (``label`` None for the single ungrouped block) and its subtotal.

    ``subtotal`` is ``(estimate, ci_lb, ci_ub)`` of the subgroup model, or of the
    study itself for a one-study subgroup; ``subtotal_lines`` are the
    heterogeneity and overall-effect lines printed under it.
    """

    label: str | None
    studies: tuple[int, ...]
    result: PooledResult | None
    subtotal: tuple[float, float, float] | None = None
    subtotal_lines: tuple[str, ...] = ()


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
    rob_domains: tuple[Domain, ...] = ()
    rob_note: str = ""
    footnotes: tuple[Footnote, ...] = ()
    mcid_note: str = ""
    scale_span: float | None = None
    log_scale: bool = False
    model_note: str = ""

    @property
    def arm_fields(self) -> tuple[str, ...]:
        """The arm columns: Events/Total of a binary outcome, else Mean/SD/Total."""
        binary = any(math.isfinite(s.events1) for s in self.studies)
        return BINARY_ARM_FIELDS if binary else ARM_FIELDS

    @property
    def has_arm_stats(self) -> bool:
        return any(not math.isnan(getattr(s, f)) for s in self.studies for f in self.arm_fields)

    @property
    def has_rob(self) -> bool:
        return bool(self.rob_labels)

    @property
    def has_derived(self) -> bool:
        return any(s.derived for s in self.studies)

    @property
    def grouped(self) -> bool:
        return any(g.label is not None for g in self.groups)

    def note_text(self, key: str) -> str:
        """The sentence of a footnote key (built-in or caller's)."""
        for f in self.footnotes:
            if f.key == key:
                return f.text
        return BUILTIN_NOTES[key]


def _column(name: str, values: object, n: int) -> np.ndarray:
    arr = as_vector(name, values)
    if len(arr) != n:
        raise InputError(name, f"length {len(arr)}", f"length {n} (as labels)")
    return arr


def _normalise_judgement(value: object) -> str:
    key = "not_assessed" if value is None else str(value).strip().lower().replace(" ", "_")
    key = {"yes": "low", "no": "high", "no_information": "unclear", "": "not_assessed"}.get(
        key, key
    )
    if key not in CELL_VALUES:
        raise InputError("rob", value, "one of " + ", ".join(CELL_VALUES) + " or None")
    return key


def _rob_rows(rob: Sequence[object] | None, n: int) -> list[tuple[str, ...]]:
    if rob is None:
        return [()] * n
    if len(rob) != n:
        raise InputError("rob", f"length {len(rob)}", f"length {n} (as labels)")
    rows = []
    for r in rob:
        cells = (r,) if r is None or isinstance(r, str) else tuple(r)  # type: ignore[arg-type]
        rows.append(tuple(_normalise_judgement(j) for j in cells))
    return rows


def _flag_sets(name: str, marks: Mapping[str, object] | None, n: int) -> list[set[str]]:
    sets: list[set[str]] = [set() for _ in range(n)]
    for key, flags in (marks or {}).items():
        if key not in ARM_FIELDS:
            raise InputError(name, key, "keys among " + ", ".join(ARM_FIELDS))
        arr = np.asarray(flags, dtype=bool).reshape(-1)
        if len(arr) != n:
            raise InputError(f"{name}[{key}]", f"length {len(arr)}", f"length {n}")
        for i in np.flatnonzero(arr):
            sets[i].add(key)
    return sets


def _single_study_lines(yi: float, se: float) -> tuple[str, ...]:
    """RevMan's lines under a one-study subtotal: no heterogeneity; Z = yi / se."""
    z = yi / se
    p = float(2.0 * _dist.norm_sf(abs(z)))
    return ("Heterogeneity: Not applicable",
            f"Test for overall effect: Z = {abs(z):.2f} ({format_p(p)})")  # fmt: skip


def _group(label: str | None, idx: tuple[int, ...], res: PooledResult | None,
           studies: Sequence[ForestStudy]) -> ForestGroup:  # fmt: skip
    fitted = res is not None and all(map(math.isfinite, (res.estimate, res.ci_lb, res.ci_ub)))
    if fitted and res is not None:
        lines = (heterogeneity_text(res), overall_effect_text(res))
        return ForestGroup(label, idx, res, (res.estimate, res.ci_lb, res.ci_ub), lines)
    if len(idx) == 1 and label is not None:
        s = studies[idx[0]]
        return ForestGroup(label, idx, res, (s.yi, s.ci_lb, s.ci_ub),
                           _single_study_lines(s.yi, s.se))  # fmt: skip
    return ForestGroup(label, idx, res)


def _weights(
    n: int,
    weights_percent: object | None,
    overall: PooledResult | None,
    groups_of: list[str | None],
    results: Mapping[str, PooledResult],
) -> np.ndarray:
    if weights_percent is not None:
        return _column("weights_percent", weights_percent, n)
    if overall is not None and len(overall.weights_percent) == n:
        return np.asarray(overall.weights_percent, dtype=float)
    weights = np.full(n, math.nan)
    for g in dict.fromkeys(groups_of):
        idx = [i for i in range(n) if groups_of[i] == g]
        res = results.get(g) if g is not None else None
        if res is not None and len(res.weights_percent) == len(idx):
            weights[idx] = res.weights_percent
    return weights


def _check_notes(notes: Sequence[Sequence[str]] | None, footnotes: Mapping[str, str],
                 n: int) -> list[tuple[str, ...]]:  # fmt: skip
    if notes is None:
        return [()] * n
    if len(notes) != n:
        raise InputError("notes", f"length {len(notes)}", f"length {n} (as labels)")
    rows = [tuple(str(k) for k in row) for row in notes]
    for row in rows:
        for key in row:
            if key not in footnotes and key not in BUILTIN_NOTES:
                raise InputError("notes", key, "a key of footnotes")
    return rows


def in_sentence(label: str) -> str:
    """A label inside a sentence: lower case, but an initialism keeps its capitals
    (``Acupuncture`` → ``acupuncture``, ``P6 stimulation`` stays).

    >>> in_sentence("Acupuncture"), in_sentence("P6 stimulation"), in_sentence("TENS")
    ('acupuncture', 'P6 stimulation', 'TENS')
    """
    first = label.split(" ")[0]
    return label if first[1:] and not first[1:].islower() else label.lower()


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
    n_split: Mapping[str, object] | None = None,
    measures: Sequence[MeasureKind | None] | None = None,
    notes: Sequence[Sequence[str]] | None = None,
    footnotes: Mapping[str, str] | None = None,
    rob: Sequence[object] | None = None,
    rob_labels: Sequence[str] | Sequence[Domain] = ("Overall",),
    rob_note: str = "",
    weights_percent: object | None = None,
    study_ids: Sequence[str] | None = None,
    level: float = 0.95,
    measure: str = "MD",
    intervention: str = "Intervention",
    control: str = "Control",
    favours: tuple[str, str] | None = None,
    mcid: Sequence[float] = (),
    mcid_note: str = "",
    xlim: tuple[float, float] | None = None,
    axis_limit: float | None = None,
    scale_span: float | None = None,
    model_note: str = "",
) -> ForestData:
    """Assemble :class:`ForestData` from per-study arrays and fitted results.

    Parameters
    ----------
    labels, yi, vi
        Human study labels ("Author Year (arm vs arm)"), effects and sampling variances.
    overall
        The model over all studies; its ``weights_percent`` give the weight column.
        None draws subtotals only (RevMan "Totals not selected"), as for subgroups
        that are different comparisons.
    subgroups, subgroup_results, subgroup_test
        Human subgroup label per study (blocks in order of first appearance), the
        model of each subgroup, and the test for subgroup differences.
    arms, derived, n_split
        Arm statistics keyed ``m1, sd1, n1, m2, sd2, n2`` (arm 1 = intervention), or for a
        binary outcome ``events1, n1, events2, n2`` (Events/Total columns);
        ``derived`` and ``n_split`` map the same keys to booleans per study.
    measures
        ``"final"`` or ``"change"`` per study; change rows get their footnote.
    notes, footnotes
        Footnote keys per study (e.g. data-quality flags) and key -> sentence.
    rob, rob_labels, rob_note
        Per study one judgement per domain (``low``, ``some_concerns``, ``unclear``,
        ``high``; PEDro ``yes``/``no``; None = not assessed); the domains
        (:class:`~trialmeta.plots.rob_domains.Domain` or plain codes); a key line
        (e.g. how PEDro items were mapped).
    intervention, control
        Column headings of the two arms (the config's ``intervention_label``, the control).
    favours
        Labels under the left and right half of the axis; default
        ``("Favours <intervention, lower case>", "Favours control")``.
    mcid, mcid_note
        Effect values of dashed MCID lines, and the footer sentence explaining them.
    xlim, axis_limit, scale_span
        Axis limits; or a symmetric half-width; or the span of the outcome scale
        (e.g. 100), which caps the default symmetric axis. CIs beyond end in arrows.
    measure
        ``MD``, ``SMD``, or ``RR``/``OR`` (``yi`` are logs: a log axis labelled in
        ratios, effects printed as ratios) or ``RD``.
    model_note
        A footer sentence on the model (e.g. the Mantel-Haenszel estimate beside it).
    """
    labels = [str(s) for s in labels]
    n = len(labels)
    y, v = _column("yi", yi, n), _column("vi", vi, n)
    check_same_length(labels=np.zeros(n), yi=y, vi=v)
    check_positive("vi", v)
    level = check_level(level)
    if measure not in MEASURE_LABELS:
        raise InputError("measure", measure, "one of " + ", ".join(MEASURE_LABELS))
    if axis_limit is not None and not (math.isfinite(axis_limit) and axis_limit > 0):
        raise InputError("axis_limit", axis_limit, "a number > 0")
    half = float(_dist.norm_ppf(0.5 + level / 2.0)) * np.sqrt(v)
    groups_of: list[str | None] = [None] * n if subgroups is None else [str(g) for g in subgroups]
    if len(groups_of) != n:
        raise InputError("subgroups", f"length {len(groups_of)}", f"length {n} (as labels)")
    results = dict(subgroup_results or {})
    weights = _weights(n, weights_percent, overall, groups_of, results)
    fields = (*ARM_FIELDS, "events1", "events2")
    arm_values = {f: np.full(n, math.nan) for f in fields}
    for key, values in (arms or {}).items():
        if key not in fields:
            raise InputError("arms", key, "keys among " + ", ".join(fields))
        arm_values[key] = _column(f"arms[{key}]", values, n)
    derived_sets, split_sets = _flag_sets("derived", derived, n), _flag_sets("n_split", n_split, n)
    kinds = list(measures) if measures is not None else [None] * n
    if len(kinds) != n or any(k not in (None, "final", "change") for k in kinds):
        raise InputError("measures", measures, f"{n} of 'final', 'change' or None")
    notes_rows = _check_notes(notes, footnotes or {}, n)
    domains = tuple(d if isinstance(d, Domain) else Domain(str(d), str(d)) for d in rob_labels)
    rob_rows = _rob_rows(rob, n)
    width = max((len(r) for r in rob_rows), default=0)
    if rob is not None and len(domains) != width:
        raise InputError("rob_labels", tuple(rob_labels), f"{width} labels (one per judgement)")
    ids = [str(s) for s in study_ids] if study_ids is not None else [""] * n
    studies = tuple(
        ForestStudy(
            label=labels[i], yi=float(y[i]), ci_lb=float(y[i] - half[i]),
            ci_ub=float(y[i] + half[i]), weight_percent=float(weights[i]),
            **{f: float(arm_values[f][i]) for f in fields},
            derived=frozenset(derived_sets[i]), rob=rob_rows[i], subgroup=groups_of[i],
            se=float(math.sqrt(v[i])), study_id=ids[i], measure=kinds[i],
            n_split=frozenset(split_sets[i]), notes=notes_rows[i],
        )
        for i in range(n)
    )  # fmt: skip
    groups = tuple(
        _group(g, tuple(i for i in range(n) if groups_of[i] == g),
               results.get(g) if g is not None else None, studies)
        for g in dict.fromkeys(groups_of)
    )  # fmt: skip
    ref = overall or next(iter(results.values()), None)
    random = ref is None or ref.method != "FE"
    model = f"IV, {'Random' if random else 'Fixed'}, {100 * level:g}% CI"
    log_scale = measure in ("RR", "OR")
    if axis_limit is not None:
        xlim = (-float(axis_limit), float(axis_limit))
    left, right = favours or (f"Favours {in_sentence(intervention)}", "Favours control")
    return ForestData(
        studies=studies, groups=groups, overall=overall, subgroup_test=subgroup_test,
        level=level, measure_label=MEASURE_LABELS[measure], model_label=model,
        intervention=intervention, control=control, favours_left=left,
        favours_right=right, mcid=tuple(float(m) for m in mcid),
        rob_labels=tuple(d.code for d in domains) if rob is not None else (),
        xlim=None if xlim is None else (float(xlim[0]), float(xlim[1])),
        rob_domains=domains if rob is not None else (), rob_note=rob_note,
        footnotes=tuple(Footnote(k, t) for k, t in (footnotes or {}).items()),
        mcid_note=mcid_note, scale_span=scale_span, log_scale=log_scale,
        model_note=model_note,
    )  # fmt: skip
