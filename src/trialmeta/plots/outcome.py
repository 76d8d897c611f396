"""Draw and save every figure of one outcome (forest, funnel, LOO, Baujat, TSA, GOSH).

Reads the typed :class:`~trialmeta.review.results.OutcomeResult` of
:func:`trialmeta.review.outcome.run_outcome` and hands its results to
:mod:`trialmeta.plots`; nothing is refitted. File names are
``<kind>__<analysis_id>.{png,svg,pdf,csv}`` so the report can find them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import cast

from matplotlib.figure import Figure

from trialmeta import plots
from trialmeta.data.vocabulary import Vocabulary
from trialmeta.effects.harmonise import HARMONISED_RANGE
from trialmeta.io.figure_files import FIGURE_KINDS, figure_files
from trialmeta.io.safe_csv import write_csv
from trialmeta.plots.forest_binary import RATIO_LABELS, binary_forest_kwargs
from trialmeta.plots.forest_data import MeasureKind, in_sentence
from trialmeta.plots.rob_domains import (
    domain_judgements,
    pick_scheme,
    result_cells,
    scheme_domains,
    study_domains,
)
from trialmeta.plots.tsa import draw_tsa
from trialmeta.report.figure_wording import FigureWording
from trialmeta.report.labels import LabelMap
from trialmeta.report.text import MEASURE_LABELS
from trialmeta.review.config import CitedValue, FiguresConfig
from trialmeta.review.results import (
    AnalysisResult,
    Baujat,
    EffectRow,
    GoshSummary,
    LeaveOneOut,
    OutcomeResult,
    SmallStudy,
    SubgroupResult,
)
from trialmeta.stats.results import PooledResult, TrimFillResult
from trialmeta.stats.tsa import TsaResult

__all__ = [
    "FIGURE_KINDS",
    "FigureWording",
    "derived_marks",
    "draw_outcome_figures",
    "figure_files",
    "row_flags",
    "split_marks",
]

TSA_CSV_COLUMNS: tuple[str, ...] = ("study", "year", "cumulative_n", "information_fraction",
                                    "estimate", "z", "boundary_z")  # fmt: skip
# The schema defaults of config figures: (for calls from outside the workflow)
DEFAULT_FILES = FiguresConfig(formats=("svg", "png"), png_dpi=150, diagnostics_min_k=5)
_ARM_KEYS = ("m1", "sd1", "n1", "m2", "sd2", "n2")


def _clause(text: str, arm: str) -> str:
    """The ``"<arm>: ..."`` clause of a derivation string (up to the next ``;``)."""
    key = f"{arm.lower()}:"
    for part in text.lower().split(";"):
        if part.strip().startswith(key):
            return part.strip()[len(key) :]
    return ""


def _flag(rec: Mapping[str, object], key: str) -> bool | None:
    """A boolean column of an effect row (None when the row has no such column)."""
    if key not in rec:
        return None
    value = rec[key]
    return value is True or str(value).strip().lower() in ("true", "1")


def derived_marks(rec: Mapping[str, object]) -> dict[str, bool]:
    """Which arm statistics of an effect row came from a conversion.

    The data layer's booleans (``m1_derived``, ``sd2_derived``, ...) when the row has
    them; else read from its ``derivation`` text (``"ACU: sd from 95% CI ..."``;
    ``"sd reported"`` is not derived; a mean from a median is). Rescaling to 0-100
    is not marked: it changes units, not information.
    """
    deriv = str(rec.get("derivation") or "")
    out: dict[str, bool] = {}
    for i, arm in ((1, str(rec.get("arm_id_1") or "")), (2, str(rec.get("arm_id_2") or ""))):
        clause = _clause(deriv, arm) if arm else ""
        for stat, from_text in (
            ("sd", bool(clause) and "sd reported" not in clause),
            ("m", "median" in clause or "mean from" in clause),
        ):
            typed = _flag(rec, f"{stat}{i}_derived")
            out[f"{stat}{i}"] = from_text if typed is None else typed
    return out


def split_marks(rec: Mapping[str, object]) -> dict[str, bool]:
    """Which arm's n is a shared arm split between comparisons (``n1_split`` /
    ``n2_split``, else the ``multiarm`` text)."""
    multi = str(rec.get("multiarm") or "").lower()
    arms = ((1, str(rec.get("arm_id_1") or "")), (2, str(rec.get("arm_id_2") or "")))
    out = {}
    for i, arm in arms:
        typed = _flag(rec, f"n{i}_split")
        out[f"n{i}"] = (bool(arm) and f"{arm.lower()} n " in multi) if typed is None else typed
    return out


ROW_FOOTNOTES: dict[str, str] = {
    "scale_inferred": "Scale range not stated in the source but inferred (INFERENCE in the "
    "data); a wrong range would rescale this row.",
    "flag_sd_floor": "Data-quality flag: an SD implausibly small for its scale (often a "
    "standard error reported as an SD; Cochrane Handbook 6.5.2.2).",
    "flag_sd_ratio": "Data-quality flag: an SD far below the other trials' median SD on "
    "this outcome.",
    "flag_identical_arms": "Data-quality flag: both arms report the same mean and SD (a "
    "copying error is likely).",
    "secondary_extraction": "Numbers entered by other reviewers (secondary extraction), "
    "not read from the trial report.",
    "arms_combined": "Two or more acupuncture arms combined into one group (Cochrane "
    "Handbook 23.3.4).",
    "timepoint_fallback": "The trial's end of treatment could not be matched; the timepoint "
    "nearest the window target was used.",
}
_TYPED_ROW_FLAGS = ("scale_inferred", "flag_sd_floor", "flag_sd_ratio", "flag_identical_arms",
                    "arms_combined", "timepoint_fallback")  # fmt: skip


def row_flags(rec: Mapping[str, object]) -> tuple[str, ...]:
    """Footnote keys for what an effect row records: its data-quality flags, an inferred
    scale range, combined arms, a fallback timepoint, other reviewers' numbers."""
    keys = [k for k in _TYPED_ROW_FLAGS if _flag(rec, k)]
    if "scale_inferred" not in rec and "(inferred)" in str(rec.get("derivation") or ""):
        keys.insert(0, "scale_inferred")
    secondary = _flag(rec, "flag_secondary_extraction")
    if secondary or (secondary is None and rec.get("verification") == "secondary_extraction"):
        keys.append("secondary_extraction")
    return tuple(keys)


def _save(fig: Figure, stem: Path, files: FiguresConfig) -> None:
    plots.save_figure(fig, stem, files.formats, files.png_dpi)


def _rob_columns(
    eff: Sequence[Mapping[str, object]],
    rob_rows: Sequence[Mapping[str, str]],
    names: LabelMap,
    vocabulary: Vocabulary | None,
) -> dict[str, object]:
    """Per-domain risk-of-bias columns of one plot: RoB 1 A-G when every assessment is
    RoB 1; else each row's RoB 2 domains and Overall as GRADE judges that result (its
    comparison tells participants their allocation unless the control is one of the
    vocabulary's shams; the vocabulary says which outcomes are self-reported; without a
    vocabulary, the domains as assessed)."""
    if not rob_rows:
        return {}
    scheme = pick_scheme(str(r.get("tool", "")) for r in rob_rows)
    domains = scheme_domains(scheme)
    blank = ("not_assessed",) * len(domains)
    if scheme == "rob1":
        found = domain_judgements(rob_rows, scheme)
        return {"rob": [found[str(r["study_id"])].cells if str(r["study_id"]) in found
                        else blank for r in eff], "rob_labels": domains}  # fmt: skip
    studies = study_domains(rob_rows)
    shams = vocabulary.sham_control_types if vocabulary is not None else ()
    cells = [result_cells(studies.get(str(r["study_id"])),
                          self_reported=vocabulary is not None
                          and vocabulary.is_self_reported(r.get("outcome")),
                          participants_aware=str(r.get("control_type")) not in shams)
             for r in eff]  # fmt: skip
    mapped = sorted({names.study(str(r["study_id"])) for r in eff
                     if (sd := studies.get(str(r["study_id"]))) and sd.tool != "RoB2"})  # fmt: skip
    kw: dict[str, object] = {"rob": cells, "rob_labels": domains}
    if mapped:
        kw["rob_note"] = ("RoB 1 and PEDro assessments shown on the RoB 2 domains; D4 and "
                          "Overall for self-reported outcomes as GRADE judges them: "
                          + ", ".join(mapped) + ".")  # fmt: skip
    return kw


def _subgroup_kwargs(
    effects: tuple[EffectRow, ...], sg: SubgroupResult, labels: LabelMap
) -> dict[str, object]:
    # members of a comparison across comparator types are named by their comparison label
    name = labels.comparison if sg.variable == "member" else labels.code
    return {
        "subgroups": [name(r.level(sg.variable) or "not reported") for r in effects],
        "subgroup_results": {name(lev or "not reported"): f.analysis.pooled
                             for lev, f in zip(sg.levels, sg.fits, strict=True)
                             if f.analysis.pooled is not None},
        "subgroup_test": sg.difference,
    }  # fmt: skip


def _mcid_kwargs(mcid: CitedValue) -> dict[str, object]:
    value = math.nan if mcid.value is None else float(mcid.value)
    if not math.isfinite(value):
        return {}
    cite = mcid.citation.split(";")[0].strip()
    return {"mcid": (-value, value),
            "mcid_note": (f"Dashed lines at \u2212{value:g} and {value:g}: minimal clinically "
                          f"important difference" + (f" ({cite})." if cite else "."))}  # fmt: skip


def _forest(
    a: AnalysisResult,
    outdir: Path,
    mcid: CitedValue,
    w: FigureWording,
    labels: LabelMap,
    rob_rows: Sequence[Mapping[str, str]],
    vocabulary: Vocabulary | None,
    files: FiguresConfig,
) -> None:
    eff, aid = a.effects, a.analysis_id
    recs = [r.record() for r in eff]
    sg = a.subgroups[0] if a.subgroups else None
    kw: dict[str, object] = {}
    if sg is not None:
        kw.update(_subgroup_kwargs(eff, sg, labels))
    if a.analysis.pooled is not None and (sg is None or sg.variable != "control_type"):
        kw["overall"] = a.analysis.pooled  # None for comparator types side by side
    if sg is None:
        kw["weights_percent"] = [r.weight_percent for r in eff]
    if all(k in eff[0].values for k in _ARM_KEYS) and w.measure not in RATIO_LABELS:
        kw["arms"] = {k: [r.number(k) for r in eff] for k in _ARM_KEYS}
        marks, splits = [derived_marks(r) for r in recs], [split_marks(r) for r in recs]
        kw["derived"] = {k: [m[k] for m in marks] for k in marks[0]}
        kw["n_split"] = {k: [m[k] for m in splits] for k in splits[0]}
    kw.update(_rob_columns(recs, rob_rows, labels, vocabulary))
    measure = w.measure
    if measure in RATIO_LABELS:  # Events/Total, the log axis, the M-H estimate
        kw.update(binary_forest_kwargs(a.analysis.binary, eff, a.analysis.pooled))
        if all(str(r.get("higher_is_worse")).lower() == "false" for r in eff):  # beneficial
            kw["favours"] = ("Favours control", f"Favours {in_sentence(w.intervention)}")
    else:
        kw.update(_mcid_kwargs(mcid))
    span = HARMONISED_RANGE[1] - HARMONISED_RANGE[0]
    data = plots.forest_data(
        [labels.comparison_row(r.study_id, str(r.get("arm_id_1") or ""),
                               str(r.get("arm_id_2") or "")) for r in eff],
        [r.yi for r in eff], [r.vi for r in eff], measure=measure,
        intervention=w.intervention, control=labels.control(a.analysis.comparison),
        study_ids=[r.study_id for r in eff],
        measures=[cast(MeasureKind, r.get("measure"))
                  if r.get("measure") in ("final", "change") else None for r in eff],
        notes=[row_flags(r) for r in recs], footnotes=ROW_FOOTNOTES,
        scale_span=span if measure == "MD" else None, **kw,  # type: ignore[arg-type]
    )  # fmt: skip
    _save(plots.forest_plot(data), outdir / f"forest__{aid}", files)
    plots.write_forest_csv(data, outdir / f"forest__{aid}.csv")


def _diagnostics(
    a: AnalysisResult,
    fit: PooledResult,
    out: Path,
    x_label: str,
    labels: list[str],
    files: FiguresConfig,
) -> None:
    aid = a.analysis_id
    informs = len(a.effects) >= files.diagnostics_min_k
    y, v = [r.yi for r in a.effects], [r.vi for r in a.effects]
    if isinstance(a.small_study, SmallStudy):
        tf = a.small_study.trimfill
        fd = plots.funnel_data(labels, y, v, fit, trimfill=tf if isinstance(tf, TrimFillResult)
                               else None, x_label=x_label)  # fmt: skip
        _save(plots.funnel_plot(fd), out / f"funnel__{aid}", files)
        plots.write_funnel_csv(fd, out / f"funnel__{aid}.csv")
    if isinstance(a.loo, LeaveOneOut) and informs:
        loo = a.loo.result
        _save(plots.leave_one_out_plot(labels, loo, fit, x_label), out / f"loo__{aid}", files)
        plots.write_leave_one_out_csv(labels, loo, fit, out / f"loo__{aid}.csv")
    if isinstance(a.baujat, Baujat) and informs:
        _save(plots.baujat_plot(labels, a.baujat.result), out / f"baujat__{aid}", files)
        plots.write_baujat_csv(labels, a.baujat.result, out / f"baujat__{aid}.csv")


def _sequential(
    a: AnalysisResult,
    out: Path,
    x_label: str,
    names: LabelMap,
    row_names: Mapping[str, str],
    files: FiguresConfig,
) -> None:
    aid = a.analysis_id
    if isinstance(a.tsa, TsaResult):
        t = a.tsa
        shown = replace(t, study=tuple(row_names.get(str(x), names.study(str(x)))
                                       for x in t.study))  # fmt: skip
        _save(draw_tsa(shown), out / f"tsa__{aid}", files)
        looks = [dict(zip(TSA_CSV_COLUMNS, vals, strict=True)) for vals in zip(
            t.study, t.year, t.cumulative_n, t.information_fraction, t.estimate, t.z,
            t.boundary_z, strict=True)]  # fmt: skip
        write_csv(out / f"tsa__{aid}.csv", looks, TSA_CSV_COLUMNS)
    if isinstance(a.gosh, GoshSummary) and len(a.effects) >= files.diagnostics_min_k:
        gd = plots.gosh_data(a.gosh, names.analysis(aid), x_label)
        gd = replace(gd, labels=tuple(row_names.get(x, x) for x in gd.labels),
                     drivers=tuple(row_names.get(x, x) for x in gd.drivers))  # fmt: skip
        _save(plots.gosh_plot(gd), out / f"gosh__{aid}", files)
        plots.write_gosh_csv(gd, out / f"gosh__{aid}.csv")


def draw_outcome_figures(
    result: OutcomeResult,
    outdir: str | Path,
    wording: FigureWording,
    labels: LabelMap | None = None,
    rob_rows: Sequence[Mapping[str, str]] = (),
    vocabulary: Vocabulary | None = None,
    files: FiguresConfig = DEFAULT_FILES,
) -> list[Path]:
    """Write every figure of ``result`` into ``outdir``; return its PNGs (SVGs when no PNG
    is written), sorted.

    ``wording`` names the measure and the intervention (the config's
    ``intervention_label``); ``vocabulary`` (the review's) says which outcomes are
    self-reported and which controls are shams, for the risk-of-bias columns.

    Forest plots for every analysis with k >= 1 (the comparison with subgroups
    is split by its first subgroup variable); funnel plots only where the
    small-study tests ran (k >= 10); leave-one-out, Baujat and GOSH plots where they
    ran and k >= ``files.diagnostics_min_k``; the trial sequential analysis where it ran.
    Each figure is written in ``files.formats`` (PNG at ``files.png_dpi``), with its data
    as CSV. ``labels`` give
    the human text of codes, studies and arms (:mod:`trialmeta.report.labels`).
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    names = labels or LabelMap()
    wording = replace(wording, measure=result.outcome.measure or wording.measure)
    x_label = MEASURE_LABELS[wording.measure].axis
    for a in result.analyses:
        if not a.effects:
            continue
        _forest(a, out, result.outcome.mcid, wording, names, rob_rows, vocabulary, files)
        if a.analysis.pooled is None:
            continue
        row_names = {r.row_id: names.comparison_row(r.study_id, str(r.get("arm_id_1") or ""),
                                                     str(r.get("arm_id_2") or ""))
                     for r in a.effects}  # fmt: skip
        _diagnostics(
            a, a.analysis.pooled, out, x_label, [row_names[r.row_id] for r in a.effects], files
        )
        _sequential(a, out, x_label, names, row_names, files)
    return sorted(out.glob("*.png" if "png" in files.formats else "*.svg"))
