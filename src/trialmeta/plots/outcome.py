"""Draw and save every figure of one outcome bundle (forest, funnel, LOO, Baujat, TSA, GOSH).

Reads the stored results of :func:`trialmeta.review.run_outcome` (rebuilding the
frozen result objects from their JSON form) and hands them to
:mod:`trialmeta.plots`; nothing is refitted. File names are
``<kind>__<analysis_id>.{png,svg,pdf,csv}`` so the report can find them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from trialmeta import plots
from trialmeta.io.safe_csv import write_csv
from trialmeta.plots.tsa import draw_tsa
from trialmeta.stats.influence import BaujatResult
from trialmeta.stats.results import LeaveOneOutResult, PooledResult, TrimFillResult
from trialmeta.stats.tsa import TsaResult

__all__ = ["FIGURE_KINDS", "derived_marks", "draw_outcome_figures", "result_from_dict"]

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


def derived_marks(rec: Mapping[str, object]) -> dict[str, bool]:
    """Which arm statistics of an effect row came from a conversion.

    Read from the data layer's ``derivation`` text (``"ACU: sd from 95% CI ..."``;
    ``"sd reported"`` is not derived; a mean from a median is) and ``multiarm``
    (``"split: CG n 10 split 2 ways"`` marks that arm's n). Rescaling to 0-100
    is not marked: it changes units, not information.
    """
    deriv = str(rec.get("derivation") or "")
    multi = str(rec.get("multiarm") or "").lower()
    out: dict[str, bool] = {}
    for i, arm in ((1, str(rec.get("arm_id_1") or "")), (2, str(rec.get("arm_id_2") or ""))):
        clause = _clause(deriv, arm) if arm else ""
        out[f"sd{i}"] = bool(clause) and "sd reported" not in clause
        out[f"m{i}"] = "median" in clause or "mean from" in clause
        out[f"n{i}"] = bool(arm) and f"{arm.lower()} n " in multi
    return out


def _save(fig, stem: Path) -> None:
    plots.save_figure(fig, stem)
    plt.close(fig)


def _forest(entry, outdir: Path, mcid: float, measure: str, variable: str | None) -> None:
    a, eff = entry["analysis"], entry["effects"]
    aid = a["analysis_id"]
    control = str(entry.get("comparison_label", a["comparison"]))
    control = control.split(" vs ", 1)[1].split(" (")[0] if " vs " in control else control
    kw: dict[str, object] = {}
    overall = a.get("pooled")
    if overall:
        kw["overall"] = result_from_dict(PooledResult, overall)
    sg = next((s for s in entry.get("subgroups", []) if s["variable"] == variable), None)
    if sg is not None:
        kw["subgroups"] = [str(r.get(variable) or "not reported") for r in eff]
        kw["subgroup_results"] = {
            f["analysis"]["subgroup"].split("=", 1)[1]: result_from_dict(
                PooledResult, f["analysis"]["pooled"])
            for f in sg["fits"] if f["analysis"].get("pooled")
        }  # fmt: skip
        kw["subgroup_test"] = _Diff(sg["difference"])
    else:
        kw["weights_percent"] = [_num(r.get("weight_percent")) for r in eff]
    if all(k in eff[0] for k in _ARM_KEYS):
        kw["arms"] = {k: [_num(r.get(k)) for r in eff] for k in _ARM_KEYS}
        marks = [derived_marks(r) for r in eff]
        kw["derived"] = {k: [m[k] for m in marks] for k in _ARM_KEYS}
    if any("risk_of_bias" in r for r in eff):
        kw["rob"] = [None if r.get("risk_of_bias") in (None, "not_assessed") else
                     r["risk_of_bias"] for r in eff]  # fmt: skip
    data = plots.forest_data(
        [str(r["row_id"]) for r in eff], [_num(r["yi"]) for r in eff],
        [_num(r["vi"]) for r in eff], measure=measure, control=control.capitalize(),
        mcid=(-mcid,) if math.isfinite(mcid) else (), **kw,
    )  # fmt: skip
    _save(plots.forest_plot(data), outdir / f"forest__{aid}")
    plots.write_forest_csv(data, outdir / f"forest__{aid}.csv")


class _Diff:
    """Attribute view of a stored subgroup-difference dict (q, df, pval)."""

    def __init__(self, d: Mapping[str, object]):
        self.q, self.df, self.pval = _num(d["q"]), int(d["df"]), _num(d["pval"])  # type: ignore[arg-type]


def draw_outcome_figures(bundle: Mapping[str, object], outdir: str | Path,
                         measure: str = "MD") -> list[Path]:  # fmt: skip
    """Write every figure of ``bundle`` into ``outdir``; return the PNG paths, sorted.

    Forest plots for every analysis with k >= 1 (the comparison with subgroups
    is split by its first subgroup variable); funnel plots only where the
    small-study tests ran (k >= 10); leave-one-out and Baujat plots where k >= 3;
    the trial sequential analysis and the GOSH plot where they ran.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    mcid = _num(bundle["outcome"]["mcid"]["value"])  # type: ignore[index]
    x_label = "Mean difference" if measure == "MD" else "Std. mean difference"
    for entry in bundle["analyses"]:  # type: ignore[union-attr]
        a, eff = entry["analysis"], entry["effects"]
        aid = a["analysis_id"]
        if not eff:
            continue
        variable = entry["subgroups"][0]["variable"] if entry.get("subgroups") else None
        _forest(entry, out, mcid, measure, variable)
        if not a.get("pooled"):
            continue
        fit = result_from_dict(PooledResult, a["pooled"])
        labels = [str(r["row_id"]) for r in eff]
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
            _save(draw_tsa(result_from_dict(TsaResult, t)), out / f"tsa__{aid}")
            looks = [dict(zip(TSA_CSV_COLUMNS, vals, strict=True)) for vals in zip(
                t["study"], t["year"], t["cumulative_n"], t["information_fraction"],
                t["estimate"], t["z"], t["boundary_z"], strict=True)]  # fmt: skip
            write_csv(out / f"tsa__{aid}.csv", looks, TSA_CSV_COLUMNS)
        if (entry.get("gosh") or {}).get("run"):
            gd = plots.gosh_data(entry["gosh"], aid, x_label)
            _save(plots.gosh_plot(gd), out / f"gosh__{aid}")
            plots.write_gosh_csv(gd, out / f"gosh__{aid}.csv")
    return sorted(out.glob("*.png"))
