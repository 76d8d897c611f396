"""Every configured analysis of one outcome: main fits, subgroups, sensitivity
analyses, small-study tests, meta-regression, GRADE and the simulation checks
(coverage, GOSH, permutation tests; :mod:`trialmeta.robustness`), as one
JSON-ready dict.

The workflow runs :func:`run_outcome` once per outcome (one Python start per
outcome). Tables, figures and the report read its output and never refit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from trialmeta.data.risk_of_bias import PEDRO_NOT_SCORED, rob_lookup
from trialmeta.data.vocabulary import Vocabulary
from trialmeta.errors import NotComputableError, TrialmetaError
from trialmeta.review import robustness
from trialmeta.review.cell import (
    AnalysisResult,
    AnalysisSpec,
    Model,
    effect_table,
    run_analysis,
    slug,
)
from trialmeta.review.cell import spec_from_config as _spec
from trialmeta.review.grade import GradeInput, GradeRules, grade
from trialmeta.stats import influence as diagnostics
from trialmeta.stats import leave_one_out as influence
from trialmeta.stats import metareg, tsa
from trialmeta.stats import small_study as bias
from trialmeta.stats.results import to_jsonable
from trialmeta.stats.subgroups import subgroup_difference

__all__ = [
    "PEDRO_NOT_SCORED",
    "control_lookup",
    "is_secondary",
    "rob_lookup",
    "robust_conclusion",
    "run_outcome",
]

def control_lookup(arms: pd.DataFrame | None, vocabulary: Vocabulary
                   ) -> dict[tuple[str, str], tuple[str, str]]:
    """(study_id, arm_id) → (verbatim intervention, kind of sham) from the arms sheet.

    The kind of sham is the vocabulary's (:meth:`~trialmeta.data.vocabulary.Vocabulary.
    sham_kind`; ``""`` for an arm that is not a sham control).
    """
    if arms is None or arms.empty:
        return {}
    cols = arms[["study_id", "arm_id", "arm_type", "intervention"]].astype(str)
    return {(r.study_id, r.arm_id): (r.intervention, vocabulary.sham_kind(r.arm_type,
                                                                           r.intervention))
            for r in cols.drop_duplicates(["study_id", "arm_id"]).itertuples()}  # fmt: skip


def _annotate_controls(effects: list[dict], controls: Mapping) -> None:
    for r in effects:
        text, sham = controls.get((str(r.get("study_id")), str(r.get("arm_id_2"))), ("", ""))
        if text:
            r["control_intervention"] = text
        if sham:
            r["sham_type"] = sham


def is_secondary(rec: Mapping[str, object]) -> bool:
    """True when a row's ``verification`` or ``evidence_level`` says secondary."""
    return any("secondary" in str(rec.get(c, "")).lower() for c in ("verification",
                                                                      "evidence_level"))


def _row_key(rec: Mapping[str, object], key: str) -> str:
    val = rec.get(key)
    return "" if val is None or (isinstance(val, float) and math.isnan(val)) else str(val)


def _num(x: object) -> float:
    return float(x) if isinstance(x, (int, float)) else math.nan


def _fit_summary(res: AnalysisResult, label: str, **extra: object) -> dict[str, object]:
    p = res.pooled
    nan = math.nan
    return {
        "label": label, "k": res.k, "n_participants": res.n_participants, "status": res.status,
        "method": p.method if p else "", "test": p.test if p else "",
        "estimate": p.estimate if p else nan, "ci_lb": p.ci_lb if p else nan,
        "ci_ub": p.ci_ub if p else nan, "pval": p.pval if p else nan,
        "tau2": p.tau2 if p else nan, "i2_percent": p.i2_percent if p else nan, **extra,
    }  # fmt: skip


def robust_conclusion(main: Mapping[str, object], other: Mapping[str, object]) -> bool | None:
    """Does ``other`` reach the same conclusion as ``main``? None if either is missing.

    Same conclusion: both CIs include no effect, or both exclude it on the same side.
    """
    vals = [main.get("estimate"), main.get("ci_lb"), main.get("ci_ub"), other.get("estimate"),
            other.get("ci_lb"), other.get("ci_ub")]  # fmt: skip
    if not all(isinstance(v, float) and math.isfinite(v) for v in vals):
        return None

    def side(r: Mapping[str, object]) -> int:
        lb, ub = float(r["ci_lb"]), float(r["ci_ub"])  # type: ignore[arg-type]
        return -1 if ub < 0 else 1 if lb > 0 else 0

    return side(main) == side(other)


def _sensitivity(rows, spec, model, main, rob, cfg) -> list[dict[str, object]]:
    out = []
    ids = main.study_ids
    recs = {str(r["row_id"]): r for r in effect_table(rows, spec, main)}
    sens = cfg.get("sensitivity", {})
    main_row = _fit_summary(main, "main analysis")
    if sens.get("exclude_high_rob", True):
        keep = [s for s in ids if rob.get(str(recs[s]["study_id"])) != "high"]
        out.append(_fit_summary(run_analysis(rows, spec, model, keep),
                                "excluding high risk of bias", kind="subset"))
    if sens.get("exclude_secondary", True):
        keep = [s for s in ids if not is_secondary(recs.get(s, {}))]
        out.append(_fit_summary(run_analysis(rows, spec, model, keep),
                                "excluding secondary-extraction data", kind="subset"))
    if sens.get("common_vs_random", True):
        fe = run_analysis(rows, spec, replace(model, min_k=min(model.min_k, 2)), None, "FE", "z")
        out.append(_fit_summary(fe, "common effect (FE, z)", kind="model"))
    grid = sens.get("estimator_grid", {"methods": ["DL", "REML", "PM"], "tests": ["z", "knha"]})
    for m in grid.get("methods", []):
        for t in grid.get("tests", []):
            res = run_analysis(rows, spec, model, None, m, t)
            out.append(_fit_summary(res, f"{m} + {t}", kind="grid"))
    for row in out:
        row["robust"] = robust_conclusion(main_row, row)
    return out


def _loo(sel_y, sel_v, ids, model, fit) -> tuple[dict | None, dict | None]:
    """Leave-one-out refits and the Baujat coordinates built on them (k >= 3)."""
    if len(ids) < 3:
        return None, None
    r = influence.leave_one_out(sel_y, sel_v, method=model.method, test=model.test,
                                level=model.level)
    b = diagnostics.baujat(sel_y, sel_v, fit, r)
    return {"omitted": list(ids), **r.to_dict()}, {"labels": list(ids), **b.to_dict()}


def _small_study(y, v, model, min_k) -> dict[str, object]:
    k = len(y)
    if k < min_k:
        return {"run": False, "reason": f"k = {k} < {min_k}: not run (Cochrane Handbook 13.3.5.4)"}
    out: dict[str, object] = {"run": True, "reason": ""}
    calls = (
        ("egger", bias.egger_test, {}),
        ("begg", bias.begg_test, {}),
        ("trimfill", bias.trim_and_fill, {"method": model.method}),
    )
    for name, fn, kw in calls:
        try:
            out[name] = fn(y, v, **kw).to_dict()
        except NotComputableError as err:  # e.g. trim-and-fill when every SE is equal
            out[name] = {"error": str(err), "flags": [err.flag] if err.flag else []}
        except TrialmetaError as err:
            out[name] = {"error": str(err)}
    return out


def _tsa(effects, model: Model, mcid: float, sd: float) -> dict[str, object]:
    """Trial sequential analysis of a pooled cell: RIS from the MCID and SD (k >= 2)."""
    years = [_num(pd.to_numeric(r.get("year"), errors="coerce")) for r in effects]
    missing = sorted(str(r["row_id"]) for r, y in zip(effects, years, strict=True)
                     if not math.isfinite(y))  # fmt: skip
    if missing:
        return {"run": False, "reason": f"publication year missing for {', '.join(missing)}"}
    if not (math.isfinite(sd) and sd > 0 and math.isfinite(mcid) and mcid > 0):
        return {"run": False, "reason": "no usable SD or MCID for the required information size"}
    n = [_num(r.get("n1")) + _num(r.get("n2")) for r in effects]
    try:
        r = tsa.trial_sequential_analysis(
            [r["yi"] for r in effects], [r["vi"] for r in effects], n, years,
            [str(r["row_id"]) for r in effects], mcid=mcid, sd=sd, method=model.method)
    except TrialmetaError as err:
        return {"run": False, "reason": str(err).splitlines()[0]}
    return {"run": True, "sentence": tsa.tsa_sentence(r), **r.to_dict()}


def _metareg(sel: pd.DataFrame, model: Model, mcfg: Mapping[str, object],
             sim: robustness.Simulation) -> dict[str, object]:
    mods = [str(m) for m in mcfg.get("moderators", [])]  # type: ignore[union-attr]
    min_k = int(mcfg.get("min_k", 10))  # type: ignore[arg-type]
    out: dict[str, object] = {}
    for mod in mods:
        x = pd.to_numeric(sel.get(mod, pd.Series(dtype=float)), errors="coerce")
        ok = np.isfinite(x.to_numpy(float)) if len(x) else np.array([], bool)
        k = int(ok.sum())
        if k < min_k:
            out[mod] = {"run": False,
                        "reason": f"only {k} trials report {mod}; at least {min_k} needed"}
            continue
        try:
            y, v = sel["yi"].to_numpy(float)[ok], sel["vi"].to_numpy(float)[ok]
            r = metareg.meta_regression(y, v, x.to_numpy(float)[ok], method=model.method,
                                        test=model.test, level=model.level, names=[mod])
            perm = robustness.metareg_permutation(y, v, x.to_numpy(float)[ok], mod,
                                                  model.method, model.test, sim)
            out[mod] = {"run": True, **r.to_dict(), "permutation": perm}
        except TrialmetaError as err:
            out[mod] = {"run": False, "reason": str(err)}
    return out


# SDs below 2% of the harmonised 0-100 range are implausible (the data-quality rule of
# trialmeta.harmonise); they would shrink the optimal information size, so they are left out.
_MIN_PLAUSIBLE_SD = 2.0


def _ois_sd(effects: Sequence[Mapping[str, object]], configured: object) -> float:
    """SD for the optimal information size: the configured value, else the median of the
    trials' pooled SDs ``sqrt((sd1² + sd2²)/2)`` on the 0-100 scale, leaving out trials
    with an implausibly small SD (< 2 points)."""
    if isinstance(configured, (int, float)) and configured > 0:
        return float(configured)
    sds = []
    for r in effects:
        s1, s2 = (pd.to_numeric(r.get(c), errors="coerce") for c in ("sd1", "sd2"))
        if np.isfinite(s1) and np.isfinite(s2) and min(s1, s2) >= _MIN_PLAUSIBLE_SD:
            sds.append(math.sqrt((s1**2 + s2**2) / 2))
    return float(np.median(sds)) if sds else math.nan


def _one(rows, spec, model, rob, cfg, ocfg, comp_cfg, controls) -> dict[str, object]:
    main = run_analysis(rows, spec, model)
    effects = effect_table(rows, spec, main)
    for r in effects:
        r["risk_of_bias"] = rob.get(str(r["study_id"]), "not_assessed")
    _annotate_controls(effects, controls)
    sel = pd.DataFrame(effects) if effects else pd.DataFrame()
    sim = robustness.simulation_from_config(cfg)
    entry: dict[str, object] = {"analysis": main.to_dict(), "effects": effects,
                                "subgroups": [], "sensitivity": [], "loo": None}
    sub_p = math.nan
    if comp_cfg.get("subgroups") and main.k >= 2:
        for var in cfg.get("subgroups", []):
            levels = sorted({_row_key(r, var) for r in effects})
            fits, ests, ses = [], [], []
            for lev in levels:
                ids = [str(r["row_id"]) for r in effects if _row_key(r, var) == lev]
                s = replace(spec, analysis_id=f"{spec.analysis_id}__{slug(var)}-{slug(lev)}",
                            subgroup=f"{var}={lev}")
                res = run_analysis(rows, s, replace(model, min_k=1), ids)
                rz = run_analysis(rows, s, replace(model, min_k=1), ids, None, "z")
                fits.append({"analysis": res.to_dict(), "effects": effect_table(rows, s, res)})
                ests.append(rz.pooled.estimate if rz.pooled else math.nan)
                ses.append(rz.pooled.se if rz.pooled else math.nan)
            diff = subgroup_difference(ests, ses)
            groups = [_row_key(r, var) for r in effects]
            perm = robustness.subgroup_permutation(
                sel["yi"].to_numpy(float), sel["vi"].to_numpy(float), groups, model.method,
                model.test, sim)  # fmt: skip
            if math.isfinite(diff.pval):
                sub_p = diff.pval if math.isnan(sub_p) else min(sub_p, diff.pval)
            entry["subgroups"].append({"variable": var, "levels": levels, "fits": fits,
                                       "difference": diff.to_dict(),
                                       "permutation": perm})  # type: ignore[union-attr]
    if main.pooled is not None:
        y, v = sel["yi"].to_numpy(float), sel["vi"].to_numpy(float)
        entry["sensitivity"] = _sensitivity(rows, spec, model, main, rob, cfg)
        if cfg.get("sensitivity", {}).get("leave_one_out", True):
            entry["loo"], entry["baujat"] = _loo(y, v, main.study_ids, model, main.pooled)
        entry["small_study"] = _small_study(y, v, model, int(cfg["grade"].get("pubbias_min_k", 10)))
        entry["metareg"] = _metareg(sel, model, cfg.get("meta_regression", {}), sim)
        if main.k >= 3:
            entry["coverage"] = robustness.coverage_check(v, main.pooled, sim, model.test)
            entry["gosh"] = robustness.gosh_check(y, v, main.study_ids, sim)
    rules = GradeRules(**{k: v for k, v in cfg.get("grade", {}).items() if k != "overrides"})
    p = main.pooled
    egger = entry.get("small_study", {}).get("egger", {})  # type: ignore[union-attr]
    nan = math.nan
    gi = GradeInput(
        analysis_id=main.analysis_id, k=main.k, n_participants=main.n_participants,
        estimate=p.estimate if p else nan, ci_lb=p.ci_lb if p else nan,
        ci_ub=p.ci_ub if p else nan, pi_lb=p.pi_lb if p else nan, pi_ub=p.pi_ub if p else nan,
        tau2=p.tau2 if p else nan, i2_percent=p.i2_percent if p else nan,
        study_ids=main.study_ids, weights_percent=main.weights_percent,
        rob={str(r["row_id"]): rob.get(str(r["study_id"]), "not_assessed") for r in effects},
        populations={str(r["row_id"]): _row_key(r, "population") for r in effects},
        target_population=str(cfg["target_population"]), mcid=float(ocfg["mcid"]["value"]),
        ois_sd=_ois_sd(effects, ocfg.get("ois_sd", {}).get("value")),
        sham_types=tuple(sorted({_row_key(r, "sham_type") for r in effects} - {""})),
        subgroup_pval=sub_p,
        egger_pval=_num(egger.get("pval")) if isinstance(egger, dict) else nan,
    )  # fmt: skip
    entry["grade"] = grade(gi, rules, cfg.get("grade", {}).get("overrides", [])).to_dict()
    if p is not None and main.k >= 2:
        entry["tsa"] = _tsa(effects, model, gi.mcid, gi.ois_sd)
    entry["ois_sd"] = gi.ois_sd
    return entry


def run_outcome(
    rows: pd.DataFrame,
    rob: Mapping[str, str],
    config: Mapping[str, object],
    outcome_id: str,
    controls: Mapping[tuple[str, str], tuple[str, str]] | None = None,
) -> dict[str, object]:
    """All analyses of ``outcome_id`` (an ``outcomes[].id`` of the config).

    ``rows`` are the effect rows of ``build_comparisons`` (one per study ×
    comparison × outcome × timepoint); ``rob`` comes from :func:`rob_lookup`;
    ``controls`` from :func:`control_lookup` adds each row's control intervention
    and, for sham controls, its kind of sham (``sham_type``, used for indirectness).
    Returns a JSON-ready dict; comparisons keep the config's order.
    """
    ocfg = next(o for o in config["outcomes"] if o["id"] == outcome_id)  # type: ignore[union-attr]
    mcfg = config["model"]
    model = Model(method=mcfg["method"], test=mcfg["test"], level=float(mcfg["level"]),
                  min_k=int(mcfg.get("min_k", 2)))  # type: ignore[index]  # fmt: skip
    analyses = []
    for comp in config["comparisons"]:  # type: ignore[union-attr]
        spec: AnalysisSpec = _spec(ocfg, comp, str(config["measure"]))
        entry = _one(rows, spec, model, rob, config, ocfg, comp, controls or {})
        entry["comparison_label"] = comp.get("label", comp["id"])
        analyses.append(entry)
    out = {"outcome": dict(ocfg), "model": dict(mcfg), "analyses": analyses}
    return to_jsonable(out)  # type: ignore[return-value]
