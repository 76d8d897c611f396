"""Simulation and resampling checks of one pooled analysis, as JSON-ready dicts.

:func:`trialmeta.review.run_outcome` calls these for every pooled main analysis
(and its subgroup and meta-regression tests); tables, figures, the report and
the limitations summary only read what they return. Each returns
``{"run": False, "reason": ...}`` instead of raising when a check cannot run.

- :func:`coverage_check`: how often the analysis' own intervals cover, for a
  review of exactly this size (:func:`trialmeta.simulate_coverage`; Partlett &
  Riley 2017, Stat Med 36:301-317; IntHout, Ioannidis & Borm 2014, BMC Med Res
  Methodol 14:25), at τ² = its estimate and its Q-profile CI bounds
  (Viechtbauer 2007, Stat Med 26:37-52).
- :func:`gosh_check`: the model fitted to every subset of trials (GOSH; Olkin,
  Dahabreh & Trikalinos 2012, Res Synth Methods 3:214-223), with the trials
  that drive a separate cluster and a seeded subsample of points for the plot.
- :func:`subgroup_permutation` and :func:`metareg_permutation`: permutation
  p-values of the moderator test (metafor ``permutest``; Higgins & Thompson
  2004, Stat Med 23:1663-1682; Viechtbauer et al. 2015, Psychol Methods
  20:360-374).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from trialmeta.errors import TrialmetaError
from trialmeta.resampling.coverage import coverage_sentence, simulate_coverage
from trialmeta.resampling.gosh import gosh
from trialmeta.resampling.permutation import permutation_test
from trialmeta.stats.pooling import pool
from trialmeta.stats.results import PooledResult, to_jsonable

__all__ = [
    "PLOT_POINTS",
    "Simulation",
    "coverage_check",
    "gosh_check",
    "gosh_sentence",
    "metareg_permutation",
    "simulation_from_config",
    "subgroup_permutation",
]

PLOT_POINTS = 5_000
"""At most this many GOSH subsets are stored for the plot (a seeded random subsample)."""

_TAU2_POINTS = ("estimate", "ci_lb", "ci_ub")
_TEST_NAMES = {"z": "Wald-type (z)", "knha": "Knapp-Hartung"}


@dataclass(frozen=True)
class Simulation:
    """The ``simulation:`` block of the config (defaults as config/config.yaml)."""

    coverage_n_sim: int = 10_000
    gosh_method: str = "DL"
    gosh_max_subsets: int = 2_000_000
    permutations: int = 10_000
    seed: int = 20261125


def simulation_from_config(config: Mapping[str, object]) -> Simulation:
    """:class:`Simulation` from ``config["simulation"]``; missing keys take the defaults."""
    block = config.get("simulation") or {}
    known = Simulation.__dataclass_fields__
    return Simulation(**{k: v for k, v in dict(block).items() if k in known})  # type: ignore[arg-type]


def _num(x: float) -> str:
    """3 significant digits, without exponent up to 10^6 (``1515.48`` → ``"1,515"``)."""
    return f"{x:,.0f}" if 1000 <= abs(x) < 1e6 else f"{x:.3g}"


def _not_run(reason: str) -> dict[str, object]:
    return {"run": False, "reason": reason}


def coverage_check(
    vi: Sequence[float], fit: PooledResult, sim: Simulation, test: str
) -> dict[str, object]:
    """Simulated coverage of the CI (z and knha) and PI at this analysis' k and vᵢ.

    τ² values: the estimate, then whichever Q-profile CI bounds are finite
    (``tau2_points`` names them). ``sentence`` is :func:`coverage_sentence` for
    ``test`` at the estimate, followed by the range over the τ² CI and, when
    ``test`` is knha, the z-based interval's coverage for contrast.
    """
    if fit.k < 3:
        return _not_run(f"k = {fit.k} < 3")
    pts = [(n, float(getattr(fit, "tau2" if n == "estimate" else f"tau2_{n}"))) for n in
           _TAU2_POINTS]  # fmt: skip
    pts = [(n, t) for n, t in pts if math.isfinite(t) and t >= 0]
    try:
        r = simulate_coverage(vi, [t for _, t in pts], fit.method, ("z", "knha"),
                              sim.coverage_n_sim, fit.level, sim.seed)  # fmt: skip
    except TrialmetaError as err:
        return _not_run(str(err).splitlines()[0])
    b = r.tests.index(test)
    text = coverage_sentence(r, test, 0)
    lo_hi = [(n, i) for i, (n, _) in enumerate(pts) if n != "estimate"]
    if lo_hi:
        at = " and ".join(_num(r.tau2_values[i]) for _, i in lo_hi)
        cov = " and ".join(f"{100 * r.ci_coverage[i, b]:.0f}%" for _, i in lo_hi)
        text += f" At the bounds of the tau² CI ({at}) it covers about {cov}."
    if test != "z":
        z = 100 * r.ci_coverage[0, r.tests.index("z")]
        text += f" A {_TEST_NAMES['z']} CI would cover about {z:.0f}%."
    return {"run": True, "reason": "", "tau2_points": [n for n, _ in pts], "test": test,
            "sentence": text, **r.to_dict()}  # fmt: skip


def _points(res, sim: Simulation) -> dict[str, object]:
    """A seeded subsample (at most :data:`PLOT_POINTS`) of the subsets with ≥ 2 trials."""
    idx = np.flatnonzero(np.isfinite(res.i2_percent) & np.isfinite(res.estimate))
    n_eligible = int(idx.size)
    if n_eligible > PLOT_POINTS:
        idx = np.sort(np.random.default_rng(sim.seed).choice(idx, PLOT_POINTS, replace=False))
    return {
        "membership": [int(c) for c in res.membership[idx].tolist()],
        "k_subset": res.k_subset[idx], "estimate": res.estimate[idx],
        "i2_percent": res.i2_percent[idx], "outlying": res.outlying[idx],
        "n_eligible": n_eligible, "subsampled": n_eligible > idx.size,
    }  # fmt: skip


def gosh_sentence(d: Mapping[str, object]) -> str:
    """Plain sentence on the GOSH result ``d`` (the dict :func:`gosh_check` returns).

    A driver is a trial whose inclusion shifts the mean subset estimate or I² by
    at least ``driver_threshold`` standard deviations (:mod:`trialmeta.gosh`).
    """
    how = ("all" if d["exhaustive"] else "a random sample of") + f" {d['n_subsets']:,} subsets"
    head = f"GOSH ({d['method']}, {how} of {d['k']} trials): "
    share = f"{d['outlying_percent']:.0f}% of subsets lie apart from the main cloud"
    drivers = list(d["drivers"])  # type: ignore[call-overload]
    if not drivers:
        return (head + "no single trial shifts the subset estimates or I² by a standard "
                f"deviation or more; {share}.")
    lab = list(d["labels"])  # type: ignore[call-overload]
    parts = []
    for name in drivers:
        j = lab.index(name)
        de, di = d["shift_estimate"][j], d["shift_i2"][j]  # type: ignore[index]
        what = ("the mean subset estimate moves by", "I² by") if not parts else ("by", "")
        parts.append(f"with {name} in, {what[0]} {de:+.1f} and {what[1]} {di:+.0f} points"
                     .replace("  ", " "))
    n = len(drivers)
    return (head + f"{n} trial{'s' if n > 1 else ''} drive{'' if n > 1 else 's'} the spread of "
            f"subset results ({'; '.join(parts)}); {share}.")


def gosh_check(
    yi: Sequence[float], vi: Sequence[float], labels: Sequence[str], sim: Simulation
) -> dict[str, object]:
    """GOSH summary (drivers, outlying share), the all-trials fit and plot points."""
    if len(yi) < 3:
        return _not_run(f"k = {len(yi)} < 3")
    try:
        res = gosh(yi, vi, sim.gosh_method, sim.gosh_max_subsets, sim.seed, list(labels),
                   show_progress=False)  # fmt: skip
        full = pool(yi, vi, method=sim.gosh_method, test="z")
    except TrialmetaError as err:
        return _not_run(str(err).splitlines()[0])
    out: dict[str, object] = {"run": True, "reason": "", **res.to_dict()}
    out["outlying_percent"] = 100.0 * float(res.outlying.mean())
    out["full_estimate"], out["full_i2_percent"] = full.estimate, full.i2_percent
    out["points"] = _points(res, sim)
    out["sentence"] = gosh_sentence(out)
    return to_jsonable(out)  # type: ignore[return-value]


def _permutation(y, v, mods, names, method: str, test: str, sim: Simulation) -> dict[str, object]:
    try:
        r = permutation_test(y, v, mods, method=method, test=test,
                             n_permutations=sim.permutations, seed=sim.seed, names=names)
    except TrialmetaError as err:
        return _not_run(str(err).splitlines()[0])
    m = r.p - 1
    parametric = (stats.f.sf(r.qm, m, r.k - r.p) if test == "knha" else stats.chi2.sf(r.qm, m))
    return {"run": True, "reason": "", **r.to_dict(), "qm_pval_parametric": float(parametric)}


def subgroup_permutation(
    yi: Sequence[float], vi: Sequence[float], groups: Sequence[str], method: str, test: str,
    sim: Simulation,
) -> dict[str, object]:
    """Permutation test of subgroup differences: QM of the model with subgroup dummies.

    As metafor ``permutest(rma(yi, vi, mods = ~ factor(group), method, test))``:
    one common τ² (unlike RevMan's Q between separately pooled subgroups), the
    first level (sorted) is the reference; ``qm_pval`` is the permutation p.
    """
    levels = sorted(set(groups))
    if len(levels) < 2:
        return _not_run("fewer than 2 subgroups")
    if len(groups) <= len(levels):
        return _not_run(f"{len(groups)} trials in {len(levels)} subgroups: too few to fit a "
                        "common tau² beside the subgroup effects")  # fmt: skip
    mods = np.array([[float(g == lev) for lev in levels[1:]] for g in groups])
    return _permutation(yi, vi, mods, [f"{lev or 'not reported'}" for lev in levels[1:]],
                        method, test, sim)  # fmt: skip


def metareg_permutation(
    yi: Sequence[float], vi: Sequence[float], x: Sequence[float], name: str, method: str,
    test: str, sim: Simulation,
) -> dict[str, object]:
    """Permutation p of a one-moderator meta-regression (metafor ``permutest``)."""
    return _permutation(yi, vi, np.asarray(x, float), [name], method, test, sim)
