"""Draw and save every figure of one outcome bundle (forest, funnel, LOO, Baujat, TSA, GOSH).

Reads the stored results of :func:`trialmeta.review.run_outcome` (rebuilding the
frozen result objects from their JSON form) and hands them to
:mod:`trialmeta.plots`; nothing is refitted. File names are
``<kind>__<analysis_id>.{png,svg,pdf,csv}`` so the report can find them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from trialmeta import plots
from trialmeta.data.vocabulary import Vocabulary
from trialmeta.io.safe_csv import write_csv
from trialmeta.plots.rob_domains import (
    domain_judgements,
    pick_scheme,
    result_cells,
    scheme_domains,
    study_domains,
)
from trialmeta.plots.tsa import draw_tsa
from trialmeta.report.labels import LabelMap
from trialmeta.stats.influence import BaujatResult
from trialmeta.stats.results import LeaveOneOutResult, PooledResult, TrimFillResult
from trialmeta.stats.tsa import TsaResult

__all__ = [
    "FIGURE_KINDS",
    "derived_marks",
    "draw_outcome_figures",
    "result_from_dict",
    "row_flags",
    "split_marks",
]

FIGURE_KINDS: tuple[str, ...] = ("forest", "funnel", "loo", "baujat", "tsa", "gosh")
TSA_CSV_COLUMNS: tuple[str, ...] = ("study", "year", "cumulative_n", "information_fraction",
                                    "estimate", "z", "boundary_z")  # fmt: skip
_ARM_KEYS = ("m1", "sd1", "n1", "m2", "sd2", "n2")


def _val(v: object, tuple_field: bool) -> object:
    if tuple_field:
        return tuple(v or ())  # type: ignore[arg-type]
    if isinstance(v, list):
        return np.array([math.nan if x is None else x for x in v], dtype=float)
    return math.nan if v is None else v


def result_from_dict(cls: type, d: Mapping[str, object]) -> object:
    """Rebuild a frozen result dataclass from its ``to_dict`` form (None → NaN)."""
    out = {}
    for f in fields(cls):
        if f.name in d:
            tuple_field = str(f.type).startswith("tuple")
            out[f.name] = _val(d[f.name], tuple_field)
    return cls(**out)


def _num(x: object) -> float:
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return f


def _clause(text: str, arm: str) -> str:
    """The ``"<arm>: ..."`` clause of a derivation string (up to the next ``;``)."""
    key = f"{arm.lower()}:"
    for part in text.lower().split(";"):
        if part.strip().startswith(key):
            return part.strip()[len(key):]
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
        for stat, from_text in (("sd", bool(clause) and "sd reported" not in clause),
                                ("m", "median" in clause or "mean from" in clause)):
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


def _save(fig, stem: Path) -> None:
    plots.save_figure(fig, stem)
    plt.close(fig)


def _rob_columns(eff, rob_rows, names: LabelMap,
                 vocabulary: Vocabulary | None) -> dict[str, object]:  # fmt: skip
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


def _forest(entry, outdir: Path, mcid: Mapping[str, object], measure: str,
            variable: str | None, labels: LabelMap, rob_rows,
            intervention: str, vocabulary: Vocabulary | None) -> None:  # fmt: skip
    a, eff = entry["analysis"], entry["effects"]
    aid = a["analysis_id"]
    kw: dict[str, object] = {}
    overall = a.get("pooled")
    sg = next((s for s in entry.get("subgroups", []) if s["variable"] == variable), None)
    if sg is not None:
        kw["subgroups"] = [labels.code(r.get(variable) or "not reported") for r in eff]
        kw["subgroup_results"] = {
            labels.code(f["analysis"]["subgroup"].split("=", 1)[1]): result_from_dict(
                PooledResult, f["analysis"]["pooled"])
            for f in sg["fits"] if f["analysis"].get("pooled")
        }  # fmt: skip
        kw["subgroup_test"] = _Diff(sg["difference"])
    if overall and variable != "control_type":  # different comparators: subtotals only
        kw["overall"] = result_from_dict(PooledResult, overall)
    if sg is None:
        kw["weights_percent"] = [_num(r.get("weight_percent")) for r in eff]
    if all(k in eff[0] for k in _ARM_KEYS):
        kw["arms"] = {k: [_num(r.get(k)) for r in eff] for k in _ARM_KEYS}
        marks, splits = [derived_marks(r) for r in eff], [split_marks(r) for r in eff]
        kw["derived"] = {k: [m[k] for m in marks] for k in marks[0]}
        kw["n_split"] = {k: [m[k] for m in splits] for k in splits[0]}
    kw.update(_rob_columns(eff, rob_rows, labels, vocabulary))
    value = _num(mcid.get("value"))
    if math.isfinite(value):
        cite = str(mcid.get("citation") or "").split(";")[0].strip()
        kw["mcid"] = (-value, value)
        kw["mcid_note"] = (f"Dashed lines at \u2212{value:g} and {value:g}: minimal clinically "
                           f"important difference" + (f" ({cite})." if cite else "."))  # fmt: skip
    data = plots.forest_data(
        [labels.comparison_row(str(r["study_id"]), str(r.get("arm_id_1") or ""),
                               str(r.get("arm_id_2") or "")) for r in eff],
        [_num(r["yi"]) for r in eff], [_num(r["vi"]) for r in eff], measure=measure,
        intervention=intervention, control=labels.control(str(a["comparison"])),
        study_ids=[str(r["study_id"]) for r in eff],
        measures=[r.get("measure") if r.get("measure") in ("final", "change") else None
                  for r in eff],
        notes=[row_flags(r) for r in eff], footnotes=ROW_FOOTNOTES,
        scale_span=100.0 if measure == "MD" else None, **kw,
    )  # fmt: skip
    _save(plots.forest_plot(data), outdir / f"forest__{aid}")
    plots.write_forest_csv(data, outdir / f"forest__{aid}.csv")


class _Diff:
    """Attribute view of a stored subgroup-difference dict (q, df, pval)."""

    def __init__(self, d: Mapping[str, object]):
        self.q, self.df, self.pval = _num(d["q"]), int(d["df"]), _num(d["pval"])  # type: ignore[arg-type]


def draw_outcome_figures(bundle: Mapping[str, object], outdir: str | Path,
                         measure: str = "MD", labels: LabelMap | None = None,
                         rob_rows: Sequence[Mapping[str, str]] = (),
                         intervention: str = "Intervention",
                         vocabulary: Vocabulary | None = None) -> list[Path]:  # fmt: skip
    """Write every figure of ``bundle`` into ``outdir``; return the PNG paths, sorted.

    ``intervention`` names the intervention arm in the forest plots (the config's
    ``intervention_label``); ``vocabulary`` (the review's) says which outcomes are
    self-reported and which controls are shams, for the risk-of-bias columns.

    Forest plots for every analysis with k >= 1 (the comparison with subgroups
    is split by its first subgroup variable); funnel plots only where the
    small-study tests ran (k >= 10); leave-one-out and Baujat plots where k >= 3;
    the trial sequential analysis and the GOSH plot where they ran.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    mcid = bundle["outcome"]["mcid"]  # type: ignore[index]
    names = labels or LabelMap()
    x_label = "Mean difference" if measure == "MD" else "Std. mean difference"
    for entry in bundle["analyses"]:  # type: ignore[union-attr]
        a, eff = entry["analysis"], entry["effects"]
        aid = a["analysis_id"]
        if not eff:
            continue
        variable = entry["subgroups"][0]["variable"] if entry.get("subgroups") else None
        _forest(entry, out, mcid, measure, variable, names, rob_rows, intervention, vocabulary)
        if not a.get("pooled"):
            continue
        fit = result_from_dict(PooledResult, a["pooled"])
        row_names = {str(r["row_id"]): names.comparison_row(
            str(r["study_id"]), str(r.get("arm_id_1") or ""), str(r.get("arm_id_2") or ""))
            for r in eff}  # fmt: skip
        labels = [row_names[str(r["row_id"])] for r in eff]
        y, v = [_num(r["yi"]) for r in eff], [_num(r["vi"]) for r in eff]
        ss = entry.get("small_study") or {}
        if ss.get("run"):
            tf = ss.get("trimfill", {})
            tfr = result_from_dict(TrimFillResult, tf) if "k0" in tf else None
            fd = plots.funnel_data(labels, y, v, fit, trimfill=tfr, x_label=x_label)
            _save(plots.funnel_plot(fd), out / f"funnel__{aid}")
            plots.write_funnel_csv(fd, out / f"funnel__{aid}.csv")
        if entry.get("loo"):
            loo = result_from_dict(LeaveOneOutResult, entry["loo"])
            _save(plots.leave_one_out_plot(labels, loo, fit, x_label), out / f"loo__{aid}")
            plots.write_leave_one_out_csv(labels, loo, fit, out / f"loo__{aid}.csv")
        if entry.get("baujat"):
            bj = result_from_dict(BaujatResult, entry["baujat"])
            _save(plots.baujat_plot(labels, bj), out / f"baujat__{aid}")
            plots.write_baujat_csv(labels, bj, out / f"baujat__{aid}.csv")
        if (entry.get("tsa") or {}).get("run"):
            t = entry["tsa"]
            tsa_fit = result_from_dict(TsaResult, t)
            tsa_fit = replace(tsa_fit, study=tuple(row_names.get(str(x), names.study(str(x)))
                                                   for x in tsa_fit.study))  # fmt: skip
            _save(draw_tsa(tsa_fit), out / f"tsa__{aid}")
            looks = [dict(zip(TSA_CSV_COLUMNS, vals, strict=True)) for vals in zip(
                t["study"], t["year"], t["cumulative_n"], t["information_fraction"],
                t["estimate"], t["z"], t["boundary_z"], strict=True)]  # fmt: skip
            write_csv(out / f"tsa__{aid}.csv", looks, TSA_CSV_COLUMNS)
        if (entry.get("gosh") or {}).get("run"):
            gd = plots.gosh_data(entry["gosh"], names.analysis(aid), x_label)
            gd = replace(gd, labels=tuple(row_names.get(x, x) for x in gd.labels),
                         drivers=tuple(row_names.get(x, x) for x in gd.drivers))  # fmt: skip
            _save(plots.gosh_plot(gd), out / f"gosh__{aid}")
            plots.write_gosh_csv(gd, out / f"gosh__{aid}.csv")
    return sorted(out.glob("*.png"))
